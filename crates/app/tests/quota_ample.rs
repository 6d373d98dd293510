//! Issue 17's "prove it" cases: fresh when quota is plentiful, and quota counted per Google
//! Cloud project. The real YouTube client against the simulator (which counts quota per project,
//! as YouTube does), the real key ring with its shared bank on DynamoDB Local, a fresh table per
//! test, a simulated clock. Videos and fetch state live in the in-memory store (the DynamoDB
//! store keeps the same promises in its contract suite, crates/dynamo/tests).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{
    ApiKey, BudgetPolicy, CycleSummary, FetchSettings, FetchStateStore, Fetcher, KeyRing,
    PollPrice, ProjectName, Topic,
};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::{fresh_store, quick_retries};
use tubefeed_youtube::YouTubeClient;
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

type Ring = DynamoKeyRing<EnvKeySource>;
type AppFetcher = Fetcher<YouTubeClient, MemStore, MemStore, Ring>;

/// Midnight PST on an ordinary 24-hour day.
fn midnight() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 8, 0, 0).single().unwrap()
}

fn client(sim: &SimHandle) -> YouTubeClient {
    YouTubeClient::new(quick_retries(&sim.base_url, 1)).unwrap()
}

async fn store() -> DynamoStore {
    fresh_store().await
}

/// The deployed ring over `keys`, each project `per_project` calls a day unless a key says,
/// planning for runs every `schedule`.
fn ring(store: &DynamoStore, keys: Vec<ApiKey>, per_project: u32, schedule: Duration) -> Ring {
    DynamoKeyRing::new(store.clone(), EnvKeySource::new(keys), per_project)
        .with_policy(BudgetPolicy::new(per_project).with_schedule(schedule))
}

fn fetcher(sim: &SimHandle, keys: Ring, settings: FetchSettings) -> AppFetcher {
    Fetcher::new(
        client(sim),
        MemStore::default(),
        keys,
        FetchSettings {
            lease_ttl: StdDuration::from_secs(60),
            ..settings
        },
    )
}

fn stored_ids(store: &MemStore, topic: &str) -> BTreeSet<String> {
    store
        .first_stored(&Topic::parse(topic).unwrap())
        .into_keys()
        .map(|id| id.as_str().to_owned())
        .collect()
}

fn named(value: &str, project: &str) -> ApiKey {
    ApiKey::new(value).in_project(ProjectName::parse(project).unwrap(), None)
}

/// Runs every minute for `runs` minutes on a topic that gets `new_at(minute)` videos in each
/// minute, and checks that every run polls and every video published before a run is stored by
/// it. Returns the calls spent.
async fn every_run_polls_and_stores(
    sim: &SimHandle,
    f: &AppFetcher,
    runs: i64,
    new_at: impl Fn(i64) -> usize,
) -> u64 {
    let ctl = sim.control();
    let topic = [Topic::parse("cricket").unwrap()];
    let first = f.run(&topic, ctl.now()).await;
    assert!(first.ok && first.topics[0].skipped.is_none(), "{first:?}");
    let mut published: Vec<String> = Vec::new();
    let mut calls = u64::from(first.topics[0].calls);
    for m in 1..=runs {
        ctl.advance(Duration::minutes(1));
        let n = new_at(m);
        let spacing = Duration::seconds(50 / i64::try_from(n.max(1)).unwrap());
        published.extend(ctl.add_burst("cricket", n, ctl.now() - Duration::seconds(55), spacing));
        let s: CycleSummary = f.run(&topic, ctl.now()).await;
        let t = &s.topics[0];
        assert!(s.ok, "{s:?}");
        assert_eq!(t.skipped, None, "run {m} did not poll: {t:?}");
        assert_eq!(s.budget.as_ref().map(|b| b.rationing_pct), Some(0), "{s:?}");
        calls += u64::from(t.calls);
        let stored = stored_ids(&f.videos, "cricket");
        let missing = published.iter().filter(|id| !stored.contains(*id)).count();
        assert_eq!(
            missing, 0,
            "run {m}: {missing} videos published before it are not stored"
        );
    }
    calls
}

#[tokio::test]
async fn one_key_of_100000_calls_polls_every_run_and_stores_every_new_video_by_the_next() {
    let t0 = midnight() + Duration::hours(4);
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        daily_calls_per_key: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.control().add_burst(
        "cricket",
        40,
        t0 - Duration::minutes(40),
        Duration::minutes(1),
    );
    let store = store().await;
    let keys = ring(
        &store,
        vec![ApiKey::new("sim-key-1")],
        100_000,
        Duration::minutes(1),
    );
    let f = fetcher(&sim, keys, FetchSettings::default());
    // A quiet minute, then 480 new videos (ten pages), then a topic at ten a minute: issue 17
    // found the run after the 480 "not due" for five minutes with 99,999 calls left.
    let calls = every_run_polls_and_stores(&sim, &f, 30, |m| match m {
        1 => 0,
        2 => 480,
        _ => 10,
    })
    .await;
    assert!(calls <= 100_000);
}

