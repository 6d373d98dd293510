//! Searches: the prefix partition of the most selective word, the other words and the channel
//! as a filter, the page's videos in one `BatchGetItem`, the detail filter on those.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};
use tubefeed_core::text::MAX_WORD_BYTES;
use tubefeed_core::{Cursor, FeedPage, FeedQuery, Order, StoreError};

use super::{Item, KeyCondition, from_cursor_key, key_condition, to_cursor_key, units};
use crate::DynamoStore;
use crate::detail_filter::{Expression, hidden_channels};
use crate::items::{EntryItem, PK, SK, prefix_pk, term_key, term_needle};

/// Index entries a search may evaluate per requested item: bounds a page's cost by its size
/// when the other words are rare among the driver's entries.
const SEARCH_EVAL_FACTOR: usize = 20;
/// Entries one filtered `Query` reads per requested item: a word pair that co-occurs in one
/// entry of four fills a page in one round trip.
pub const FILTER_BATCH_FACTOR: usize = 4;
/// Entries a selectivity probe counts per word, per requested item.
const PROBE_FACTOR: usize = 4;
/// Words whose partitions a search probes (its longest ones); the rest only filter.
pub const PROBE_WORDS: usize = 3;
/// Read units a search page may spend on probes and filtered entries before it hands back a
/// short page and a token to go on (the videos' `BatchGetItem` comes on top).
pub const SEARCH_READ_BUDGET: f64 = 16.0;
/// How long a probe's count is trusted. A stale count only picks a slower driver, never a
/// wrong result.
const PROBE_TTL: Duration = Duration::from_secs(60);

/// Probe counts of the warm process: (partition, window, cap) → (count, when counted).
#[derive(Clone)]
pub(crate) struct ProbeCache(Arc<quick_cache::sync::Cache<String, (usize, Instant)>>);

impl Default for ProbeCache {
    fn default() -> Self {
        Self(Arc::new(quick_cache::sync::Cache::new(4096)))
    }
}

impl std::fmt::Debug for ProbeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProbeCache({} counts)", self.0.len())
    }
}

impl DynamoStore {
    /// How many index entries (up to `cap`) a partition has in the query's window, and the
    /// read units spent (none when the warm process remembers the count).
    async fn probe(
        &self,
        q: &FeedQuery,
        key: &str,
        cap: usize,
    ) -> Result<(usize, f64), StoreError> {
        // The whole partition, not the query's window: an upper bound that serves every window.
        let unbounded = FeedQuery {
            published_after: None,
            published_before: None,
            ..q.clone()
        };
        let cond = key_condition(PK, prefix_pk(&q.topic, key), SK, &unbounded);
        let memo = format!(
            "{}|{:?}|{cap}",
            cond.expr,
            cond.values.iter().map(|(_, v)| v).collect::<Vec<_>>()
        );
        if let Some((n, at)) = self.probe_counts.0.get(&memo) {
            if at.elapsed() < PROBE_TTL {
                return Ok((n, 0.0));
            }
        }
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
            .map_err(|e| self.sdk_error("Query probe", e))?;
        let n = usize::try_from(out.count).unwrap_or(0);
        self.probe_counts.0.insert(memo, (n, Instant::now()));
        Ok((n, self.counted(units(out.consumed_capacity()))))
    }

    /// The query word whose partition has the fewest entries in the window. All partitions are
    /// probed at once, so a multi-word search waits for one round trip, not one per word.
    async fn pick_driver(&self, q: &FeedQuery) -> Result<(String, f64), StoreError> {
        if let [only] = q.terms.as_slice() {
            return Ok((only.clone(), 0.0));
        }
        let cap = PROBE_FACTOR * (usize::from(q.limit) + 1);
        // The longest words are likeliest rare; probing a bounded number of them bounds the
        // page's cost whatever the length of `q`.
        let mut candidates: Vec<&String> = q.terms.iter().collect();
        candidates.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        candidates.truncate(PROBE_WORDS);
        let keys: Vec<String> = candidates.iter().map(|t| term_key(t).0).collect();
        let counts =
            futures_util::future::try_join_all(keys.iter().map(|k| self.probe(q, k, cap))).await?;
        let read_units = counts.iter().map(|(_, ru)| ru).sum();
        // Fewest entries wins; among equals the longer word is likelier rare.
        let best = candidates
            .into_iter()
            .zip(&counts)
            .min_by(|(a, (na, _)), (b, (nb, _))| na.cmp(nb).then(b.len().cmp(&a.len())))
            .map(|(t, _)| t.clone())
            .ok_or_else(|| StoreError::Corrupt("search without words".into()))?;
        Ok((best, read_units))
    }

