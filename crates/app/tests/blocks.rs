//! Blocked channels through the real router on DynamoDB Local: gone from the feed, searches,
//! the channel's own list, every filter and `/videos/{id}` — stored videos included — and back
//! after an unblock; the deployment's `BLOCKED_CHANNELS` hides the same way.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use tower::ServiceExt;
use tubefeed_api::{ApiSettings, ApiState, TokenCodec};
use tubefeed_core::{BlockedChannel, ChannelBlocks, ChannelId, Topic, Video, VideoId, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;

const SPAM: &str = "UCspamspamspamspamspam00";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn video(i: usize) -> Video {
    let spam = i % 3 == 0;
    Video {
        id: VideoId::parse(&format!("b{i:06}")).unwrap(),
        title: format!("cricket clip {i}"),
        description: String::new(),
        published_at: t0() - Duration::minutes(i as i64),
        channel_id: ChannelId::parse(if spam {
            SPAM
        } else {
            "UCgoodgoodgoodgoodgood00"
        })
        .unwrap(),
        channel_title: if spam { "Spam" } else { "Good" }.into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

/// A fresh router (a cold process: no blocks remembered) over `store`.
fn app(store: &DynamoStore, env_blocked: &[&str]) -> axum::Router {
    let state = ApiState::new(
        store.clone(),
        TokenCodec::new(b"blocks-test-secret-0123456789-0123456789"),
        ApiSettings {
            topics: vec![Topic::parse("cricket").unwrap()],
            first_page_ttl: StdDuration::ZERO,
            blocked_channels: env_blocked
                .iter()
                .map(|c| ChannelId::parse(c).unwrap())
                .collect(),
            ..Default::default()
        },
    );
    tubefeed_api::router(Arc::new(state))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// Every channel id a walk of `first` shows, page by page to the end.
async fn channels_of(app: &axum::Router, first: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut uri = first.to_owned();
    for _ in 0..100 {
        let (status, body) = get(app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        for v in body["items"].as_array().unwrap() {
            out.push(v["channel_id"].as_str().unwrap().to_owned());
        }
        match body["next_page_token"].as_str() {
            Some(t) => uri = format!("{first}&page_token={t}"),
            None => return out,
        }
    }
    panic!("{first}: the walk did not end");
}

const WALKS: [&str; 4] = [
    "/videos?limit=7",
    "/search?q=cricket+clip&limit=7",
    "/videos?limit=7&order=asc&shorts=exclude",
    "/videos?limit=7&q=clip",
];

#[tokio::test]
async fn a_block_hides_the_channel_everywhere_and_an_unblock_brings_it_back() {
    let store = fresh_store().await;
    let topic = Topic::parse("cricket").unwrap();
    let videos: Vec<Video> = (0..45).map(video).collect();
    store.upsert(&topic, &videos, t0()).await.unwrap();

    let before = app(&store, &[]);
    assert_eq!(channels_of(&before, WALKS[0]).await.len(), 45);

    store
        .block_channel(&BlockedChannel {
            channel_id: ChannelId::parse(SPAM).unwrap(),
            blocked_at: t0(),
            note: Some("reposts".into()),
        })
        .await
        .unwrap();
    let blocked = app(&store, &[]);
    for walk in WALKS {
        let seen = channels_of(&blocked, walk).await;
        assert_eq!(seen.len(), 30, "{walk}");
        assert!(seen.iter().all(|c| c != SPAM), "{walk}");
    }
    let (_, own) = get(&blocked, &format!("/videos?channel_id={SPAM}")).await;
    assert_eq!(
        own["items"].as_array().unwrap().len(),
        0,
        "its own list is empty too"
    );
    let (status, _) = get(&blocked, "/videos/b000003").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "and a video of it, by id");
    let (status, _) = get(&blocked, "/videos/b000004").await;
    assert_eq!(status, StatusCode::OK);

    assert!(
        store
            .unblock_channel(&ChannelId::parse(SPAM).unwrap())
            .await
            .unwrap()
    );
    let after = app(&store, &[]);
    assert_eq!(
        channels_of(&after, WALKS[1]).await.len(),
        45,
        "back after the unblock"
    );

    // The deployment's list hides the same way, with nothing in the table.
    let env = app(&store, &[SPAM]);
    let seen = channels_of(&env, WALKS[0]).await;
    assert_eq!(seen.len(), 30);
}
