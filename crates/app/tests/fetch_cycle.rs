//! The fetch cycle end to end: the real YouTube client against the simulator, the real store
//! against DynamoDB Local (a fresh table per test). These are the "prove it" cases.

use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{
    ApiKey, CycleSummary, FetchSettings, FetchStateStore, Fetcher, SkipReason, StaticKeyRing, Topic,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{fresh_store, quick_retries};
use tubefeed_youtube::YouTubeClient;
use youtube_sim::{ClockMode, FaultPlan, NewVideo, SimConfig, SimControl, SimHandle};

type TestFetcher = Fetcher<YouTubeClient, DynamoStore, DynamoStore, StaticKeyRing>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

fn topic() -> Topic {
    Topic::parse("cricket").unwrap()
}

struct Env {
    sim: SimHandle,
    store: DynamoStore,
}

impl Env {
    async fn new(cfg: SimConfig) -> Self {
        let sim = SimHandle::start(SimConfig {
            clock: ClockMode::Manual(t0()),
            ..cfg
        })
        .await
        .unwrap();
        Self {
            sim,
            store: fresh_store().await,
        }
    }

    fn sim(&self) -> SimControl {
        self.sim.control()
    }

    fn fetcher(&self, settings: FetchSettings) -> TestFetcher {
        let source = YouTubeClient::new(quick_retries(&self.sim.base_url, 2)).unwrap();
        Fetcher::new(
            source,
            self.store.clone(),
            StaticKeyRing::new(
                vec![ApiKey::new("sim-key-1"), ApiKey::new("sim-key-2")],
                10_000,
            ),
            settings,
        )
    }

    async fn run(&self, f: &TestFetcher) -> CycleSummary {
        f.run(&[topic()], self.sim().now()).await
    }

    /// Stored videos of the topic, counted through the feed index.
    async fn stored(&self) -> usize {
        let mut count = 0;
        let mut start = None;
        loop {
            let out = self
                .store
                .client()
                .query()
                .table_name(self.store.table())
                .index_name("published_at")
                .key_condition_expression("feed_pk = :p")
                .expression_attribute_values(":p", AttributeValue::S("T#cricket".into()))
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            count += out.count as usize;
            start = out.last_evaluated_key;
            if start.is_none() {
                return count;
            }
        }
    }

    async fn has_video(&self, id: &str) -> bool {
        let out = self
            .store
            .client()
            .get_item()
            .table_name(self.store.table())
            .key("pk", AttributeValue::S(format!("V#{id}")))
            .key("sk", AttributeValue::S("T#cricket".into()))
            .send()
            .await
            .unwrap();
        out.item.is_some()
    }
}

fn settings() -> FetchSettings {
    FetchSettings {
        lease_ttl: StdDuration::from_secs(120),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_burst_of_480_is_stored_in_one_run_within_12_calls() {
    let env = Env::new(SimConfig::default()).await;
    let sim = env.sim();
    // Some history: 20 videos over the last hour.
    sim.add_burst(
        "cricket",
        20,
        t0() - Duration::minutes(60),
        Duration::minutes(3),
    );
    let f = env.fetcher(settings());
    let first = env.run(&f).await;
    assert!(first.ok, "{first:?}");
    assert_eq!(first.topics[0].new, 20);

    sim.advance(Duration::minutes(10));
    sim.add_burst(
        "cricket",
        480,
        sim.now() - Duration::seconds(479),
        Duration::seconds(1),
    );
    let calls_before = sim.calls().total;
    let second = env.run(&f).await;
    let s = &second.topics[0];
    assert!(second.ok, "{second:?}");
    assert_eq!(s.new, 480, "{s:?}");
    assert_eq!(s.updated, 0);
    let calls = sim.calls().total - calls_before;
    assert_eq!(u64::from(s.calls), calls, "the summary counts every call");
    assert!(calls <= 12, "{calls} calls for 480 videos");
    // /health serves the stored copy of this line: with the run's counts.
    let stored = env
        .store
        .load(&topic())
        .await
        .unwrap()
        .last_summary
        .unwrap();
    assert_eq!(stored["new"], 480);
    assert_eq!(stored["calls"], u64::from(s.calls));
    assert_eq!(env.stored().await, 500);
}

#[tokio::test]
async fn a_burst_beyond_the_result_cap_is_read_in_chunks() {
    let env = Env::new(SimConfig {
        result_cap: 100,
        ..SimConfig::default()
    })
    .await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        5,
        t0() - Duration::minutes(30),
        Duration::minutes(1),
    );
    let f = env.fetcher(settings());
    assert!(env.run(&f).await.ok);
    sim.advance(Duration::minutes(10));
    sim.add_burst(
        "cricket",
        330,
        sim.now() - Duration::seconds(329),
        Duration::seconds(1),
    );
    let s = env.run(&f).await;
    assert!(s.ok, "{s:?}");
    assert_eq!(s.topics[0].new, 330);
    assert_eq!(env.stored().await, 335);
}

#[tokio::test]
async fn a_page_budget_leaves_a_gap_that_the_next_runs_close() {
    let env = Env::new(SimConfig::default()).await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        5,
        t0() - Duration::minutes(30),
        Duration::minutes(1),
    );
    let f = env.fetcher(FetchSettings {
        max_pages_per_topic: 4,
        ..settings()
    });
    assert!(env.run(&f).await.ok);
    sim.advance(Duration::minutes(10));
    sim.add_burst(
        "cricket",
        450,
        sim.now() - Duration::seconds(449),
        Duration::seconds(1),
    );
    let mut new = 0;
    for _ in 0..4 {
        let s = env.run(&f).await;
        assert!(s.ok, "{s:?}");
        assert!(s.topics[0].calls <= 4);
        new += s.topics[0].new;
        // Meanwhile the head keeps moving.
        sim.advance(Duration::minutes(1));
        sim.add_burst(
            "cricket",
            10,
            sim.now() - Duration::seconds(10),
            Duration::seconds(1),
        );
    }
    let s = env.run(&f).await;
    new += s.topics[0].new;
    assert_eq!(new, 450 + 40);
    assert_eq!(env.stored().await, 495);
    let state = env.store.load(&topic()).await.unwrap();
    assert_eq!(state.gap, None);
}

#[tokio::test]
async fn a_late_indexed_video_below_hundreds_of_stored_ones_is_found() {
    let env = Env::new(SimConfig::default()).await;
    let sim = env.sim();
    // 300 videos over the last 10 minutes.
    sim.add_burst(
        "cricket",
        300,
        t0() - Duration::seconds(600),
        Duration::seconds(2),
    );
    let f = env.fetcher(FetchSettings {
        backfill_pages: 10,
        ..settings()
    });
    assert_eq!(env.run(&f).await.topics[0].new, 300);
    let watermark = env.store.load(&topic()).await.unwrap().watermark.unwrap();

    // Published 30 s before the watermark, searchable only 4 minutes after publication.
    let published = watermark - Duration::seconds(30);
    let late = sim.add_video(NewVideo {
        indexed_at: Some(published + Duration::minutes(4)),
        title: Some("Late & lost? Not today".into()),
        ..NewVideo::new("cricket", published)
    });
    let mut found_after = None;
    for run in 1..=6 {
        sim.advance(Duration::minutes(1));
        // Hundreds of newer videos keep arriving on top of it.
        sim.add_burst(
            "cricket",
            60,
            sim.now() - Duration::seconds(59),
            Duration::seconds(1),
        );
        let s = env.run(&f).await;
        assert!(s.ok, "{s:?}");
        if env.has_video(&late).await {
            found_after = Some(run);
            break;
        }
    }
    let run = found_after.expect("the late video was never stored");
    assert!(
        run >= 3,
        "it cannot be found before it is searchable (run {run})"
    );
    assert_eq!(env.stored().await, 300 + 1 + 60 * run);
}

#[tokio::test]
async fn a_video_repeated_across_a_page_boundary_is_one_item_counted_once() {
    let env = Env::new(SimConfig {
        repeat_across_pages: true,
        ..SimConfig::default()
    })
    .await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        10,
        t0() - Duration::minutes(30),
        Duration::minutes(1),
    );
    let f = env.fetcher(settings());
    assert!(env.run(&f).await.ok);
    sim.advance(Duration::minutes(5));
    sim.add_burst(
        "cricket",
        120,
        sim.now() - Duration::seconds(119),
        Duration::seconds(1),
    );
    let s = env.run(&f).await;
    let t = &s.topics[0];
    assert!(s.ok, "{s:?}");
    assert!(t.pages >= 3, "the burst spans pages: {t:?}");
    assert_eq!((t.new, t.updated), (120, 0), "{t:?}");
    // Every distinct video the run saw (the burst, plus the newest stored one its head starts
    // at: the history was older than the lookback when it was first read, so no sweep re-reads
    // it) is counted exactly once, repeats included.
    assert_eq!(t.new + t.updated + t.unchanged, 121, "{t:?}");
    assert_eq!(env.stored().await, 130);
}

