//! The API while DynamoDB is down: `503` problem+json with `Retry-After` (never an opaque 500),
//! and answers again by itself once the store is back, on the same data.

mod common;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use tubefeed_core::{ChannelId, Topic, Video, VideoId, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::OwnDynamo;

#[tokio::test]
async fn api_answers_503_with_retry_after_while_dynamodb_is_down_and_recovers() {
    let mut ddb = OwnDynamo::start().await;
    let client = ddb.client();
    let table = "outage";
    let store = DynamoStore::new(client, table);
    tubefeed_dynamo::create_table(&store).await.unwrap();
    let topic = Topic::parse("cricket").unwrap();
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap();
    let videos: Vec<Video> = (0..5)
        .map(|i| Video {
            id: VideoId::parse(&format!("outage{i:05}")).unwrap(),
            title: format!("How to make tea, part {i}"),
            description: String::new(),
            published_at: t0 + chrono::Duration::minutes(i),
            channel_id: ChannelId::parse("UCabc").unwrap(),
            channel_title: "Chan".into(),
            thumbnails: Default::default(),
            live_broadcast_content: Default::default(),
            details: None,
        })
        .collect();
    store.upsert(&topic, &videos, t0).await.unwrap();
    let (_server, base) = common::start_serve_on(&ddb.endpoint(), table, "cricket").await;
    let http = tubefeed_testkit::http_client();
    let paths = [
        "/videos?limit=3".to_owned(),
        "/search?q=tea".to_owned(),
        format!("/videos/{}", videos[0].id),
        "/health".to_owned(),
    ];
    for p in &paths {
        let r = http.get(format!("{base}{p}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{p} before the outage");
    }

    ddb.stop();
    // /health may answer from the warm process for 5 s (tubefeed_api::HEALTH_TTL): ask it
    // once that has run out.
    tokio::time::sleep(tubefeed_api::HEALTH_TTL + std::time::Duration::from_millis(200)).await;
    for p in &paths {
        let r = http.get(format!("{base}{p}")).send().await.unwrap();
        assert_eq!(r.status(), 503, "{p} while DynamoDB is down");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{p}"
        );
        assert_eq!(r.headers()["retry-after"], "5", "{p}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{p}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], 503);
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.contains("127.0.0.1") && !detail.to_lowercase().contains("dispatch"),
            "internals leaked: {detail}"
        );
    }

    ddb.restart().await;
    for p in &paths {
        let r = http.get(format!("{base}{p}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{p} after DynamoDB came back");
    }
    let r: Value = http
        .get(format!("{base}/videos?limit=50"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["items"].as_array().map(Vec::len),
        Some(5),
        "same data after the restart"
    );
}
