mod common;

use chrono::Duration;
use common::*;
use youtube_sim::{NewVideo, SimConfig};

fn newest_first(mut ids: Vec<String>) -> Vec<String> {
    ids.reverse();
    ids
}

#[tokio::test]
async fn three_pages_in_date_order_with_tokens() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let ids = ctl.add_burst(
        "cricket",
        12,
        t0() - Duration::minutes(12),
        Duration::minutes(1),
    );
    let expected = newest_first(ids);

    let p1 = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "5")]).await;
    assert_eq!(p1.status, 200, "{}", p1.body);
    assert_eq!(p1.video_ids(), expected[0..5]);
    assert_eq!(p1.prev(), None);
    let t1 = p1.next().expect("page 2 token");
    assert!(
        t1.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{t1}"
    );
    assert!(
        t1.starts_with("CAUQA"),
        "offset 5 forward, like YouTube's CAUQAA: {t1}"
    );
    let j = p1.json();
    assert_eq!(j["pageInfo"]["resultsPerPage"], 5);
    assert_eq!(j["pageInfo"]["totalResults"], 12);

    let p2 = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "5"), ("pageToken", &t1)],
    )
    .await;
    assert_eq!(p2.video_ids(), expected[5..10]);
    let back = p2.prev().expect("prevPageToken on page 2");
    let t2 = p2.next().expect("page 3 token");

    let p3 = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "5"), ("pageToken", &t2)],
    )
    .await;
    assert_eq!(p3.video_ids(), expected[10..12]);
    assert_eq!(p3.next(), None);
    assert!(p3.prev().is_some());

    let again = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "5"), ("pageToken", &back)],
    )
    .await;
    assert_eq!(again.video_ids(), expected[0..5]);
    assert_eq!(again.prev(), None);
    sim.shutdown().await;
}

#[tokio::test]
async fn ties_are_broken_by_video_id_descending() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let mut ids = ctl.add_burst("cricket", 6, t0() - Duration::minutes(1), Duration::zero());
    let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "50")]).await;
    ids.sort();
    ids.reverse();
    assert_eq!(r.video_ids(), ids);
    sim.shutdown().await;
}

#[tokio::test]
async fn paging_stops_at_the_result_cap() {
    let cfg = manual(SimConfig {
        result_cap: 100,
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let ids = ctl.add_burst(
        "cricket",
        150,
        t0() - Duration::hours(3),
        Duration::minutes(1),
    );
    let expected = newest_first(ids);

    let p1 = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "50")]).await;
    assert_eq!(p1.json()["pageInfo"]["totalResults"], 150);
    let t = p1.next().expect("second page");
    let p2 = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "50"), ("pageToken", &t)],
    )
    .await;
    assert_eq!(p2.video_ids(), expected[50..100]);
    assert_eq!(p2.next(), None, "the cap hides results 100..150");

    // With a page size that does not divide the cap, the last page is cut at the cap.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("q", "cricket"), ("maxResults", "30")];
        if let Some(t) = token.as_deref() {
            params.push(("pageToken", t));
        }
        let r = search(&sim.base_url, &params).await;
        seen.extend(r.video_ids());
        token = r.next();
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected[..100]);
    sim.shutdown().await;
}

#[tokio::test]
async fn repeat_across_pages_starts_each_page_with_the_previous_last_item() {
    let cfg = manual(SimConfig {
        repeat_across_pages: true,
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let ids = ctl.add_burst(
        "cricket",
        12,
        t0() - Duration::minutes(12),
        Duration::minutes(1),
    );
    let expected = newest_first(ids);
    let p1 = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "5")]).await;
    assert_eq!(p1.video_ids(), expected[0..5]);
    let t1 = p1.next().unwrap();
    let p2 = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "5"), ("pageToken", &t1)],
    )
    .await;
    assert_eq!(p2.video_ids(), expected[4..9]);
    let t2 = p2.next().unwrap();
    let p3 = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "5"), ("pageToken", &t2)],
    )
    .await;
    assert_eq!(p3.video_ids(), expected[8..12]);
    assert_eq!(p3.next(), None);
    let back = search(
        &sim.base_url,
        &[
            ("q", "cricket"),
            ("maxResults", "5"),
            ("pageToken", &p3.prev().unwrap()),
        ],
    )
    .await;
    assert_eq!(back.video_ids(), expected[4..9]);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_upload_between_page_calls_repeats_an_item() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let ids = ctl.add_burst(
        "cricket",
        10,
        t0() - Duration::minutes(10),
        Duration::minutes(1),
    );
    let expected = newest_first(ids);
    let p1 = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "5")]).await;
    let t = p1.next().unwrap();
    let fresh = ctl.add_video(NewVideo::new("cricket", t0()));
    let p2 = search(
        &sim.base_url,
        &[("q", "cricket"), ("maxResults", "5"), ("pageToken", &t)],
    )
    .await;
    assert_eq!(p2.video_ids()[0], expected[4], "shifted by the new upload");
    assert!(!p2.video_ids().contains(&fresh));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_token_from_another_query_is_rejected() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    ctl.add_burst(
        "cricket",
        12,
        t0() - Duration::minutes(12),
        Duration::minutes(1),
    );
    let p1 = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "5")]).await;
    let t = p1.next().unwrap();
    for other in [
        vec![
            ("q", "football"),
            ("maxResults", "5"),
            ("pageToken", t.as_str()),
        ],
        vec![
            ("q", "cricket"),
            ("maxResults", "6"),
            ("pageToken", t.as_str()),
        ],
        vec![
            ("q", "cricket"),
            ("maxResults", "5"),
            ("publishedAfter", "2026-03-01T00:00:00Z"),
            ("pageToken", t.as_str()),
        ],
        vec![
            ("q", "cricket"),
            ("maxResults", "5"),
            ("pageToken", "CDIQAA"),
        ],
        vec![
            ("q", "cricket"),
            ("maxResults", "5"),
            ("pageToken", "%%garbage"),
        ],
    ] {
        let r = search(&sim.base_url, &other).await;
        assert_eq!(r.status, 400, "{other:?}: {}", r.body);
        let j = r.json();
        assert_eq!(j["error"]["errors"][0]["domain"], "youtube.parameter");
        assert_eq!(j["error"]["errors"][0]["reason"], "invalidPageToken");
        assert_eq!(j["error"]["code"], 400);
    }
    // Case and spacing of q do not change the query.
    let same = search(
        &sim.base_url,
        &[("q", " Cricket "), ("maxResults", "5"), ("pageToken", &t)],
    )
    .await;
    assert_eq!(same.status, 200);
    sim.shutdown().await;
}
