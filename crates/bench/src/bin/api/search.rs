//! Search pages beside the feed, and what indexing a new video costs in write units.

use chrono::{DateTime, Utc};
use tubefeed_core::{FeedQuery, FeedReader, Topic, Video, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;

use crate::data::{query, video};
use crate::timing::{ms, timed_p99};

/// Searches of the prefix bench: whole words (as before prefix search) and what people type.
const SEARCHES: [&str; 8] = [
    "wicket",
    "wicket tea",
    "highl",
    "wick",
    "kohli",
    "tea ho",
    "wick bowl",
    "東",
];

/// Read units and latency of search pages beside the feed's first page, on one loaded table.
/// The first call of each query is cold (its probes are counted in its read units); the p50
/// and p99 are of 30 further calls in the same warm process, as a warm Lambda serves them.
pub async fn search_rows(
    store: &DynamoStore,
    n: usize,
    rows: &mut Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let feed = query(&[], 20)?;
    let (feed_p50, feed_p99, feed_page) =
        timed_p99(30, || async { Ok(store.page(&feed, None).await?) }).await?;
    rows.push(format!(
        "| {n} | feed, first page | {} | {:.1} | {} | {} | 1.00 |",
        feed_page.videos.len(),
        feed_page.read_units,
        ms(feed_p50),
        ms(feed_p99)
    ));
    for q in SEARCHES {
        let terms = tubefeed_core::text::query_terms(q);
        let fq = FeedQuery {
            terms,
            ..query(&[], 20)?
        };
        let cold = store.page(&fq, None).await?;
        let (p50, p99, _) = timed_p99(30, || async { Ok(store.page(&fq, None).await?) }).await?;
        rows.push(format!(
            "| {n} | search `{q}` | {} | {:.1} | {} | {} | {:.2} |",
            cold.videos.len(),
            cold.read_units,
            ms(p50),
            ms(p99),
            p50.as_secs_f64() / feed_p50.as_secs_f64()
        ));
    }
    Ok(())
}

/// What one new video costs to index, in the bench's dataset: measured for the design in use
/// (DynamoDB's `ReturnConsumedCapacity` on the write path's batch writes, index copies
/// included, writing 1,000 of the dataset's videos into a fresh table), and, for the designs
/// not built, estimated from the same words (items of 1 KB or less: the video item and its two
/// index copies, plus one per entry).
pub async fn write_units_rows(
    base: DateTime<Utc>,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use tubefeed_core::text::index_words;
    let sample = 1_000usize;
    let mut words = 0usize;
    let videos: Vec<Video> = (0..sample).map(|i| video(i, base)).collect();
    for v in &videos {
        words += index_words(&v.title, &v.description).len();
    }
    let per = |x: usize| x as f64 / sample as f64;
    let store = fresh_store().await;
    let topic = Topic::parse("cricket")?;
    store.upsert(&topic, &videos, Utc::now()).await?;
    let measured = store.write_units_spent() / sample as f64;
    // On-demand, us-east-1: $0.625 per million write request units.
    let cost = |wcu: f64| wcu * 1_000.0 * 0.625 / 1e6;
    let whole = 3.0 + per(words);
    let dict = 3.0 + 2.0 * per(words);
    Ok(vec![
        format!(
            "| whole words (before; estimated) | {whole:.1} | ${:.4} |",
            cost(whole)
        ),
        format!(
            "| term dictionary (postings + a counter per word; estimated) | {dict:.1} | ${:.4} |",
            cost(dict)
        ),
        format!(
            "| edge prefixes, 2–16 characters (now; measured) | {measured:.1} | ${:.4} |",
            cost(measured)
        ),
    ])
}
