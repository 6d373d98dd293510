//! The fetch cycle: for each topic, read what YouTube has that we do not, without losing a
//! video and without spending a call we do not need.
//!
//! Per topic a run holds a lease, then reads up to four ranges of the timeline, newest first:
//! 1. the *gap* a previous run left when its page budget ran out mid-burst;
//! 2. the *head*: everything published at or after the watermark;
//! 3. the *late sweep*: each slice of time once more after it aged `lookback / 3` and once
//!    after `lookback`, because YouTube makes some videos searchable minutes after their
//!    `publishedAt`, below ground already stored (a sweep cut short goes on where it stopped);
//! 4. the rest of a first-run backfill the allowance cut short.
//!
//! A range longer than YouTube's ~500-result cap is read in chunks: when a chunk ends on a full
//! page without a `nextPageToken`, the next chunk asks `publishedBefore` = the oldest time seen.
//! State (watermark, gap) is written only after every write of the run succeeded.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

use crate::budget::{BudgetReport, PollPrice, RunBudget};
use crate::keys::{Acquired, KeyOutcome, KeyRing, KeyRingError};
use crate::redact::redact;
use crate::source::{SearchRequest, SourceError, VideoSource};
use crate::store::{
    Backfill, FetchStateStore, Gap, LeaseOutcome, StoreError, SweepCut, SweepMarks, UpsertOutcome,
    VideoStore,
};
use crate::video::Topic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// `maxResults` per call (YouTube allows 1..=50; 50 spends the least quota per video).
    pub page_size: u8,
    /// Pages one topic may read in one run (HTTP retries and calls on failing keys come on top).
    pub max_pages_per_topic: u32,
    /// Pages read on a topic's first run, when there is no watermark yet.
    pub backfill_pages: u32,
    /// How late YouTube may index a video: the late sweep re-reads each slice of time once
    /// after it aged `lookback / 3` and once after it aged `lookback`. Zero disables the sweep.
    pub lookback: chrono::Duration,
    pub lease_ttl: Duration,
    /// The sweep before issue 10, for comparison in `make bench` only: every poll re-reads the
    /// whole `[watermark − lookback, watermark]` window (no sweep marks, no folding into the
    /// head). Not configurable from the environment.
    pub whole_window_sweep: bool,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            page_size: 50,
            max_pages_per_topic: 20,
            backfill_pages: 4,
            lookback: chrono::Duration::minutes(15),
            lease_ttl: Duration::from_secs(300),
            whole_window_sweep: false,
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
    /// The pool's daily budget does not afford this topic's poll yet (see [`crate::budget`]):
    /// nothing was spent on it, and topics that waited longer go first; at today's pace its
    /// turn comes at about `next_poll_at`.
    Paced { next_poll_at: DateTime<Utc> },
    /// Calls are rationed and this topic was polled too recently to fill much of a page (see
    /// [`Fetcher::run_weighted`]); it is due at `next_poll_at`.
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

/// What the planner counts a topic's poll at: the head's page, with the sweep folded in when it
/// fits (see [`Fetcher::run_weighted`]).
const CALLS_PER_TOPIC_POLL: u32 = 1;

/// A rationed topic is polled once it would fill this much of a page, and the head folds the
/// sweep in when the window fits in this much of one.
const FILL_FRACTION: f64 = 0.6;

/// A separate sweep waits until its window would fill this much of a page.
const SWEEP_FILL_FRACTION: f64 = 0.8;

/// `d` shortened in proportion to how much the rationing rules apply.
fn scale(d: chrono::Duration, rationing: f64) -> chrono::Duration {
    chrono::Duration::milliseconds((d.num_milliseconds() as f64 * rationing.clamp(0.0, 1.0)) as i64)
}

/// Expected videos in `span` at `videos_per_hour`.
fn estimate(videos_per_hour: u32, span: chrono::Duration) -> f64 {
    f64::from(videos_per_hour) * span.num_seconds().max(0) as f64 / 3600.0
}

