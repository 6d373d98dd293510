//! Shared key state: a [`KeyRing`] whose memory lives in the table, so every run and every
//! concurrent invocation sees the same rests, invalid marks, call counts and budget bank.
//!
//! Items (all in one partition, so one strongly consistent Query reads the whole pool; a pool
//! is at most a few hundred small items and a few hundred writes a day, far below a
//! partition's limits):
//! * `pk = KEYS`, `sk = K#<fingerprint>`: `fingerprint`, `day` (Pacific day of `calls_today`),
//!   `calls_today`, `resting_until_ms` + `rest_reason` (`exhausted` | `rate_limited`),
//!   `invalid_under` (the key-list version it was found invalid under: a new list brings it
//!   back), `invalid_at_ms`, `last_used_ms`.
//! * `pk = KEYS`, `sk = POOL`: the budget bank (`bank_tokens`, `bank_at_ms`) and, for `/health`
//!   without access to the key source, the current `fingerprints`, `list_version` and
//!   `daily_calls_per_key`.
//!
//! A call is reserved with a conditional UpdateItem (`calls_today < budget` on the same day, or
//! a reset on a new day; not resting; not invalid under this list), so concurrent invocations
//! never lose a count and never overspend a key.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use tracing::{debug, info};
use tubefeed_core::budget::{Bank, BudgetPolicy, PollPrice, PoolView, RunBudget, plan_run};
use tubefeed_core::key_source::key_list_version;
use tubefeed_core::keys::{next_pacific_midnight, pacific_day};
use tubefeed_core::{
    Acquired, ApiKey, Fingerprint, KeyOutcome, KeyPoolCounts, KeyRing, KeyRingError, KeySource,
    StoreError,
};

use crate::DynamoStore;
use crate::error::{condition_failed, sdk_error};
use crate::items::{PK, SK};

pub const KEYS_PK: &str = "KEYS";
pub const POOL_SK: &str = "POOL";
const REST_EXHAUSTED: &str = "exhausted";
const REST_RATE_LIMITED: &str = "rate_limited";

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn key_sk(fp: &Fingerprint) -> String {
    format!("K#{fp}")
}
fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}
fn from_ms(v: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(v).single()
}
fn get_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}
fn get_n<T: std::str::FromStr>(item: &Item, k: &str) -> Option<T> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}
fn store_err(e: StoreError) -> KeyRingError {
    KeyRingError::Store(e.to_string())
}

/// One key's stored state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRow {
    pub day: Option<String>,
    pub calls_today: u32,
    pub resting_until: Option<DateTime<Utc>>,
    pub rest_reason: Option<String>,
    pub invalid_under: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl KeyRow {
    fn from_item(item: &Item) -> Self {
        Self {
            day: get_s(item, "day").map(str::to_owned),
            calls_today: get_n(item, "calls_today").unwrap_or(0),
            resting_until: get_n(item, "resting_until_ms").and_then(from_ms),
            rest_reason: get_s(item, "rest_reason").map(str::to_owned),
            invalid_under: get_s(item, "invalid_under").map(str::to_owned),
            last_used_at: get_n(item, "last_used_ms").and_then(from_ms),
        }
    }

    fn calls_on(&self, today: &str) -> u32 {
        if self.day.as_deref() == Some(today) {
            self.calls_today
        } else {
            0
        }
    }

    /// What this key is now, for a list of version `version` and a per-key budget.
    pub fn state(&self, version: &str, budget: u32, now: DateTime<Utc>) -> KeyState {
        if self.invalid_under.as_deref() == Some(version) {
            return KeyState::Invalid;
        }
        if let Some(until) = self.resting_until.filter(|t| *t > now) {
            return if self.rest_reason.as_deref() == Some(REST_RATE_LIMITED) {
                KeyState::RateLimited { until }
            } else {
                KeyState::Exhausted { until }
            };
        }
        if self.calls_on(&pacific_day(now)) >= budget {
            return KeyState::Exhausted {
                until: next_pacific_midnight(now),
            };
        }
        KeyState::Available
    }
}

/// A key's state as `keys list` and `/health` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum KeyState {
    Available,
    /// Out of today's quota (YouTube said so, or our count reached the budget).
    Exhausted {
        until: DateTime<Utc>,
    },
    /// Briefly throttled.
    RateLimited {
        until: DateTime<Utc>,
    },
    /// Rejected by YouTube as invalid or without the API enabled, under the current key list.
    Invalid,
}

impl KeyState {
    fn available_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Available => Some(now),
            Self::Exhausted { until } | Self::RateLimited { until } => Some(*until),
            Self::Invalid => None,
        }
    }
}

