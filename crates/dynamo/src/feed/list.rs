//! Feed pages: one `Query` on the feed or channel index, a detail filter and the blocked
//! channels applied in the query within a bounded number of evaluated items.

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use tubefeed_core::{Cursor, FeedPage, FeedQuery, Order, StoreError};

use super::{Item, from_cursor_key, key_condition, to_cursor_key, units};
use crate::DynamoStore;
use crate::detail_filter::item_filter;
use crate::items::{
    CHANNEL_INDEX, CHANNEL_PK, FEED_INDEX, FEED_PK, FEED_SK, PK, SK, VideoItem, channel_pk, feed_pk,
};

/// Items a feed page with a detail filter may evaluate per requested item (a page of a topic
/// that is 90 % Shorts, asked without Shorts, reads at most four pages' worth).
pub const FEED_FILTER_EVAL_FACTOR: usize = 4;

/// What a feed read found: the items (at most one more than the page), where to go on when
/// a filtered read stopped at its budget, and the read units.
struct FeedRead {
    items: Vec<Item>,
    resume: Option<Item>,
    read_units: f64,
}

impl DynamoStore {
    pub(super) async fn feed_page(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
    ) -> Result<FeedPage, StoreError> {
        let (index, hash_attr, hash) = match &q.channel_id {
            Some(ch) => (CHANNEL_INDEX, CHANNEL_PK, channel_pk(&q.topic, ch.as_str())),
            None => (FEED_INDEX, FEED_PK, feed_pk(&q.topic)),
        };
        let read = self.read_feed(q, index, hash_attr, hash, start).await?;
        let attrs = [PK, SK, hash_attr, FEED_SK];
        let mut items = read.items;
        let next = if items.len() > usize::from(q.limit) {
            items.truncate(usize::from(q.limit));
            let last = items
                .last()
                .ok_or_else(|| StoreError::Corrupt("empty page with a successor".into()))?;
            Some(to_cursor_key(last, &attrs)?)
        } else {
            // The last item evaluated, matching or not: nothing before it is read again.
            read.resume.map(|k| to_cursor_key(&k, &attrs)).transpose()?
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
            next: next.map(|key| Cursor { key, driver: None }),
            read_units: read.read_units,
        })
    }

    /// Reads `limit + 1` items of the index from `start`; with a detail filter, evaluates at
    /// most [`FEED_FILTER_EVAL_FACTOR`] times that many, then stops with where to go on.
    async fn read_feed(
        &self,
        q: &FeedQuery,
        index: &str,
        hash_attr: &str,
        hash: String,
        start: Option<&Cursor>,
    ) -> Result<FeedRead, StoreError> {
        let mut cond = key_condition(hash_attr, hash, FEED_SK, q);
        let filter = item_filter(q);
        if let Some(f) = &filter {
            cond.values.extend(f.values.iter().cloned());
        }
        let names = filter
            .as_ref()
            .filter(|f| !f.names.is_empty())
            .map(|f| f.names.iter().cloned().collect());
        let want = usize::from(q.limit) + 1;
        let eval_budget = FEED_FILTER_EVAL_FACTOR * want;
        let mut evaluated = 0usize;
        let mut read = FeedRead {
            items: Vec::with_capacity(want),
            resume: None,
            read_units: 0.0,
        };
        let mut exclusive = start.map(|c| from_cursor_key(&c.key));
        loop {
            // Half the budget a query: a filter most videos pass fills the page from the
            // first half; a rare one reads the second half too.
            let batch = match &filter {
                Some(_) => eval_budget.saturating_sub(evaluated).min(2 * want).max(1),
                None => want - read.items.len(),
            };
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&cond.expr)
                .set_filter_expression(filter.as_ref().map(|f| f.expr.clone()))
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(Some(cond.values.iter().cloned().collect()))
                .scan_index_forward(q.order == Order::Asc)
                .limit(i32::try_from(batch).unwrap_or(51))
                .set_exclusive_start_key(exclusive.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| self.sdk_error("Query feed", e))?;
            read.read_units += self.counted(units(out.consumed_capacity()));
            evaluated += usize::try_from(out.scanned_count).unwrap_or(0);
            read.items.extend(out.items.unwrap_or_default());
            // Without a filter only the 1 MB response limit stops a query short of `Limit`.
            match out.last_evaluated_key {
                Some(_) if read.items.len() >= want => return Ok(read),
                Some(k) if filter.is_some() && evaluated >= eval_budget => {
                    read.resume = Some(k);
                    return Ok(read);
                }
                Some(k) => exclusive = Some(k),
                None => return Ok(read),
            }
        }
    }
}
