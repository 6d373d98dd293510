//! The API's one error type and its one mapping to HTTP.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter (or path segment) the client got wrong.
    #[error("invalid {param}: {detail}")]
    BadParam { param: &'static str, detail: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request refused whatever its parameters: an unsigned or forged WebSub push.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A request body over the route's limit (in bytes).
    #[error("body over {0} bytes")]
    PayloadTooLarge(usize),
    /// A request body that is not what the route takes.
    #[error("malformed body: {0}")]
    MalformedBody(String),
    /// This process read as many searches as it may this second.
    #[error("too many searches right now")]
    TooManyRequests,
    /// The store refused the query as too large or complex for it. Every limit the parameters
    /// can reach is checked before (so this should not happen); if one is missed, the client
    /// still gets a 400 it can act on, and the log says which request.
    #[error("query refused by the store: {0}")]
    TooComplex(String),
    /// The store cannot be reached right now (down, timing out, throttling). Logged where it
    /// happens; the client is told to come back, without the internals.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else. Logged with its context where it happens; the client sees nothing of it.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a client is asked to wait after a `503`.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ApiError {
    /// The one mapping of store failures: unreachable is a 503 the client may retry, a page
    /// position the store cannot continue from is the client's `page_token`, anything else is
    /// an opaque 500.
    pub fn from_store(context: &str, e: tubefeed_core::StoreError) -> Self {
        use tubefeed_core::StoreError;
        match e {
            StoreError::Unavailable(m) => Self::Unavailable(format!("{context}: {m}")),
            StoreError::InvalidCursor(why) => Self::bad("page_token", why),
            StoreError::Rejected(m) => Self::TooComplex(format!("{context}: {m}")),
            e => Self::Internal(format!("{context}: {e}")),
        }
    }

    pub fn bad(param: &'static str, detail: impl Into<String>) -> Self {
        Self::BadParam {
            param,
            detail: detail.into(),
        }
    }
}

/// RFC 9457 problem details.
#[derive(Serialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'static str>,
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, title: &'static str) -> Self {
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail: None,
            parameter: None,
        }
    }

    fn detail(self, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..self
        }
    }
}

impl ApiError {
    /// What the client is told. Failures of ours are logged here, once, with what the client
    /// is not told.
    fn problem(&self) -> Problem {
        match self {
            ApiError::BadParam { param, detail } => Problem {
                parameter: Some(*param),
                ..Problem::new(
                    StatusCode::BAD_REQUEST,
                    "/problems/invalid-parameter",
                    "Invalid parameter",
                )
                .detail(format!("{param}: {detail}"))
            },
            ApiError::NotFound(what) => {
                Problem::new(StatusCode::NOT_FOUND, "/problems/not-found", "Not found")
                    .detail(what.clone())
            }
            ApiError::MethodNotAllowed => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "/problems/method-not-allowed",
                "Method not allowed",
            )
            .detail("this API answers GET, HEAD and OPTIONS (and POST at /websub)"),
            ApiError::Forbidden(why) => {
                Problem::new(StatusCode::FORBIDDEN, "/problems/forbidden", "Forbidden").detail(*why)
            }
            ApiError::PayloadTooLarge(max) => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/payload-too-large",
                "Payload too large",
            )
            .detail(format!("the body may be at most {max} bytes")),
            ApiError::MalformedBody(why) => Problem::new(
                StatusCode::BAD_REQUEST,
                "/problems/malformed-body",
                "Malformed body",
            )
            .detail(why.clone()),
            ApiError::TooManyRequests => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/too-many-searches",
                "Too many searches",
            )
            .detail("searches are capped per second; try again in a second"),
            ApiError::TooComplex(e) => {
                tracing::warn!(error = %e, "the store refused a query as invalid");
                Problem::new(StatusCode::BAD_REQUEST, "/problems/query-too-complex", "Query too complex")
                    .detail("the store refused this query as too large; use fewer words in q or fewer filters")
            }
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %e, "store unavailable");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "/problems/store-unavailable", "Service Unavailable")
                    .detail(format!(
                        "the video store cannot be reached right now; try again in {RETRY_AFTER_SECONDS} seconds"
                    ))
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "about:blank",
                    "Internal Server Error",
                )
            }
        }
    }

    /// Seconds to wait before trying again, for the answers where trying again helps.
    fn retry_after(&self) -> Option<u32> {
        match self {
            ApiError::Unavailable(_) => Some(RETRY_AFTER_SECONDS),
            ApiError::TooManyRequests => Some(1),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (status, bytes).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        resp
    }
}
