//! `GET /health`: each topic's freshness, nothing an operator alone should see, read at most
//! once per [`HEALTH_TTL`] per warm process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tubefeed_core::FeedReader;

use crate::respond::json_body;
use crate::{ApiError, ApiState};

/// One topic on the public `/health`: how fresh it is, nothing else (no error messages, no
/// key counts, no internals: those are for `tubefeed status`).
#[derive(Serialize)]
struct TopicHealth {
    topic: String,
    /// `ok`, or `failing` when its last fetch failed.
    status: &'static str,
    last_success_at: Option<DateTime<Utc>>,
    last_new_video_at: Option<DateTime<Utc>>,
    /// Seconds since the topic was last polled, at the time of this answer.
    lag_seconds: Option<u64>,
    /// How often it is polled at the key pool's pace, as of its last poll.
    interval_seconds: Option<u64>,
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    topics: Vec<TopicHealth>,
}

/// How long a warm process reuses its `/health` answer (and tells caches to): a poller or an
/// abuser costs one read per topic per this long, whatever the request rate.
pub const HEALTH_TTL: Duration = Duration::from_secs(5);

pub(crate) async fn health<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
) -> Result<Response, ApiError> {
    const KEY: &str = "/health";
    let cached = st
        .first_pages
        .get(KEY)
        .filter(|(at, _)| at.elapsed() < HEALTH_TTL);
    let bytes = match cached {
        Some((_, body)) => body.as_ref().clone(),
        None => {
            let bytes = health_body(&st).await?;
            st.first_pages
                .insert(KEY.to_owned(), (Instant::now(), Arc::new(bytes.clone())));
            bytes
        }
    };
    let mut resp = json_body(bytes);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    Ok(resp)
}

async fn health_body<R: FeedReader>(st: &ApiState<R>) -> Result<Vec<u8>, ApiError> {
    let states = st
        .reader
        .fetch_states(&st.settings.topics)
        .await
        .map_err(|e| ApiError::from_store("health: fetch states", e))?;
    let now = Utc::now();
    let failing = states.iter().any(|(_, s)| s.last_error.is_some());
    let body = HealthBody {
        status: if failing { "degraded" } else { "ok" },
        topics: states
            .into_iter()
            .map(|(t, s)| TopicHealth {
                topic: t.to_string(),
                status: if s.last_error.is_some() {
                    "failing"
                } else {
                    "ok"
                },
                last_success_at: s.last_success_at,
                last_new_video_at: s.last_new_video_at,
                lag_seconds: s.lag_seconds(now),
                interval_seconds: s.interval_seconds(),
            })
            .collect(),
    };
    serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))
}