/// `videos` over `span`, per hour (saturating).
/// Where a sweep of `[mark, c.end]`, whose part above `c.before` was read earlier, stands
/// after a run read down to `oldest` and was cut short again.
fn cut_short(mark: DateTime<Utc>, c: SweepCut, oldest: Option<DateTime<Utc>>) -> SweepCut {
    let before = oldest.map_or(c.before, |o| o.max(mark).min(c.before));
    SweepCut { before, ..c }
}

fn per_hour(videos: usize, span: chrono::Duration) -> u32 {
    let secs = span.num_seconds().max(1) as f64;
    let v = videos as f64 * 3600.0 / secs;
    v.round().min(f64::from(u32::MAX)) as u32
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
    /// Videos the range returned (repeats across pages included).
    videos: usize,
    /// Pages it read.
    pages: u32,
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
    /// How much the rationing rules apply to separate late sweeps, which cost a call each
    /// beyond the head's (0 = sweep whatever has aged, every run; 1 = in full).
    sweep_rationing: f64,
}

impl Meter {
    fn new(b: &RunBudget) -> Self {
        Self {
            paced_left: b.paced,
            borrow_left: b.borrow,
            topic_share: b.paced,
            topic_used: 0,
            spent: 0,
            sweep_rationing: f64::from(b.sweep_rationing_pct.min(100)) / 100.0,
        }
    }

    /// Leaves one poll's worth for each topic still to run after this one, so the first
    /// topic's burst or sweeps cannot take the others' polls (it may still borrow); what is
    /// left beyond that goes to the topic that waited longest, which runs first.
    fn start_topic(&mut self, topics_left: usize) {
        let others = u32::try_from(topics_left.saturating_sub(1)).unwrap_or(u32::MAX);
        self.topic_share = self
            .paced_left
            .saturating_sub(others.saturating_mul(CALLS_PER_TOPIC_POLL))
            .max(1);
        self.topic_used = 0;
    }

