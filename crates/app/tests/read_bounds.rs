//! Issue 22: what one request may cost, route by route, measured. The real router over the real
//! store on DynamoDB Local, tables of 10,000 and 100,000 videos written through the fetcher's
//! own write path; the read units come from DynamoDB's `ReturnConsumedCapacity`, summed by the
//! store's read meter around each request. The bounds are the ones docs/api.md "Read cost" states.
//!
//! The data is the worst shape for search: every video carries the same three words, so each of
//! their partitions holds every video, and a fourth query word matches none of them — a search
//! for all four probes three full partitions and filters entries that never match.
//! Every video has its details, nine in ten of them Shorts: `shorts=exclude` keeps one in ten,
//! `lang=ja` none — the feed pages with detail filters read at their bound.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use tower::ServiceExt;
use tubefeed_api::{ApiSettings, ApiState, TokenCodec};
use tubefeed_core::{
    ChannelId, Language, Thumbnail, Thumbnails, Topic, Video, VideoDetails, VideoId, VideoStore,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;

/// A feed page: one `Query` of at most 51 items of ≤ 1 KB, eventually consistent.
const FEED_PAGE_MAX_RU: f64 = 8.0;
/// A search page: probes and filtered entries up to `SEARCH_READ_BUDGET` (16), the last query
/// of at most 204 entries beyond it, and the page's videos.
const SEARCH_PAGE_MAX_RU: f64 = 40.0;
/// A search page whose filter matches nothing: the probes and filtered entries stop at
/// `SEARCH_READ_BUDGET` (16) plus the one query that crossed it (≤ 204 entries, about 3 read
/// units of these entries); no videos to fetch.
const FILTERED_PAGE_MAX_RU: f64 = 20.0;
/// A feed page with a detail filter (`shorts`, `duration`, `lang`): it evaluates at most four
/// times the items of an unfiltered page, then hands back a short page and a token.
const DETAIL_FILTERED_PAGE_MAX_RU: f64 = 4.0 * FEED_PAGE_MAX_RU;
/// One video: a `Query` of one item.
const VIDEO_MAX_RU: f64 = 0.5;
/// `/health`: one consistent read of each topic's state, once per 5 seconds.
const HEALTH_MAX_RU_PER_TOPIC: f64 = 1.0;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap()
}

fn video(i: usize) -> Video {
    let id = format!("v{i:010}");
    let thumb = |size: &str, w: u32, h: u32| {
        Some(Thumbnail {
            url: format!("https://i.ytimg.com/vi/{id}/{size}.jpg"),
            width: Some(w),
            height: Some(h),
        })
    };
    Video {
        id: VideoId::parse(&id).unwrap(),
        title: "cat dog eel".to_owned(),
        description: String::new(),
        published_at: base() + Duration::seconds(i as i64),
        channel_id: ChannelId::parse(&format!("UCchannel{:04}xxxxxxxxxxxx", i % 50)).unwrap(),
        channel_title: format!("Channel {}", i % 50),
        thumbnails: Thumbnails {
            default: thumb("default", 120, 90),
            medium: thumb("mqdefault", 320, 180),
            high: thumb("hqdefault", 480, 360),
        },
        live_broadcast_content: Default::default(),
        details: Some(details(i)),
    }
}

/// A topic that is 90 % Shorts, the others 2, 10 or 40 minutes long, in English, Hindi or
/// Portuguese: `shorts=exclude` keeps one video in ten, `lang=ja` none.
fn details(i: usize) -> VideoDetails {
    let short = i % 10 != 0;
    VideoDetails {
        duration_seconds: Some(if short {
            15 + (i % 160) as u32
        } else {
            [120, 600, 2400][i / 10 % 3]
        }),
        is_short: short,
        view_count: Some(i as u64 * 7),
        like_count: Some(i as u64),
        comment_count: None,
        language: Some(Language::parse(["en", "hi", "pt"][i % 3]).unwrap()),
        live: None,
        fetched_at: base(),
    }
}

async fn table_of(n: usize) -> (DynamoStore, Topic) {
    let store = fresh_store().await.with_write_concurrency(16);
    let topic = Topic::parse("t").unwrap();
    let videos: Vec<Video> = (0..n).map(video).collect();
    for chunk in videos.chunks(2_000) {
        store.upsert(&topic, chunk, Utc::now()).await.unwrap();
    }
    (store, topic)
}

struct Probe {
    store: DynamoStore,
    app: axum::Router,
}

impl Probe {
    fn new(store: &DynamoStore, topic: &Topic) -> Self {
        let state = ApiState::new(
            store.clone(),
            TokenCodec::new(b"read-bounds-secret-0123456789-0123456789"),
            ApiSettings {
                topics: vec![topic.clone()],
                // No warm cache: every request reaches the table.
                first_page_ttl: StdDuration::ZERO,
                ..Default::default()
            },
        );
        Self {
            store: store.clone(),
            app: tubefeed_api::router(Arc::new(state)),
        }
    }

