//! What the table holds per topic, whatever the configuration says today (a topic dropped from
//! `SEARCH_QUERIES` keeps its videos, and a backup must not miss them): operators' reads for
//! `tubefeed export` and `tubefeed status`.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use tubefeed_core::{StoreError, Topic};

use crate::DynamoStore;
use crate::items::{FEED_INDEX, FEED_PK, FEED_SK, PK, SK, feed_pk, time_key};

impl DynamoStore {
    /// Every topic with a stored video or a fetch state, sorted. One `Scan` of the whole table
    /// (keys only are returned, but every item is read and paid for): an operator's command, not
    /// something a function does — neither Lambda role may `Scan`.
    pub async fn stored_topics(&self) -> Result<Vec<Topic>, StoreError> {
        let mut names = BTreeSet::new();
        let mut start: Option<std::collections::HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .projection_expression("#pk, #sk")
                .filter_expression(
                    "(begins_with(#pk, :v) AND begins_with(#sk, :t)) OR #sk = :state",
                )
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":v", AttributeValue::S("V#".into()))
                .expression_attribute_values(":t", AttributeValue::S("T#".into()))
                .expression_attribute_values(":state", AttributeValue::S("STATE".into()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.sdk_error("Scan topics", e))?;
            for item in out.items() {
                let key = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
                let name = match (key(PK), key(SK)) {
                    (Some(pk), Some(sk)) if sk == "STATE" => pk.strip_prefix("S#"),
                    (Some(_), Some(sk)) => sk.strip_prefix("T#"),
                    _ => None,
                };
                if let Some(name) = name {
                    names.insert(name.to_owned());
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        names
            .iter()
            .map(|n| Topic::parse(n).map_err(|e| StoreError::Corrupt(format!("topic {n:?}: {e}"))))
            .collect()
    }

    /// How many of a topic's stored videos were published at or after `since`: a `Query` of the
    /// topic's timeline from `since` on that returns a count only (its items are still read).
    pub async fn count_published_since(
        &self,
        topic: &Topic,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let mut n = 0u64;
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(FEED_INDEX)
                .key_condition_expression("#pk = :pk AND #sk >= :since")
                .expression_attribute_names("#pk", FEED_PK)
                .expression_attribute_names("#sk", FEED_SK)
                .expression_attribute_values(":pk", AttributeValue::S(feed_pk(topic)))
                .expression_attribute_values(":since", AttributeValue::S(time_key(since)))
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.sdk_error("Query count", e))?;
            n += u64::try_from(out.count).unwrap_or(0);
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(n),
            }
        }
    }
}
