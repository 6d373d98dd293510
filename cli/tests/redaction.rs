//! Issue 22: no ARN or account id in any summary or public answer. A deployed fetcher names its
//! keys secret by ARN (the template passes one), so a failing secret must be reported by name.

mod common;

use tokio::process::Command;
use tubefeed_testkit::{
    dynamodb_client, dynamodb_endpoint, fresh_secret, fresh_table, secretsmanager_client,
    secretsmanager_endpoint,
};

/// moto's account id: what an ARN of its secrets carries.
const ACCOUNT: &str = "123456789012";

#[tokio::test]
async fn a_failing_secret_named_by_arn_is_reported_without_it() {
    let sm = secretsmanager_client();
    let name = fresh_secret(&sm, "{\"keys\": \"not a list\"}").await;
    let arn = sm
        .describe_secret()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    assert!(arn.contains(ACCOUNT), "{arn}");
    let table = fresh_table(&dynamodb_client()).await;
    let run = |args: &'static [&'static str]| {
        Command::new(env!("CARGO_BIN_EXE_tubefeed"))
            .args(args)
            .env("TABLE_NAME", &table)
            .env("SEARCH_QUERIES", "cricket")
            .env("YOUTUBE_API_KEYS_SECRET_ID", &arn)
            .env(
                "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                secretsmanager_endpoint(),
            )
            .envs(common::local_aws(&dynamodb_endpoint()))
            .env_remove("AWS_PROFILE")
            .env_remove("YOUTUBE_API_KEYS")
            .env("RUST_LOG", "warn")
            .output()
    };
    let fetch = run(&["fetch"]).await.unwrap();
    let summary = String::from_utf8_lossy(&fetch.stdout);
    assert!(!fetch.status.success(), "a malformed secret fails the run");
    assert!(summary.contains("is malformed"), "{summary}");
    assert!(summary.contains(&name), "named by its name: {summary}");
    for leak in ["arn:", ACCOUNT] {
        assert!(!summary.contains(leak), "{leak} in the summary: {summary}");
    }
    let status = run(&["status", "--json"]).await.unwrap();
    assert!(status.status.success(), "{status:?}");
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(
        out.contains("key_source_error") && out.contains(&name),
        "{out}"
    );
    for leak in ["arn:", ACCOUNT] {
        assert!(!out.contains(leak), "{leak} in status: {out}");
    }
}
