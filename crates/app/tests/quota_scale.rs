//! Issue 10's "prove it" cases: the quota economy at scale, on a simulated clock. The real
//! YouTube client against the simulator and, where a daily budget is involved, the real key
//! ring with its shared bank on DynamoDB Local (a fresh table per test). Videos and fetch state
//! live in the in-memory store: what is under test here is what is fetched and when, and the
//! DynamoDB store keeps the same promises in its own contract suite (crates/dynamo/tests), so
//! writing tens of thousands of videos to DynamoDB Local here would only cost minutes.
//!
//! Every video here is injected at a known time (the simulator's own generator is off), so a
//! test knows exactly which videos exist and can check each one was stored.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{
    ApiKey, CycleSummary, FetchSettings, FetchStateStore, Fetcher, SkipReason, StaticKeyRing,
    Topic, TopicSummary,
};
use tubefeed_dynamo::DynamoKeyRing;
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::{fresh_store, quick_retries};
use tubefeed_youtube::YouTubeClient;
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

/// Midnight PST on an ordinary 24-hour day: a whole Pacific day of quota lies ahead.
fn midnight() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 8, 0, 0).single().unwrap()
}

/// 04:00 PST on an ordinary day: 20 hours of the day's budget left.
fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

/// The simulator on a manual clock at `t0`, allowing each key this many calls a day.
async fn sim_at(t0: DateTime<Utc>, daily_calls_per_key: u32) -> SimHandle {
    SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        daily_calls_per_key,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// Topic names that are not substrings of one another nor of generated text (the simulator
/// matches `q` as a substring of topic, title and description).
fn topic_name(i: usize) -> String {
    format!("zq{i:02}x")
}

fn client(sim: &SimHandle) -> YouTubeClient {
    YouTubeClient::new(quick_retries(&sim.base_url, 1)).unwrap()
}

fn store() -> MemStore {
    MemStore::default()
}

fn settings() -> FetchSettings {
    FetchSettings {
        lease_ttl: StdDuration::from_secs(60),
        ..Default::default()
    }
}

fn key_names(n: usize, tag: &str) -> Vec<String> {
    (0..n)
        .map(|i| format!("AIzaSy-{tag}-{i:02}-000000000000000000"))
        .collect()
}

/// A fetcher on the shared key ring (`keys` keys of 100 calls a day, paced by the bank in a
/// fresh DynamoDB Local table).
async fn budgeted(
    sim: &SimHandle,
    store: &MemStore,
    keys: &[String],
) -> Fetcher<YouTubeClient, MemStore, MemStore, DynamoKeyRing<EnvKeySource>> {
    Fetcher::new(
        client(sim),
        store.clone(),
        DynamoKeyRing::new(
            fresh_store().await,
            EnvKeySource::new(keys.iter().map(|k| ApiKey::new(k)).collect()),
            100,
        ),
        settings(),
    )
}

/// The topic was polled in this run: it was not set aside (paced, not due, locked, no key).
fn polled(t: &TopicSummary) -> bool {
    t.error.is_none() && matches!(t.skipped, None | Some(SkipReason::PageBudget))
}

/// Ids and first-seen times of a topic's stored videos.
fn stored_ids(store: &MemStore, topic: &str) -> BTreeMap<String, DateTime<Utc>> {
    store
        .first_stored(&Topic::parse(topic).unwrap())
        .into_iter()
        .map(|(id, at)| (id.as_str().to_owned(), at))
        .collect()
}

type StaticFetcher = Fetcher<YouTubeClient, MemStore, MemStore, StaticKeyRing>;

/// A fetcher on one simulator key with no daily limit to speak of (no budget planner).
fn one_key_fetcher(sim: &SimHandle, store: &MemStore, settings: FetchSettings) -> StaticFetcher {
    Fetcher::new(
        client(sim),
        store.clone(),
        StaticKeyRing::new(vec![ApiKey::new("sim-key-1")], 100_000),
        settings,
    )
}

/// A quiet topic (20 videos over the 20 minutes before 12:00) already fetched once, on a
/// simulator with a manual clock and a fetcher that may read only 4 pages a run.
struct QuietTopic {
    sim: SimHandle,
    store: MemStore,
    fetcher: StaticFetcher,
    topic: [Topic; 1],
}

async fn quiet_topic_on_four_pages_a_run() -> QuietTopic {
    let t0 = noon();
    let sim = sim_at(t0, 100_000).await;
    let ctl = sim.control();
    ctl.add_burst(
        "cricket",
        20,
        t0 - Duration::minutes(20),
        Duration::minutes(1),
    );
    let store = store();
    let fetcher = one_key_fetcher(
        &sim,
        &store,
        FetchSettings {
            max_pages_per_topic: 4,
            ..settings()
        },
    );
    let topic = [Topic::parse("cricket").unwrap()];
    assert!(fetcher.run(&topic, ctl.now()).await.ok);
    QuietTopic {
        sim,
        store,
        fetcher,
        topic,
    }
}

/// Calls every key made today at the simulator, and the worst key.
fn calls_per_key(ctl: &SimControl, keys: &[String]) -> (u64, u64) {
    let c = ctl.calls();
    let per: Vec<u64> = keys
        .iter()
        .map(|k| c.per_key.get(k).copied().unwrap_or(0))
        .collect();
    (per.iter().sum(), per.iter().copied().max().unwrap_or(0))
}

#[tokio::test]
async fn sixty_topics_on_one_key_are_all_polled_in_turn_over_a_day_within_budget() {
    let start = midnight();
    let end = next_pacific_midnight(start);
    let keys = key_names(1, "sixty");
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(start),
        valid_keys: keys.clone(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let n = 60;
    let topics: Vec<(Topic, u32)> = (0..n)
        .map(|i| (Topic::parse(&topic_name(i)).unwrap(), 1))
        .collect();
    // Quiet topics: one video an hour before midnight, then one every two hours (each topic at
    // its own minute), so every poll finds a little.
    let mut published: Vec<Vec<(String, DateTime<Utc>)>> = vec![Vec::new(); n];
    let mut schedule: Vec<(DateTime<Utc>, usize)> = Vec::new();
    for (i, videos) in published.iter_mut().enumerate() {
        let at = start - Duration::hours(1) + Duration::minutes(i as i64);
        videos.push((ctl.add_video(NewVideo::new(topic_name(i), at)), at));
        let mut t = start + Duration::minutes(2 * i as i64);
        while t < end {
            schedule.push((t, i));
            t += Duration::hours(2);
        }
    }
    schedule.sort();
    let store = store();
    let fetcher = budgeted(&sim, &store, &keys).await;

    let every = Duration::minutes(10);
    let mut polls: Vec<Vec<DateTime<Utc>>> = vec![Vec::new(); n];
    let mut next = 0;
    let mut now = start;
    let mut intervals: Vec<u64> = Vec::new();
    while now < end {
        while next < schedule.len() && schedule[next].0 <= now {
            let (at, i) = schedule[next];
            published[i].push((ctl.add_video(NewVideo::new(topic_name(i), at)), at));
            next += 1;
        }
        let s: CycleSummary = fetcher.run_weighted(&topics, now).await;
        assert!(s.ok, "run at {now} failed: {s:?}");
        for (i, t) in s.topics.iter().enumerate() {
            if polled(t) {
                polls[i].push(now);
            }
        }
        if now == start + Duration::hours(12) {
            intervals = s.topics.iter().filter_map(|t| t.interval_seconds).collect();
        }
        ctl.advance(every);
        now += every;
    }

    // Never above budget: the one key made at most its 100 calls, and YouTube never said no.
    let (total, worst) = calls_per_key(&ctl, &keys);
    assert!(worst <= 100, "{worst} calls on one key");
    let statuses = ctl.calls().per_status;
    assert_eq!(
        statuses.keys().copied().collect::<Vec<_>>(),
        [200],
        "{statuses:?}"
    );
    // Most of the day's budget bought polls (nothing left idle while topics waited).
    assert!(total >= 90, "only {total} calls spent");

    // Every topic polled, none starved: each got one or two polls (100 calls / 60 topics), and
    // none was left waiting much longer than the pool's interval (60 × 864 s = 14.4 h).
    let counts: Vec<usize> = polls.iter().map(Vec::len).collect();
    let (lo, hi) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
    assert!(lo >= 1 && hi - lo <= 1, "polls per topic: {counts:?}");
    for (i, p) in polls.iter().enumerate() {
        let mut prev = start;
        for t in p.iter().chain(std::iter::once(&end)) {
            // The first run may poll 25 topics at once (a quarter of the day's budget); the
            // other 75 calls are spread over the day, so a topic waits for the 59 others at
            // most: 59 × 86 400 s / 75 ≈ 19 h (14.4 h once the pace is steady).
            assert!(
                *t - prev <= Duration::hours(20),
                "{} waited from {prev} to {t}: {p:?}",
                topic_name(i)
            );
            prev = *t;
        }
    }
    // Each topic reports the interval the pool can give it: 60 polls at what is left of the
    // day's calls (between 14.4 h and 19.2 h, as above).
    assert!(!intervals.is_empty());
    for s in &intervals {
        assert!((51_840..=72_000).contains(s), "interval {s} s");
    }

    // Nothing lost: every video at or before a topic's watermark is stored, exactly once.
    for (i, videos) in published.iter().enumerate() {
        let name = topic_name(i);
        let st = store.load(&Topic::parse(&name).unwrap()).await.unwrap();
        let w = st.watermark.expect("every topic has been read");
        let ids = stored_ids(&store, &name);
        for (id, at) in videos {
            if *at <= w {
                assert!(
                    ids.contains_key(id),
                    "{name}: {id} published {at} is missing"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_topic_of_weight_three_is_polled_about_three_times_as_often() {
    let start = midnight();
    let end = next_pacific_midnight(start);
    let keys = key_names(1, "weight");
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(start),
        valid_keys: keys.clone(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    // One topic of weight 3 among five of weight 1: 8 polls per cycle on 100 calls a day.
    let n = 6;
    let topics: Vec<(Topic, u32)> = (0..n)
        .map(|i| {
            (
                Topic::parse(&topic_name(i)).unwrap(),
                if i == 2 { 3 } else { 1 },
            )
        })
        .collect();
    for i in 0..n {
        ctl.add_video(NewVideo::new(
            topic_name(i),
            start - Duration::minutes(30 + i as i64),
        ));
    }
    let store = store();
    let fetcher = budgeted(&sim, &store, &keys).await;
    let every = Duration::minutes(5);
    let mut polls = vec![0usize; n];
    let mut now = start;
    let mut interval = vec![None; n];
    while now < end {
        // Each topic gets a video every 20 minutes.
        if (now - start).num_minutes() % 20 == 0 {
            for i in 0..n {
                ctl.add_video(NewVideo::new(
                    topic_name(i),
                    now - Duration::seconds(i as i64),
                ));
            }
        }
        let s = fetcher.run_weighted(&topics, now).await;
        assert!(s.ok, "run at {now} failed: {s:?}");
        for (i, t) in s.topics.iter().enumerate() {
            polls[i] += usize::from(polled(t));
            if now == start + Duration::hours(12) {
                interval[i] = t.interval_seconds;
                assert_eq!(t.weight, topics[i].1);
            }
        }
        ctl.advance(every);
        now += every;
    }
    let (_, worst) = calls_per_key(&ctl, &keys);
    assert!(worst <= 100, "{worst} calls on one key");
    let others: Vec<usize> = (0..n).filter(|i| *i != 2).map(|i| polls[i]).collect();
    let mean = others.iter().sum::<usize>() as f64 / others.len() as f64;
    let ratio = polls[2] as f64 / mean;
    assert!(
        (2.5..=3.5).contains(&ratio),
        "weight 3 polled {} times, the others {others:?} (ratio {ratio:.2})",
        polls[2]
    );
    // The weight-1 topics share fairly among themselves.
    let (lo, hi) = (*others.iter().min().unwrap(), *others.iter().max().unwrap());
    assert!(hi - lo <= 1, "weight-1 polls {others:?}");
    // And the reported intervals say the same: a third for the weighted topic.
    let (w3, w1) = (interval[2].unwrap(), interval[0].unwrap());
    assert!(
        (w1 as f64 / w3 as f64 - 3.0).abs() < 0.1,
        "intervals {interval:?}"
    );
}

#[tokio::test]
async fn a_100_page_backfill_cut_to_12_pages_a_run_completes_over_later_runs_storing_each_video_once()
 {
    let t0 = noon();
    let sim = sim_at(t0, 10_000).await;
    let ctl = sim.control();
    // Pages of 20 (`maxResults`), to keep the test quick: 100 pages are 2 000 videos. 2 400
    // videos of history, one every 20 s: more than 100 pages, and far beyond YouTube's
    // ~500-result cap for one query, so the backfill is read in chunks.
    let page = 20usize;
    let history = 2_400usize;
    let first = t0 - Duration::seconds(20 * history as i64);
    let ids = ctl.add_burst("cricket", history, first, Duration::seconds(20));
    let mut published: Vec<(String, DateTime<Utc>)> = ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, first + Duration::seconds(20 * i as i64)))
        .collect();
    let store = store();
    let fetcher = one_key_fetcher(
        &sim,
        &store,
        FetchSettings {
            page_size: page as u8,
            backfill_pages: 100,
            max_pages_per_topic: 12,
            ..settings()
        },
    );
    let topic = Topic::parse("cricket").unwrap();
    let mut runs = Vec::new();
    let mut left_seen = Vec::new();
    for run in 0..20 {
        let s = fetcher.run(std::slice::from_ref(&topic), ctl.now()).await;
        assert!(s.ok, "{s:?}");
        let t = s.topics[0].clone();
        assert!(t.pages <= 12, "run {run} read {} pages", t.pages);
        assert_eq!(t.updated, 0, "{t:?}");
        left_seen.push(t.backfill_pages_left);
        runs.push(t);
        if store.load(&topic).await.unwrap().backfill.is_none() && run > 0 {
            break;
        }
        // New uploads keep arriving on top while the history is read.
        ctl.advance(Duration::minutes(1));
        for k in 0..3 {
            let at = ctl.now() - Duration::seconds(10 * k);
            published.push((ctl.add_video(NewVideo::new("cricket", at)), at));
        }
    }
    let st = store.load(&topic).await.unwrap();
    assert_eq!(
        st.backfill, None,
        "the backfill never finished: {left_seen:?}"
    );
    // The first run was cut short and said so; later runs counted the pages down.
    assert_eq!(runs[0].backfill_pages_left, Some(88), "{:?}", runs[0]);
    assert!(
        runs.len() >= 9,
        "{} runs for 100 pages at 12 a run",
        runs.len()
    );
    assert!(
        left_seen
            .windows(2)
            .all(|w| w[1].unwrap_or(0) < w[0].unwrap_or(1)),
        "pages left must fall every run: {left_seen:?}"
    );

    // Every video from the oldest one read up to the newest is stored, exactly once.
    let stored = stored_ids(&store, "cricket");
    let new: usize = runs.iter().map(|t| t.new).sum();
    assert_eq!(new, stored.len(), "each video counted new once");
    let oldest = published
        .iter()
        .filter(|(id, _)| stored.contains_key(id))
        .map(|(_, at)| *at)
        .min()
        .unwrap();
    let expected: HashSet<&String> = published
        .iter()
        .filter(|(_, at)| *at >= oldest)
        .map(|(id, _)| id)
        .collect();
    let missing = expected
        .iter()
        .filter(|id| !stored.contains_key(**id))
        .count();
    assert_eq!(
        missing, 0,
        "{missing} videos lost inside the backfilled range"
    );
    // The history read is 100 pages' worth, less the one video each chunk and each resumed
    // run re-reads at its boundary.
    let history_stored = stored.len() - (published.len() - history);
    assert!(
        (100 * page - 2 * runs.len() - 12..=100 * page).contains(&history_stored),
        "{history_stored} videos of history stored over {} runs",
        runs.len()
    );
}

#[tokio::test]
async fn late_indexed_videos_on_a_topic_with_ten_videos_a_minute_are_all_stored() {
    // 04:00 PST: 20 hours of the day's budget left, on 20 keys (≈ 1.7 calls a minute).
    let t0 = noon();
    let keys = key_names(20, "late");
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        valid_keys: keys.clone(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    let mut published: Vec<(String, DateTime<Utc>, bool)> = Vec::new();
    // Ten minutes of history, already searchable.
    for k in 0..100 {
        let at = t0 - Duration::seconds(6 * (100 - k));
        published.push((ctl.add_video(NewVideo::new("cricket", at)), at, false));
    }
    let store = store();
    let fetcher = budgeted(&sim, &store, &keys).await;
    let topic = [Topic::parse("cricket").unwrap()];
    let minutes = 120;
    let mut calls = 0u64;
    let mut not_due = 0usize;
    for m in 0..minutes + 25 {
        if m > 0 && m <= minutes {
            // Ten videos in the minute just gone; every fifth becomes searchable only four
            // minutes after its publishedAt.
            for k in 0..10 {
                let at = ctl.now() - Duration::seconds(60 - 6 * k);
                let late = k % 5 == 2;
                let id = ctl.add_video(NewVideo {
                    indexed_at: late.then(|| at + Duration::minutes(4)),
                    ..NewVideo::new("cricket", at)
                });
                published.push((id, at, late));
            }
        }
        let s = fetcher.run(&topic, ctl.now()).await;
        assert!(s.ok, "{s:?}");
        calls += u64::from(s.topics[0].calls);
        not_due += usize::from(matches!(
            s.topics[0].skipped,
            Some(SkipReason::NotDue { .. })
        ));
        ctl.advance(Duration::minutes(1));
    }
    let stored = stored_ids(&store, "cricket");
    let lost: Vec<&(String, DateTime<Utc>, bool)> = published
        .iter()
        .filter(|(id, _, _)| !stored.contains_key(id))
        .collect();
    let late_lost = lost.iter().filter(|v| v.2).count();
    assert!(
        lost.is_empty(),
        "{} videos lost ({late_lost} of them late-indexed), e.g. {:?}",
        lost.len(),
        lost.first()
    );
    assert_eq!(stored.len(), 100 + 10 * minutes);
    // And the sweep did not pay for it by re-reading the window on every poll: under a call
    // per five videos (the old whole-window sweep spent about one per 3.5). Issue 10 had this
    // pool at under one per six, polling every third minute; since issue 17 it counts as ample
    // for one topic (1.7 calls a one-minute run, above 1.25 polls), so the head is read every
    // minute (about one call per ten videos) and the sweeps still wait for a fuller page.
    let (spent, _) = calls_per_key(&ctl, &keys);
    assert_eq!(spent, calls);
    assert!(
        spent * 5 <= stored.len() as u64,
        "{spent} calls for {} videos",
        stored.len()
    );
    assert_eq!(not_due, 0, "an ample pool never waits for a fuller page");
}

#[tokio::test]
async fn a_burst_bigger_than_a_run_after_a_quiet_spell_leaves_no_gap_below_the_watermark() {
    // A quiet topic's head starts at the sweep's mark (the sweep rides in its page). When a
    // burst of 1 000 videos in a minute lands on it and a run may read only 4 pages, the head
    // is cut short: once it has got below the watermark nothing new is missing, so it must not
    // record a gap (a gap below the watermark made every later run fold again and re-read the
    // same pages).
    let QuietTopic {
        sim,
        store,
        fetcher,
        topic,
    } = quiet_topic_on_four_pages_a_run().await;
    let ctl = sim.control();
    ctl.advance(Duration::minutes(1));
    // All above the watermark (the newest stored video is a minute old).
    ctl.add_burst(
        "cricket",
        1000,
        ctl.now() - Duration::seconds(59),
        Duration::milliseconds(59),
    );
    let mut new = 0;
    for m in 0..12 {
        ctl.advance(Duration::minutes(1));
        ctl.add_video(NewVideo::new("cricket", ctl.now() - Duration::seconds(30)));
        let s = fetcher.run(&topic, ctl.now()).await;
        assert!(s.ok, "{s:?}");
        new += s.topics[0].new;
        let st = store.load(&topic[0]).await.unwrap();
        if let (Some(g), Some(w)) = (st.gap, st.watermark) {
            assert!(g.before >= w, "run {m}: a gap below the watermark: {st:?}");
        }
        // 1 000 videos at 200 a run: read by the sixth run; from then on the head keeps up.
        if m >= 7 {
            assert_eq!(st.gap, None, "run {m}: {st:?}");
            assert!(
                st.watermark.unwrap() >= ctl.now() - Duration::seconds(30),
                "run {m}: {st:?}"
            );
        }
    }
    let stored = stored_ids(&store, "cricket");
    assert_eq!(stored.len(), 20 + 1000 + 12);
    assert_eq!(new, 1000 + 12);
}

#[tokio::test]
async fn a_late_window_bigger_than_a_run_is_swept_over_later_runs() {
    // 1 000 videos become searchable below the watermark at once (published two to three
    // minutes earlier, indexed late), and a run may read only 4 pages. The sweep reads newest
    // first; when it is cut short the next runs must go on below where it stopped, not read
    // the same newest pages again (which never reached the older ones).
    let QuietTopic {
        sim,
        store,
        fetcher,
        topic,
    } = quiet_topic_on_four_pages_a_run().await;
    let ctl = sim.control();
    ctl.advance(Duration::minutes(1));
    ctl.add_video(NewVideo::new("cricket", ctl.now() - Duration::seconds(10)));
    assert!(fetcher.run(&topic, ctl.now()).await.ok);
    let w = store.load(&topic[0]).await.unwrap().watermark.unwrap();
    let late_from = ctl.now() - Duration::minutes(3);
    let late = ctl.add_burst("cricket", 1000, late_from, Duration::milliseconds(60));
    assert!(late_from + Duration::seconds(60) < w);
    let mut cut_seen = false;
    for m in 0..25 {
        ctl.advance(Duration::minutes(1));
        ctl.add_video(NewVideo::new("cricket", ctl.now() - Duration::seconds(30)));
        let s = fetcher.run(&topic, ctl.now()).await;
        assert!(s.ok, "{s:?}");
        let marks = store.load(&topic[0]).await.unwrap().sweep.unwrap();
        cut_seen |= marks.early_cut.is_some() || marks.done_cut.is_some();
        if let Some(c) = marks.early_cut {
            assert!(
                marks.early <= c.before && c.before <= c.end,
                "run {m}: {marks:?}"
            );
        }
    }
    assert!(cut_seen, "the window never needed more than one run");
    let stored = stored_ids(&store, "cricket");
    let lost = late.iter().filter(|id| !stored.contains_key(*id)).count();
    assert_eq!(lost, 0, "{lost} of 1 000 late videos never swept");
    // Both sweeps finished: their marks passed the late window, nothing is left cut.
    let marks = store.load(&topic[0]).await.unwrap().sweep.unwrap();
    assert!(marks.done > late_from + Duration::seconds(60), "{marks:?}");
    assert_eq!((marks.early_cut, marks.done_cut), (None, None));
}
