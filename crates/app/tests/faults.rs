//! Faults on purpose: the store going away in the middle of a fetch run. After each fault,
//! nothing is lost, nothing is stored twice, the watermark is never ahead of what is stored, and
//! the next run (once the crashed run's lease has expired) recovers.

use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{
    ApiKey, FetchSettings, FetchStateStore, Fetcher, SkipReason, StaticKeyRing, Topic,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{OwnDynamo, quick_retries};
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, FaultPlan, SimConfig, SimHandle};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

/// (feed-index items, distinct videos) of the topic.
async fn stored(store: &DynamoStore) -> (usize, usize) {
    tubefeed_testkit::feed_counts(store.client(), store.table(), "cricket").await
}

#[tokio::test]
async fn dynamodb_stopped_mid_run_and_restarted_loses_nothing() {
    let mut ddb = OwnDynamo::start().await;
    let table = "faults";
    tubefeed_dynamo::create_table(&DynamoStore::new(ddb.client(), table))
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
    // History the first, clean run reads whole; then a burst it has not seen.
    ctl.add_burst(
        "cricket",
        100,
        t0() - Duration::hours(4),
        Duration::seconds(30),
    );
    let w0 = t0() - Duration::hours(4) + Duration::seconds(30 * 99);
    let lease = StdDuration::from_secs(120);
    let fetcher = |store: DynamoStore| {
        Fetcher::new(
            YouTubeClient::new(ClientSettings {
                base_url: sim.base_url.clone(),
                ..Default::default()
            })
            .unwrap(),
            store,
            StaticKeyRing::new(vec![ApiKey::new("sim-key-1")], 10_000),
            FetchSettings {
                backfill_pages: 20,
                lease_ttl: lease,
                ..Default::default()
            },
        )
    };
    let topic = Topic::parse("cricket").unwrap();

    // Run 0, clean: the history, and a watermark at its newest video.
    let s0 = fetcher(DynamoStore::new(ddb.client(), table))
        .run(std::slice::from_ref(&topic), ctl.now())
        .await;
    assert!(s0.ok, "{s0:?}");
    let store = DynamoStore::new(ddb.client(), table);
    assert_eq!(store.load(&topic).await.unwrap().watermark, Some(w0));

    // Run 1: 300 new videos; DynamoDB is killed once YouTube has answered two more pages.
    ctl.advance(Duration::minutes(1));
    ctl.add_burst(
        "cricket",
        300,
        t0() - Duration::hours(3),
        Duration::seconds(30),
    );
    let before = ctl.calls().total;
    let f1 = fetcher(DynamoStore::new(ddb.client(), table));
    let run = tokio::spawn({
        let topic = topic.clone();
        let now = ctl.now();
        async move { f1.run(&[topic], now).await }
    });
    while ctl.calls().total < before + 2 {
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    ddb.stop();
    let s1 = run.await.unwrap();
    assert!(
        !s1.ok,
        "a run whose store vanished must not report success: {s1:?}"
    );

    // Back on the same data: nothing twice, and the watermark where the clean run left it,
    // not ahead of what the crashed run stored.
    ddb.restart().await;
    let store = DynamoStore::new(ddb.client(), table);
    let (items, distinct) = stored(&store).await;
    assert_eq!(items, distinct, "a video stored twice");
    assert!(items >= 100, "the clean run's videos are there: {items}");
    let state = store.load(&topic).await.unwrap();
    assert_eq!(
        state.watermark,
        Some(w0),
        "the watermark moved past unstored videos"
    );

    // Run 2, after the crashed run's lease has expired: everything, each video once.
    ctl.advance(Duration::seconds(lease.as_secs() as i64 + 1));
    ctl.set_faults(FaultPlan::default());
    let s2 = fetcher(store.clone())
        .run(std::slice::from_ref(&topic), ctl.now())
        .await;
    assert!(s2.ok, "{s2:?}");
    assert_eq!(stored(&store).await, (400, 400));
    let state = store.load(&topic).await.unwrap();
    assert_eq!(
        state.watermark,
        Some(t0() - Duration::hours(3) + Duration::seconds(30 * 299)),
        "the watermark is the newest stored video"
    );
}

/// Publication times (RFC 3339 millis) of the topic's stored videos.
async fn stored_times(store: &DynamoStore) -> Vec<String> {
    tubefeed_testkit::feed_items(store.client(), store.table(), "cricket")
        .await
        .into_iter()
        .filter_map(|i| match i.get("published_at") {
            Some(AttributeValue::S(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// What the faulty run must come to.
#[derive(Clone, Copy)]
enum Faulty {
    /// It fails with this error kind, having stored this many videos before the fault.
    Fails { kind: &'static str, stored: usize },
    /// It ends quietly, out of keys, with the pages it read stored under a watermark.
    NoKey,
    /// Either (a random half of the calls fail, retries may or may not rescue the run).
    Either,
}

/// One YouTube fault during a first run of 250 videos, then a clean run. After the faulty run:
/// nothing stored twice, and every video at or before the watermark (if one was set) stored.
/// After the clean run: all 250, once each, and the watermark at the newest.
/// `calls_left` limits the key's calls for the first run; the key then rests until YouTube's
/// reset (midnight in Los Angeles), so the clean run waits for it.
async fn youtube_fault_then_recovery(
    name: &str,
    fault: FaultPlan,
    calls_left: Option<u32>,
    expect: Faulty,
) {
    const N: usize = 250;
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        faults: fault,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let first = t0() - Duration::hours(3);
    ctl.add_burst("cricket", N, first, Duration::seconds(30));
    if let Some(n) = calls_left {
        ctl.set_key_calls_left("sim-key-1", n);
    }
    let client = tubefeed_testkit::dynamodb_client();
    let table = tubefeed_testkit::fresh_table(&client).await;
    let store = DynamoStore::new(client, table);
    let fetcher = Fetcher::new(
        YouTubeClient::new(ClientSettings {
            timeout: StdDuration::from_millis(250),
            ..quick_retries(&sim.base_url, 2)
        })
        .unwrap(),
        store.clone(),
        StaticKeyRing::new(vec![ApiKey::new("sim-key-1")], 10_000),
        FetchSettings {
            backfill_pages: 20,
            lease_ttl: StdDuration::from_secs(60),
            ..Default::default()
        },
    );
    let topic = Topic::parse("cricket").unwrap();

    let s1 = fetcher.run(std::slice::from_ref(&topic), ctl.now()).await;
    let times = stored_times(&store).await;
    let (items, distinct) = stored(&store).await;
    assert_eq!(items, distinct, "{name}: a video stored twice");
    let state = store.load(&topic).await.unwrap();
    // The faulty run did what the fault allows, and said so.
    match expect {
        Faulty::Fails { kind, stored } => {
            assert!(!s1.ok, "{name}: the faulty run reported success: {s1:?}");
            assert_eq!(
                state.last_error_kind.as_deref(),
                Some(kind),
                "{name}: {state:?}"
            );
            assert_eq!(
                state.watermark, None,
                "{name}: a failed first run set a watermark"
            );
            assert_eq!(
                items, stored,
                "{name}: videos of the pages read before the fault"
            );
        }
        Faulty::NoKey => {
            assert!(s1.ok, "{name}: {s1:?}");
            assert!(
                matches!(
                    s1.topics[0].skipped,
                    Some(SkipReason::NoKeyAvailable { .. })
                ),
                "{name}: {s1:?}"
            );
            assert!(
                state.watermark.is_some(),
                "{name}: the pages read set a watermark"
            );
        }
        Faulty::Either => {}
    }
    if let Some(w) = state.watermark {
        // History below a first run's unfinished backfill is still to be read by later runs;
        // everything else at or before the watermark must be stored.
        let floor = state.backfill.map(|b| b.before);
        let wanted = |t: DateTime<Utc>| t <= w && floor.is_none_or(|f| t > f);
        let due = (0..N)
            .filter(|i| wanted(first + Duration::seconds(30 * *i as i64)))
            .count();
        let have = times
            .iter()
            .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
            .filter(|t| wanted(t.with_timezone(&Utc)))
            .count();
        assert_eq!(
            have, due,
            "{name}: the watermark {w} is ahead of what is stored ({state:?})"
        );
    }

    ctl.set_faults(FaultPlan::default());
    ctl.set_key_calls_left("sim-key-1", 10_000);
    // Past the dead lease, and for an exhausted key past the Pacific midnight (08:00 UTC).
    ctl.advance(if calls_left.is_some() {
        Duration::hours(21)
    } else {
        Duration::seconds(61)
    });
    let s = fetcher.run(std::slice::from_ref(&topic), ctl.now()).await;
    assert!(s.ok, "{name}: {s:?}");
    assert_eq!(stored(&store).await, (N, N), "{name}: after recovery");
    let state = store.load(&topic).await.unwrap();
    assert_eq!(
        state.watermark,
        Some(first + Duration::seconds(30 * (N as i64 - 1))),
        "{name}: the watermark is the newest stored video"
    );
    assert_eq!(state.backfill, None, "{name}: the backfill is finished");
}

#[tokio::test]
async fn youtube_5xx_from_the_third_call_on() {
    let fault = FaultPlan {
        server_error_after_calls: Some(2),
        ..FaultPlan::default()
    };
    // Two pages, then 503 however often it is retried.
    let expect = Faulty::Fails {
        kind: "server_error",
        stored: 100,
    };
    youtube_fault_then_recovery("5xx", fault, None, expect).await;
}

#[tokio::test]
async fn youtube_truncated_bodies() {
    let fault = FaultPlan {
        malformed_after_calls: Some(1),
        malformed_count: Some(50),
        ..FaultPlan::default()
    };
    let expect = Faulty::Fails {
        kind: "malformed_response",
        stored: 50,
    };
    youtube_fault_then_recovery("truncated", fault, None, expect).await;
}

#[tokio::test]
async fn youtube_slow_past_the_timeout() {
    let fault = FaultPlan {
        slow_ms: Some(600),
        ..FaultPlan::default()
    };
    // Every answer takes 600 ms against a 250 ms timeout: nothing is read.
    let expect = Faulty::Fails {
        kind: "timeout",
        stored: 0,
    };
    youtube_fault_then_recovery("slow", fault, None, expect).await;
}

#[tokio::test]
async fn youtube_quota_exhausted_mid_run() {
    youtube_fault_then_recovery("quota", FaultPlan::default(), Some(2), Faulty::NoKey).await;
}

#[tokio::test]
async fn youtube_answering_half_its_calls_with_500() {
    let fault = FaultPlan {
        status_500_fraction: 0.5,
        ..FaultPlan::default()
    };
    youtube_fault_then_recovery("500 half", fault, None, Faulty::Either).await;
}
