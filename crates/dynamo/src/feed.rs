//! The read side of the table for the API: feed pages, searches, single videos.
//!
//! A feed page is one `Query` on a GSI with `Limit = limit + 1`: the extra item tells whether
//! anything follows, so `next` is `None` exactly at the end (DynamoDB's own `LastEvaluatedKey`
//! may be present when nothing follows). The cursor is the full key of the last returned item —
//! table and index keys, exactly what `LastEvaluatedKey` would hold there — so a deep page costs
//! what the first one does.
//!
//! A search reads the index partition of its most selective word (`W#topic#word`, sorted like
//! the feed) with the other words and the channel as a filter on the entries' word lists, then
//! fetches the page's videos with one `BatchGetItem`. Selectivity is probed with a bounded
//! `COUNT` query per word, and the chosen word rides in the cursor so a walk keeps its driver.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};
use tracing::instrument;
use tubefeed_core::{
    Cursor, FeedPage, FeedQuery, FeedReader, FetchState, FetchStateStore, Order, StoreError, Topic,
    Video, VideoId,
};

use crate::DynamoStore;
use crate::error::sdk_error;
use crate::items::{
    CHANNEL_INDEX, CHANNEL_PK, FEED_INDEX, FEED_PK, FEED_SK, PK, SK, VideoItem, WordItem,
    channel_pk, feed_pk, feed_sk_lower, feed_sk_upper, video_pk, word_pk,
};

type Item = HashMap<String, AttributeValue>;

/// Index entries a search may evaluate per requested item: bounds a page's cost by its size
/// when the other words are rare among the driver's entries.
const SEARCH_EVAL_FACTOR: usize = 20;
/// Entries a selectivity probe counts per word, per requested item.
const PROBE_FACTOR: usize = 4;

struct KeyCondition {
    expr: String,
    values: Vec<(String, AttributeValue)>,
}

