//! A topic's life after `SEARCH_QUERIES`: while `ARCHIVED_TOPICS` lists it, its stored videos
//! stay readable through every list route (and the OpenAPI names it); once it is in neither,
//! a request for it answers a 400 problem that says why. `/health` reports followed topics only.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use serde_json::Value;
use tower::ServiceExt;
use tubefeed_api::{ApiSettings, ApiState, TokenCodec};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::{ChannelId, Topic, Video, VideoId, VideoStore};

fn topic(name: &str) -> Topic {
    Topic::parse(name).unwrap()
}

fn video(id: &str, title: &str) -> Video {
    Video {
        id: VideoId::parse(id).unwrap(),
        title: title.to_owned(),
        description: String::new(),
        published_at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        channel_id: ChannelId::parse("UCtopicslifecycle0000001").unwrap(),
        channel_title: "Channel".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

/// cricket is followed; golf was followed once and is archived; chess was dropped outright.
async fn app() -> axum::Router {
    let store = MemStore::default();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    for (t, id, title) in [
        ("cricket", "cricketvid1", "cricket final"),
        ("golf", "golfvideo01", "golf open highlights"),
        ("chess", "chessvideo1", "chess blitz"),
    ] {
        store
            .upsert(&topic(t), &[video(id, title)], now)
            .await
            .unwrap();
    }
    let state = ApiState::new(
        store,
        TokenCodec::new(b"topics-test-secret-0123456789-0123456789"),
        ApiSettings {
            topics: vec![topic("cricket")],
            archived_topics: vec![topic("golf")],
            first_page_ttl: Duration::ZERO,
            ..Default::default()
        },
    );
    tubefeed_api::router(Arc::new(state))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn ids(body: &Value) -> Vec<&str> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_archived_topic_stays_readable_on_every_list_route() {
    let app = app().await;
    let (s, body) = get(&app, "/videos?topic=golf").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(ids(&body), ["golfvideo01"]);
    let (s, body) = get(&app, "/search?topic=golf&q=highl").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(ids(&body), ["golfvideo01"]);
    let (s, body) = get(&app, "/feed.json?topic=golf").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    // Without a topic, the first followed one, as before.
    let (_, body) = get(&app, "/videos").await;
    assert_eq!(ids(&body), ["cricketvid1"]);
    // The OpenAPI's topic list names both; /health only the followed one.
    let (_, api) = get(&app, "/openapi.json").await;
    let text = api.to_string();
    assert!(text.contains("\"golf\"") && text.contains("\"cricket\""));
    assert!(!text.contains("\"chess\""));
    let (_, health) = get(&app, "/health").await;
    let topics: Vec<&str> = health["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["cricket"]);
}

#[tokio::test]
async fn a_topic_in_neither_list_answers_a_problem_naming_why() {
    let app = app().await;
    let (s, problem) = get(&app, "/videos?topic=chess").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("\"chess\""), "{detail}");
    assert!(detail.contains("cricket, golf"), "{detail}");
    assert!(detail.contains("ARCHIVED_TOPICS"), "{detail}");
}