#[tokio::test]
async fn twenty_keys_of_100_and_one_quiet_topic_poll_every_run() {
    // 2,000 calls a day for 1,440 one-minute runs: ample for one topic.
    let t0 = midnight();
    let names: Vec<String> = (0..20)
        .map(|i| format!("AIzaSy-ample-{i:02}-0000000000000000"))
        .collect();
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        valid_keys: names.clone(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.control().add_burst(
        "cricket",
        5,
        t0 - Duration::minutes(50),
        Duration::minutes(10),
    );
    let store = store().await;
    let keys = ring(
        &store,
        names.iter().map(|k| ApiKey::new(k)).collect(),
        100,
        Duration::minutes(1),
    );
    let f = fetcher(&sim, keys, FetchSettings::default());
    // One video every seven minutes.
    let calls = every_run_polls_and_stores(&sim, &f, 120, |m| usize::from(m % 7 == 0)).await;
    // One call a poll: the quiet topic's late sweep rides in its head's page.
    assert!(calls <= 121 + 3, "{calls} calls for 121 polls");
}

#[tokio::test]
async fn a_40_page_backfill_with_ample_quota_is_done_in_two_runs_of_20_pages() {
    // Issue 17's case: FETCH_BACKFILL_PAGES=40 and 1,900 videos of history, with a million calls
    // a day. It took 8 runs (2 pages of backfill a run) before; FETCH_MAX_PAGES_PER_TOPIC=20
    // makes it ⌈40 / 20⌉ = 2. (A full 40 pages of history takes a third run: each later run's
    // head takes one of its 20 pages.)
    let t0 = midnight();
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        daily_calls_per_key: 1_000_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let history = ctl.add_burst(
        "cricket",
        1_900,
        t0 - Duration::hours(32),
        Duration::minutes(1),
    );
    let store = store().await;
    let keys = ring(
        &store,
        vec![ApiKey::new("sim-key-1")],
        1_000_000,
        Duration::minutes(1),
    );
    let settings = FetchSettings {
        backfill_pages: 40,
        max_pages_per_topic: 20,
        ..FetchSettings::default()
    };
    let f = fetcher(&sim, keys, settings);
    let topic = [Topic::parse("cricket").unwrap()];
    let first = f.run(&topic, ctl.now()).await;
    // Twenty pages of 50, less the video each ~500-result chunk re-reads at its boundary.
    let t = &first.topics[0];
    assert!(t.pages == 20 && (995..=1_000).contains(&t.new), "{first:?}");
    assert_eq!(first.topics[0].backfill_pages_left, Some(20));
    ctl.advance(Duration::minutes(1));
    let second = f.run(&topic, ctl.now()).await;
    assert!(second.ok, "{second:?}");
    assert_eq!(
        first.topics[0].new + second.topics[0].new,
        1_900,
        "{second:?}"
    );
    let stored = stored_ids(&f.videos, "cricket");
    assert_eq!(
        stored,
        history.into_iter().collect::<BTreeSet<_>>(),
        "all in two runs"
    );
    // The last chunk ended with 401 results, near YouTube's ~500 cap, so one more page must
    // confirm there is nothing older: the third run spends it and closes the backfill.
    ctl.advance(Duration::minutes(1));
    let third = f.run(&topic, ctl.now()).await;
    assert!(third.ok && third.topics[0].pages <= 2, "{third:?}");
    assert_eq!(third.topics[0].new, 0);
    assert_eq!(f.state.load(&topic[0]).await.unwrap().backfill, None);
}

#[tokio::test]
async fn three_keys_of_one_project_and_one_of_another_are_planned_as_200_calls() {
    let t0 = midnight();
    let store = store().await;
    let keys = vec![
        named("AIzaSy-p1-a", "tubefeed-1"),
        named("AIzaSy-p1-b", "tubefeed-1"),
        named("AIzaSy-p1-c", "tubefeed-1"),
        ApiKey::new("AIzaSy-alone-d"),
    ];
    let r = ring(&store, keys.clone(), 100, Duration::minutes(1));
    let budget = r.open_run(PollPrice::whole(1), t0).await.unwrap();
    let report = budget.report.unwrap();
    assert_eq!((report.keys_total, report.keys_usable), (4, 4));
    assert_eq!(report.calls_left_today, 200, "{report:?}");
    let projects: BTreeMap<String, (u32, u32)> = report
        .projects
        .iter()
        .map(|p| (p.project.clone(), (p.keys, p.calls_left)))
        .collect();
    assert_eq!(projects["tubefeed-1"], (3, 100));
    assert_eq!(projects[keys[3].fingerprint().as_str()], (1, 100));
    // Calls through any of the three keys come out of one count.
    for _ in 0..3 {
        assert!(matches!(
            r.acquire(t0).await.unwrap(),
            tubefeed_core::Acquired::Key(_)
        ));
    }
    let left: BTreeMap<String, u32> = r
        .projects(t0)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.project, p.calls_left))
        .collect();
    assert_eq!(left.values().sum::<u32>(), 197);
    let statuses = r.statuses(t0).await.unwrap();
    assert_eq!(statuses[0].project, "tubefeed-1");
    assert!(
        !format!("{statuses:?}{left:?}").contains("AIzaSy"),
        "no key value"
    );
}

