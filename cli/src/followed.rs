//! The channels each topic follows through their feeds, for `tubefeed channels list`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tubefeed_app::App;
use tubefeed_core::{ChannelId, FollowStore};

use crate::error::CliError;

#[derive(Serialize)]
struct Followed<'a> {
    channel_id: &'a ChannelId,
    /// Always `followed`: the blocked channels' lines say `table` or `deployment`.
    source: &'static str,
    topic: &'a str,
    channel_title: &'a str,
    /// On-topic videos within the follow window.
    recent_videos: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    followed_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_read_at: Option<DateTime<Utc>>,
    /// How often its feed is read, by its rate (every run for a busy channel, at most
    /// `FEEDS_MAX_INTERVAL_MINUTES`).
    read_every_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<&'a str>,
}

/// Prints each configured topic's followed channels, busiest first.
pub async fn print(app: &App, json: bool) -> Result<(), CliError> {
    let s = &app.config.follow;
    if !s.enabled() && !json {
        println!("channel feeds are off (FOLLOW_MAX_CHANNELS=0)");
        return Ok(());
    }
    for topic in &app.config.topics {
        let (st, _) = app
            .store
            .load_follow(topic)
            .await
            .map_err(|e| CliError::failed(format!("reading the channels of {topic}: {e}")))?;
        let followed = st.followed();
        if !json {
            println!(
                "followed for {topic}: {} of at most {} (≥ {} on-topic videos in {} days)",
                followed.len(),
                s.max_channels,
                s.min_videos,
                s.window.num_days()
            );
        }
        for (id, rec) in followed {
            let line = Followed {
                channel_id: id,
                source: "followed",
                topic: topic.as_str(),
                channel_title: &rec.title,
                recent_videos: rec.recent(),
                followed_since: rec.followed_since,
                feed_read_at: rec.feed.last_read_at,
                read_every_seconds: rec.read_interval(s, Utc::now()).num_seconds(),
                retry_at: rec.feed.retry_at,
                last_error: rec.feed.last_error.as_deref(),
            };
            if json {
                println!("{}", serde_json::to_string(&line).unwrap_or_default());
            } else {
                println!("  {}", text(&line));
            }
        }
    }
    Ok(())
}

fn text(l: &Followed<'_>) -> String {
    let hm = |t: DateTime<Utc>| t.format("%H:%M UTC").to_string();
    let feed = match (l.retry_at, l.last_error, l.feed_read_at) {
        (Some(at), Some(e), _) => format!("backing off until {}: {e}", hm(at)),
        (_, _, Some(at)) => format!("feed read {}, {}", hm(at), every(l.read_every_seconds)),
        _ => "feed not read yet".to_owned(),
    };
    format!(
        "{} {} — {} videos, {feed}",
        l.channel_id, l.channel_title, l.recent_videos
    )
}

fn every(seconds: i64) -> String {
    if seconds < 60 {
        "every run".to_owned()
    } else {
        format!("every {} min", (seconds + 59) / 60)
    }
}
