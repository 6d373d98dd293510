//! The DynamoDB adapter against DynamoDB Local, each test on its own table.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tubefeed_core::{
    FetchState, FetchStateStore, Gap, LeaseOutcome, StoreError, Topic, Video, VideoId, VideoStore,
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
        channel_id: "UCabc".into(),
        channel_title: "Chan".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
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
    // The search entries (one per distinct word) first, then the video items, each in batches
    // of 25: an item is only written once its entries are.
    let entries: usize = vids
        .iter()
        .map(|v| tubefeed_core::text::index_words(&v.title, &v.description).len())
        .sum();
    assert_eq!(
        o.write_requests,
        entries.div_ceil(25) + vids.len().div_ceil(25),
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
    // The retitled video rewrites its entries (one batch), then both items (one batch); the
    // video whose live state changed keeps its entries.
    assert_eq!(
        (o.new, o.updated, o.unchanged, o.write_requests),
        (0, 2, 1, 2)
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
    assert_eq!(
        s.acquire_lease(&topic, "a", t(0), ttl).await.unwrap(),
        LeaseOutcome::Acquired
    );
    assert_eq!(
        s.acquire_lease(&topic, "b", t(10), ttl).await.unwrap(),
        LeaseOutcome::Held { until: t(60) }
    );
    // The holder may renew.
    assert_eq!(
        s.acquire_lease(&topic, "a", t(20), ttl).await.unwrap(),
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
    s.save(&topic, "a", &state).await.unwrap();
    assert_eq!(s.load(&topic).await.unwrap(), state);
    assert_eq!(
        s.save(&topic, "b", &FetchState::default()).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(
        s.load(&topic).await.unwrap(),
        state,
        "a lost lease writes nothing"
    );

    // After expiry another run takes over, and the old holder can neither save nor release it.
    assert_eq!(
        s.acquire_lease(&topic, "b", t(81), ttl).await.unwrap(),
        LeaseOutcome::Acquired
    );
    assert_eq!(
        s.save(&topic, "a", &FetchState::default()).await,
        Err(StoreError::LeaseLost)
    );
    s.release(&topic, "a").await.unwrap();
    assert!(matches!(
        s.acquire_lease(&topic, "c", t(90), ttl).await.unwrap(),
        LeaseOutcome::Held { .. }
    ));
    s.release(&topic, "b").await.unwrap();
    assert_eq!(
        s.acquire_lease(&topic, "c", t(91), ttl).await.unwrap(),
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
    let again = tubefeed_dynamo::create_table(s.client(), s.table())
        .await
        .unwrap();
    assert_eq!(again, tubefeed_dynamo::table::Created::AlreadyExisted);
}

#[tokio::test]
async fn reindex_makes_videos_stored_without_entries_searchable() {
    use tubefeed_core::{FeedQuery, FeedReader, Order};
    let s = store().await;
    let topic = Topic::parse("cricket").unwrap();
    let mut v = video(1);
    v.title = "How to make tea?".into();
    s.upsert(&topic, &[v.clone(), video(2)], t(0))
        .await
        .unwrap();
    // Drop the search entries, as for videos stored before the index existed.
    for w in tubefeed_core::text::index_words(&v.title, &v.description) {
        s.client()
            .delete_item()
            .table_name(s.table())
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("W#cricket#{w}")),
            )
            .key(
                "sk",
                aws_sdk_dynamodb::types::AttributeValue::S(tubefeed_dynamo::items::feed_sk(
                    v.published_at,
                    &v.id,
                )),
            )
            .send()
            .await
            .unwrap();
    }
    let q = FeedQuery {
        topic: topic.clone(),
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: vec!["tea".into(), "how".into()],
        limit: 10,
    };
    assert!(s.page(&q, None).await.unwrap().videos.is_empty());
    let o = s.reindex(&topic).await.unwrap();
    assert_eq!(o.videos, 2);
    assert!(o.entries >= 8, "{o:?}");
    let found = s.page(&q, None).await.unwrap();
    assert_eq!(
        found
            .videos
            .iter()
            .map(|v| v.title.as_str())
            .collect::<Vec<_>>(),
        ["How to make tea?"]
    );
    // Idempotent.
    assert_eq!(s.reindex(&topic).await.unwrap().videos, 2);
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
        channel_id: "UCnew".into(),
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
        channel_id: Some(ch.into()),
        terms: vec!["tea".into()],
        limit: 10,
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
