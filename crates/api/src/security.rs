//! What every response carries for the browser's sake, and what a panic turns into.
//!
//! The API is public: a JSON body must never be sniffed as HTML, no page may frame ours, and no
//! answer leaks the URL it was read from. Each content type gets the Content-Security-Policy
//! that fits it: none at all may load or run for JSON, problems and OpenAPI; the dashboard may
//! run exactly its own inline script and style (by hash, not `'unsafe-inline'`), show YouTube's
//! thumbnails and call this API.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// For every non-HTML answer: nothing may load, run or frame it.
const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the headers every response carries (a handler's own CSP stays).
pub async fn secure_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DATA_CSP),
        );
    }
    resp
}

/// The dashboard's policy: its one inline script and one inline style, by their SHA-256.
pub fn dashboard_csp() -> HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let html = crate::DASHBOARD_HTML;
        let hashes = |tag: &str| -> String {
            inline_blocks(html, tag)
                .map(|body| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(body))))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let policy = format!(
            "default-src 'none'; script-src {}; style-src {}; img-src https://i.ytimg.com; \
             connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            hashes("script"),
            hashes("style")
        );
        HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(DATA_CSP))
    })
    .clone()
}

/// The exact text between `<tag>` and `</tag>`, for each such element (the bytes a browser
/// hashes for a CSP source).
fn inline_blocks<'a>(html: &'a str, tag: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut rest = html;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let body = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(body)
    })
}

/// A handler that panicked: a logged 500 problem, never a dropped connection.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    ApiError::Internal(format!("handler panicked: {what}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_policy_names_its_blocks_by_hash() {
        let csp = dashboard_csp();
        let csp = csp.to_str().unwrap();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        let blocks: Vec<&str> =
            inline_blocks("<p><script>a()</script><script>b</script>", "script").collect();
        assert_eq!(blocks, ["a()", "b"]);
    }
}
