//! `make bench` (write path): videos/s through `upsert` — the path of the fetcher and of
//! `tubefeed import` — with 1 batch request in flight (the old, sequential path) and with more,
//! on bare DynamoDB Local and through a proxy that adds 10 ms to every request, as a network
//! round trip to DynamoDB does on AWS. Needs TUBEFEED_TEST_DYNAMODB.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{ChannelId, Topic, Video, VideoId, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::fresh_table;

const VIDEOS: usize = 500;
const DELAY: StdDuration = StdDuration::from_millis(10);

const WORDS: [&str; 24] = [
    "cricket",
    "highlights",
    "India",
    "England",
    "Kohli's",
    "century",
    "wickets",
    "final",
    "match",
    "live",
    "score",
    "review",
    "crème",
    "café",
    "क्रिकेट",
    "मैच",
    "東京",
    "試合",
    "ملخص",
    "مباراة",
    "T20-World",
    "semi-final",
    "🔥",
    "#shorts",
];

fn video(run: usize, i: usize, base: DateTime<Utc>) -> Video {
    let mut rng = fastrand::Rng::with_seed((run * 1_000_000 + i) as u64);
    let mut text = |n: usize| {
        (0..n)
            .map(|_| WORDS[rng.usize(..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    Video {
        id: VideoId::parse(&format!("w{run:02}{i:08}")).unwrap_or_else(|_| unreachable!()),
        title: text(8),
        description: text(16),
        published_at: base + Duration::seconds(i as i64),
        channel_id: ChannelId::parse(&format!("UCchannel{:04}", i % 50))
            .unwrap_or_else(|_| unreachable!()),
        channel_title: format!("Channel {}", i % 50),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bare = std::env::var("TUBEFEED_TEST_DYNAMODB")?;
    let upstream = bare.trim_start_matches("http://").to_owned();
    let proxy = format!(
        "http://127.0.0.1:{}",
        tubefeed_bench::latency_proxy(upstream, DELAY).await?
    );
    let topic = Topic::parse("cricket")?;
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or("time")?;

    println!(
        "## Write path: {VIDEOS} new videos in one upsert (as one fetch burst or import batch)"
    );
    println!();
    println!(
        "| DynamoDB | batch requests in flight | write requests | seconds | videos/s | speed-up |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, endpoint) in [
        ("Local, bare", &bare),
        ("Local + 10 ms per request", &proxy),
    ] {
        let mut sequential = None;
        for (run, inflight) in [1usize, 4, 8, 16].into_iter().enumerate() {
            let c = tubefeed_testkit::client_for(endpoint);
            let table = fresh_table(&c).await;
            let store = DynamoStore::new(c, table).with_write_concurrency(inflight);
            let videos: Vec<Video> = (0..VIDEOS).map(|i| video(run, i, base)).collect();
            let t = Instant::now();
            let o = store.upsert(&topic, &videos, base).await?;
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(o.new, VIDEOS);
            let rate = VIDEOS as f64 / secs;
            let first = *sequential.get_or_insert(rate);
            println!(
                "| {label} | {inflight} | {} | {secs:.2} | {rate:.0} | {:.1}× |",
                o.write_requests,
                rate / first
            );
        }
    }
    println!();
    println!(
        "Bare DynamoDB Local is bound by its own CPU on this machine; the 10 ms rows show what"
    );
    println!(
        "overlapping round trips buys where each request waits on the network, as in a Lambda."
    );
    Ok(())
}
