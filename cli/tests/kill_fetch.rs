//! `tubefeed fetch` killed with SIGKILL half-way through a run: nothing stored twice, the
//! watermark never ahead of what is stored, and the next run — once the dead run's lease has
//! expired — stores everything.

mod common;

use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use tokio::process::Command;
use tubefeed_core::{FetchStateStore, Topic};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, dynamodb_endpoint, fresh_table};
use youtube_sim::{FaultPlan, SimConfig, SimHandle};

/// Long against the first run's three pages (each page is also ~160 batch writes to DynamoDB
/// Local, seconds on a loaded machine), so the run after the kill still meets the lease; the
/// test waits it out from the first run's start, not from the kill.
const LEASE_SECONDS: u64 = 30;

fn fetch(table: &str, sim: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tubefeed"));
    c.arg("fetch")
        .env("TABLE_NAME", table)
        .env("SEARCH_QUERIES", "cricket")
        .env("YOUTUBE_API_KEYS", "sim-key-1")
        .env("YOUTUBE_API_BASE_URL", sim)
        .env("YOUTUBE_DAILY_CALLS_PER_KEY", "100000")
        .env("FETCH_BACKFILL_PAGES", "20")
        .env("FETCH_LEASE_SECONDS", LEASE_SECONDS.to_string())
        .envs(common::local_aws(&dynamodb_endpoint()))
        .env_remove("AWS_PROFILE")
        .env_remove("YOUTUBE_API_KEYS_SECRET_ID")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    c
}

/// (feed-index items, distinct ids) of the topic.
async fn stored(store: &DynamoStore) -> (usize, usize) {
    tubefeed_testkit::feed_counts(store.client(), store.table(), "cricket").await
}

#[tokio::test]
async fn fetch_killed_half_way_loses_nothing_and_the_next_run_recovers() {
    let sim = SimHandle::start(SimConfig::default()).await.unwrap();
    let ctl = sim.control();
    let now = Utc::now();
    let table = fresh_table(&dynamodb_client()).await;
    let store = DynamoStore::new(dynamodb_client(), table.clone());
    let topic = Topic::parse("cricket").unwrap();

    // A clean first run: 100 videos of history, and a watermark at the newest.
    let history = now - chrono::Duration::hours(6);
    ctl.add_burst("cricket", 100, history, chrono::Duration::seconds(30));
    let w0 = history + chrono::Duration::seconds(30 * 99);
    let clean = fetch(&table, &sim.base_url).output().await.unwrap();
    assert!(clean.status.success(), "{clean:?}");
    let w = store.load(&topic).await.unwrap().watermark.unwrap();
    assert_eq!(w.timestamp(), w0.timestamp());

    // Then 400 new videos, and a run killed half-way through them.
    ctl.add_burst(
        "cricket",
        400,
        now - chrono::Duration::hours(4),
        chrono::Duration::seconds(30),
    );
    ctl.set_faults(FaultPlan {
        slow_ms: Some(300),
        ..FaultPlan::default()
    });
    let before = ctl.calls().total;
    let first_started = tokio::time::Instant::now();
    let mut first = fetch(&table, &sim.base_url).spawn().unwrap();
    // Half-way: YouTube has answered three of the eight pages.
    while ctl.calls().total < before + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().await.unwrap();

    let (items, distinct) = stored(&store).await;
    assert_eq!(items, distinct, "a video stored twice");
    assert!(items < 500, "the run was not cut short ({items} stored)");
    // The killed run never saved its state: the watermark is where the clean run left it,
    // not ahead of the videos the killed run did not store.
    let w = store.load(&topic).await.unwrap().watermark.unwrap();
    assert_eq!(w.timestamp(), w0.timestamp(), "the watermark moved");

    // A run within the dead run's lease yields; one after it stores the rest.
    ctl.set_faults(FaultPlan::default());
    let held = fetch(&table, &sim.base_url).output().await.unwrap();
    let line = String::from_utf8_lossy(&held.stdout);
    assert!(
        line.contains("locked"),
        "the lease should still hold: {line}"
    );
    tokio::time::sleep_until(first_started + Duration::from_secs(LEASE_SECONDS + 1)).await;
    let next = fetch(&table, &sim.base_url).output().await.unwrap();
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stdout)
    );
    assert_eq!(stored(&store).await, (500, 500));
}
