//! Faults on purpose: the store going away in the middle of a fetch run. After each fault,
//! nothing is lost, nothing is stored twice, the watermark is never ahead of what is stored, and
//! the next run (once the crashed run's lease has expired) recovers.

use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{ApiKey, FetchSettings, FetchStateStore, Fetcher, StaticKeyRing, Topic};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::OwnDynamo;
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, FaultPlan, SimConfig, SimHandle};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

/// Feed-index items of the topic, and how many distinct videos they are.
async fn stored(store: &DynamoStore) -> (usize, usize) {
    let mut ids = std::collections::HashSet::new();
    let mut items = 0;
    let mut start = None;
    loop {
        let out = store
            .client()
            .query()
            .table_name(store.table())
            .index_name("published_at")
            .key_condition_expression("feed_pk = :p")
            .expression_attribute_values(":p", AttributeValue::S("T#cricket".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for i in out.items.unwrap_or_default() {
            items += 1;
            if let Some(AttributeValue::S(id)) = i.get("id") {
                ids.insert(id.clone());
            }
        }
        start = out.last_evaluated_key;
        if start.is_none() {
            return (items, ids.len());
        }
    }
}

#[tokio::test]
async fn dynamodb_stopped_mid_run_and_restarted_loses_nothing() {
    let mut ddb = OwnDynamo::start().await;
    let table = "faults";
    tubefeed_dynamo::create_table(&ddb.client(), table)
        .await
        .unwrap();
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        // Each page takes a while, so the store can go away between two of them.
        faults: FaultPlan {
            slow_ms: Some(150),
            ..FaultPlan::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    ctl.add_burst(
        "cricket",
        300,
        t0() - Duration::hours(3),
        Duration::seconds(30),
    );
    let lease = StdDuration::from_secs(120);
    let fetcher = |store: DynamoStore| Fetcher {
        source: YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })
        .unwrap(),
        videos: store.clone(),
        state: store,
        keys: StaticKeyRing::new(vec![ApiKey::new("sim-key-1")], 10_000),
        settings: FetchSettings {
            backfill_pages: 20,
            lease_ttl: lease,
            ..Default::default()
        },
    };
    let topic = Topic::parse("cricket").unwrap();

    // Run 1: DynamoDB is killed once YouTube has answered two pages.
    let f1 = fetcher(DynamoStore::new(ddb.client(), table));
    let run = tokio::spawn({
        let topic = topic.clone();
        let now = ctl.now();
        async move { f1.run(&[topic], now).await }
    });
    while ctl.calls().total < 2 {
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    ddb.stop();
    let s1 = run.await.unwrap();
    assert!(
        !s1.ok,
        "a run whose store vanished must not report success: {s1:?}"
    );

    // Back on the same data. The crashed run's watermark (if any) is not ahead of what it stored.
    ddb.restart().await;
    let store = DynamoStore::new(ddb.client(), table);
    let (items, distinct) = stored(&store).await;
    assert_eq!(items, distinct, "a video stored twice");
    let state = store.load(&topic).await.unwrap();
    if let Some(w) = state.watermark {
        assert!(items > 0, "watermark {w} with nothing stored");
    }

    // Run 2, after the crashed run's lease has expired: everything, each video once.
    ctl.advance(Duration::seconds(lease.as_secs() as i64 + 1));
    ctl.set_faults(FaultPlan::default());
    let s2 = fetcher(store.clone())
        .run(std::slice::from_ref(&topic), ctl.now())
        .await;
    assert!(s2.ok, "{s2:?}");
    assert_eq!(stored(&store).await, (300, 300));
    let state = store.load(&topic).await.unwrap();
    assert_eq!(
        state.watermark,
        Some(t0() - Duration::hours(3) + Duration::seconds(30 * 299)),
        "the watermark is the newest stored video"
    );
}
