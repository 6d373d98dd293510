//! API keys: secret values, their public fingerprints, and the ring that hands them out.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::budget::{PollPrice, RunBudget};
use crate::quota::{
    KeyMarks, Layout, Learned, Pool, ProjectId, ProjectName, ProjectUse, RestReason,
    layout_version, rate_limit_rest, surprise,
};

/// A YouTube API key, and the Google Cloud project it bills when the operator said which (see
/// [`crate::quota`]). The value is only reachable through [`ApiKey::expose`], which the
/// YouTube adapter calls when building a request; `Debug` prints the fingerprint.
#[derive(Clone)]
pub struct ApiKey {
    secret: SecretString,
    fingerprint: Fingerprint,
    project: Option<ProjectName>,
    daily_calls: Option<u32>,
}

impl ApiKey {
    pub fn new(value: &str) -> Self {
        let value = value.trim();
        Self {
            fingerprint: Fingerprint::of(value),
            secret: SecretString::from(value.to_owned()),
            project: None,
            daily_calls: None,
        }
    }
    /// The same key, billing `project`, whose daily search calls are `daily_calls` when given.
    pub fn in_project(self, project: ProjectName, daily_calls: Option<u32>) -> Self {
        Self {
            project: Some(project),
            daily_calls,
            ..self
        }
    }
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }
    pub fn project(&self) -> Option<&ProjectName> {
        self.project.as_ref()
    }
    pub fn daily_calls(&self) -> Option<u32> {
        self.daily_calls
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.project {
            Some(p) => write!(f, "ApiKey({} in {p})", self.fingerprint),
            None => write!(f, "ApiKey({})", self.fingerprint),
        }
    }
}

/// A short, non-reversible name for a key: the first 12 hex digits of its SHA-256. 48 bits
/// tell a handful of keys apart without helping anyone guess the 39-character original.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(value: &str) -> Self {
        let digest = Sha256::digest(value.as_bytes());
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        Self(format!("key-{hex}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Rebuilds a fingerprint read back from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

    /// Closes a run that spent `paced_calls` pages of its allowance (borrowed ones included).
    fn close_run(
        &self,
        _paced_calls: u32,
        _now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), KeyRingError>> + Send {
        async { Ok(()) }
    }
}

/// The next midnight in America/Los_Angeles strictly after `now`, when YouTube resets quotas.
/// Computed on the local calendar so it is right on both daylight-saving change days (23- and
/// 25-hour days).
pub fn next_pacific_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let local_date = now.with_timezone(&Los_Angeles).date_naive();
    let next_date = local_date
        .checked_add_days(Days::new(1))
        .unwrap_or(local_date);
    let midnight = next_date.and_time(NaiveTime::MIN);
    // Midnight exists on every US DST change day (changes happen at 02:00), but stay total.
    Los_Angeles
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| now + chrono::Duration::hours(24))
}

/// The Pacific calendar day a call is counted in, as `YYYY-MM-DD`.
pub fn pacific_day(now: DateTime<Utc>) -> String {
    now.with_timezone(&Los_Angeles)
        .format("%Y-%m-%d")
        .to_string()
}

#[derive(Debug, Default)]
struct StaticState {
    day: String,
    uses: std::collections::HashMap<ProjectId, ProjectUse>,
    marks: std::collections::HashMap<Fingerprint, KeyMarks>,
    learned: Learned,
}

/// A process-local ring with the same rules as the shared one (projects, rests, learning),
/// without its budget planner: exact for one process, used by tests. Deployed fetchers share
/// key state through the table instead.
#[derive(Debug)]
pub struct StaticKeyRing {
    daily_calls_per_project: u32,
    keys: Vec<ApiKey>,
    state: Mutex<StaticState>,
}

impl StaticKeyRing {
    /// `daily_calls_per_project`: the size of a project's bucket when its keys do not say.
    pub fn new(keys: Vec<ApiKey>, daily_calls_per_project: u32) -> Self {
        Self {
            daily_calls_per_project,
            keys: crate::key_source::dedup_keys(keys),
            state: Mutex::new(StaticState::default()),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn fingerprint_hides_the_key() {
        let k = ApiKey::new("AIzaSyA-very-secret-value-1234567890abc");
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(dbg.starts_with("ApiKey(key-"));
        assert_eq!(k.fingerprint().as_str().len(), "key-".len() + 12);
        assert_ne!(Fingerprint::of("a"), Fingerprint::of("b"));
    }

    #[test]
    fn reset_is_next_la_midnight_across_dst() {
        // Ordinary winter day: PST = UTC-8.
        assert_eq!(
            next_pacific_midnight(utc("2026-01-15T12:00:00Z")),
            utc("2026-01-16T08:00:00Z")
        );
        // Spring forward (2026-03-08, a 23-hour day): midnight of the 9th is PDT = UTC-7.
        assert_eq!(
            next_pacific_midnight(utc("2026-03-08T09:30:00Z")),
            utc("2026-03-09T07:00:00Z")
        );
        // Just before the local midnight that starts the change day (still PST).
        assert_eq!(
            next_pacific_midnight(utc("2026-03-08T07:59:59Z")),
            utc("2026-03-08T08:00:00Z")
        );
        // Fall back (2026-11-01, a 25-hour day): midnight of the 2nd is PST = UTC-8.
        assert_eq!(
            next_pacific_midnight(utc("2026-11-01T08:00:00Z")),
            utc("2026-11-02T08:00:00Z")
        );
        assert_eq!(
            next_pacific_midnight(utc("2026-11-01T06:59:59Z")),
            utc("2026-11-01T07:00:00Z")
        );
        // Exactly at midnight the next reset is a day later.
        assert_eq!(
            next_pacific_midnight(utc("2026-07-01T07:00:00Z")),
            utc("2026-07-02T07:00:00Z")
        );
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
