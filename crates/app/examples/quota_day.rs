//! `make bench` (quota): one simulated Pacific day of scheduled runs (every minute) with 1, 5
//! and 20 good keys plus two bad ones (one invalid, one already out of quota at YouTube).
//! Real YouTube client against the simulator, real key ring and store on DynamoDB Local
//! (TUBEFEED_TEST_DYNAMODB). Prints calls spent against the pool's budget, how evenly they are
//! spread, and the calls wasted on unusable keys after their first failure (target 0).
//!
//! Then the quota economy at scale (issue 10): 1, 5 and 20 keys × (one topic at 10 videos a
//! minute, 60 quiet topics), plus the busy topic under the whole-window sweep of before issue 10
//! (`FetchSettings::whole_window_sweep`) for comparison: calls spent, calls per stored video,
//! polls per topic, lag from publication to stored, videos lost.
//!
//! Then the ample pools of issue 17 (1 key × 100,000 calls; 20 keys × 100 with 1 quiet topic
//! every minute and 10 quiet topics every 10 minutes), where every run polls every topic, with
//! the freshness column: from a video becoming findable to the run that stored it.
//!
//! `cargo run --release -p tubefeed-app --example quota_day`
//! (`QUOTA_DAY_KEYS=20` one key count only; `QUOTA_DAY_TABLES=scale`, `ample` or `day` one
//! table only)

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::keys::next_pacific_midnight;
use tubefeed_core::{
    ApiKey, BudgetPolicy, FetchSettings, FetchStateStore, Fetcher, SkipReason, StoreError, Topic,
    UpsertOutcome, Video, VideoStore,
};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::{dynamodb_client, fresh_table};
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

const INVALID: &str = "AIzaSy-bench-invalid-key-000000000000";
const SPENT: &str = "AIzaSy-bench-spent-at-youtube-0000000";

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // QUOTA_DAY_KEYS=5 runs one configuration only.
    let only: Option<usize> = std::env::var("QUOTA_DAY_KEYS")
        .ok()
        .and_then(|v| v.parse().ok());
    let tables = std::env::var("QUOTA_DAY_TABLES").unwrap_or_else(|_| "day,scale".to_owned());
    if tables.split(',').any(|t| t.trim() == "day") {
        day_table(only).await?;
    }
    let scarce = tables.split(',').any(|t| t.trim() == "scale");
    let ample = scarce || tables.split(',').any(|t| t.trim() == "ample");
    if ample {
        if tables.contains("day") {
            println!();
        }
        scale_table(only, scarce).await?;
    }
    Ok(())
}

