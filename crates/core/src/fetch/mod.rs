//! The fetch cycle: for each topic, read what YouTube has that we do not, without losing a
//! video and without spending a call we do not need.
//!
//! A run opens a budget with the key ring ([`crate::budget`]), orders the topics that are due
//! ([`schedule`]), and runs each chosen topic under its lease ([`topic`]: close a gap, read the
//! head or a first backfill, sweep late videos, continue a backfill, commit), reading ranges of
//! the timeline in chunks under YouTube's result cap ([`range`]), a page at a time with key
//! rotation ([`rotate`]). State (watermark, gap, marks) is written only after every write of
//! the topic's run succeeded. docs/architecture.md draws the state machine.

mod meter;
mod pace;
mod range;
mod rotate;
mod schedule;
mod settings;
mod summary;
mod topic;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use self::meter::Meter;
use self::range::TopicRun;
use self::schedule::{Pace, affordable, by_urgency, poll_price};
use crate::keys::KeyRing;
use crate::redact::redact;
use crate::source::VideoSource;
use crate::store::{FetchStateStore, LeaseOutcome, LeaseOwner, UpsertOutcome, VideoStore};
use crate::video::Topic;

pub use settings::FetchSettings;
pub use summary::{CycleSummary, FetchError, SkipReason, TopicSummary};

/// One fetch cycle's collaborators. Generic rather than boxed: the compiler sees through the
/// ports, and tests swap any of them for fakes.
pub struct Fetcher<S, V, F, K> {
    pub source: S,
    pub videos: V,
    pub state: F,
    pub keys: K,
    pub settings: FetchSettings,
}

impl<S, St: Clone, K> Fetcher<S, St, St, K> {
    /// The usual wiring: one store holds both the videos and the fetch state (the DynamoDB
    /// table; a test's `MemStore`).
    pub fn new(source: S, store: St, keys: K, settings: FetchSettings) -> Self {
        Self {
            source,
            videos: store.clone(),
            state: store,
            keys,
            settings,
        }
    }
}

