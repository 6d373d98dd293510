//! Following channels through their feeds, on the in-memory fakes: which channels are
//! followed, what their feeds add, and that feeds only ever add.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::fakes::{MemSource, MemStore};
use tubefeed_core::{
    ApiKey, ChannelId, CycleSummary, FetchSettings, Fetcher, FollowSettings, FollowStore, Follower,
    StaticKeyRing, Topic, VideoId,
};

type Fake = Fetcher<MemSource, MemStore, MemStore, StaticKeyRing>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

fn cricket() -> Topic {
    Topic::parse("cricket").unwrap()
}

fn fetcher(source: &MemSource) -> Fake {
    Fetcher::new(
        source.clone(),
        MemStore::default(),
        StaticKeyRing::new(vec![ApiKey::new("k1")], 100_000),
        FetchSettings::default(),
    )
}

/// Every followed feed read every run (a minute apart here), so the scenarios below see
/// each run's reads; how often a quiet channel is read has its own scenario.
fn settings() -> FollowSettings {
    FollowSettings {
        min_videos: 3,
        max_read_interval: Duration::minutes(1),
        ..FollowSettings::default()
    }
}

/// One scheduled run: search, then the feeds step.
async fn cycle(f: &Fake, s: &FollowSettings) -> CycleSummary {
    let topics = [(cricket(), 1)];
    let now = f.source.now();
    let mut c = f.run_weighted(&topics, now).await;
    let follower = Follower {
        feeds: &f.source,
        videos: &f.videos,
        state: &f.videos,
        settings: s,
        blocked: &[],
    };
    let sightings = c.take_sightings(&topics);
    c.follow = Some(follower.run(&sightings, now).await);
    assert!(c.ok, "{c:?}");
    c
}

fn stored(f: &Fake, id: &VideoId) -> bool {
    f.videos.videos(&cricket()).iter().any(|v| v.id == *id)
}

/// `UCbusy` posts three on-topic videos search finds, so it is followed after one run.
async fn followed_busy_channel(src: &MemSource, f: &Fake) {
    for m in [30, 20, 10] {
        let at = t0() - Duration::minutes(m);
        src.add_upload("cricket", "UCbusy", "Cricket nets session", at, at);
    }
    let c = cycle(f, &settings()).await;
    let follow = &c.follow.as_ref().unwrap().topics[0];
    assert_eq!((follow.followed, follow.requests), (1, 1), "{follow:?}");
}

#[tokio::test]
async fn a_followed_channels_on_topic_upload_arrives_before_search_indexes_it_and_nothing_else() {
    let src = MemSource::new(t0());
    let f = fetcher(&src);
    followed_busy_channel(&src, &f).await;
    let now = src.now();
    let late = src.add_upload(
        "cricket",
        "UCbusy",
        "Cricket: the last over",
        now + Duration::seconds(10),
        now + Duration::hours(1),
    );
    let off = src.add_upload(
        "cooking",
        "UCbusy",
        "Pasta night with the team",
        now + Duration::seconds(20),
        now + Duration::seconds(20),
    );
    src.advance(Duration::minutes(1));
    let c = cycle(&f, &settings()).await;
    let follow = &c.follow.as_ref().unwrap().topics[0];
    assert_eq!(
        (follow.entries, follow.on_topic, follow.new),
        (2, 1, 1),
        "{follow:?}"
    );
    assert_eq!(c.topics[0].new, 0, "search has not indexed it yet");
    assert!(stored(&f, &late), "stored through the feed");
    assert!(
        !stored(&f, &off),
        "an off-topic upload of a followed channel is not stored"
    );
    // When search indexes it an hour later, its head finds it already stored: the feeds'
    // share of what search finds is recorded.
    src.advance(Duration::hours(1));
    src.add("cricket", src.now() - Duration::minutes(30));
    src.add("cricket", src.now() - Duration::minutes(20));
    for m in [40, 35, 25, 15] {
        let at = src.now() - Duration::minutes(m);
        src.add_upload("cricket", "UCbusy", "Cricket drills", at, at);
    }
    let c = cycle(&f, &settings()).await;
    assert!(c.topics[0].feed_share_pct.is_some(), "{:?}", c.topics[0]);
}

#[tokio::test]
async fn a_feed_outage_loses_nothing_and_backs_off() {
    let src = MemSource::new(t0());
    let f = fetcher(&src);
    followed_busy_channel(&src, &f).await;
    src.feeds_down(true);
    let mut ids = Vec::new();
    for n in 0..3 {
        src.advance(Duration::minutes(1));
        let at = src.now() - Duration::seconds(30);
        ids.push(src.add_upload(
            "cricket",
            "UCbusy",
            "Cricket live",
            at,
            at + Duration::minutes(2),
        ));
        let c = cycle(&f, &settings()).await;
        let follow = &c.follow.as_ref().unwrap().topics[0];
        // Failures back off (1, then 2 minutes): the third run does not ask.
        assert_eq!(follow.failed + follow.backing_off, 1, "run {n}: {follow:?}");
    }
    let asked = src.feed_requests();
    assert_eq!(
        asked,
        1 + 2,
        "one feed read before the outage, then 1 of 3 runs backed off"
    );
    src.feeds_down(false);
    src.advance(Duration::minutes(5));
    cycle(&f, &settings()).await;
    for id in &ids {
        assert!(stored(&f, id), "{id} caught up after the outage");
    }
    let (st, _) = f.videos.load_follow(&cricket()).await.unwrap();
    let busy = &st.channels[&ChannelId::parse("UCbusy").unwrap()];
    assert_eq!(
        (busy.feed.failures, busy.feed.last_error.as_deref()),
        (0, None)
    );
}

