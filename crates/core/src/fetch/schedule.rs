//! Which topics a run polls, in what order, and what the others are told.
//!
//! When the allowance cannot cover every topic that is due, the ones that waited longest
//! (waiting time × weight) are polled first, as many as the bank holds; the others are carried
//! to the next run (`paced`). So with `T` topics a topic of weight `w` is polled about every
//! `Σw × calls per poll / (w × calls per second the pool allows)`, however large `T` is. While
//! calls are rationed, a topic polled too recently to fill much of a page is `not_due`.

use chrono::{DateTime, Duration, Utc};

use super::meter::CALLS_PER_TOPIC_POLL;
use super::pace::{min_interval, scale};
use super::{FetchSettings, SkipReason, TopicSummary};
use crate::budget::{PollPrice, RunBudget};
use crate::store::FetchState;

/// What the planner is told one run's polls cost: a poll of one topic is one call (the head,
/// with the late sweep folded into the same page when it fits; busy topics pay more, and
/// borrow for bursts).
pub(super) fn poll_price(weights: impl Iterator<Item = u32>) -> PollPrice {
    let total = weights.map(|w| w.max(1)).fold(0u32, u32::saturating_add);
    PollPrice {
        start: CALLS_PER_TOPIC_POLL,
        cycle: total.saturating_mul(CALLS_PER_TOPIC_POLL).max(1),
    }
}

/// The pool's pace as one run sees it.
pub(super) struct Pace {
    /// How much the rationing rules apply to polls (0 = poll every topic every run).
    rationing: f64,
    /// How often the pool can afford a poll of every topic (seconds).
    cycle_interval: Option<u64>,
    schedule_seconds: u64,
    price: PollPrice,
}

impl Pace {
    pub fn of(budget: &RunBudget, price: PollPrice) -> Self {
        let report = budget.report.as_ref();
        Self {
            rationing: f64::from(budget.rationing_pct.min(100)) / 100.0,
            cycle_interval: report.and_then(|r| r.effective_interval_seconds),
            schedule_seconds: report.map_or(0, |r| r.schedule_seconds),
            price,
        }
    }

    pub fn cycle_interval(&self) -> Option<u64> {
        self.cycle_interval
    }

    /// Fills in the topic's lag and interval and says how urgent it is: `Some(weighted wait)`
    /// when it is due, `None` when it is not (its summary then says until when).
    pub fn urgency(
        &self,
        s: &FetchSettings,
        st: &FetchState,
        weight: u32,
        now: DateTime<Utc>,
        out: &mut TopicSummary,
    ) -> Option<f64> {
        let waited = st.last_run_at.map(|t| (now - t).max(Duration::zero()));
        out.lag_seconds = waited.map(|d| u64::try_from(d.num_seconds()).unwrap_or(0));
        // A topic that fills little of a page waits, when calls are rationed, until it would
        // (or until the early sweep's delay): a call per poll then buys more videos, and the
        // calls saved go to the topics that need them. The wait shrinks with the rationing.
        // A topic whose new videos mostly arrive through channel feeds needs search less:
        // while calls are rationed it waits longer and yields to topics that need them.
        let need = st.search_need();
        let floor = scale(min_interval(s, st.videos_per_hour), self.rationing);
        let floor = if self.rationing > 0.0 {
            Duration::milliseconds((floor.num_milliseconds() as f64 / need) as i64)
        } else {
            floor
        };
        let floor_secs = u64::try_from(floor.num_seconds()).unwrap_or(0);
        out.interval_seconds = self.cycle_interval.map(|c| {
            (c / u64::from(weight))
                .max(floor_secs)
                .max(self.schedule_seconds)
        });
        match waited {
            Some(d) if d < floor && st.gap.is_none() => {
                out.skipped = Some(SkipReason::NotDue {
                    next_poll_at: now + (floor - d),
                });
                None
            }
            Some(d) => Some(d.num_milliseconds() as f64 * f64::from(weight) * need),
            None => Some(f64::INFINITY),
        }
    }

    /// Tells the topics beyond the first `chosen` of `due` when their turn comes: they are
    /// polled in this order as the bank refills.
    pub fn carry_over(
        &self,
        due: &[usize],
        chosen: usize,
        now: DateTime<Utc>,
        out: &mut [TopicSummary],
    ) {
        let secs_per_poll = self
            .cycle_interval
            .map(|c| c as f64 / f64::from(self.price.cycle));
        for (rank, i) in due.iter().enumerate().skip(chosen) {
            let ahead = (rank - chosen + 1) as f64;
            let next_poll_at = secs_per_poll.map_or(now, |s| {
                now + Duration::milliseconds((ahead * s * 1000.0).ceil() as i64)
            });
            out[*i].skipped = Some(SkipReason::Paced { next_poll_at });
        }
    }
}

/// Longest (weighted) wait first; the configured order breaks ties.
pub(super) fn by_urgency(mut due: Vec<(usize, f64)>) -> Vec<usize> {
    due.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    due.into_iter().map(|(i, _)| i).collect()
}

/// How many of `due` topics the paced allowance polls now (at least one: a run that may start
/// polls someone).
pub(super) fn affordable(budget: &RunBudget, due: usize) -> usize {
    let polls = usize::try_from(budget.paced / CALLS_PER_TOPIC_POLL).unwrap_or(usize::MAX);
    due.min(polls.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn pace(rationing_pct: u8) -> Pace {
        let budget = RunBudget {
            rationing_pct,
            ..RunBudget::unlimited()
        };
        Pace::of(&budget, poll_price([1, 1].into_iter()))
    }

    /// Two topics that waited as long; the one whose new videos feeds mostly bring first is
    /// less urgent, and while calls are rationed it also waits longer between polls.
    #[test]
    fn a_topic_the_feeds_cover_yields_to_one_they_do_not() {
        let s = FetchSettings::default();
        let now = t("2026-12-01T12:00:00Z");
        let bare = FetchState {
            last_run_at: Some(now - Duration::minutes(6)),
            videos_per_hour: Some(60),
            ..FetchState::default()
        };
        let covered = FetchState {
            feed_share_pct: Some(90),
            ..bare.clone()
        };
        let mut out = TopicSummary::default();
        let rationed = pace(100);
        let u_bare = rationed.urgency(&s, &bare, 1, now, &mut out);
        let u_covered = rationed.urgency(&s, &covered, 1, now, &mut out);
        assert!(u_bare.is_some(), "due after 6 minutes at 60 an hour");
        // Covered 90 %: search need is floored at a fifth, so the wait that made the bare
        // topic due (5 minutes) is 25 minutes for it.
        assert_eq!(u_covered, None, "{out:?}");
        let later = now + Duration::minutes(20);
        let u_bare = rationed.urgency(&s, &bare, 1, later, &mut out).unwrap();
        let u_covered = rationed.urgency(&s, &covered, 1, later, &mut out).unwrap();
        assert!(
            (u_covered / u_bare - 0.2).abs() < 1e-9,
            "{u_covered} vs {u_bare}"
        );
        // With an ample pool every topic is polled every run, covered or not.
        let ample = pace(0);
        assert!(ample.urgency(&s, &covered, 1, now, &mut out).is_some());
    }
}
