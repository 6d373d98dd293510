//! The quota economy at scale: one Pacific day per row, for pools from scarce to ample.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{
    ApiKey, BudgetPolicy, FetchSettings, FetchStateStore, Fetcher, SkipReason, Topic, VideoId,
};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::fresh_store;
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

use super::{BoxError, midnight};

/// Videos in memory (the rows write tens of thousands, and what they measure does not depend on
/// the video store); fetch state, leases, key counts and the bank on DynamoDB Local.
type ScaleFetcher = Fetcher<YouTubeClient, MemStore, DynamoStore, DynamoKeyRing<EnvKeySource>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    /// One topic, 10 videos a minute, every tenth indexed 4 minutes late.
    Busy,
    /// This many topics, each a video every 20 minutes on average.
    Quiet(usize),
}

/// One row of the table.
#[derive(Clone, Copy)]
struct Scenario {
    keys: usize,
    calls_per_key: u32,
    load: Load,
    /// How often the schedule runs the fetcher (the planner is told the same).
    every: Duration,
}

impl Scenario {
    fn scarce(keys: usize, load: Load) -> Self {
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
        }
    }

    fn topics(&self) -> Vec<String> {
        match self.load {
            Load::Busy => vec!["cricket".to_owned()],
            Load::Quiet(n) => (0..n).map(|i| format!("zq{i:02}x")).collect(),
        }
    }
}

struct Published {
    topic: usize,
    id: VideoId,
    at: DateTime<Utc>,
    late: bool,
}

/// The scale table: the scarce rows when `scarce`, then the ample ones.
pub async fn table(only: Option<usize>, scarce: bool) -> Result<(), BoxError> {
    println!("## Quota at scale: one Pacific day per row");
    println!();
    println!(
        "| keys × calls/day | load | runs | calls spent / budget | busiest key | calls per stored video | polls per topic | freshness median / p95 (p95 of videos indexed on time) | median lag | max lag | stored / published | not yet read at midnight | lost | calls refused by YouTube |"
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let wanted = |n: usize| only.is_none_or(|o| o == n);
    for n in [1usize, 5, 20].into_iter().filter(|n| scarce && wanted(*n)) {
        row(Scenario::scarce(n, Load::Busy)).await?;
        row(Scenario::scarce(n, Load::Quiet(60))).await?;
    }
    // Ample pools (issue 17): every run polls every topic.
    let ample = [
        Scenario {
            calls_per_key: 100_000,
            ..Scenario::scarce(1, Load::Busy)
        },
        Scenario {
            every: Duration::minutes(1),
            ..Scenario::scarce(20, Load::Quiet(1))
        },
        Scenario {
            every: Duration::minutes(10),
            ..Scenario::scarce(20, Load::Quiet(10))
        },
    ];
    for sc in ample.into_iter().filter(|sc| wanted(sc.keys)) {
        row(sc).await?;
    }
    println!();
    println!(
        "Freshness: from the moment a video could be found (its publishedAt, or 4 minutes later \
         for a late-indexed one) to the run that stored it. Lag: from publishedAt to the run \
         that stored it. \"Lost\": not stored, and below where the design will ever read again \
         (the sweep's mark, or the watermark for videos indexed on time). \"Not yet read\": above \
         that ground at midnight, to be read by later runs."
    );
    Ok(())
}

async fn setup(sc: &Scenario, keys: &[String]) -> Result<(SimHandle, ScaleFetcher), BoxError> {
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(midnight()),
        valid_keys: keys.to_vec(),
        daily_calls_per_key: sc.calls_per_key,
        ..SimConfig::default()
    })
    .await?;
    let store = fresh_store().await;
    let ring = DynamoKeyRing::new(
        store.clone(),
        EnvKeySource::new(keys.iter().map(|k| ApiKey::new(k)).collect()),
        sc.calls_per_key,
    )
    .with_policy(BudgetPolicy::new(sc.calls_per_key).with_schedule(sc.every));
    let fetcher = Fetcher {
        source: YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })?,
        videos: MemStore::default(),
        state: store,
        keys: ring,
        settings: FetchSettings {
            lease_ttl: StdDuration::from_secs(50),
            ..Default::default()
        },
    };
    Ok((sim, fetcher))
}

