//! One Pacific day of a run every minute, with good keys and two bad ones.

use std::time::Duration as StdDuration;

use chrono::Duration;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{ApiKey, FetchSettings, Fetcher, SkipReason, Topic};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::fresh_store;
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, SimConfig, SimControl, SimHandle};

use super::{BoxError, midnight};

const INVALID: &str = "AIzaSy-bench-invalid-key-000000000000";
const SPENT: &str = "AIzaSy-bench-spent-at-youtube-0000000";

type DayFetcher = Fetcher<YouTubeClient, DynamoStore, DynamoStore, DynamoKeyRing<EnvKeySource>>;

pub async fn table(only: Option<usize>) -> Result<(), BoxError> {
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
        row(n).await?;
    }
    println!();
    println!(
        "A quiet topic's poll is one call (the late sweep rides in the head's page); bursts \
         borrow up to 10 calls and the next runs repay them by waiting. \"Stored\" counts videos \
         new to the table (the day's uploads; the simulator's history before midnight is not \
         fetched)."
    );
    Ok(())
}

/// What one day did.
#[derive(Default)]
struct Day {
    by_hour: [u64; 25],
    polls: u32,
    paced: u32,
    stored: usize,
    interval: Option<u64>,
}

async fn setup(good: &[String]) -> Result<(SimHandle, DayFetcher), BoxError> {
    let mut valid = good.to_vec();
    valid.push(SPENT.to_owned());
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(midnight()),
        valid_keys: valid,
        rate_per_minute: 0.5,
        ..SimConfig::default()
    })
    .await?;
    sim.control().set_key_calls_left(SPENT, 0);
    let store = fresh_store().await;
    let mut keys: Vec<ApiKey> = good.iter().map(|k| ApiKey::new(k)).collect();
    keys.extend([ApiKey::new(INVALID), ApiKey::new(SPENT)]);
    let fetcher = Fetcher::new(
        YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })?,
        store.clone(),
        DynamoKeyRing::new(store, EnvKeySource::new(keys), 100),
        FetchSettings {
            lease_ttl: StdDuration::from_secs(50),
            ..Default::default()
        },
    );
    Ok((sim, fetcher))
}

/// A run a minute until the Pacific midnight, with a burst of 300 videos (six pages) at 10:00
/// and at 18:00 local.
async fn drive(fetcher: &DayFetcher, ctl: &SimControl) -> Result<Day, BoxError> {
    let start = midnight();
    let topic = [Topic::parse("cricket")?];
    let mut day = Day::default();
    let mut now = start;
    while now < next_pacific_midnight(start) {
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
            day.interval = s.budget.as_ref().and_then(|b| b.effective_interval_seconds);
        }
        match s.topics[0].skipped {
            Some(SkipReason::Paced { .. } | SkipReason::NotDue { .. }) => day.paced += 1,
            _ => day.polls += 1,
        }
        day.stored += s.topics[0].new;
        let hour = usize::try_from((now - start).num_hours())
            .unwrap_or(24)
            .min(24);
        day.by_hour[hour] += ctl.calls().total - before;
        ctl.advance(Duration::minutes(1));
        now += Duration::minutes(1);
    }
    Ok(day)
}

async fn row(n: usize) -> Result<(), BoxError> {
    let good: Vec<String> = (0..n)
        .map(|i| format!("AIzaSy-bench-good-{i:02}-00000000000000"))
        .collect();
    let (sim, fetcher) = setup(&good).await?;
    let ctl = sim.control();
    let day = drive(&fetcher, &ctl).await?;
    let calls = ctl.calls();
    let on = |k: &str| calls.per_key.get(k).copied().unwrap_or(0);
    let on_good: u64 = good.iter().map(|k| on(k)).sum();
    let on_bad = on(INVALID) + on(SPENT);
    let budget = n as u64 * 100;
    assert!(on_good <= budget, "above budget: {on_good} > {budget}");
    let busiest = day.by_hour.iter().take(24).max().copied().unwrap_or(0);
    let last3: u64 = day.by_hour[21..24].iter().sum();
    println!(
        "| {n} | {budget} | {} | {on_good} | {busiest} | {last3} | {} | {} | {} | {on_bad} | {} | {} / {} |",
        calls.total,
        day.polls,
        day.paced,
        day.interval
            .map_or("-".to_owned(), |s| format!("{:.1} min", s as f64 / 60.0)),
        on_bad.saturating_sub(2),
        day.stored,
        ctl.video_count("cricket"),
    );
    sim.shutdown().await;
    Ok(())
}
