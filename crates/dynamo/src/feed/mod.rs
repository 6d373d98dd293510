//! The read side of the table for the API: feed pages, searches, single videos.
//!
//! A feed page is one `Query` on a GSI with `Limit = limit + 1`: the extra item tells whether
//! anything follows, so `next` is `None` exactly at the end (DynamoDB's own `LastEvaluatedKey`
//! may be present when nothing follows). The cursor is the full key of the last returned item —
//! table and index keys, exactly what `LastEvaluatedKey` would hold there — so a deep page costs
//! what the first one does.
//!
//! A search reads the prefix partition of its most selective word (`P#topic#prefix`, sorted
//! like the feed) with the other words and the channel as a filter on the entries' word
//! strings, then fetches the page's videos with one `BatchGetItem`. Selectivity is probed with
//! bounded `COUNT` queries of at most [`search::PROBE_WORDS`] words, all at once, over the whole
//! partition (not the date window, so a window moved by a second reuses the count), remembered
//! for a minute in the warm process; the chosen word rides in the cursor so a walk keeps its
//! driver.
//!
//! What one page may cost is bounded (docs/api.md "Read cost"): a feed page is one `Query` of at
//! most `limit + 1` items (with a detail filter, of at most [`list::FEED_FILTER_EVAL_FACTOR`]
//! times that many evaluated items, then a short page and a token to go on); a search page probes at most three partitions, then reads filtered
//! entries only until [`search::SEARCH_READ_BUDGET`] read units are spent (checked before each
//! `Query`, each of at most [`search::FILTER_BATCH_FACTOR`] entries per requested item) — a short page
//! and a token to go on, rather than reading on — and then fetches at most `limit` videos.

mod list;
mod retention;
mod search;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use tracing::instrument;
use tubefeed_core::{
    Cursor, FeedPage, FeedQuery, FeedReader, FetchState, FetchStateStore, StoreError, Topic, Video,
    VideoId,
};

use crate::DynamoStore;
use crate::items::{VideoItem, feed_sk_lower, feed_sk_upper, video_pk};

pub(crate) use search::ProbeCache;

type Item = HashMap<String, AttributeValue>;

pub(super) struct KeyCondition {
    expr: String,
    values: Vec<(String, AttributeValue)>,
}

/// `#h = :h` plus the `published_at` window as a condition on the sort key.
pub(super) fn key_condition(
    hash_attr: &str,
    hash: String,
    sort_attr: &str,
    q: &FeedQuery,
) -> KeyCondition {
    let mut values = vec![(":h".to_owned(), AttributeValue::S(hash))];
    let range = match (q.published_after, q.published_before) {
        (Some(a), Some(b)) => {
            values.push((":lo".into(), AttributeValue::S(feed_sk_lower(a))));
            values.push((":hi".into(), AttributeValue::S(feed_sk_upper(b))));
            format!(" AND {sort_attr} BETWEEN :lo AND :hi")
        }
        (Some(a), None) => {
            values.push((":lo".into(), AttributeValue::S(feed_sk_lower(a))));
            format!(" AND {sort_attr} >= :lo")
        }
        (None, Some(b)) => {
            values.push((":hi".into(), AttributeValue::S(feed_sk_upper(b))));
            format!(" AND {sort_attr} <= :hi")
        }
        (None, None) => String::new(),
    };
    KeyCondition {
        expr: format!("{hash_attr} = :h{range}"),
        values,
    }
}

pub(super) fn to_cursor_key(
    item: &Item,
    attrs: &[&str],
) -> Result<BTreeMap<String, String>, StoreError> {
    attrs
        .iter()
        .map(|a| match item.get(*a) {
            Some(AttributeValue::S(s)) => Ok(((*a).to_owned(), s.clone())),
            _ => Err(StoreError::Corrupt(format!("item lacks key attribute {a}"))),
        })
        .collect()
}

pub(super) fn from_cursor_key(key: &BTreeMap<String, String>) -> Item {
    key.iter()
        .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
        .collect()
}

pub(super) fn units(c: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>) -> f64 {
    c.and_then(|c| c.capacity_units()).unwrap_or(0.0)
}

impl DynamoStore {
    /// Records `ru` on the handle's read meter and hands it back.
    pub(super) fn counted(&self, ru: f64) -> f64 {
        self.count_reads(ru);
        ru
    }
}

impl FeedReader for DynamoStore {
    #[instrument(skip(self, start), fields(table = %self.table, topic = %q.topic, terms = q.terms.len()))]
    async fn page(&self, q: &FeedQuery, start: Option<&Cursor>) -> Result<FeedPage, StoreError> {
        let Some((q, start)) = retention::within(&self.retention, q, start) else {
            return Ok(FeedPage::default());
        };
        if q.terms.is_empty() {
            self.feed_page(&q, start).await
        } else {
            self.search_page(&q, start).await
        }
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn video(&self, id: &VideoId) -> Result<Option<Video>, StoreError> {
        // A video is stored once per topic; with a retention, one topic's copy may have
        // expired while another's has not.
        let limit = if self.retention.is_forever() { 1 } else { 100 };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(video_pk(id)))
            .limit(limit)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| self.sdk_error("Query video", e))?;
        self.counted(units(out.consumed_capacity()));
        for item in out.items.unwrap_or_default() {
            let vi: VideoItem =
                serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if vi.unavailable {
                return Ok(None);
            }
            if retention::admits(&self.retention, &vi) {
                return vi.to_video().map(Some).map_err(StoreError::Corrupt);
            }
        }
        Ok(None)
    }

    async fn hidden_channels(&self) -> Result<Vec<tubefeed_core::ChannelId>, StoreError> {
        use tubefeed_core::ChannelBlocks;
        Ok(self
            .blocked_channels()
            .await?
            .into_iter()
            .map(|b| b.channel_id)
            .collect())
    }

    async fn fetch_states(&self, topics: &[Topic]) -> Result<Vec<(Topic, FetchState)>, StoreError> {
        let mut out = Vec::with_capacity(topics.len());
        for t in topics {
            out.push((t.clone(), self.load(t).await?));
        }
        Ok(out)
    }
}

impl tubefeed_core::KeyPoolReader for DynamoStore {
    async fn key_pool(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<tubefeed_core::KeyPoolCounts, StoreError> {
        self.key_pool_counts(now).await
    }
}
