//! The hub's side of HTTP: a small HTTP/1.1 client over a plain `TcpStream`.
//!
//! Callbacks in tests and benchmarks are loopback `http://` URLs, and a client crate would want
//! a TLS provider installed process-wide before it could even be built; this one needs nothing
//! and sends exactly the bytes the real hub's requests carry. `https://` callbacks are accepted
//! by `POST /hub` but cannot be reached: their verification fails as unreachable.

use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the real hub announces itself as.
pub(crate) const USER_AGENT: &str = "FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)";
/// Whole-request budget, like the hub's fetch deadline: a callback that hangs fails the
/// delivery instead of holding up [`crate::SimControl::flush_pushes`] forever.
const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Answers longer than this are cut (a challenge echo or a push acknowledgement is tiny).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// A callback's answer to a request the hub (or a forging test helper) sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackReply {
    pub status: u16,
    /// The body, lossily decoded as UTF-8.
    pub body: String,
    /// For a verification, the challenge that was sent (`body == challenge` means "confirmed").
    pub challenge: Option<String>,
}

/// An `http` or `https` URL, split the way a request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub https: bool,
    /// Host to connect to (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// `host[:port]` as written, for the `Host` header.
    pub authority: String,
    /// Starts with `/`.
    pub path: String,
    pub query: Option<String>,
}

impl HttpUrl {
    fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Parses `http(s)://host[:port][/path][?query]`: no fragment, no user info, no whitespace.
pub(crate) fn parse_url(s: &str) -> Option<HttpUrl> {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let (https, rest) = if lower.starts_with("https://") {
        (true, &s[8..])
    } else if lower.starts_with("http://") {
        (false, &s[7..])
    } else {
        return None;
    };
    if s.contains('#') || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (tail, None),
    };
    let (host, port) = host_port(authority, if https { 443 } else { 80 })?;
    Some(HttpUrl {
        https,
        host,
        port,
        authority: authority.to_owned(),
        path: if path.is_empty() { "/" } else { path }.to_owned(),
        query,
    })
}

fn host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        if !host
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && (authority.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'));
    let port = match port {
        None => default_port,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
    };
    host_ok.then(|| (host.to_owned(), port))
}

/// Sends one request and reads the answer. `Err` is why there was no HTTP answer.
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<CallbackReply, String> {
    let u = parse_url(url).ok_or_else(|| format!("not an http(s) URL: {url}"))?;
    if u.https {
        return Err("https callbacks cannot be reached: the simulator speaks plain HTTP".into());
    }
    match tokio::time::timeout(TIMEOUT, exchange(method, &u, headers, body)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
    }
}

async fn exchange(
    method: &str,
    u: &HttpUrl,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<CallbackReply, String> {
    let mut stream = TcpStream::connect((u.host.as_str(), u.port))
        .await
        .map_err(|e| format!("connect to {}: {e}", u.authority))?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nConnection: close\r\n",
        u.target(),
        u.authority
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream
        .write_all(&out)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(reply) = complete(&raw)? {
            return Ok(reply);
        }
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 || raw.len() + n > MAX_ANSWER_BYTES {
            // The peer closed (or said too much): whatever came is the answer.
            raw.extend_from_slice(&buf[..n.min(MAX_ANSWER_BYTES.saturating_sub(raw.len()))]);
            return at_eof(&raw);
        }
        raw.extend_from_slice(&buf[..n]);
    }
}

struct Head {
    status: u16,
    body_start: usize,
    content_length: Option<usize>,
    chunked: bool,
}

fn parse_head(raw: &[u8]) -> Result<Option<Head>, String> {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&raw[..split]);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| "not an HTTP answer".to_owned())?;
    let mut head = Head {
        status,
        body_start: split + 4,
        content_length: None,
        chunked: false,
    };
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = value.parse().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    Ok(Some(head))
}

/// The answer, once everything it announced has arrived.
fn complete(raw: &[u8]) -> Result<Option<CallbackReply>, String> {
    let Some(h) = parse_head(raw)? else {
        return Ok(None);
    };
    let rest = &raw[h.body_start..];
    // These statuses never carry a body, whatever the headers say.
    let body = if h.status == 204 || h.status == 304 {
        Vec::new()
    } else if h.chunked {
        match dechunk(rest) {
            Some(b) => b,
            None => return Ok(None),
        }
    } else if let Some(len) = h.content_length {
        match rest.get(..len) {
            Some(b) => b.to_vec(),
            None => return Ok(None),
        }
    } else {
        // No length: the body runs to the end of the connection.
        return Ok(None);
    };
    Ok(Some(reply(h.status, &body)))
}

fn at_eof(raw: &[u8]) -> Result<CallbackReply, String> {
    let h = parse_head(raw)?.ok_or_else(|| "connection closed before an answer".to_owned())?;
    let rest = &raw[h.body_start..];
    let body = match (h.chunked, h.content_length) {
        (true, _) => dechunk(rest).unwrap_or_else(|| rest.to_vec()),
        (false, Some(len)) => rest[..len.min(rest.len())].to_vec(),
        (false, None) => rest.to_vec(),
    };
    Ok(reply(h.status, &body))
}

fn reply(status: u16, body: &[u8]) -> CallbackReply {
    CallbackReply {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
        challenge: None,
    }
}

/// Decodes a chunked body; `None` until the last chunk has arrived.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_like_a_request_needs() {
        let u = parse_url("http://127.0.0.1:8080/cb?a=1&b=2").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 8080));
        assert_eq!(u.target(), "/cb?a=1&b=2");
        let u = parse_url("HTTPS://Example.com?x").unwrap();
        assert!(u.https);
        assert_eq!((u.port, u.path.as_str()), (443, "/"));
        assert_eq!(u.query.as_deref(), Some("x"));
        let u = parse_url("http://[::1]:9/").unwrap();
        assert_eq!((u.host.as_str(), u.authority.as_str()), ("::1", "[::1]:9"));
        for bad in [
            "",
            "ftp://x/",
            "http://",
            "http:///cb",
            "http://x:0/",
            "http://x:99999/",
            "http://u@x/",
            "http://x/a b",
            "http://x/#f",
            "http://x<y>/",
        ] {
            assert!(parse_url(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn answers_are_complete_only_when_whole() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel";
        assert!(complete(raw).unwrap().is_none());
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(complete(raw).unwrap().unwrap().body, "hello");
        let raw =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let r = complete(raw).unwrap().unwrap();
        assert_eq!((r.status, r.body.as_str()), (404, "abc"));
        assert!(complete(b"garbage\r\n\r\n").is_err());
        let r = complete(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((r.status, r.body.as_str()), (204, ""));
        let r = at_eof(b"HTTP/1.0 200 OK\r\n\r\nto the end").unwrap();
        assert_eq!(r.body, "to the end");
        assert!(at_eof(b"HTTP/1.1 20").is_err());
    }
}
