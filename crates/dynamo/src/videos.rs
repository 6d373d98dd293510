//! `VideoStore` on DynamoDB: read what is stored, write only what changed.
//!
//! Reading first (BatchGetItem, 100 keys a call, half a read unit per small item) tells new
//! from updated for the run summary and spares the write of every video YouTube merely
//! repeated — the late sweep re-reads hundreds of those. Writes are idempotent `PutRequest`s in
//! BatchWriteItem chunks of 25; unprocessed items are retried with jittered backoff.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnConsumedCapacity, WriteRequest,
};
use chrono::{DateTime, Utc};
use tracing::{debug, instrument};
use tubefeed_core::{StoreError, Topic, UpsertOutcome, Video, VideoStore, details_unchanged};

use crate::DynamoStore;
use crate::details::queue_item;
use crate::error::build_error;
use crate::items::{
    EntryItem, PK, SK, VideoItem, feed_sk, index_keys, legacy_word_pk, prefix_pk, time_key,
    topic_sk, video_pk, word_string,
};
use crate::outbox::outbox_item;
use crate::requests::{delete, put};
use tubefeed_core::text::index_words;

const GET_BATCH: usize = 100;
const WRITE_BATCH: usize = 25;
const MAX_ATTEMPTS: u32 = 8;

type Item = HashMap<String, AttributeValue>;

impl DynamoStore {
    /// The stored items of these videos under `topic`, by id, and the read units spent.
    /// BatchGetItem in chunks of 100, up to `write_concurrency` in flight (duplicate ids are
    /// asked once: DynamoDB rejects a request naming a key twice), retrying unprocessed keys
    /// with jittered backoff. The fetcher reads
    /// consistently (it decides what to write); the API does not.
    pub(crate) async fn video_items<'a>(
        &self,
        topic: &Topic,
        ids: impl Iterator<Item = &'a str>,
        consistent: bool,
    ) -> Result<(HashMap<String, VideoItem>, f64), StoreError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<&str> = ids.filter(|id| seen.insert(*id)).collect();
        // Owned chunks: futures over borrowed slices trip the `Send` checks of the async traits.
        let chunks: Vec<Vec<String>> = ids
            .chunks(GET_BATCH)
            .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        stream::iter(chunks)
            .map(|chunk| self.get_chunk(topic, chunk, consistent))
            .buffer_unordered(self.write_concurrency)
            .try_fold(
                (HashMap::with_capacity(ids.len()), 0.0),
                |(mut found, ru), (items, chunk_ru)| async move {
                    found.extend(items);
                    Ok((found, ru + chunk_ru))
                },
            )
            .await
    }

    /// One BatchGetItem of at most 100 keys, retrying unprocessed keys with jittered backoff.
    async fn get_chunk(
        &self,
        topic: &Topic,
        chunk: Vec<String>,
        consistent: bool,
    ) -> Result<(Vec<(String, VideoItem)>, f64), StoreError> {
        let keys: Vec<Item> = chunk
            .iter()
            .map(|id| {
                HashMap::from([
                    (PK.to_owned(), AttributeValue::S(video_pk(id))),
                    (SK.to_owned(), AttributeValue::S(topic_sk(topic))),
                ])
            })
            .collect();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(consistent)
                .build()
                .map_err(|e| build_error("KeysAndAttributes", e))?,
        );
        let mut found = Vec::with_capacity(chunk.len());
        let mut read_units = 0.0;
        let mut attempt = 0;
        while let Some(req) = pending.take() {
            if attempt > 0 {
                backoff(attempt).await;
            }
            if attempt >= MAX_ATTEMPTS {
                return Err(StoreError::Unprocessed(req.keys().len()));
            }
            attempt += 1;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, req)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| self.sdk_error("BatchGetItem", e))?;
            let ru = out
                .consumed_capacity()
                .iter()
                .filter_map(|c| c.capacity_units())
                .sum::<f64>();
            self.count_reads(ru);
            read_units += ru;
            for item in out
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                let vi: VideoItem = serde_dynamo::from_item(item)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                found.push((vi.id.clone(), vi));
            }
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .filter(|k| !k.keys().is_empty());
        }
        Ok((found, read_units))
    }

    /// BatchWriteItem in chunks of 25, up to `write_concurrency` chunks in flight, each
    /// retrying what DynamoDB leaves unprocessed. Returns the requests sent.
    pub(crate) async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<usize, StoreError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let mut chunks = Vec::with_capacity(writes.len().div_ceil(WRITE_BATCH));
        let mut writes = writes.into_iter().peekable();
        while writes.peek().is_some() {
            chunks.push(writes.by_ref().take(WRITE_BATCH).collect::<Vec<_>>());
        }
        stream::iter(chunks)
            .map(|batch| self.write_chunk(batch))
            .buffer_unordered(self.write_concurrency)
            .try_fold(0, |n, r| async move { Ok(n + r) })
            .await
    }

    async fn write_chunk(&self, mut batch: Vec<WriteRequest>) -> Result<usize, StoreError> {
        let mut requests = 0;
        let mut attempt = 0;
        while !batch.is_empty() {
            if attempt > 0 {
                backoff(attempt).await;
            }
            if attempt >= MAX_ATTEMPTS {
                return Err(StoreError::Unprocessed(batch.len()));
            }
            attempt += 1;
            requests += 1;
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, std::mem::take(&mut batch))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| self.sdk_error("BatchWriteItem", e))?;
            self.count_writes(
                out.consumed_capacity()
                    .iter()
                    .filter_map(|c| c.capacity_units())
                    .sum::<f64>(),
            );
            batch = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
            if !batch.is_empty() {
                debug!(
                    unprocessed = batch.len(),
                    attempt, "retrying unprocessed items"
                );
            }
        }
        Ok(requests)
    }
}

