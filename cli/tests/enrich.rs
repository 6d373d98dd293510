//! `tubefeed fetch` with details, `tubefeed enrich` and `status`: the real binary against the
//! simulator and DynamoDB Local.

mod common;

use chrono::Utc;
use common::Out;
use serde_json::Value;
use tubefeed_testkit::{dynamodb_client, fresh_table};
use youtube_sim::{SimConfig, SimHandle};

async fn tubefeed(args: &[&str], table: &str, sim: &SimHandle, env: &[(&str, &str)]) -> Out {
    let mut all = vec![
        ("TABLE_NAME", table),
        ("SEARCH_QUERIES", "cricket"),
        ("YOUTUBE_API_KEYS", "sim-key-1"),
        // Ample search calls: every run polls (the pacing is not what is tested here).
        ("YOUTUBE_DAILY_CALLS_PER_KEY", "100000"),
        ("YOUTUBE_API_BASE_URL", sim.base_url.as_str()),
    ];
    all.extend_from_slice(env);
    common::tubefeed(args, &all).await
}

fn json(o: &Out) -> Value {
    serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

#[tokio::test]
async fn enrich_fills_in_what_a_run_without_details_left_and_resumes() {
    let sim = SimHandle::start(SimConfig {
        daily_calls_per_key: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let now = Utc::now();
    ctl.add_burst(
        "cricket",
        60,
        now - chrono::Duration::hours(1),
        chrono::Duration::seconds(30),
    );
    let table = fresh_table(&dynamodb_client()).await;

    let fetch = tubefeed(&["fetch"], &table, &sim, &[("DETAILS_UNITS_PER_RUN", "0")]).await;
    assert_eq!(fetch.code, Some(0), "{}", fetch.stderr);
    let f = json(&fetch);
    assert_eq!(f["topics"][0]["new"], 60);
    assert!(f.get("details").is_none(), "details off: {f}");

    let first = tubefeed(&["enrich", "--units", "1"], &table, &sim, &[]).await;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let e = json(&first);
    assert_eq!(e["queued"]["cricket"], 60, "{e}");
    assert_eq!(e["details"]["recorded"], 50);
    assert_eq!(e["details"]["stopped"]["reason"], "run_allowance");

    let second = tubefeed(&["enrich"], &table, &sim, &[]).await;
    let e = json(&second);
    assert_eq!(
        (
            e["queued"]["cricket"].as_u64(),
            e["details"]["recorded"].as_u64()
        ),
        (Some(10), Some(10)),
        "{e}"
    );
    assert!(e["details"].get("stopped").is_none(), "{e}");

    let status = tubefeed(&["status", "--json"], &table, &sim, &[]).await;
    let s = json(&status);
    assert_eq!(s["units"][0]["units_today"], 2, "{s}");
    let text = tubefeed(&["status"], &table, &sim, &[]).await;
    assert!(
        text.stdout.contains("2/10000 today for video details"),
        "{}",
        text.stdout
    );

    // A run with details on: new videos come back with their details in the summary.
    ctl.add_burst(
        "cricket",
        3,
        Utc::now() - chrono::Duration::seconds(20),
        chrono::Duration::seconds(5),
    );
    let fetch = tubefeed(&["fetch"], &table, &sim, &[]).await;
    let f = json(&fetch);
    assert_eq!(
        (
            f["details"]["calls"].as_u64(),
            f["details"]["waiting"].as_u64()
        ),
        (Some(0), Some(3)),
        "three videos wait for a fuller call: {f}"
    );
    let fetch = tubefeed(
        &["fetch"],
        &table,
        &sim,
        &[("DETAILS_MAX_WAIT_SECONDS", "0")],
    )
    .await;
    let f = json(&fetch);
    assert_eq!(f["details"]["recorded"], 3, "{f}");
    assert_eq!(ctl.units_left("sim-key-1"), 10_000 - 3);

    let bad = tubefeed(&["enrich", "--units", "0"], &table, &sim, &[]).await;
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    sim.shutdown().await;
}
