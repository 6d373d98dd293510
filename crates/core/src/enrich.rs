//! Details for stored videos: drains the queue of videos without details, oldest first, one
//! `videos.list` call per 50 distinct ids, within a run's unit allowance and each project's
//! daily unit pool. A failed or unaffordable call leaves its entries queued for a later run:
//! a video is listed from the moment search finds it, and its details follow.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

use crate::keys::{KeyOutcome, KeyRing};
use crate::redact::redact;
use crate::source::{DetailsSource, MAX_IDS_PER_DETAILS_CALL, SourceError};
use crate::store::{ChannelBlocks, DetailsResult, DetailsStore, PendingDetails};
use crate::units::DAILY_UNITS_PER_PROJECT;
use crate::video::{ChannelId, VideoId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrichSettings {
    /// Units one run may spend (`DETAILS_UNITS_PER_RUN`): 1 a call of 50 videos.
    pub units_per_run: u32,
    /// A project's units a day (`DETAILS_DAILY_UNITS`).
    pub daily_units: u32,
    /// How long videos may wait for a call of 50 (`DETAILS_MAX_WAIT_SECONDS`): fewer are
    /// asked for only once the oldest has waited this long, so a busy topic spends one unit
    /// per 50 videos, not one per run.
    pub max_wait: chrono::Duration,
}

impl Default for EnrichSettings {
    fn default() -> Self {
        Self {
            units_per_run: 100,
            daily_units: DAILY_UNITS_PER_PROJECT,
            max_wait: chrono::Duration::minutes(10),
        }
    }
}

/// Why a drain stopped before the queue was empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum DetailsStop {
    /// The run's `DETAILS_UNITS_PER_RUN` is spent.
    RunAllowance,
    /// Every project's unit pool is spent or refused for today.
    NoUnits,
    /// A call or a write failed; the entries stay queued.
    Failed { error: String },
}

/// The details part of a run summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DetailsSummary {
    /// `videos.list` calls, and HTTP attempts (retries included).
    pub calls: u32,
    pub attempts: u32,
    /// Units counted against the pools (one a call).
    pub units: u32,
    pub recorded: usize,
    pub unavailable: usize,
    /// Entries whose video was gone from the table.
    pub gone: usize,
    /// Entries of blocked channels, dropped without a call.
    #[serde(skip_serializing_if = "is_zero")]
    pub blocked: usize,
    /// Videos left waiting for a fuller call (fewer than 50, none older than the wait).
    #[serde(skip_serializing_if = "is_zero")]
    pub waiting: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<DetailsStop>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub struct Enricher<'a, D, Q, K> {
    pub source: &'a D,
    pub store: &'a Q,
    pub keys: &'a K,
    pub settings: EnrichSettings,
    /// Blocked by the deployment (`BLOCKED_CHANNELS`), besides the store's blocks.
    pub blocked: &'a [ChannelId],
}

fn failed(e: impl std::fmt::Display) -> DetailsStop {
    DetailsStop::Failed {
        error: redact(&e.to_string()),
    }
}

/// Entries for up to 50 distinct ids, oldest first (a video queued under two topics is asked
/// once and recorded on both).
fn batch(pending: Vec<PendingDetails>) -> (Vec<VideoId>, Vec<PendingDetails>) {
    let mut ids: Vec<VideoId> = Vec::new();
    let mut entries = Vec::new();
    for p in pending {
        if !ids.contains(&p.id) {
            if ids.len() == MAX_IDS_PER_DETAILS_CALL {
                continue;
            }
            ids.push(p.id.clone());
        }
        entries.push(p);
    }
    (ids, entries)
}

