//! What every store must do, written once and run against each implementation: the in-memory
//! [`super::MemStore`] (core's tests) and the DynamoDB adapter on DynamoDB Local (its tests).
//! Each function panics, with a message, where an implementation breaks the contract.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::feed::{FeedQuery, FeedReader, Order};
use crate::follow::{
    FollowState, FollowStore, PENDING_WINDOW, PushMode, PushStore, PushSubscription,
};
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

/// A topic's channels are saved only over the version that was loaded, and tell new videos
/// apart in upserts (`new_ids`), which the channels' tally counts.
pub async fn follow_store<S: FollowStore + VideoStore>(s: &S, topic: &Topic, now: DateTime<Utc>) {
    let (empty, v0) = s.load_follow(topic).await.expect("load");
    assert_eq!(
        (empty, v0),
        (FollowState::default(), 0),
        "nothing stored yet"
    );
    let mut st = FollowState::default();
    let seen = crate::follow::Sighting {
        channel_id: ChannelId::parse("UCfollow").unwrap_or_else(|_| unreachable!()),
        channel_title: "Follow me".into(),
        published_at: now,
    };
    st.tally(
        &[seen.clone(), seen],
        &crate::follow::FollowSettings::default(),
        now,
    );
    assert!(
        s.save_follow(topic, &st, 0).await.expect("save"),
        "first save"
    );
    assert!(
        !s.save_follow(topic, &st, 0).await.expect("save"),
        "a stale version is refused"
    );
    let (back, v1) = s.load_follow(topic).await.expect("load");
    assert_eq!((&back, v1), (&st, 1), "the state round-trips");
    assert!(
        s.save_follow(topic, &FollowState::default(), 1)
            .await
            .expect("save")
    );
    assert_eq!(s.load_follow(topic).await.expect("load").1, 2);
    let (a, b) = (video(7, "Seven", now), video(8, "Eight", now));
    s.upsert(topic, std::slice::from_ref(&a), now)
        .await
        .expect("upsert");
    let o = s.upsert(topic, &[a, b.clone()], now).await.expect("upsert");
    assert_eq!(o.new_ids, vec![b.id], "only the video that was new");
}

/// A hub's verification is accepted only for a request of the same mode made within the
/// pending window, and records the lease.
pub async fn push_store<S: PushStore>(s: &S, now: DateTime<Utc>) {
    let c = ChannelId::parse("UCpushcontract").unwrap_or_else(|_| unreachable!());
    let other = ChannelId::parse("UCneverasked").unwrap_or_else(|_| unreachable!());
    assert!(
        s.subscriptions(std::slice::from_ref(&c))
            .await
            .expect("read")
            .is_empty(),
        "nothing asked yet"
    );
    let lease = chrono::Duration::days(5);
    assert!(
        !s.confirm(&other, PushMode::Subscribe, lease, now)
            .await
            .expect("confirm"),
        "never asked"
    );
    let sub = PushSubscription {
        channel_id: c.clone(),
        mode: PushMode::Subscribe,
        requested_at: now,
        verified_at: None,
        lease_until: None,
    };
    s.record_request(&sub).await.expect("record");
    assert!(
        !s.confirm(&c, PushMode::Unsubscribe, lease, now)
            .await
            .expect("confirm"),
        "other mode"
    );
    let late = now + PENDING_WINDOW + chrono::Duration::seconds(1);
    assert!(
        !s.confirm(&c, PushMode::Subscribe, lease, late)
            .await
            .expect("confirm"),
        "too late"
    );
    let at = now + chrono::Duration::minutes(1);
    assert!(
        s.confirm(&c, PushMode::Subscribe, lease, at)
            .await
            .expect("confirm")
    );
    let got = s
        .subscriptions(std::slice::from_ref(&c))
        .await
        .expect("read");
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].verified_at, got[0].lease_until),
        (Some(at), Some(at + lease))
    );
    assert_eq!(got[0].requested_at, now);
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

