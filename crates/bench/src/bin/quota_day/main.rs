//! `make bench` (quota): simulated Pacific days of scheduled runs on the real YouTube client
//! against the simulator, the real key ring and its bank on DynamoDB Local
//! (TUBEFEED_TEST_DYNAMODB).
//!
//! - `day`: one day with 1, 5 and 20 good keys plus two bad ones (one invalid, one already out
//!   of quota at YouTube): calls spent against the budget, how evenly, and calls wasted on
//!   unusable keys after their first failure (target 0).
//! - `scale`: 1, 5 and 20 keys × (one topic at 10 videos a minute, 60 quiet topics): calls per
//!   stored video, polls per topic, freshness and lag, videos lost.
//! - `ample` (part of `scale`): the pools of issue 17 where every run polls every topic.
//! - `feeds`: one key, one busy topic from 300 channels, with channel feeds off and on: videos
//!   stored, lag, feed requests (all in memory and the simulator: no DynamoDB needed).
//!
//! The whole-window sweep of before issue 10 is gone from the code; its rows, last measured on
//! 2026-12-01, are kept in docs/quota.md.
//!
//! `cargo run --release -p tubefeed-bench --bin bench-quota-day` (`QUOTA_DAY_KEYS=20` one key
//! count only; `QUOTA_DAY_TABLES=scale`, `ample`, `day` or `feeds` one table only)

mod day;
mod feeds;
mod push;
mod scale;

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let only: Option<usize> = std::env::var("QUOTA_DAY_KEYS")
        .ok()
        .and_then(|v| v.parse().ok());
    let tables = std::env::var("QUOTA_DAY_TABLES").unwrap_or_else(|_| "day,scale,feeds".to_owned());
    let has = |t: &str| tables.split(',').any(|x| x.trim() == t);
    if has("day") {
        day::table(only).await?;
    }
    if has("scale") || has("ample") {
        if has("day") {
            println!();
        }
        scale::table(only, has("scale")).await?;
    }
    if has("feeds") {
        println!();
        feeds::table().await?;
    }
    Ok(())
}

/// Midnight PST on an ordinary 24-hour day: a whole Pacific day of quota ahead.
fn midnight() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 1, 15, 8, 0, 0)
        .single()
        .unwrap_or_else(chrono::Utc::now)
}