/// `#h = :h` plus the `published_at` window as a condition on the sort key.
fn key_condition(hash_attr: &str, hash: String, sort_attr: &str, q: &FeedQuery) -> KeyCondition {
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

fn to_cursor_key(item: &Item, attrs: &[&str]) -> Result<BTreeMap<String, String>, StoreError> {
    attrs
        .iter()
        .map(|a| match item.get(*a) {
            Some(AttributeValue::S(s)) => Ok(((*a).to_owned(), s.clone())),
            _ => Err(StoreError::Corrupt(format!("item lacks key attribute {a}"))),
        })
        .collect()
}

fn from_cursor_key(key: &BTreeMap<String, String>) -> Item {
    key.iter()
        .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
        .collect()
}

fn units(c: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>) -> f64 {
    c.and_then(|c| c.capacity_units()).unwrap_or(0.0)
}

impl DynamoStore {
    async fn feed_page(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
    ) -> Result<FeedPage, StoreError> {
        let (index, hash_attr, hash) = match &q.channel_id {
            Some(ch) => (CHANNEL_INDEX, CHANNEL_PK, channel_pk(&q.topic, ch)),
            None => (FEED_INDEX, FEED_PK, feed_pk(&q.topic)),
        };
        let cond = key_condition(hash_attr, hash, FEED_SK, q);
        let want = usize::from(q.limit) + 1;
        let mut items: Vec<Item> = Vec::with_capacity(want);
        let mut read_units = 0.0;
        let mut exclusive = start.map(|c| from_cursor_key(&c.key));
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&cond.expr)
                .set_expression_attribute_values(Some(cond.values.iter().cloned().collect()))
                .scan_index_forward(q.order == Order::Asc)
                .limit(i32::try_from(want - items.len()).unwrap_or(51))
                .set_exclusive_start_key(exclusive.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("Query feed", e))?;
            read_units += units(out.consumed_capacity());
            items.extend(out.items.unwrap_or_default());
            // Only the 1 MB response limit can stop a filterless query short of `Limit`.
            match out.last_evaluated_key {
                Some(k) if items.len() < want => exclusive = Some(k),
                _ => break,
            }
        }
        let next = if items.len() > usize::from(q.limit) {
            items.truncate(usize::from(q.limit));
            let last = items
                .last()
                .ok_or_else(|| StoreError::Corrupt("empty page with a successor".into()))?;
            Some(Cursor {
                key: to_cursor_key(last, &[PK, SK, hash_attr, FEED_SK])?,
                driver: None,
            })
        } else {
            None
        };
        let videos = items
            .into_iter()
            .map(|i| {
                serde_dynamo::from_item::<_, VideoItem>(i)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
                    .and_then(|v| v.to_video().map_err(StoreError::Corrupt))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FeedPage {
            videos,
            next,
            read_units,
        })
    }

    /// How many index entries (up to `cap`) a word has in the query's window.
    async fn probe(
        &self,
        q: &FeedQuery,
        word: &str,
        cap: usize,
    ) -> Result<(usize, f64), StoreError> {
        let cond = key_condition(PK, word_pk(&q.topic, word), SK, q);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(&cond.expr)
            .set_expression_attribute_values(Some(cond.values.into_iter().collect()))
            .select(Select::Count)
            .limit(i32::try_from(cap).unwrap_or(i32::MAX))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("Query probe", e))?;
        Ok((
            usize::try_from(out.count).unwrap_or(0),
            units(out.consumed_capacity()),
        ))
    }

    async fn search_page(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
    ) -> Result<FeedPage, StoreError> {
        let mut read_units = 0.0;
        let driver = match start.and_then(|c| c.driver.clone()) {
            Some(d) if q.terms.contains(&d) => d,
            Some(_) => {
                return Err(StoreError::Corrupt(
                    "cursor driver is not a query word".into(),
                ));
            }
            None if q.terms.len() == 1 => q.terms[0].clone(),
            None => {
                let cap = PROBE_FACTOR * (usize::from(q.limit) + 1);
                let mut best: Option<(usize, &String)> = None;
                for w in &q.terms {
                    let (n, ru) = self.probe(q, w, cap).await?;
                    read_units += ru;
                    // Fewest entries wins; among equals the longer word is likelier rare.
                    if best.is_none_or(|(bn, bw)| n < bn || (n == bn && w.len() > bw.len())) {
                        best = Some((n, w));
                    }
                    if n == 0 {
                        break;
                    }
                }
                best.map(|(_, w)| w.clone())
                    .ok_or_else(|| StoreError::Corrupt("search without words".into()))?
            }
        };

        let mut cond = key_condition(PK, word_pk(&q.topic, &driver), SK, q);
        let mut filters = Vec::new();
        for (i, w) in q.terms.iter().filter(|w| **w != driver).enumerate() {
            cond.values
                .push((format!(":w{i}"), AttributeValue::S(w.clone())));
            filters.push(format!("contains(words, :w{i})"));
        }
        if let Some(ch) = &q.channel_id {
            cond.values
                .push((":ch".into(), AttributeValue::S(ch.clone())));
            filters.push("channel_id = :ch".into());
        }
        let filter = (!filters.is_empty()).then(|| filters.join(" AND "));

        let want = usize::from(q.limit) + 1;
        let eval_budget = SEARCH_EVAL_FACTOR * want;
        let mut evaluated = 0usize;
        let mut hits: Vec<Item> = Vec::with_capacity(want);
        let mut exclusive = start.map(|c| from_cursor_key(&c.key));
        let mut resume: Option<Item> = None;
        loop {
            let batch = if filter.is_some() {
                (eval_budget - evaluated).min(want * 4)
            } else {
                want - hits.len()
            };
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&cond.expr)
                .set_filter_expression(filter.clone())
                .set_expression_attribute_values(Some(cond.values.iter().cloned().collect()))
                .scan_index_forward(q.order == Order::Asc)
                .limit(i32::try_from(batch.max(1)).unwrap_or(i32::MAX))
                .set_exclusive_start_key(exclusive.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("Query search", e))?;
            read_units += units(out.consumed_capacity());
            evaluated += usize::try_from(out.scanned_count).unwrap_or(0);
            hits.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                None => break,
                Some(_) if hits.len() >= want => break,
                Some(k) if evaluated >= eval_budget => {
                    // Bounded cost: hand back a short page and where to go on.
                    resume = Some(k);
                    break;
                }
                Some(k) => exclusive = Some(k),
            }
        }
        let next = if hits.len() > usize::from(q.limit) {
            hits.truncate(usize::from(q.limit));
            let last = hits
                .last()
                .ok_or_else(|| StoreError::Corrupt("empty page with a successor".into()))?;
            Some(Cursor {
                key: to_cursor_key(last, &[PK, SK])?,
                driver: Some(driver.clone()),
            })
        } else {
            match resume {
                Some(k) => Some(Cursor {
                    key: to_cursor_key(&k, &[PK, SK])?,
                    driver: Some(driver.clone()),
                }),
                None => None,
            }
        };

        let entries: Vec<WordItem> = hits
            .into_iter()
            .map(|i| serde_dynamo::from_item(i).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<_, _>>()?;
        let (mut by_id, ru) = self
            .video_items(&q.topic, entries.iter().map(|e| e.id.as_str()), false)
            .await?;
        read_units += ru;
        // Index order is page order; an entry whose video vanished is skipped.
        let videos = entries
            .iter()
            .filter_map(|e| by_id.remove(&e.id))
            .map(|vi| vi.to_video().map_err(StoreError::Corrupt))
            .collect::<Result<_, _>>()?;
        Ok(FeedPage {
            videos,
            next,
            read_units,
        })
    }
}

impl FeedReader for DynamoStore {
    #[instrument(skip(self, start), fields(table = %self.table, topic = %q.topic, terms = q.terms.len()))]
    async fn page(&self, q: &FeedQuery, start: Option<&Cursor>) -> Result<FeedPage, StoreError> {
        if q.terms.is_empty() {
            self.feed_page(q, start).await
        } else {
            self.search_page(q, start).await
        }
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn video(&self, id: &VideoId) -> Result<Option<Video>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(video_pk(id)))
            .limit(1)
            .send()
            .await
            .map_err(|e| sdk_error("Query video", e))?;
        match out.items.unwrap_or_default().into_iter().next() {
            Some(item) => {
                let vi: VideoItem = serde_dynamo::from_item(item)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                vi.to_video().map(Some).map_err(StoreError::Corrupt)
            }
            None => Ok(None),
        }
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
