//! `make bench` (API): handler overhead, read units per feed and search page at several table
//! sizes, and a deep page against the first page — in read units and latency — beside the same
//! ratio for a bare SDK `Query` on DynamoDB Local. Needs TUBEFEED_TEST_DYNAMODB and the release
//! `tubefeed` (each table is loaded with `tubefeed import`).
//!
//! Args: table sizes (default `10000 100000`). With BENCH_TABLE_FILE set, a line `SIZE TABLE`
//! is appended there per size so scripts/bench.sh can measure `tubefeed serve` on each table.

mod data;
mod depth;
mod overhead;
mod search;
mod timing;

use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use tubefeed_core::FeedReader;
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, fresh_table};

use data::query;
use timing::{ms, timed};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> BenchResult<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if args.is_empty() {
        vec![10_000, 100_000]
    } else {
        args
    };
    overhead::handler_overhead().await?;

    println!("## API: read units and latency per page on DynamoDB Local (limit 20, p50 of 30)");
    println!();
    println!(
        "| videos | load time (`tubefeed import`) | feed page RU | search 1 word RU | search 2 words RU | first page | deep page (offset) | deep/first RU | deep/first latency | bare Query deep/first RU | bare Query deep/first latency |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .ok_or("time")?;
    let mut searches = Vec::new();
    let mut write_rows = Vec::new();
    for (k, &n) in sizes.iter().enumerate() {
        size_row(n, base, &mut searches).await?;
        if k == 0 {
            write_rows = search::write_units_rows(base).await?;
        }
    }
    println!();
    println!(
        "RU = read capacity units DynamoDB Local reports (ReturnConsumedCapacity=TOTAL), search pages"
    );
    println!(
        "include the selectivity probes and the BatchGetItem of the page's videos. Equal RU for the deep"
    );
    println!(
        "and the first page is the contract; the emulator's latency grows with depth for a bare Query too."
    );
    println!();
    println!("## Search: prefix queries beside the feed (limit 20, DynamoDB Local, warm process)");
    println!();
    println!("| videos | query | items | read units (cold) | p50 | p99 | p50 / feed p50 |");
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for r in &searches {
        println!("{r}");
    }
    println!();
    println!("## Search index: write units per new video (bench dataset)");
    println!();
    println!("| design | write units per new video | cost per 1,000 new videos (on-demand) |");
    println!("|---|---:|---:|");
    for r in &write_rows {
        println!("{r}");
    }
    Ok(())
}

/// Loads a fresh table of `n` videos, prints its row of the read-units table and adds its
/// search rows to `searches`.
async fn size_row(n: usize, base: DateTime<Utc>, searches: &mut Vec<String>) -> BenchResult<()> {
    let client = dynamodb_client();
    let table = fresh_table(&client).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let t = Instant::now();
    data::load(&table, n, base).await?;
    let load_time = t.elapsed();
    if let Ok(path) = std::env::var("BENCH_TABLE_FILE") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{n} {table}")?;
    }
    search::search_rows(&store, n, searches).await?;
    let (_, s1) = timed(3, || async {
        Ok(store.page(&query(&["wicket"], 20)?, None).await?)
    })
    .await?;
    let (_, s2) = timed(3, || async {
        Ok(store.page(&query(&["wicket", "tea"], 20)?, None).await?)
    })
    .await?;
    let d = depth::measure(&client, &store, &table, n, base).await?;
    let ratio = |a: f64, b: f64| a / b.max(f64::MIN_POSITIVE);
    println!(
        "| {n} | {:.1} s | {:.1} | {:.1} | {:.1} | {} | {} ({}) | {:.2} | {:.2} | {:.2} | {:.2} |",
        load_time.as_secs_f64(),
        d.first.1,
        s1.read_units,
        s2.read_units,
        ms(d.first.0),
        ms(d.deep.0),
        d.offset,
        ratio(d.deep.1, d.first.1),
        d.deep.0.as_secs_f64() / d.first.0.as_secs_f64(),
        ratio(d.bare_deep.1, d.bare_first.1),
        d.bare_deep.0.as_secs_f64() / d.bare_first.0.as_secs_f64(),
    );
    Ok(())
}