/// One line of `tubefeed keys list`: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    pub fingerprint: Fingerprint,
    #[serde(flatten)]
    pub state: KeyState,
    pub calls_today: u32,
    pub daily_budget: u32,
    pub next_reset: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The pool, read in one Query.
#[derive(Debug, Clone)]
pub struct PoolSnapshot {
    pub keys: Vec<(ApiKey, KeyRow)>,
    pub version: String,
    pub bank: Bank,
}

impl DynamoStore {
    /// Every item of the key partition, by sort key.
    async fn key_items(&self) -> Result<HashMap<String, Item>, StoreError> {
        let mut out = HashMap::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(KEYS_PK))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query keys", e))?;
            for item in page.items.unwrap_or_default() {
                if let Some(sk) = get_s(&item, SK) {
                    out.insert(sk.to_owned(), item);
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// Forgets a key's state (after `keys remove`).
    pub async fn forget_key(&self, fp: &Fingerprint) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(key_sk(fp)))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem key", e))?;
        Ok(())
    }
}

impl DynamoStore {
    /// Pool counts for `/health` (what `KeyPoolReader::key_pool` answers), from the table
    /// alone: the last run recorded which fingerprints the list holds and its version, so the
    /// API needs no access to the keys.
    pub async fn key_pool_counts(&self, now: DateTime<Utc>) -> Result<KeyPoolCounts, StoreError> {
        let mut items = self.key_items().await?;
        let Some(pool) = items.remove(POOL_SK) else {
            return Ok(KeyPoolCounts::default());
        };
        let version = get_s(&pool, "list_version").unwrap_or_default().to_owned();
        let budget: u32 = get_n(&pool, "daily_calls_per_key").unwrap_or(100);
        let fps: Vec<String> = match pool.get("fingerprints") {
            Some(AttributeValue::L(l)) => l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
            _ => Vec::new(),
        };
        let mut counts = KeyPoolCounts {
            total: fps.len(),
            ..KeyPoolCounts::default()
        };
        for fp in fps {
            let row = items
                .get(&format!("K#{fp}"))
                .map(KeyRow::from_item)
                .unwrap_or_default();
            match row.state(&version, budget, now) {
                KeyState::Available => counts.available += 1,
                KeyState::Exhausted { .. } => counts.exhausted += 1,
                KeyState::RateLimited { .. } => counts.rate_limited += 1,
                KeyState::Invalid => counts.invalid += 1,
            }
        }
        Ok(counts)
    }
}

/// The key ring of deployed fetchers: keys from a [`KeySource`], state in the table.
#[derive(Debug)]
pub struct DynamoKeyRing<S> {
    store: DynamoStore,
    source: S,
    policy: BudgetPolicy,
    /// How long a short-term 429 rests a key. Google's short-term limits are per-minute
    /// windows, so a minute lets the next window open.
    pub rate_limit_rest: chrono::Duration,
}

