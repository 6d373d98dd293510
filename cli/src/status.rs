//! `tubefeed status [--json]`: the detail the public `/health` no longer shows — each topic's
//! freshness, last error (kind and message, AWS identifiers redacted) and the key pool's
//! projects — read from the table (and the key source, when one is configured).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tubefeed_app::App;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{FeedReader, KeyPoolCounts, KeyRing, ProjectReport, UnitUse};

use crate::deployment::{self, Deployment};
use crate::error::CliError;
use crate::stack::Stack;

#[derive(Serialize)]
struct TopicStatus {
    topic: String,
    last_run_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    last_new_video_at: Option<DateTime<Utc>>,
    /// Seconds since its last poll.
    lag_seconds: Option<u64>,
    /// How often it is polled at the pool's pace, as of its last poll.
    interval_seconds: Option<u64>,
    watermark: Option<DateTime<Utc>>,
    /// Stored videos published in the 24 hours before `at` (a window, so it does not drop to
    /// zero at some midnight).
    videos_last_24h: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
}

#[derive(Serialize)]
struct Status {
    at: DateTime<Utc>,
    topics: Vec<TopicStatus>,
    keys: KeyPoolCounts,
    /// Each Google Cloud project's search calls (when the key source is configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    projects: Option<Vec<ProjectReport>>,
    /// Each project's videos.list units today (details), apart from search calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    units: Option<Vec<UnitUse>>,
    /// Why the key source could not be read (the first thing to fix when nothing is fetched).
    #[serde(skip_serializing_if = "Option::is_none")]
    key_source_error: Option<String>,
    next_reset: DateTime<Utc>,
    /// With `--stack`: its alarms and dead-letter queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment: Option<Deployment>,
}

pub async fn run(app: &App, stack: Option<&Stack>, json: bool) -> Result<(), CliError> {
    let mut status = gather(app)
        .await
        .map_err(|e| CliError::failed(format!("status: {e}")))?;
    if let Some(stack) = stack {
        status.deployment = Some(deployment::read(app.sdk(), stack).await);
    }
    if json {
        println!("{}", serde_json::to_string(&status).unwrap_or_default());
    } else {
        print_text(&status);
    }
    Ok(())
}

async fn gather(app: &App) -> Result<Status, String> {
    let now = Utc::now();
    let states = app
        .store
        .fetch_states(&app.config.topics)
        .await
        .map_err(|e| e.to_string())?;
    let keys = app
        .store
        .key_pool_counts(now)
        .await
        .map_err(|e| e.to_string())?;
    let (projects, units, key_source_error) = match app.key_ring() {
        Ok(ring) => match ring.projects(now).await {
            Ok(p) => {
                let units = ring.units_today(app.config.details.daily_units, now).await;
                (Some(p), units.ok(), None)
            }
            Err(e) => (
                None,
                None,
                Some(tubefeed_core::redact::redact(&e.to_string())),
            ),
        },
        Err(_) => (None, None, None),
    };
    let mut topics = Vec::with_capacity(states.len());
    for (t, s) in states {
        let videos_last_24h = app
            .store
            .count_published_since(&t, now - chrono::Duration::hours(24))
            .await
            .map_err(|e| e.to_string())?;
        topics.push(TopicStatus {
            topic: t.to_string(),
            videos_last_24h,
            lag_seconds: s.lag_seconds(now),
            interval_seconds: s.interval_seconds(),
            last_run_at: s.last_run_at,
            last_success_at: s.last_success_at,
            last_new_video_at: s.last_new_video_at,
            watermark: s.watermark,
            last_error_kind: s.last_error_kind,
            last_error: s.last_error,
        });
    }
    Ok(Status {
        at: now,
        topics,
        keys,
        projects,
        units,
        key_source_error,
        next_reset: next_pacific_midnight(now),
        deployment: None,
    })
}

fn ago(secs: Option<u64>) -> String {
    match secs {
        None => "never".into(),
        Some(s) if s < 120 => format!("{s} s ago"),
        Some(s) if s < 7200 => format!("{} min ago", s / 60),
        Some(s) => format!("{:.1} h ago", s as f64 / 3600.0),
    }
}

fn print_text(s: &Status) {
    for t in &s.topics {
        let since = |at: Option<DateTime<Utc>>| {
            ago(at.map(|a| u64::try_from((s.at - a).num_seconds()).unwrap_or(0)))
        };
        println!(
            "{}: polled {}, last success {}, last new video {}, {} in the last 24 h{}",
            t.topic,
            ago(t.lag_seconds),
            since(t.last_success_at),
            since(t.last_new_video_at),
            t.videos_last_24h,
            t.interval_seconds.map_or(String::new(), |i| format!(
                ", polled every {i} s at today's pace"
            )),
        );
        if let (Some(kind), Some(msg)) = (&t.last_error_kind, &t.last_error) {
            println!("  last run failed ({kind}): {msg}");
        }
    }
    let k = &s.keys;
    println!(
        "keys: {} in all, {} available, {} exhausted, {} rate-limited, {} invalid",
        k.total, k.available, k.exhausted, k.rate_limited, k.invalid
    );
    if let Some(e) = &s.key_source_error {
        println!("keys: the key source cannot be read: {e}");
    }
    for p in s.projects.iter().flatten() {
        println!(
            "  project {}: {}/{} search calls today, {} left",
            p.project, p.calls_today, p.daily_calls, p.calls_left
        );
    }
    for u in s.units.iter().flatten() {
        println!(
            "  units {}: {}/{} today for video details{}",
            u.pool,
            u.units_today,
            u.daily_units,
            if u.refused {
                ", refused by YouTube until the reset"
            } else {
                ""
            }
        );
    }
    println!(
        "quotas reset at {}",
        s.next_reset.format("%Y-%m-%d %H:%M:%SZ")
    );
    if let Some(d) = &s.deployment {
        print_deployment(d);
    }
}

fn print_deployment(d: &Deployment) {
    let firing: Vec<&str> = d
        .alarms
        .iter()
        .filter(|a| a.state == "ALARM")
        .map(|a| a.name.as_str())
        .collect();
    if firing.is_empty() {
        println!("stack {}: {} alarms, none firing", d.stack, d.alarms.len());
    } else {
        println!("stack {}: ALARM: {}", d.stack, firing.join(", "));
    }
    if let Some(n) = d.dead_letters {
        println!("  dead-letter queue: {n} failed scheduled fetches waiting");
    }
    for e in &d.errors {
        println!("  could not read {e}");
    }
}
