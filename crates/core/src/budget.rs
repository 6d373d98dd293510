//! The daily budget planner: how many `search.list` calls one run may spend so that the pool's
//! day lasts until YouTube's reset, while a burst of new videos can still be read at once.
//!
//! The pool's budget is `daily_calls_per_key × usable keys`; what is left of it today, `R`, is
//! spread evenly over the time left until midnight Pacific, `T`: calls accrue in a bank at
//! `R / T` per second (a token bucket; the adapter keeps it in the shared table, so every run
//! and every concurrent invocation draws on the same bank). A run starts only when the bank
//! holds one whole *poll* (a head call, plus a late-sweep call when sweeps are on, for every
//! topic); a run that cannot start spends nothing and leaves its share in the bank for the next.
//! A run may *borrow* a bounded number of calls beyond the bank for the head of a burst; the
//! bank goes negative and the following runs repay it by waiting. Because the rate is
//! recomputed from what is actually left, an early burst slows the rest of the day down a
//! little instead of starving its last hours.
//!
//! How much to ration depends on how the pool compares with the schedule: a pool that accrues
//! at least [`AMPLE_POLLS_PER_RUN`] polls of every topic per scheduled run is *ample* — every run
//! polls every topic, the bank holds a few runs' worth (so a backfill or a burst reads up to
//! `FETCH_MAX_PAGES_PER_TOPIC` pages at once) and the fetcher's waits for a fuller page are off.
//! At or below [`SCARCE_POLLS_PER_RUN`] the rules above apply in full; in between they apply in
//! proportion ([`RunBudget::rationing_pct`]), so a shrinking pool never meets a cliff.
//!
//! Pure: no clock, no I/O. The key ring adapter feeds it the pool's state and stores the bank.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::pacific::next_pacific_midnight;
pub use crate::quota::PoolView;
use crate::quota::ProjectReport;

/// Each scheduled run accrues at least this many polls of every topic: ample, no rationing.
/// The quarter to spare pays for the burst, sweep and backfill pages beyond one poll.
pub const AMPLE_POLLS_PER_RUN: f64 = 1.25;

/// At or below this many polls of every topic per run, calls are rationed in full.
pub const SCARCE_POLLS_PER_RUN: f64 = 0.5;

/// What a poll of a busy topic costs when its late sweeps run separately: the head and the two
/// sweeps (see [`crate::fetch`]). Sweeps run every run only when the pool affords that.
pub const CALLS_PER_SWEEPING_POLL: f64 = 3.0;

/// How much of the rationing rules apply, in percent: 0 when the pool accrues
/// [`AMPLE_POLLS_PER_RUN`] or more polls of every topic per scheduled run, 100 at
/// [`SCARCE_POLLS_PER_RUN`] or fewer, linear in between.
pub fn rationing_pct(polls_per_run: f64) -> u8 {
    let r = (AMPLE_POLLS_PER_RUN - polls_per_run) / (AMPLE_POLLS_PER_RUN - SCARCE_POLLS_PER_RUN);
    (r.clamp(0.0, 1.0) * 100.0).round() as u8
}

/// The knobs of the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetPolicy {
    /// A project's daily bucket for `search.list` when its keys do not say
    /// (`YOUTUBE_DAILY_CALLS_PER_KEY`; a key naming no project is a project of its own).
    pub daily_calls_per_key: u32,
    /// At most this many calls may be borrowed by one run to finish a burst.
    pub max_borrow: u32,
    /// The bank holds at most this many polls (or, when the pool is ample, this many runs'
    /// accrual): a quiet hour must not fund a flood later.
    pub bank_polls: u32,
    /// How often the schedule starts a run (`FETCH_SCHEDULE`, the template's `FetchSchedule`).
    pub schedule: chrono::Duration,
}

impl BudgetPolicy {
    pub fn new(daily_calls_per_key: u32) -> Self {
        Self {
            daily_calls_per_key,
            // Ten pages are 500 videos: YouTube's result cap for one query.
            max_borrow: 10,
            bank_polls: 3,
            schedule: chrono::Duration::minutes(1),
        }
    }

    /// The same policy for runs every `schedule`.
    pub fn with_schedule(self, schedule: chrono::Duration) -> Self {
        Self { schedule, ..self }
    }
}

