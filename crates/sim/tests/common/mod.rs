//! A minimal HTTP/1.1 client over a plain TCP stream, so the tests need no HTTP client crate
//! and see the exact bytes the simulator sends.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use youtube_sim::{ClockMode, SimConfig, SimControl, SimHandle};

pub const KEY: &str = "sim-key-1";
pub const KEY2: &str = "sim-key-2";

/// 2026-03-10 12:00:00 UTC (05:00 in Los Angeles, PDT).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
}

pub fn manual(cfg: SimConfig) -> SimConfig {
    SimConfig {
        clock: ClockMode::Manual(t0()),
        ..cfg
    }
}

pub async fn start(cfg: SimConfig) -> (SimHandle, SimControl) {
    let h = SimHandle::start(cfg).await.unwrap();
    let c = h.control();
    (h, c)
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `error.errors[0].reason`, or "" for a success.
    pub fn reason(&self) -> String {
        self.json()["error"]["errors"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn video_ids(&self) -> Vec<String> {
        self.json()["items"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|i| i["id"]["videoId"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn next(&self) -> Option<String> {
        self.json()["nextPageToken"].as_str().map(str::to_owned)
    }

    pub fn prev(&self) -> Option<String> {
        self.json()["prevPageToken"].as_str().map(str::to_owned)
    }
}

pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `{base}/search?...` with the given parameters, percent-encoded.
pub fn search_url(base: &str, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{base}/search?{}", q.join("&"))
}

/// The usual fetcher query, newest first.
pub async fn search(base: &str, extra: &[(&str, &str)]) -> Resp {
    let mut params = vec![
        ("part", "snippet"),
        ("type", "video"),
        ("order", "date"),
        ("key", KEY),
    ];
    params.extend_from_slice(extra);
    get(&search_url(base, &params)).await
}

pub async fn get(url: &str) -> Resp {
    request("GET", url, None).await
}

pub async fn send_json(method: &str, url: &str, body: &Value) -> Resp {
    request(method, url, Some(&body.to_string())).await
}

pub async fn request(method: &str, url: &str, body: Option<&str>) -> Resp {
    request_with_headers(method, url, body, &[]).await
}

/// A GET with extra request headers (validators such as `If-None-Match`).
pub async fn get_with_headers(url: &str, headers: &[(&str, &str)]) -> Resp {
    request_with_headers("GET", url, None, headers).await
}

pub async fn request_with_headers(
    method: &str,
    url: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Resp {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw)
}

/// A POST of `application/x-www-form-urlencoded` pairs (what a WebSub hub takes).
pub async fn post_form(url: &str, pairs: &[(&str, &str)]) -> Resp {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let body = body.join("&");
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8(body).expect("utf-8 body"),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_str = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_str.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