fn add(
    ctl: &SimControl,
    names: &[String],
    out: &mut Vec<Published>,
    topic: usize,
    at: DateTime<Utc>,
    late: bool,
) {
    let id = ctl.add_video(NewVideo {
        indexed_at: late.then(|| at + Duration::minutes(4)),
        ..NewVideo::new(names[topic].clone(), at)
    });
    let id = VideoId::parse(&id).unwrap_or_else(|_| unreachable!("the simulator makes valid ids"));
    out.push(Published {
        topic,
        id,
        at,
        late,
    });
}

/// Some history, so the first poll has something to read.
fn history(sc: &Scenario, ctl: &SimControl, names: &[String], out: &mut Vec<Published>) {
    let start = midnight();
    match sc.load {
        Load::Busy => (0..100).for_each(|k| {
            add(
                ctl,
                names,
                out,
                0,
                start - Duration::seconds(6 * (100 - k)),
                false,
            )
        }),
        Load::Quiet(n) => (0..n).for_each(|i| {
            add(
                ctl,
                names,
                out,
                i,
                start - Duration::minutes(60 - i as i64),
                false,
            )
        }),
    }
}

/// What was uploaded in the `every` before `now`.
fn uploads(
    sc: &Scenario,
    ctl: &SimControl,
    names: &[String],
    out: &mut Vec<Published>,
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) {
    // Topic by topic, then minute by minute: the order the recorded rows of docs/quota.md
    // drew their random uploads in (minute-major order gives the same draws to other topics).
    let minutes = 0..sc.every.num_minutes();
    let at = |m: i64| now - sc.every + Duration::minutes(m);
    match sc.load {
        Load::Busy => {
            for m in minutes {
                for k in 0..10i64 {
                    let t = at(m) + Duration::seconds(6 * k + rng.i64(0..6));
                    add(ctl, names, out, 0, t, k == 3);
                }
            }
        }
        Load::Quiet(n) => {
            for i in 0..n {
                for m in minutes.clone() {
                    if rng.f64() < 0.05 {
                        let t = at(m) + Duration::seconds(rng.i64(0..60));
                        add(ctl, names, out, i, t, false);
                    }
                }
            }
        }
    }
}

/// Runs every `sc.every` until midnight; returns the polls per topic.
async fn drive(
    sc: &Scenario,
    fetcher: &ScaleFetcher,
    ctl: &SimControl,
    names: &[String],
    out: &mut Vec<Published>,
) -> Result<Vec<u32>, BoxError> {
    let topics: Vec<(Topic, u32)> = names
        .iter()
        .map(|n| Topic::parse(n).map(|t| (t, 1)))
        .collect::<Result<_, _>>()?;
    let mut rng = fastrand::Rng::with_seed(10);
    let mut polls = vec![0u32; names.len()];
    let mut now = midnight();
    while now < next_pacific_midnight(midnight()) {
        uploads(sc, ctl, names, out, now, &mut rng);
        let s = fetcher.run_weighted(&topics, now).await;
        if !s.ok {
            return Err(format!("run at {now} failed: {s:?}").into());
        }
        for (i, t) in s.topics.iter().enumerate() {
            polls[i] += u32::from(matches!(t.skipped, None | Some(SkipReason::PageBudget)));
        }
        ctl.advance(sc.every);
        now += sc.every;
    }
    Ok(polls)
}

/// Freshness, lag, lost and pending, from what was published and when each video was stored.
#[derive(Default)]
struct Outcome {
    lags: Vec<i64>,
    fresh: Vec<i64>,
    fresh_on_time: Vec<i64>,
    lost: usize,
    pending: usize,
}

