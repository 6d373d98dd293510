mod common;

use std::time::Instant;

use chrono::Duration;
use common::*;
use serde_json::json;
use youtube_sim::{FaultPlan, SimConfig};

#[tokio::test]
async fn server_errors_after_n_calls_are_not_billed() {
    let cfg = manual(SimConfig {
        daily_calls_per_key: 10,
        faults: FaultPlan {
            server_error_after_calls: Some(2),
            server_error_count: Some(2),
            ..FaultPlan::default()
        },
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let statuses = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(search(&sim.base_url, &[("q", "cricket")]).await);
        }
        v
    };
    let codes: Vec<u16> = statuses.iter().map(|r| r.status).collect();
    assert_eq!(codes, vec![200, 200, 503, 503, 200]);
    let e = &statuses[2];
    assert_eq!(e.reason(), "backendError");
    assert_eq!(e.json()["error"]["errors"][0]["domain"], "global");
    assert_eq!(e.message(), "Backend Error");
    assert_eq!(
        e.body,
        "{\n \"error\": {\n  \"errors\": [\n   {\n    \"domain\": \"global\",\n    \"reason\": \"backendError\",\n    \"message\": \"Backend Error\"\n   }\n  ],\n  \"code\": 503,\n  \"message\": \"Backend Error\"\n }\n}\n"
    );
    assert_eq!(
        ctl.key_calls_left(KEY),
        7,
        "only the three answered calls are billed"
    );
    let stats = ctl.calls();
    assert_eq!(stats.total, 5);
    assert_eq!(stats.per_status[&503], 2);
    assert_eq!(stats.faults_injected, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_and_500s() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    ctl.set_faults(FaultPlan {
        malformed_after_calls: Some(0),
        malformed_count: Some(1),
        ..FaultPlan::default()
    });
    let bad = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(bad.status, 200);
    assert_eq!(
        bad.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert!(serde_json::from_str::<serde_json::Value>(&bad.body).is_err());
    assert!(
        bad.body
            .starts_with("{\n  \"kind\": \"youtube#searchListResponse\"")
    );
    let good = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(good.json()["kind"], "youtube#searchListResponse");

    ctl.set_faults(FaultPlan {
        status_500_fraction: 1.0,
        ..FaultPlan::default()
    });
    let r = search(&sim.base_url, &[]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.reason(), "backendError");
    assert_eq!(r.json()["error"]["code"], 500);

    ctl.set_faults(FaultPlan {
        status_500_fraction: 0.5,
        ..FaultPlan::default()
    });
    let mut fives = 0;
    for _ in 0..40 {
        if search(&sim.base_url, &[]).await.status == 500 {
            fives += 1;
        }
    }
    assert!((8..=32).contains(&fives), "{fives}");
    assert_eq!(ctl.key_calls_left(KEY), 100 - 1 - (40 - fives));
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_responses() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    ctl.set_faults(FaultPlan {
        slow_ms: Some(150),
        ..FaultPlan::default()
    });
    let t = Instant::now();
    assert_eq!(search(&sim.base_url, &[]).await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(150));
    sim.shutdown().await;
}

#[tokio::test]
async fn http_control_plane() {
    let (sim, _ctl) = start(manual(SimConfig::default())).await;
    let root = format!("http://{}", sim.addr);

    let r = send_json(
        "POST",
        &format!("{root}/_sim/videos"),
        &json!({"topic": "cricket", "title": "Tom & Jerry's \"cricket\""}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["video_id"].as_str().unwrap().to_owned();

    let r = send_json(
        "POST",
        &format!("{root}/_sim/burst"),
        &json!({"topic": "football", "count": 4, "spacing_seconds": 30}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["video_ids"].as_array().unwrap().len(), 4);

    let s = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(s.video_ids(), vec![id]);
    assert_eq!(
        s.json()["items"][0]["snippet"]["title"],
        "Tom &amp; Jerry&#39;s &quot;cricket&quot;"
    );
    assert_eq!(
        search(&sim.base_url, &[("q", "football")])
            .await
            .video_ids()
            .len(),
        4
    );

    let r = send_json(
        "POST",
        &format!("{root}/_sim/advance"),
        &json!({"seconds": 90}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["now"], "2026-03-10T12:01:30Z");

    let r = send_json(
        "PUT",
        &format!("{root}/_sim/keys/{KEY}/calls_left"),
        &json!({"calls_left": 0}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(search(&sim.base_url, &[]).await.reason(), "quotaExceeded");

    let r = send_json(
        "PUT",
        &format!("{root}/_sim/faults"),
        &json!({"server_error_after_calls": 0}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["server_error_after_calls"], 0);
    let s = get(&search_url(
        &sim.base_url,
        &[("key", KEY2), ("part", "snippet")],
    ))
    .await;
    assert_eq!(s.status, 503);

    let st = get(&format!("{root}/_sim/state")).await;
    assert_eq!(st.status, 200);
    let j = st.json();
    assert_eq!(j["now"], "2026-03-10T12:01:30Z");
    assert_eq!(j["topics"]["cricket"]["videos"], 1);
    assert_eq!(j["topics"]["football"]["videos"], 4);
    assert_eq!(j["calls"]["total"], 4);
    assert_eq!(j["calls"]["per_status"]["503"], 1);
    assert_eq!(j["keys"][KEY], 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn continuous_generation_is_deterministic_per_seed() {
    async fn run(seed: u64) -> (Vec<String>, Vec<String>, usize) {
        let cfg = manual(SimConfig {
            seed,
            rate_per_minute: 6.0,
            topics: vec!["cricket".into(), "football".into()],
            ..SimConfig::default()
        });
        let (sim, ctl) = start(cfg).await;
        for _ in 0..3 {
            ctl.advance(Duration::minutes(10));
        }
        let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "50")]).await;
        let j = r.json();
        let titles: Vec<String> = j["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["snippet"]["title"].as_str().unwrap().to_owned())
            .collect();
        let n = ctl.video_count("football");
        sim.shutdown().await;
        (r.video_ids(), titles, n)
    }
    let (ids_a, titles_a, n_a) = run(11).await;
    let (ids_b, titles_b, n_b) = run(11).await;
    let (ids_c, _, _) = run(12).await;
    assert_eq!(ids_a, ids_b);
    assert_eq!(titles_a, titles_b);
    assert_eq!(n_a, n_b);
    assert_ne!(ids_a, ids_c);
    assert!(ids_a.len() >= 50, "about 180 per topic in 30 minutes");
    assert!(n_a > 100);
    assert!(titles_a.iter().all(|t| t.contains("cricket")));
    let unique: std::collections::HashSet<&String> = ids_a.iter().collect();
    assert_eq!(unique.len(), ids_a.len());
    assert!(ids_a.iter().all(|id| id.len() == 11));
}

#[tokio::test]
async fn backfill_and_real_clock() {
    let cfg = SimConfig {
        rate_per_minute: 6.0,
        backfill: std::time::Duration::from_secs(3600),
        ..SimConfig::default()
    };
    let (sim, ctl) = start(cfg).await;
    let n = ctl.video_count("cricket");
    assert!((250..=480).contains(&n), "{n}");
    let before = ctl.now();
    ctl.advance(Duration::hours(1));
    assert!(ctl.now() - before >= Duration::hours(1));
    assert!(ctl.video_count("cricket") > n + 200);
    let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "50")]).await;
    assert_eq!(r.video_ids().len(), 50);
    sim.shutdown().await;
}
