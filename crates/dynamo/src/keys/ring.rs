//! The key ring of deployed fetchers: keys from a [`KeySource`], their state in the table.

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};
use tubefeed_core::budget::{BudgetPolicy, PollPrice, RunBudget, plan_run};
use tubefeed_core::key_source::key_list_version;
use tubefeed_core::pacific::{next_pacific_midnight, pacific_day};
use tubefeed_core::quota::{Layout, Pool, layout_version, rate_limit_rest, surprise};
use tubefeed_core::{
    Acquired, ApiKey, Fingerprint, KeyOutcome, KeyPoolCounts, KeyRing, KeyRingError, KeySource,
    KeyState, ProjectReport, StoreError, UnitUse, unit_pool_of, unit_uses,
};

use super::rows::{
    KeyStatus, Partition, REST_EXHAUSTED, REST_RATE_LIMITED, StoredProject, units_sk,
};
use super::writes::{PoolRecord, Reservation, Reserved, store_err};
use crate::DynamoStore;

/// The keys, their pool and the partition it was read from, at one instant.
struct Snapshot {
    keys: Vec<ApiKey>,
    /// Names the key list as a set: invalid marks hold while it stays the same.
    list_version: String,
    /// Names the list with its projects and sizes: what was learned holds while it stays.
    layout_version: String,
    partition: Partition,
    pool: Pool,
}

/// A unit count is kept two days past its own (for `status` across midnight), then the TTL
/// removes it.
fn units_expiry(now: DateTime<Utc>) -> i64 {
    (next_pacific_midnight(now) + chrono::Duration::days(2)).timestamp()
}

/// The key ring of deployed fetchers.
#[derive(Debug)]
pub struct DynamoKeyRing<S> {
    store: DynamoStore,
    source: S,
    policy: BudgetPolicy,
}

impl<S: KeySource> DynamoKeyRing<S> {
    /// `daily_calls_per_project`: a project's bucket when its keys do not say.
    pub fn new(store: DynamoStore, source: S, daily_calls_per_project: u32) -> Self {
        Self {
            store,
            source,
            policy: BudgetPolicy::new(daily_calls_per_project),
        }
    }

