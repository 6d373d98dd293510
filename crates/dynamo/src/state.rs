//! Per-topic fetch state and the lease that serialises runs on a topic.
//!
//! The lease is its own item (`L#topic`) with an expiry: EventBridge delivers at least once and
//! a slow run may overlap the next, so a run takes the lease with a conditional put and gives
//! it back with a conditional delete. The state item is written in a transaction that checks
//! the lease is still ours, so a run that outlived its lease cannot move a watermark.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use chrono::{DateTime, TimeZone, Utc};
use tracing::instrument;
use tubefeed_core::{FetchState, FetchStateStore, LeaseOutcome, LeaseOwner, StoreError, Topic};

use crate::DynamoStore;
use crate::error::{build_error, condition_failed};
use crate::items::{PK, SK, TTL_ATTR, lease_pk, state_pk};

const STATE_SK: &str = "STATE";
const LEASE_SK: &str = "LEASE";

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl DynamoStore {
    fn lease_key(topic: &Topic) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), s(lease_pk(topic))),
            (SK.to_owned(), s(LEASE_SK)),
        ])
    }
}

impl FetchStateStore for DynamoStore {
    #[instrument(skip(self), fields(table = %self.table))]
    async fn acquire_lease(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<LeaseOutcome, StoreError> {
        let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(5));
        let mut item = Self::lease_key(topic);
        item.insert("owner".into(), s(owner.as_str()));
        item.insert("lease_until_ms".into(), n(expires.timestamp_millis()));
        // DynamoDB's TTL deletes forgotten leases eventually (it is lazy, so never rely on it
        // for correctness: the condition below is what honours expiry).
        item.insert(TTL_ATTR.into(), n(expires.timestamp() + 3600));
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR lease_until_ms < :now OR #owner = :me",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":me", s(owner.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match res {
            Ok(_) => Ok(LeaseOutcome::Acquired),
            Err(e) => match e.as_service_error() {
                Some(svc) if svc.is_conditional_check_failed_exception() => {
                    let until = match svc {
                        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c
                            .item()
                            .and_then(|i| i.get("lease_until_ms"))
                            .and_then(|v| v.as_n().ok())
                            .and_then(|v| v.parse::<i64>().ok())
                            .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
                        _ => None,
                    };
                    Ok(LeaseOutcome::Held {
                        until: until.unwrap_or(expires),
                    })
                }
                _ => Err(self.sdk_error("PutItem lease", e)),
            },
        }
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn load(&self, topic: &Topic) -> Result<FetchState, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(state_pk(topic)))
            .key(SK, s(STATE_SK))
            .consistent_read(true)
            .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| self.sdk_error("GetItem state", e))?;
        self.count_reads(
            out.consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or(0.0),
        );
        let Some(item) = out.item else {
            return Ok(FetchState::default());
        };
        match item.get("state") {
            Some(AttributeValue::S(json)) => serde_json::from_str(json)
                .map_err(|e| StoreError::Corrupt(format!("state of {topic}: {e}"))),
            _ => Err(StoreError::Corrupt(format!(
                "state of {topic} has no state attribute"
            ))),
        }
    }

    #[instrument(skip(self, state), fields(table = %self.table))]
    async fn save(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        state: &FetchState,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::lease_key(topic)))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner.as_str()))
            .build()
            .map_err(|e| build_error("ConditionCheck", e))?;
        let mut item = HashMap::from([
            (PK.to_owned(), s(state_pk(topic))),
            (SK.to_owned(), s(STATE_SK)),
        ]);
        item.insert("state".into(), s(json));
        item.insert("topic".into(), s(topic.as_str()));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| build_error("Put", e))?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                let lost = e.as_service_error().is_some_and(|svc| match svc {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => c
                        .cancellation_reasons()
                        .first()
                        .and_then(|r| r.code())
                        .is_some_and(|code| code == "ConditionalCheckFailed"),
                    _ => false,
                });
                if lost {
                    Err(StoreError::LeaseLost)
                } else {
                    Err(self.sdk_error("TransactWriteItems state", e))
                }
            }
        }
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn release(&self, topic: &Topic, owner: &LeaseOwner) -> Result<(), StoreError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::lease_key(topic)))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner.as_str()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(self.sdk_error("DeleteItem lease", e)),
        }
    }
}
