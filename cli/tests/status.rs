//! `tubefeed status`, the first answer to "why no new videos?": text for people and `--json`
//! for scripts, from the same facts; and, as every command, no colour codes on a pipe.

mod common;

use chrono::Utc;
use common::Out;
use serde_json::Value;
use tubefeed_testkit::{dynamodb_client, fresh_table};
use youtube_sim::{SimConfig, SimHandle};

async fn tubefeed(args: &[&str], table: &str, sim: &SimHandle, env: &[(&str, &str)]) -> Out {
    let mut all = vec![
        ("TABLE_NAME", table),
        ("SEARCH_QUERIES", "cricket,chess"),
        ("YOUTUBE_API_KEYS", "sim-key-1"),
        ("YOUTUBE_DAILY_CALLS_PER_KEY", "100000"),
        ("YOUTUBE_API_BASE_URL", sim.base_url.as_str()),
        ("DETAILS_UNITS_PER_RUN", "0"),
    ];
    all.extend_from_slice(env);
    common::tubefeed(args, &all).await
}

fn no_escape_codes(what: &str, o: &Out) {
    for (stream, text) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        assert!(
            !text.contains('\u{1b}'),
            "{what}: an escape code on {stream}, which is a pipe: {text:?}"
        );
    }
}

#[tokio::test]
async fn status_says_the_same_in_text_and_json() {
    let sim = SimHandle::start(SimConfig {
        daily_calls_per_key: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let now = Utc::now();
    // 30 cricket videos in the last hour, 5 from two days ago (a first run backfills them);
    // chess has none.
    ctl.add_burst(
        "cricket",
        5,
        now - chrono::Duration::hours(50),
        chrono::Duration::minutes(1),
    );
    ctl.add_burst(
        "cricket",
        30,
        now - chrono::Duration::hours(1),
        chrono::Duration::minutes(1),
    );
    let table = fresh_table(&dynamodb_client()).await;
    let fetch = tubefeed(&["fetch"], &table, &sim, &[("FETCH_BACKFILL_PAGES", "4")]).await;
    assert_eq!(fetch.code, Some(0), "{}", fetch.stderr);

    let json = tubefeed(
        &["status", "--json"],
        &table,
        &sim,
        &[("RUST_LOG", "debug")],
    )
    .await;
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    no_escape_codes("status --json", &json);
    let s: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    let topics = s["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 2, "{s}");
    assert_eq!(
        (topics[0]["topic"].as_str(), topics[1]["topic"].as_str()),
        (Some("cricket"), Some("chess"))
    );
    assert_eq!(topics[0]["videos_last_24h"], 30, "{s}");
    assert_eq!(topics[1]["videos_last_24h"], 0, "{s}");
    assert!(topics[0]["last_success_at"].is_string(), "{s}");
    assert_eq!(s["keys"]["available"], 1, "{s}");
    assert_eq!(s["projects"][0]["calls_today"], fetch_calls(&fetch), "{s}");
    assert!(s["next_reset"].is_string(), "{s}");

    let text = tubefeed(&["status"], &table, &sim, &[("RUST_LOG", "debug")]).await;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    no_escape_codes("status", &text);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(lines[0].starts_with("cricket: polled "), "{}", text.stdout);
    assert!(
        lines[0].contains(", 30 in the last 24 h"),
        "{}",
        text.stdout
    );
    assert!(
        lines[1].starts_with("chess: ") && lines[1].contains(", 0 in the last 24 h"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("keys: 1 in all, 1 available"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("quotas reset at "), "{}", text.stdout);
    sim.shutdown().await;
}

fn fetch_calls(fetch: &Out) -> Value {
    let f: Value = serde_json::from_str(fetch.stdout.trim()).unwrap();
    let calls: u64 = f["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["calls"].as_u64().unwrap())
        .sum();
    calls.into()
}

/// A failing command's one line, with the SDK's debug logging on, carries no colour codes
/// when its output is not a terminal.
#[tokio::test]
async fn errors_and_logs_on_a_pipe_carry_no_colour_codes() {
    let out = common::tubefeed(
        &["status"],
        &[
            ("TABLE_NAME", "no-such-endpoint"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1"),
            ("RUST_LOG", "debug"),
        ],
    )
    .await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("127.0.0.1:1"), "{}", out.stderr);
    no_escape_codes("status with DynamoDB unreachable", &out);
}
