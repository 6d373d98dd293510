//! Every API Gateway v2 request in `events/` goes through the same router the Lambda runs,
//! backed by an in-memory store: what `cargo lambda invoke` would send is what is tested.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use tower::ServiceExt;
use tubefeed_core::fakes::MemStore;
use tubefeed_core::{ChannelId, KeyPoolCounts, Topic, Video, VideoId, VideoStore};

fn video(id: &str, title: &str, minute: i64) -> Video {
    Video {
        id: VideoId::parse(id).unwrap(),
        title: title.into(),
        description: "cricket highlights".into(),
        published_at: Utc
            .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::minutes(minute),
        channel_id: ChannelId::parse("UCabc").unwrap(),
        channel_title: "Chan".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

async fn router() -> axum::Router {
    let mut vids = vec![video("dQw4w9WgXcQ", "How to make tea?", 0)];
    for i in 1..=12 {
        vids.push(video(
            &format!("vid{i:08}"),
            &format!("Cricket match {i}"),
            i,
        ));
    }
    let store = MemStore::default();
    let topic = Topic::parse("cricket").unwrap();
    store.upsert(&topic, &vids, Utc::now()).await.unwrap();
    store.set_key_pool(KeyPoolCounts {
        total: 2,
        available: 2,
        ..Default::default()
    });
    let state = tubefeed_api::ApiState::new(
        store,
        tubefeed_api::TokenCodec::new(b"test-secret-0123456789"),
        tubefeed_api::ApiSettings {
            topics: Topic::parse_list("cricket").unwrap(),
            first_page_ttl: Duration::ZERO,
            ..Default::default()
        },
    );
    tubefeed_api::router(Arc::new(state))
}

async fn call(event: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let path = format!("{}/../../events/{event}", env!("CARGO_MANIFEST_DIR"));
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let req = lambda_http::request::from_str(&json).unwrap_or_else(|e| panic!("{event}: {e}"));
    let resp = router().await.oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
    (parts.status, parts.headers, bytes)
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

#[tokio::test]
async fn videos() {
    let (status, headers, body) = call("api-videos.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers.contains_key("etag"));
    assert_eq!(headers["cache-control"], "public, max-age=15");
    let v = json(&body);
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    assert_eq!(v["items"][0]["title"], "Cricket match 12");
    assert_eq!(
        v["items"][0]["url"],
        "https://www.youtube.com/watch?v=vid00000012"
    );
    assert!(v["next_page_token"].is_string());
}

#[tokio::test]
async fn videos_filtered() {
    let (status, _, body) = call("api-videos-filtered.json").await;
    assert_eq!(status, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["items"][0]["id"], "dQw4w9WgXcQ", "oldest first");
    assert_eq!(v["items"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn search() {
    let (status, _, body) = call("api-search.json").await;
    assert_eq!(status, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["title"], "How to make tea?");
    assert!(v["next_page_token"].is_null());
}

#[tokio::test]
async fn one_video_and_not_found() {
    let (status, headers, body) = call("api-video.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert_eq!(json(&body)["id"], "dQw4w9WgXcQ");
}

#[tokio::test]
async fn health_and_openapi() {
    let (status, headers, body) = call("api-health.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "public, max-age=5");
    let v = json(&body);
    assert_eq!(v["topics"][0]["topic"], "cricket");
    assert!(v.get("keys").is_none(), "key counts are for operators: {v}");
    let (status, _, body) = call("api-openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["openapi"], "3.1.0");
}

#[tokio::test]
async fn bad_limit_is_a_problem() {
    let (status, headers, body) = call("api-bad-limit.json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["content-type"], "application/problem+json");
    let v = json(&body);
    assert_eq!(v["status"], 400);
    assert_eq!(v["parameter"], "limit");
    assert!(v["detail"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn compressed_when_asked() {
    let (status, headers, body) = call("api-videos-gzip.json").await;
    assert_eq!(status, StatusCode::OK);
    let enc = headers["content-encoding"].to_str().unwrap();
    // gzip only: a brotli encoder would add ~1 MB to the bootstrap (docs/figures.md).
    assert_eq!(enc, "gzip");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_err(),
        "body is compressed"
    );
}

#[tokio::test]
async fn dashboard() {
    let (status, headers, body) = call("api-dashboard.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<title>tubefeed</title>"));
}
