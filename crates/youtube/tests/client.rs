//! The client against the simulator: request shape, retries, timeouts, and no key in errors.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use tubefeed_core::{ApiKey, SearchOutcome, SearchRequest, SourceError, Topic, VideoSource};
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, FaultPlan, NewVideo, QuotaErrorShape, SimConfig, SimHandle};

const KEY: &str = "sim-key-1";

async fn sim(cfg: SimConfig) -> SimHandle {
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap();
    SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        ..cfg
    })
    .await
    .unwrap()
}

fn client(base_url: &str, timeout: Duration) -> YouTubeClient {
    YouTubeClient::new(ClientSettings {
        base_url: base_url.to_owned(),
        timeout,
        max_retries: 2,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..Default::default()
    })
    .unwrap()
}

fn req() -> SearchRequest {
    SearchRequest {
        q: Topic::parse("cricket").unwrap(),
        published_after: None,
        published_before: None,
        page_token: None,
        max_results: 50,
    }
}

#[tokio::test]
async fn pages_through_the_simulator_and_decodes_titles() {
    let s = sim(SimConfig::default()).await;
    let now = s.control().now();
    s.control().add_video(NewVideo {
        title: Some("Tea & \"cricket\" — it's on".into()),
        ..NewVideo::new("cricket", now)
    });
    s.control().add_burst(
        "cricket",
        60,
        now - chrono::Duration::hours(1),
        chrono::Duration::seconds(1),
    );
    let c = client(&s.base_url, Duration::from_secs(5));
    let SearchOutcome {
        result: page,
        attempts,
    } = c.search(&req(), &ApiKey::new(KEY)).await;
    let page = page.unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(page.videos.len(), 50);
    assert_eq!(page.videos[0].title, "Tea & \"cricket\" — it's on");
    let next = SearchRequest {
        page_token: page.next_page_token.clone(),
        ..req()
    };
    let SearchOutcome {
        result: page2,
        attempts: _,
    } = c.search(&next, &ApiKey::new(KEY)).await;
    let page2 = page2.unwrap();
    assert_eq!(page2.videos.len(), 11);
    assert_eq!(page2.next_page_token, None);
}

#[tokio::test]
async fn retries_5xx_a_bounded_number_of_times() {
    let s = sim(SimConfig::default()).await;
    s.control().set_faults(FaultPlan {
        server_error_after_calls: Some(0),
        server_error_count: Some(2),
        ..Default::default()
    });
    let c = client(&s.base_url, Duration::from_secs(5));
    let SearchOutcome {
        result: page,
        attempts,
    } = c.search(&req(), &ApiKey::new(KEY)).await;
    assert!(page.is_ok(), "{page:?}");
    assert_eq!(attempts, 3, "two 503s, then success");

    s.control().set_faults(FaultPlan {
        server_error_after_calls: Some(0),
        ..Default::default()
    });
    let SearchOutcome {
        result: page,
        attempts,
    } = c.search(&req(), &ApiKey::new(KEY)).await;
    assert!(
        matches!(page, Err(SourceError::Server { status: 503, .. })),
        "{page:?}"
    );
    assert_eq!(attempts, 3, "first try plus max_retries");
}

#[tokio::test]
async fn timeouts_are_typed_and_retried() {
    let s = sim(SimConfig::default()).await;
    s.control().set_faults(FaultPlan {
        slow_ms: Some(400),
        ..Default::default()
    });
    let c = client(&s.base_url, Duration::from_millis(100));
    let SearchOutcome {
        result: page,
        attempts,
    } = c.search(&req(), &ApiKey::new(KEY)).await;
    assert_eq!(page, Err(SourceError::Timeout(Duration::from_millis(100))));
    assert_eq!(attempts, 3);
}

#[tokio::test]
async fn malformed_bodies_are_typed_and_not_retried() {
    let s = sim(SimConfig::default()).await;
    s.control().set_faults(FaultPlan {
        malformed_after_calls: Some(0),
        ..Default::default()
    });
    let SearchOutcome {
        result: page,
        attempts,
    } = client(&s.base_url, Duration::from_secs(5))
        .search(&req(), &ApiKey::new(KEY))
        .await;
    assert!(matches!(page, Err(SourceError::Malformed(_))), "{page:?}");
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn key_errors_are_classified_and_never_show_the_key() {
    let s = sim(SimConfig {
        quota_error: QuotaErrorShape::PerDay429,
        disabled_keys: vec!["disabled-key-value".into()],
        ..SimConfig::default()
    })
    .await;
    let c = client(&s.base_url, Duration::from_secs(5));
    s.control().set_key_calls_left(KEY, 0);
    let SearchOutcome {
        result: r,
        attempts: _,
    } = c.search(&req(), &ApiKey::new(KEY)).await;
    assert!(matches!(r, Err(SourceError::QuotaExhausted(_))), "{r:?}");
    let secret = "AIzaSy-not-a-real-key-0123456789abcdef";
    let SearchOutcome {
        result: r,
        attempts: _,
    } = c.search(&req(), &ApiKey::new(secret)).await;
    assert_eq!(r, Err(SourceError::InvalidKey));
    let SearchOutcome {
        result: r,
        attempts: _,
    } = c.search(&req(), &ApiKey::new("disabled-key-value")).await;
    assert!(
        matches!(&r, Err(SourceError::ApiNotEnabled(m)) if !m.contains("disabled-key-value")),
        "{r:?}"
    );

    // A transport failure: reqwest errors carry the URL, and the URL carries the key.
    let dead = client("http://127.0.0.1:9/youtube/v3", Duration::from_secs(2));
    let SearchOutcome {
        result: r,
        attempts: _,
    } = dead.search(&req(), &ApiKey::new(secret)).await;
    let text = format!(
        "{:?} {}",
        r,
        r.as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(matches!(r, Err(SourceError::Transport(_))), "{text}");
    assert!(!text.contains(secret), "{text}");
}

#[tokio::test]
async fn date_bounds_are_sent_inclusive_with_a_zone() {
    let s = sim(SimConfig::default()).await;
    let now = s.control().now();
    let ids = s.control().add_burst(
        "cricket",
        5,
        now - chrono::Duration::seconds(4),
        chrono::Duration::seconds(1),
    );
    let c = client(&s.base_url, Duration::from_secs(5));
    let r = SearchRequest {
        published_after: Some(now - chrono::Duration::seconds(3)),
        published_before: Some(now - chrono::Duration::seconds(1)),
        ..req()
    };
    let SearchOutcome {
        result: page,
        attempts: _,
    } = c.search(&r, &ApiKey::new(KEY)).await;
    let got: Vec<String> = page
        .unwrap()
        .videos
        .into_iter()
        .map(|v| v.id.to_string())
        .collect();
    assert_eq!(got, vec![ids[3].clone(), ids[2].clone(), ids[1].clone()]);
}
