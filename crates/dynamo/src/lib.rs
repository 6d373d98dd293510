//! The DynamoDB adapter. One table holds everything; see `infra/DATA_MODEL.md` for the key
//! design, its partition limits and how it spreads.

mod blocks;
mod detail_filter;
mod details;
mod error;
mod feed;
mod follow;
pub mod items;
pub mod keys;
mod outbox;
mod push;
mod requests;
mod state;
pub mod table;
mod topics;
mod videos;

use aws_sdk_dynamodb::Client;

pub use error::{build_error, describe_endpoint, sdk_error};
pub use follow::compress as compress_follow_state;
pub use keys::{DynamoKeyRing, KeyState, KeyStatus};
pub use table::{TableDefinition, create_table, definition};
pub use videos::ReindexOutcome;

/// Batch requests kept in flight by default. Each is a network round trip on AWS; through a
/// 10 ms-per-request proxy, 8 write 500 videos about 4× as fast as 1 (docs/figures.md), and
/// throttling (UnprocessedItems, retried) depends on the table's capacity, not on this number.
pub const DEFAULT_WRITE_CONCURRENCY: usize = 8;

/// The table, as every port implementation in this crate sees it. Cheap to clone: the SDK
/// client is an `Arc` inside.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Who errors name: "DynamoDB at http://127.0.0.1:8000", "DynamoDB in eu-west-1".
    endpoint: std::sync::Arc<str>,
    /// Batch writes in flight at once: on AWS each is a network round trip.
    write_concurrency: usize,
    probe_counts: feed::ProbeCache,
    /// Read units every read of this handle (and its clones) consumed, in thousandths, as
    /// DynamoDB reported them: what a request cost, for tests and benchmarks.
    read_milli_units: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The same for the batch writes of the write path (index copies included).
    write_milli_units: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// How long each topic keeps its videos: written as `expires_at` for TTL, and applied to
    /// every read so nothing past it is served before TTL deletes it.
    retention: std::sync::Arc<tubefeed_core::Retention>,
    /// Whether upserts write outbox rows for new videos (`EVENT_BUS_NAME` set).
    events: bool,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            endpoint: describe_endpoint(&client, None).into(),
            client,
            table: table.into(),
            write_concurrency: DEFAULT_WRITE_CONCURRENCY,
            probe_counts: feed::ProbeCache::default(),
            read_milli_units: Default::default(),
            write_milli_units: Default::default(),
            retention: Default::default(),
            events: false,
        }
    }
    /// This handle announcing new videos through the outbox (or not: an import does not).
    pub fn with_events(&self, on: bool) -> Self {
        Self {
            events: on,
            ..self.clone()
        }
    }
    /// This handle with `retention` (the table's data is shared with the other handles).
    pub fn with_retention(&self, retention: tubefeed_core::Retention) -> Self {
        Self {
            retention: std::sync::Arc::new(retention),
            ..self.clone()
        }
    }
    /// Read units this handle and its clones have consumed so far.
    pub fn read_units_spent(&self) -> f64 {
        self.read_milli_units
            .load(std::sync::atomic::Ordering::Relaxed) as f64
            / 1000.0
    }
    /// Write units the write path's batch writes have consumed so far, index copies included.
    pub fn write_units_spent(&self) -> f64 {
        self.write_milli_units
            .load(std::sync::atomic::Ordering::Relaxed) as f64
            / 1000.0
    }
    pub(crate) fn count_writes(&self, units: f64) {
        let milli = (units.max(0.0) * 1000.0).round() as u64;
        self.write_milli_units
            .fetch_add(milli, std::sync::atomic::Ordering::Relaxed);
    }
    pub(crate) fn count_reads(&self, units: f64) {
        let milli = (units.max(0.0) * 1000.0).round() as u64;
        self.read_milli_units
            .fetch_add(milli, std::sync::atomic::Ordering::Relaxed);
    }
    /// Names the endpoint override (`AWS_ENDPOINT_URL_DYNAMODB`) in this store's errors.
    pub fn with_endpoint_url(mut self, url: &str) -> Self {
        self.endpoint = describe_endpoint(&self.client, Some(url)).into();
        self
    }
    /// An SDK failure of `what` as this store's one-sentence error (see [`sdk_error`]).
    pub(crate) fn sdk_error<E, R>(
        &self,
        what: &str,
        e: aws_sdk_dynamodb::error::SdkError<E, R>,
    ) -> tubefeed_core::StoreError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        sdk_error(&self.endpoint, what, e)
    }
    /// How many `BatchWriteItem` requests one upsert keeps in flight (at least 1).
    pub fn with_write_concurrency(mut self, n: usize) -> Self {
        self.write_concurrency = n.max(1);
        self
    }
    pub fn client(&self) -> &Client {
        &self.client
    }
    pub fn table(&self) -> &str {
        &self.table
    }
}
