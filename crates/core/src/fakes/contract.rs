//! What every store must do, written once and run against each implementation: the in-memory
//! [`super::MemStore`] (core's tests) and the DynamoDB adapter on DynamoDB Local (its tests).
//! Each function panics, with a message, where an implementation breaks the contract.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::feed::{FeedQuery, FeedReader, Order};
use crate::store::{FetchState, FetchStateStore, LeaseOutcome, LeaseOwner, StoreError, VideoStore};
use crate::text::query_terms;
use crate::video::{ChannelId, Topic, Video, VideoId};

fn video(i: u32, title: &str, at: DateTime<Utc>) -> Video {
    Video {
        id: VideoId::parse(&format!("contract{i:03}")).unwrap_or_else(|_| unreachable!()),
        title: title.to_owned(),
        description: format!("description {i}"),
        published_at: at,
        channel_id: ChannelId::parse(&format!("UCcontract{}", i % 2))
            .unwrap_or_else(|_| unreachable!()),
        channel_title: "Contract".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

/// Upserts are idempotent and tell new, updated and unchanged apart.
pub async fn video_store<S: VideoStore>(s: &S, topic: &Topic, now: DateTime<Utc>) {
    let v = video(1, "First light", now);
    let o = s
        .upsert(topic, std::slice::from_ref(&v), now)
        .await
        .expect("upsert");
    assert_eq!((o.new, o.updated, o.unchanged), (1, 0, 0), "a new video");
    let o = s
        .upsert(topic, std::slice::from_ref(&v), now)
        .await
        .expect("upsert");
    assert_eq!(
        (o.new, o.updated, o.unchanged),
        (0, 0, 1),
        "the same video again"
    );
    let retitled = Video {
        title: "First light, retitled".into(),
        ..v
    };
    let o = s.upsert(topic, &[retitled], now).await.expect("upsert");
    assert_eq!(
        (o.new, o.updated, o.unchanged),
        (0, 1, 0),
        "a changed title"
    );
}

/// Leases exclude other owners until they expire; only the holder saves.
pub async fn state_store<S: FetchStateStore>(s: &S, topic: &Topic, now: DateTime<Utc>) {
    let (a, b) = (LeaseOwner::named("run-a"), LeaseOwner::named("run-b"));
    let ttl = Duration::from_secs(60);
    assert_eq!(s.load(topic).await.expect("load"), FetchState::default());
    assert_eq!(
        s.acquire_lease(topic, &a, now, ttl).await.expect("lease"),
        LeaseOutcome::Acquired
    );
    assert!(
        matches!(
            s.acquire_lease(topic, &b, now, ttl).await,
            Ok(LeaseOutcome::Held { .. })
        ),
        "another owner is held off"
    );
    let st = FetchState {
        watermark: Some(now),
        ..FetchState::default()
    };
    assert_eq!(
        s.save(topic, &b, &st).await,
        Err(StoreError::LeaseLost),
        "only the holder saves"
    );
    s.save(topic, &a, &st).await.expect("the holder saves");
    assert_eq!(s.load(topic).await.expect("load").watermark, Some(now));
    s.release(topic, &a).await.expect("release");
    assert_eq!(
        s.acquire_lease(topic, &b, now, ttl).await.expect("lease"),
        LeaseOutcome::Acquired
    );
    // An expired lease is taken over.
    let later = now + chrono::Duration::seconds(61);
    assert_eq!(
        s.acquire_lease(topic, &a, later, ttl).await.expect("lease"),
        LeaseOutcome::Acquired
    );
}

const FEED_TITLES: [&str; 7] = [
    "Wickets galore",
    "Tea time",
    "How to make tea?",
    "Kohli's century",
    "Café cricket",
    "Rain delay",
    "Final over",
];

fn query(topic: &Topic, terms: &str, order: Order, limit: u8) -> FeedQuery {
    FeedQuery {
        topic: topic.clone(),
        order,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: query_terms(terms),
        limit,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    }
}

/// Pages walk the feed in order without repeats or gaps; filters and words select; one video
/// is found by id.
pub async fn feed_reader<S: VideoStore + FeedReader>(s: &S, topic: &Topic, now: DateTime<Utc>) {
    let videos: Vec<Video> = FEED_TITLES
        .iter()
        .enumerate()
        .map(|(i, t)| video(i as u32 + 10, t, now - chrono::Duration::minutes(i as i64)))
        .collect();
    s.upsert(topic, &videos, now).await.expect("upsert");
    for order in [Order::Desc, Order::Asc] {
        walk(s, topic, order).await;
    }
    search(s, topic).await;
    let windowed = FeedQuery {
        published_after: Some(now - chrono::Duration::minutes(2)),
        ..query(topic, "", Order::Desc, 50)
    };
    let page = s.page(&windowed, None).await.expect("window");
    assert_eq!(page.videos.len(), 3, "an inclusive window");
    let channel = FeedQuery {
        channel_id: ChannelId::parse("UCcontract0").ok(),
        ..query(topic, "", Order::Desc, 50)
    };
    let page = s.page(&channel, None).await.expect("channel");
    assert!(page.videos.iter().all(|v| v.channel_id == "UCcontract0") && !page.videos.is_empty());
    let one = s.video(&videos[3].id).await.expect("video");
    assert_eq!(one.map(|v| v.title), Some("Kohli's century".into()));
    let none = VideoId::parse("nosuchvideo").unwrap_or_else(|_| unreachable!());
    assert_eq!(s.video(&none).await.expect("video"), None);
}

/// Pages of 3 from the start to the end visit every video once, in `order`.
async fn walk<S: FeedReader>(s: &S, topic: &Topic, order: Order) {
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .page(&query(topic, "", order, 3), cursor.as_ref())
            .await
            .expect("page");
        assert!(page.videos.len() <= 3);
        walked.extend(page.videos.into_iter().map(|v| v.title));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut want: Vec<String> = FEED_TITLES.iter().map(|t| (*t).to_owned()).collect();
    if order == Order::Asc {
        want.reverse();
    }
    assert_eq!(
        walked, want,
        "a walk {order:?} visits every video once, in order"
    );
}

/// Words select by prefix, by a possessive's part and without diacritics.
async fn search<S: FeedReader>(s: &S, topic: &Topic) {
    for (terms, want) in [
        ("tea how", &["How to make tea?"][..]),
        ("wick", &["Wickets galore"][..]),
        ("kohli", &["Kohli's century"][..]),
        ("cafe", &["Café cricket"][..]),
        ("zebra", &[][..]),
    ] {
        let page = s
            .page(&query(topic, terms, Order::Desc, 50), None)
            .await
            .expect("search");
        let got: Vec<String> = page.videos.into_iter().map(|v| v.title).collect();
        assert_eq!(
            got, want,
            "q={terms}: prefixes, a possessive's part, folded diacritics"
        );
    }
}
