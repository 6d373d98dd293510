//! Reads and conditional writes of the key partition. Each write says in its condition what
//! must still hold, so concurrent invocations neither lose a count nor undo each other.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use tubefeed_core::quota::{Learned, ProjectPlan};
use tubefeed_core::{Bank, Fingerprint, KeyRingError, StoreError};

use super::rows::{
    Item, KEYS_PK, POOL_SK, Partition, ProjectRow, StoredProject, key_sk, ms, n, project_sk, s,
    units_sk,
};
use crate::DynamoStore;
use crate::error::condition_failed;
use crate::items::{PK, SK};

pub(super) fn store_err(e: StoreError) -> KeyRingError {
    KeyRingError::Store(e.to_string())
}

/// What a reservation found.
pub(super) enum Reserved {
    Yes,
    /// The count changed meanwhile; this is what the table holds now.
    Conflict(ProjectRow),
}

/// A reservation's ask: one call on `project`'s count for `today`.
pub(super) struct Reservation<'a> {
    pub project: &'a ProjectPlan,
    /// The count as the snapshot read it.
    pub row: Option<&'a ProjectRow>,
    /// Where a new day's count starts (what the project's keys counted before projects).
    pub seed: u32,
    pub today: &'a str,
    pub now: DateTime<Utc>,
}

