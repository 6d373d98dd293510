//! `EventOutbox` on DynamoDB: one partition, `OUT`, sorted by when each video was stored. The
//! upsert writes a row with every new video, in the batch before the video items (see
//! `tubefeed_core::events`); rows expire by TTL after `OUTBOX_TTL_DAYS` (7) unpublished.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use tubefeed_core::events::outbox_expiry;
use tubefeed_core::{EventOutbox, OutboxRow, StoreError, Topic, VideoId};

use crate::DynamoStore;
use crate::items::{PK, SK, TTL_ATTR};
use crate::requests::delete;

pub const OUTBOX_PK: &str = "OUT";

type Item = HashMap<String, AttributeValue>;

/// The row announcing `id` as new under `topic`, stored at `now_key`.
pub(crate) fn outbox_item(now_key: &str, now: DateTime<Utc>, id: &VideoId, topic: &Topic) -> Item {
    let s = |v: String| AttributeValue::S(v);
    HashMap::from([
        (PK.to_owned(), s(OUTBOX_PK.to_owned())),
        (SK.to_owned(), s(format!("{now_key}#{topic}#{id}"))),
        ("id".to_owned(), s(id.to_string())),
        ("topic".to_owned(), s(topic.to_string())),
        (
            TTL_ATTR.to_owned(),
            AttributeValue::N(outbox_expiry(now).timestamp().to_string()),
        ),
    ])
}

fn row_of(item: &Item) -> Result<(String, Topic, VideoId), StoreError> {
    let get = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("outbox row without {k}")))
    };
    let topic = Topic::parse(get("topic")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let id = VideoId::parse(get("id")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((get(SK)?.clone(), topic, id))
}

impl EventOutbox for DynamoStore {
    async fn pending_events(&self, max: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let limit = i32::try_from(max.clamp(1, 1000)).unwrap_or(1000);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(OUTBOX_PK.into()))
            .limit(limit)
            .send()
            .await
            .map_err(|e| self.sdk_error("Query outbox", e))?;
        let rows: Vec<(String, Topic, VideoId)> = out
            .items
            .unwrap_or_default()
            .iter()
            .map(row_of)
            .collect::<Result<_, _>>()?;
        let mut by_topic: HashMap<&Topic, Vec<&str>> = HashMap::new();
        for (_, topic, id) in &rows {
            by_topic.entry(topic).or_default().push(id.as_str());
        }
        let mut stored = HashMap::new();
        for (topic, ids) in by_topic {
            let (items, _) = self.video_items(topic, ids.into_iter(), true).await?;
            for (id, item) in items {
                stored.insert((topic.clone(), id), item);
            }
        }
        let now = Utc::now();
        rows.into_iter()
            .map(|(position, topic, id)| {
                let video = match stored.get(&(topic.clone(), id.to_string())) {
                    Some(item) if !item.unavailable => {
                        let v = item.to_video().map_err(StoreError::Corrupt)?;
                        (!self.retention.is_expired(&topic, v.published_at, now)).then_some(v)
                    }
                    _ => None,
                };
                Ok(OutboxRow {
                    position,
                    topic,
                    id,
                    video,
                })
            })
            .collect()
    }

    async fn clear_events(&self, rows: &[OutboxRow]) -> Result<(), StoreError> {
        let deletes = rows
            .iter()
            .map(|r| delete(OUTBOX_PK.to_owned(), r.position.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(deletes).await.map(|_| ())
    }
}
