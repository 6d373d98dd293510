//! New-video events on the fakes: each new video announced at least once, across an outage
//! and a partial refusal; re-fetched videos never; entries and calls within EventBridge's
//! limits. (crates/app/tests/events.rs proves the same through moto's EventBridge and SQS.)

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use tubefeed_core::events::{MAX_CALL_BYTES, MAX_ENTRIES_PER_CALL, MAX_ENTRY_BYTES};
use tubefeed_core::fakes::{MemSink, MemStore};
use tubefeed_core::{Announcer, ChannelId, Topic, Video, VideoId, VideoStore};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
}

fn video(i: usize, description_len: usize) -> Video {
    Video {
        id: VideoId::parse(&format!("ev{i:09}")).unwrap(),
        title: format!("event video {i} — “quoted” ✓"),
        description: "d".repeat(description_len),
        published_at: now() - Duration::minutes(i as i64),
        channel_id: ChannelId::parse("UCeventseventsevents00").unwrap(),
        channel_title: "Events".into(),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

/// Video ids per topic across every published event, in order.
fn announced(sink: &MemSink) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in sink.published() {
        let v: Value = serde_json::from_str(&d).unwrap();
        let ids = v["videos"].as_array().unwrap().iter();
        out.entry(v["topic"].as_str().unwrap().to_owned())
            .or_default()
            .extend(ids.map(|x| x["id"].as_str().unwrap().to_owned()));
    }
    out
}

fn ids(videos: &[Video]) -> Vec<String> {
    videos.iter().map(|v| v.id.to_string()).collect()
}

#[tokio::test]
async fn new_videos_are_announced_once_and_refetched_ones_never() {
    let store = MemStore::default().with_events(true);
    let sink = MemSink::default();
    let announcer = Announcer {
        outbox: &store,
        sink: &sink,
        max_rows: 10_000,
    };
    let cricket = Topic::parse("cricket").unwrap();
    let chess = Topic::parse("chess").unwrap();
    let first: Vec<Video> = (0..5).map(|i| video(i, 10)).collect();
    store.upsert(&cricket, &first, now()).await.unwrap();
    store.upsert(&chess, &first[..2], now()).await.unwrap();
    let s = announcer.run().await;
    assert_eq!((s.videos, s.events, s.calls, s.error), (7, 2, 1, None));
    let got = announced(&sink);
    assert_eq!(got["cricket"], ids(&first));
    assert_eq!(
        got["chess"],
        ids(&first[..2]),
        "per topic: a video new to chess too"
    );
    let v: Value = serde_json::from_str(&sink.published()[0]).unwrap();
    assert_eq!(
        v["videos"][0]["url"], "https://www.youtube.com/watch?v=ev000000000",
        "the API's shape"
    );

    // The next run re-fetches them and finds one new.
    let mut again = first.clone();
    again[0].title = "retitled".into();
    again.push(video(9, 10));
    store.upsert(&cricket, &again, now()).await.unwrap();
    let s = announcer.run().await;
    assert_eq!((s.videos, s.events), (1, 1));
    assert_eq!(announced(&sink)["cricket"].last().unwrap(), "ev000000009");
    assert_eq!(announcer.run().await.calls, 0, "nothing left to publish");
}

#[tokio::test]
async fn an_outage_delays_events_and_loses_none() {
    let store = MemStore::default().with_events(true);
    let sink = MemSink::default();
    let announcer = Announcer {
        outbox: &store,
        sink: &sink,
        max_rows: 10_000,
    };
    let topic = Topic::parse("cricket").unwrap();
    let batch: Vec<Video> = (0..30).map(|i| video(i, 10)).collect();
    sink.set_down(true);
    store.upsert(&topic, &batch[..20], now()).await.unwrap();
    let s = announcer.run().await;
    assert_eq!(s.videos, 0);
    assert!(s.error.as_deref().unwrap().contains("unreachable"), "{s:?}");
    assert_eq!(store.outbox_len(), 20, "kept for the next run");
    // Still down at the next run; more videos arrive meanwhile; storage goes on.
    let o = store.upsert(&topic, &batch[20..], now()).await.unwrap();
    assert_eq!(o.new, 10);
    assert!(announcer.run().await.error.is_some());
    sink.set_down(false);
    // One entry of the next call is refused: its videos wait, the others are done.
    sink.refuse_next(1);
    let s = announcer.run().await;
    assert!(s.error.as_deref().unwrap().contains("refused 1"), "{s:?}");
    let s = announcer.run().await;
    assert_eq!(s.error, None);
    let got = announced(&sink)["cricket"].clone();
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 30, "every video announced");
    assert_eq!(
        got.len(),
        30,
        "and here once each: the refused entry was published later"
    );
    assert_eq!(store.outbox_len(), 0);
}

#[tokio::test]
async fn entries_and_calls_stay_within_eventbridges_limits() {
    let store = MemStore::default().with_events(true);
    let sink = MemSink::default();
    let topic = Topic::parse("cricket").unwrap();
    // 400 videos with 3 KB descriptions: about 1.3 MB of events.
    let batch: Vec<Video> = (0..400).map(|i| video(i, 3_000)).collect();
    store.upsert(&topic, &batch, now()).await.unwrap();
    let s = Announcer {
        outbox: &store,
        sink: &sink,
        max_rows: 10_000,
    }
    .run()
    .await;
    assert_eq!((s.videos, s.error.clone()), (400, None));
    let sizes: Vec<usize> = sink.published().iter().map(String::len).collect();
    assert!(sizes.iter().all(|&n| n <= MAX_ENTRY_BYTES), "{sizes:?}");
    assert!(
        sizes.iter().filter(|&&n| n > MAX_ENTRY_BYTES / 2).count() >= sizes.len() - 1,
        "entries are filled: {sizes:?}"
    );
    // Calls: at most 10 entries and 256 KB each.
    assert!(s.calls >= sizes.len().div_ceil(MAX_ENTRIES_PER_CALL));
    assert!(
        s.calls >= sizes.iter().sum::<usize>().div_ceil(MAX_CALL_BYTES),
        "{} calls for {} bytes",
        s.calls,
        sizes.iter().sum::<usize>()
    );
    assert_eq!(announced(&sink)["cricket"], ids(&batch));
}

#[tokio::test]
async fn rows_whose_video_is_not_stored_are_dropped_and_import_like_handles_write_none() {
    let topic = Topic::parse("cricket").unwrap();
    let quiet = MemStore::default();
    quiet.upsert(&topic, &[video(1, 1)], now()).await.unwrap();
    assert_eq!(quiet.outbox_len(), 0, "no EVENT_BUS_NAME, no rows");
    let store = quiet.with_events(true);
    store.upsert(&topic, &[video(2, 1)], now()).await.unwrap();
    // The video expires before it is announced (a week-long outage with 3-day retention).
    let short = store.with_retention(tubefeed_core::Retention::new(Some(3), []));
    let old = Video {
        published_at: Utc::now() - Duration::days(4),
        ..video(3, 1)
    };
    store.upsert(&topic, &[old], now()).await.unwrap();
    let sink = MemSink::default();
    let s = Announcer {
        outbox: &short,
        sink: &sink,
        max_rows: 100,
    }
    .run()
    .await;
    assert_eq!((s.videos, s.dropped), (1, 1));
    assert_eq!(announced(&sink)["cricket"], ["ev000000002"]);
}
