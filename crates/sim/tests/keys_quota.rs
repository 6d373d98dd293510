mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use youtube_sim::{ClockMode, InvalidKeyShape, QuotaErrorShape, SimConfig};

async fn exhaust(shape: QuotaErrorShape) -> Resp {
    let cfg = manual(SimConfig {
        daily_calls_per_key: 3,
        quota_error: shape,
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    for _ in 0..3 {
        assert_eq!(search(&sim.base_url, &[("q", "cricket")]).await.status, 200);
    }
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    // The other key has its own budget.
    let other = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("q", "cricket"), ("key", KEY2)],
    ))
    .await;
    assert_eq!(other.status, 200);
    let stats = ctl.calls();
    assert_eq!(stats.total, 5);
    assert_eq!(stats.per_key[KEY], 4);
    assert_eq!(stats.per_status[&200], 4);
    assert_eq!(stats.per_status[&r.status], 1);
    assert_eq!(ctl.key_calls_left(KEY), 0);
    sim.shutdown().await;
    r
}

#[tokio::test]
async fn quota_exhausted_legacy_403() {
    let r = exhaust(QuotaErrorShape::Legacy403).await;
    assert_eq!(r.status, 403);
    let j = r.json();
    assert_eq!(j["error"]["code"], 403);
    assert_eq!(j["error"]["errors"][0]["domain"], "youtube.quota");
    assert_eq!(j["error"]["errors"][0]["reason"], "quotaExceeded");
    assert_eq!(
        j["error"]["message"],
        "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>."
    );
    assert!(r.body.contains("\\u003ca href="));
}

#[tokio::test]
async fn quota_exhausted_daily_403() {
    let r = exhaust(QuotaErrorShape::Daily403).await;
    assert_eq!(r.status, 403);
    let j = r.json();
    assert_eq!(j["error"]["errors"][0]["domain"], "usageLimits");
    assert_eq!(j["error"]["errors"][0]["reason"], "dailyLimitExceeded");
    assert!(r.message().starts_with(
        "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT)."
    ));
    assert!(j["error"]["errors"][0]["extendedHelp"].is_string());
    // The legacy generation: errors first, one-space indent.
    assert!(
        r.body.starts_with("{\n \"error\": {\n  \"errors\": ["),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn quota_exhausted_per_day_429() {
    let r = exhaust(QuotaErrorShape::PerDay429).await;
    assert_eq!(r.status, 429);
    let j = r.json();
    assert_eq!(j["error"]["code"], 429);
    assert_eq!(j["error"]["errors"][0]["domain"], "global");
    assert_eq!(j["error"]["errors"][0]["reason"], "rateLimitExceeded");
    let m = r.message();
    assert!(m.starts_with("Quota exceeded for quota metric 'Search Queries' and limit 'Search Queries per day' of service 'youtube.googleapis.com' for consumer 'project_number:"), "{m}");
}

#[tokio::test]
async fn invalid_key_modern_and_legacy() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let url = search_url(&sim.base_url, &[("part", "snippet"), ("key", "nope")]);
    let r = get(&url).await;
    assert_eq!(r.status, 400);
    let j = r.json();
    assert_eq!(
        j["error"]["message"],
        "API key not valid. Please pass a valid API key."
    );
    assert_eq!(j["error"]["errors"][0]["domain"], "global");
    assert_eq!(j["error"]["errors"][0]["reason"], "badRequest");
    assert_eq!(j["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(j["error"]["details"][0]["reason"], "API_KEY_INVALID");
    assert_eq!(
        j["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.ErrorInfo"
    );
    assert_eq!(ctl.calls().per_key["nope"], 1);
    sim.shutdown().await;

    let (sim, _ctl) = start(manual(SimConfig {
        invalid_key_shape: InvalidKeyShape::Legacy400,
        ..SimConfig::default()
    }))
    .await;
    let r = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("key", "nope")],
    ))
    .await;
    assert_eq!(r.status, 400);
    let j = r.json();
    assert_eq!(j["error"]["errors"][0]["domain"], "usageLimits");
    assert_eq!(j["error"]["errors"][0]["reason"], "keyInvalid");
    assert_eq!(j["error"]["message"], "Bad Request");
    assert!(j["error"].get("status").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn disabled_and_missing_keys() {
    let (sim, ctl) = start(manual(SimConfig {
        disabled_keys: vec!["off-key".into()],
        ..SimConfig::default()
    }))
    .await;
    let r = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("key", "off-key")],
    ))
    .await;
    assert_eq!(r.status, 403);
    let j = r.json();
    assert_eq!(j["error"]["errors"][0]["domain"], "usageLimits");
    assert_eq!(j["error"]["errors"][0]["reason"], "accessNotConfigured");
    assert_eq!(j["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(j["error"]["details"][1]["reason"], "SERVICE_DISABLED");
    assert!(
        r.message()
            .starts_with("YouTube Data API v3 has not been used in project ")
    );

    let r = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("q", "cricket")],
    ))
    .await;
    assert_eq!(r.status, 403);
    let j = r.json();
    assert_eq!(j["error"]["errors"][0]["domain"], "global");
    assert_eq!(j["error"]["errors"][0]["reason"], "forbidden");
    assert!(
        r.message()
            .starts_with("Method doesn't allow unregistered callers")
    );
    assert_eq!(ctl.calls().per_key[""], 1);
    assert_eq!(ctl.key_calls_left(KEY), 100, "nothing billed to real keys");
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_billed() {
    let (sim, ctl) = start(manual(SimConfig {
        daily_calls_per_key: 2,
        ..SimConfig::default()
    }))
    .await;
    assert_eq!(
        search(&sim.base_url, &[("maxResults", "99")]).await.status,
        400
    );
    assert_eq!(
        search(&sim.base_url, &[("pageToken", "zzz")]).await.status,
        400
    );
    assert_eq!(search(&sim.base_url, &[]).await.status, 403);
    sim.shutdown().await;
    assert_eq!(ctl.key_calls_left(KEY), 0);
}

