//! Answers with ETags: `304 Not Modified` when the client has the body already.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub(crate) fn json_body(bytes: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(bytes));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An answer with a (weak) ETag of its body; `304 Not Modified` when the client already has it.
pub(crate) fn cached_response(
    req_headers: &HeaderMap,
    bytes: Vec<u8>,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let digest = Sha256::digest(&bytes);
    let etag: String = format!(
        "\"{}\"",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    // Weak: the compression layer may send this body gzip-encoded or plain under the same tag,
    // and a strong validator would have to differ per content-coding (RFC 9110 §8.8.1).
    let etag_value = HeaderValue::from_str(&format!("W/{etag}"))
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
    let matches = req_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag);
    let mut resp = if matches {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    resp.headers_mut().insert(header::ETAG, etag_value);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp.into_response()
}
