//! The absolute links a feed carries: itself, the dashboard view it mirrors, its next page.
//!
//! The base is `PUBLIC_BASE_URL` when set (a custom domain). Otherwise it is the host the
//! request came to: CloudFront's viewer host, which the distribution's function passes on as
//! `X-Forwarded-Host` (API Gateway only ever sees its own host), or `Host`. A host is used
//! only when it looks like one, so a forged header cannot put markup or a path in a link.

use axum::http::{HeaderMap, header};

pub(crate) struct Links {
    /// This document, as asked for.
    pub self_url: String,
    /// The dashboard showing the same view.
    pub html: String,
    /// The other format of the same view.
    pub sibling: String,
    pub next: Option<String>,
}

impl Links {
    pub fn new(base: &str, path: &str, raw: Option<&str>, next_token: Option<&str>) -> Self {
        let view = without(raw, &["page_token"]);
        let sibling_path = if path == "/feed.atom" {
            "/feed.json"
        } else {
            "/feed.atom"
        };
        Self {
            self_url: url(base, path, &without(raw, &[])),
            html: url(base, "/", &dashboard_query(raw)),
            sibling: url(base, sibling_path, &view),
            next: next_token.map(|t| {
                let mut q = form_urlencoded::Serializer::new(String::new());
                q.extend_pairs(pairs(Some(&view)));
                q.append_pair("page_token", t);
                url(base, path, &q.finish())
            }),
        }
    }
}

fn url(base: &str, path: &str, query: &str) -> String {
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|r| {
        form_urlencoded::parse(r.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// The query re-encoded without `drop`'s parameters (and so in one canonical encoding).
fn without(raw: Option<&str>, drop: &[&str]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(
        pairs(raw)
            .into_iter()
            .filter(|(k, _)| !drop.contains(&k.as_str())),
    );
    q.finish()
}

/// The dashboard's own words for the same view (`channel`, `from`, `order=oldest`...). What
/// it cannot show (a page token, its own page size, exact-second bounds, `shorts=only`,
/// minute bounds on the length) is left out: the page shows the nearest view it has.
fn dashboard_query(raw: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs(raw) {
        let day = || {
            v.get(..10)
                .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        };
        let (name, value) = match k.as_str() {
            "topic" | "q" | "duration" | "lang" => (k.as_str(), Some(v.as_str())),
            "shorts" => ("shorts", (v == "exclude").then_some("exclude")),
            "channel_id" => ("channel", Some(v.as_str())),
            "order" => ("order", (v == "asc").then_some("oldest")),
            "published_after" => ("from", day()),
            "published_before" => ("to", day()),
            _ => continue,
        };
        if let Some(value) = value {
            q.append_pair(name, value);
        }
    }
    q.finish()
}

/// `scheme://host` for the links; no trailing slash.
pub(crate) fn base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(b) = configured {
        return b.trim_end_matches('/').to_owned();
    }
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let host = get("x-forwarded-host")
        .filter(|h| is_host(h))
        .or_else(|| get(header::HOST.as_str()).filter(|h| is_host(h)));
    let scheme = match get("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        Some("http") => "http",
        _ if host.as_deref().is_some_and(is_local) => "http",
        _ => "https",
    };
    match host {
        Some(h) => format!("{scheme}://{h}"),
        // No usable host: links relative to wherever the reader fetched the feed.
        None => String::new(),
    }
}

/// A DNS name or IP literal with an optional port: nothing that could end the attribute or
/// start a path.
fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

fn is_local(h: &str) -> bool {
    let name = h.rsplit_once(':').map_or(h, |(n, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            n
        } else {
            h
        }
    });
    matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_base_is_the_configured_one_then_the_viewers_host_then_host() {
        let cdn = headers(&[
            ("host", "abc.execute-api.eu-west-1.amazonaws.com"),
            ("x-forwarded-host", "d111.cloudfront.net"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(base_url(None, &cdn), "https://d111.cloudfront.net");
        assert_eq!(
            base_url(Some("https://videos.example.org/"), &cdn),
            "https://videos.example.org"
        );
        let api = headers(&[("host", "abc.execute-api.eu-west-1.amazonaws.com")]);
        assert_eq!(
            base_url(None, &api),
            "https://abc.execute-api.eu-west-1.amazonaws.com"
        );
        let local = headers(&[("host", "127.0.0.1:9000")]);
        assert_eq!(base_url(None, &local), "http://127.0.0.1:9000");
    }

    #[test]
    fn a_forged_host_is_not_put_in_a_link() {
        for forged in ["evil.example/\"><script>", "a b", "x/y", ""] {
            let h = headers(&[("host", "ok.example"), ("x-forwarded-host", forged)]);
            assert_eq!(base_url(None, &h), "https://ok.example", "{forged}");
        }
        assert_eq!(base_url(None, &headers(&[("host", "a\"b")])), "");
    }

    #[test]
    fn links_keep_the_view_and_page_with_the_token() {
        let l = Links::new(
            "https://t.example",
            "/feed.atom",
            Some("topic=cricket&q=kohli%27s&page_token=OLD&limit=10"),
            Some("NEXT+/="),
        );
        assert_eq!(
            l.self_url,
            "https://t.example/feed.atom?topic=cricket&q=kohli%27s&page_token=OLD&limit=10"
        );
        assert_eq!(l.html, "https://t.example/?topic=cricket&q=kohli%27s");
        let view = Links::new(
            "",
            "/feed.json",
            Some(
                "channel_id=UCx&order=asc&published_after=2026-11-02T00:00:00Z&published_before=junk&shorts=only&duration=long&lang=hi",
            ),
            None,
        );
        assert_eq!(
            view.html,
            "/?channel=UCx&order=oldest&from=2026-11-02&duration=long&lang=hi"
        );
        assert_eq!(
            l.sibling,
            "https://t.example/feed.json?topic=cricket&q=kohli%27s&limit=10"
        );
        assert_eq!(
            l.next.as_deref(),
            Some(
                "https://t.example/feed.atom?topic=cricket&q=kohli%27s&limit=10&page_token=NEXT%2B%2F%3D"
            )
        );
        let bare = Links::new("", "/feed.json", None, None);
        assert_eq!(bare.self_url, "/feed.json");
        assert_eq!(bare.html, "/");
        assert!(bare.next.is_none());
    }
}
