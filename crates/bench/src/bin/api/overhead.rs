//! The handler's own time per page: the router in process over a store that answers at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use tower::ServiceExt;
use tubefeed_core::{
    Cursor, FeedPage, FeedQuery, FeedReader, FetchState, KeyPoolCounts, KeyPoolReader, StoreError,
    Topic, Video, VideoId,
};

use crate::data::video;
use crate::timing::{ms, pct};

#[derive(Clone)]
struct FixedPage(Arc<Vec<Video>>);

impl FeedReader for FixedPage {
    async fn page(&self, q: &FeedQuery, _s: Option<&Cursor>) -> Result<FeedPage, StoreError> {
        let next = Some(Cursor {
            key: BTreeMap::from([
                ("pk".into(), "V#v0000000001".into()),
                ("sk".into(), "T#cricket".into()),
                ("feed_pk".into(), "T#cricket".into()),
                (
                    "feed_sk".into(),
                    "2026-01-01T00:00:00.000Z#v0000000001".into(),
                ),
            ]),
            driver: None,
        });
        Ok(FeedPage {
            videos: self.0.iter().take(usize::from(q.limit)).cloned().collect(),
            next,
            read_units: 0.0,
        })
    }
    async fn video(&self, _id: &VideoId) -> Result<Option<Video>, StoreError> {
        Ok(None)
    }
    async fn fetch_states(&self, _t: &[Topic]) -> Result<Vec<(Topic, FetchState)>, StoreError> {
        Ok(vec![])
    }
}
impl KeyPoolReader for FixedPage {
    async fn key_pool(&self, _now: DateTime<Utc>) -> Result<KeyPoolCounts, StoreError> {
        Ok(KeyPoolCounts::default())
    }
}

pub async fn handler_overhead() -> Result<(), Box<dyn std::error::Error>> {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or("time")?;
    let page: Vec<Video> = (0..50).map(|i| video(i, base)).collect();
    let state = Arc::new(tubefeed_api::ApiState::new(
        FixedPage(Arc::new(page)),
        tubefeed_api::TokenCodec::new(b"bench-secret-0123456789-0123456789"),
        tubefeed_api::ApiSettings {
            topics: vec![Topic::parse("cricket")?],
            first_page_ttl: StdDuration::ZERO,
            ..Default::default()
        },
    ));
    let router = tubefeed_api::router(state);
    println!(
        "## API: in-process handler time per page, store call excluded (target < 0.2 ms for 20 items)"
    );
    println!();
    println!("| route | items | body bytes | mean | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (uri, items) in [
        ("/videos?limit=20", 20),
        ("/videos?limit=50", 50),
        ("/feed.json", 50),
        ("/feed.atom", 50),
    ] {
        let (bytes, times) = time_route(&router, uri).await?;
        let mean = times.iter().sum::<StdDuration>() / times.len() as u32;
        println!(
            "| `{uri}` | {items} | {bytes} | {} | {} | {} |",
            ms(mean),
            ms(pct(times.clone(), 0.5)),
            ms(pct(times, 0.99))
        );
    }
    println!();
    Ok(())
}

/// 20,000 timed requests after 2,000 to warm up; the body's size and each request's time.
async fn time_route(
    router: &axum::Router,
    uri: &str,
) -> Result<(usize, Vec<StdDuration>), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(20_000);
    let mut size = 0;
    for i in 0..22_000 {
        let req = axum::http::Request::get(uri)
            .header("host", "bench.example")
            .body(axum::body::Body::empty())?;
        let t = Instant::now();
        let resp = router.clone().oneshot(req).await?;
        let body = axum::body::to_bytes(resp.into_body(), 1 << 22).await?;
        let el = t.elapsed();
        assert!(body.len() > 1000, "{uri}: {} bytes", body.len());
        size = body.len();
        if i >= 2_000 {
            times.push(el);
        }
    }
    Ok((size, times))
}
