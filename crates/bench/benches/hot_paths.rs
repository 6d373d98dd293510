//! Micro-benchmarks of the pure hot paths (`cargo bench -p tubefeed-bench`, part of `make
//! bench`): what every request or every fetched page runs through, without any I/O.

use chrono::{DateTime, TimeZone, Utc};
use divan::black_box;
use tubefeed_core::budget::{Bank, BudgetPolicy, PollPrice, plan_run};
use tubefeed_core::text::{index_words, query_terms};
use tubefeed_core::{Cursor, FeedQuery, Order, PoolView, Topic};

fn main() {
    divan::main();
}

const TITLE: &str = "Kohli's century: India vs Australia, 3rd Test — full match highlights 🏏";
const DESCRIPTION: &str = "Watch every boundary and wicket from Day 2 at the MCG. क्रिकेट मैच की झलकियाँ, 試合のハイライト. Subscribe for more cricket highlights, analysis and interviews.";

/// Splitting, folding and deduplicating a video's words, as every write and search does.
#[divan::bench]
fn index_words_of_a_video() -> Vec<String> {
    index_words(black_box(TITLE), black_box(DESCRIPTION))
}

/// The index keys (2–16-character prefixes) a video is filed under.
#[divan::bench]
fn index_keys_of_a_video() -> usize {
    let words = index_words(TITLE, DESCRIPTION);
    tubefeed_dynamo::items::index_keys(black_box(&words)).len()
}

/// A typed query's words.
#[divan::bench]
fn query_words() -> Vec<String> {
    query_terms(black_box("Kohli's cent highl café 試合"))
}

/// The query string of a list request, as the API parses it before anything else.
#[divan::bench]
fn list_parameters() -> bool {
    let topics = [Topic::parse("cricket").unwrap_or_else(|_| unreachable!())];
    tubefeed_api::parse_list(
        black_box(Some(
            "q=tea+how&limit=50&order=asc&published_after=2026-11-23T12:00:00Z&topic=cricket",
        )),
        &topics,
        false,
    )
    .is_ok()
}

fn query() -> FeedQuery {
    FeedQuery {
        topic: Topic::parse("cricket").unwrap_or_else(|_| unreachable!()),
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: vec!["tea".into(), "how".into()],
        limit: 20,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    }
}

fn cursor() -> Cursor {
    Cursor {
        key: [
            ("pk", "P#cricket#tea"),
            ("sk", "2026-11-23T12:00:00.000Z#dQw4w9WgXcQ"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        driver: Some("tea".into()),
    }
}

/// Signing a page token.
#[divan::bench]
fn token_encode(bencher: divan::Bencher) {
    let codec = tubefeed_api::TokenCodec::new(b"bench-secret-0123456789-0123456789");
    let (q, c) = (query(), cursor());
    bencher.bench(|| codec.encode(black_box(&q), black_box(&c)));
}

/// Checking a page token: HMAC, payload and query binding.
#[divan::bench]
fn token_decode(bencher: divan::Bencher) {
    let codec = tubefeed_api::TokenCodec::new(b"bench-secret-0123456789-0123456789");
    let q = query();
    let token = codec.encode(&q, &cursor());
    bencher.bench(|| codec.decode(black_box(&q), black_box(&token)).is_ok());
}

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 20, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// Planning a run: the bank's refill, the rationing curve and the allowance.
#[divan::bench]
fn run_planning() -> u32 {
    let pool = PoolView {
        keys_total: 20,
        keys_usable: 20,
        calls_left_today: 1_500,
        ..Default::default()
    };
    let bank = Bank {
        tokens: 2.5,
        at: Some(noon() - chrono::Duration::minutes(1)),
    };
    let (b, _) = plan_run(
        &BudgetPolicy::new(100),
        black_box(&pool),
        bank,
        PollPrice {
            start: 1,
            cycle: 10,
        },
        noon(),
    );
    b.paced
}

/// A `search.list` page of 50 videos from JSON, entities decoded.
#[divan::bench]
fn youtube_page_parse(bencher: divan::Bencher) {
    let item = r#"{"kind":"youtube#searchResult","etag":"e","id":{"kind":"youtube#video","videoId":"dQw4w9WgXcQ"},"snippet":{"publishedAt":"2026-11-23T12:00:00Z","channelId":"UCabcdefghijklmnopqrstuv","title":"Kohli&#39;s century &amp; more","description":"Full highlights of the day","thumbnails":{"default":{"url":"https://i.ytimg.com/vi/dQw4w9WgXcQ/default.jpg","width":120,"height":90}},"channelTitle":"Cricket","liveBroadcastContent":"none","publishTime":"2026-11-23T12:00:00Z"}}"#;
    let body = format!(
        r#"{{"kind":"youtube#searchListResponse","etag":"x","nextPageToken":"CDIQAA","regionCode":"US","pageInfo":{{"totalResults":1000000,"resultsPerPage":50}},"items":[{}]}}"#,
        vec![item; 50].join(",")
    );
    bencher.bench(|| tubefeed_youtube::parse_search_page(black_box(body.as_bytes())).is_ok());
}
