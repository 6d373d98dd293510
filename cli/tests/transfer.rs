//! `tubefeed import` / `tubefeed export`: the real binary on DynamoDB Local, a fresh table each.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tubefeed_core::{FeedQuery, FeedReader, Order, Topic};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, dynamodb_endpoint, fresh_table};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn tubefeed(table: &str, args: &[&str], stdin: &str) -> Run {
    tubefeed_with(table, "cricket,chess", args, stdin).await
}

async fn tubefeed_with(table: &str, topics: &str, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tubefeed"))
        .args(args)
        .env("TABLE_NAME", table)
        .env("SEARCH_QUERIES", topics)
        .envs(tubefeed_testkit::local_aws(&dynamodb_endpoint()))
        .env_remove("AWS_PROFILE")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tubefeed runs");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn line(i: usize, topic: Option<&str>) -> String {
    let mut v = serde_json::json!({
        "id": format!("imp{i:08}"),
        "title": format!("Kohli's café #{i} & \"GOAT\""),
        "description": "highlights of the day",
        "published_at": format!("2026-11-20T12:{:02}:{:02}.250Z", i / 60 % 60, i % 60),
        "channel_id": format!("UCch{}", i % 3),
        "channel_title": "Channel",
        "live_broadcast_content": if i % 7 == 0 { "live" } else { "none" },
        "url": "https://www.youtube.com/watch?v=ignored",
    });
    if i % 5 == 0 {
        v["thumbnails"] = serde_json::json!({"medium": {"url": format!("https://i.ytimg.com/vi/imp{i:08}/mqdefault.jpg"), "width": 320, "height": 180}});
    }
    if i % 3 == 0 {
        // Details, as an export of a table that has them writes them.
        v["duration_seconds"] = (30 + i).into();
        v["is_short"] = (i % 2 == 0).into();
        v["view_count"] = (1000 * i).into();
        v["language"] = "hi".into();
        if i % 7 == 0 {
            v["live"] = serde_json::json!({"actual_start": "2026-11-20T12:00:00Z"});
        }
    }
    if let Some(t) = topic {
        v["topic"] = t.into();
    }
    v.to_string()
}

