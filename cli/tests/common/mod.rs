//! What the end-to-end tests of the `tubefeed` binary share.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tubefeed_testkit::dynamodb_endpoint;

/// The AWS settings every `tubefeed` command of these tests runs with.
pub use tubefeed_testkit::local_aws;

/// Starts the real `tubefeed serve` on a free loopback port over `table` (first-page cache
/// off) and returns it with its base URL. The child is killed when dropped.
pub async fn start_serve(table: &str, topics: &str) -> (Child, String) {
    start_serve_on(&dynamodb_endpoint(), table, topics).await
}

/// [`start_serve`] against the DynamoDB at `endpoint`.
pub async fn start_serve_on(endpoint: &str, table: &str, topics: &str) -> (Child, String) {
    start_serve_with(endpoint, table, topics, &[]).await
}

/// `tubefeed serve` on a free port with `extra` variables on top of the tests' own: no warm
/// cache and no search cap, so every request reaches the table.
pub async fn start_serve_with(
    endpoint: &str,
    table: &str,
    topics: &str,
    extra: &[(&str, &str)],
) -> (Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_tubefeed"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("TABLE_NAME", table)
        .env("SEARCH_QUERIES", topics)
        .env(
            "PAGE_TOKEN_SECRET",
            "a-test-secret-of-enough-length-0123456",
        )
        .env("API_CACHE_SECONDS", "0")
        .env("API_SEARCH_PER_SECOND", "0")
        .envs(extra.iter().copied())
        .envs(local_aws(endpoint))
        .env_remove("AWS_PROFILE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tubefeed serve starts");
    let mut lines = BufReader::new(server.stderr.take().expect("piped stderr")).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stderr readable") {
            if let Some(url) = line.strip_prefix("tubefeed: serving on ") {
                return url.to_owned();
            }
        }
        panic!("tubefeed serve exited before listening");
    })
    .await
    .expect("tubefeed serve listens within 30 s");
    // Keep draining stderr so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (server, base)
}

/// What one run of the binary printed.
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `tubefeed args` against DynamoDB Local with `env` on top of the tests' own settings
/// (no profile, warnings only), without standard input.
pub async fn tubefeed(args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_tubefeed"))
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("YOUTUBE_API_KEYS_SECRET_ID")
        .env("RUST_LOG", "warn")
        .envs(local_aws(&dynamodb_endpoint()))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await
        .expect("tubefeed runs");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
