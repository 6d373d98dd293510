//! `tubefeed channels block|unblock|list`: the real binary on DynamoDB Local.

mod common;

use common::Out;
use tubefeed_testkit::{dynamodb_client, fresh_table};

async fn tubefeed(args: &[&str], table: &str, env: &[(&str, &str)]) -> Out {
    let mut all = vec![("TABLE_NAME", table), ("SEARCH_QUERIES", "cricket,chess")];
    all.extend_from_slice(env);
    common::tubefeed(args, &all).await
}

const CH: &str = "UCabcdefghijklmnopqrstuv";

#[tokio::test]
async fn block_list_and_unblock_with_clear_errors() {
    let table = fresh_table(&dynamodb_client()).await;
    let b = tubefeed(&["channels", "block", CH, "--note", "reposts"], &table, &[]).await;
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    assert!(b.stdout.contains("blocked"), "{}", b.stdout);
    // Blocking again keeps one block.
    assert_eq!(
        tubefeed(&["channels", "block", CH], &table, &[]).await.code,
        Some(0)
    );

    let env = [("BLOCKED_CHANNELS", "UCdeploymentblocked00000")];
    let l = tubefeed(&["channels", "list", "--json"], &table, &env).await;
    let lines: Vec<serde_json::Value> = l
        .stdout
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", l.stdout);
    assert_eq!(
        (lines[0]["channel_id"].as_str(), lines[0]["source"].as_str()),
        (Some(CH), Some("table"))
    );
    assert_eq!(lines[0]["note"], "reposts", "the note stays");
    assert_eq!(lines[1]["source"], "deployment");

    let bad = tubefeed(&["channels", "block", "not a channel"], &table, &[]).await;
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("not a valid channel id"),
        "{}",
        bad.stderr
    );

    let u = tubefeed(&["channels", "unblock", CH], &table, &[]).await;
    assert_eq!(u.code, Some(0), "{}", u.stderr);
    assert!(u.stdout.contains("unblocked"), "{}", u.stdout);
    let again = tubefeed(&["channels", "unblock", CH], &table, &[]).await;
    assert_eq!(again.code, Some(1));
    assert!(again.stderr.contains("was not blocked"), "{}", again.stderr);
    let env_only = tubefeed(
        &["channels", "unblock", "UCdeploymentblocked00000"],
        &table,
        &env,
    )
    .await;
    assert!(
        env_only.stderr.contains("BLOCKED_CHANNELS"),
        "{}",
        env_only.stderr
    );
    let none = tubefeed(&["channels", "list"], &table, &[]).await;
    let lines: Vec<&str> = none.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "no channel is blocked",
            "followed for cricket: 0 of at most 200 (≥ 3 on-topic videos in 14 days)",
            "followed for chess: 0 of at most 200 (≥ 3 on-topic videos in 14 days)",
        ]
    );
}

/// Commands that change something say so in a sentence, or with `--json` in one JSON object.
#[tokio::test]
async fn changes_report_in_json_when_asked() {
    let table = format!("json-{}", std::process::id());
    let json = |o: &Out| -> serde_json::Value {
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
    };
    let created = tubefeed(&["table", "create", "--json"], &table, &[]).await;
    assert_eq!(
        json(&created),
        serde_json::json!({"table": table, "created": true})
    );
    let again = tubefeed(&["table", "create"], &table, &[]).await;
    assert_eq!(
        again.stdout.trim(),
        format!("table {table}: already exists")
    );
    let b = tubefeed(&["channels", "block", CH, "--json"], &table, &[]).await;
    assert_eq!(json(&b), serde_json::json!({"blocked": CH}));
    let u = tubefeed(&["channels", "unblock", CH, "--json"], &table, &[]).await;
    assert_eq!(
        json(&u),
        serde_json::json!({"unblocked": CH, "queued_for_details": 0})
    );
}