fn summary(r: &Run) -> Value {
    serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

#[tokio::test]
async fn bad_lines_are_reported_by_number_and_good_lines_are_stored() {
    let table = fresh_table(&dynamodb_client()).await;
    let mut file: Vec<String> = (0..40).map(|i| line(i, Some("cricket"))).collect();
    file[3] = "{not json".into();
    file[10] = line(10, None); // no topic, and no --topic
    file[17] = line(17, Some("cricket")).replace("imp00000017", "bad id!");
    file[25] = line(25, Some("cricket")).replace("2026-11-20T12:00:25.250Z", "yesterday");
    file.insert(30, String::new()); // blank lines are skipped, not bad
    let r = tubefeed(&table, &["import", "-"], &file.join("\n")).await;
    assert_eq!(r.code, 1, "bad lines make the exit code 1: {}", r.stderr);
    for (n, why) in [(4, ""), (11, "no topic"), (18, "id"), (26, "published_at")] {
        assert!(
            r.stderr.contains(&format!("line {n}: {why}")),
            "line {n} ({why}) not reported: {}",
            r.stderr
        );
    }
    let s = summary(&r);
    assert_eq!(
        (s["imported"].as_u64(), s["bad_lines"].as_u64()),
        (Some(36), Some(4))
    );
    assert_eq!(s["new"], 36);

    // The good lines are stored, searchable through the same index the fetcher writes.
    let store = DynamoStore::new(dynamodb_client(), table.clone());
    let q = FeedQuery {
        topic: Topic::parse("cricket").unwrap(),
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: tubefeed_core::text::query_terms("kohli cafe highl"),
        limit: 50,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    };
    assert_eq!(store.page(&q, None).await.unwrap().videos.len(), 36);

    // A second import changes nothing.
    let r = tubefeed(&table, &["import", "-"], &file.join("\n")).await;
    let s = summary(&r);
    assert_eq!(
        (
            s["new"].as_u64(),
            s["updated"].as_u64(),
            s["unchanged"].as_u64(),
            s["write_requests"].as_u64()
        ),
        (Some(0), Some(0), Some(36), Some(0))
    );
}

#[tokio::test]
async fn strict_stops_at_the_first_bad_line() {
    let table = fresh_table(&dynamodb_client()).await;
    let mut file: Vec<String> = (0..20).map(|i| line(i, None)).collect();
    file[12] = "[]".into();
    let r = tubefeed(
        &table,
        &["import", "-", "--topic", "chess", "--strict"],
        &file.join("\n"),
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("line 13:"), "{}", r.stderr);
    let s = summary(&r);
    assert_eq!(s["stopped_at_line"], 13);
    assert_eq!(s["imported"], 12, "the lines before the bad one are stored");
    let exported = tubefeed(&table, &["export", "--topic", "chess"], "").await;
    assert_eq!(exported.stdout.lines().count(), 12);
}

#[tokio::test]
async fn export_import_export_is_byte_identical() {
    let a = fresh_table(&dynamodb_client()).await;
    let file: Vec<String> = (0..130)
        .map(|i| line(i, Some(if i % 4 == 0 { "chess" } else { "cricket" })))
        .collect();
    let r = tubefeed(&a, &["import", "-"], &file.join("\n")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first = tubefeed(&a, &["export"], "").await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.stdout.lines().count(), 130);
    // Details travel: the 44 lines that had them export them; the others are queued.
    let with_details = first
        .stdout
        .lines()
        .filter(|l| l.contains("\"is_short\""))
        .count();
    assert_eq!(with_details, 44, "{}", first.stdout);
    assert!(
        first
            .stdout
            .contains(r#""live":{"actual_start":"2026-11-20T12:00:00Z"}"#)
    );
    let store = DynamoStore::new(dynamodb_client(), a.clone());
    let queued = tubefeed_core::DetailsStore::pending_details(&store, 500)
        .await
        .unwrap();
    assert_eq!(
        queued.len(),
        130 - 44,
        "lines without details wait for videos.list"
    );
    // Newest first within each topic, topics in SEARCH_QUERIES order.
    let times: Vec<(String, String)> = first
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["topic"].as_str().unwrap().to_owned(),
                v["published_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        times
            .windows(2)
            .all(|w| w[0].0 != w[1].0 || w[0].1 >= w[1].1)
    );
    assert_eq!(times[0].0, "cricket");

    let b = fresh_table(&dynamodb_client()).await;
    let r = tubefeed(&b, &["import", "-"], &first.stdout).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let second = tubefeed(&b, &["export"], "").await;
    assert_eq!(
        first.stdout, second.stdout,
        "export → import → export must give the same bytes"
    );

    let since = tubefeed(
        &b,
        &[
            "export",
            "--topic",
            "cricket",
            "--since",
            "2026-11-20T12:01:00Z",
        ],
        "",
    )
    .await;
    // Cricket lines i = 60..=129 are at or after 12:01:00, less the chess ones (i % 4 == 0).
    assert_eq!(since.code, 0, "{}", since.stderr);
    assert_eq!(since.stdout.lines().count(), 52, "{}", since.stdout);
    for l in since.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["topic"], "cricket", "{l}");
        assert!(
            v["published_at"].as_str().unwrap() >= "2026-11-20T12:01:00",
            "{l}"
        );
    }
    let bad = tubefeed(&b, &["export", "--since", "yesterday"], "").await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--since"));
}

/// docs/operations.md "Backups and restoring": point-in-time recovery restores into a new
/// table; `tubefeed export` of that table (every topic it holds, configured or not) and
/// `tubefeed import` into the live one bring everything back.
#[tokio::test]
async fn the_restore_runbook_brings_back_every_topic_even_one_no_longer_configured() {
    // Stands for the point-in-time copy: three topics' videos, stored while all three were
    // configured.
    let restored = fresh_table(&dynamodb_client()).await;
    let topics = ["cricket", "chess", "golf"];
    let file: Vec<String> = (0..60).map(|i| line(i, Some(topics[i % 3]))).collect();
    let r = tubefeed_with(
        &restored,
        "cricket,chess,golf",
        &["import", "-"],
        &file.join("\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Since then golf was dropped from SEARCH_QUERIES; the backup must still carry it.
    let backup = tubefeed(&restored, &["export"], "").await;
    assert_eq!(backup.code, 0, "{}", backup.stderr);
    let per_topic = |text: &str| {
        let mut n = std::collections::BTreeMap::<String, usize>::new();
        for l in text.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            *n.entry(v["topic"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        n
    };
    let counts = per_topic(&backup.stdout);
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        [
            ("chess".into(), 20),
            ("cricket".into(), 20),
            ("golf".into(), 20)
        ],
    );

    // The live table lost its videos; importing the backup brings every one back.
    let live = fresh_table(&dynamodb_client()).await;
    let r = tubefeed(&live, &["import", "-"], &backup.stdout).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(summary(&r)["new"], 60, "{}", r.stdout);
    let after = tubefeed(&live, &["export"], "").await;
    assert_eq!(
        after.stdout, backup.stdout,
        "the restored table exports the same bytes"
    );
}
