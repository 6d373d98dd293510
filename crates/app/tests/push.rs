//! WebSub push end to end: the scheduled side subscribes followed channels at the simulator's
//! hub, the API's `/websub` (the real router over DynamoDB Local) confirms only what was asked
//! and stores signed pushes; forged and unsigned pushes are refused; leases are renewed.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_api::{ApiSettings, KeySet, TokenCodec, WebSub};
use tubefeed_app::push::TableInbox;
use tubefeed_core::{
    ApiKey, ChannelId, FeedReader, FetchSettings, Fetcher, FollowSettings, Follower, PushSettings,
    StaticKeyRing, Subscriber, Topic, VideoId,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_store;
use tubefeed_youtube::{
    ClientSettings, FeedClient, FeedClientSettings, HubClient, HubClientSettings, YouTubeClient,
};
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

const CH: &str = "UCpushedchannel000000001";
const SECRET: &str = "a-push-secret-of-some-length";

type AppLike = Fetcher<YouTubeClient, DynamoStore, DynamoStore, StaticKeyRing>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

fn cricket() -> Topic {
    Topic::parse("cricket").unwrap()
}

/// The API's router with `/websub` on, over `store`, on a free port, judging time by the
/// simulator's clock; its callback URL.
async fn api(store: &DynamoStore, ctl: SimControl) -> String {
    let settings = ApiSettings {
        topics: vec![cricket()],
        ..ApiSettings::default()
    };
    let codec = TokenCodec::with_keys(KeySet::single("t", &[7u8; 32]).unwrap());
    let inbox = TableInbox {
        clock: Arc::new(move || ctl.now()),
        ..TableInbox::new(store.clone(), &[cricket()], &[])
    };
    let state = tubefeed_api::ApiState::new(store.clone(), codec, settings).with_websub(WebSub {
        secret: SECRET.as_bytes().to_vec().into(),
        inbox: Arc::new(inbox),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, tubefeed_api::router(Arc::new(state))).await;
    });
    format!("http://{addr}/websub")
}

struct World {
    sim: SimHandle,
    ctl: SimControl,
    store: DynamoStore,
    fetcher: AppLike,
    feeds: FeedClient,
    hub: HubClient,
    callback: String,
}

async fn world() -> World {
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        valid_keys: vec!["k1".into()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let store = fresh_store().await;
    let callback = api(&store, ctl.clone()).await;
    let fetcher = Fetcher::new(
        YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })
        .unwrap(),
        store.clone(),
        StaticKeyRing::new(vec![ApiKey::new("k1")], 100),
        FetchSettings::default(),
    );
    let feeds = FeedClient::new(FeedClientSettings {
        base_url: sim.base_url.trim_end_matches("/youtube/v3").to_owned(),
        ..Default::default()
    })
    .unwrap();
    let hub = HubClient::new(HubClientSettings {
        hub_url: sim.hub_url(),
        callback: callback.clone(),
        secret: SECRET.to_owned().into(),
        tls_roots: Default::default(),
    })
    .unwrap();
    World {
        sim,
        ctl,
        store,
        fetcher,
        feeds,
        hub,
        callback,
    }
}

/// One scheduled run: search, feeds, subscriptions; then the hub's verifications land.
async fn cycle(w: &World, now: DateTime<Utc>) -> tubefeed_core::PushSummary {
    let topics = [(cricket(), 1)];
    let mut c = w.fetcher.run_weighted(&topics, now).await;
    assert!(c.ok, "{c:?}");
    let follower = Follower {
        feeds: &w.feeds,
        videos: &w.store,
        state: &w.store,
        settings: &FollowSettings::default(),
        blocked: &[],
    };
    let follow = follower.run(&c.take_sightings(&topics), now).await;
    let subscriber = Subscriber {
        hub: &w.hub,
        store: &w.store,
        settings: PushSettings::default(),
    };
    let push = subscriber.run(&follow.followed(), now).await;
    w.ctl.flush_pushes().await;
    push
}

