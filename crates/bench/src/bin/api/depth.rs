//! A deep page against the first: tubefeed's feed page and a bare SDK `Query`, in read units
//! and latency. Equal read units are the contract; the emulator's latency grows with depth for
//! a bare Query too.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, Utc};
use tubefeed_core::{Cursor, FeedReader};
use tubefeed_dynamo::DynamoStore;

use crate::data::{query, video};
use crate::timing::timed;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// p50 latency and read units of the first page and of a deep one.
pub struct Depth {
    pub offset: usize,
    pub first: (StdDuration, f64),
    pub deep: (StdDuration, f64),
    pub bare_first: (StdDuration, f64),
    pub bare_deep: (StdDuration, f64),
}

/// Measures on a table of `n` bench videos.
pub async fn measure(
    client: &Client,
    store: &DynamoStore,
    table: &str,
    n: usize,
    base: DateTime<Utc>,
) -> BenchResult<Depth> {
    let feed = query(&[], 20)?;
    let (first_lat, first) = timed(30, || async { Ok(store.page(&feed, None).await?) }).await?;
    // The item at desc position `offset` is video n-1-offset; its key is the cursor a walk
    // would carry there (the same bytes a page token wraps).
    let offset = n.saturating_sub(10_000).min(90_000).max(n / 2);
    let i = n - 1 - offset;
    let key = cursor_key(i, base);
    let cursor = Cursor {
        key: key.clone(),
        driver: None,
    };
    let (deep_lat, deep) =
        timed(30, || async { Ok(store.page(&feed, Some(&cursor)).await?) }).await?;
    assert_eq!(
        deep.videos.first().map(|v| v.id.to_string()),
        Some(video(i - 1, base).id.to_string())
    );
    let start: HashMap<String, AttributeValue> = key
        .iter()
        .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
        .collect();
    let bare_first = timed(30, || bare_query(client, table, None)).await?;
    let bare_deep = timed(30, || bare_query(client, table, Some(start.clone()))).await?;
    Ok(Depth {
        offset,
        first: (first_lat, first.read_units),
        deep: (deep_lat, deep.read_units),
        bare_first,
        bare_deep,
    })
}

/// The feed index key of bench video `i`.
fn cursor_key(i: usize, base: DateTime<Utc>) -> BTreeMap<String, String> {
    let v = video(i, base);
    BTreeMap::from([
        ("pk".into(), format!("V#{}", v.id)),
        ("sk".into(), "T#cricket".into()),
        ("feed_pk".into(), "T#cricket".into()),
        (
            "feed_sk".into(),
            format!(
                "{}#{}",
                v.published_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                v.id
            ),
        ),
    ])
}

/// The read units of one 21-item Query of the feed index, from `start`.
async fn bare_query(
    client: &Client,
    table: &str,
    start: Option<HashMap<String, AttributeValue>>,
) -> BenchResult<f64> {
    let out = client
        .query()
        .table_name(table)
        .index_name("published_at")
        .key_condition_expression("feed_pk = :p")
        .expression_attribute_values(":p", AttributeValue::S("T#cricket".into()))
        .scan_index_forward(false)
        .limit(21)
        .set_exclusive_start_key(start)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await?;
    Ok(out
        .consumed_capacity()
        .and_then(|c| c.capacity_units())
        .unwrap_or(0.0))
}
