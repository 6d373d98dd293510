//! `ChannelBlocks` on DynamoDB: one partition, `BLOCKS`, an item per blocked channel.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use tubefeed_core::{BlockedChannel, ChannelBlocks, ChannelId, StoreError};

use crate::DynamoStore;
use crate::items::{PK, SK, time_key};

const BLOCKS_PK: &str = "BLOCKS";

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

impl ChannelBlocks for DynamoStore {
    async fn blocked_channels(&self) -> Result<Vec<BlockedChannel>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(BLOCKS_PK))
            .send()
            .await
            .map_err(|e| self.sdk_error("Query blocks", e))?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
                let channel_id = ChannelId::parse(get(SK).map_or("", String::as_str))
                    .map_err(|e| StoreError::Corrupt(format!("block: {e}")))?;
                let blocked_at = get("blocked_at")
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| StoreError::Corrupt(format!("block {channel_id}: no time")))?;
                Ok(BlockedChannel {
                    channel_id,
                    blocked_at,
                    note: get("note").cloned(),
                })
            })
            .collect()
    }

    async fn block_channel(&self, block: &BlockedChannel) -> Result<(), StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(BLOCKS_PK))
            .key(SK, s(block.channel_id.to_string()))
            .expression_attribute_values(":at", s(time_key(block.blocked_at)));
        let req = match &block.note {
            Some(note) => req
                .update_expression("SET blocked_at = if_not_exists(blocked_at, :at), note = :note")
                .expression_attribute_values(":note", s(note.clone())),
            None => req.update_expression("SET blocked_at = if_not_exists(blocked_at, :at)"),
        };
        req.send()
            .await
            .map_err(|e| self.sdk_error("UpdateItem block", e))?;
        Ok(())
    }

    async fn unblock_channel(&self, channel: &ChannelId) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(BLOCKS_PK))
            .key(SK, s(channel.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.sdk_error("DeleteItem block", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
