//! The DynamoDB adapter against DynamoDB Local, each test on its own table.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tubefeed_core::{
    ChannelId, FetchState, FetchStateStore, Gap, LeaseOutcome, LeaseOwner, StoreError, Topic,
    Video, VideoId, VideoStore,
};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, fresh_table};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 0).single().unwrap()
}

fn video(i: usize) -> Video {
    Video {
        id: VideoId::parse(&format!("vid{i:08}")).unwrap(),
        title: format!("cricket & tea #{i} — क्रिकेट 🏏"),
        description: "a literal &amp; stays".into(),
        published_at: t(i as i64),
        channel_id: ChannelId::parse("UCabc").unwrap(),
        channel_title: "Chan".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

async fn store() -> DynamoStore {
    let client = dynamodb_client();
    let table = fresh_table(&client).await;
    DynamoStore::new(client, table)
}

#[tokio::test]
async fn upsert_is_idempotent_and_classifies() {
    let s = store().await;
    let topic = Topic::parse("cricket").unwrap();
    let vids: Vec<Video> = (0..60).map(video).collect();

    let o = s.upsert(&topic, &vids, t(100)).await.unwrap();
    assert_eq!((o.new, o.updated, o.unchanged), (60, 0, 0));
    // The search entries (one per prefix key) and the details-queue entries first, then the
    // video items, each in batches of 25: an item is only written once its entries are.
    let entries: usize = vids
        .iter()
        .map(|v| {
            tubefeed_dynamo::items::index_keys(&tubefeed_core::text::index_words(
                &v.title,
                &v.description,
            ))
            .len()
        })
        .sum();
    assert_eq!(
        o.write_requests,
        (entries + vids.len()).div_ceil(25) + vids.len().div_ceil(25),
        "{entries} entries"
    );

    let o = s.upsert(&topic, &vids, t(200)).await.unwrap();
    assert_eq!(
        (o.new, o.updated, o.unchanged, o.write_requests),
        (0, 0, 60, 0),
        "no write for unchanged videos"
    );

    let mut changed = vids[..3].to_vec();
    changed[0].title = "new title".into();
    changed[1].live_broadcast_content = tubefeed_core::LiveBroadcast::Live;
    let o = s.upsert(&topic, &changed, t(300)).await.unwrap();
    // The retitled video deletes the entries of the keys it lost and writes its current ones,
    // then both items (one batch); the video whose live state changed keeps its entries.
    let keys = |v: &Video| {
        tubefeed_dynamo::items::index_keys(&tubefeed_core::text::index_words(
            &v.title,
            &v.description,
        ))
    };
    let (before, after) = (keys(&vids[0]), keys(&changed[0]));
    let entry_writes = before.difference(&after).count() + after.len();
    assert_eq!(
        (o.new, o.updated, o.unchanged, o.write_requests),
        (0, 2, 1, entry_writes.div_ceil(25) + 1)
    );

    // Duplicates inside one call are one video.
    let dup = vec![video(500), video(500)];
    let o = s.upsert(&topic, &dup, t(400)).await.unwrap();
    assert_eq!((o.new, o.updated), (1, 0));

    // The same video under another topic is another listing, not an update.
    let other = Topic::parse("football").unwrap();
    let o = s.upsert(&other, &vids[..1], t(500)).await.unwrap();
    assert_eq!(o.new, 1);
}

#[tokio::test]
async fn leases_exclude_and_expire() {
    let s = store().await;
    let topic = Topic::parse("cricket").unwrap();
    let ttl = Duration::from_secs(60);
    let (a, b, c) = (
        LeaseOwner::named("a"),
        LeaseOwner::named("b"),
        LeaseOwner::named("c"),
    );
    assert_eq!(
        s.acquire_lease(&topic, &a, t(0), ttl).await.unwrap(),
        LeaseOutcome::Acquired
    );
    assert_eq!(
        s.acquire_lease(&topic, &b, t(10), ttl).await.unwrap(),
        LeaseOutcome::Held { until: t(60) }
    );
    // The holder may renew.
    assert_eq!(
        s.acquire_lease(&topic, &a, t(20), ttl).await.unwrap(),
        LeaseOutcome::Acquired
    );

    let state = FetchState {
        watermark: Some(t(5)),
        gap: Some(Gap {
            before: t(3),
            frontier: t(9),
        }),
        ..Default::default()
    };
    s.save(&topic, &a, &state).await.unwrap();
    assert_eq!(s.load(&topic).await.unwrap(), state);
    assert_eq!(
        s.save(&topic, &b, &FetchState::default()).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(
        s.load(&topic).await.unwrap(),
        state,
        "a lost lease writes nothing"
    );

    // After expiry another run takes over, and the old holder can neither save nor release it.
    assert_eq!(
        s.acquire_lease(&topic, &b, t(81), ttl).await.unwrap(),
        LeaseOutcome::Acquired
    );
    assert_eq!(
        s.save(&topic, &a, &FetchState::default()).await,
        Err(StoreError::LeaseLost)
    );
    s.release(&topic, &a).await.unwrap();
    assert!(matches!(
        s.acquire_lease(&topic, &c, t(90), ttl).await.unwrap(),
        LeaseOutcome::Held { .. }
    ));
    s.release(&topic, &b).await.unwrap();
    assert_eq!(
        s.acquire_lease(&topic, &c, t(91), ttl).await.unwrap(),
        LeaseOutcome::Acquired
    );
}

#[tokio::test]
async fn missing_state_is_default_and_create_is_idempotent() {
    let s = store().await;
    assert_eq!(
        s.load(&Topic::parse("none").unwrap()).await.unwrap(),
        FetchState::default()
    );
    let again = tubefeed_dynamo::create_table(&s).await.unwrap();
    assert_eq!(again, tubefeed_dynamo::table::Created::AlreadyExisted);
}

/// The keys of every item in one partition.
async fn partition(s: &DynamoStore, pk: &str) -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    s.client()
        .query()
        .table_name(s.table())
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", AttributeValue::S(pk.into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|mut i| match i.remove("sk") {
            Some(AttributeValue::S(sk)) => Some(sk),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn reindex_migrates_whole_word_entries_to_the_prefix_index() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use tubefeed_core::{FeedQuery, FeedReader, Order};
    use tubefeed_dynamo::items::{feed_sk, index_keys, prefix_pk};
    let s = store().await;
    let topic = Topic::parse("cricket").unwrap();
    let mut old = video(1);
    old.title = "How to make tea? Kohli's café".into();
    let vids = vec![old.clone(), video(2), video(3)];
    s.upsert(&topic, &vids, t(0)).await.unwrap();
    // Put the table in the state the whole-word index left it in: entries under W#topic#word
    // (UAX #29 words, NFKC, lower case), none under P#.
    for v in &vids {
        let sk = feed_sk(v.published_at, &v.id);
        let words = tubefeed_core::text::index_words(&v.title, &v.description);
        for k in index_keys(&words) {
            s.client()
                .delete_item()
                .table_name(s.table())
                .key("pk", AttributeValue::S(prefix_pk(&topic, &k)))
                .key("sk", AttributeValue::S(sk.clone()))
                .send()
                .await
                .unwrap();
        }
        // A few of the words the old rules gave each video.
        let legacy: &[&str] = if v.id == old.id {
            &["how", "to", "make", "tea", "kohli's", "café"]
        } else {
            &["cricket", "tea", "क्रिकेट"]
        };
        for w in legacy {
            s.client()
                .put_item()
                .table_name(s.table())
                .item("pk", AttributeValue::S(format!("W#cricket#{w}")))
                .item("sk", AttributeValue::S(sk.clone()))
                .item("id", AttributeValue::S(v.id.to_string()))
                .item("channel_id", AttributeValue::S(v.channel_id.to_string()))
                .send()
                .await
                .unwrap();
        }
    }
    let q = |terms: &[&str]| FeedQuery {
        topic: topic.clone(),
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
        limit: 10,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    };
    // Before the migration the old entries are never read: nothing found, nothing twice.
    assert!(s.page(&q(&["tea"]), None).await.unwrap().videos.is_empty());
    let o = s.reindex(&topic).await.unwrap();
    assert_eq!(o.videos, 3);
    assert!(o.entries >= 30 && o.legacy_deletes >= 20, "{o:?}");
    let titles =
        |p: tubefeed_core::FeedPage| p.videos.into_iter().map(|v| v.title).collect::<Vec<_>>();
    assert_eq!(
        titles(s.page(&q(&["te", "how"]), None).await.unwrap()),
        ["How to make tea? Kohli's café"]
    );
    assert_eq!(
        titles(s.page(&q(&["kohli", "cafe"]), None).await.unwrap()),
        ["How to make tea? Kohli's café"]
    );
    assert_eq!(s.page(&q(&["tea"]), None).await.unwrap().videos.len(), 3);
    for w in ["how", "tea", "kohli's", "café", "cricket", "क्रिकेट"] {
        assert!(
            partition(&s, &format!("W#cricket#{w}")).await.is_empty(),
            "W#cricket#{w} should be gone"
        );
    }
    // Idempotent, and the second run finds nothing left to migrate.
    assert_eq!(s.reindex(&topic).await.unwrap().videos, 3);
    assert_eq!(s.page(&q(&["tea"]), None).await.unwrap().videos.len(), 3);
}

#[tokio::test]
async fn an_edit_moves_prefix_entries_and_leaves_none_behind() {
    let s = store().await;
    let topic = Topic::parse("cricket").unwrap();
    let mut v = video(5);
    v.title = "wicketkeeper".into();
    v.description = String::new();
    s.upsert(&topic, std::slice::from_ref(&v), t(0))
        .await
        .unwrap();
    let sk = tubefeed_dynamo::items::feed_sk(v.published_at, &v.id);
    assert_eq!(
        partition(&s, "P#cricket#wicketk").await,
        std::slice::from_ref(&sk)
    );
    v.title = "wickets".into();
    s.upsert(&topic, std::slice::from_ref(&v), t(1))
        .await
        .unwrap();
    assert!(partition(&s, "P#cricket#wicketk").await.is_empty());
    assert_eq!(
        partition(&s, "P#cricket#wickets").await,
        std::slice::from_ref(&sk)
    );
    assert_eq!(partition(&s, "P#cricket#wi").await, [sk]);
}

#[tokio::test]
async fn a_channel_only_change_updates_the_video_and_its_search_entries() {
    use tubefeed_core::{FeedQuery, FeedReader, Order};
    let s = store().await;
    let topic = Topic::parse("cricket").unwrap();
    let v = video(7);
    s.upsert(&topic, std::slice::from_ref(&v), t(0))
        .await
        .unwrap();
    let moved = Video {
        channel_id: ChannelId::parse("UCnew").unwrap(),
        ..v.clone()
    };
    // Deletes and puts of the same entry keys in one batch would be rejected by DynamoDB.
    let o = s
        .upsert(&topic, std::slice::from_ref(&moved), t(1))
        .await
        .unwrap();
    assert_eq!((o.new, o.updated), (0, 1));
    let q = |ch: &str| FeedQuery {
        topic: topic.clone(),
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: ChannelId::parse(ch).ok(),
        terms: vec!["tea".into()],
        limit: 10,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    };
    assert_eq!(s.page(&q("UCnew"), None).await.unwrap().videos, vec![moved]);
    assert!(s.page(&q("UCabc"), None).await.unwrap().videos.is_empty());
    // A moved publication time moves every entry, leaving no duplicate behind.
    let retimed = Video {
        published_at: t(99),
        ..video(7)
    };
    s.upsert(&topic, std::slice::from_ref(&retimed), t(2))
        .await
        .unwrap();
    let found = s
        .page(
            &FeedQuery {
                channel_id: None,
                ..q("x")
            },
            None,
        )
        .await
        .unwrap()
        .videos;
    assert_eq!(found, vec![retimed]);
}

/// The store contract every implementation keeps (crates/core/src/fakes/contract.rs), on
/// DynamoDB Local: the in-memory fake's tests run the same functions.
#[tokio::test]
async fn the_store_contract_holds_on_dynamodb() {
    let now = t(0);
    let s = store().await;
    tubefeed_core::fakes::contract::video_store(&s, &Topic::parse("contract-a").unwrap(), now)
        .await;
    tubefeed_core::fakes::contract::state_store(&s, &Topic::parse("contract-b").unwrap(), now)
        .await;
    tubefeed_core::fakes::contract::feed_reader(&s, &Topic::parse("contract-c").unwrap(), now)
        .await;
    tubefeed_core::fakes::contract::follow_store(&s, &Topic::parse("contract-e").unwrap(), now)
        .await;
    tubefeed_core::fakes::contract::push_store(&s, now).await;
    let topic = Topic::parse("contract-d").unwrap();
    let expire = s.with_retention(tubefeed_core::Retention::new(Some(7), []));
    tubefeed_core::fakes::contract::retention(&s, &expire, &topic, 7).await;
}
