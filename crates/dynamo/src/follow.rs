//! A topic's channels (`FollowState`): one item per topic, its state as zlib-compressed JSON,
//! written with a version check so overlapping runs cannot undo each other's counts. The item
//! is written whole every run, and a write costs a unit per KB: 200 followed channels are about
//! 110 KB of JSON and 37 KB compressed (figures in docs/figures.md). An item written before
//! compression (`state` as a string) still reads.

use std::collections::HashMap;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use tracing::instrument;
use tubefeed_core::{FollowState, FollowStore, StoreError, Topic};

use crate::DynamoStore;
use crate::error::condition_failed;
use crate::items::{PK, SK, follow_pk};

const FOLLOW_SK: &str = "FOLLOW";

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

impl FollowStore for DynamoStore {
    #[instrument(skip(self), fields(table = %self.table))]
    async fn load_follow(&self, topic: &Topic) -> Result<(FollowState, u64), StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(follow_pk(topic)))
            .key(SK, s(FOLLOW_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.sdk_error("GetItem channels", e))?;
        let Some(item) = out.item else {
            return Ok((FollowState::default(), 0));
        };
        let corrupt = |what: &str| StoreError::Corrupt(format!("channels of {topic}: {what}"));
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| corrupt("no version"))?;
        let state = match item.get("state") {
            Some(AttributeValue::B(z)) => {
                let mut json = Vec::new();
                ZlibDecoder::new(z.as_ref())
                    .read_to_end(&mut json)
                    .map_err(|e| corrupt(&format!("not zlib: {e}")))?;
                serde_json::from_slice(&json).map_err(|e| corrupt(&e.to_string()))?
            }
            Some(AttributeValue::S(json)) => {
                serde_json::from_str(json).map_err(|e| corrupt(&e.to_string()))?
            }
            _ => return Err(corrupt("no state attribute")),
        };
        Ok((state, version))
    }

    #[instrument(skip(self, state), fields(table = %self.table))]
    async fn save_follow(
        &self,
        topic: &Topic,
        state: &FollowState,
        version: u64,
    ) -> Result<bool, StoreError> {
        let z = compress(state)
            .map_err(|e| StoreError::Corrupt(format!("channels of {topic}: {e}")))?;
        let item = HashMap::from([
            (PK.to_owned(), s(follow_pk(topic))),
            (SK.to_owned(), s(FOLLOW_SK)),
            ("topic".to_owned(), s(topic.as_str())),
            ("state".to_owned(), AttributeValue::B(Blob::new(z))),
            (
                "version".to_owned(),
                AttributeValue::N((version + 1).to_string()),
            ),
        ]);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = if version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(self.sdk_error("PutItem channels", e)),
        }
    }
}

/// The topic's channels as `save_follow` writes them (the benchmark reports their size).
pub fn compress(state: &FollowState) -> Result<Vec<u8>, std::io::Error> {
    let json = serde_json::to_vec(state)?;
    let mut z = ZlibEncoder::new(Vec::with_capacity(json.len() / 2), Compression::default());
    z.write_all(&json)?;
    z.finish()
}
