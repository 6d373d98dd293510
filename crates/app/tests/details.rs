//! Video details end to end: the YouTube client against the simulator's videos.list, the
//! queue and the details on DynamoDB Local, units counted per project by the deployed key ring.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{
    ApiKey, DetailsStop, DetailsStore, EnrichSettings, Enricher, FeedQuery, FeedReader,
    FetchSettings, Fetcher, KeyRing, Order, Topic, Video, VideoId, VideoStore,
};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::{fresh_store, quick_retries};
use tubefeed_youtube::YouTubeClient;
use youtube_sim::{
    ClockMode, DetailsOverride, FaultPlan, LiveState, NewVideo, Shape, SimConfig, SimHandle,
};

type Ring = DynamoKeyRing<EnvKeySource>;

const KEY: &str = "sim-key-1";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

/// Calls as soon as anything waits (the batching is tested on the fakes).
fn eager() -> EnrichSettings {
    EnrichSettings {
        max_wait: Duration::zero(),
        ..EnrichSettings::default()
    }
}

fn cricket() -> Topic {
    Topic::parse("cricket").unwrap()
}

struct Env {
    sim: SimHandle,
    store: DynamoStore,
    client: YouTubeClient,
    ring: Ring,
}

impl Env {
    async fn start(cfg: SimConfig) -> Self {
        let sim = SimHandle::start(SimConfig {
            clock: ClockMode::Manual(t0()),
            ..cfg
        })
        .await
        .unwrap();
        let store = fresh_store().await;
        let client = YouTubeClient::new(quick_retries(&sim.base_url, 1)).unwrap();
        let ring = DynamoKeyRing::new(
            store.clone(),
            EnvKeySource::new(vec![ApiKey::new(KEY)]),
            100,
        );
        Self {
            sim,
            store,
            client,
            ring,
        }
    }

    async fn fetch(&self) {
        let f = Fetcher::new(
            self.client.clone(),
            self.store.clone(),
            DynamoKeyRing::new(
                self.store.clone(),
                EnvKeySource::new(vec![ApiKey::new(KEY)]),
                100,
            ),
            FetchSettings::default(),
        );
        let s = f.run(&[cricket()], self.sim.control().now()).await;
        assert!(s.ok, "{s:?}");
    }

    async fn enrich(&self, settings: EnrichSettings) -> tubefeed_core::DetailsSummary {
        Enricher {
            source: &self.client,
            store: &self.store,
            keys: &self.ring,
            settings,
            blocked: &[],
        }
        .run(self.sim.control().now())
        .await
    }

    async fn listed(&self, terms: &[&str]) -> BTreeMap<String, Video> {
        let q = FeedQuery {
            topic: cricket(),
            published_after: None,
            published_before: None,
            channel_id: None,
            terms: terms.iter().map(|t| (*t).to_owned()).collect(),
            order: Order::Desc,
            limit: 100,
            filter: Default::default(),
            hidden_channels: Vec::new(),
        };
        let page = self.store.page(&q, None).await.unwrap();
        page.videos
            .into_iter()
            .map(|v| (v.id.to_string(), v))
            .collect()
    }

    async fn queue_len(&self) -> usize {
        self.store.pending_details(1000).await.unwrap().len()
    }
}

fn shaped(shape: Shape, seconds: u32, minutes_ago: i64) -> NewVideo {
    NewVideo {
        title: Some(format!("cricket {shape:?} {seconds}")),
        details: DetailsOverride {
            duration_seconds: Some(seconds),
            shape: Some(shape),
            audio_language: Some("en-GB".into()),
        },
        ..NewVideo::new("cricket", t0() - Duration::minutes(minutes_ago))
    }
}

#[tokio::test]
async fn a_run_stores_then_details_follow_shorts_by_shape_and_deleted_videos_leave_the_lists() {
    let env = Env::start(SimConfig::default()).await;
    let ctl = env.sim.control();
    let wide = ctl.add_video(shaped(Shape::Landscape, 45, 30));
    let tall = ctl.add_video(shaped(Shape::Portrait, 170, 20));
    let gone = ctl.add_video(shaped(Shape::Portrait, 30, 10));
    let live = ctl.add_video(NewVideo {
        live: Some(LiveState::Live),
        ..NewVideo::new("cricket", t0() - Duration::minutes(5))
    });
    env.fetch().await;
    assert_eq!(env.queue_len().await, 4);
    let before = env.listed(&[]).await;
    assert_eq!(before.len(), 4, "listed before any detail");
    assert!(before.values().all(|v| v.details.is_none()));

    ctl.delete_video(&gone);
    let s = env.enrich(eager()).await;
    assert_eq!(
        (s.calls, s.recorded, s.unavailable, s.stopped.clone()),
        (1, 3, 1, None),
        "{s:?}"
    );
    assert_eq!(env.queue_len().await, 0);
    let after = env.listed(&[]).await;
    assert_eq!(after.len(), 3, "the deleted video left the list");
    let d = |id: &str| after[id].details.clone().unwrap();
    assert!(!d(&wide).is_short, "landscape 45 s");
    assert!(d(&tall).is_short, "vertical 170 s");
    assert_eq!(d(&tall).language.unwrap().as_str(), "en");
    assert_eq!(
        (d(&live).duration_seconds, d(&live).is_short),
        (None, false)
    );
    assert!(d(&live).live.unwrap().actual_start.is_some());
    // Gone from search and from the single-video read too.
    assert!(!env.listed(&["cricket"]).await.contains_key(&gone));
    assert!(env.listed(&["cricket"]).await.contains_key(&tall));
    let gone_id = VideoId::parse(&gone).unwrap();
    assert_eq!(env.store.video(&gone_id).await.unwrap(), None);
    // One unit, counted once by our ring and once by YouTube's.
    let units = env.ring.units_today(10_000, ctl.now()).await.unwrap();
    assert_eq!(units[0].units_today, 1);
    assert_eq!(ctl.units_left(KEY), 9_999);
}