fn upload(ctl: &SimControl, title: &str, at: DateTime<Utc>, indexed: DateTime<Utc>) -> VideoId {
    let id = ctl.add_video(NewVideo {
        channel_id: Some(CH.to_owned()),
        title: Some(title.to_owned()),
        indexed_at: Some(indexed),
        ..NewVideo::new("cricket", at)
    });
    VideoId::parse(&id).unwrap()
}

#[tokio::test]
async fn followed_channels_are_pushed_signed_and_only_what_we_asked_is_verified() {
    let w = world().await;
    for m in [30, 20, 10] {
        let at = t0() - Duration::minutes(m);
        upload(&w.ctl, "Cricket nets", at, at);
    }
    let first = cycle(&w, t0()).await;
    assert_eq!((first.requested, first.failed), (1, 0), "{first:?}");
    let subs = w.ctl.hub_subscriptions();
    assert!(
        subs.iter().any(|s| s.channel_id == CH && s.active),
        "verified: {subs:?}"
    );

    // An upload search will not see for an hour and whose feed is not read again until the
    // next run: the push stores it at once.
    let now = w.ctl.now();
    let pushed = upload(
        &w.ctl,
        "Cricket: a pushed over",
        now,
        now + Duration::hours(1),
    );
    w.ctl.flush_pushes().await;
    assert!(
        w.store.video(&pushed).await.unwrap().is_some(),
        "stored from the push"
    );

    // Forged, unsigned and unrequested messages are refused and store nothing.
    let forged_id = upload(&w.ctl, "Cricket: forged", now, now + Duration::hours(1));
    let body = w.ctl.push_body(CH, forged_id.as_str());
    let wrong = w
        .ctl
        .push_with_secret(&w.callback, "not-the-secret-at-all", &body)
        .await
        .unwrap();
    let unsigned = w
        .ctl
        .push_unsigned(&w.callback, CH, forged_id.as_str())
        .await
        .unwrap();
    assert_eq!((wrong.status, unsigned.status), (403, 403));
    let other = ChannelId::parse("UCneverfollowed000000000").unwrap();
    let asked = w
        .ctl
        .verify_unrequested(&w.callback, other.as_str())
        .await
        .unwrap();
    assert_eq!(asked.status, 404, "{asked:?}");
    assert_ne!(
        Some(asked.body.clone()),
        asked.challenge,
        "the challenge is not echoed"
    );
    w.sim.shutdown().await;
}

#[tokio::test]
async fn a_lease_is_renewed_before_it_expires() {
    let w = world().await;
    for m in [30, 20, 10] {
        let at = t0() - Duration::minutes(m);
        upload(&w.ctl, "Cricket nets", at, at);
    }
    cycle(&w, t0()).await;
    let until = |w: &World| {
        w.ctl
            .hub_subscriptions()
            .into_iter()
            .find(|s| s.channel_id == CH)
            .map(|s| s.expires_at)
    };
    let first = until(&w).expect("a lease");
    // Three days on, nothing to renew; four and a half days on (under a day left), renewed.
    w.ctl.advance(Duration::days(3));
    let quiet = cycle(&w, w.ctl.now()).await;
    assert_eq!((quiet.requested, quiet.active), (0, 1), "{quiet:?}");
    w.ctl.advance(Duration::hours(36));
    let renew = cycle(&w, w.ctl.now()).await;
    assert_eq!((renew.requested, renew.renewed), (1, 1), "{renew:?}");
    let second = until(&w).expect("a lease");
    assert!(second > first + Duration::days(4), "{first} → {second}");
    // Past the first lease's end, pushes still arrive.
    w.ctl.advance(Duration::days(1));
    let now = w.ctl.now();
    assert!(now > first);
    let late = upload(
        &w.ctl,
        "Cricket after the first lease",
        now,
        now + Duration::hours(1),
    );
    w.ctl.flush_pushes().await;
    assert!(w.store.video(&late).await.unwrap().is_some());
    w.sim.shutdown().await;
}
