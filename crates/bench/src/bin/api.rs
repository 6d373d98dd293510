//! `make bench` (API): handler overhead, read units per feed and search page at several table
//! sizes, and a deep page against the first page — in read units and latency — beside the same
//! ratio for a bare SDK `Query` on DynamoDB Local. Needs TUBEFEED_TEST_DYNAMODB and the release
//! `tubefeed` (each table is loaded with `tubefeed import`).
//!
//! Args: table sizes (default `10000 100000`). With BENCH_TABLE_FILE set, a line `SIZE TABLE`
//! is appended there per size so scripts/bench.sh can measure `tubefeed serve` on each table.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use tower::ServiceExt;
use tubefeed_core::{
    Cursor, FeedPage, FeedQuery, FeedReader, FetchState, KeyPoolCounts, KeyPoolReader, Order,
    StoreError, Topic, Video, VideoId, VideoStore,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, dynamodb_endpoint, fresh_table};

const VOCAB: [&str; 44] = [
    "Kohli's",
    "wickets",
    "wicketkeeper",
    "highland",
    "match",
    "highlights",
    "innings",
    "wicket",
    "bowler",
    "batting",
    "six",
    "four",
    "test",
    "final",
    "league",
    "world",
    "cup",
    "india",
    "england",
    "australia",
    "pakistan",
    "live",
    "score",
    "review",
    "classic",
    "record",
    "century",
    "catch",
    "run",
    "over",
    "pitch",
    "stadium",
    "fans",
    "captain",
    "tea",
    "how",
    "today",
    "news",
    "क्रिकेट",
    "मैच",
    "試合",
    "東",
    "京",
    "🏏",
];

fn video(i: usize, base: DateTime<Utc>) -> Video {
    // Six words drawn independently per video, so that any two words co-occur in about 2 %
    // of the videos, as unrelated words of a topic do.
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let words: Vec<&str> = (0..6).map(|_| VOCAB[rng.usize(..VOCAB.len())]).collect();
    let w = |k: usize| words[k];
    Video {
        id: VideoId::parse(&format!("v{i:010}")).unwrap_or_else(|_| unreachable!()),
        title: format!("Cricket {} {} {} #{i}", w(0), w(1), w(2)),
        description: format!("{} {} {} and more", w(3), w(4), w(5)),
        published_at: base + Duration::seconds(i as i64),
        channel_id: format!("UCchannel{:04}", i % 50),
        channel_title: format!("Channel {}", i % 50),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
    }
}

fn pct(mut v: Vec<StdDuration>, p: f64) -> StdDuration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: StdDuration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

#[derive(Clone)]
struct FixedPage(Arc<Vec<Video>>);

impl FeedReader for FixedPage {
    async fn page(&self, _q: &FeedQuery, _s: Option<&Cursor>) -> Result<FeedPage, StoreError> {
        let next = Some(Cursor {
            key: BTreeMap::from([
                ("pk".into(), "V#v0000000001".into()),
                ("sk".into(), "T#cricket".into()),
                ("feed_pk".into(), "T#cricket".into()),
                (
                    "feed_sk".into(),
                    "2026-01-01T00:00:00.000Z#v0000000001".into(),
                ),
            ]),
            driver: None,
        });
        Ok(FeedPage {
            videos: self.0.as_ref().clone(),
            next,
            read_units: 0.0,
        })
    }
    async fn video(&self, _id: &VideoId) -> Result<Option<Video>, StoreError> {
        Ok(None)
    }
    async fn fetch_states(&self, _t: &[Topic]) -> Result<Vec<(Topic, FetchState)>, StoreError> {
        Ok(vec![])
    }
}
impl KeyPoolReader for FixedPage {
    async fn key_pool(&self, _now: DateTime<Utc>) -> Result<KeyPoolCounts, StoreError> {
        Ok(KeyPoolCounts::default())
    }
}

