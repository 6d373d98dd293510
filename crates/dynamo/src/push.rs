//! WebSub subscriptions, one item per channel (`W#<channel>`): written when the scheduled
//! function asks the hub, confirmed by the API when the hub verifies, with a condition that
//! accepts only a request of the same mode made within `PENDING_WINDOW`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use chrono::{DateTime, Duration, TimeZone, Utc};
use tracing::instrument;
use tubefeed_core::{ChannelId, PENDING_WINDOW, PushMode, PushStore, PushSubscription, StoreError};

use crate::DynamoStore;
use crate::error::condition_failed;
use crate::items::{PK, SK};

const PUSH_SK: &str = "PUSH";
/// BatchGetItem takes at most 100 keys.
const BATCH: usize = 100;

fn push_pk(channel: &ChannelId) -> String {
    format!("W#{channel}")
}
fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn ms(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(t.timestamp_millis().to_string())
}
fn key(channel: &ChannelId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), s(push_pk(channel))),
        (SK.to_owned(), s(PUSH_SK)),
    ])
}

fn time(item: &HashMap<String, AttributeValue>, name: &str) -> Option<DateTime<Utc>> {
    let n = item.get(name)?.as_n().ok()?.parse::<i64>().ok()?;
    Utc.timestamp_millis_opt(n).single()
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Result<PushSubscription, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("push subscription: {what}"));
    let channel = item
        .get("channel_id")
        .and_then(|v| v.as_s().ok())
        .and_then(|c| ChannelId::parse(c).ok())
        .ok_or_else(|| corrupt("channel_id"))?;
    let mode = item
        .get("mode")
        .and_then(|v| v.as_s().ok())
        .and_then(|m| PushMode::parse(m))
        .ok_or_else(|| corrupt("mode"))?;
    Ok(PushSubscription {
        channel_id: channel,
        mode,
        requested_at: time(item, "requested_at_ms").ok_or_else(|| corrupt("requested_at_ms"))?,
        verified_at: time(item, "verified_at_ms"),
        lease_until: time(item, "lease_until_ms"),
    })
}

impl PushStore for DynamoStore {
    #[instrument(skip(self, channels), fields(table = %self.table, n = channels.len()))]
    async fn subscriptions(
        &self,
        channels: &[ChannelId],
    ) -> Result<Vec<PushSubscription>, StoreError> {
        let mut out = Vec::new();
        for chunk in channels.chunks(BATCH) {
            let mut keys: Vec<HashMap<String, AttributeValue>> = chunk.iter().map(key).collect();
            // Unprocessed keys come back under throttling: ask again until none are left.
            for attempt in 0..8u32 {
                if keys.is_empty() {
                    break;
                }
                let ka = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| crate::error::build_error("KeysAndAttributes", e))?;
                let res = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, ka)
                    .send()
                    .await
                    .map_err(|e| self.sdk_error("BatchGetItem push subscriptions", e))?;
                for item in res
                    .responses()
                    .and_then(|r| r.get(&self.table))
                    .into_iter()
                    .flatten()
                {
                    out.push(from_item(item)?);
                }
                if let Some(left) = res.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    keys = left.keys().to_vec();
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5)))
                        .await;
                }
            }
            if !keys.is_empty() {
                return Err(StoreError::Unprocessed(keys.len()));
            }
        }
        Ok(out)
    }

    #[instrument(skip(self, sub), fields(table = %self.table, channel = %sub.channel_id))]
    async fn record_request(&self, sub: &PushSubscription) -> Result<(), StoreError> {
        let mut item = key(&sub.channel_id);
        item.insert("channel_id".into(), s(sub.channel_id.as_str()));
        item.insert("mode".into(), s(sub.mode.as_str()));
        item.insert("requested_at_ms".into(), ms(sub.requested_at));
        if let Some(t) = sub.verified_at {
            item.insert("verified_at_ms".into(), ms(t));
        }
        if let Some(t) = sub.lease_until {
            item.insert("lease_until_ms".into(), ms(t));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.sdk_error("PutItem push subscription", e))?;
        Ok(())
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn confirm(
        &self,
        channel: &ChannelId,
        mode: PushMode,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(channel)))
            .condition_expression("#mode = :mode AND requested_at_ms >= :since")
            .expression_attribute_names("#mode", "mode")
            .expression_attribute_values(":mode", s(mode.as_str()))
            .expression_attribute_values(":since", ms(now - PENDING_WINDOW))
            .expression_attribute_values(":now", ms(now));
        let update = match mode {
            PushMode::Subscribe => update
                .update_expression("SET verified_at_ms = :now, lease_until_ms = :until")
                .expression_attribute_values(":until", ms(now + lease)),
            PushMode::Unsubscribe => {
                update.update_expression("SET verified_at_ms = :now REMOVE lease_until_ms")
            }
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(self.sdk_error("UpdateItem push subscription", e)),
        }
    }
}