/// Full jitter over an exponential ceiling (50 ms · 2^n, at most 2 s), as AWS recommends for
/// unprocessed batch items.
async fn backoff(attempt: u32) {
    let ceiling = 50u64.saturating_mul(1 << attempt.min(6)).min(2_000);
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=ceiling))).await;
}

impl VideoStore for DynamoStore {
    #[instrument(skip(self, videos), fields(table = %self.table, topic = %topic, n = videos.len()))]
    async fn upsert(
        &self,
        topic: &Topic,
        videos: &[Video],
        now: DateTime<Utc>,
    ) -> Result<UpsertOutcome, StoreError> {
        // Last one wins within a call, as it would across calls.
        let mut by_id: HashMap<&str, &Video> = HashMap::with_capacity(videos.len());
        for v in videos {
            by_id.insert(v.id.as_str(), v);
        }
        let unique: Vec<&Video> = by_id.into_values().collect();
        let (existing, _) = self
            .video_items(topic, unique.iter().map(|v| v.id.as_str()), true)
            .await?;
        let now_key = time_key(now);
        let mut outcome = UpsertOutcome::default();
        // Search entries are written (and stale ones deleted) before any video item, in
        // separate batches: a video item that exists implies its entries do. A run that fails
        // part-way leaves its videos absent or unchanged, so the next run sees them as new or
        // changed and writes their entries again, instead of finding them "unchanged" and
        // leaving them unsearchable.
        let mut entry_writes = Vec::new();
        let mut item_writes = Vec::new();
        for v in unique {
            if self.retention.is_expired(topic, v.published_at, now) {
                outcome.expired += 1;
                continue;
            }
            let expires_at = self.expires_at(topic, v);
            let old = existing.get(v.id.as_str());
            let first_seen = match old {
                Some(old) => {
                    // An unavailable video found again is public again: it is rewritten, and
                    // with its index keys it is back in the lists. A changed retention is
                    // written too, so re-fetched videos pick it up without a reindex.
                    let same = old.to_video().is_ok_and(|o| {
                        o.same_listing(v)
                            && details_unchanged(v.details.as_ref(), o.details.as_ref())
                    });
                    if same && !old.unavailable && old.expires_at == expires_at {
                        outcome.unchanged += 1;
                        continue;
                    }
                    outcome.updated += 1;
                    old.first_seen_at.clone()
                }
                None => {
                    outcome.new += 1;
                    outcome.new_ids.push(v.id.clone());
                    // Queued for videos.list, unless it came with details (an import).
                    if v.details.is_none() {
                        entry_writes.push(put(queue_item(&now_key, &v.id, topic, &v.channel_id))?);
                    }
                    // Before the item, like the queue entry: a stored video has its row.
                    if self.events {
                        entry_writes.push(put(outbox_item(&now_key, now, &v.id, topic))?);
                    }
                    now_key.clone()
                }
            };
            // An unavailable video's entries were deleted: write them all again.
            let old_entries = old.filter(|o| !o.unavailable);
            index_writes(topic, old_entries, v, expires_at, &mut entry_writes)?;
            let mut item = VideoItem::new(topic, v, &first_seen, now);
            item.expires_at = expires_at;
            // Search results carry no details: what videos.list said stays.
            item.details = v
                .details
                .clone()
                .or_else(|| old.and_then(|o| o.details.clone()));
            item_writes.push(put(
                serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?
            )?);
        }
        outcome.write_requests = self.batch_write(entry_writes).await?;
        outcome.write_requests += self.batch_write(item_writes).await?;
        Ok(outcome)
    }
}