/// Runs every `every` from `from` to `to`, each on a topic with a new video since the last run;
/// returns the instants of the runs that made a successful call.
async fn day_of_runs(
    f: &AppFetcher,
    ctl: &SimControl,
    to: DateTime<Utc>,
    every: Duration,
) -> Vec<DateTime<Utc>> {
    let topic = [Topic::parse("cricket").unwrap()];
    let mut polled = Vec::new();
    while ctl.now() < to {
        ctl.add_video(NewVideo::new("cricket", ctl.now() - Duration::seconds(30)));
        let before = ctl.calls().per_status.get(&200).copied().unwrap_or(0);
        let s = f.run(&topic, ctl.now()).await;
        assert!(s.ok, "{s:?}");
        if ctl.calls().per_status.get(&200).copied().unwrap_or(0) > before {
            polled.push(ctl.now());
        }
        ctl.advance(every);
    }
    polled
}

#[tokio::test]
async fn five_unlabeled_keys_of_one_project_are_refused_once_each_then_planned_as_one() {
    // Five keys made in one project look like five buckets of 100; YouTube has one.
    let start = midnight();
    let names: Vec<String> = (0..5)
        .map(|i| format!("AIzaSy-same-{i}-00000000000000000"))
        .collect();
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(start),
        valid_keys: names.clone(),
        projects: names
            .iter()
            .map(|k| (k.clone(), "one-project".to_owned()))
            .collect(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let store = store().await;
    let every = Duration::minutes(5);
    let keys = ring(
        &store,
        names.iter().map(|k| ApiKey::new(k)).collect(),
        100,
        every,
    );
    let f = fetcher(&sim, keys, FetchSettings::default());

    // Day 1: planned as 500 calls (1.7 a five-minute run: ample, a poll every run), the real
    // 100 run out in the morning; then each key is refused once and rests until midnight.
    let day2 = next_pacific_midnight(start);
    let polled = day_of_runs(&f, &ctl, day2, every).await;
    let stats = ctl.calls();
    assert_eq!(stats.per_status[&200], 100, "{stats:?}");
    for k in &names {
        assert_eq!(
            stats.quota_refused.get(k).copied(),
            Some(1),
            "{k}: {stats:?}"
        );
    }
    let dry_at = *polled.last().unwrap();
    assert!(
        dry_at < start + Duration::hours(10),
        "the bucket lasted until {dry_at}"
    );
    let report = f.keys.projects(dry_at).await.unwrap();
    assert!(report.iter().all(|p| p.ran_dry_early), "{report:?}");

    // Day 2: one project of the 100 calls they made together, spread to midnight.
    let day3 = next_pacific_midnight(day2);
    let polled = day_of_runs(&f, &ctl, day3, every).await;
    let day2_ok = ctl.calls().per_status[&200] - 100;
    assert!((90..=100).contains(&day2_ok), "{day2_ok} calls on day 2");
    let after_20h = polled
        .iter()
        .filter(|t| **t >= day2 + Duration::hours(20))
        .count();
    assert!(
        after_20h >= 10,
        "only {after_20h} polls in the last four hours: {polled:?}"
    );
    let refused: u64 = ctl.calls().quota_refused.values().sum();
    assert!(refused <= 10, "{refused} refusals over two days");
    let report = f.keys.projects(day3 - Duration::minutes(1)).await.unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    assert!(
        report[0].learned && report[0].daily_calls == 100,
        "{report:?}"
    );
    assert_eq!(report[0].configured_calls, Some(500));
}