async fn handler_overhead() -> Result<(), Box<dyn std::error::Error>> {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or("time")?;
    let page: Vec<Video> = (0..20).map(|i| video(i, base)).collect();
    let state = Arc::new(tubefeed_api::ApiState::new(
        FixedPage(Arc::new(page)),
        tubefeed_api::TokenCodec::new(b"bench-secret-0123456789-0123456789"),
        tubefeed_api::ApiSettings {
            topics: vec![Topic::parse("cricket")?],
            first_page_ttl: StdDuration::ZERO,
            ..Default::default()
        },
    ));
    let router = tubefeed_api::router(state);
    let mut times = Vec::with_capacity(20_000);
    for i in 0..22_000 {
        let req = axum::http::Request::get("/videos?limit=20&order=desc")
            .body(axum::body::Body::empty())?;
        let t = Instant::now();
        let resp = router.clone().oneshot(req).await?;
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
        let el = t.elapsed();
        assert!(body.len() > 1000);
        if i >= 2_000 {
            times.push(el);
        }
    }
    let mean = times.iter().sum::<StdDuration>() / times.len() as u32;
    println!(
        "## API: in-process handler time per 20-item page, store call excluded (target < 0.2 ms)"
    );
    println!();
    println!("| requests | mean | p50 | p99 |");
    println!("|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} |",
        times.len(),
        ms(mean),
        ms(pct(times.clone(), 0.5)),
        ms(pct(times, 0.99))
    );
    println!();
    Ok(())
}