/// The shared bank of paced calls.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Bank {
    /// Calls banked; negative while a borrow is being repaid.
    pub tokens: f64,
    /// When `tokens` was last brought up to date; `None` before the first run.
    pub at: Option<DateTime<Utc>>,
}

/// What a run is told, and what `tubefeed fetch` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetReport {
    pub keys_total: u32,
    pub keys_usable: u32,
    pub calls_left_today: u64,
    /// Calls one poll of every topic costs (per topic: the head, with the late sweep folded in
    /// when it fits; weighted topics count weight times).
    pub calls_per_poll: u32,
    /// How often the pool can afford a poll of every topic for the rest of today at the planned
    /// pace (a topic of weight `w` is polled `w` times as often); `None` when nothing is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_interval_seconds: Option<u64>,
    /// Paced calls this run may spend.
    pub allowance: u32,
    /// Extra calls the head of a burst may borrow.
    pub borrow: u32,
    /// Whole calls in the bank after this run's refill, before its spending (negative while a
    /// borrow is repaid).
    pub bank: i64,
    pub next_reset: DateTime<Utc>,
    /// How often the schedule runs the fetcher.
    pub schedule_seconds: u64,
    /// How much of the rationing rules apply: 0 when the pool is ample (see [`rationing_pct`]).
    pub rationing_pct: u8,
    /// The same for separate late sweeps (ample when a run affords a head and two sweeps for
    /// every topic, [`CALLS_PER_SWEEPING_POLL`]).
    pub sweep_rationing_pct: u8,
    /// Each Google Cloud project's calls (names only, never key values).
    pub projects: Vec<ProjectReport>,
}

/// What one run may spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBudget {
    /// Calls at the planned pace (gap, head and late sweep).
    pub paced: u32,
    /// Calls a run may take beyond `paced` to finish reading a burst (the late sweep only
    /// borrows once the paced allowance let it start).
    pub borrow: u32,
    /// `Some(t)`: the bank does not hold a poll yet; the run spends nothing, and `t` is when it
    /// will at today's pace.
    pub wait_until: Option<DateTime<Utc>>,
    /// How much of the rationing rules apply (0 = poll every topic every run, 100 = issue 10's
    /// rules in full); see [`rationing_pct`].
    pub rationing_pct: u8,
    /// The same for separate late sweeps.
    pub sweep_rationing_pct: u8,
    pub report: Option<BudgetReport>,
}

impl RunBudget {
    /// No planner: a run spends what it needs (process-local rings, tests).
    pub fn unlimited() -> Self {
        Self {
            paced: u32::MAX,
            borrow: 0,
            wait_until: None,
            rationing_pct: 0,
            sweep_rationing_pct: 0,
            report: None,
        }
    }
}

/// What a run's polls cost, for the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPrice {
    /// The least a run can usefully spend: one topic's poll. A run starts once the bank holds
    /// this much, and polls as many topics as the bank covers (the scheduler in
    /// [`crate::fetch`] picks the ones that waited longest), so a pool too small to poll every
    /// topic at once polls them in turn instead of none at all.
    pub start: u32,
    /// One poll of every topic (weighted): what the reported interval is computed from and
    /// what the bank's cap is counted in.
    pub cycle: u32,
}

impl PollPrice {
    /// Every run polls every topic: `start` = `cycle`.
    pub fn whole(calls: u32) -> Self {
        Self {
            start: calls,
            cycle: calls,
        }
    }
}

/// Refills the bank for `now` and decides this run's allowance, for runs that poll every topic
/// together. See [`plan_run`].
pub fn plan(
    policy: &BudgetPolicy,
    pool: &PoolView,
    bank: Bank,
    calls_per_poll: u32,
    now: DateTime<Utc>,
) -> (RunBudget, Bank) {
    plan_run(policy, pool, bank, PollPrice::whole(calls_per_poll), now)
}

