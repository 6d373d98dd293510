//! A topic's channels on DynamoDB Local: stored compressed, and an item written before
//! compression still reads.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeZone, Utc};
use tubefeed_core::{ChannelId, FollowSettings, FollowState, FollowStore, Sighting, Topic};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, fresh_table};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .unwrap()
}

/// 200 followed channels with a few days of counts each, as a busy topic has.
fn busy_state() -> FollowState {
    let s = FollowSettings {
        max_channels: 200,
        min_videos: 1,
        ..FollowSettings::default()
    };
    let sightings: Vec<Sighting> = (0..200)
        .flat_map(|c| {
            (0..3).map(move |d| Sighting {
                channel_id: ChannelId::parse(&format!("UCchannel{c:015}")).unwrap(),
                channel_title: format!("Channel number {c}"),
                published_at: now() - chrono::Duration::days(d),
            })
        })
        .collect();
    let mut st = FollowState::default();
    st.tally(&sightings, &s, now());
    st.choose(&s, &[], now());
    st
}

async fn item(s: &DynamoStore, topic: &Topic) -> HashMap<String, AttributeValue> {
    s.client()
        .get_item()
        .table_name(s.table())
        .key("pk", AttributeValue::S(format!("F#{topic}")))
        .key("sk", AttributeValue::S("FOLLOW".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

#[tokio::test]
async fn the_state_is_stored_compressed_and_an_uncompressed_item_still_reads() {
    let client = dynamodb_client();
    let s = DynamoStore::new(client.clone(), fresh_table(&client).await);
    let topic = Topic::parse("cricket").unwrap();
    let st = busy_state();
    assert!(s.save_follow(&topic, &st, 0).await.unwrap());
    let stored = item(&s, &topic).await;
    let json = serde_json::to_string(&st).unwrap();
    let Some(AttributeValue::B(z)) = stored.get("state") else {
        panic!("state is not binary: {stored:?}");
    };
    assert!(
        z.as_ref().len() * 2 < json.len(),
        "{} bytes compressed of {} bytes of JSON",
        z.as_ref().len(),
        json.len()
    );
    assert_eq!(s.load_follow(&topic).await.unwrap(), (st.clone(), 1));
    // An item as the first release wrote it: the JSON as a string.
    let mut legacy = stored;
    legacy.insert("state".into(), AttributeValue::S(json));
    legacy.insert("version".into(), AttributeValue::N("7".into()));
    s.client()
        .put_item()
        .table_name(s.table())
        .set_item(Some(legacy))
        .send()
        .await
        .unwrap();
    assert_eq!(s.load_follow(&topic).await.unwrap(), (st, 7));
}