    /// Status, body and the read units the request consumed.
    async fn get(&self, uri: &str) -> (StatusCode, serde_json::Value, f64) {
        let before = self.store.read_units_spent();
        let resp = self
            .app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, body, self.store.read_units_spent() - before)
    }

    /// The first `pages` pages of a walk, each within `bound`; returns each page's cost.
    async fn walk(&self, first: &str, pages: usize, bound: f64) -> Vec<f64> {
        let mut costs = Vec::new();
        let mut uri = first.to_owned();
        for _ in 0..pages {
            let (status, body, ru) = self.get(&uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            assert!(ru <= bound, "{uri}: {ru} read units, bound {bound}");
            costs.push(ru);
            match body["next_page_token"].as_str() {
                Some(t) => uri = format!("{first}&page_token={t}"),
                None => break,
            }
        }
        costs
    }
}

async fn every_route_stays_within_its_bound(n: usize) {
    let (store, topic) = table_of(n).await;
    let p = Probe::new(&store, &topic);

    let feed = p.walk("/videos?limit=50", 3, FEED_PAGE_MAX_RU).await;
    let asc = p
        .walk("/videos?limit=50&order=asc", 2, FEED_PAGE_MAX_RU)
        .await;
    let channel = p
        .walk(
            "/videos?limit=50&channel_id=UCchannel0007xxxxxxxxxxxx",
            2,
            FEED_PAGE_MAX_RU,
        )
        .await;
    let window = p
        .walk(
            "/videos?limit=50&published_after=2026-11-01T00:10:00Z&published_before=2026-11-01T01:00:00Z",
            2,
            FEED_PAGE_MAX_RU,
        )
        .await;
    // One word: its partition in feed order, no filter.
    let one = p
        .walk("/search?q=cat&limit=50", 3, SEARCH_PAGE_MAX_RU)
        .await;
    // The worst: three full partitions probed, a filter that never matches.
    let worst = p
        .walk(
            "/search?q=cat+dog+eel+fox&limit=50",
            5,
            FILTERED_PAGE_MAX_RU,
        )
        .await;
    let worst_prefix = p
        .walk(
            "/search?q=ca+do+ee+fo+gr+hi&limit=50",
            3,
            SEARCH_PAGE_MAX_RU,
        )
        .await;
    let with_channel = p
        .walk(
            "/search?q=cat+dog&channel_id=UCchannel0007xxxxxxxxxxxx&limit=50",
            3,
            SEARCH_PAGE_MAX_RU,
        )
        .await;
    assert!(
        worst.len() >= 2,
        "the filtered walk hands back short pages and goes on"
    );
    // No video here is in Japanese: the worst a detail filter can do, every page short.
    let no_match = p
        .walk("/videos?limit=50&lang=ja", 3, DETAIL_FILTERED_PAGE_MAX_RU)
        .await;
    assert_eq!(no_match.len(), 3, "short pages and a token to go on");
    let mut by_filter = Vec::new();
    for filter in [
        "shorts=exclude",
        "shorts=only",
        "duration=short",
        "duration=medium",
        "duration=long",
        "min_duration=100&max_duration=700",
        "lang=hi",
        "shorts=exclude&duration=long&lang=en",
    ] {
        let uri = format!("/videos?limit=50&{filter}");
        let costs = p.walk(&uri, 3, DETAIL_FILTERED_PAGE_MAX_RU).await;
        by_filter.push(format!("{filter} {costs:?}"));
    }
    let detail_search = p
        .walk(
            "/search?q=cat&limit=50&duration=long&lang=en",
            3,
            SEARCH_PAGE_MAX_RU,
        )
        .await;

    let (status, _, ru) = p.get("/videos/v0000000042").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ru <= VIDEO_MAX_RU, "one video: {ru}");
    let (status, _, ru) = p.get("/videos/v9999999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ru <= VIDEO_MAX_RU, "a missing video: {ru}");

    let (status, _, ru) = p.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ru <= HEALTH_MAX_RU_PER_TOPIC, "health: {ru}");
    let (_, _, again) = p.get("/health").await;
    assert_eq!(
        again, 0.0,
        "health within 5 s is served from the warm process"
    );
    for uri in ["/", "/openapi.json"] {
        let (status, _, ru) = p.get(uri).await;
        assert_eq!((status, ru), (StatusCode::OK, 0.0), "{uri}");
    }
    // Bad input costs nothing.
    for uri in [
        "/videos?limit=500",
        "/search?q=",
        "/videos?page_token=t2.x.y.z",
    ] {
        let (status, _, ru) = p.get(uri).await;
        assert_eq!((status, ru), (StatusCode::BAD_REQUEST, 0.0), "{uri}");
    }
    println!(
        "{n} videos, read units per page: feed {feed:?}, asc {asc:?}, channel {channel:?}, \
         window {window:?}, q=cat {one:?}, worst search {worst:?}, worst prefixes \
         {worst_prefix:?}, with channel {with_channel:?}, lang=ja (none match) \
         {no_match:?}, q=cat with duration and lang {detail_search:?}; on a topic that is \
         90 % Shorts: {}",
        by_filter.join(", ")
    );
}

#[tokio::test]
async fn every_route_stays_within_its_read_bound_at_10k_videos() {
    every_route_stays_within_its_bound(10_000).await;
}

/// The same at ten times the size (the bounds do not depend on it; the figures show it).
/// Building the table takes minutes, so `make bench` runs it and prints the figures.
#[tokio::test]
#[ignore = "minutes of writes: make bench runs it (cargo test -- --ignored)"]
async fn every_route_stays_within_its_read_bound_at_100k_videos() {
    every_route_stays_within_its_bound(100_000).await;
}