#[tokio::test]
async fn server_errors_fail_the_run_without_moving_the_watermark_and_the_next_run_recovers() {
    let env = Env::new(SimConfig::default()).await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        10,
        t0() - Duration::minutes(30),
        Duration::minutes(1),
    );
    let f = env.fetcher(settings());
    assert!(env.run(&f).await.ok);
    let before = env.store.load(&topic()).await.unwrap();

    sim.advance(Duration::minutes(5));
    sim.add_burst(
        "cricket",
        200,
        sim.now() - Duration::seconds(199),
        Duration::seconds(1),
    );
    // The first page answers; every call after it is a 503.
    sim.set_faults(FaultPlan {
        server_error_after_calls: Some(sim.calls().total + 1),
        ..FaultPlan::default()
    });
    let failed = env.run(&f).await;
    assert!(!failed.ok);
    let t = &failed.topics[0];
    assert!(
        t.error.as_deref().is_some_and(|e| e.contains("503")),
        "{t:?}"
    );
    assert_eq!(t.pages, 1);
    assert_eq!(
        t.calls,
        1 + 3,
        "one good page, then the first try and two retries of page 2"
    );
    let after = env.store.load(&topic()).await.unwrap();
    assert_eq!(after.watermark, before.watermark);
    assert_eq!(after.gap, None);
    assert!(after.last_error.is_some());

    sim.set_faults(FaultPlan::default());
    let recovered = env.run(&f).await;
    assert!(recovered.ok, "{recovered:?}");
    assert_eq!(t.new + recovered.topics[0].new, 200);
    assert_eq!(env.stored().await, 210);
    assert!(env.store.load(&topic()).await.unwrap().watermark > before.watermark);
}

