//! `tubefeed channels block|unblock|list`: the real binary on DynamoDB Local.

use tubefeed_testkit::{dynamodb_client, dynamodb_endpoint, fresh_table};

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn tubefeed(args: &[&str], table: &str, env: &[(&str, &str)]) -> Out {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tubefeed"))
        .args(args)
        .env_remove("AWS_PROFILE")
        .env("RUST_LOG", "warn")
        .env("TABLE_NAME", table)
        .env("SEARCH_QUERIES", "cricket,chess")
        .envs(tubefeed_testkit::local_aws(&dynamodb_endpoint()))
        .envs(env.iter().copied())
        .output()
        .await
        .expect("tubefeed runs");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
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
    assert_eq!(none.stdout.trim(), "no channel is blocked");
}
