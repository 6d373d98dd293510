//! `DetailsStore` on DynamoDB: the queue of videos without details (one partition, `DQ`,
//! sorted by when each video was stored) and the writes that record what `videos.list` said.
//!
//! Details are written onto the video's item under its topic, conditionally on the item still
//! existing (retention may have removed it meanwhile). An unavailable video loses its feed and
//! channel index keys — both indexes are sparse, so it leaves every list without a filter and
//! at no read cost — and its search entries are deleted; it is found again if search ever
//! returns it.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use tubefeed_core::text::index_words;
use tubefeed_core::{
    ChannelId, DetailsResult, DetailsStore, PendingDetails, RecordOutcome, StoreError, Topic,
    VideoId,
};

use crate::DynamoStore;
use crate::items::{
    CHANNEL_INDEX, CHANNEL_PK, DETAILS_QUEUE_PK, FEED_INDEX, FEED_PK, PK, SK, VideoItem,
    channel_pk, details_queue_sk, feed_pk, index_keys, prefix_pk, time_key, topic_sk, video_pk,
};
use crate::requests::{delete, put};

type Item = HashMap<String, AttributeValue>;

/// What one entry's write found.
enum Recorded {
    Details,
    /// The item's search entries to delete (it left the lists).
    Unavailable(Vec<(String, String)>),
    Gone,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A queue entry: where the video stands in the queue (when it was stored under the topic),
/// and what the drain needs. The upsert and `queue_missing_details` write the same item, so
/// queueing a video again is the same put.
pub(crate) fn queue_item(
    first_seen_at: &str,
    id: &VideoId,
    topic: &Topic,
    channel: &ChannelId,
) -> Item {
    HashMap::from([
        (PK.to_owned(), s(DETAILS_QUEUE_PK)),
        (SK.to_owned(), s(details_queue_sk(first_seen_at, id, topic))),
        ("id".to_owned(), s(id.to_string())),
        ("topic".to_owned(), s(topic.to_string())),
        ("channel_id".to_owned(), s(channel.to_string())),
    ])
}

/// The entry back from its item (entries queued before blocks carry no channel).
fn entry_of(item: &Item) -> Result<PendingDetails, StoreError> {
    let get = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("details queue entry without {k}")))
    };
    let position = get(SK)?.clone();
    // The position starts with the time the video was stored (see `details_queue_sk`).
    let queued_at = position
        .split('#')
        .next()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("details queue entry {position}")))?
        .with_timezone(&Utc);
    Ok(PendingDetails {
        id: VideoId::parse(get("id")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        topic: Topic::parse(get("topic")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        position,
        queued_at,
        channel_id: get("channel_id")
            .ok()
            .and_then(|c| ChannelId::parse(c).ok()),
    })
}

impl DynamoStore {
    async fn record_one(
        &self,
        p: &PendingDetails,
        result: &DetailsResult,
        now: DateTime<Utc>,
    ) -> Result<Recorded, StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(video_pk(&p.id)))
            .key(SK, s(topic_sk(&p.topic)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(time_key(now)));
        let req = match result {
            DetailsResult::Found(d) => req
                .update_expression("SET details = :d, updated_at = :now")
                .expression_attribute_values(
                    ":d",
                    AttributeValue::M(
                        serde_dynamo::to_item(d).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ),
                ),
            DetailsResult::Unavailable => req
                .update_expression(
                    "SET unavailable = :t, updated_at = :now REMOVE feed_pk, channel_pk",
                )
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .return_values(ReturnValue::AllOld),
        };
        match req.send().await {
            Ok(out) => match result {
                DetailsResult::Found(_) => Ok(Recorded::Details),
                DetailsResult::Unavailable => {
                    let old: VideoItem =
                        serde_dynamo::from_item(out.attributes.unwrap_or_default())
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let words = index_words(&old.title, &old.description);
                    let entries = index_keys(&words)
                        .into_iter()
                        .map(|k| (prefix_pk(&p.topic, &k), old.feed_sk.clone()))
                        .collect();
                    Ok(Recorded::Unavailable(entries))
                }
            },
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(Recorded::Gone),
                _ => Err(self.sdk_error("UpdateItem details", e)),
            },
        }
    }
}

impl DetailsStore for DynamoStore {
    async fn pending_details(&self, limit: usize) -> Result<Vec<PendingDetails>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(DETAILS_QUEUE_PK))
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| self.sdk_error("Query details queue", e))?;
        out.items.unwrap_or_default().iter().map(entry_of).collect()
    }

    async fn record_details(
        &self,
        results: &[(PendingDetails, DetailsResult)],
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        // Owned pairs: futures over borrowed ones trip the `Send` checks of the async traits.
        let owned: Vec<(PendingDetails, DetailsResult)> = results.to_vec();
        let recorded: Vec<Recorded> = stream::iter(owned)
            .map(|(p, r)| async move { self.record_one(&p, &r, now).await })
            .buffered(self.write_concurrency)
            .try_collect()
            .await?;
        let mut out = RecordOutcome::default();
        let mut deletes = Vec::new();
        for ((p, _), r) in results.iter().zip(recorded) {
            match r {
                Recorded::Details => out.recorded += 1,
                Recorded::Gone => out.gone += 1,
                Recorded::Unavailable(entries) => {
                    out.unavailable += 1;
                    for (pk, sk) in entries {
                        deletes.push(delete(pk, sk)?);
                    }
                }
            }
            deletes.push(delete(DETAILS_QUEUE_PK.to_owned(), p.position.clone())?);
        }
        // Entries leave the queue only after their results are written: a failure before this
        // point leaves them queued, and recording them again writes the same values.
        self.batch_write(deletes).await?;
        Ok(out)
    }

    async fn drop_pending(&self, entries: &[PendingDetails]) -> Result<(), StoreError> {
        let deletes = entries
            .iter()
            .map(|p| delete(DETAILS_QUEUE_PK.to_owned(), p.position.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(deletes).await.map(|_| ())
    }

    async fn queue_missing_details(
        &self,
        topic: &Topic,
        channel: Option<&ChannelId>,
    ) -> Result<usize, StoreError> {
        let (index, hash_attr, hash) = match channel {
            Some(c) => (CHANNEL_INDEX, CHANNEL_PK, channel_pk(topic, c.as_str())),
            None => (FEED_INDEX, FEED_PK, feed_pk(topic)),
        };
        let mut queued = 0;
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#h = :p")
                .expression_attribute_names("#h", hash_attr)
                .expression_attribute_values(":p", s(hash.clone()))
                .filter_expression("attribute_not_exists(details)")
                .projection_expression("id, first_seen_at, channel_id")
                .limit(500)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.sdk_error("Query missing details", e))?;
            let mut writes = Vec::new();
            for item in page.items.unwrap_or_default() {
                let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
                let (Some(id), Some(first_seen), Some(ch)) =
                    (get("id"), get("first_seen_at"), get("channel_id"))
                else {
                    continue;
                };
                let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
                let id = VideoId::parse(id).map_err(|e| corrupt(&e))?;
                let ch = ChannelId::parse(ch).map_err(|e| corrupt(&e))?;
                writes.push(put(queue_item(first_seen, &id, topic, &ch))?);
            }
            queued += writes.len();
            self.batch_write(writes).await?;
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(queued),
            }
        }
    }
}