#[tokio::test]
async fn budgets_reset_at_midnight_pacific() {
    // 06:50 UTC on 10 March 2026 is 23:50 on the 9th in Los Angeles (PDT, UTC-7).
    let start_at = Utc.with_ymd_and_hms(2026, 3, 10, 6, 50, 0).unwrap();
    let (sim, ctl) = start(SimConfig {
        clock: ClockMode::Manual(start_at),
        daily_calls_per_key: 2,
        ..SimConfig::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(search(&sim.base_url, &[]).await.status, 200);
    }
    assert_eq!(search(&sim.base_url, &[]).await.status, 403);
    // Midnight UTC has nothing to do with it.
    ctl.advance(Duration::minutes(9));
    assert_eq!(search(&sim.base_url, &[]).await.status, 403);
    ctl.advance(Duration::minutes(1));
    assert_eq!(ctl.key_calls_left(KEY), 2);
    assert_eq!(search(&sim.base_url, &[]).await.status, 200);

    // An explicit budget holds until the next Pacific midnight.
    ctl.set_key_calls_left(KEY, 0);
    assert_eq!(search(&sim.base_url, &[]).await.status, 403);
    ctl.advance(Duration::hours(23) + Duration::minutes(59));
    assert_eq!(search(&sim.base_url, &[]).await.status, 403);
    ctl.advance(Duration::minutes(1));
    assert_eq!(search(&sim.base_url, &[]).await.status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_quota_error_shape_can_differ_per_key() {
    let cfg = manual(SimConfig {
        quota_error: QuotaErrorShape::Legacy403,
        quota_error_by_key: std::collections::BTreeMap::from([(
            KEY2.to_owned(),
            QuotaErrorShape::PerDay429,
        )]),
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    ctl.set_key_calls_left(KEY, 0);
    ctl.set_key_calls_left(KEY2, 0);
    let first = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(first.status, 403);
    assert_eq!(first.reason(), "quotaExceeded");
    let second = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("q", "cricket"), ("key", KEY2)],
    ))
    .await;
    assert_eq!(second.status, 429);
    assert!(second.message().contains("per day"), "{}", second.message());
    sim.shutdown().await;
}

/// Quota belongs to a Google Cloud project: keys of one project share one bucket (and the
/// number in its error body), a key outside it keeps its own, and a project may be larger.
#[tokio::test]
async fn keys_of_one_project_share_its_bucket() {
    let cfg = manual(SimConfig {
        daily_calls_per_key: 3,
        valid_keys: vec![KEY.to_owned(), KEY2.to_owned(), "sim-key-3".to_owned()],
        projects: [(KEY, "shared"), (KEY2, "shared"), ("sim-key-3", "big")]
            .into_iter()
            .map(|(k, p)| (k.to_owned(), p.to_owned()))
            .collect(),
        project_daily_calls: [("big".to_owned(), 5)].into_iter().collect(),
        // The 2026 per-day body names the project's number.
        quota_error: QuotaErrorShape::PerDay429,
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let call = |key: &'static str| {
        let url = search_url(
            &sim.base_url,
            &[("part", "snippet"), ("q", "cricket"), ("key", key)],
        );
        async move { get(&url).await.status }
    };
    for key in [KEY, KEY2, KEY] {
        assert_eq!(call(key).await, 200);
    }
    assert_eq!(
        ctl.key_calls_left(KEY2),
        0,
        "three calls of either key spent the bucket"
    );
    let refused = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("q", "cricket"), ("key", KEY2)],
    ))
    .await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.message().contains("project_number:"),
        "{}",
        refused.message()
    );
    let refused_other = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("q", "cricket"), ("key", KEY)],
    ))
    .await;
    assert_eq!(
        refused.message(),
        refused_other.message(),
        "one project, one project number in the body"
    );
    for _ in 0..5 {
        assert_eq!(call("sim-key-3").await, 200, "its own, larger project");
    }
    assert_eq!(call("sim-key-3").await, 429);
    let other_project = get(&search_url(
        &sim.base_url,
        &[("part", "snippet"), ("q", "cricket"), ("key", "sim-key-3")],
    ))
    .await;
    assert_ne!(
        other_project.message(),
        refused.message(),
        "another project's number"
    );
    let stats = ctl.calls();
    assert_eq!(stats.quota_refused[KEY], 1);
    assert_eq!(stats.quota_refused[KEY2], 1);
    assert_eq!(stats.quota_refused["sim-key-3"], 2);
    // Midnight Pacific refills every project.
    ctl.advance(Duration::hours(25));
    assert_eq!(call(KEY2).await, 200);
    sim.shutdown().await;
}