impl<S: KeySource> DynamoKeyRing<S> {
    pub fn new(store: DynamoStore, source: S, daily_calls_per_key: u32) -> Self {
        Self {
            store,
            source,
            policy: BudgetPolicy::new(daily_calls_per_key),
            rate_limit_rest: chrono::Duration::seconds(60),
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

    fn budget(&self) -> u32 {
        self.policy.daily_calls_per_key
    }

    /// The current key list and each key's stored state, in the list's order.
    pub async fn snapshot(&self) -> Result<PoolSnapshot, KeyRingError> {
        let keys = self.source.load().await?;
        let version = key_list_version(&keys);
        let mut items = self.store.key_items().await.map_err(store_err)?;
        let bank = items
            .get(POOL_SK)
            .map(|p| Bank {
                tokens: get_n(p, "bank_tokens").unwrap_or(0.0),
                at: get_n(p, "bank_at_ms").and_then(from_ms),
            })
            .unwrap_or_default();
        let keys = keys
            .into_iter()
            .map(|k| {
                let row = items
                    .remove(&key_sk(k.fingerprint()))
                    .map(|i| KeyRow::from_item(&i))
                    .unwrap_or_default();
                (k, row)
            })
            .collect();
        Ok(PoolSnapshot {
            keys,
            version,
            bank,
        })
    }

    /// Every key's state, for `tubefeed keys list`.
    pub async fn statuses(&self, now: DateTime<Utc>) -> Result<Vec<KeyStatus>, KeyRingError> {
        let snap = self.snapshot().await?;
        let budget = self.budget();
        Ok(snap
            .keys
            .iter()
            .map(|(k, row)| KeyStatus {
                fingerprint: k.fingerprint().clone(),
                state: row.state(&snap.version, budget, now),
                calls_today: row.calls_on(&pacific_day(now)),
                daily_budget: budget,
                next_reset: next_pacific_midnight(now),
                last_used_at: row.last_used_at,
            })
            .collect())
    }

    /// The pool as the planner sees it.
    pub fn pool_view(&self, snap: &PoolSnapshot, now: DateTime<Utc>) -> PoolView {
        let budget = self.budget();
        let today = pacific_day(now);
        let mut view = PoolView {
            keys_total: u32::try_from(snap.keys.len()).unwrap_or(u32::MAX),
            ..PoolView::default()
        };
        for (_, row) in &snap.keys {
            match row.state(&snap.version, budget, now) {
                // Neither can make a call before the reset: counting them as usable made the
                // summary claim keys that `calls_left_today` showed were spent.
                KeyState::Invalid | KeyState::Exhausted { .. } => {}
                KeyState::Available | KeyState::RateLimited { .. } => {
                    let left = budget.saturating_sub(row.calls_on(&today));
                    if left > 0 {
                        view.keys_usable += 1;
                        view.calls_left_today += u64::from(left);
                    }
                }
            }
        }
        view
    }

    /// One conditional UpdateItem that takes a call from `fp`'s budget. `Ok(None)` when the
    /// key turned out not to be usable (another invocation spent, rested or retired it); the
    /// returned row is what the table holds then.
    async fn reserve(
        &self,
        fp: &Fingerprint,
        row: &KeyRow,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), KeyRow>, KeyRingError> {
        let today = pacific_day(now);
        let same_day = row.day.as_deref() == Some(today.as_str());
        let usable = "(attribute_not_exists(resting_until_ms) OR resting_until_ms <= :now) \
                      AND (attribute_not_exists(invalid_under) OR invalid_under <> :ver)";
        let req = self
            .store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(key_sk(fp)))
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":today", s(&today))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(ms(now)))
            .expression_attribute_values(":ver", s(version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let req = if same_day {
            req.update_expression("SET calls_today = calls_today + :one, last_used_ms = :now")
                .condition_expression(format!(
                    "#day = :today AND calls_today < :budget AND {usable}"
                ))
                .expression_attribute_values(":budget", n(self.budget()))
        } else {
            // The first call of a Pacific day resets the count; the condition makes sure two
            // invocations crossing midnight together reset it once.
            req.update_expression(
                "SET #day = :today, calls_today = :one, last_used_ms = :now, fingerprint = :fp",
            )
            .condition_expression(format!(
                "(attribute_not_exists(#day) OR #day <> :today) AND {usable}"
            ))
            .expression_attribute_values(":fp", s(fp.as_str()))
        };
        match req.send().await {
            Ok(_) => Ok(Ok(())),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Ok(Err(c.item().map(KeyRow::from_item).unwrap_or_default()))
                }
                _ => Err(store_err(sdk_error("UpdateItem key reserve", e))),
            },
        }
    }

    /// Sets a rest unless a longer one is already set (an exhausted key hit by a late 429
    /// keeps resting until midnight).
    async fn rest(
        &self,
        fp: &Fingerprint,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), KeyRingError> {
        let res = self
            .store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(key_sk(fp)))
            .update_expression(
                "SET resting_until_ms = :until, rest_reason = :why, fingerprint = :fp",
            )
            .condition_expression(
                "attribute_not_exists(resting_until_ms) OR resting_until_ms < :until",
            )
            .expression_attribute_values(":until", n(ms(until)))
            .expression_attribute_values(":why", s(reason))
            .expression_attribute_values(":fp", s(fp.as_str()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_err(sdk_error("UpdateItem key rest", e))),
        }
    }

    async fn retire(
        &self,
        fp: &Fingerprint,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), KeyRingError> {
        self.store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(key_sk(fp)))
            .update_expression("SET invalid_under = :ver, invalid_at_ms = :now, fingerprint = :fp")
            .expression_attribute_values(":ver", s(version))
            .expression_attribute_values(":now", n(ms(now)))
            .expression_attribute_values(":fp", s(fp.as_str()))
            .send()
            .await
            .map_err(|e| store_err(sdk_error("UpdateItem key invalid", e)))?;
        Ok(())
    }

    /// Refills the bank and writes the pool item. The refill is an `ADD` guarded by the
    /// refill time it was computed from: a concurrent run's refill makes this one retry, and a
    /// concurrent run's spending (also an `ADD`) is never overwritten.
    async fn write_bank(
        &self,
        snap: &PoolSnapshot,
        old: Bank,
        new: Bank,
    ) -> Result<bool, KeyRingError> {
        let at = match (old.at, new.at) {
            (Some(o), Some(n)) => o.max(n),
            (_, n) => n.unwrap_or_else(Utc::now),
        };
        let fps: Vec<AttributeValue> = snap
            .keys
            .iter()
            .map(|(k, _)| s(k.fingerprint().as_str()))
            .collect();
        let req = self
            .store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(POOL_SK))
            .update_expression(
                "ADD bank_tokens :delta SET bank_at_ms = :at, list_version = :ver, \
                 fingerprints = :fps, daily_calls_per_key = :budget",
            )
            .expression_attribute_values(":delta", n(format!("{:.6}", new.tokens - old.tokens)))
            .expression_attribute_values(":at", n(ms(at)))
            .expression_attribute_values(":ver", s(&snap.version))
            .expression_attribute_values(":fps", AttributeValue::L(fps))
            .expression_attribute_values(":budget", n(self.budget()));
        let req = match old.at {
            None => req.condition_expression("attribute_not_exists(bank_at_ms)"),
            Some(o) => req
                .condition_expression("bank_at_ms = :old")
                .expression_attribute_values(":old", n(ms(o))),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_err(sdk_error("UpdateItem pool", e))),
        }
    }
}

