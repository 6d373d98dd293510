//! `make bench` (events): what announcing new videos costs, on DynamoDB Local with an
//! in-process sink that accepts every event as EventBridge would (the network call is not
//! measured; EventBridge's latency is its own). For runs that store 50, 500 and 5,000 new
//! videos with realistic text: events and `PutEvents` calls per run, the outbox's write units
//! per new video (the row and its delete), and the announcer's time per run.

use std::time::Instant;

use chrono::{Duration, Utc};
use tubefeed_core::fakes::MemSink;
use tubefeed_core::{Announcer, ChannelId, Topic, Video, VideoId, VideoStore};
use tubefeed_testkit::fresh_store;

fn video(i: usize) -> Video {
    Video {
        id: VideoId::parse(&format!("be{i:09}")).unwrap_or_else(|_| unreachable!()),
        title: format!("Highlights: cricket match {i} — every wicket and boundary"),
        // A typical search result's description: YouTube cuts it to about 160 characters.
        description: "Watch the full highlights of today's match with every wicket, six and \
                      four. Subscribe for more cricket every day, and turn on notifications."
            .into(),
        published_at: Utc::now() - Duration::seconds(i as i64),
        channel_id: ChannelId::parse(&format!("UCbenchchannel{:08}", i % 40))
            .unwrap_or_else(|_| unreachable!()),
        channel_title: format!("Cricket Channel {}", i % 40),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

#[tokio::main]
async fn main() {
    println!("## Events: a run's new videos announced (DynamoDB Local outbox, in-process sink)");
    println!();
    println!(
        "| new videos in the run | events | PutEvents calls | outbox write units per video | announce time |"
    );
    println!("|---:|---:|---:|---:|---:|");
    let topic = Topic::parse("cricket").unwrap_or_else(|_| unreachable!());
    for n in [50, 500, 5_000] {
        let plain = fresh_store().await;
        let videos: Vec<Video> = (0..n).map(video).collect();
        plain
            .upsert(&topic, &videos, Utc::now())
            .await
            .unwrap_or_default();
        let without = plain.write_units_spent();
        let store = fresh_store().await.with_events(true);
        store
            .upsert(&topic, &videos, Utc::now())
            .await
            .unwrap_or_default();
        let sink = MemSink::default();
        let start = Instant::now();
        let s = Announcer {
            outbox: &store,
            sink: &sink,
            max_rows: 10_000,
        }
        .run()
        .await;
        let took = start.elapsed();
        let per_video = (store.write_units_spent() - without) / n as f64;
        assert_eq!(s.videos, n, "{s:?}");
        println!(
            "| {n} | {} | {} | {per_video:.1} | {:.0} ms |",
            s.events,
            s.calls,
            took.as_secs_f64() * 1000.0
        );
    }
    println!();
}