    pub fn with_policy(mut self, policy: BudgetPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    pub fn store(&self) -> &DynamoStore {
        &self.store
    }

    fn default_calls(&self) -> u32 {
        self.policy.daily_calls_per_key
    }

    async fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot, KeyRingError> {
        let keys = self.source.load().await?;
        let partition = self.store.key_partition().await.map_err(store_err)?;
        let list_version = key_list_version(&keys);
        let layout_version = layout_version(&keys, self.default_calls());
        let groups = partition
            .pool
            .learned
            .in_force(&layout_version, &pacific_day(now));
        let layout = Layout::new(&keys, self.default_calls(), &groups);
        let pool = partition.pool(&keys, layout, &list_version, now);
        Ok(Snapshot {
            keys,
            list_version,
            layout_version,
            partition,
            pool,
        })
    }

    /// Every key's state, for `tubefeed keys list`.
    pub async fn statuses(&self, now: DateTime<Utc>) -> Result<Vec<KeyStatus>, KeyRingError> {
        let snap = self.snapshot(now).await?;
        let pool = &snap.pool;
        Ok(snap
            .keys
            .iter()
            .filter_map(|k| {
                let fp = k.fingerprint();
                let p = pool.layout.project_of(fp)?;
                let r = pool.report(p);
                Some(KeyStatus {
                    fingerprint: fp.clone(),
                    project: r.project,
                    state: pool.key_state(fp, now),
                    calls_today: r.calls_today,
                    daily_budget: p.planned_calls,
                    next_reset: next_pacific_midnight(now),
                })
            })
            .collect())
    }

    /// Each project's calls, for `tubefeed keys list`.
    pub async fn projects(&self, now: DateTime<Utc>) -> Result<Vec<ProjectReport>, KeyRingError> {
        Ok(self.snapshot(now).await?.pool.view(now).projects)
    }

    /// Reserves a call on the best key whose project can still make one.
    async fn reserve_any(
        &self,
        snap: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, KeyRingError> {
        let today = pacific_day(now);
        for (fp, project) in snap.pool.candidates(now) {
            let key_of = |fp: &Fingerprint| snap.keys.iter().find(|k| k.fingerprint() == fp);
            let mut row = snap
                .partition
                .projects
                .get(&project.id.storage_key())
                .cloned();
            let seed = snap.partition.legacy_seed(project, &today);
            // Retries only happen when another invocation changed this count meanwhile.
            for _ in 0..5 {
                let ask = Reservation {
                    project,
                    row: row.as_ref(),
                    seed,
                    today: &today,
                    now,
                };
                match self.store.reserve(&ask).await? {
                    Reserved::Yes => {
                        debug!(target: "tubefeed::keys", key = %fp, project = %project.id, "call reserved");
                        return Ok(key_of(&fp).cloned());
                    }
                    Reserved::Conflict(current) => {
                        let u = current.use_on(&today);
                        if u.dry || u.calls_today >= project.daily_calls {
                            break;
                        }
                        row = Some(current);
                    }
                }
            }
        }
        Ok(None)
    }

    /// YouTube refused `key` for quota: its project is dry until the reset, and if its count
    /// said calls were left, the ring learns how small the real bucket is.
    async fn exhausted(&self, key: &Fingerprint, now: DateTime<Utc>) -> Result<(), KeyRingError> {
        let until = next_pacific_midnight(now);
        let today = pacific_day(now);
        info!(target: "tubefeed::keys", key = %key, until = %until.to_rfc3339(), "key out of quota; its project rests until the Pacific midnight reset");
        self.store.rest(key, until, REST_EXHAUSTED).await?;
        for _ in 0..5 {
            let snap = self.snapshot(now).await?;
            let Some(project) = snap.pool.layout.project_of(key).cloned() else {
                return Ok(());
            };
            let Some((_, calls)) = surprise(&snap.pool, key) else {
                return self.store.mark_dry(&project, &today).await;
            };
            let mut learned = snap.partition.pool.learned.clone();
            if learned.record_dry(&snap.layout_version, &today, &project.keys, calls) {
                if !self
                    .store
                    .write_learned(&learned, snap.partition.pool.learned_rev)
                    .await?
                {
                    continue;
                }
                warn!(
                    target: "tubefeed::keys",
                    project = %project.id,
                    calls,
                    planned = project.daily_calls,
                    "YouTube refused a key for quota while its project's count said calls were left: \
                     the project is dry today, and its keys are planned as one bucket of the calls \
                     made from tomorrow"
                );
            }
            return self.store.mark_dry(&project, &today).await;
        }
        Err(KeyRingError::Store(
            "what was learned about the quota kept changing under concurrent runs".into(),
        ))
    }
}

impl DynamoStore {
    /// Pool counts for `/health` (what `KeyPoolReader::key_pool` answers), from the table
    /// alone: the last run recorded the key list's fingerprints, version and projects, so the
    /// API needs no access to the keys.
    pub async fn key_pool_counts(&self, now: DateTime<Utc>) -> Result<KeyPoolCounts, StoreError> {
        let partition = self.key_partition().await?;
        let pool = &partition.pool;
        let Some(version) = pool.list_version.clone() else {
            return Ok(KeyPoolCounts::default());
        };
        let today = pacific_day(now);
        let mut counts = KeyPoolCounts::default();
        for p in &pool.layout {
            let row = partition
                .projects
                .get(&p.storage)
                .cloned()
                .unwrap_or_default();
            let u = row.use_on(&today);
            let project_dry = u.dry || u.calls_today >= p.daily_calls;
            for fp in &p.keys {
                counts.total += 1;
                let marks = partition
                    .keys
                    .get(fp.as_str())
                    .map(|k| k.marks(&version))
                    .unwrap_or_default();
                let resting = marks.resting_until.filter(|t| *t > now);
                match (marks.invalid, resting, marks.rest_reason) {
                    (true, _, _) => counts.invalid += 1,
                    (_, Some(_), Some(tubefeed_core::quota::RestReason::RateLimited)) => {
                        counts.rate_limited += 1
                    }
                    (_, Some(_), _) => counts.exhausted += 1,
                    _ if project_dry => counts.exhausted += 1,
                    _ => counts.available += 1,
                }
            }
        }
        Ok(counts)
    }
}

impl<S: KeySource> KeyRing for DynamoKeyRing<S> {
    async fn acquire(&self, now: DateTime<Utc>) -> Result<Acquired, KeyRingError> {
        let snap = self.snapshot(now).await?;
        if snap.keys.is_empty() {
            return Err(KeyRingError::NoKeys);
        }
        if let Some(key) = self.reserve_any(&snap, now).await? {
            return Ok(Acquired::Key(key));
        }
        // Nothing usable: read again, so the time reported reflects what others just did.
        let snap = self.snapshot(now).await?;
        Ok(Acquired::NoneUsable {
            next_usable_at: snap.pool.next_usable_at(now),
        })
    }

    async fn report(
        &self,
        key: &Fingerprint,
        outcome: KeyOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), KeyRingError> {
        match outcome {
            KeyOutcome::Success => Ok(()),
            KeyOutcome::Exhausted => self.exhausted(key, now).await,
            KeyOutcome::RateLimited => {
                let until = now + rate_limit_rest();
                info!(target: "tubefeed::keys", key = %key, until = %until.to_rfc3339(), "key rate-limited; resting briefly");
                self.store.rest(key, until, REST_RATE_LIMITED).await
            }
            KeyOutcome::Invalid => {
                let keys = self.source.load().await?;
                info!(target: "tubefeed::keys", key = %key, "key invalid or API not enabled; set aside until the key list changes");
                self.store.retire(key, &key_list_version(&keys), now).await
            }
        }
    }

    async fn take_units(
        &self,
        units: u32,
        daily_units: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, KeyRingError> {
        let snap = self.snapshot(now).await?;
        if snap.keys.is_empty() {
            return Err(KeyRingError::NoKeys);
        }
        let day = pacific_day(now);
        let ttl = units_expiry(now);
        let usable = snap
            .keys
            .iter()
            .filter(|k| !matches!(snap.pool.key_state(k.fingerprint(), now), KeyState::Invalid));
        let mut tried = std::collections::HashSet::new();
        for key in usable {
            let pool = unit_pool_of(key);
            if !tried.insert(pool.clone()) {
                continue;
            }
            // What the snapshot already shows spent or refused is not asked again: the
            // conditional write would only fail.
            let (used, refused) = snap
                .partition
                .units
                .get(&units_sk(&pool, &day))
                .copied()
                .unwrap_or_default();
            if refused || used.saturating_add(units) > daily_units {
                continue;
            }
            if self
                .store
                .take_units(&pool, &day, units, daily_units, ttl)
                .await?
            {
                return Ok(Some(key.clone()));
            }
        }
        Ok(None)
    }

    async fn units_refused(&self, key: &ApiKey, now: DateTime<Utc>) -> Result<(), KeyRingError> {
        info!(target: "tubefeed::keys", key = %key.fingerprint(), "videos.list refused for units: the key's project has none left until the Pacific midnight reset");
        self.store
            .refuse_units(&unit_pool_of(key), &pacific_day(now), units_expiry(now))
            .await
    }

    async fn units_today(
        &self,
        daily_units: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitUse>, KeyRingError> {
        let snap = self.snapshot(now).await?;
        let day = pacific_day(now);
        Ok(unit_uses(&snap.keys, daily_units, |pool| {
            snap.partition
                .units
                .get(&units_sk(pool, &day))
                .copied()
                .unwrap_or_default()
        }))
    }

    async fn open_run(
        &self,
        price: PollPrice,
        now: DateTime<Utc>,
    ) -> Result<RunBudget, KeyRingError> {
        for _ in 0..8 {
            let snap = self.snapshot(now).await?;
            if snap.keys.is_empty() {
                return Err(KeyRingError::NoKeys);
            }
            let view = snap.pool.view(now);
            let bank = snap.partition.pool.bank;
            let (budget, new_bank) = plan_run(&self.policy, &view, bank, price, now);
            let fingerprints: Vec<Fingerprint> =
                snap.keys.iter().map(|k| k.fingerprint().clone()).collect();
            let layout: Vec<StoredProject> = snap
                .pool
                .layout
                .projects
                .iter()
                .map(StoredProject::of)
                .collect();
            let record = PoolRecord {
                fingerprints: &fingerprints,
                list_version: &snap.list_version,
                layout: &layout,
                daily_calls_per_key: self.default_calls(),
            };
            if self.store.write_bank(&record, bank, new_bank).await? {
                return Ok(budget);
            }
        }
        Err(KeyRingError::Store(
            "the budget bank kept changing under concurrent runs".into(),
        ))
    }

    async fn close_run(&self, paced_calls: u32, _now: DateTime<Utc>) -> Result<(), KeyRingError> {
        if paced_calls == 0 {
            return Ok(());
        }
        self.store.spend_bank(paced_calls).await
    }
}
