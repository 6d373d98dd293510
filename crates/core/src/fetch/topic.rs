//! One topic's run, under its lease, as a small state machine. Each phase reads one range of
//! the timeline, newest first, and may stop the run (out of pages or keys):
//!
//! 1. [`close_gap`](Fetcher::close_gap): the gap a previous run left when its page budget ran
//!    out mid-burst, oldest work first, so a long burst is always finished;
//! 2. [`first_backfill`](Fetcher::first_backfill) on a topic's first run, else
//!    [`read_head`](Fetcher::read_head): everything published at or after the watermark;
//! 3. [`sweep_late`](Fetcher::sweep_late): each slice of time once more after it aged
//!    `lookback / 3` and once after `lookback` (YouTube indexes some videos late);
//! 4. [`continue_backfill`](Fetcher::continue_backfill): history a first run could not afford;
//! 5. [`commit`](Fetcher::commit): the new state, written only after every write of the run
//!    succeeded — a failed run keeps the state it found.

use chrono::{DateTime, Duration, Utc};
use tracing::warn;

use super::pace::{cut_short, fits_one_page, per_hour, sweep_due};
use super::range::{RangeRead, Stop, TopicRun};
use super::{FetchError, Fetcher, SkipReason, TopicSummary};
use crate::keys::KeyRing;
use crate::redact::redact;
use crate::source::VideoSource;
use crate::store::{
    Backfill, FetchState, FetchStateStore, Gap, LeaseOwner, SweepCut, SweepMarks, VideoStore,
};

/// The state a run is building, and where its reading stands.
struct Pass {
    st: FetchState,
    stop: Option<Stop>,
    /// The watermark the head starts from.
    before_head: Option<DateTime<Utc>>,
    /// Where this run's complete head started reading: everything above it was read just now.
    head_from: Option<DateTime<Utc>>,
    swept: bool,
}

impl Pass {
    /// Whether the run may read on.
    fn reading(&self) -> bool {
        self.stop.is_none()
    }

