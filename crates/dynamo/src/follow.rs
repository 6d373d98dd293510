//! A topic's channels (`FollowState`): one item per topic, its state as JSON (a few tens of KB
//! at most: `MAX_TRACKED_CHANNELS`), written with a version check so overlapping runs cannot
//! undo each other's counts.

use std::collections::HashMap;

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
        let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let item = HashMap::from([
            (PK.to_owned(), s(follow_pk(topic))),
            (SK.to_owned(), s(FOLLOW_SK)),
            ("topic".to_owned(), s(topic.as_str())),
            ("state".to_owned(), s(json)),
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
