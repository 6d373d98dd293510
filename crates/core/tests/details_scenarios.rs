//! Video details on the in-memory fakes: what a run records, Shorts, deleted videos, outages,
//! and units never above their allowances. No Java, no network.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::fakes::{MemSource, MemStore};
use tubefeed_core::{
    ApiKey, DetailsStop, DetailsStore, DetailsSummary, EmbedSize, EnrichSettings, Enricher,
    FetchSettings, Fetcher, KeyRing, StaticKeyRing, Topic,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn topic() -> Topic {
    Topic::parse("cricket").unwrap()
}

struct World {
    source: MemSource,
    store: MemStore,
    keys: StaticKeyRing,
}

impl World {
    fn new(keys: Vec<ApiKey>) -> Self {
        Self {
            source: MemSource::new(t0()),
            store: MemStore::default(),
            keys: StaticKeyRing::new(keys, 100_000),
        }
    }

    /// One fetch of the topic, storing what search finds (and queueing it for details).
    async fn fetch(&self) {
        let f = Fetcher::new(
            self.source.clone(),
            self.store.clone(),
            StaticKeyRing::new(vec![ApiKey::new("search-key")], 100_000),
            FetchSettings::default(),
        );
        let s = f.run(&[topic()], self.source.now()).await;
        assert!(s.ok, "{s:?}");
    }

    async fn enrich(&self, settings: EnrichSettings) -> DetailsSummary {
        Enricher {
            source: &self.source,
            store: &self.store,
            keys: &self.keys,
            settings,
            blocked: &[],
        }
        .run(self.source.now())
        .await
    }
}

/// Calls as soon as anything waits.
fn eager() -> EnrichSettings {
    EnrichSettings {
        max_wait: Duration::zero(),
        ..EnrichSettings::default()
    }
}

fn per_run(units: u32) -> EnrichSettings {
    EnrichSettings {
        units_per_run: units,
        ..eager()
    }
}

#[tokio::test]
async fn a_run_records_details_fifty_videos_a_call_and_tells_shorts_by_shape() {
    let w = World::new(vec![ApiKey::new("k1")]);
    let ids = w.source.add_burst(
        "cricket",
        120,
        t0() - Duration::hours(2),
        Duration::minutes(1),
    );
    let wide = &ids[0];
    let tall = &ids[1];
    w.source.set_details(wide, |d| {
        d.duration_seconds = Some(45);
        d.embed = Some(EmbedSize {
            width: 1000,
            height: 563,
        });
    });
    w.source.set_details(tall, |d| {
        d.duration_seconds = Some(170);
        d.embed = Some(EmbedSize {
            width: 1000,
            height: 1778,
        });
    });
    w.fetch().await;
    assert_eq!(w.store.pending_count(), 120);
    let s = w.enrich(eager()).await;
    assert_eq!((s.calls, s.recorded, &s.stopped), (3, 120, &None), "{s:?}");
    assert_eq!(w.source.details_calls(), (3, 120));
    assert_eq!(w.store.pending_count(), 0);
    let stored = w.store.videos(&topic());
    let get = |id: &tubefeed_core::VideoId| stored.iter().find(|v| v.id == *id).unwrap();
    let d = |id: &tubefeed_core::VideoId| get(id).details.clone().unwrap();
    assert!(!d(wide).is_short, "landscape 45 s is not a Short");
    assert!(d(tall).is_short, "vertical 170 s is");
    assert_eq!(d(wide).duration_seconds, Some(45));
    assert_eq!(
        w.keys.units_today(10_000, t0()).await.unwrap()[0].units_today,
        3
    );
    // Nothing left: the next run spends nothing.
    assert_eq!(w.enrich(eager()).await.calls, 0);
}

#[tokio::test]
async fn details_survive_an_outage_and_arrive_with_a_later_run() {
    let w = World::new(vec![ApiKey::new("k1")]);
    w.source.add_burst(
        "cricket",
        30,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    w.fetch().await;
    w.source.details_down(true);
    let down = w.enrich(eager()).await;
    assert!(
        matches!(down.stopped, Some(DetailsStop::Failed { .. })),
        "{down:?}"
    );
    assert_eq!((down.recorded, w.store.pending_count()), (0, 30));
    // The videos are listed all the while, without details.
    assert_eq!(w.store.videos(&topic()).len(), 30);
    w.source.details_down(false);
    let later = w.enrich(eager()).await;
    assert_eq!((later.recorded, later.stopped.clone()), (30, None));
    assert!(w.store.videos(&topic()).iter().all(|v| v.details.is_some()));
}

#[tokio::test]
async fn a_deleted_video_is_marked_unavailable_and_leaves_the_lists() {
    let w = World::new(vec![ApiKey::new("k1")]);
    let ids = w.source.add_burst(
        "cricket",
        5,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    w.fetch().await;
    w.source.delete(&ids[2]);
    let s = w.enrich(eager()).await;
    assert_eq!((s.recorded, s.unavailable), (4, 1));
    let listed: Vec<_> = w.store.videos(&topic()).into_iter().map(|v| v.id).collect();
    assert_eq!(listed.len(), 4);
    assert!(!listed.contains(&ids[2]));
}

#[tokio::test]
async fn units_stay_within_the_run_allowance_and_the_daily_pool() {
    let w = World::new(vec![ApiKey::new("k1")]);
    w.source.add_burst(
        "cricket",
        400,
        t0() - Duration::hours(8),
        Duration::minutes(1),
    );
    w.fetch().await;
    let first = w.enrich(per_run(2)).await;
    assert_eq!(
        (first.calls, first.recorded, first.stopped.clone()),
        (2, 100, Some(DetailsStop::RunAllowance))
    );
    let tight = EnrichSettings {
        units_per_run: 100,
        daily_units: 3,
        ..eager()
    };
    let second = w.enrich(tight).await;
    assert_eq!(
        (second.calls, second.stopped.clone()),
        (1, Some(DetailsStop::NoUnits)),
        "3 a day, 2 spent already"
    );
    assert_eq!(w.source.details_calls().0, 3);
    assert_eq!(w.store.pending_count(), 50);
}

#[tokio::test]
async fn a_project_refused_for_units_hands_over_to_the_next() {
    let w = World::new(vec![ApiKey::new("k1"), ApiKey::new("k2")]);
    w.source.add_burst(
        "cricket",
        10,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    w.fetch().await;
    // YouTube's count says the first project is spent although ours does not.
    w.source.set_units_left(0);
    let s = w.enrich(eager()).await;
    assert_eq!(s.stopped, Some(DetailsStop::NoUnits), "{s:?}");
    let pools = w.keys.units_today(10_000, t0()).await.unwrap();
    assert!(pools.iter().all(|p| p.refused), "{pools:?}");
    assert_eq!(s.calls, 2, "one try on each project, then nothing");
    assert_eq!(w.store.pending_count(), 10);
}

#[tokio::test]
async fn details_stay_when_search_reports_a_new_title_and_old_videos_can_be_queued() {
    let w = World::new(vec![ApiKey::new("k1")]);
    w.source.add_burst(
        "cricket",
        3,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    w.fetch().await;
    w.enrich(eager()).await;
    let mut v = w.store.videos(&topic())[0].clone();
    v.details = None;
    v.title = "A new title".into();
    let out = tubefeed_core::VideoStore::upsert(&w.store, &topic(), &[v.clone()], t0())
        .await
        .unwrap();
    assert_eq!(out.updated, 1);
    let after = w.store.videos(&topic());
    let same = after.iter().find(|x| x.id == v.id).unwrap();
    assert_eq!(same.title, "A new title");
    assert!(same.details.is_some(), "details kept");
    // Every video has details: nothing to queue.
    assert_eq!(
        w.store.queue_missing_details(&topic(), None).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn a_busy_topic_spends_one_unit_per_fifty_videos_and_a_quiet_one_waits_at_most_the_wait() {
    let w = World::new(vec![ApiKey::new("k1")]);
    let batching = EnrichSettings::default();
    // Ten videos a minute for an hour, a run every minute.
    for _ in 0..60 {
        let now = w.source.now();
        w.source.add_burst(
            "cricket",
            10,
            now - Duration::seconds(55),
            Duration::seconds(5),
        );
        w.fetch().await;
        let s = w.enrich(batching).await;
        assert!(s.stopped.is_none(), "{s:?}");
        w.source.advance(Duration::minutes(1));
    }
    let (calls, ids) = w.source.details_calls();
    assert_eq!(ids, 600, "every video asked once");
    assert_eq!(calls, 12, "600 videos in calls of 50");
    assert_eq!(w.store.pending_count(), 0);

    // A quiet spell: two videos wait, then go once the oldest has waited ten minutes.
    let now = w.source.now();
    w.source.add("cricket", now - Duration::seconds(10));
    w.fetch().await;
    let s = w.enrich(batching).await;
    assert_eq!((s.calls, s.waiting), (0, 1));
    w.source.advance(Duration::minutes(9));
    w.source
        .add("cricket", w.source.now() - Duration::seconds(10));
    w.fetch().await;
    assert_eq!(w.enrich(batching).await.waiting, 2);
    w.source.advance(Duration::minutes(1));
    let s = w.enrich(batching).await;
    assert_eq!((s.calls, s.recorded, s.waiting), (1, 2, 0), "{s:?}");
}

#[tokio::test]
async fn a_blocked_channel_costs_no_units_and_its_videos_are_queued_again_on_unblock() {
    use tubefeed_core::{BlockedChannel, ChannelBlocks, ChannelId};
    let w = World::new(vec![ApiKey::new("k1")]);
    w.source.add_burst(
        "cricket",
        70,
        t0() - Duration::hours(2),
        Duration::minutes(1),
    );
    w.fetch().await;
    // The fake source spreads its videos over seven channels.
    let blocked = ChannelId::parse("UCfake03").unwrap();
    let of_it = w
        .store
        .videos(&topic())
        .iter()
        .filter(|v| v.channel_id == blocked)
        .count();
    assert_eq!(of_it, 10);
    w.store
        .block_channel(&BlockedChannel {
            channel_id: blocked.clone(),
            blocked_at: t0(),
            note: None,
        })
        .await
        .unwrap();
    let s = w.enrich(eager()).await;
    assert_eq!((s.blocked, s.recorded, s.calls), (10, 60, 2), "{s:?}");
    assert_eq!(
        w.source.details_calls().1,
        60,
        "no id of the blocked channel asked"
    );
    w.store.unblock_channel(&blocked).await.unwrap();
    let queued = w
        .store
        .queue_missing_details(&topic(), Some(&blocked))
        .await
        .unwrap();
    assert_eq!(queued, 10);
    assert_eq!(w.enrich(eager()).await.recorded, 10);
}