#[tokio::test]
async fn two_runs_started_together_write_each_video_once_and_spend_one_runs_quota() {
    let env = Env::new(SimConfig::default()).await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        150,
        t0() - Duration::minutes(20),
        Duration::seconds(5),
    );
    let a = env.fetcher(settings());
    let b = env.fetcher(settings());
    let (ra, rb) = tokio::join!(env.run(&a), env.run(&b));
    let (ta, tb) = (&ra.topics[0], &rb.topics[0]);
    assert!(ra.ok && rb.ok);
    assert_eq!(ta.new + tb.new, 150, "{ta:?} {tb:?}");
    let locked = [ta, tb]
        .iter()
        .filter(|t| matches!(t.skipped, Some(SkipReason::Locked { .. })))
        .count();
    assert_eq!(locked, 1, "exactly one run yields: {ta:?} {tb:?}");
    assert_eq!(u64::from(ta.calls + tb.calls), sim.calls().total);
    assert_eq!(ta.calls.min(tb.calls), 0);
    assert_eq!(env.stored().await, 150);

    // The lease is released: a later run proceeds.
    sim.advance(Duration::minutes(1));
    let later = env.run(&a).await;
    assert!(later.topics[0].skipped.is_none(), "{later:?}");
}

#[tokio::test]
async fn an_unchanged_timeline_costs_no_writes_and_updates_are_counted() {
    let env = Env::new(SimConfig::default()).await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        30,
        t0() - Duration::minutes(10),
        Duration::seconds(20),
    );
    let f = env.fetcher(settings());
    assert_eq!(env.run(&f).await.topics[0].new, 30);
    // Polls of the unchanged timeline write nothing, the late sweep's re-reads included (it
    // re-reads the newest minutes once they have aged or fit in the head's page).
    let mut swept = false;
    for _ in 0..6 {
        sim.advance(Duration::minutes(1));
        let s = env.run(&f).await;
        let t = &s.topics[0];
        assert_eq!((t.new, t.updated, t.write_requests), (0, 0, 0), "{t:?}");
        swept |= t.swept;
    }
    assert!(swept);
}
