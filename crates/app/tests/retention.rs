//! Retention through the real router on DynamoDB Local: a video past its topic's retention is
//! served by no list, search, feed or single read — while TTL has not deleted it yet and after
//! it has — and `reindex` gives stored videos the TTL time of the retention in force.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use tower::ServiceExt;
use tubefeed_api::{ApiSettings, ApiState, TokenCodec};
use tubefeed_core::{ChannelId, Retention, Topic, Video, VideoId, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;

const DAYS: u32 = 30;

fn topic() -> Topic {
    Topic::parse("cricket").unwrap()
}

/// `age_hours` old: the first ones within 30 days, `aged` ones past them.
fn video(i: usize, age_hours: i64) -> Video {
    Video {
        id: VideoId::parse(&format!("r{i:010}")).unwrap(),
        title: format!("retained wicket {i}"),
        description: "kept for a while".into(),
        published_at: Utc::now() - Duration::hours(age_hours),
        channel_id: ChannelId::parse("UCretentionchannel0000").unwrap(),
        channel_title: "Retention".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

fn app(store: &DynamoStore) -> axum::Router {
    let state = ApiState::new(
        store.clone(),
        TokenCodec::new(b"retention-test-secret-0123456789-0123456789"),
        ApiSettings {
            topics: vec![topic()],
            first_page_ttl: StdDuration::ZERO,
            ..Default::default()
        },
    );
    tubefeed_api::router(Arc::new(state))
}

async fn body(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Which of `ids` each route shows, walking lists to their end.
async fn shown(app: &axum::Router, ids: &[String]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for route in [
        "/videos?limit=3",
        "/videos?limit=3&order=asc",
        "/search?q=wicket&limit=3",
        "/feed.atom",
        "/feed.json",
    ] {
        let mut text = String::new();
        let mut uri = route.to_owned();
        for _ in 0..20 {
            let (status, b) = body(app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {b}");
            text.push_str(&b);
            let token = serde_json::from_str::<serde_json::Value>(&b)
                .ok()
                .and_then(|v| v["next_page_token"].as_str().map(str::to_owned));
            match token {
                Some(t) => uri = format!("{route}&page_token={t}"),
                None => break,
            }
        }
        let found = ids
            .iter()
            .filter(|id| text.contains(id.as_str()))
            .cloned()
            .collect();
        out.push((route.to_owned(), found));
    }
    let mut single = Vec::new();
    for id in ids {
        if body(app, &format!("/videos/{id}")).await.0 == StatusCode::OK {
            single.push(id.clone());
        }
    }
    out.push(("/videos/{id}".into(), single));
    out
}

/// What TTL does, done now: delete every item whose `expires_at` has passed.
async fn ttl_sweep(store: &DynamoStore) -> usize {
    let now = Utc::now().timestamp();
    let items = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let mut deleted = 0;
    for item in items {
        let expired = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .is_some_and(|t| t <= now);
        if expired {
            store
                .client()
                .delete_item()
                .table_name(store.table())
                .key("pk", item["pk"].clone())
                .key("sk", item["sk"].clone())
                .send()
                .await
                .unwrap();
            deleted += 1;
        }
    }
    deleted
}

async fn expires_at(store: &DynamoStore, id: &str) -> Option<i64> {
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("V#{id}")))
        .key("sk", AttributeValue::S("T#cricket".into()))
        .send()
        .await
        .unwrap()
        .item?;
    item.get("expires_at")?.as_n().ok()?.parse().ok()
}

#[tokio::test]
async fn expired_videos_are_never_served_before_or_after_ttl_deletes_them() {
    let keep = fresh_store().await;
    // Stored while the deployment kept everything: 5 recent, 4 older than 30 days.
    let recent: Vec<Video> = (0..5).map(|i| video(i, 2 + i as i64 * 24)).collect();
    let aged: Vec<Video> = (5..9).map(|i| video(i, 24 * 31 + i as i64)).collect();
    let all: Vec<Video> = recent.iter().chain(&aged).cloned().collect();
    keep.upsert(&topic(), &all, Utc::now()).await.unwrap();
    let ids: Vec<String> = all.iter().map(|v| v.id.to_string()).collect();
    let recent_ids: Vec<String> = ids[..5].to_vec();

    let everything = shown(&app(&keep), &ids).await;
    assert!(
        everything.iter().all(|(_, f)| f.len() == 9),
        "{everything:?}"
    );

    // RETENTION_DAYS=30 deployed: reads cut at once, before any TTL time is even written.
    let expire = keep.with_retention(Retention::new(Some(DAYS), []));
    for (route, found) in shown(&app(&expire), &ids).await {
        assert_eq!(found, recent_ids, "{route} before TTL");
    }

    // `tubefeed reindex` writes the TTL times of the retention in force...
    let out = expire.reindex(&topic()).await.unwrap();
    assert_eq!((out.videos, out.retention_updates), (9, 9));
    let want = recent[0].published_at + Duration::days(i64::from(DAYS));
    assert_eq!(
        expires_at(&expire, recent[0].id.as_str()).await,
        Some(want.timestamp())
    );
    // ...TTL deletes the aged videos and their search entries...
    let deleted = ttl_sweep(&expire).await;
    assert!(deleted >= 4 * 2, "items and entries deleted: {deleted}");
    assert_eq!(expires_at(&expire, aged[0].id.as_str()).await, None);
    // ...and the answers stay the same.
    for (route, found) in shown(&app(&expire), &ids).await {
        assert_eq!(found, recent_ids, "{route} after TTL");
    }

    // A video already past retention is not stored again when search returns it.
    let o = expire
        .upsert(&topic(), &aged[..1], Utc::now())
        .await
        .unwrap();
    assert_eq!((o.new, o.expired), (0, 1));
    // Retention removed: reindex takes the TTL times away again.
    let forever = expire.with_retention(Retention::forever());
    let out = forever.reindex(&topic()).await.unwrap();
    assert_eq!((out.videos, out.retention_updates), (5, 5));
    assert_eq!(expires_at(&forever, recent[0].id.as_str()).await, None);
}
