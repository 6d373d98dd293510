//! The fetch cycle: for each topic, read what YouTube has that we do not, without losing a
//! video and without spending a call we do not need.
//!
//! Per topic a run holds a lease, then reads up to three ranges of the timeline, newest first:
//! 1. the *gap* a previous run left when its page budget ran out mid-burst;
//! 2. the *head*: everything published at or after the watermark;
//! 3. the *late sweep*: `[watermark − lookback, watermark]` again, because YouTube makes some
//!    videos searchable minutes after their `publishedAt`, below ground already stored.
//!
//! A range longer than YouTube's ~500-result cap is read in chunks: when a chunk ends on a full
//! page without a `nextPageToken`, the next chunk asks `publishedBefore` = the oldest time seen.
//! State (watermark, gap) is written only after every write of the run succeeded.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

use crate::budget::{BudgetReport, RunBudget};
use crate::keys::{Acquired, KeyOutcome, KeyRing, KeyRingError};
use crate::source::{SearchRequest, SourceError, VideoSource};
use crate::store::{FetchStateStore, Gap, LeaseOutcome, StoreError, UpsertOutcome, VideoStore};
use crate::video::Topic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// `maxResults` per call (YouTube allows 1..=50; 50 spends the least quota per video).
    pub page_size: u8,
    /// Pages one topic may read in one run (HTTP retries and calls on failing keys come on top).
    pub max_pages_per_topic: u32,
    /// Pages read on a topic's first run, when there is no watermark yet.
    pub backfill_pages: u32,
    /// How far below the watermark the late sweep re-reads. Zero disables the sweep.
    pub lookback: chrono::Duration,
    pub lease_ttl: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            page_size: 50,
            max_pages_per_topic: 20,
            backfill_pages: 4,
            lookback: chrono::Duration::minutes(15),
            lease_ttl: Duration::from_secs(300),
        }
    }
}

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
    /// The pool's daily budget does not afford a poll yet (see [`crate::budget`]); nothing was
    /// spent, and at today's pace one is affordable at `next_poll_at`.
    Paced { next_poll_at: DateTime<Utc> },
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleSummary {
    pub started_at: DateTime<Utc>,
    pub ok: bool,
    pub topics: Vec<TopicSummary>,
    /// The key pool's budget as this run saw it (absent for rings without a planner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetReport>,
}

/// YouTube stops paging a query "near 500" results; a chunk that returned this many and ended
/// without reaching ground is treated as cut off even when its last page was short.
const CAP_SUSPECT_ITEMS: usize = 400;

/// Why reading a range stopped before it was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    PageBudget,
    NoKey(Option<DateTime<Utc>>),
}

#[derive(Debug, Default)]
struct RangeRead {
    complete: bool,
    oldest: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
    stop: Option<Stop>,
}

/// What is left of a run's allowance, shared by its topics in turn.
#[derive(Debug)]
struct Meter {
    paced_left: u32,
    borrow_left: u32,
    /// This topic's fair share of the paced calls, and what it has used of it.
    topic_share: u32,
    topic_used: u32,
    /// Pages paid from the allowance, borrowed ones included.
    spent: u32,
}

impl Meter {
    fn new(b: &RunBudget) -> Self {
        Self {
            paced_left: b.paced,
            borrow_left: b.borrow,
            topic_share: b.paced,
            topic_used: 0,
            spent: 0,
        }
    }

    /// Splits what is left evenly over the topics still to run, so the first topic's burst
    /// cannot take the others' polls (it may still borrow).
    fn start_topic(&mut self, topics_left: usize) {
        let n = u32::try_from(topics_left.max(1)).unwrap_or(u32::MAX);
        self.topic_share = self.paced_left.div_ceil(n);
        self.topic_used = 0;
    }

    fn paced_available(&self) -> bool {
        self.paced_left > 0 && self.topic_used < self.topic_share
    }

    /// Whether one more page may be read, borrowing if need be.
    fn may_spend(&self) -> bool {
        self.paced_available() || self.borrow_left > 0
    }

    fn spend(&mut self) {
        if self.paced_available() {
            self.paced_left -= 1;
            self.topic_used += 1;
        } else {
            self.borrow_left = self.borrow_left.saturating_sub(1);
        }
        self.spent = self.spent.saturating_add(1);
    }
}

/// Mutable tallies of one topic's run.
struct TopicRun<'a> {
    topic: &'a Topic,
    meter: &'a mut Meter,
    now: DateTime<Utc>,
    pages: u32,
    calls: u32,
    skipped_items: usize,
    outcome: UpsertOutcome,
    seen: HashSet<crate::video::VideoId>,
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
    }
}

enum CallStop {
    NoKey(Option<DateTime<Utc>>),
    Fail(FetchError),
}

