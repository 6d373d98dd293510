//! The DynamoDB adapter. One table holds everything; see `infra/DATA_MODEL.md` for the key
//! design, its partition limits and how it spreads.

mod error;
mod feed;
pub mod items;
pub mod keys;
mod state;
pub mod table;
mod videos;

use aws_sdk_dynamodb::Client;

pub use error::sdk_error;
pub use keys::{DynamoKeyRing, KeyState, KeyStatus};
pub use table::{TableDefinition, create_table, definition};
pub use videos::ReindexOutcome;

/// The table, as every port implementation in this crate sees it. Cheap to clone: the SDK
/// client is an `Arc` inside.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
    pub fn client(&self) -> &Client {
        &self.client
    }
    pub fn table(&self) -> &str {
        &self.table
    }
}