impl<S, V, F, K> Fetcher<S, V, F, K>
where
    S: VideoSource,
    V: VideoStore,
    F: FetchStateStore,
    K: KeyRing,
{
    /// Runs every topic in turn (each of weight 1). A topic's failure is reported in its
    /// summary and does not stop the others.
    pub async fn run(&self, topics: &[Topic], now: DateTime<Utc>) -> CycleSummary {
        let weighted: Vec<(Topic, u32)> = topics.iter().map(|t| (t.clone(), 1)).collect();
        self.run_weighted(&weighted, now).await
    }

    /// One run over weighted topics (`SEARCH_QUERIES=cricket:3,chess`); see [`schedule`].
    pub async fn run_weighted(&self, topics: &[(Topic, u32)], now: DateTime<Utc>) -> CycleSummary {
        let mut out: Vec<TopicSummary> = topics
            .iter()
            .map(|(t, w)| TopicSummary {
                topic: t.to_string(),
                weight: (*w).max(1),
                ..Default::default()
            })
            .collect();
        let price = poll_price(topics.iter().map(|(_, w)| *w));
        let budget = match self.keys.open_run(price, now).await {
            Ok(b) => b,
            Err(e) => {
                let e = FetchError::from(e);
                warn!(target: "tubefeed::fetch", error = %e, "could not open the run's budget");
                for s in &mut out {
                    s.error = Some(redact(&e.to_string()));
                }
                return CycleSummary::of(now, out, None);
            }
        };
        let pace = Pace::of(&budget, price);
        let due = self.who_is_due(topics, &pace, now, &mut out).await;
        if let Some(next_poll_at) = budget.wait_until {
            info!(
                target: "tubefeed::fetch",
                next_poll_at = %next_poll_at.to_rfc3339(),
                interval_s = pace.cycle_interval(),
                "daily budget: no poll due yet; spending nothing"
            );
            for i in &due {
                out[*i].skipped = Some(SkipReason::Paced { next_poll_at });
            }
            return CycleSummary::of(now, out, budget.report);
        }
        let chosen = affordable(&budget, due.len());
        pace.carry_over(&due, chosen, now, &mut out);
        let mut meter = Meter::new(&budget);
        let owner = LeaseOwner::for_run();
        for (n, i) in due.iter().take(chosen).enumerate() {
            meter.start_topic(chosen - n);
            let base = std::mem::take(&mut out[*i]);
            out[*i] = self
                .run_topic(&topics[*i].0, &owner, now, &mut meter, base)
                .await;
            log_topic(&out[*i]);
        }
        if let Err(e) = self.keys.close_run(meter.spent, now).await {
            // The calls were counted on their keys already; only the pacing bank is off.
            warn!(target: "tubefeed::fetch", error = %e, "could not record the run's spending");
        }
        CycleSummary::of(now, out, budget.report)
    }

    /// The topics that are due, most urgent first. The states are read before any lease, for
    /// ordering only (each topic's run reads its own state again under its lease).
    async fn who_is_due(
        &self,
        topics: &[(Topic, u32)],
        pace: &Pace,
        now: DateTime<Utc>,
        out: &mut [TopicSummary],
    ) -> Vec<usize> {
        let mut due = Vec::new();
        for (i, (topic, weight)) in topics.iter().enumerate() {
            match self.state.load(topic).await {
                Ok(st) => {
                    let urgency =
                        pace.urgency(&self.settings, &st, (*weight).max(1), now, &mut out[i]);
                    due.extend(urgency.map(|u| (i, u)));
                }
                Err(e) => out[i].error = Some(redact(&FetchError::from(e).to_string())),
            }
        }
        by_urgency(due)
    }

    /// One topic under its lease. `summary` arrives with the scheduler's fields (weight,
    /// interval, lag) filled in, so the copy saved with the state carries them.
    async fn run_topic(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        now: DateTime<Utc>,
        meter: &mut Meter,
        mut summary: TopicSummary,
    ) -> TopicSummary {
        let ttl = self.settings.lease_ttl;
        match self.state.acquire_lease(topic, owner, now, ttl).await {
            Ok(LeaseOutcome::Acquired) => {}
            Ok(LeaseOutcome::Held { until }) => {
                summary.skipped = Some(SkipReason::Locked { until });
                return summary;
            }
            Err(e) => {
                summary.error = Some(redact(&FetchError::from(e).to_string()));
                return summary;
            }
        }
        let mut run = TopicRun {
            topic,
            meter,
            now,
            pages: 0,
            calls: 0,
            skipped_items: 0,
            outcome: UpsertOutcome::default(),
            seen: HashSet::new(),
            sightings: Vec::new(),
            head_after: None,
            head_found: 0,
            head_known: 0,
        };
        let result = self.run_locked(&mut run, owner, &mut summary).await;
        run.tally_into(&mut summary);
        if let Err(e) = result {
            warn!(target: "tubefeed::fetch", topic = %topic, error = %e, kind = e.kind(), "topic fetch failed");
            summary.error = Some(redact(&e.to_string()));
        }
        if let Err(e) = self.state.release(topic, owner).await {
            // The lease expires by itself; a failed release only delays the next run.
            warn!(target: "tubefeed::fetch", topic = %topic, error = %e, "could not release lease");
        }
        summary
    }
}

fn log_topic(s: &TopicSummary) {
    info!(
        target: "tubefeed::fetch",
        topic = %s.topic,
        pages = s.pages,
        calls = s.calls,
        new = s.new,
        updated = s.updated,
        lag_s = s.lag_seconds,
        skipped = s.skipped.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()),
        error = s.error.as_deref(),
        "topic fetched"
    );
}

impl TopicRun<'_> {
    fn tally_into(&self, summary: &mut TopicSummary) {
        summary.pages = self.pages;
        summary.calls = self.calls;
        summary.new = self.outcome.new;
        summary.updated = self.outcome.updated;
        summary.unchanged = self.outcome.unchanged;
        summary.write_requests = self.outcome.write_requests;
        summary.skipped_items = self.skipped_items;
        summary.sightings.clone_from(&self.sightings);
    }
}