    /// Stops the run when `r` ran out of keys.
    fn stop_on_no_key(&mut self, r: &RangeRead) {
        if let Some(s) = r.no_key() {
            self.stop = Some(s);
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
    /// The phases in order, then the commit. `summary` carries the scheduler's fields (weight,
    /// interval, lag), so the copy saved with the state has them.
    pub(super) async fn run_locked(
        &self,
        run: &mut TopicRun<'_>,
        owner: &LeaseOwner,
        summary: &mut TopicSummary,
    ) -> Result<(), FetchError> {
        let loaded = self.state.load(run.topic).await?;
        let mut pass = Pass {
            st: loaded.clone(),
            stop: None,
            before_head: None,
            head_from: None,
            swept: false,
        };
        pass.st.last_run_at = Some(run.now);
        self.upgrade_marks(&mut pass.st);
        let outcome = self.read_phases(run, &mut pass).await;
        self.commit(run, owner, summary, loaded, pass, outcome)
            .await
    }

    /// States written before the sweep kept marks: the old sweep had re-read the window below
    /// the watermark on every run, so the marks start there.
    fn upgrade_marks(&self, st: &mut FetchState) {
        let lookback = self.settings.lookback;
        if let (true, None, Some(w)) = (self.settings.sweeping(), st.sweep, st.watermark) {
            st.sweep = Some(SweepMarks::at(w - lookback, w - lookback));
        }
    }

    async fn read_phases(&self, run: &mut TopicRun<'_>, pass: &mut Pass) -> Result<(), FetchError> {
        self.close_gap(run, pass).await?;
        pass.before_head = pass.st.watermark;
        if pass.reading() && pass.st.gap.is_none() {
            match pass.st.watermark {
                None => self.first_backfill(run, pass).await?,
                Some(w) => self.read_head(run, pass, w).await?,
            }
        }
        if pass.reading() && self.settings.sweeping() {
            self.sweep_late(run, pass).await?;
        }
        if pass.reading() {
            self.continue_backfill(run, pass).await?;
        }
        Ok(())
    }

    /// Phase 1: The gap `[watermark, gap.before]` a previous run left.
    async fn close_gap(&self, run: &mut TopicRun<'_>, pass: &mut Pass) -> Result<(), FetchError> {
        let (Some(gap), Some(w)) = (pass.st.gap, pass.st.watermark) else {
            return Ok(());
        };
        let limit = self.settings.max_pages_per_topic;
        let r = self
            .read_range(run, Some(w), Some(gap.before), limit)
            .await?;
        if r.complete {
            pass.st.watermark = Some(w.max(gap.frontier));
            pass.st.gap = None;
        } else {
            if let Some(o) = r.oldest {
                pass.st.gap = Some(Gap {
                    before: gap.before.min(o),
                    frontier: gap.frontier,
                });
            }
            pass.stop = r.stop;
        }
        Ok(())
    }

    /// Phase 2a: A topic's first run: a bounded backfill, and a watermark at its newest video.
    async fn first_backfill(
        &self,
        run: &mut TopicRun<'_>,
        pass: &mut Pass,
    ) -> Result<(), FetchError> {
        let want = self.settings.backfill_pages;
        let limit = self.settings.max_pages_per_topic.min(run.pages + want);
        let r = self.read_range(run, None, None, limit).await?;
        let st = &mut pass.st;
        // Never past our own clock: a future publishedAt (clock skew, a scheduled premiere)
        // would make every later head skip everything until then.
        st.watermark = r.newest.map(|n| n.min(run.now));
        if let (Some(o), Some(n)) = (r.oldest, st.watermark) {
            // The backfill read everything in [o, n] just now: the part that had already aged
            // past a sweep's delay has had that read. Only the newest minutes are left for the
            // sweeps (marks at `o` made the next run re-read the whole backfill, twice, and when
            // that took more than the run's pages the sweep never completed and the resumed
            // backfill never got a page).
            if self.settings.sweeping() {
                let lookback = self.settings.lookback;
                let mark = |delay: Duration| (run.now - delay).max(o).min(n);
                st.sweep = Some(SweepMarks::at(mark(lookback / 3), mark(lookback)));
            }
            if n - o >= Duration::minutes(1) {
                st.videos_per_hour = Some(per_hour(r.videos, n - o));
            }
            // Cut short by the allowance or the per-run page limit: the rest of the requested
            // history is read by later runs.
            if !r.complete && r.pages < want {
                st.backfill = Some(Backfill {
                    before: o,
                    pages_left: want - r.pages,
                });
            }
        }
        pass.stop_on_no_key(&r);
        Ok(())
    }

    /// Phase 2b: Everything at or after the watermark `w`, with a quiet topic's unswept window folded
    /// into the same page (its sweep then costs no call).
    async fn read_head(
        &self,
        run: &mut TopicRun<'_>,
        pass: &mut Pass,
        w: DateTime<Utc>,
    ) -> Result<(), FetchError> {
        let from = match pass.st.sweep {
            Some(m)
                if self.settings.sweeping()
                    && m.done < w
                    && fits_one_page(&self.settings, pass.st.videos_per_hour, run.now - m.done) =>
            {
                m.done
            }
            _ => w,
        };
        let limit = self.settings.max_pages_per_topic;
        run.head_after = Some(w);
        let r = self.read_range(run, Some(from), None, limit).await;
        run.head_after = None;
        let r = r?;
        // A head that folded the sweep in (`from` below the watermark) and was cut short once it
        // had got below the watermark has read everything new: the watermark moves, and the
        // sweeps keep the part of their window it did not reach. (Recording a gap below the
        // watermark instead made every later run fold again, re-read the same pages and never
        // sweep.)
        let reached_watermark = from < w && r.oldest.is_some_and(|o| o <= w);
        if r.complete || reached_watermark {
            let start = if r.complete {
                from
            } else {
                r.oldest.map_or(w, |o| o.max(from))
            };
            self.head_read(run, pass, &r, w, start);
        } else {
            if let (Some(o), Some(n)) = (r.oldest, r.newest) {
                pass.st.gap = Some(Gap {
                    before: o,
                    frontier: n.min(run.now).max(w),
                });
            }
            pass.stop = r.stop;
        }
        Ok(())
    }

    /// The head read everything new from `start`: the watermark moves to its newest video, and
    /// the topic's pace learns from what it found (half the weight on this poll, so a burst
    /// shows at once and a quiet spell brings the estimate down in a few polls).
    fn head_read(
        &self,
        run: &TopicRun<'_>,
        pass: &mut Pass,
        r: &RangeRead,
        w: DateTime<Utc>,
        start: DateTime<Utc>,
    ) {
        let st = &mut pass.st;
        st.watermark = Some(r.newest.map_or(w, |n| n.min(run.now).max(w)));
        pass.head_from = Some(start);
        let span = run.now - start;
        if span >= Duration::minutes(1) {
            let seen = per_hour(r.videos, span);
            st.videos_per_hour = Some(match st.videos_per_hour {
                Some(prev) => prev / 2 + seen / 2 + (prev % 2 + seen % 2) / 2,
                None => seen,
            });
        }
    }

    /// Phase 3: The late sweep: each slice of time re-read once after it has aged past `lookback / 3`
    /// and once after `lookback`, never on every poll.
    async fn sweep_late(&self, run: &mut TopicRun<'_>, pass: &mut Pass) -> Result<(), FetchError> {
        let (Some(mut marks), Some(w)) = (pass.st.sweep, pass.before_head) else {
            return Ok(());
        };
        // Slices above this were read by this run's head.
        let read_now = pass.head_from.unwrap_or(w);
        for early in [true, false] {
            let (mark, cut) = if early {
                (marks.early, marks.early_cut)
            } else {
                (marks.done, marks.done_cut)
            };
            let (mark, cut) = self
                .sweep_one(run, pass, (mark, cut), early, read_now)
                .await?;
            if early {
                (marks.early, marks.early_cut) = (mark, cut);
            } else {
                (marks.done, marks.done_cut) = (mark, cut);
            }
            if !pass.reading() {
                break;
            }
        }
        pass.st.sweep = Some(marks);
        if pass.swept {
            pass.st.last_sweep_at = Some(run.now);
        }
        Ok(())
    }

    /// One mark's sweep: first the rest of a sweep an earlier run could not finish, then the
    /// newly aged window when it is worth a call; returns the mark and cut to keep. A sweep
    /// starts only when the paced allowance covers a page; once started it may borrow.
    async fn sweep_one(
        &self,
        run: &mut TopicRun<'_>,
        pass: &mut Pass,
        (mark, cut): (DateTime<Utc>, Option<SweepCut>),
        early: bool,
        read_now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, Option<SweepCut>), FetchError> {
        let lookback = self.settings.lookback;
        let delay = if early { lookback / 3 } else { lookback };
        let aged = run.now - delay;
        let end = aged.min(read_now);
        let limit = self.settings.max_pages_per_topic;
        let (mut mark_now, mut cut_now) = (mark, cut);
        if let (Some(c), true) = (cut, run.meter.paced_available()) {
            // Due already, and only its unread older part is left.
            let r = self
                .read_range(run, Some(mark), Some(c.before), limit)
                .await?;
            if r.complete {
                (mark_now, cut_now) = (c.end, None);
                pass.swept = true;
            } else {
                cut_now = Some(cut_short(mark, c, r.oldest));
                pass.stop_on_no_key(&r);
            }
        }
        let rationing = run.meter.sweep_rationing;
        let due = || {
            sweep_due(
                &self.settings,
                pass.st.videos_per_hour,
                (mark_now, end),
                delay,
                rationing,
            )
        };
        if cut_now.is_none()
            && pass.reading()
            && end > mark_now
            && run.meter.paced_available()
            && due()
        {
            let r = self
                .read_range(run, Some(mark_now), Some(end), limit)
                .await?;
            if r.complete {
                mark_now = end;
                pass.swept = true;
            } else {
                let c = cut_short(mark_now, SweepCut { before: end, end }, r.oldest);
                cut_now = (c.before < end).then_some(c);
                pass.stop_on_no_key(&r);
            }
        }
        // The head just read everything above `read_now`: the part of it that had already aged
        // past the delay has had its second read.
        if cut_now.is_none() && pass.head_from.is_some() && mark_now >= read_now && aged > mark_now
        {
            mark_now = aged;
            pass.swept = true;
        }
        Ok((mark_now, cut_now))
    }

    /// Phase 4: The rest of a first-run backfill the allowance cut short, from what the paced
    /// allowance has left (never borrowed: old history can wait for the next run).
    async fn continue_backfill(
        &self,
        run: &mut TopicRun<'_>,
        pass: &mut Pass,
    ) -> Result<(), FetchError> {
        let (Some(bf), Some(_)) = (pass.st.backfill, pass.before_head) else {
            return Ok(());
        };
        let room = run
            .meter
            .paced_room()
            .min(bf.pages_left)
            .min(self.settings.max_pages_per_topic.saturating_sub(run.pages));
        if room == 0 {
            return Ok(());
        }
        let r = self
            .read_range(run, None, Some(bf.before), run.pages + room)
            .await?;
        let left = bf.pages_left.saturating_sub(r.pages);
        pass.st.backfill = if r.complete || left == 0 {
            None
        } else {
            Some(Backfill {
                before: r.oldest.map_or(bf.before, |o| o.min(bf.before)),
                pages_left: left,
            })
        };
        pass.stop_on_no_key(&r);
        Ok(())
    }

    /// Phase 5: Saves what the run learned, or, when it failed, the state it found (the videos it
    /// wrote stay: writes are idempotent, and the next run reads the same ground again).
    async fn commit(
        &self,
        run: &TopicRun<'_>,
        owner: &LeaseOwner,
        summary: &mut TopicSummary,
        loaded: FetchState,
        mut pass: Pass,
        outcome: Result<(), FetchError>,
    ) -> Result<(), FetchError> {
        summary.swept = pass.swept;
        summary.skipped = match pass.stop {
            Some(Stop::NoKey(next_key_at)) => Some(SkipReason::NoKeyAvailable { next_key_at }),
            Some(Stop::PageBudget) => Some(SkipReason::PageBudget),
            None => summary.skipped.take(),
        };
        if run.outcome.new > 0 {
            pass.st.last_new_video_at = Some(run.now);
        }
        pass.st.feed_share_pct = feed_share(pass.st.feed_share_pct, run);
        summary.feed_share_pct = pass.st.feed_share_pct;
        let st = match &outcome {
            Ok(()) => {
                let mut st = pass.st;
                st.last_success_at = Some(run.now);
                st.last_error = None;
                st.last_error_kind = None;
                summary.watermark = st.watermark;
                summary.backfill_pages_left = st.backfill.map(|b| b.pages_left);
                run.tally_into(summary);
                st.last_summary = serde_json::to_value(&*summary).ok();
                st
            }
            Err(e) => FetchState {
                last_run_at: Some(run.now),
                last_error: Some(redact(&e.to_string())),
                last_error_kind: Some(e.kind().to_owned()),
                last_new_video_at: pass.st.last_new_video_at,
                ..loaded
            },
        };
        match outcome {
            Ok(()) => Ok(self.state.save(run.topic, owner, &st).await?),
            Err(e) => {
                summary.watermark = st.watermark;
                if let Err(save_err) = self.state.save(run.topic, owner, &st).await {
                    warn!(target: "tubefeed::fetch", error = %save_err, "could not record the failure");
                }
                Err(e)
            }
        }
    }
}

/// Heads that found fewer videos than this say too little about the feeds' share to move it.
const FEED_SHARE_MIN_SAMPLE: usize = 5;

/// The feeds' share of what heads find, as a moving average (half the weight on this head,
/// as the topic's pace is).
fn feed_share(prev: Option<u8>, run: &TopicRun<'_>) -> Option<u8> {
    if run.head_found < FEED_SHARE_MIN_SAMPLE {
        return prev;
    }
    let now = (run.head_known * 100 / run.head_found).min(100) as u32;
    let avg = match prev {
        Some(p) => (u32::from(p) + now).div_ceil(2),
        None => now,
    };
    u8::try_from(avg.min(100)).ok()
}