async fn day_table(only: Option<usize>) -> Result<(), BoxError> {
    println!("## Quota: one Pacific day, a scheduled run every minute, 100 calls/key/day");
    println!();
    println!(
        "| good keys | budget | calls spent | on good keys | busiest hour | last 3 h | polls | paced / not-due skips | poll interval (start) | calls on bad keys | wasted after 1st failure | videos stored / published |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in [1usize, 5, 20]
        .into_iter()
        .filter(|n| only.is_none_or(|o| o == *n))
    {
        // Midnight PST on an ordinary 24-hour day.
        let start = Utc
            .with_ymd_and_hms(2026, 1, 15, 8, 0, 0)
            .single()
            .ok_or("bad time")?;
        let end = next_pacific_midnight(start);
        let good: Vec<String> = (0..n)
            .map(|i| format!("AIzaSy-bench-good-{i:02}-00000000000000"))
            .collect();
        let mut valid = good.clone();
        valid.push(SPENT.to_owned());
        let sim = SimHandle::start(SimConfig {
            clock: ClockMode::Manual(start),
            valid_keys: valid,
            rate_per_minute: 0.5,
            ..SimConfig::default()
        })
        .await?;
        let ctl = sim.control();
        ctl.set_key_calls_left(SPENT, 0);
        let client = dynamodb_client();
        let store = DynamoStore::new(client.clone(), fresh_table(&client).await);
        let mut keys: Vec<ApiKey> = good.iter().map(|k| ApiKey::new(k)).collect();
        keys.push(ApiKey::new(INVALID));
        keys.push(ApiKey::new(SPENT));
        let fetcher = Fetcher {
            source: YouTubeClient::new(ClientSettings {
                base_url: sim.base_url.clone(),
                ..Default::default()
            })?,
            videos: store.clone(),
            state: store.clone(),
            keys: DynamoKeyRing::new(store.clone(), EnvKeySource::new(keys), 100),
            settings: FetchSettings {
                lease_ttl: StdDuration::from_secs(50),
                ..Default::default()
            },
        };
        let topic = [Topic::parse("cricket")?];
        let mut by_hour = [0u64; 25];
        let (mut polls, mut paced, mut stored) = (0u32, 0u32, 0usize);
        let mut interval = None;
        let mut now = start;
        while now < end {
            // A burst of 300 videos (six pages) at 10:00 and at 18:00 local.
            let minute = (now - start).num_minutes();
            if minute == 600 || minute == 1080 {
                ctl.add_burst(
                    "cricket",
                    300,
                    now - Duration::seconds(299),
                    Duration::seconds(1),
                );
            }
            let before = ctl.calls().total;
            let s = fetcher.run(&topic, now).await;
            if !s.ok {
                return Err(format!("run at {now} failed: {s:?}").into());
            }
            // The pool's pace once the bad keys are known (the first run learns them).
            if minute == 60 {
                interval = s.budget.as_ref().and_then(|b| b.effective_interval_seconds);
            }
            match s.topics[0].skipped {
                Some(SkipReason::Paced { .. } | SkipReason::NotDue { .. }) => paced += 1,
                _ => polls += 1,
            }
            stored += s.topics[0].new;
            let hour = usize::try_from((now - start).num_hours())
                .unwrap_or(24)
                .min(24);
            by_hour[hour] += ctl.calls().total - before;
            ctl.advance(Duration::minutes(1));
            now += Duration::minutes(1);
        }
        let calls = ctl.calls();
        let on = |k: &str| calls.per_key.get(k).copied().unwrap_or(0);
        let on_good: u64 = good.iter().map(|k| on(k)).sum();
        let on_bad = on(INVALID) + on(SPENT);
        let budget = n as u64 * 100;
        assert!(on_good <= budget, "above budget: {on_good} > {budget}");
        let busiest = by_hour.iter().take(24).max().copied().unwrap_or(0);
        let last3: u64 = by_hour[21..24].iter().sum();
        println!(
            "| {n} | {budget} | {} | {on_good} | {busiest} | {last3} | {polls} | {paced} | {} | {on_bad} | {} | {stored} / {} |",
            calls.total,
            interval.map_or("-".to_owned(), |s| format!("{:.1} min", s as f64 / 60.0)),
            on_bad.saturating_sub(2),
            ctl.video_count("cricket"),
        );
        sim.shutdown().await;
    }
    println!();
    println!(
        "A quiet topic's poll is one call (the late sweep rides in the head's page); bursts \
         borrow up to 10 calls and the next runs repay them by waiting. \"Stored\" counts videos new to the table (the day's \
         uploads; the simulator's history before midnight is not fetched)."
    );
    Ok(())
}

/// Videos kept in memory with the instant each was first stored: the scale rows write tens of
/// thousands of videos, and what they measure (calls, polls, lag) does not depend on the video
/// store. Fetch state, leases, key counts and the budget bank stay on DynamoDB Local.
#[derive(Clone, Default)]
struct MemVideos {
    first_stored: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

impl VideoStore for MemVideos {
    fn upsert(
        &self,
        topic: &Topic,
        videos: &[Video],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<UpsertOutcome, StoreError>> + Send {
        let mut out = UpsertOutcome::default();
        {
            let mut m = self
                .first_stored
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for v in videos {
                let key = format!("{topic}#{}", v.id.as_str());
                match m.entry(key) {
                    std::collections::hash_map::Entry::Occupied(_) => out.unchanged += 1,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(now);
                        out.new += 1;
                    }
                }
            }
        }
        out.write_requests = usize::from(out.new > 0);
        async move { Ok(out) }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    /// One topic, 10 videos a minute, every tenth indexed 4 minutes late.
    Busy,
    /// This many topics, each a video every 20 minutes on average.
    Quiet(usize),
}

/// One row of the scale table.
#[derive(Clone, Copy)]
struct Scenario {
    keys: usize,
    calls_per_key: u32,
    load: Load,
    /// How often the schedule runs the fetcher (the planner is told the same).
    every: Duration,
    whole_window: bool,
}

impl Scenario {
    fn scarce(keys: usize, load: Load, whole_window: bool) -> Self {
        Self {
            keys,
            calls_per_key: 100,
            load,
            // The busy topic needs a run every minute; 60 quiet topics are polled at most
            // every few minutes each, so a run every 5 minutes serves them as well.
            every: match load {
                Load::Busy => Duration::minutes(1),
                Load::Quiet(_) => Duration::minutes(5),
            },
            whole_window,
        }
    }
}

struct Published {
    topic: usize,
    id: String,
    at: DateTime<Utc>,
    late: bool,
}

/// One Pacific day of scheduled runs for one scenario; prints its row.
async fn scale_row(sc: Scenario) -> Result<(), BoxError> {
    let Scenario {
        keys: keys_n,
        calls_per_key,
        load,
        every,
        whole_window,
    } = sc;
    let start = Utc
        .with_ymd_and_hms(2026, 1, 15, 8, 0, 0)
        .single()
        .ok_or("bad time")?;
    let end = next_pacific_midnight(start);
    let keys: Vec<String> = (0..keys_n)
        .map(|i| format!("AIzaSy-scale-{i:02}-000000000000000000"))
        .collect();
    let names: Vec<String> = match load {
        Load::Busy => vec!["cricket".to_owned()],
        Load::Quiet(n) => (0..n).map(|i| format!("zq{i:02}x")).collect(),
    };
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(start),
        valid_keys: keys.clone(),
        daily_calls_per_key: calls_per_key,
        ..SimConfig::default()
    })
    .await?;
    let ctl = sim.control();
    let client = dynamodb_client();
    let store = DynamoStore::new(client.clone(), fresh_table(&client).await);
    let videos = MemVideos::default();
    let lookback = FetchSettings::default().lookback;
    let fetcher = Fetcher {
        source: YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })?,
        videos: videos.clone(),
        state: store.clone(),
        keys: DynamoKeyRing::new(
            store.clone(),
            EnvKeySource::new(keys.iter().map(|k| ApiKey::new(k)).collect()),
            calls_per_key,
        )
        .with_policy(BudgetPolicy::new(calls_per_key).with_schedule(every)),
        settings: FetchSettings {
            lease_ttl: StdDuration::from_secs(50),
            whole_window_sweep: whole_window,
            ..Default::default()
        },
    };
    let topics: Vec<(Topic, u32)> = names
        .iter()
        .map(|n| Topic::parse(n).map(|t| (t, 1)))
        .collect::<Result<_, _>>()?;
    let mut rng = fastrand::Rng::with_seed(10);
    let mut published: Vec<Published> = Vec::new();
    let add = |ctl: &SimControl, published: &mut Vec<Published>, topic: usize, at, late: bool| {
        let id = ctl.add_video(NewVideo {
            indexed_at: late.then(|| at + Duration::minutes(4)),
            ..NewVideo::new(names[topic].clone(), at)
        });
        published.push(Published {
            topic,
            id,
            at,
            late,
        });
    };
    // Some history, so the first poll has something to read.
    match load {
        Load::Busy => {
            for k in 0..100 {
                add(
                    &ctl,
                    &mut published,
                    0,
                    start - Duration::seconds(6 * (100 - k)),
                    false,
                );
            }
        }
        Load::Quiet(n) => {
            for i in 0..n {
                add(
                    &ctl,
                    &mut published,
                    i,
                    start - Duration::minutes(60 - i as i64),
                    false,
                );
            }
        }
    }
    let mut polls = vec![0u32; names.len()];
    let mut now = start;
    while now < end {
        // What was uploaded since the last run.
        let from = now - every;
        match load {
            Load::Busy => {
                let mut t = from;
                while t < now {
                    for k in 0..10i64 {
                        let at = t + Duration::seconds(6 * k + rng.i64(0..6));
                        add(&ctl, &mut published, 0, at, k == 3);
                    }
                    t += Duration::minutes(1);
                }
            }
            Load::Quiet(n) => {
                for i in 0..n {
                    let mut t = from;
                    while t < now {
                        if rng.f64() < 0.05 {
                            add(
                                &ctl,
                                &mut published,
                                i,
                                t + Duration::seconds(rng.i64(0..60)),
                                false,
                            );
                        }
                        t += Duration::minutes(1);
                    }
                }
            }
        }
        let s = fetcher.run_weighted(&topics, now).await;
        if !s.ok {
            return Err(format!("run at {now} failed: {s:?}").into());
        }
        for (i, t) in s.topics.iter().enumerate() {
            if matches!(t.skipped, None | Some(SkipReason::PageBudget)) {
                polls[i] += 1;
            }
        }
        ctl.advance(every);
        now += every;
    }
    let calls = ctl.calls();
    let per_key: Vec<u64> = keys
        .iter()
        .map(|k| calls.per_key.get(k).copied().unwrap_or(0))
        .collect();
    let spent: u64 = per_key.iter().sum();
    let worst = per_key.iter().copied().max().unwrap_or(0);
    let refused: u64 = calls
        .per_status
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(_, n)| *n)
        .sum();
    assert!(
        worst <= u64::from(calls_per_key),
        "above budget: {worst} calls on one key"
    );

    // Where each topic's design will never read again: below the late sweep's mark (the whole
    // window below the watermark for the old sweep), and, for videos indexed on time, up to
    // the watermark.
    // (watermark, swept-to) per topic.
    type Ground = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let mut ground: Vec<Ground> = Vec::new();
    for (t, _) in &topics {
        let st = store.load(t).await?;
        let swept = if whole_window {
            st.watermark.map(|w| w - lookback)
        } else {
            st.sweep.map(|m| m.done)
        };
        ground.push((st.watermark, swept));
    }
    let stored = videos
        .first_stored
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let (mut lags, mut lost, mut pending) = (Vec::new(), 0usize, 0usize);
    // Freshness: from the moment a video could be found (its indexing) to the run storing it.
    let mut fresh: Vec<i64> = Vec::new();
    let mut fresh_on_time: Vec<i64> = Vec::new();
    for v in &published {
        match stored.get(&format!("{}#{}", names[v.topic], v.id)) {
            Some(first) => {
                lags.push((*first - v.at).num_seconds());
                let visible = if v.late {
                    v.at + Duration::minutes(4)
                } else {
                    v.at
                };
                fresh.push((*first - visible).num_seconds().max(0));
                if !v.late {
                    fresh_on_time.push((*first - visible).num_seconds().max(0));
                }
            }
            None => {
                let (w, swept) = ground[v.topic];
                let behind_watermark = w.is_some_and(|w| v.at <= w);
                let behind_sweep = swept.is_some_and(|s| v.at <= s);
                if behind_sweep || (!v.late && behind_watermark) {
                    lost += 1;
                } else {
                    pending += 1;
                }
            }
        }
    }
    lags.sort_unstable();
    fresh.sort_unstable();
    fresh_on_time.sort_unstable();
    let pct = |v: &[i64], p: usize| {
        v.get((v.len() * p / 100).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let (fresh_median, fresh_p95) = (pct(&fresh, 50), pct(&fresh, 95));
    let on_time_p95 = pct(&fresh_on_time, 95);
    let median = lags.get(lags.len() / 2).copied().unwrap_or(0);
    let max = lags.last().copied().unwrap_or(0);
    let n_stored = lags.len();
    let (pmin, pmax) = (
        polls.iter().copied().min().unwrap_or(0),
        polls.iter().copied().max().unwrap_or(0),
    );
    let mean = f64::from(polls.iter().sum::<u32>()) / polls.len() as f64;
    let polls_col = if pmin == pmax {
        format!("{pmin}")
    } else {
        format!("{mean:.1} ({pmin}–{pmax})")
    };
    let load_col = match load {
        Load::Busy => "1 topic, 10 videos/min".to_owned(),
        Load::Quiet(1) => "1 quiet topic, 3 videos/h".to_owned(),
        Load::Quiet(n) => format!("{n} quiet topics, 3 videos/h each"),
    };
    let design = if whole_window {
        "whole-window sweep (before issue 10)"
    } else {
        "sweep marks (now)"
    };
    let per_video = if n_stored > 0 {
        format!("1/{:.2}", n_stored as f64 / spent.max(1) as f64)
    } else {
        "-".to_owned()
    };
    println!(
        "| {keys_n} × {calls_per_key} | {load_col} | every {} min | {design} | {spent} / {} | {worst} | {per_video} | {polls_col} | {:.1} / {:.1} min (on time: {:.1}) | {:.1} min | {:.1} min | {n_stored} / {} | {pending} | {lost} | {refused} |",
        every.num_minutes(),
        keys_n as u64 * u64::from(calls_per_key),
        fresh_median as f64 / 60.0,
        fresh_p95 as f64 / 60.0,
        on_time_p95 as f64 / 60.0,
        median as f64 / 60.0,
        max as f64 / 60.0,
        published.len(),
    );
    sim.shutdown().await;
    Ok(())
}

/// The scale table: the scarce rows when `scarce`, then the ample ones.
async fn scale_table(only: Option<usize>, scarce: bool) -> Result<(), BoxError> {
    println!(
        "## Quota at scale: one Pacific day, 100 calls/key/day, a run every minute (every 5 min for 60 topics)"
    );
    println!();
    println!(
        "| keys × calls/day | load | runs | late sweep | calls spent / budget | busiest key | calls per stored video | polls per topic | freshness median / p95 (p95 of videos indexed on time) | median lag | max lag | stored / published | not yet read at midnight | lost | calls refused by YouTube |"
    );
    println!("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in [1usize, 5, 20]
        .into_iter()
        .filter(|n| scarce && only.is_none_or(|o| o == *n))
    {
        scale_row(Scenario::scarce(n, Load::Busy, true)).await?;
        scale_row(Scenario::scarce(n, Load::Busy, false)).await?;
        scale_row(Scenario::scarce(n, Load::Quiet(60), false)).await?;
    }
    // Ample pools (issue 17): every run polls every topic.
    let ample = [
        Scenario {
            calls_per_key: 100_000,
            ..Scenario::scarce(1, Load::Busy, false)
        },
        Scenario {
            every: Duration::minutes(1),
            ..Scenario::scarce(20, Load::Quiet(1), false)
        },
        Scenario {
            every: Duration::minutes(10),
            ..Scenario::scarce(20, Load::Quiet(10), false)
        },
    ];
    for sc in ample
        .into_iter()
        .filter(|sc| only.is_none_or(|o| o == sc.keys))
    {
        scale_row(sc).await?;
    }
    println!();
    println!(
        "Freshness: from the moment a video could be found (its publishedAt, or 4 minutes later \
         for a late-indexed one) to the run that stored it. \
         Lag: from publishedAt to the run that stored the video (late-indexed ones included). \
         \"Lost\": not stored, and below where the design will ever read again (the sweep's mark, \
         or the watermark for videos indexed on time). \"Not yet read\": above that ground at \
         midnight, to be read by later runs. Videos are held in memory here (fetch state, keys \
         and the budget bank on DynamoDB Local); the whole-window rows restore only the old \
         sweep (FetchSettings::whole_window_sweep), scheduling as now."
    );
    Ok(())
}
