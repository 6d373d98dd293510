//! Channel feeds end to end: the YouTube adapters against the simulator's search and channel
//! feeds, the topic's channels and its videos in DynamoDB Local.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{
    ApiKey, ChannelId, CycleSummary, FeedReader, FetchSettings, Fetcher, FollowSettings,
    FollowStore, Follower, StaticKeyRing, Topic, TopicFollow, VideoId,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;
use tubefeed_youtube::{ClientSettings, FeedClient, FeedClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, FaultPlan, NewVideo, SimConfig, SimControl, SimHandle};

const CH: &str = "UCfollowedchannel0000001";

type AppLike = Fetcher<YouTubeClient, DynamoStore, DynamoStore, StaticKeyRing>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

fn cricket() -> Topic {
    Topic::parse("cricket").unwrap()
}

async fn cycle(f: &AppLike, feeds: &FeedClient, now: DateTime<Utc>) -> (CycleSummary, TopicFollow) {
    let topics = [(cricket(), 1)];
    let mut c = f.run_weighted(&topics, now).await;
    assert!(c.ok, "{c:?}");
    // Every followed feed read every run, so each step below sees its reads (how often a quiet
    // channel is read has its scenario in crates/core/tests/follow_scenarios.rs).
    let settings = FollowSettings {
        max_read_interval: Duration::minutes(1),
        ..FollowSettings::default()
    };
    let follower = Follower {
        feeds,
        videos: &f.videos,
        state: &f.videos,
        settings: &settings,
        blocked: &[],
    };
    let sightings = c.take_sightings(&topics);
    let follow = follower.run(&sightings, now).await.topics.remove(0);
    assert_eq!(follow.error, None, "{follow:?}");
    (c, follow)
}

fn upload(
    ctl: &SimControl,
    topic: &str,
    title: &str,
    at: DateTime<Utc>,
    indexed: DateTime<Utc>,
) -> VideoId {
    let id = ctl.add_video(NewVideo {
        channel_id: Some(CH.to_owned()),
        title: Some(title.to_owned()),
        description: Some(format!("{title}, described")),
        indexed_at: Some(indexed),
        ..NewVideo::new(topic, at)
    });
    VideoId::parse(&id).unwrap()
}

async fn stored(store: &DynamoStore, id: &VideoId) -> bool {
    store.video(id).await.unwrap().is_some()
}

#[tokio::test]
async fn a_followed_channel_brings_its_on_topic_uploads_first_and_survives_an_outage() {
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        valid_keys: vec!["k1".into()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    for m in [30, 20, 10] {
        let at = t0() - Duration::minutes(m);
        upload(&ctl, "cricket", "Cricket nets", at, at);
    }
    let store = fresh_store().await;
    let f: AppLike = Fetcher::new(
        YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })
        .unwrap(),
        store.clone(),
        StaticKeyRing::new(vec![ApiKey::new("k1")], 100),
        FetchSettings::default(),
    );
    let origin = sim.base_url.trim_end_matches("/youtube/v3").to_owned();
    let feeds = FeedClient::new(FeedClientSettings {
        base_url: origin,
        ..Default::default()
    })
    .unwrap();
    let (_, first) = cycle(&f, &feeds, t0()).await;
    assert_eq!((first.followed, first.requests), (1, 1), "{first:?}");

    let now = t0() + Duration::minutes(1);
    let late = upload(
        &ctl,
        "cricket",
        "Cricket: the last over",
        now - Duration::seconds(30),
        now + Duration::hours(1),
    );
    let off = upload(
        &ctl,
        "cooking",
        "Pasta night",
        now - Duration::seconds(20),
        now,
    );
    ctl.advance(Duration::minutes(1));
    let (c, follow) = cycle(&f, &feeds, now).await;
    assert_eq!(c.topics[0].new, 0, "search cannot see it yet");
    assert_eq!(
        (follow.entries, follow.on_topic, follow.new),
        (2, 1, 1),
        "{follow:?}"
    );
    assert!(
        stored(&store, &late).await,
        "stored through the feed, an hour before search"
    );
    assert!(
        !stored(&store, &off).await,
        "the channel's off-topic upload is not stored"
    );

    // A feed outage: the run is fine, the channel backs off, and search still stores what it
    // can see; when the feeds are back the rest arrives.
    ctl.set_faults(FaultPlan {
        feeds_down: true,
        ..FaultPlan::default()
    });
    let now = now + Duration::minutes(1);
    let during = upload(
        &ctl,
        "cricket",
        "Cricket in the rain",
        now - Duration::seconds(10),
        now + Duration::minutes(30),
    );
    ctl.advance(Duration::minutes(1));
    let (_, down) = cycle(&f, &feeds, now).await;
    assert_eq!((down.failed, down.new), (1, 0), "{down:?}");
    ctl.set_faults(FaultPlan::default());
    let now = now + Duration::minutes(5);
    ctl.advance(Duration::minutes(5));
    let (_, back) = cycle(&f, &feeds, now).await;
    assert_eq!(back.new, 1, "{back:?}");
    assert!(stored(&store, &during).await);
    let (st, version) = store.load_follow(&cricket()).await.unwrap();
    let rec = &st.channels[&ChannelId::parse(CH).unwrap()];
    assert_eq!(
        (rec.recent(), rec.feed.failures, version),
        (5, 0, 4),
        "{rec:?}"
    );
    assert!(
        rec.feed.validators.etag.is_some(),
        "the next read is conditional"
    );
    sim.shutdown().await;
}