/// Refills the bank for `now` and decides this run's allowance. Returns the plan and the bank to
/// store (the run's spending is subtracted from it afterwards).
pub fn plan_run(
    policy: &BudgetPolicy,
    pool: &PoolView,
    bank: Bank,
    poll: PollPrice,
    now: DateTime<Utc>,
) -> (RunBudget, Bank) {
    let day = DayRate::of(policy, pool, poll, now);
    let tokens = day.refill(bank, now);
    let new_bank = Bank {
        tokens,
        at: Some(now),
    };
    let mut budget = RunBudget {
        paced: 0,
        borrow: 0,
        wait_until: None,
        rationing_pct: day.rationing,
        sweep_rationing_pct: day.sweep_rationing,
        report: None,
    };
    let mut report = day.report(pool, tokens);
    if day.left == 0 {
        // Nothing to pace: let the run ask the ring, which ends it quietly with the time the
        // next key comes back (and spends nothing).
        budget.paced = day.price;
    } else if tokens + 1e-9 < f64::from(day.start) {
        let missing = f64::from(day.start) - tokens;
        let wait = chrono::Duration::milliseconds((missing / day.rate * 1000.0).ceil() as i64);
        budget.wait_until = Some((now + wait).min(day.reset));
    } else {
        budget.paced = (tokens + 1e-9).floor().min(day.left as f64) as u32;
        // A quarter of what remains at most, so a burst late in the day cannot take the rest.
        budget.borrow = policy.max_borrow.min(
            u32::try_from(day.left.saturating_sub(u64::from(budget.paced)) / 4).unwrap_or(u32::MAX),
        );
        report.allowance = budget.paced;
        report.borrow = budget.borrow;
    }
    budget.report = Some(report);
    (budget, new_bank)
}

/// The day's arithmetic at `now`: how fast the pool may be spent until the reset, and how
/// scarce that makes a run's calls.
struct DayRate {
    reset: DateTime<Utc>,
    /// Calls left today in the whole pool.
    left: u64,
    /// One poll of every topic, and the least a run may start with.
    price: u32,
    start: u32,
    /// Calls per second that spend the pool evenly until the reset.
    rate: f64,
    schedule_secs: f64,
    rationing: u8,
    sweep_rationing: u8,
    /// The most the bank may hold: `bank_polls` polls, or runs' worth when a run buys more.
    cap: f64,
}

impl DayRate {
    fn of(policy: &BudgetPolicy, pool: &PoolView, poll: PollPrice, now: DateTime<Utc>) -> Self {
        let reset = next_pacific_midnight(now);
        let secs_left = (reset - now).num_milliseconds().max(1_000) as f64 / 1000.0;
        let left = pool.calls_left_today;
        let price = poll.cycle.max(1);
        let rate = left as f64 / secs_left;
        let schedule_secs = policy.schedule.num_milliseconds().max(1_000) as f64 / 1000.0;
        // What one scheduled run's worth of the pool buys, in polls of every topic.
        let per_run = rate * schedule_secs;
        let polls_per_run = per_run / f64::from(price);
        Self {
            reset,
            left,
            price,
            start: poll.start.clamp(1, price),
            rate,
            schedule_secs,
            rationing: rationing_pct(polls_per_run),
            sweep_rationing: rationing_pct(polls_per_run / CALLS_PER_SWEEPING_POLL),
            cap: (left as f64)
                .min(f64::from(price).max(per_run) * f64::from(policy.bank_polls.max(1))),
        }
    }

    /// The bank at `now`: what accrued since it was last stored, up to the cap.
    fn refill(&self, bank: Bank, now: DateTime<Utc>) -> f64 {
        let left = self.left as f64;
        match bank.at {
            // The first run may poll at once: every topic, if a quarter of the day's budget
            // covers them (the first topics in turn otherwise) — and, as the pool grows ample,
            // up to a full bank, so a first backfill is not throttled.
            None => {
                let scarce = f64::from(self.rationing) / 100.0;
                let want = f64::from(self.price) * scarce + self.cap * (1.0 - scarce);
                f64::from(self.start).max(want.min(left / 4.0)).min(left)
            }
            Some(at) => {
                let elapsed = (now - at).num_milliseconds().max(0) as f64 / 1000.0;
                (bank.tokens + self.rate * elapsed).min(self.cap)
            }
        }
    }

