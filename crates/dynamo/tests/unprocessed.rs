//! Concurrent writes through a DynamoDB that leaves half of every batch unprocessed (the
//! `DeferringProxy` in front of DynamoDB Local): the table ends up exactly as when the same
//! writes go straight to DynamoDB Local one batch at a time.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeZone, Utc};
use tubefeed_core::{ChannelId, Topic, Video, VideoId, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{
    DeferringProxy, client_for, dynamodb_client, dynamodb_endpoint, fresh_table,
};

const WORDS: [&str; 16] = [
    "cricket",
    "highlights",
    "Kohli's",
    "wickets",
    "final",
    "crème",
    "café",
    "क्रिकेट",
    "東京",
    "ملخص",
    "T20-World",
    "semi-final",
    "🔥",
    "review",
    "score",
    "match",
];

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 0).single().unwrap()
}

fn video(i: usize) -> Video {
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let mut text = |n: usize| {
        (0..n)
            .map(|_| WORDS[rng.usize(..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    Video {
        id: VideoId::parse(&format!("unp{i:08}")).unwrap(),
        title: text(3),
        description: text(4),
        published_at: t(i as i64 * 7),
        channel_id: ChannelId::parse(&format!("UCchan{:03}", i % 9)).unwrap(),
        channel_title: format!("Channel {}", i % 9),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

/// Each topic lists 40 videos; neighbouring topics share 10 of them.
fn listings() -> Vec<(Topic, Vec<Video>)> {
    ["cricket", "tea", "chess", "football"]
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let videos = (n * 30..n * 30 + 40).map(video).collect();
            (Topic::parse(name).unwrap(), videos)
        })
        .collect()
}

/// The whole table, every attribute, in a form that compares independently of map order.
async fn dump(client: &Client, table: &str) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items.unwrap_or_default() {
            let v: serde_json::Value = serde_dynamo::from_item(item).unwrap();
            out.insert(format!("{}|{}", v["pk"], v["sk"]), v);
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

/// Equal tables, or a short account of what differs (the tables hold thousands of items).
fn assert_same(
    got: &BTreeMap<String, serde_json::Value>,
    want: &BTreeMap<String, serde_json::Value>,
) {
    let missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let differ: Vec<&String> = want
        .iter()
        .filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "{} items missing (e.g. {:?}), {} extra (e.g. {:?}), {} different (e.g. {:?})",
        missing.len(),
        missing.iter().take(3).collect::<Vec<_>>(),
        extra.len(),
        extra.iter().take(3).collect::<Vec<_>>(),
        differ.len(),
        differ.iter().take(3).collect::<Vec<_>>(),
    );
}

#[tokio::test]
async fn concurrent_writes_lose_nothing_when_batches_come_back_unprocessed() {
    let proxy = DeferringProxy::start(&dynamodb_endpoint()).await;
    let direct = dynamodb_client();
    let deferred_table = fresh_table(&direct).await;
    let reference_table = fresh_table(&direct).await;
    let through_proxy = DynamoStore::new(client_for(proxy.endpoint()), deferred_table.clone())
        .with_write_concurrency(4);
    let reference =
        DynamoStore::new(direct.clone(), reference_table.clone()).with_write_concurrency(1);
    let listings = listings();

    // Four topics written at once, each with 4 batches in flight, against the same items.
    let outcomes = futures_util::future::join_all(
        listings
            .iter()
            .map(|(topic, videos)| through_proxy.upsert(topic, videos, t(10_000))),
    )
    .await;
    for ((topic, videos), o) in listings.iter().zip(outcomes) {
        let o = o.unwrap_or_else(|e| panic!("{topic:?}: {e}"));
        assert_eq!(
            (o.new, o.updated, o.unchanged),
            (videos.len(), 0, 0),
            "{topic:?}"
        );
        reference.upsert(topic, videos, t(10_000)).await.unwrap();
    }
    assert!(
        proxy.deferred_writes() > 1_000 && proxy.deferred_reads() > 50,
        "the proxy must really have handed work back: {} writes, {} reads",
        proxy.deferred_writes(),
        proxy.deferred_reads()
    );
    let expected = dump(&direct, &reference_table).await;
    assert!(expected.len() > 2_000, "{} items", expected.len());
    assert_same(&dump(&direct, &deferred_table).await, &expected);

    // Reads that come back half-done still see every stored video: nothing is written again.
    let again = futures_util::future::join_all(
        listings
            .iter()
            .map(|(topic, videos)| through_proxy.upsert(topic, videos, t(20_000))),
    )
    .await;
    for ((topic, videos), o) in listings.iter().zip(again) {
        let o = o.unwrap();
        assert_eq!(
            (o.new, o.updated, o.unchanged, o.write_requests),
            (0, 0, videos.len(), 0),
            "{topic:?}"
        );
    }

    // Retitled videos: their lost search entries are deleted (deletes deferred too).
    let (topic, videos) = &listings[0];
    let retitled: Vec<Video> = videos[..20]
        .iter()
        .map(|v| Video {
            title: format!("retitled {}", v.id.as_str()),
            ..v.clone()
        })
        .collect();
    let o = through_proxy
        .upsert(topic, &retitled, t(30_000))
        .await
        .unwrap();
    assert_eq!(o.updated, 20);
    reference.upsert(topic, &retitled, t(30_000)).await.unwrap();
    assert_same(
        &dump(&direct, &deferred_table).await,
        &dump(&direct, &reference_table).await,
    );
}