async fn measure(
    fetcher: &ScaleFetcher,
    names: &[String],
    published: &[Published],
) -> Result<Outcome, BoxError> {
    let mut out = Outcome::default();
    let mut stored: Vec<HashMap<VideoId, DateTime<Utc>>> = Vec::new();
    // Where each topic's design will never read again: below the late sweep's mark, and, for
    // videos indexed on time, up to the watermark.
    let mut ground = Vec::new();
    for n in names {
        let t = Topic::parse(n)?;
        let st = fetcher.state.load(&t).await?;
        ground.push((st.watermark, st.sweep.map(|m| m.done)));
        stored.push(fetcher.videos.first_stored(&t));
    }
    for v in published {
        match stored[v.topic].get(&v.id) {
            Some(first) => {
                out.lags.push((*first - v.at).num_seconds());
                let visible = if v.late {
                    v.at + Duration::minutes(4)
                } else {
                    v.at
                };
                let f = (*first - visible).num_seconds().max(0);
                out.fresh.push(f);
                if !v.late {
                    out.fresh_on_time.push(f);
                }
            }
            None => {
                let (w, swept) = ground[v.topic];
                let lost =
                    swept.is_some_and(|s| v.at <= s) || (!v.late && w.is_some_and(|w| v.at <= w));
                if lost {
                    out.lost += 1;
                } else {
                    out.pending += 1;
                }
            }
        }
    }
    for v in [&mut out.lags, &mut out.fresh, &mut out.fresh_on_time] {
        v.sort_unstable();
    }
    Ok(out)
}

fn pct(v: &[i64], p: usize) -> f64 {
    let i = (v.len() * p / 100).min(v.len().saturating_sub(1));
    v.get(i).copied().unwrap_or(0) as f64 / 60.0
}

/// One Pacific day of scheduled runs for one scenario; prints its row.
async fn row(sc: Scenario) -> Result<(), BoxError> {
    let keys: Vec<String> = (0..sc.keys)
        .map(|i| format!("AIzaSy-scale-{i:02}-000000000000000000"))
        .collect();
    let names = sc.topics();
    let (sim, fetcher) = setup(&sc, &keys).await?;
    let ctl = sim.control();
    let mut published = Vec::new();
    history(&sc, &ctl, &names, &mut published);
    let polls = drive(&sc, &fetcher, &ctl, &names, &mut published).await?;
    let o = measure(&fetcher, &names, &published).await?;
    let calls = ctl.calls();
    let per_key: Vec<u64> = keys
        .iter()
        .map(|k| calls.per_key.get(k).copied().unwrap_or(0))
        .collect();
    let (spent, worst) = (
        per_key.iter().sum::<u64>(),
        per_key.iter().copied().max().unwrap_or(0),
    );
    assert!(
        worst <= u64::from(sc.calls_per_key),
        "above budget: {worst} calls on one key"
    );
    let refused: u64 = calls
        .per_status
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(_, n)| *n)
        .sum();
    print_row(&sc, &polls, &o, (spent, worst, refused), published.len());
    sim.shutdown().await;
    Ok(())
}

fn print_row(
    sc: &Scenario,
    polls: &[u32],
    o: &Outcome,
    (spent, worst, refused): (u64, u64, u64),
    published: usize,
) {
    let (pmin, pmax) = (
        polls.iter().min().copied().unwrap_or(0),
        polls.iter().max().copied().unwrap_or(0),
    );
    let mean = f64::from(polls.iter().sum::<u32>()) / polls.len().max(1) as f64;
    let polls_col = if pmin == pmax {
        format!("{pmin}")
    } else {
        format!("{mean:.1} ({pmin}–{pmax})")
    };
    let load = match sc.load {
        Load::Busy => "1 topic, 10 videos/min".to_owned(),
        Load::Quiet(1) => "1 quiet topic, 3 videos/h".to_owned(),
        Load::Quiet(n) => format!("{n} quiet topics, 3 videos/h each"),
    };
    let n_stored = o.lags.len();
    let per_video = if n_stored > 0 {
        format!("1/{:.2}", n_stored as f64 / spent.max(1) as f64)
    } else {
        "-".into()
    };
    println!(
        "| {} × {} | {load} | every {} min | {spent} / {} | {worst} | {per_video} | {polls_col} | {:.1} / {:.1} min (on time: {:.1}) | {:.1} min | {:.1} min | {n_stored} / {published} | {} | {} | {refused} |",
        sc.keys,
        sc.calls_per_key,
        sc.every.num_minutes(),
        sc.keys as u64 * u64::from(sc.calls_per_key),
        pct(&o.fresh, 50),
        pct(&o.fresh, 95),
        pct(&o.fresh_on_time, 95),
        pct(&o.lags, 50),
        o.lags.last().copied().unwrap_or(0) as f64 / 60.0,
        o.pending,
        o.lost,
    );
}