    fn report(&self, pool: &PoolView, tokens: f64) -> BudgetReport {
        let price = f64::from(self.price);
        BudgetReport {
            keys_total: pool.keys_total,
            keys_usable: pool.keys_usable,
            calls_left_today: self.left,
            calls_per_poll: self.price,
            effective_interval_seconds: (self.rate > 0.0)
                .then(|| (price / self.rate).ceil().min(86_400.0 * 2.0) as u64),
            allowance: 0,
            borrow: 0,
            bank: tokens.floor() as i64,
            next_reset: self.reset,
            schedule_seconds: self.schedule_secs.round() as u64,
            rationing_pct: self.rationing,
            sweep_rationing_pct: self.sweep_rationing,
            projects: pool.projects.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    struct Day {
        spent: u64,
        spent_by_hour: [u64; 25],
        runs: u32,
        skipped: u32,
    }

    /// Simulates a Pacific day of scheduled runs every `every` seconds with `keys` keys. Each
    /// run wants one poll (`price` calls); at the given minutes a burst wants `burst` pages of
    /// head instead of one.
    fn simulate(
        keys: u32,
        price: u32,
        every: i64,
        bursts: &[(i64, u32)],
        start: DateTime<Utc>,
    ) -> Day {
        let policy = BudgetPolicy::new(100);
        let budget = u64::from(keys) * 100;
        let reset = next_pacific_midnight(start);
        let mut bank = Bank::default();
        let mut day = Day {
            spent: 0,
            spent_by_hour: [0; 25],
            runs: 0,
            skipped: 0,
        };
        let mut now = start;
        while now < reset {
            let pool = PoolView {
                keys_total: keys,
                keys_usable: keys,
                calls_left_today: budget - day.spent,
                ..Default::default()
            };
            let (b, mut stored) = plan(&policy, &pool, bank, price, now);
            let minute = (now - start).num_minutes();
            let burst = bursts.iter().find(|(m, _)| *m == minute).map(|(_, p)| *p);
            let spent = if b.wait_until.is_some() || pool.calls_left_today == 0 {
                day.skipped += 1;
                0
            } else {
                day.runs += 1;
                // Head pages (may borrow), then the sweep from what is left of the paced part.
                let head_want = burst.unwrap_or(1);
                let head = head_want.min(b.paced + b.borrow);
                let sweep = (price - 1).min(b.paced.saturating_sub(head));
                head + sweep
            };
            stored.tokens -= f64::from(spent);
            bank = stored;
            day.spent += u64::from(spent);
            let hour = (now - start).num_hours() as usize;
            day.spent_by_hour[hour.min(24)] += u64::from(spent);
            assert!(day.spent <= budget, "above budget at {now}");
            now += chrono::Duration::seconds(every);
        }
        day
    }

    #[test]
    fn never_above_budget_and_the_last_hours_are_not_starved() {
        let start = utc("2026-01-15T08:00:00Z"); // midnight PST
        for keys in [1u32, 5, 20] {
            let d = simulate(keys, 2, 60, &[], start);
            let budget = u64::from(keys) * 100;
            assert!(d.spent <= budget);
            // Spread: most of the budget is used, and the last three hours get their share.
            assert!(
                d.spent * 100 >= budget * 90,
                "{keys} keys spent {}",
                d.spent
            );
            let last3: u64 = d.spent_by_hour[21..24].iter().sum();
            let fair = budget * 3 / 24;
            assert!(
                last3 * 10 >= fair * 7,
                "{keys} keys: last 3 h got {last3}, fair share {fair}"
            );
            // No hour gets more than twice its fair share.
            for (h, s) in d.spent_by_hour.iter().enumerate().take(24) {
                assert!(*s <= 2 * budget / 24 + 4, "{keys} keys: hour {h} spent {s}");
            }
        }
    }

    #[test]
    fn a_burst_finishes_in_one_run_and_the_day_still_lasts() {
        let start = utc("2026-01-15T08:00:00Z");
        assert_eq!(
            simulate_burst_at_next_run(start),
            0,
            "pages of the burst left unread by the run that met it"
        );
        // Bursts of 8 pages at 10:00 and 16:00 local (1 key): still within budget, and the last
        // two hours still poll.
        let d = simulate(1, 2, 60, &[(600, 8), (960, 8)], start);
        assert!(d.spent <= 100);
        let last2: u64 = d.spent_by_hour[22..24].iter().sum();
        assert!(last2 >= 4, "the last two hours still poll: {last2}");
        assert!(d.runs >= 40 && d.skipped > d.runs, "{} runs", d.runs);
    }

    /// Runs a 1-key day with one poll a minute and gives the first run after 10:00 a burst of
    /// 8 pages; returns how many pages that run could not read.
    fn simulate_burst_at_next_run(start: DateTime<Utc>) -> u32 {
        let policy = BudgetPolicy::new(100);
        let mut bank = Bank::default();
        let mut spent = 0u64;
        let mut now = start;
        let mut burst_pending = false;
        let burst_at = start + chrono::Duration::hours(10);
        while now < next_pacific_midnight(start) {
            if now == burst_at {
                burst_pending = true;
            }
            let pool = PoolView {
                keys_total: 1,
                keys_usable: 1,
                calls_left_today: 100 - spent,
                ..Default::default()
            };
            let (b, mut stored) = plan(&policy, &pool, bank, 2, now);
            if b.wait_until.is_none() {
                let want = if burst_pending { 8 } else { 1 };
                let head = want.min(b.paced + b.borrow);
                if burst_pending {
                    return want - head;
                }
                let used = head + 1u32.min(b.paced.saturating_sub(head));
                stored.tokens -= f64::from(used);
                spent += u64::from(used);
            }
            bank = stored;
            now += chrono::Duration::seconds(60);
        }
        panic!("no run after the burst")
    }

    #[test]
    fn skipped_runs_bank_calls_and_the_bank_is_capped() {
        let policy = BudgetPolicy::new(100);
        let pool = PoolView {
            keys_total: 1,
            keys_usable: 1,
            calls_left_today: 100,
            ..Default::default()
        };
        let t = Utc.with_ymd_and_hms(2026, 1, 15, 8, 0, 0).unwrap();
        let (first, bank) = plan(&policy, &pool, Bank::default(), 2, t);
        assert_eq!(first.paced, 2, "the first run polls at once");
        // 100 calls over 24 h: a 2-call poll every 28.8 min.
        assert_eq!(
            first.report.as_ref().unwrap().effective_interval_seconds,
            Some(1728)
        );
        // It spent its poll; a minute later the bank holds less than a poll.
        let bank = Bank {
            tokens: bank.tokens - 2.0,
            ..bank
        };
        let (b, bank2) = plan(&policy, &pool, bank, 2, t + chrono::Duration::minutes(1));
        let wait = b.wait_until.expect("waits");
        let waited = (wait - t).num_seconds();
        assert!((1726..=1729).contains(&waited), "{waited}");
        // Six idle hours bank at most three polls.
        let (b, _) = plan(&policy, &pool, bank2, 2, t + chrono::Duration::hours(6));
        assert_eq!(b.paced, 6);
    }

    #[test]
    fn nothing_left_lets_the_ring_say_so() {
        let policy = BudgetPolicy::new(100);
        let pool = PoolView {
            keys_total: 2,
            keys_usable: 2,
            calls_left_today: 0,
            ..Default::default()
        };
        let (b, _) = plan(
            &policy,
            &pool,
            Bank::default(),
            2,
            utc("2026-01-15T20:00:00Z"),
        );
        assert!(b.wait_until.is_none());
        assert_eq!(b.borrow, 0);
        assert_eq!(b.report.unwrap().effective_interval_seconds, None);
    }

    #[test]
    fn the_pace_follows_the_pacific_day_across_dst() {
        let policy = BudgetPolicy::new(100);
        let pool = PoolView {
            keys_total: 1,
            keys_usable: 1,
            calls_left_today: 100,
            ..Default::default()
        };
        // Midnight starting the 23-hour spring-forward day (2026-03-08, PST).
        let (b, _) = plan(
            &policy,
            &pool,
            Bank::default(),
            1,
            utc("2026-03-08T08:00:00Z"),
        );
        let r = b.report.unwrap();
        assert_eq!(r.next_reset, utc("2026-03-09T07:00:00Z"));
        assert_eq!(r.effective_interval_seconds, Some(23 * 36));
        // Midnight starting the 25-hour fall-back day (2026-11-01, PDT).
        let (b, _) = plan(
            &policy,
            &pool,
            Bank::default(),
            1,
            utc("2026-11-01T07:00:00Z"),
        );
        let r = b.report.unwrap();
        assert_eq!(r.next_reset, utc("2026-11-02T08:00:00Z"));
        assert_eq!(r.effective_interval_seconds, Some(25 * 36));
    }

    fn pool(keys: u32, calls_left_today: u64) -> PoolView {
        PoolView {
            keys_total: keys,
            keys_usable: keys,
            calls_left_today,
            ..Default::default()
        }
    }

    #[test]
    fn rationing_goes_smoothly_from_ample_to_scarce() {
        assert_eq!(rationing_pct(10.0), 0);
        assert_eq!(rationing_pct(AMPLE_POLLS_PER_RUN), 0);
        assert_eq!(rationing_pct(SCARCE_POLLS_PER_RUN), 100);
        assert_eq!(rationing_pct(0.01), 100);
        let mid = rationing_pct((AMPLE_POLLS_PER_RUN + SCARCE_POLLS_PER_RUN) / 2.0);
        assert_eq!(mid, 50);
        // No step anywhere: a hundredth of a poll more never moves it by more than 2 points.
        let mut last = rationing_pct(0.0);
        for i in 1..=200 {
            let r = rationing_pct(f64::from(i) / 100.0);
            assert!(last >= r && last - r <= 2, "{last} -> {r} at {i}");
            last = r;
        }
    }

    #[test]
    fn an_ample_pool_polls_every_run_and_banks_runs_not_polls() {
        let policy = BudgetPolicy::new(100_000);
        let t = utc("2026-01-15T20:00:00Z"); // 12:00 PST: 12 hours left
        // 100,000 calls over 12 h: ~139 a minute for one topic of one call.
        let (first, bank) = plan(&policy, &pool(1, 100_000), Bank::default(), 1, t);
        assert_eq!(first.rationing_pct, 0);
        let r = first.report.as_ref().unwrap();
        assert_eq!((r.rationing_pct, r.schedule_seconds), (0, 60));
        // The first run may read a whole backfill: three runs' accrual, not one poll.
        assert_eq!(first.paced, 416, "{first:?}");
        // After spending it all, a run one schedule later polls again.
        let spent = Bank {
            tokens: bank.tokens - f64::from(first.paced),
            ..bank
        };
        let (next, _) = plan(
            &policy,
            &pool(1, 100_000 - 416),
            spent,
            1,
            t + chrono::Duration::minutes(1),
        );
        assert!(next.wait_until.is_none() && next.paced >= 138, "{next:?}");
    }

    #[test]
    fn twenty_keys_and_one_quiet_topic_are_ample_for_a_run_a_minute() {
        let policy = BudgetPolicy::new(100);
        let t = utc("2026-01-15T08:00:00Z"); // midnight PST
        let (b, _) = plan(&policy, &pool(20, 2_000), Bank::default(), 1, t);
        assert_eq!(b.rationing_pct, 0, "2,000 calls a day for 1,440 runs");
        // Sixty topics on the same pool are rationed in full.
        let (b, _) = plan(&policy, &pool(20, 2_000), Bank::default(), 60, t);
        assert_eq!(b.rationing_pct, 100);
        // A run every ten minutes: one key (100 calls for 144 runs, 0.69 polls a run) is partly
        // rationed, two keys are ample.
        let every10 = policy.with_schedule(chrono::Duration::minutes(10));
        let (b, _) = plan(&every10, &pool(1, 100), Bank::default(), 1, t);
        assert_eq!(b.rationing_pct, 74, "(1.25 - 0.69) / 0.75");
        let (b, _) = plan(&every10, &pool(2, 200), Bank::default(), 1, t);
        assert_eq!(b.rationing_pct, 0, "200 calls for 144 runs");
    }

    #[test]
    fn the_scarce_first_run_is_unchanged() {
        let policy = BudgetPolicy::new(100);
        let t = utc("2026-01-15T08:00:00Z");
        let (b, _) = plan(&policy, &pool(1, 100), Bank::default(), 2, t);
        assert_eq!((b.paced, b.rationing_pct), (2, 100));
    }

    #[test]
    fn borrowing_is_bounded() {
        let policy = BudgetPolicy::new(100);
        let t = utc("2026-01-15T20:00:00Z");
        let pool = |left| PoolView {
            keys_total: 1,
            keys_usable: 1,
            calls_left_today: left,
            ..Default::default()
        };
        let (b, _) = plan(&policy, &pool(100), Bank::default(), 2, t);
        assert_eq!((b.paced, b.borrow), (2, 10));
        let (b, _) = plan(&policy, &pool(10), Bank::default(), 2, t);
        assert_eq!((b.paced, b.borrow), (2, 2));
        let (b, _) = plan(&policy, &pool(2), Bank::default(), 2, t);
        assert_eq!(b.paced + b.borrow, 2, "never more than is left");
    }
}