/// Videos past their topic's retention are neither stored nor served — in lists of either
/// order, searches and single reads — and a walk begun before they expired ends (newest
/// first) or goes on from the cut-off (oldest first) instead of failing. `keep` and `expire`
/// are two handles on the same data: one keeps everything, one keeps `topic` for `days`.
pub async fn retention<S: VideoStore + FeedReader>(keep: &S, expire: &S, topic: &Topic, days: u32) {
    let now = Utc::now();
    let cut = now - chrono::Duration::days(i64::from(days));
    let hours = |h: i64| chrono::Duration::hours(h);
    let fresh: Vec<Video> = (0..4)
        .map(|i| {
            video(
                30 + i,
                &format!("Kept wicket {i}"),
                cut + hours(i64::from(i) + 1),
            )
        })
        .collect();
    let aged: Vec<Video> = (0..3)
        .map(|i| {
            video(
                40 + i,
                &format!("Aged wicket {i}"),
                cut - hours(i64::from(i) + 1),
            )
        })
        .collect();
    // Stored while nothing expired (or before TTL got to them).
    keep.upsert(topic, &[fresh.clone(), aged.clone()].concat(), now)
        .await
        .expect("upsert");
    let late = video(50, "Late wicket", cut - hours(5));
    let o = expire.upsert(topic, &[late], now).await.expect("upsert");
    assert_eq!(
        (o.new, o.expired),
        (0, 1),
        "a video already expired is not stored"
    );
    let titles = |vs: &[Video]| vs.iter().map(|v| v.title.clone()).collect::<Vec<_>>();
    let newest_first: Vec<String> = titles(&fresh).into_iter().rev().collect();
    for (terms, order) in [("", Order::Desc), ("", Order::Asc), ("wicket", Order::Desc)] {
        let mut got = Vec::new();
        let mut cursor = None;
        loop {
            let page = expire
                .page(&query(topic, terms, order, 2), cursor.as_ref())
                .await
                .expect("page");
            got.extend(titles(&page.videos));
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut want = newest_first.clone();
        if order == Order::Asc {
            want.reverse();
        }
        assert_eq!(
            got, want,
            "q={terms:?} {order:?}: only what is within retention"
        );
    }
    assert!(
        expire.video(&aged[0].id).await.expect("video").is_none(),
        "a single read"
    );
    assert!(keep.video(&aged[0].id).await.expect("video").is_some());
    assert!(expire.video(&fresh[0].id).await.expect("video").is_some());
    expired_places(keep, expire, topic, &fresh, &aged).await;
}

/// A walk begun before its place expired: newest first it is over, oldest first it goes on
/// from the cut-off.
async fn expired_places<S: FeedReader>(
    keep: &S,
    expire: &S,
    topic: &Topic,
    fresh: &[Video],
    aged: &[Video],
) {
    let titles = |vs: &[Video]| vs.iter().map(|v| v.title.clone()).collect::<Vec<_>>();
    for terms in ["", "wicket"] {
        let desc = keep
            .page(&query(topic, terms, Order::Desc, 5), None)
            .await
            .expect("page");
        assert_eq!(desc.videos.last().map(|v| &v.id), Some(&aged[0].id));
        let rest = expire
            .page(&query(topic, terms, Order::Desc, 5), desc.next.as_ref())
            .await
            .expect("a walk whose place expired");
        assert!(
            rest.videos.is_empty() && rest.next.is_none(),
            "q={terms:?}: it ends"
        );
    }
    let asc = keep
        .page(&query(topic, "", Order::Asc, 1), None)
        .await
        .expect("page");
    assert_eq!(asc.videos[0].id, aged[2].id);
    let rest = expire
        .page(&query(topic, "", Order::Asc, 50), asc.next.as_ref())
        .await
        .expect("an oldest-first walk whose place expired");
    assert_eq!(
        titles(&rest.videos),
        titles(fresh),
        "it goes on from the cut-off"
    );
}