/// Keeps the search index in step with a video: when its words, channel or time changed, the
/// entries of keys it lost are deleted and every current entry is rewritten (each carries the
/// whole word string). An unchanged word set costs nothing.
pub(crate) fn index_writes(
    topic: &Topic,
    old: Option<&VideoItem>,
    v: &Video,
    expires_at: Option<i64>,
    writes: &mut Vec<WriteRequest>,
) -> Result<(), StoreError> {
    let words = index_words(&v.title, &v.description);
    let keys = index_keys(&words);
    let sk = feed_sk(v.published_at, &v.id);
    if let Some(old) = old {
        let old_words = index_words(&old.title, &old.description);
        let same_place = old.feed_sk == sk && v.channel_id == old.channel_id.as_str();
        if same_place && old_words == words && old.expires_at == expires_at {
            return Ok(());
        }
        // Delete only entries that the puts below will not overwrite: a delete and a put of
        // the same key in one batch is rejected by DynamoDB.
        for k in index_keys(&old_words) {
            if old.feed_sk != sk || !keys.contains(&k) {
                writes.push(delete(prefix_pk(topic, &k), old.feed_sk.clone())?);
            }
        }
    }
    let ws = word_string(&words);
    for k in &keys {
        let item = EntryItem {
            pk: prefix_pk(topic, k),
            sk: sk.clone(),
            id: v.id.to_string(),
            channel_id: v.channel_id.to_string(),
            ws: ws.clone(),
            expires_at,
        };
        writes.push(put(
            serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?
        )?);
    }
    Ok(())
}

/// The words the whole-word index (before prefix search) filed a video under: UAX #29 words,
/// NFKC, lower case. Only `tubefeed reindex` needs them, to delete those entries.
fn legacy_words(title: &str, description: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;
    let mut out: Vec<String> = Vec::new();
    for w in title.unicode_words().chain(description.unicode_words()) {
        if out.len() >= tubefeed_core::text::MAX_WORDS_PER_VIDEO {
            break;
        }
        let w: String = w.nfkc().flat_map(char::to_lowercase).collect();
        if !w.is_empty() && w.len() <= tubefeed_core::text::MAX_WORD_BYTES && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// What `tubefeed reindex` did for one topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReindexOutcome {
    pub videos: usize,
    pub entries: usize,
    /// Deletes sent for entries of the old whole-word index (absent ones cost a write too).
    pub legacy_deletes: usize,
    /// Video items whose `expires_at` changed to the retention in force.
    pub retention_updates: usize,
    pub write_requests: usize,
}

impl DynamoStore {
    /// The TTL time of `v` under `topic`'s retention, in epoch seconds.
    pub(crate) fn expires_at(&self, topic: &Topic, v: &Video) -> Option<i64> {
        self.retention
            .expires_at(topic, v.published_at)
            .map(|t| t.timestamp())
    }

    /// Rewrites the search entries of every stored video of `topic`, walking the topic's feed
    /// index newest first (no `Scan`), and deletes the entries of the whole-word index that came
    /// before prefix search. Video items and entries get the retention in force as their TTL
    /// time (`expires_at`), so a changed `RETENTION_DAYS` reaches every stored video. Idempotent and resumable: run it again after an interruption.
    /// Searches read only the prefix index, so a video is found at most once while this runs;
    /// videos it has not reached yet are not found until it does.
    pub async fn reindex(&self, topic: &Topic) -> Result<ReindexOutcome, StoreError> {
        let mut out = ReindexOutcome::default();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(crate::items::FEED_INDEX)
                .key_condition_expression("feed_pk = :p")
                .expression_attribute_values(":p", AttributeValue::S(crate::items::feed_pk(topic)))
                .scan_index_forward(false)
                .limit(100)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.sdk_error("Query reindex", e))?;
            let mut writes = Vec::new();
            let mut legacy = Vec::new();
            let mut items = Vec::new();
            for item in page.items.unwrap_or_default() {
                let mut vi: VideoItem = serde_dynamo::from_item(item)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let v = vi.to_video().map_err(StoreError::Corrupt)?;
                let expires_at = self.expires_at(topic, &v);
                let before = writes.len();
                index_writes(topic, None, &v, expires_at, &mut writes)?;
                if vi.expires_at != expires_at {
                    // The retention in force now, for TTL (reads apply it already).
                    vi.expires_at = expires_at;
                    out.retention_updates += 1;
                    items.push(put(serde_dynamo::to_item(vi.clone())
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?)?);
                }
                out.videos += 1;
                out.entries += writes.len() - before;
                for w in legacy_words(&v.title, &v.description) {
                    legacy.push(delete(legacy_word_pk(topic, &w), vi.feed_sk.clone())?);
                }
            }
            // New entries first: a video is never missing from both indexes at once.
            out.write_requests += self.batch_write(writes).await?;
            out.write_requests += self.batch_write(items).await?;
            out.legacy_deletes += legacy.len();
            out.write_requests += self.batch_write(legacy).await?;
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }
}
