//! Detail filters on DynamoDB Local against a brute-force oracle over the same videos: each
//! filter alone and combined, with and without words, both orders, across page boundaries;
//! and a page of a topic that is 90 % Shorts, asked without Shorts, reads a bounded slice of
//! the index.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::text::{index_words, matches, query_terms};
use tubefeed_core::{
    ChannelId, Cursor, FeedQuery, FeedReader, Language, Order, ShortsFilter, Topic, Video,
    VideoDetails, VideoFilter, VideoId, VideoStore,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

const LANGS: [Option<&str>; 4] = [Some("en"), Some("hi"), Some("pt"), None];

/// Video `i` of a topic where `short_every` in 10 are Shorts; every 9th has no details yet.
fn video(i: usize, shorts_in_ten: usize) -> Video {
    let short = i % 10 < shorts_in_ten;
    let duration = if short {
        15 + (i % 160) as u32
    } else {
        [90, 239, 240, 600, 1200, 1201, 5400][i % 7]
    };
    let details = (i % 9 != 4).then(|| VideoDetails {
        duration_seconds: Some(duration),
        is_short: short,
        view_count: Some(i as u64),
        like_count: None,
        comment_count: None,
        language: LANGS[i % 4].map(|l| Language::parse(l).unwrap()),
        live: None,
        fetched_at: t0(),
    });
    Video {
        id: VideoId::parse(&format!("f{i:06}")).unwrap(),
        title: format!(
            "{} match {i}",
            ["cricket", "tennis", "cricket final"][i % 3]
        ),
        description: String::new(),
        // Some share a second, so ties are ordered by id.
        published_at: t0() - Duration::seconds((i / 2) as i64),
        channel_id: ChannelId::parse(&format!("UCch{}", i % 5)).unwrap(),
        channel_title: "Chan".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details,
    }
}

fn query(topic: &Topic, q: &str, order: Order, filter: VideoFilter) -> FeedQuery {
    FeedQuery {
        topic: topic.clone(),
        order,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: query_terms(q),
        limit: 7,
        filter,
        hidden_channels: Vec::new(),
    }
}

/// Every page of a walk; panics on a page over the limit.
async fn walk(s: &DynamoStore, q: &FeedQuery) -> (Vec<String>, Vec<f64>) {
    let mut ids = Vec::new();
    let mut units = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..1000 {
        let page = s.page(q, cursor.as_ref()).await.unwrap();
        assert!(page.videos.len() <= usize::from(q.limit));
        ids.extend(page.videos.iter().map(|v| v.id.to_string()));
        units.push(page.read_units);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return (ids, units),
        }
    }
    panic!("the walk never ended");
}

fn oracle(all: &[Video], q: &FeedQuery) -> Vec<String> {
    let mut v: Vec<&Video> = all
        .iter()
        .filter(|v| q.filter.admits(v.details.as_ref()))
        .filter(|v| q.terms.is_empty() || matches(&index_words(&v.title, &v.description), &q.terms))
        .collect();
    v.sort_by(|a, b| (b.published_at, &b.id).cmp(&(a.published_at, &a.id)));
    if q.order == Order::Asc {
        v.reverse();
    }
    v.into_iter().map(|v| v.id.to_string()).collect()
}

fn langs(list: &[&str]) -> Vec<Language> {
    list.iter().map(|l| Language::parse(l).unwrap()).collect()
}

#[tokio::test]
async fn every_filter_alone_and_combined_walks_exactly_what_the_oracle_finds() {
    let s = fresh_store().await;
    let topic = Topic::parse("sport").unwrap();
    let all: Vec<Video> = (0..160).map(|i| video(i, 3)).collect();
    s.upsert(&topic, &all, t0()).await.unwrap();
    let f = |shorts, min, max, l: &[&str]| VideoFilter {
        shorts,
        min_duration: min,
        max_duration: max,
        languages: langs(l),
    };
    let filters = [
        f(Some(ShortsFilter::Exclude), None, None, &[]),
        f(Some(ShortsFilter::Only), None, None, &[]),
        f(None, None, Some(239), &[]),
        f(None, Some(240), Some(1200), &[]),
        f(None, Some(1201), None, &[]),
        f(None, None, None, &["hi"]),
        f(None, None, None, &["en", "pt"]),
        f(Some(ShortsFilter::Exclude), Some(240), None, &["en"]),
        f(Some(ShortsFilter::Only), None, Some(60), &["hi", "pt"]),
    ];
    let mut checked = 0;
    for filter in filters {
        for q in ["", "cricket", "cricket fin"] {
            for order in [Order::Desc, Order::Asc] {
                let query = query(&topic, q, order, filter.clone());
                let want = oracle(&all, &query);
                let (got, _) = walk(&s, &query).await;
                assert_eq!(got, want, "{filter:?} q={q:?} {order:?}");
                checked += want.len();
            }
        }
    }
    assert!(
        checked > 500,
        "the oracle found too little to prove much: {checked}"
    );
}

#[tokio::test]
async fn a_page_without_shorts_on_a_topic_of_shorts_reads_a_bounded_slice() {
    let s = fresh_store().await;
    let topic = Topic::parse("clips").unwrap();
    let all: Vec<Video> = (0..600).map(|i| video(i, 9)).collect();
    for chunk in all.chunks(200) {
        s.upsert(&topic, chunk, t0()).await.unwrap();
    }
    let plain = query(&topic, "", Order::Desc, VideoFilter::default());
    let whole: f64 = {
        let q = FeedQuery {
            limit: 50,
            ..plain.clone()
        };
        walk(&s, &q).await.1.iter().sum()
    };
    let no_shorts = VideoFilter {
        shorts: Some(ShortsFilter::Exclude),
        ..VideoFilter::default()
    };
    let q = FeedQuery {
        limit: 10,
        ..query(&topic, "", Order::Desc, no_shorts)
    };
    let (ids, units) = walk(&s, &q).await;
    assert_eq!(ids, oracle(&all, &q));
    let worst = units.iter().cloned().fold(0.0, f64::max);
    // 44 items evaluated at most (4 × (10 + 1)) of 600: about 7 % of the index.
    assert!(
        worst <= whole * 0.1,
        "a page read {worst} units; the whole index costs {whole}"
    );
    assert!(
        units.len() > 10,
        "short pages and tokens to go on: {} pages",
        units.len()
    );
}