impl<S: KeySource> KeyRing for DynamoKeyRing<S> {
    async fn acquire(&self, now: DateTime<Utc>) -> Result<Acquired, KeyRingError> {
        let snap = self.snapshot().await?;
        if snap.keys.is_empty() {
            return Err(KeyRingError::NoKeys);
        }
        let budget = self.budget();
        let today = pacific_day(now);
        let mut candidates: Vec<&(ApiKey, KeyRow)> = snap
            .keys
            .iter()
            .filter(|(_, row)| row.state(&snap.version, budget, now) == KeyState::Available)
            .collect();
        // Most budget left first; the fingerprint breaks ties so every invocation agrees.
        candidates.sort_by(|(ka, ra), (kb, rb)| {
            ra.calls_on(&today)
                .cmp(&rb.calls_on(&today))
                .then_with(|| ka.fingerprint().cmp(kb.fingerprint()))
        });
        for (key, row) in candidates {
            let mut row = row.clone();
            // Retries only happen when another invocation changed this key meanwhile (a
            // same-day reservation never conflicts with another: it is an atomic increment).
            for _ in 0..5 {
                match self
                    .reserve(key.fingerprint(), &row, &snap.version, now)
                    .await?
                {
                    Ok(()) => {
                        debug!(target: "tubefeed::keys", key = %key.fingerprint(), "call reserved");
                        return Ok(Acquired::Key(key.clone()));
                    }
                    Err(current) => {
                        if current.state(&snap.version, budget, now) != KeyState::Available {
                            break;
                        }
                        row = current;
                    }
                }
            }
        }
        // Nothing usable: read again, so the time reported reflects what others just did.
        let snap = self.snapshot().await?;
        let next_usable_at = snap
            .keys
            .iter()
            .filter_map(|(_, row)| row.state(&snap.version, budget, now).available_at(now))
            .map(|t| t.max(now))
            .min();
        Ok(Acquired::NoneUsable { next_usable_at })
    }

    async fn report(
        &self,
        key: &Fingerprint,
        outcome: KeyOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), KeyRingError> {
        match outcome {
            KeyOutcome::Success => Ok(()),
            KeyOutcome::Exhausted => {
                let until = next_pacific_midnight(now);
                info!(target: "tubefeed::keys", key = %key, until = %until.to_rfc3339(), "key out of quota; resting until the Pacific midnight reset");
                self.rest(key, until, REST_EXHAUSTED).await
            }
            KeyOutcome::RateLimited => {
                let until = now + self.rate_limit_rest;
                info!(target: "tubefeed::keys", key = %key, until = %until.to_rfc3339(), "key rate-limited; resting briefly");
                self.rest(key, until, REST_RATE_LIMITED).await
            }
            KeyOutcome::Invalid => {
                let keys = self.source.load().await?;
                info!(target: "tubefeed::keys", key = %key, "key invalid or API not enabled; set aside until the key list changes");
                self.retire(key, &key_list_version(&keys), now).await
            }
        }
    }

    async fn open_run(
        &self,
        price: PollPrice,
        now: DateTime<Utc>,
    ) -> Result<RunBudget, KeyRingError> {
        for _ in 0..8 {
            let snap = self.snapshot().await?;
            if snap.keys.is_empty() {
                return Err(KeyRingError::NoKeys);
            }
            let view = self.pool_view(&snap, now);
            let (budget, bank) = plan_run(&self.policy, &view, snap.bank, price, now);
            if self.write_bank(&snap, snap.bank, bank).await? {
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
        self.store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(POOL_SK))
            .update_expression("ADD bank_tokens :spent")
            .expression_attribute_values(":spent", n(-i64::from(paced_calls)))
            .send()
            .await
            .map_err(|e| store_err(sdk_error("UpdateItem pool spend", e)))?;
        Ok(())
    }
}
