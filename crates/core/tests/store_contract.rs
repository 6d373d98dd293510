//! The store contract (crates/core/src/fakes/contract.rs) on the in-memory fake; the DynamoDB
//! adapter's tests run the same functions on DynamoDB Local, so the fake cannot drift.

use chrono::{TimeZone, Utc};
use tubefeed_core::fakes::{MemStore, contract};
use tubefeed_core::{Retention, Topic};

#[tokio::test]
async fn the_store_contract_holds_on_the_fake() {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap();
    let s = MemStore::default();
    contract::video_store(&s, &Topic::parse("contract-a").unwrap(), now).await;
    contract::state_store(&s, &Topic::parse("contract-b").unwrap(), now).await;
    contract::feed_reader(&s, &Topic::parse("contract-c").unwrap(), now).await;
    contract::follow_store(&s, &Topic::parse("contract-e").unwrap(), now).await;
    contract::push_store(&s, now).await;
    let topic = Topic::parse("contract-d").unwrap();
    let expire = s.with_retention(Retention::new(None, [(topic.clone(), 7)]));
    contract::retention(&s, &expire, &topic, 7).await;
}