impl DynamoStore {
    /// An UpdateItem on the key partition's item `sk`.
    fn key_update(&self, sk: String) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(sk))
    }

    /// Every item of the key partition, in one strongly consistent read.
    pub(super) async fn key_partition(&self) -> Result<Partition, StoreError> {
        let mut items: Vec<Item> = Vec::new();
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
                .map_err(|e| self.sdk_error("Query keys", e))?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(Partition::from_items(items));
            }
        }
    }

    /// Forgets a key's marks (after `keys remove`). Its project's count stays: the calls it
    /// made today were made.
    pub async fn forget_key(&self, fp: &Fingerprint) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(KEYS_PK))
            .key(SK, s(key_sk(fp)))
            .send()
            .await
            .map_err(|e| self.sdk_error("DeleteItem key", e))?;
        Ok(())
    }

    /// Takes one call from a project's count, unless the count reached its size or the
    /// project ran dry today.
    pub(super) async fn reserve(&self, r: &Reservation<'_>) -> Result<Reserved, KeyRingError> {
        let same_day = r.row.and_then(|row| row.day.as_deref()) == Some(r.today);
        let req = self
            .key_update(project_sk(&r.project.id))
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":today", s(r.today))
            .expression_attribute_values(":now", n(ms(r.now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let req = if same_day {
            req.update_expression("SET calls_today = calls_today + :one, last_used_ms = :now")
                .condition_expression(
                    "#day = :today AND calls_today < :size \
                     AND (attribute_not_exists(dry_day) OR dry_day <> :today)",
                )
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":size", n(r.project.daily_calls))
        } else {
            // The first call of a Pacific day resets the count; the condition makes sure two
            // invocations crossing midnight together reset it once.
            req.update_expression(
                "SET #day = :today, calls_today = :first, last_used_ms = :now, project_name = :name",
            )
            .condition_expression(
                "(attribute_not_exists(#day) OR #day <> :today) \
                 AND (attribute_not_exists(dry_day) OR dry_day <> :today)",
            )
            .expression_attribute_values(":first", n(r.seed.saturating_add(1)))
            .expression_attribute_values(":name", s(r.project.id.to_string()))
        };
        match req.send().await {
            Ok(_) => Ok(Reserved::Yes),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => Ok(
                    Reserved::Conflict(c.item().map(ProjectRow::from_item).unwrap_or_default()),
                ),
                _ => Err(store_err(self.sdk_error("UpdateItem project reserve", e))),
            },
        }
    }

    /// Takes `units` from a unit pool's count for `day` if it stays within `daily_units` and
    /// YouTube has not refused the pool today. False when it does not fit.
    pub(super) async fn take_units(
        &self,
        pool: &str,
        day: &str,
        units: u32,
        daily_units: u32,
        expires_at: i64,
    ) -> Result<bool, KeyRingError> {
        let Some(max_before) = daily_units.checked_sub(units) else {
            return Ok(false);
        };
        let req = self
            .key_update(units_sk(pool, day))
            .update_expression("SET units = if_not_exists(units, :zero) + :n, expires_at = :ttl")
            .condition_expression(
                "(attribute_not_exists(units) OR units <= :max) AND attribute_not_exists(refused)",
            )
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":n", n(units))
            .expression_attribute_values(":max", n(max_before))
            .expression_attribute_values(":ttl", n(expires_at));
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(store_err(self.sdk_error("UpdateItem units", e))),
            },
        }
    }

    /// YouTube refused the pool for units today.
    pub(super) async fn refuse_units(
        &self,
        pool: &str,
        day: &str,
        expires_at: i64,
    ) -> Result<(), KeyRingError> {
        self.key_update(units_sk(pool, day))
            .update_expression("SET refused = :t, expires_at = :ttl")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":ttl", n(expires_at))
            .send()
            .await
            .map_err(|e| store_err(self.sdk_error("UpdateItem units refused", e)))?;
        Ok(())
    }

    /// Marks a project dry for `today`: YouTube refused one of its keys for quota.
    pub(super) async fn mark_dry(
        &self,
        project: &ProjectPlan,
        today: &str,
    ) -> Result<(), KeyRingError> {
        self.key_update(project_sk(&project.id))
            .update_expression("SET dry_day = :today, project_name = :name")
            .expression_attribute_values(":today", s(today))
            .expression_attribute_values(":name", s(project.id.to_string()))
            .send()
            .await
            .map_err(|e| store_err(self.sdk_error("UpdateItem project dry", e)))?;
        Ok(())
    }

    /// Sets a rest unless a longer one is already set (an exhausted key hit by a late 429
    /// keeps resting until midnight).
    pub(super) async fn rest(
        &self,
        fp: &Fingerprint,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), KeyRingError> {
        let res = self
            .key_update(key_sk(fp))
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
            Err(e) => Err(store_err(self.sdk_error("UpdateItem key rest", e))),
        }
    }

    /// Sets a key aside as invalid under the key list `version`.
    pub(super) async fn retire(
        &self,
        fp: &Fingerprint,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), KeyRingError> {
        self.key_update(key_sk(fp))
            .update_expression("SET invalid_under = :ver, invalid_at_ms = :now, fingerprint = :fp")
            .expression_attribute_values(":ver", s(version))
            .expression_attribute_values(":now", n(ms(now)))
            .expression_attribute_values(":fp", s(fp.as_str()))
            .send()
            .await
            .map_err(|e| store_err(self.sdk_error("UpdateItem key invalid", e)))?;
        Ok(())
    }

    /// Writes what was learned, if nobody wrote it since `rev` was read. `Ok(false)`: read again.
    pub(super) async fn write_learned(
        &self,
        learned: &Learned,
        rev: Option<u64>,
    ) -> Result<bool, KeyRingError> {
        let text = serde_json::to_string(learned)
            .map_err(|e| KeyRingError::Store(format!("learned quota: {e}")))?;
        let req = self
            .key_update(POOL_SK.to_owned())
            .update_expression("SET learned = :l, learned_rev = :next")
            .expression_attribute_values(":l", s(text))
            .expression_attribute_values(":next", n(rev.unwrap_or(0) + 1));
        let req = match rev {
            None => req.condition_expression("attribute_not_exists(learned_rev)"),
            Some(r) => req
                .condition_expression("learned_rev = :rev")
                .expression_attribute_values(":rev", n(r)),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_err(self.sdk_error("UpdateItem pool learned", e))),
        }
    }

    /// Refills the bank and records the key list for readers without the source. The refill is
    /// an `ADD` guarded by the refill time it was computed from: a concurrent run's refill makes
    /// this one retry, and a concurrent run's spending (also an `ADD`) is never overwritten.
    pub(super) async fn write_bank(
        &self,
        record: &PoolRecord<'_>,
        old: Bank,
        new: Bank,
    ) -> Result<bool, KeyRingError> {
        let at = match (old.at, new.at) {
            (Some(o), Some(n)) => o.max(n),
            (_, n) => n.unwrap_or_else(Utc::now),
        };
        let layout = serde_json::to_string(record.layout)
            .map_err(|e| KeyRingError::Store(format!("pool layout: {e}")))?;
        let req = self
            .key_update(POOL_SK.to_owned())
            .update_expression(
                "ADD bank_tokens :delta SET bank_at_ms = :at, list_version = :ver, \
                 fingerprints = :fps, daily_calls_per_key = :size, layout = :layout",
            )
            .expression_attribute_values(":delta", n(format!("{:.6}", new.tokens - old.tokens)))
            .expression_attribute_values(":at", n(ms(at)))
            .expression_attribute_values(":ver", s(record.list_version))
            .expression_attribute_values(
                ":fps",
                AttributeValue::L(record.fingerprints.iter().map(|f| s(f.as_str())).collect()),
            )
            .expression_attribute_values(":size", n(record.daily_calls_per_key))
            .expression_attribute_values(":layout", s(layout));
        let req = match old.at {
            None => req.condition_expression("attribute_not_exists(bank_at_ms)"),
            Some(o) => req
                .condition_expression("bank_at_ms = :old")
                .expression_attribute_values(":old", n(ms(o))),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_err(self.sdk_error("UpdateItem pool", e))),
        }
    }

    /// Takes a run's spending out of the bank.
    pub(super) async fn spend_bank(&self, calls: u32) -> Result<(), KeyRingError> {
        self.key_update(POOL_SK.to_owned())
            .update_expression("ADD bank_tokens :spent")
            .expression_attribute_values(":spent", n(-i64::from(calls)))
            .send()
            .await
            .map_err(|e| store_err(self.sdk_error("UpdateItem pool spend", e)))?;
        Ok(())
    }
}

/// What the pool item records about the key list, for readers without the key source.
pub(super) struct PoolRecord<'a> {
    pub fingerprints: &'a [Fingerprint],
    pub list_version: &'a str,
    pub layout: &'a [StoredProject],
    pub daily_calls_per_key: u32,
}