    /// Paced pages this topic may still spend without borrowing.
    fn paced_room(&self) -> u32 {
        self.paced_left
            .min(self.topic_share.saturating_sub(self.topic_used))
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
    /// Runs every topic in turn (each of weight 1). A topic's failure is reported in its
    /// summary and does not stop the others.
    pub async fn run(&self, topics: &[Topic], now: DateTime<Utc>) -> CycleSummary {
        let weighted: Vec<(Topic, u32)> = topics.iter().map(|t| (t.clone(), 1)).collect();
        self.run_weighted(&weighted, now).await
    }

    /// One run over weighted topics (`SEARCH_QUERIES=cricket:3,chess`). When the allowance
    /// cannot cover every topic that is due, the ones that waited longest (waiting time ×
    /// weight) are polled first, as many as the bank holds; the others are carried to the
    /// next run (`paced`). So with `T` topics a topic of weight `w` is polled about every
    /// `Σw × calls per poll / (w × calls per second the pool allows)`, however large `T` is.
    pub async fn run_weighted(&self, topics: &[(Topic, u32)], now: DateTime<Utc>) -> CycleSummary {
        let owner = format!("run-{:016x}", fastrand::u64(..));
        let mut out: Vec<TopicSummary> = topics
            .iter()
            .map(|(t, w)| TopicSummary {
                topic: t.to_string(),
                weight: (*w).max(1),
                ..Default::default()
            })
            .collect();
        // A poll of one topic costs one call: the head, with the late sweep folded into the
        // same page when it fits (busy topics pay more, and borrow for bursts).
        let total_weight: u32 = topics
            .iter()
            .map(|(_, w)| (*w).max(1))
            .fold(0u32, u32::saturating_add);
        let price = PollPrice {
            start: CALLS_PER_TOPIC_POLL,
            cycle: total_weight.saturating_mul(CALLS_PER_TOPIC_POLL).max(1),
        };
        let budget = match self.keys.open_run(price, now).await {
            Ok(b) => b,
            Err(e) => {
                let e = FetchError::from(e);
                warn!(target: "tubefeed::fetch", error = %e, "could not open the run's budget");
                for s in &mut out {
                    s.error = Some(redact(&e.to_string()));
                }
                return CycleSummary {
                    started_at: now,
                    ok: false,
                    topics: out,
                    budget: None,
                };
            }
        };
        // Rationed only as far as the planner says the pool is short of polling every topic
        // every run (a ring without a planner polls every run).
        let rationing = f64::from(budget.rationing_pct.min(100)) / 100.0;
        let cycle_interval = budget
            .report
            .as_ref()
            .and_then(|r| r.effective_interval_seconds);
        let schedule_seconds = budget.report.as_ref().map_or(0, |r| r.schedule_seconds);

        // Who waited how long: the states are read before any lease, for ordering only (each
        // topic's run reads its own state again under its lease).
        let mut due: Vec<(usize, f64)> = Vec::new();
        for (i, (topic, weight)) in topics.iter().enumerate() {
            let st = match self.state.load(topic).await {
                Ok(st) => st,
                Err(e) => {
                    out[i].error = Some(redact(&FetchError::from(e).to_string()));
                    continue;
                }
            };
            let w = (*weight).max(1);
            let min_interval = self.min_interval(st.videos_per_hour);
            let waited = st
                .last_run_at
                .map(|t| (now - t).max(chrono::Duration::zero()));
            out[i].lag_seconds = waited.map(|d| u64::try_from(d.num_seconds()).unwrap_or(0));
            let pool_interval = cycle_interval.map(|c| c / u64::from(w));
            // A topic that fills little of a page waits, when calls are rationed, until it
            // would (or until the early sweep's delay): a call per poll then buys more videos,
            // and the calls saved go to the topics that need them. The wait shrinks with the
            // rationing, to none when the pool is ample.
            let floor = scale(min_interval, rationing);
            let floor_secs = u64::try_from(floor.num_seconds()).unwrap_or(0);
            out[i].interval_seconds =
                pool_interval.map(|p| p.max(floor_secs).max(schedule_seconds));
            match waited {
                Some(d) if d < floor && st.gap.is_none() => {
                    out[i].skipped = Some(SkipReason::NotDue {
                        next_poll_at: now + (floor - d),
                    });
                }
                Some(d) => due.push((i, d.num_milliseconds() as f64 * f64::from(w))),
                None => due.push((i, f64::INFINITY)),
            }
        }
        // Longest (weighted) wait first; the configured order breaks ties.
        due.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        if let Some(next_poll_at) = budget.wait_until {
            info!(
                target: "tubefeed::fetch",
                next_poll_at = %next_poll_at.to_rfc3339(),
                interval_s = cycle_interval,
                "daily budget: no poll due yet; spending nothing"
            );
            for (i, _) in &due {
                out[*i].skipped = Some(SkipReason::Paced { next_poll_at });
            }
            return CycleSummary {
                started_at: now,
                ok: out.iter().all(|t| t.error.is_none()),
                topics: out,
                budget: budget.report,
            };
        }
        let affordable = usize::try_from(budget.paced / CALLS_PER_TOPIC_POLL).unwrap_or(usize::MAX);
        let chosen = due.len().min(affordable.max(1));
        // The carried-over topics are polled in this order as the bank refills.
        let secs_per_poll = cycle_interval.map(|c| c as f64 / f64::from(price.cycle));
        for (rank, (i, _)) in due.iter().enumerate().skip(chosen) {
            let ahead = (rank - chosen + 1) as f64;
            let next_poll_at = secs_per_poll.map_or(now, |s| {
                now + chrono::Duration::milliseconds((ahead * s * 1000.0).ceil() as i64)
            });
            out[*i].skipped = Some(SkipReason::Paced { next_poll_at });
        }

        let mut meter = Meter::new(&budget);
        for (n, (i, _)) in due.iter().take(chosen).enumerate() {
            meter.start_topic(chosen - n);
            let topic = &topics[*i].0;
            let base = std::mem::take(&mut out[*i]);
            let summary = self
                .run_topic_metered(topic, &owner, now, &mut meter, base)
                .await;
            info!(
                target: "tubefeed::fetch",
                topic = %summary.topic,
                pages = summary.pages,
                calls = summary.calls,
                new = summary.new,
                updated = summary.updated,
                lag_s = summary.lag_seconds,
                skipped = summary.skipped.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()),
                error = summary.error.as_deref(),
                "topic fetched"
            );
            out[*i] = summary;
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

    /// The shortest wait between two polls of a topic when calls are rationed: the time it
    /// takes to fill [`FILL_FRACTION`] of a page at its recent pace, and never more than the
    /// early sweep's delay (so a quiet topic is still looked at every few minutes when the
    /// pool affords it).
    fn min_interval(&self, videos_per_hour: Option<u32>) -> chrono::Duration {
        let cap = self.settings.lookback / 3;
        match videos_per_hour {
            Some(v) if v > 0 => {
                let fill = f64::from(self.settings.page_size) * FILL_FRACTION;
                let secs = fill / f64::from(v) * 3600.0;
                chrono::Duration::seconds(secs as i64).min(cap)
            }
            _ => cap,
        }
    }

    /// Whether a sweep of `[from, to]` is worth its call now: it would fill most of a page,
    /// or its oldest slice has waited a whole delay beyond its own. Both waits shrink with the
    /// rationing: an ample pool sweeps whatever has aged, every run.
    fn sweep_due(
        &self,
        videos_per_hour: Option<u32>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        delay: chrono::Duration,
        rationing: f64,
    ) -> bool {
        if to - from >= scale(delay, rationing) {
            return true;
        }
        let Some(v) = videos_per_hour else {
            return true;
        };
        estimate(v, to - from)
            >= f64::from(self.settings.page_size) * SWEEP_FILL_FRACTION * rationing
    }

    /// Whether everything from `from` to now likely fits in one page, so the head can re-read
    /// the unswept window for free.
    fn fits_one_page(&self, videos_per_hour: Option<u32>, span: chrono::Duration) -> bool {
        match videos_per_hour {
            None => true,
            Some(v) => estimate(v, span) <= f64::from(self.settings.page_size) * FILL_FRACTION,
        }
    }

    /// One topic, without the run's budget planner.
    pub async fn run_topic(&self, topic: &Topic, owner: &str, now: DateTime<Utc>) -> TopicSummary {
        let mut meter = Meter::new(&RunBudget::unlimited());
        let base = TopicSummary {
            topic: topic.to_string(),
            weight: 1,
            ..Default::default()
        };
        self.run_topic_metered(topic, owner, now, &mut meter, base)
            .await
    }

    /// `summary` arrives with the scheduler's fields (weight, interval, lag) filled in, so the
    /// copy saved for `/health` carries them.
    async fn run_topic_metered(
        &self,
        topic: &Topic,
        owner: &str,
        now: DateTime<Utc>,
        meter: &mut Meter,
        mut summary: TopicSummary,
    ) -> TopicSummary {
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

        let lookback = self.settings.lookback;
        let legacy_sweep = self.settings.whole_window_sweep && lookback > chrono::Duration::zero();
        let sweeping = lookback > chrono::Duration::zero() && !legacy_sweep;
        // States written before the marks existed: the old sweep had re-read the window below
        // the watermark on every run, so the marks start there.
        if sweeping && st.sweep.is_none() {
            if let Some(w) = st.watermark {
                st.sweep = Some(SweepMarks::at(w - lookback, w - lookback));
            }
        }

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
            // Where this run's complete head started reading: everything above it was read
            // just now.
            let mut head_from: Option<DateTime<Utc>> = None;
            // 2. The head: everything at or after the watermark (or a bounded backfill).
            if stop.is_none() && st.gap.is_none() {
                match st.watermark {
                    None => {
                        let want = self.settings.backfill_pages;
                        let limit = budget.min(run.pages + want);
                        let r = self.read_range(run, None, None, limit).await?;
                        // Never past our own clock: a future publishedAt (clock skew, a scheduled
                        // premiere) would make every later head skip everything until then.
                        st.watermark = r.newest.map(|n| n.min(run.now));
                        if let (Some(o), Some(n)) = (r.oldest, st.watermark) {
                            // The backfill read everything in [o, n] just now: the part that
                            // had already aged past a sweep's delay has had that read. Only the
                            // newest minutes are left for the sweeps (marks at `o` made the
                            // next run re-read the whole backfill, twice, and when that took
                            // more than the run's pages the sweep never completed and the
                            // resumed backfill never got a page).
                            if sweeping {
                                let mark =
                                    |delay: chrono::Duration| (run.now - delay).max(o).min(n);
                                st.sweep = Some(SweepMarks::at(mark(lookback / 3), mark(lookback)));
                            }
                            if n - o >= chrono::Duration::minutes(1) {
                                st.videos_per_hour = Some(per_hour(r.videos, n - o));
                            }
                            // Cut short by the allowance or the per-run page limit: the rest of
                            // the requested history is read by later runs.
                            if !r.complete && r.pages < want {
                                st.backfill = Some(Backfill {
                                    before: o,
                                    pages_left: want - r.pages,
                                });
                            }
                        }
                        if let Some(Stop::NoKey(_)) = r.stop {
                            stop = r.stop;
                        }
                    }
                    Some(w) => {
                        // A quiet topic's unswept window fits in the head's page: read it with
                        // the head, and the sweep costs nothing.
                        let from = match st.sweep {
                            Some(m)
                                if sweeping
                                    && m.done < w
                                    && self.fits_one_page(st.videos_per_hour, run.now - m.done) =>
                            {
                                m.done
                            }
                            _ => w,
                        };
                        let r = self.read_range(run, Some(from), None, budget).await?;
                        // A head that folded the sweep in (`from` below the watermark) and was
                        // cut short once it had got below the watermark has read everything new:
                        // the watermark moves, and the sweeps keep the part of their window it
                        // did not reach. (Recording a gap below the watermark instead made every
                        // later run fold again, re-read the same pages and never sweep.)
                        let reached_watermark = from < w && r.oldest.is_some_and(|o| o <= w);
                        if r.complete || reached_watermark {
                            let start = if r.complete {
                                from
                            } else {
                                r.oldest.map_or(w, |o| o.max(from))
                            };
                            st.watermark = Some(r.newest.map_or(w, |n| n.min(run.now).max(w)));
                            head_from = Some(start);
                            let span = run.now - start;
                            if span >= chrono::Duration::minutes(1) {
                                let seen = per_hour(r.videos, span);
                                st.videos_per_hour = Some(match st.videos_per_hour {
                                    // Half the weight on the latest poll: a burst shows at once,
                                    // and a quiet spell brings the estimate down in a few polls.
                                    Some(prev) => prev / 2 + seen / 2 + (prev % 2 + seen % 2) / 2,
                                    None => seen,
                                });
                            }
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
            // 3'. The whole-window sweep of before issue 10 (bench comparison only): the
            //     window below the ground the head started from, on every poll the paced
            //     allowance lets start.
            if stop.is_none() && legacy_sweep && run.meter.paced_available() {
                if let Some(w) = watermark_before_head {
                    let r = self
                        .read_range(run, Some(w - lookback), Some(w), budget)
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
            // 3. The late sweep: each slice of time is re-read once after it has aged past
            //    lookback / 3 and once after lookback, never on every poll. A sweep starts only
            //    when the paced allowance covers a page and the slice would fill most of one
            //    (or has waited a whole delay more); once started it may borrow like the head.
            if stop.is_none() && sweeping {
                if let (Some(mut marks), Some(w)) = (st.sweep, watermark_before_head) {
                    // Slices above this were read by this run's head.
                    let read_now = head_from.unwrap_or(w);
                    for early in [true, false] {
                        let delay = if early { lookback / 3 } else { lookback };
                        let (mark, cut) = if early {
                            (marks.early, marks.early_cut)
                        } else {
                            (marks.done, marks.done_cut)
                        };
                        let aged = run.now - delay;
                        let end = aged.min(read_now);
                        let mut mark_now = mark;
                        let mut cut_now = cut;
                        // First the rest of a sweep an earlier run could not finish: it is due
                        // already, and only its unread older part is left.
                        if let Some(c) = cut {
                            if run.meter.paced_available() {
                                let r = self
                                    .read_range(run, Some(mark), Some(c.before), budget)
                                    .await?;
                                if r.complete {
                                    mark_now = c.end;
                                    cut_now = None;
                                    summary.swept = true;
                                } else {
                                    cut_now = Some(cut_short(mark, c, r.oldest));
                                    if let Some(Stop::NoKey(_)) = r.stop {
                                        stop = r.stop;
                                    }
                                }
                            }
                        }
                        if cut_now.is_none()
                            && stop.is_none()
                            && end > mark_now
                            && run.meter.paced_available()
                            && self.sweep_due(
                                st.videos_per_hour,
                                mark_now,
                                end,
                                delay,
                                run.meter.sweep_rationing,
                            )
                        {
                            let r = self
                                .read_range(run, Some(mark_now), Some(end), budget)
                                .await?;
                            if r.complete {
                                mark_now = end;
                                summary.swept = true;
                            } else {
                                let c = SweepCut { before: end, end };
                                let c = cut_short(mark_now, c, r.oldest);
                                cut_now = (c.before < end).then_some(c);
                                if let Some(Stop::NoKey(_)) = r.stop {
                                    stop = r.stop;
                                }
                            }
                        }
                        // The head just read everything above `read_now`: the part of it that
                        // had already aged past the delay has had its second read.
                        if cut_now.is_none()
                            && head_from.is_some()
                            && mark_now >= read_now
                            && aged > mark_now
                        {
                            mark_now = aged;
                            summary.swept = true;
                        }
                        if early {
                            marks.early = mark_now;
                            marks.early_cut = cut_now;
                        } else {
                            marks.done = mark_now;
                            marks.done_cut = cut_now;
                        }
                        if stop.is_some() {
                            break;
                        }
                    }
                    st.sweep = Some(marks);
                    if summary.swept {
                        st.last_sweep_at = Some(run.now);
                    }
                }
            }
            // 4. The rest of a first-run backfill the allowance cut short, from what the paced
            //    allowance has left (never borrowed: old history can wait for the next run).
            if stop.is_none() {
                if let (Some(bf), Some(_)) = (st.backfill, watermark_before_head) {
                    let room = run
                        .meter
                        .paced_room()
                        .min(bf.pages_left)
                        .min(budget.saturating_sub(run.pages));
                    if room > 0 {
                        let r = self
                            .read_range(run, None, Some(bf.before), run.pages + room)
                            .await?;
                        let left = bf.pages_left.saturating_sub(r.pages);
                        st.backfill = if r.complete || left == 0 {
                            None
                        } else {
                            Some(Backfill {
                                before: r.oldest.map_or(bf.before, |o| o.min(bf.before)),
                                pages_left: left,
                            })
                        };
                        if let Some(Stop::NoKey(_)) = r.stop {
                            stop = r.stop;
                        }
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
                st.last_error_kind = None;
                summary.watermark = st.watermark;
                summary.backfill_pages_left = st.backfill.map(|b| b.pages_left);
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
                failed.last_error = Some(redact(&e.to_string()));
                failed.last_error_kind = Some(e.kind().to_owned());
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
                out.pages += 1;
                run.meter.spend();
                out.videos += page.videos.len();
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