/// Loads `n` videos the way a user seeds a table: a JSON Lines file in the API's Video shape,
/// imported by the real `tubefeed import` (the fetcher's write path, search entries included).
async fn load(
    table: &str,
    n: usize,
    base: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let file = std::env::temp_dir().join(format!("tubefeed-bench-{table}.jsonl"));
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for i in 0..n {
            let v = video(i, base);
            serde_json::to_writer(
                &mut w,
                &serde_json::json!({
                    "id": v.id.to_string(),
                    "title": v.title,
                    "description": v.description,
                    "published_at": v.published_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "channel_id": v.channel_id,
                    "channel_title": v.channel_title,
                    "topic": "cricket",
                }),
            )?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    let out = tokio::process::Command::new(tubefeed_bin()?)
        .arg("import")
        .arg(&file)
        .env("TABLE_NAME", table)
        .envs(tubefeed_testkit::local_aws(&dynamodb_endpoint()))
        .env_remove("AWS_PROFILE")
        .env("RUST_LOG", "warn")
        .output()
        .await;
    let _ = std::fs::remove_file(&file);
    let out = out?;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    if !out.status.success() || summary["imported"] != n {
        return Err(format!(
            "tubefeed import of {n} videos: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

/// The release `tubefeed` beside this example (`target/release/examples/..`), or TUBEFEED_BIN.
fn tubefeed_bin() -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    if let Some(bin) = std::env::var_os("TUBEFEED_BIN") {
        return Ok(bin.into());
    }
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("tubefeed"))
        .ok_or("no directory above the example")?;
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} missing: build -p tubefeed first", bin.display()).into())
    }
}

fn query(terms: &[&str], limit: u8) -> Result<FeedQuery, Box<dyn std::error::Error>> {
    Ok(FeedQuery {
        topic: Topic::parse("cricket")?,
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: terms.iter().map(|s| s.to_string()).collect(),
        limit,
    })
}

async fn timed<F, Fut, T>(reps: usize, f: F) -> Result<(StdDuration, T), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Box<dyn std::error::Error>>>,
{
    let (p50, _, last) = timed_p99(reps, f).await?;
    Ok((p50, last))
}

/// p50 and p99 of `reps` calls, and the last call's result.
async fn timed_p99<F, Fut, T>(
    reps: usize,
    mut f: F,
) -> Result<(StdDuration, StdDuration, T), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Box<dyn std::error::Error>>>,
{
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    Ok((
        pct(times.clone(), 0.5),
        pct(times, 0.99),
        last.ok_or("no reps")?,
    ))
}

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
async fn search_rows(
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
async fn write_units_rows(base: DateTime<Utc>) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use tubefeed_core::text::index_words;
    let sample = 1_000usize;
    let mut words = 0usize;
    let videos: Vec<Video> = (0..sample).map(|i| video(i, base)).collect();
    for v in &videos {
        words += index_words(&v.title, &v.description).len();
    }
    let per = |x: usize| x as f64 / sample as f64;
    let client = dynamodb_client();
    let store = DynamoStore::new(client.clone(), fresh_table(&client).await);
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![10_000, 100_000]
        } else {
            args
        }
    };
    handler_overhead().await?;

    println!("## API: read units and latency per page on DynamoDB Local (limit 20, p50 of 30)");
    println!();
    println!(
        "| videos | load time (`tubefeed import`) | feed page RU | search 1 word RU | search 2 words RU | first page | deep page (offset) | deep/first RU | deep/first latency | bare Query deep/first RU | bare Query deep/first latency |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let client = dynamodb_client();
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .ok_or("time")?;
    let mut searches = Vec::new();
    let mut write_rows = Vec::new();
    for (k, &n) in sizes.iter().enumerate() {
        let table = fresh_table(&client).await;
        let store = DynamoStore::new(client.clone(), table.clone());
        let t = Instant::now();
        load(&table, n, base).await?;
        let load_time = t.elapsed();
        if let Ok(path) = std::env::var("BENCH_TABLE_FILE") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(f, "{n} {table}")?;
        }

        search_rows(&store, n, &mut searches).await?;
        if k == 0 {
            write_rows = write_units_rows(base).await?;
        }

        let feed = query(&[], 20)?;
        let (first_lat, first) = timed(30, || async { Ok(store.page(&feed, None).await?) }).await?;
        let (_, s1) = timed(3, || async {
            Ok(store.page(&query(&["wicket"], 20)?, None).await?)
        })
        .await?;
        let (_, s2) = timed(3, || async {
            Ok(store.page(&query(&["wicket", "tea"], 20)?, None).await?)
        })
        .await?;

        // The item at desc position `offset` is video n-1-offset; its key is the cursor a walk
        // would carry there (the same bytes a page token wraps).
        let offset = n.saturating_sub(10_000).min(90_000).max(n / 2);
        let i = n - 1 - offset;
        let v = video(i, base);
        let key: BTreeMap<String, String> = BTreeMap::from([
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
        ]);
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

        let bare = |start: Option<HashMap<String, AttributeValue>>| {
            let client = client.clone();
            let table = table.clone();
            async move {
                let out = client
                    .query()
                    .table_name(&table)
                    .index_name("published_at")
                    .key_condition_expression("feed_pk = :p")
                    .expression_attribute_values(":p", AttributeValue::S("T#cricket".into()))
                    .scan_index_forward(false)
                    .limit(21)
                    .set_exclusive_start_key(start)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await?;
                Ok::<f64, Box<dyn std::error::Error>>(
                    out.consumed_capacity()
                        .and_then(|c| c.capacity_units())
                        .unwrap_or(0.0),
                )
            }
        };
        let start: HashMap<String, AttributeValue> = key
            .iter()
            .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
            .collect();
        let (bare_first_lat, bare_first_ru) = timed(30, || bare(None)).await?;
        let (bare_deep_lat, bare_deep_ru) = timed(30, || bare(Some(start.clone()))).await?;

        println!(
            "| {n} | {:.1} s | {:.1} | {:.1} | {:.1} | {} | {} ({offset}) | {:.2} | {:.2} | {:.2} | {:.2} |",
            load_time.as_secs_f64(),
            first.read_units,
            s1.read_units,
            s2.read_units,
            ms(first_lat),
            ms(deep_lat),
            deep.read_units / first.read_units.max(f64::MIN_POSITIVE),
            deep_lat.as_secs_f64() / first_lat.as_secs_f64(),
            bare_deep_ru / bare_first_ru.max(f64::MIN_POSITIVE),
            bare_deep_lat.as_secs_f64() / bare_first_lat.as_secs_f64(),
        );
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
