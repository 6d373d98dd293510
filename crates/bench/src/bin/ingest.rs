//! `make bench` (ingestion): quota calls and DynamoDB write requests per new video, for bursts
//! of 10, 100 and 500 videos arriving between two runs. Real client, real store (DynamoDB
//! Local at TUBEFEED_TEST_DYNAMODB), simulated YouTube. Counts, not timings: they do not depend
//! on the machine.

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use tubefeed_core::{ApiKey, FetchSettings, Fetcher, StaticKeyRing, Topic};
use tubefeed_testkit::fresh_store;
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, SimConfig, SimHandle};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("## Ingestion: quota and writes per new video (one run after the burst)");
    println!();
    println!(
        "| burst | pages | calls (head+sweep) | calls/video | floor (1/50) | write requests | write requests/video |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for burst in [10usize, 100, 500] {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .single()
            .ok_or("bad time")?;
        let sim = SimHandle::start(SimConfig {
            clock: ClockMode::Manual(t0),
            ..SimConfig::default()
        })
        .await?;
        let ctl = sim.control();
        let store = fresh_store().await;
        let fetcher = Fetcher::new(
            YouTubeClient::new(ClientSettings {
                base_url: sim.base_url.clone(),
                ..Default::default()
            })?,
            store.clone(),
            StaticKeyRing::new(vec![ApiKey::new("sim-key-1")], 100_000),
            FetchSettings {
                lease_ttl: StdDuration::from_secs(60),
                ..Default::default()
            },
        );
        let topic = [Topic::parse("cricket")?];
        // A steady history: one video a minute for the last hour, already stored.
        ctl.add_burst(
            "cricket",
            60,
            t0 - Duration::minutes(60),
            Duration::minutes(1),
        );
        fetcher.run(&topic, ctl.now()).await;
        ctl.advance(Duration::minutes(2));
        let spacing = Duration::milliseconds(110_000 / burst as i64);
        ctl.add_burst(
            "cricket",
            burst,
            ctl.now() - Duration::seconds(115),
            spacing,
        );
        let before = ctl.calls().total;
        let s = fetcher.run(&topic, ctl.now()).await;
        let t = &s.topics[0];
        let calls = ctl.calls().total - before;
        assert_eq!(t.new, burst, "bench sanity: every video stored");
        println!(
            "| {burst} | {} | {calls} | {:.3} | {:.3} | {} | {:.3} |",
            t.pages,
            calls as f64 / burst as f64,
            1.0 / 50.0,
            t.write_requests,
            t.write_requests as f64 / burst as f64
        );
        sim.shutdown().await;
    }
    println!();
    println!(
        "calls = search.list calls (each one quota unit of the per-day bucket). A write request is one\n\
         BatchWriteItem call of up to 25 items: the video item and one search entry per distinct word\n\
         (about 20-30 here), so roughly one request per new video. The head needs ceil((burst+1)/50)\n\
         pages; the late sweep re-reads the 15-minute lookback below the old watermark (1 page here)\n\
         and writes nothing for videos it already has."
    );
    Ok(())
}