impl<D, Q, K> Enricher<'_, D, Q, K>
where
    D: DetailsSource,
    Q: DetailsStore + ChannelBlocks,
    K: KeyRing,
{
    /// Drains what the run's allowance and the pools allow.
    pub async fn run(&self, now: DateTime<Utc>) -> DetailsSummary {
        let mut out = DetailsSummary::default();
        out.stopped = self.drain(now, &mut out).await.err();
        if out.calls > 0 || out.stopped.is_some() {
            info!(
                target: "tubefeed::details",
                calls = out.calls,
                recorded = out.recorded,
                unavailable = out.unavailable,
                stopped = ?out.stopped,
                "video details"
            );
        }
        out
    }

    async fn drain(&self, now: DateTime<Utc>, out: &mut DetailsSummary) -> Result<(), DetailsStop> {
        let mut blocked: Vec<ChannelId> = self.blocked.to_vec();
        let stored = self.store.blocked_channels().await.map_err(failed)?;
        blocked.extend(stored.into_iter().map(|b| b.channel_id));
        loop {
            // Twice a call's ids: room for videos queued under several topics.
            let pending = self
                .store
                .pending_details(2 * MAX_IDS_PER_DETAILS_CALL)
                .await
                .map_err(failed)?;
            let (hidden, pending): (Vec<_>, Vec<_>) = pending
                .into_iter()
                .partition(|p| p.channel_id.as_ref().is_some_and(|c| blocked.contains(c)));
            if !hidden.is_empty() {
                // A blocked channel's videos cost no units; `channels unblock` queues them again.
                self.store.drop_pending(&hidden).await.map_err(failed)?;
                out.blocked += hidden.len();
                continue;
            }
            if pending.is_empty() {
                return Ok(());
            }
            if out.units >= self.settings.units_per_run {
                return Err(DetailsStop::RunAllowance);
            }
            let oldest = pending.iter().map(|p| p.queued_at).min().unwrap_or(now);
            let (ids, entries) = batch(pending);
            if ids.len() < MAX_IDS_PER_DETAILS_CALL && now - oldest < self.settings.max_wait {
                out.waiting = ids.len();
                return Ok(());
            }
            self.call(&ids, entries, now, out).await?;
        }
    }

    /// One `videos.list` call for `ids`, its results recorded on `entries`. A key refused for
    /// units or invalid is reported and the entries stay queued for the next project's key.
    async fn call(
        &self,
        ids: &[VideoId],
        entries: Vec<PendingDetails>,
        now: DateTime<Utc>,
        out: &mut DetailsSummary,
    ) -> Result<(), DetailsStop> {
        let key = self
            .keys
            .take_units(1, self.settings.daily_units, now)
            .await
            .map_err(failed)?
            .ok_or(DetailsStop::NoUnits)?;
        out.calls += 1;
        out.units += 1;
        let outcome = self.source.details(ids, &key).await;
        out.attempts += outcome.attempts;
        let found = match outcome.result {
            Ok(items) => items,
            Err(e) => {
                self.learn(&key, &e, now).await;
                let another_key_may_do = matches!(
                    e,
                    SourceError::QuotaExhausted(_)
                        | SourceError::InvalidKey
                        | SourceError::ApiNotEnabled(_)
                );
                return if another_key_may_do {
                    Ok(())
                } else {
                    Err(failed(&e))
                };
            }
        };
        let by_id: HashMap<VideoId, DetailsResult> = found
            .into_iter()
            .map(|item| {
                let (id, d) = item.into_details(now);
                (id, DetailsResult::Found(d))
            })
            .collect();
        let results: Vec<(PendingDetails, DetailsResult)> = entries
            .into_iter()
            .map(|p| {
                let r = by_id
                    .get(&p.id)
                    .cloned()
                    .unwrap_or(DetailsResult::Unavailable);
                (p, r)
            })
            .collect();
        let rec = self
            .store
            .record_details(&results, now)
            .await
            .map_err(failed)?;
        out.recorded += rec.recorded;
        out.unavailable += rec.unavailable;
        out.gone += rec.gone;
        Ok(())
    }

    /// Tells the ring what a failed call said about its key.
    async fn learn(&self, key: &crate::key::ApiKey, e: &SourceError, now: DateTime<Utc>) {
        let told = match e {
            SourceError::QuotaExhausted(_) => self.keys.units_refused(key, now).await,
            SourceError::InvalidKey | SourceError::ApiNotEnabled(_) => {
                self.keys
                    .report(key.fingerprint(), KeyOutcome::Invalid, now)
                    .await
            }
            _ => Ok(()),
        };
        if let Err(err) = told {
            warn!(target: "tubefeed::details", error = %err, "could not record what videos.list said about a key");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::Topic;

    fn entry(id: &str, topic: &str, n: usize) -> PendingDetails {
        PendingDetails {
            id: VideoId::parse(id).unwrap(),
            topic: Topic::parse(topic).unwrap(),
            position: format!("{n:04}"),
            queued_at: DateTime::<Utc>::UNIX_EPOCH,
            channel_id: None,
        }
    }

    #[test]
    fn a_batch_asks_fifty_distinct_ids_and_keeps_every_entry_of_them() {
        let mut pending: Vec<PendingDetails> =
            (0..60).map(|i| entry(&format!("v{i}"), "a", i)).collect();
        pending.insert(3, entry("v1", "b", 999));
        let (ids, entries) = batch(pending);
        assert_eq!(ids.len(), 50);
        assert_eq!(entries.len(), 51, "v1 under both topics");
        assert_eq!(ids[0].as_str(), "v0");
        assert!(entries.iter().all(|e| ids.contains(&e.id)));
    }
}
