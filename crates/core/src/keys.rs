//! The key ring: the port that hands out keys and learns from what happened to them, and a
//! process-local ring with the same rules for tests.

use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::budget::{Bank, BudgetPolicy, PollPrice, RunBudget, plan_run};
use crate::key::{ApiKey, Fingerprint};
use crate::pacific::{next_pacific_midnight, pacific_day};
use crate::quota::{
    KeyMarks, Layout, Learned, Pool, ProjectId, ProjectUse, RestReason, layout_version,
    rate_limit_rest, surprise,
};
use crate::units::{UnitUse, pick_pool, unit_pool_of, unit_uses};

/// What one call told us about the key it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    Success,
    /// The key's daily quota is gone: rest it until YouTube's next reset.
    Exhausted,
    /// The key is invalid or its project lacks the API: set it aside until the key list changes.
    Invalid,
    /// Short-term throttling: back off briefly, the key stays usable.
    RateLimited,
}

#[derive(Debug)]
pub enum Acquired {
    /// A key with one call reserved from its budget.
    Key(ApiKey),
    /// No key can be used now; `next_usable_at` is when the earliest one comes back, if any will.
    NoneUsable {
        next_usable_at: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error("no API keys configured")]
    NoKeys,
    #[error("key state store failed: {0}")]
    Store(String),
    /// The key list could not be read (the message names the variable or secret, never a key).
    #[error("{0}")]
    Source(#[from] crate::key_source::KeySourceError),
}

/// Hands out keys and learns from what happened to them.
pub trait KeyRing: Send + Sync {
    /// Picks the usable key with the most budget left and reserves one call on it.
    fn acquire(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Acquired, KeyRingError>> + Send;
    fn report(
        &self,
        key: &Fingerprint,
        outcome: KeyOutcome,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), KeyRingError>> + Send;

    /// Opens a run whose polls cost `price`: what it may spend at the pool's pace (see
    /// [`crate::budget`]). A ring without a shared budget lets every run spend what it needs.
    fn open_run(
        &self,
        _price: PollPrice,
        _now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RunBudget, KeyRingError>> + Send {
        async { Ok(RunBudget::unlimited()) }
    }

    /// A usable key whose project's unit pool can take `units` more today (of `daily_units`),
    /// those units counted; `None` when every pool is spent or refused. See [`crate::units`].
    fn take_units(
        &self,
        units: u32,
        daily_units: u32,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<ApiKey>, KeyRingError>> + Send;

    /// YouTube refused `key` for units: its project's pool is spent until the Pacific reset.
    fn units_refused(
        &self,
        key: &ApiKey,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), KeyRingError>> + Send;

    /// Each pool's units today.
    fn units_today(
        &self,
        daily_units: u32,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<UnitUse>, KeyRingError>> + Send;

    /// Closes a run that spent `paced_calls` pages of its allowance (borrowed ones included).
    fn close_run(
        &self,
        _paced_calls: u32,
        _now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), KeyRingError>> + Send {
        async { Ok(()) }
    }
}

#[derive(Debug, Default)]
struct StaticState {
    day: String,
    uses: std::collections::HashMap<ProjectId, ProjectUse>,
    marks: std::collections::HashMap<Fingerprint, KeyMarks>,
    learned: Learned,
    /// The budget bank, when the ring paces runs.
    bank: Bank,
    /// Unit pools today: units used, refused.
    units: std::collections::HashMap<String, (u32, bool)>,
}

/// A process-local ring with the same rules as the shared one (projects, rests, learning) and,
/// when given a policy, the same budget planner: exact for one process, used by tests.
/// Deployed fetchers share key state through the table instead.
#[derive(Debug)]
pub struct StaticKeyRing {
    daily_calls_per_project: u32,
    keys: Vec<ApiKey>,
    state: Mutex<StaticState>,
    policy: Option<BudgetPolicy>,
}

impl StaticKeyRing {
    /// `daily_calls_per_project`: the size of a project's bucket when its keys do not say.
    pub fn new(keys: Vec<ApiKey>, daily_calls_per_project: u32) -> Self {
        Self {
            daily_calls_per_project,
            keys: crate::key_source::dedup_keys(keys),
            state: Mutex::new(StaticState::default()),
            policy: None,
        }
    }

    /// The same ring, pacing runs with the planner of [`crate::budget`] as the shared ring does.
    pub fn with_budget(self, policy: BudgetPolicy) -> Self {
        Self {
            policy: Some(policy),
            ..self
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, StaticState>, KeyRingError> {
        self.state
            .lock()
            .map_err(|_| KeyRingError::Store("key ring lock poisoned".into()))
    }

    /// The pool as of `now` (a new Pacific day starts every count at zero).
    fn pool(&self, st: &mut StaticState, now: DateTime<Utc>) -> Pool {
        let today = pacific_day(now);
        if st.day != today {
            st.day = today.clone();
            st.uses.clear();
            st.units.clear();
        }
        let version = layout_version(&self.keys, self.daily_calls_per_project);
        let groups = st.learned.in_force(&version, &today);
        Pool {
            layout: Layout::new(&self.keys, self.daily_calls_per_project, &groups),
            uses: st.uses.clone(),
            marks: st.marks.clone(),
            keys: self.keys.iter().map(|k| k.fingerprint().clone()).collect(),
        }
    }

    /// The pool as the planner would see it now (for tests and reports).
    pub fn view(&self, now: DateTime<Utc>) -> Result<crate::budget::PoolView, KeyRingError> {
        let mut st = self.lock()?;
        Ok(self.pool(&mut st, now).view(now))
    }
}

impl KeyRing for StaticKeyRing {
    async fn acquire(&self, now: DateTime<Utc>) -> Result<Acquired, KeyRingError> {
        if self.keys.is_empty() {
            return Err(KeyRingError::NoKeys);
        }
        let mut st = self.lock()?;
        let pool = self.pool(&mut st, now);
        if let Some((fp, project)) = pool.candidates(now).into_iter().next() {
            st.uses.entry(project.id.clone()).or_default().calls_today += 1;
            if let Some(k) = self.keys.iter().find(|k| *k.fingerprint() == fp) {
                return Ok(Acquired::Key(k.clone()));
            }
        }
        Ok(Acquired::NoneUsable {
            next_usable_at: pool.next_usable_at(now),
        })
    }

    async fn report(
        &self,
        key: &Fingerprint,
        outcome: KeyOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), KeyRingError> {
        let mut st = self.lock()?;
        let marks = st.marks.entry(key.clone()).or_default();
        match outcome {
            KeyOutcome::Success => {}
            KeyOutcome::Invalid => marks.invalid = true,
            KeyOutcome::RateLimited => {
                marks.resting_until = Some(now + rate_limit_rest());
                marks.rest_reason = Some(RestReason::RateLimited);
            }
            KeyOutcome::Exhausted => {
                marks.resting_until = Some(next_pacific_midnight(now));
                marks.rest_reason = Some(RestReason::Exhausted);
                let pool = self.pool(&mut st, now);
                if let Some((project, calls)) = surprise(&pool, key) {
                    let version = layout_version(&self.keys, self.daily_calls_per_project);
                    let today = pacific_day(now);
                    st.learned
                        .record_dry(&version, &today, &project.keys, calls);
                }
                if let Some(p) = pool.layout.project_of(key) {
                    st.uses.entry(p.id.clone()).or_default().dry = true;
                }
            }
        }
        Ok(())
    }

    async fn take_units(
        &self,
        units: u32,
        daily_units: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, KeyRingError> {
        if self.keys.is_empty() {
            return Err(KeyRingError::NoKeys);
        }
        let mut st = self.lock()?;
        // Rolls the day over.
        self.pool(&mut st, now);
        let usable = self
            .keys
            .iter()
            .filter(|k| !st.marks.get(k.fingerprint()).is_some_and(|m| m.invalid));
        let picked = pick_pool(usable, units, daily_units, |pool| {
            st.units.get(pool).copied().unwrap_or_default()
        })
        .cloned();
        if let Some(k) = &picked {
            st.units.entry(unit_pool_of(k)).or_default().0 += units;
        }
        Ok(picked)
    }

    async fn units_refused(&self, key: &ApiKey, now: DateTime<Utc>) -> Result<(), KeyRingError> {
        let mut st = self.lock()?;
        self.pool(&mut st, now);
        st.units.entry(unit_pool_of(key)).or_default().1 = true;
        Ok(())
    }

    async fn units_today(
        &self,
        daily_units: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitUse>, KeyRingError> {
        let mut st = self.lock()?;
        self.pool(&mut st, now);
        Ok(unit_uses(&self.keys, daily_units, |pool| {
            st.units.get(pool).copied().unwrap_or_default()
        }))
    }

    async fn open_run(
        &self,
        price: PollPrice,
        now: DateTime<Utc>,
    ) -> Result<RunBudget, KeyRingError> {
        let Some(policy) = &self.policy else {
            return Ok(RunBudget::unlimited());
        };
        let mut st = self.lock()?;
        let view = self.pool(&mut st, now).view(now);
        let (budget, bank) = plan_run(policy, &view, st.bank, price, now);
        st.bank = bank;
        Ok(budget)
    }

    async fn close_run(&self, paced_calls: u32, _now: DateTime<Utc>) -> Result<(), KeyRingError> {
        if self.policy.is_some() {
            self.lock()?.bank.tokens -= f64::from(paced_calls);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[tokio::test]
    async fn static_ring_rotates_and_rests() {
        let a = ApiKey::new("key-a");
        let b = ApiKey::new("key-b");
        let ring = StaticKeyRing::new(vec![a.clone(), b.clone()], 2);
        let now = utc("2026-01-15T12:00:00Z");
        let Acquired::Key(first) = ring.acquire(now).await.unwrap() else {
            panic!()
        };
        ring.report(first.fingerprint(), KeyOutcome::Exhausted, now)
            .await
            .unwrap();
        let Acquired::Key(second) = ring.acquire(now).await.unwrap() else {
            panic!()
        };
        assert_ne!(first.fingerprint(), second.fingerprint());
        let Acquired::Key(_) = ring.acquire(now).await.unwrap() else {
            panic!()
        };
        match ring.acquire(now).await.unwrap() {
            Acquired::NoneUsable { next_usable_at } => {
                assert_eq!(next_usable_at, Some(utc("2026-01-16T08:00:00Z")))
            }
            Acquired::Key(k) => panic!("got {k:?}"),
        }
        // After the reset both come back, the rested one included.
        let after = utc("2026-01-16T08:00:01Z");
        let mut back = Vec::new();
        for _ in 0..2 {
            match ring.acquire(after).await.unwrap() {
                Acquired::Key(k) => back.push(k.fingerprint().clone()),
                other => panic!("{other:?}"),
            }
        }
        back.sort();
        let mut both = vec![a.fingerprint().clone(), b.fingerprint().clone()];
        both.sort();
        assert_eq!(back, both);
    }
}