    pub(super) async fn search_page(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
    ) -> Result<FeedPage, StoreError> {
        // No indexed word is longer than this, so no word can start with such a query word.
        if q.terms.iter().any(|t| t.len() > MAX_WORD_BYTES) {
            return Ok(FeedPage::default());
        }
        let (driver, probe_units) = self.search_driver(q, start).await?;
        let scan = self.scan_partition(q, start, &driver, probe_units).await?;
        let mut read_units = scan.read_units;
        let mut hits = scan.hits;
        let resume = if hits.len() > usize::from(q.limit) {
            hits.truncate(usize::from(q.limit));
            Some(
                hits.last()
                    .cloned()
                    .ok_or_else(|| StoreError::Corrupt("empty page with a successor".into()))?,
            )
        } else {
            scan.resume
        };
        let next = resume
            .map(|k| {
                Ok::<_, StoreError>(Cursor {
                    key: to_cursor_key(&k, &[PK, SK])?,
                    driver: Some(driver.clone()),
                })
            })
            .transpose()?;
        let entries: Vec<EntryItem> = hits
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
            // An unavailable video's entries are deleted with the mark; one left by a write
            // that failed between the two must not bring it back.
            .filter(|vi| !vi.unavailable)
            // The detail filter applies to the videos: a page may come out short, and the
            // cursor (the last entry read) makes sure nothing is read twice or skipped.
            .filter(|vi| q.filter.admits(vi.details.as_ref()))
            .map(|vi| vi.to_video().map_err(StoreError::Corrupt))
            .collect::<Result<_, _>>()?;
        Ok(FeedPage {
            videos,
            next,
            read_units,
        })
    }

    /// The word whose prefix partition a search reads: the one a later page's token names,
    /// or, on a first page, the rarest (probed, at a cost in read units).
    async fn search_driver(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
    ) -> Result<(String, f64), StoreError> {
        match start.map(|c| c.driver.clone()) {
            Some(Some(d)) if q.terms.contains(&d) => Ok((d, 0.0)),
            Some(Some(_)) => Err(StoreError::InvalidCursor("its search word is not in q")),
            Some(None) => Err(StoreError::InvalidCursor("it is not a search token")),
            None => self.pick_driver(q).await,
        }
    }

    /// Reads the driver's partition in the query's window, the other words and the channel as
    /// a filter, until a page and one more are found or the read budget is spent (`spent` is
    /// what choosing the driver already cost: the budget is the page's, not the scan's).
    async fn scan_partition(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
        driver: &str,
        spent: f64,
    ) -> Result<PartitionScan, StoreError> {
        let (driver_key, driver_exact) = term_key(driver);
        let partition = prefix_pk(&q.topic, &driver_key);
        // A token from before prefix search (or another partition) would make DynamoDB reject
        // the start key; say so as the client's mistake instead.
        if start.is_some_and(|c| c.key.get(PK) != Some(&partition)) {
            return Err(StoreError::InvalidCursor(
                "it was issued for another index; start from the first page",
            ));
        }
        let mut cond = key_condition(PK, partition, SK, q);
        let filter = search_filter(q, driver, driver_exact, &mut cond);
        let want = usize::from(q.limit) + 1;
        let eval_budget = SEARCH_EVAL_FACTOR * want;
        let mut scan = PartitionScan {
            read_units: spent,
            ..PartitionScan::default()
        };
        let mut evaluated = 0usize;
        let mut exclusive = start.map(|c| from_cursor_key(&c.key));
        loop {
            let batch = if filter.is_some() {
                (eval_budget - evaluated).min(want * FILTER_BATCH_FACTOR)
            } else {
                want - scan.hits.len()
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
                .map_err(|e| self.sdk_error("Query search", e))?;
            scan.read_units += self.counted(units(out.consumed_capacity()));
            evaluated += usize::try_from(out.scanned_count).unwrap_or(0);
            scan.hits.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                None => break,
                Some(_) if scan.hits.len() >= want => break,
                Some(k) if evaluated >= eval_budget || scan.read_units >= SEARCH_READ_BUDGET => {
                    // Bounded cost: hand back a short page and where to go on.
                    scan.resume = Some(k);
                    break;
                }
                Some(k) => exclusive = Some(k),
            }
        }
        Ok(scan)
    }
}

/// What one search read of a prefix partition found.
#[derive(Default)]
struct PartitionScan {
    hits: Vec<Item>,
    /// Where to go on when the read budget ran out before a page was found.
    resume: Option<Item>,
    /// The page's read units so far, the driver's probes included.
    read_units: f64,
}

/// The filter a search applies inside the driver's partition: every other word (and the
/// driver itself when its partition key is only a prefix of it), and the channel.
fn search_filter(
    q: &FeedQuery,
    driver: &str,
    driver_exact: bool,
    cond: &mut KeyCondition,
) -> Option<String> {
    let mut filters = Vec::new();
    let filtered = q.terms.iter().filter(|t| *t != driver || !driver_exact);
    for (i, t) in filtered.enumerate() {
        cond.values
            .push((format!(":w{i}"), AttributeValue::S(term_needle(t))));
        filters.push(format!("contains(ws, :w{i})"));
    }
    if let Some(ch) = &q.channel_id {
        cond.values
            .push((":ch".into(), AttributeValue::S(ch.to_string())));
        filters.push("channel_id = :ch".into());
    }
    let mut hidden = Expression::default();
    if let Some(f) = hidden_channels(q, &mut hidden) {
        cond.values.extend(hidden.values);
        filters.push(f);
    }
    (!filters.is_empty()).then(|| filters.join(" AND "))
}