#[tokio::test]
async fn details_survive_a_videos_list_outage_and_arrive_with_a_later_run() {
    let env = Env::start(SimConfig::default()).await;
    let ctl = env.sim.control();
    ctl.add_burst(
        "cricket",
        60,
        t0() - Duration::hours(1),
        Duration::seconds(30),
    );
    env.fetch().await;
    ctl.set_faults(FaultPlan {
        videos_unavailable: true,
        ..FaultPlan::default()
    });
    let down = env.enrich(eager()).await;
    assert!(
        matches!(down.stopped, Some(DetailsStop::Failed { .. })),
        "{down:?}"
    );
    assert_eq!((down.recorded, env.queue_len().await), (0, 60));
    ctl.set_faults(FaultPlan::default());
    let later = env.enrich(eager()).await;
    assert_eq!((later.calls, later.recorded, later.stopped), (2, 60, None));
    assert!(env.listed(&[]).await.values().all(|v| v.details.is_some()));
}

#[tokio::test]
async fn units_never_exceed_the_project_pool_across_processes() {
    let env = Env::start(SimConfig::default()).await;
    let ctl = env.sim.control();
    ctl.add_burst(
        "cricket",
        150,
        t0() - Duration::hours(2),
        Duration::seconds(30),
    );
    env.fetch().await;
    let two_a_day = EnrichSettings {
        units_per_run: 100,
        daily_units: 2,
        ..eager()
    };
    let s = env.enrich(two_a_day).await;
    assert_eq!(
        (s.calls, s.recorded, s.stopped),
        (2, 100, Some(DetailsStop::NoUnits))
    );
    // Another process's ring reads the same count from the table.
    let other = Ring::new(
        env.store.clone(),
        EnvKeySource::new(vec![ApiKey::new(KEY)]),
        100,
    );
    let more = Enricher {
        source: &env.client,
        store: &env.store,
        keys: &other,
        settings: two_a_day,
        blocked: &[],
    }
    .run(ctl.now())
    .await;
    assert_eq!((more.calls, more.stopped), (0, Some(DetailsStop::NoUnits)));
    assert_eq!(ctl.units_left(KEY), 10_000 - 2);
    assert_eq!(env.queue_len().await, 50);
}

#[tokio::test]
async fn old_videos_are_queued_once_and_a_new_title_keeps_the_details() {
    let env = Env::start(SimConfig::default()).await;
    let ctl = env.sim.control();
    ctl.add_burst(
        "cricket",
        7,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    env.fetch().await;
    // A table from before details: no queue entries.
    let client = env.store.client();
    for p in env.store.pending_details(100).await.unwrap() {
        client
            .delete_item()
            .table_name(env.store.table())
            .key("pk", AttributeValue::S("DQ".into()))
            .key("sk", AttributeValue::S(p.position))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        env.store
            .queue_missing_details(&cricket(), None)
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        env.store
            .queue_missing_details(&cricket(), None)
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        env.queue_len().await,
        7,
        "queueing again writes the same entries"
    );
    assert_eq!(env.enrich(eager()).await.recorded, 7);
    assert_eq!(
        env.store
            .queue_missing_details(&cricket(), None)
            .await
            .unwrap(),
        0
    );

    let mut v = env.listed(&[]).await.into_values().next().unwrap();
    let kept = v.details.take();
    v.title = "cricket: a title edited after upload".into();
    let out = env
        .store
        .upsert(&cricket(), &[v.clone()], ctl.now())
        .await
        .unwrap();
    assert_eq!((out.updated, out.new), (1, 0));
    let now = env.listed(&[]).await;
    assert_eq!(now[v.id.as_str()].title, v.title);
    assert_eq!(now[v.id.as_str()].details, kept, "details stay");
    assert_eq!(env.queue_len().await, 0, "an update is not queued");
}
