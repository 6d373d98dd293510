//! `make bench` (details): videos.list units per 1,000 stored videos over a simulated day, on
//! the in-memory fakes (the enricher's decisions are the whole cost: one unit per call), with
//! a run every minute, for a busy topic (10 videos a minute), a steady one (1 a minute) and a
//! quiet one (one every 10 minutes), at the default wait for a call of 50 (10 minutes) and
//! with no wait. Target: ≤ 21 units per 1,000 videos where videos come fast enough to fill
//! calls; a quiet topic pays at most one unit per wait.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::fakes::{MemSource, MemStore};
use tubefeed_core::{
    ApiKey, EnrichSettings, Enricher, FetchSettings, Fetcher, StaticKeyRing, Topic,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()
}

/// Units and videos after a day of runs every minute, `per_10_min` videos every 10 minutes.
async fn day(per_10_min: usize, max_wait: Duration) -> (u64, usize, i64) {
    let source = MemSource::new(t0());
    let store = MemStore::default();
    let topic = Topic::parse("cricket").unwrap_or_else(|_| unreachable!());
    let fetcher = Fetcher::new(
        source.clone(),
        store.clone(),
        StaticKeyRing::new(vec![ApiKey::new("search")], 1_000_000),
        FetchSettings::default(),
    );
    let units = StaticKeyRing::new(vec![ApiKey::new("units")], 100);
    let settings = EnrichSettings {
        units_per_run: 100,
        max_wait,
        ..EnrichSettings::default()
    };
    let mut worst_wait = 0;
    for minute in 0..24 * 60 {
        let now = source.now();
        // Spread over the ten minutes: this minute's share of them.
        let n = (per_10_min * (minute % 10 + 1)) / 10 - (per_10_min * (minute % 10)) / 10;
        if n > 0 {
            source.add_burst(
                "cricket",
                n,
                now - Duration::seconds(50),
                Duration::seconds(1),
            );
        }
        fetcher.run(std::slice::from_ref(&topic), now).await;
        let oldest = store.pending_since();
        Enricher {
            source: &source,
            store: &store,
            keys: &units,
            settings,
            blocked: &[],
        }
        .run(now)
        .await;
        if let Some(at) = oldest {
            if store.pending_count() == 0 {
                worst_wait = worst_wait.max((now - at).num_seconds());
            }
        }
        source.advance(Duration::minutes(1));
    }
    let (calls, _) = source.details_calls();
    (calls, store.videos(&topic).len(), worst_wait)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("## videos.list units per 1,000 stored videos (a day, a run a minute)");
    println!();
    println!(
        "| topic | wait for a call of 50 | videos | units | units per 1,000 videos | longest wait for details |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (label, per_10) in [
        ("busy, 10 a minute", 100),
        ("steady, 1 a minute", 10),
        ("quiet, 1 in 10 minutes", 1),
    ] {
        for (wait_label, wait) in [
            ("10 min (default)", Duration::minutes(10)),
            ("none", Duration::zero()),
        ] {
            let (units, videos, waited) = day(per_10, wait).await;
            let per_1000 = units as f64 * 1000.0 / videos.max(1) as f64;
            println!(
                "| {label} | {wait_label} | {videos} | {units} | {per_1000:.1} | {:.1} min |",
                waited as f64 / 60.0
            );
        }
    }
}