#[tokio::test]
async fn a_quiet_channels_feed_is_read_at_the_longest_interval_and_its_upload_arrives_within_it() {
    let src = MemSource::new(t0());
    let f = fetcher(&src);
    let s = FollowSettings {
        max_read_interval: Duration::minutes(5),
        ..settings()
    };
    // Three videos since midnight: one in four hours, read at the longest interval.
    for m in [30, 20, 10] {
        let at = t0() - Duration::minutes(m);
        src.add_upload("cricket", "UCbusy", "Cricket nets session", at, at);
    }
    let c = cycle(&f, &s).await;
    assert_eq!(
        c.follow.unwrap().topics[0].requests,
        1,
        "read when followed"
    );
    let mut reads = Vec::new();
    let mut upload = None;
    for n in 1..=5 {
        src.advance(Duration::minutes(1));
        if n == 1 {
            let at = src.now();
            upload = Some(src.add_upload(
                "cricket",
                "UCbusy",
                "Cricket late",
                at,
                at + Duration::hours(2),
            ));
        }
        let c = cycle(&f, &s).await;
        let follow = &c.follow.as_ref().unwrap().topics[0];
        assert_eq!(follow.requests + follow.resting, 1, "{follow:?}");
        reads.push(follow.requests);
    }
    assert_eq!(reads, [0, 0, 0, 0, 1], "read again five minutes later");
    assert!(
        upload.is_some_and(|id| stored(&f, &id)),
        "the upload arrives at that read, before search indexes it"
    );
}

#[tokio::test]
async fn a_channel_under_the_threshold_is_not_followed_and_a_vanished_one_is_backed_off() {
    let src = MemSource::new(t0());
    let f = fetcher(&src);
    for m in [30, 20] {
        let at = t0() - Duration::minutes(m);
        src.add_upload("cricket", "UCquiet", "Cricket for beginners", at, at);
    }
    let c = cycle(&f, &settings()).await;
    assert_eq!(c.follow.as_ref().unwrap().topics[0].followed, 0);
    // A third video makes it followed; then its feed answers 404 (the fake's channel is gone
    // when its uploads are deleted): backed off for hours, never fatal.
    src.advance(Duration::minutes(1));
    let third = src.add_upload("cricket", "UCquiet", "Cricket again", src.now(), src.now());
    let c = cycle(&f, &settings()).await;
    assert_eq!(c.follow.as_ref().unwrap().topics[0].followed, 1);
    for v in src.all("cricket") {
        src.delete(&v.id);
    }
    let _ = third;
    src.advance(Duration::minutes(5));
    let c = cycle(&f, &settings()).await;
    let follow = &c.follow.as_ref().unwrap().topics[0];
    assert_eq!(
        (follow.not_found, follow.error.as_deref()),
        (1, None),
        "{follow:?}"
    );
    src.advance(Duration::hours(1));
    let c = cycle(&f, &settings()).await;
    assert_eq!(c.follow.as_ref().unwrap().topics[0].backing_off, 1);
}

#[tokio::test]
async fn a_push_is_stored_under_the_topics_following_its_channel_and_only_on_topic() {
    use tubefeed_core::{Inbox, Video};
    let src = MemSource::new(t0());
    let f = fetcher(&src);
    followed_busy_channel(&src, &f).await;
    let at = src.now();
    let on = src.add_upload(
        "cricket",
        "UCbusy",
        "Cricket: pushed",
        at,
        at + Duration::hours(1),
    );
    let off = src.add_upload("cooking", "UCbusy", "Pasta night", at, at);
    let stranger = src.add_upload("cricket", "UCstranger", "Cricket elsewhere", at, at);
    let entries: Vec<Video> = src
        .all("cricket")
        .into_iter()
        .chain(src.all("cooking"))
        .filter(|v| [&on, &off, &stranger].contains(&&v.id))
        .collect();
    assert_eq!(entries.len(), 3);
    let chess = Topic::parse("chess").unwrap();
    let topics = [cricket(), chess];
    let inbox = Inbox {
        store: &f.videos,
        topics: &topics,
        blocked: &[],
    };
    let out = inbox.receive(&entries, at).await.unwrap();
    assert_eq!((out.topics, out.on_topic, out.new), (1, 1, 1), "{out:?}");
    assert!(stored(&f, &on));
    assert!(!stored(&f, &off), "off-topic");
    assert!(!stored(&f, &stranger), "a channel no topic follows");
    // Pushes repeat: the same push again stores nothing new.
    let again = inbox.receive(&entries, at).await.unwrap();
    assert_eq!(again.new, 0);
    let blocked = [ChannelId::parse("UCbusy").unwrap()];
    let shut = Inbox {
        blocked: &blocked,
        ..inbox
    };
    assert_eq!(
        shut.receive(&entries, at).await.unwrap().topics,
        0,
        "blocked"
    );
}
