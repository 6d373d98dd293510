//! `make bench` (quota): one simulated Pacific day of scheduled runs (every minute) with 1, 5
//! and 20 good keys plus two bad ones (one invalid, one already out of quota at YouTube).
//! Real YouTube client against the simulator, real key ring and store on DynamoDB Local
//! (TUBEFEED_TEST_DYNAMODB). Prints calls spent against the pool's budget, how evenly they are
//! spread, and the calls wasted on unusable keys after their first failure (target 0).
//!
//! `cargo run --release -p tubefeed-app --example quota_day`

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use tubefeed_core::keys::next_pacific_midnight;
use tubefeed_core::{ApiKey, FetchSettings, Fetcher, SkipReason, Topic};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::{dynamodb_client, fresh_table};
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, SimConfig, SimHandle};

const INVALID: &str = "AIzaSy-bench-invalid-key-000000000000";
const SPENT: &str = "AIzaSy-bench-spent-at-youtube-0000000";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("## Quota: one Pacific day, a scheduled run every minute, 100 calls/key/day");
    println!();
    println!(
        "| good keys | budget | calls spent | on good keys | busiest hour | last 3 h | polls | paced skips | poll interval (start) | calls on bad keys | wasted after 1st failure | videos stored / published |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // QUOTA_DAY_KEYS=5 runs one configuration only.
    let only: Option<usize> = std::env::var("QUOTA_DAY_KEYS")
        .ok()
        .and_then(|v| v.parse().ok());
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
                Some(SkipReason::Paced { .. }) => paced += 1,
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
        "A poll is a head call plus a late-sweep call; bursts borrow up to 10 calls and the next \
         runs repay them by waiting. \"Stored\" counts videos new to the table (the day's \
         uploads; the simulator's history before midnight is not fetched)."
    );
    Ok(())
}