/// One fetch cycle's collaborators. Generic rather than boxed: the compiler sees through the
/// ports, and tests swap any of them for fakes.
pub struct Fetcher<S, V, F, K> {
    pub source: S,
    pub videos: V,
    pub state: F,
    pub keys: K,
    pub settings: FetchSettings,
}

impl<S, V, F, K> Fetcher<S, V, F, K>
where
    S: VideoSource,
    V: VideoStore,
    F: FetchStateStore,
    K: KeyRing,
{
    /// Runs every topic in turn. A topic's failure is reported in its summary and does not
    /// stop the others.
    pub async fn run(&self, topics: &[Topic], now: DateTime<Utc>) -> CycleSummary {
        let owner = format!("run-{:016x}", fastrand::u64(..));
        let mut out = Vec::with_capacity(topics.len());
        // One poll: a head call per topic, and a late-sweep call when sweeps are on.
        let per_topic = if self.settings.lookback > chrono::Duration::zero() {
            2
        } else {
            1
        };
        let calls_per_poll = u32::try_from(topics.len())
            .unwrap_or(u32::MAX)
            .saturating_mul(per_topic);
        let budget = match self.keys.open_run(calls_per_poll, now).await {
            Ok(b) => b,
            Err(e) => {
                let e = FetchError::from(e);
                warn!(target: "tubefeed::fetch", error = %e, "could not open the run's budget");
                let topics = topics
                    .iter()
                    .map(|t| TopicSummary {
                        topic: t.to_string(),
                        error: Some(e.to_string()),
                        ..Default::default()
                    })
                    .collect();
                return CycleSummary {
                    started_at: now,
                    ok: false,
                    topics,
                    budget: None,
                };
            }
        };
        if let Some(next_poll_at) = budget.wait_until {
            info!(
                target: "tubefeed::fetch",
                next_poll_at = %next_poll_at.to_rfc3339(),
                interval_s = budget.report.as_ref().and_then(|r| r.effective_interval_seconds),
                "daily budget: no poll due yet; spending nothing"
            );
            let topics = topics
                .iter()
                .map(|t| TopicSummary {
                    topic: t.to_string(),
                    skipped: Some(SkipReason::Paced { next_poll_at }),
                    ..Default::default()
                })
                .collect();
            return CycleSummary {
                started_at: now,
                ok: true,
                topics,
                budget: budget.report,
            };
        }
        let mut meter = Meter::new(&budget);
        for (i, topic) in topics.iter().enumerate() {
            meter.start_topic(topics.len() - i);
            let summary = self.run_topic_metered(topic, &owner, now, &mut meter).await;
            info!(
                target: "tubefeed::fetch",
                topic = %summary.topic,
                pages = summary.pages,
                calls = summary.calls,
                new = summary.new,
                updated = summary.updated,
                skipped = summary.skipped.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()),
                error = summary.error.as_deref(),
                "topic fetched"
            );
            out.push(summary);
        }
        if let Err(e) = self.keys.close_run(meter.spent, now).await {
            // The calls were counted on their keys already; only the pacing bank is off.
            warn!(target: "tubefeed::fetch", error = %e, "could not record the run's spending");
        }
        CycleSummary {
            started_at: now,
            ok: out.iter().all(|t| t.error.is_none()),
            topics: out,
            budget: budget.report,
        }
    }

    /// One topic, without the run's budget planner.
    pub async fn run_topic(&self, topic: &Topic, owner: &str, now: DateTime<Utc>) -> TopicSummary {
        let mut meter = Meter::new(&RunBudget::unlimited());
        self.run_topic_metered(topic, owner, now, &mut meter).await
    }

    async fn run_topic_metered(
        &self,
        topic: &Topic,
        owner: &str,
        now: DateTime<Utc>,
        meter: &mut Meter,
    ) -> TopicSummary {
        let mut summary = TopicSummary {
            topic: topic.to_string(),
            ..Default::default()
        };
        match self
            .state
            .acquire_lease(topic, owner, now, self.settings.lease_ttl)
            .await
        {
            Ok(LeaseOutcome::Acquired) => {}
            Ok(LeaseOutcome::Held { until }) => {
                summary.skipped = Some(SkipReason::Locked { until });
                return summary;
            }
            Err(e) => {
                summary.error = Some(FetchError::from(e).to_string());
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
        };
        let result = self.run_locked(&mut run, owner, &mut summary).await;
        run.tally_into(&mut summary);
        if let Err(e) = result {
            warn!(target: "tubefeed::fetch", topic = %topic, error = %e, kind = e.kind(), "topic fetch failed");
            summary.error = Some(e.to_string());
        }
        if let Err(e) = self.state.release(topic, owner).await {
            // The lease expires by itself; a failed release only delays the next run.
            warn!(target: "tubefeed::fetch", topic = %topic, error = %e, "could not release lease");
        }
        summary
    }

    async fn run_locked(
        &self,
        run: &mut TopicRun<'_>,
        owner: &str,
        summary: &mut TopicSummary,
    ) -> Result<(), FetchError> {
        let loaded = self.state.load(run.topic).await?;
        let mut st = loaded.clone();
        st.last_run_at = Some(run.now);
        let budget = self.settings.max_pages_per_topic;
        let mut stop: Option<Stop> = None;

        let outcome: Result<(), FetchError> = async {
            // 1. Close the gap a previous run left, oldest work first, so a long burst is
            //    eventually read even if new videos keep arriving on top.
            if let (Some(gap), Some(w)) = (st.gap, st.watermark) {
                let r = self
                    .read_range(run, Some(w), Some(gap.before), budget)
                    .await?;
                if r.complete {
                    st.watermark = Some(w.max(gap.frontier));
                    st.gap = None;
                } else {
                    if let Some(o) = r.oldest {
                        st.gap = Some(Gap {
                            before: gap.before.min(o),
                            frontier: gap.frontier,
                        });
                    }
                    stop = r.stop;
                }
            }
            let watermark_before_head = st.watermark;
            // 2. The head: everything at or after the watermark (or a bounded backfill).
            if stop.is_none() && st.gap.is_none() {
                match st.watermark {
                    None => {
                        let limit = budget.min(run.pages + self.settings.backfill_pages);
                        let r = self.read_range(run, None, None, limit).await?;
                        // Never past our own clock: a future publishedAt (clock skew, a scheduled
                        // premiere) would make every later head skip everything until then.
                        st.watermark = r.newest.map(|n| n.min(run.now));
                        if let Some(Stop::NoKey(_)) = r.stop {
                            stop = r.stop;
                        }
                    }
                    Some(w) => {
                        let r = self.read_range(run, Some(w), None, budget).await?;
                        if r.complete {
                            st.watermark = Some(r.newest.map_or(w, |n| n.min(run.now).max(w)));
                        } else {
                            if let (Some(o), Some(n)) = (r.oldest, r.newest) {
                                st.gap = Some(Gap {
                                    before: o,
                                    frontier: n.min(run.now).max(w),
                                });
                            }
                            stop = r.stop;
                        }
                    }
                }
            }
            // 3. The late sweep below the ground the head started from. It starts only when the
            //    paced allowance covers a page (when the pool is short, a later run's will);
            //    once started it may borrow like the head, since more than a page below the
            //    watermark is a burst YouTube indexed late.
            if stop.is_none()
                && self.settings.lookback > chrono::Duration::zero()
                && run.meter.paced_available()
            {
                if let Some(w) = watermark_before_head {
                    let r = self
                        .read_range(run, Some(w - self.settings.lookback), Some(w), budget)
                        .await?;
                    if r.complete {
                        st.last_sweep_at = Some(run.now);
                        summary.swept = true;
                    }
                    if let Some(Stop::NoKey(_)) = r.stop {
                        stop = r.stop;
                    }
                }
            }
            Ok(())
        }
        .await;

        match stop {
            Some(Stop::NoKey(next_key_at)) => {
                summary.skipped = Some(SkipReason::NoKeyAvailable { next_key_at })
            }
            Some(Stop::PageBudget) => summary.skipped = Some(SkipReason::PageBudget),
            None => {}
        }
        if run.outcome.new > 0 {
            st.last_new_video_at = Some(run.now);
        }
        match outcome {
            Ok(()) => {
                st.last_success_at = Some(run.now);
                st.last_error = None;
                summary.watermark = st.watermark;
                // The summary /health serves: with this run's counts, as printed.
                run.tally_into(summary);
                st.last_summary = serde_json::to_value(&*summary).ok();
                self.state.save(run.topic, owner, &st).await?;
                Ok(())
            }
            Err(e) => {
                // Keep the watermark and gap where they were: the videos this run wrote stay
                // (writes are idempotent), and the next run reads the same ground again.
                let mut failed = loaded;
                failed.last_run_at = Some(run.now);
                failed.last_error = Some(e.to_string());
                failed.last_new_video_at = st.last_new_video_at;
                summary.watermark = failed.watermark;
                if let Err(save_err) = self.state.save(run.topic, owner, &failed).await {
                    warn!(target: "tubefeed::fetch", error = %save_err, "could not record the failure");
                }
                Err(e)
            }
        }
    }

    /// Reads every searchable video with `after <= publishedAt <= before`, newest first, in
    /// chunks under YouTube's result cap, until done or until `page_limit` pages were spent
    /// in this topic's run.
    async fn read_range(
        &self,
        run: &mut TopicRun<'_>,
        after: Option<DateTime<Utc>>,
        before: Option<DateTime<Utc>>,
        page_limit: u32,
    ) -> Result<RangeRead, FetchError> {
        let mut out = RangeRead::default();
        let mut chunk_before = before;
        loop {
            let mut token: Option<String> = None;
            let mut chunk_oldest: Option<DateTime<Utc>> = None;
            let mut last_page_full;
            let mut reached_ground;
            let mut chunk_items = 0usize;
            loop {
                if run.pages >= page_limit || !run.meter.may_spend() {
                    out.stop = Some(Stop::PageBudget);
                    return Ok(out);
                }
                let req = SearchRequest {
                    q: run.topic.clone(),
                    published_after: after,
                    published_before: chunk_before,
                    page_token: token.take(),
                    max_results: self.settings.page_size,
                };
                let page = match self.call(run, &req).await {
                    Ok(p) => p,
                    Err(CallStop::NoKey(at)) => {
                        out.stop = Some(Stop::NoKey(at));
                        return Ok(out);
                    }
                    Err(CallStop::Fail(e)) => return Err(e),
                };
                run.pages += 1;
                run.meter.spend();
                run.skipped_items += page.skipped_items;
                for v in &page.videos {
                    out.oldest = Some(out.oldest.map_or(v.published_at, |o| o.min(v.published_at)));
                    out.newest = Some(out.newest.map_or(v.published_at, |n| n.max(v.published_at)));
                    chunk_oldest =
                        Some(chunk_oldest.map_or(v.published_at, |o| o.min(v.published_at)));
                }
                // A video repeated across a page boundary (or across ranges) is written and
                // counted once per run.
                let fresh: Vec<_> = page
                    .videos
                    .into_iter()
                    .filter(|v| run.seen.insert(v.id.clone()))
                    .collect();
                if !fresh.is_empty() {
                    let o = self.videos.upsert(run.topic, &fresh, run.now).await?;
                    run.outcome.add(o);
                }
                reached_ground = matches!((after, chunk_oldest), (Some(a), Some(o)) if o <= a);
                last_page_full = page.raw_items >= usize::from(self.settings.page_size);
                chunk_items += page.raw_items;
                match page.next_page_token {
                    Some(t) if !reached_ground && !t.is_empty() => token = Some(t),
                    _ => break,
                }
            }
            // A full last page with no token is YouTube's result cap (or, rarely, an exact
            // multiple of the page size); so is a chunk that stopped short near the cap, as
            // YouTube's last pages can be short. Either way, continue below the oldest video seen.
            let near_cap = chunk_items >= CAP_SUSPECT_ITEMS;
            let capped = (last_page_full || near_cap) && !reached_ground;
            if capped {
                if let Some(o) = chunk_oldest {
                    if chunk_before.is_none_or(|b| o < b) {
                        chunk_before = Some(o);
                        continue;
                    }
                }
                // A whole cap's worth of videos in one second: nothing more can be asked.
                warn!(target: "tubefeed::fetch", topic = %run.topic, "result cap reached within one second; continuing");
            }
            out.complete = true;
            return Ok(out);
        }
    }

    /// One page, rotating keys on key failures. Bounded: each acquire reserves budget and each
    /// key failure rests or retires a key, so the ring runs dry; the counter is a backstop.
    async fn call(
        &self,
        run: &mut TopicRun<'_>,
        req: &SearchRequest,
    ) -> Result<crate::source::SearchPage, CallStop> {
        for _ in 0..64 {
            let key = match self
                .keys
                .acquire(run.now)
                .await
                .map_err(|e| CallStop::Fail(e.into()))?
            {
                Acquired::Key(k) => k,
                Acquired::NoneUsable { next_usable_at } => {
                    info!(
                        target: "tubefeed::fetch",
                        topic = %run.topic,
                        next_key_at = next_usable_at.map(|t| t.to_rfc3339()),
                        "no API key usable now; spending nothing"
                    );
                    return Err(CallStop::NoKey(next_usable_at));
                }
            };
            let (result, attempts) = self.source.search(req, &key).await;
            run.calls += attempts;
            match result {
                Ok(page) => {
                    self.keys
                        .report(key.fingerprint(), KeyOutcome::Success, run.now)
                        .await
                        .map_err(|e| CallStop::Fail(e.into()))?;
                    return Ok(page);
                }
                Err(e) => match e.key_outcome() {
                    Some(outcome) => {
                        warn!(
                            target: "tubefeed::fetch",
                            key = %key.fingerprint(),
                            kind = e.kind(),
                            "key failed; rotating"
                        );
                        self.keys
                            .report(key.fingerprint(), outcome, run.now)
                            .await
                            .map_err(|e| CallStop::Fail(e.into()))?;
                    }
                    None => return Err(CallStop::Fail(e.into())),
                },
            }
        }
        Err(CallStop::Fail(FetchError::Keys(KeyRingError::Store(
            "key rotation did not settle after 64 attempts".into(),
        ))))
    }
}
