//! The public edge's promises that hold whatever the store does: every response carries the
//! browser-safety headers its content type needs, and a handler that panics answers a logged
//! 500 problem instead of dropping the connection.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use tubefeed_api::{ApiSettings, ApiState, TokenCodec};
use tubefeed_core::{
    Cursor, FeedPage, FeedQuery, FeedReader, FetchState, StoreError, Topic, Video, VideoId,
};

/// A store whose feed page panics (as a bug would) and which holds nothing else.
struct Panicky;

impl FeedReader for Panicky {
    async fn page(&self, _q: &FeedQuery, _s: Option<&Cursor>) -> Result<FeedPage, StoreError> {
        panic!("a bug in the read path")
    }
    async fn video(&self, _id: &VideoId) -> Result<Option<Video>, StoreError> {
        Ok(None)
    }
    async fn fetch_states(&self, topics: &[Topic]) -> Result<Vec<(Topic, FetchState)>, StoreError> {
        Ok(topics
            .iter()
            .map(|t| (t.clone(), FetchState::default()))
            .collect())
    }
}

fn app() -> axum::Router {
    let state = ApiState::new(
        Panicky,
        TokenCodec::new(b"edge-test-secret-0123456789-0123456789"),
        ApiSettings {
            topics: vec![Topic::parse("cricket").unwrap()],
            first_page_ttl: Duration::ZERO,
            ..Default::default()
        },
    );
    tubefeed_api::router(Arc::new(state))
}

async fn get(uri: &str) -> axum::response::Response {
    app()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_panicking_handler_answers_a_500_problem() {
    let resp = get("/videos").await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 500);
    assert!(
        !String::from_utf8_lossy(&body).contains("bug"),
        "opaque: {problem}"
    );
}

#[tokio::test]
async fn every_response_carries_the_headers_its_content_needs() {
    for (uri, status) in [
        ("/videos", StatusCode::INTERNAL_SERVER_ERROR),
        ("/videos?limit=0", StatusCode::BAD_REQUEST),
        ("/videos/nope", StatusCode::NOT_FOUND),
        ("/health", StatusCode::OK),
        ("/openapi.json", StatusCode::OK),
        ("/no/such/route", StatusCode::NOT_FOUND),
        ("/", StatusCode::OK),
    ] {
        let resp = get(uri).await;
        assert_eq!(resp.status(), status, "{uri}");
        let h = resp.headers();
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{uri}");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{uri}: {csp}");
        if uri == "/" {
            assert!(csp.contains("script-src 'sha256-"), "{csp}");
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{uri}: {csp}");
        }
    }
}
