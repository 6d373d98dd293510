//! Test support shared by the adapter and end-to-end tests.
//!
//! `make test` starts one DynamoDB Local for the whole run and exports its endpoint as
//! `TUBEFEED_TEST_DYNAMODB`; every test then creates its own table, so tests never see each
//! other's data and can run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

pub const ENDPOINT_VAR: &str = "TUBEFEED_TEST_DYNAMODB";

/// The DynamoDB Local endpoint. Panics with instructions when the variable is missing: an
/// adapter test that silently skipped would prove nothing.
pub fn dynamodb_endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set. Run the tests with `make test`, or start DynamoDB Local \
             (`scripts/services.sh start-ddb 8000`) and export {ENDPOINT_VAR}=http://127.0.0.1:8000"
        )
    })
}

/// A client for DynamoDB Local with dummy credentials.
pub fn dynamodb_client() -> Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "tubefeed-testkit",
        ))
        .endpoint_url(dynamodb_endpoint())
        .build();
    Client::from_conf(conf)
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
        match tubefeed_dynamo::create_table(client, &name).await {
            Ok(_) => return name,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not create table {name}: {last:?}");
}
