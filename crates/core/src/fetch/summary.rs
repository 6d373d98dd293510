//! What a run reports: one line per topic, the cycle around them, and why a topic was not
//! (fully) fetched.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::budget::BudgetReport;
use crate::keys::KeyRingError;
use crate::source::SourceError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("YouTube: {0}")]
    Source(#[from] SourceError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("keys: {0}")]
    Keys(#[from] KeyRingError),
}

impl FetchError {
    /// A stable name for the failure, fit for the public and for alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Source(e) => e.kind(),
            Self::Store(_) => "store",
            Self::Keys(_) => "keys",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    /// Another run holds this topic's lease.
    Locked { until: DateTime<Utc> },
    /// Every key is resting or invalid; nothing was spent.
    NoKeyAvailable { next_key_at: Option<DateTime<Utc>> },
    /// The run's page budget ran out before the timeline was caught up; a gap is recorded.
    PageBudget,
    /// The pool's daily budget does not afford this topic's poll yet (see [`crate::budget`]):
    /// nothing was spent on it, and topics that waited longer go first; at today's pace its
    /// turn comes at about `next_poll_at`.
    Paced { next_poll_at: DateTime<Utc> },
    /// Calls are rationed and this topic was polled too recently to fill much of a page (see
    /// `fetch::pace`); it is due at `next_poll_at`.
    NotDue { next_poll_at: DateTime<Utc> },
}

/// The per-topic line of the run summary (SPEC §3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TopicSummary {
    pub topic: String,
    /// Pages YouTube answered.
    pub pages: u32,
    /// HTTP calls made, failed and retried ones included: what the quota saw.
    pub calls: u32,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Items YouTube returned that were not usable videos.
    pub skipped_items: usize,
    pub write_requests: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkipReason>,
    pub swept: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<DateTime<Utc>>,
    /// `SEARCH_QUERIES` weight (`cricket:3`): polled about this many times as often.
    pub weight: u32,
    /// How often this topic is polled at the pool's current pace (seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u64>,
    /// How long before this run the topic was last polled (seconds): how stale its feed could
    /// be. Absent before its first poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<u64>,
    /// Pages of a first-run backfill still to read in later runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill_pages_left: Option<u32>,
    /// Of the videos the last heads found, the share (%) channel feeds had brought first; the
    /// higher, the less often search polls this topic while calls are rationed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_share_pct: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The new videos' channels, handed to the feeds step (not part of the summary line).
    #[serde(skip)]
    pub sightings: Vec<crate::follow::Sighting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleSummary {
    pub started_at: DateTime<Utc>,
    pub ok: bool,
    pub topics: Vec<TopicSummary>,
    /// The key pool's budget as this run saw it (absent for rings without a planner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetReport>,
    /// What the run did for video details after fetching (see [`crate::enrich`]); a details
    /// failure leaves the videos queued and does not make the run fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<crate::enrich::DetailsSummary>,
    /// What the run announced as new-video events (absent when events are off); a publishing
    /// failure leaves the rows for the next run and does not make the run fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<crate::events::EventsSummary>,
    /// What the feeds step read and stored (absent when feeds are off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow: Option<crate::follow::FollowSummary>,
}

impl CycleSummary {
    /// Hands each of `topics` (the run's, in order) the new videos search stored for it, for
    /// the feeds step's channel counts (see [`crate::follow::Follower::run`]).
    pub fn take_sightings(
        &mut self,
        topics: &[(crate::video::Topic, u32)],
    ) -> Vec<(crate::video::Topic, Vec<crate::follow::Sighting>)> {
        topics
            .iter()
            .zip(self.topics.iter_mut())
            .map(|((t, _), s)| (t.clone(), std::mem::take(&mut s.sightings)))
            .collect()
    }

    /// A cycle whose topics are all accounted for: it is `ok` when none failed.
    pub(super) fn of(
        started_at: DateTime<Utc>,
        topics: Vec<TopicSummary>,
        budget: Option<BudgetReport>,
    ) -> Self {
        Self {
            started_at,
            ok: topics.iter().all(|t| t.error.is_none()),
            topics,
            budget,
            details: None,
            events: None,
            follow: None,
        }
    }
}
