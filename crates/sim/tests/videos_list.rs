//! `videos.list` as YouTube answers it: parts, the 50-id limit, missing deleted videos, `P0D`
//! for broadcasts, embed sizes from `maxWidth`/`maxHeight`, and the project's unit pool.

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::*;
use serde_json::{Value, json};
use youtube_sim::{DetailsOverride, FaultPlan, LiveState, NewVideo, Shape, SimConfig};

const ALL_PARTS: &str = "snippet,contentDetails,statistics,liveStreamingDetails,player";

fn videos_url(base: &str, params: &[(&str, &str)]) -> String {
    search_url(base, params).replacen("/search?", "/videos?", 1)
}

async fn videos(base: &str, ids: &[String], extra: &[(&str, &str)]) -> Resp {
    let joined = ids.join(",");
    let mut params = vec![("part", ALL_PARTS), ("id", joined.as_str()), ("key", KEY)];
    params.extend_from_slice(extra);
    get(&videos_url(base, &params)).await
}

fn shaped(shape: Shape, seconds: u32) -> NewVideo {
    NewVideo {
        details: DetailsOverride {
            duration_seconds: Some(seconds),
            shape: Some(shape),
            audio_language: Some("en-GB".into()),
        },
        ..NewVideo::new("cricket", t0() - Duration::hours(1))
    }
}

fn item<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from {body}"))
}

#[tokio::test]
async fn details_come_in_the_order_asked_with_sizes_in_the_videos_frame() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let wide = ctl.add_video(shaped(Shape::Landscape, 45));
    let tall = ctl.add_video(shaped(Shape::Portrait, 170));
    let r = videos(
        &sim.base_url,
        &[tall.clone(), wide.clone()],
        &[("maxWidth", "480")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = r.json();
    assert_eq!(b["kind"], "youtube#videoListResponse");
    let ids: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [tall.as_str(), wide.as_str()]);
    let t = item(&b, &tall);
    assert_eq!(t["contentDetails"]["duration"], "PT2M50S");
    assert_eq!(
        (&t["player"]["embedWidth"], &t["player"]["embedHeight"]),
        (&json!("480"), &json!("853")),
        "strings, in the 9:16 frame"
    );
    let w = item(&b, &wide);
    assert_eq!(w["contentDetails"]["duration"], "PT45S");
    assert_eq!(w["player"]["embedHeight"], "270");
    assert_eq!(w["snippet"]["defaultAudioLanguage"], "en-GB");
    assert!(w["statistics"]["viewCount"].is_string(), "{w}");
    assert!(w.get("liveStreamingDetails").is_none());

    // No size asked: only the default embed HTML.
    let plain = videos(&sim.base_url, std::slice::from_ref(&tall), &[]).await;
    let p = &plain.json()["items"][0]["player"];
    assert!(p["embedHtml"].as_str().unwrap().contains("width=\"480\""));
    assert!(p.get("embedWidth").is_none(), "{p}");
    // Both bounds: the frame fits inside both.
    let both = videos(
        &sim.base_url,
        std::slice::from_ref(&tall),
        &[("maxWidth", "1000"), ("maxHeight", "320")],
    )
    .await;
    let p = &both.json()["items"][0]["player"];
    assert_eq!(
        (&p["embedWidth"], &p["embedHeight"]),
        (&json!("180"), &json!("320"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn deleted_videos_are_missing_and_broadcasts_have_no_length() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let gone = ctl.add_video(NewVideo::new("cricket", t0() - Duration::hours(2)));
    let live = ctl.add_video(NewVideo {
        live: Some(LiveState::Live),
        ..NewVideo::new("cricket", t0() - Duration::minutes(5))
    });
    let soon = ctl.add_video(NewVideo {
        live: Some(LiveState::Upcoming),
        ..NewVideo::new("cricket", t0() - Duration::minutes(1))
    });
    assert!(ctl.delete_video(&gone));
    assert!(!ctl.delete_video("no-such-video"));
    let r = videos(
        &sim.base_url,
        &[gone.clone(), live.clone(), soon.clone()],
        &[],
    )
    .await;
    let b = r.json();
    assert_eq!(b["items"].as_array().unwrap().len(), 2, "{b}");
    assert_eq!(b["pageInfo"]["totalResults"], 2);
    let l = item(&b, &live);
    assert_eq!(l["contentDetails"]["duration"], "P0D");
    assert!(
        l["liveStreamingDetails"]["actualStartTime"].is_string(),
        "{l}"
    );
    assert!(l["liveStreamingDetails"]["concurrentViewers"].is_string());
    let u = item(&b, &soon);
    assert_eq!(u["contentDetails"]["duration"], "P0D");
    assert!(u["liveStreamingDetails"]["scheduledStartTime"].is_string());
    assert!(u["liveStreamingDetails"].get("actualStartTime").is_none());
    // Gone from search too.
    let found = search(&sim.base_url, &[("q", "cricket")]).await.video_ids();
    assert!(!found.contains(&gone) && found.contains(&live));
    sim.shutdown().await;
}

#[tokio::test]
async fn fifty_ids_pass_fifty_one_are_a_billed_400_and_parts_are_checked() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let ids = ctl.add_burst(
        "cricket",
        51,
        t0() - Duration::hours(1),
        Duration::seconds(5),
    );
    let ok = videos(&sim.base_url, &ids[..50], &[]).await;
    assert_eq!(ok.json()["items"].as_array().unwrap().len(), 50);
    let over = videos(&sim.base_url, &ids, &[]).await;
    assert_eq!(
        (over.status, over.reason().as_str()),
        (400, "invalidFilters")
    );
    let bad_part = get(&videos_url(
        &sim.base_url,
        &[
            ("part", "snippet,stats"),
            ("id", ids[0].as_str()),
            ("key", KEY),
        ],
    ))
    .await;
    assert_eq!(
        (bad_part.status, bad_part.reason().as_str()),
        (400, "unknownPart")
    );
    let no_id = get(&videos_url(
        &sim.base_url,
        &[("part", "snippet"), ("key", KEY)],
    ))
    .await;
    assert_eq!(no_id.status, 400);
    let no_key = get(&videos_url(&sim.base_url, &[("part", "id"), ("id", "x")])).await;
    assert_eq!(no_key.status, 403);
    // Four calls reached the pool (the keyless one did not); search calls are untouched.
    assert_eq!(ctl.units_left(KEY), 10_000 - 4);
    assert_eq!(ctl.key_calls_left(KEY), 100);
    let stats = ctl.calls();
    assert_eq!(stats.total, 0, "videos.list is not a search call");
    assert_eq!(
        stats.videos_per_status,
        BTreeMap::from([(200, 1), (400, 3), (403, 1)])
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn units_are_per_project_and_reset_at_midnight_pacific() {
    let cfg = manual(SimConfig {
        projects: BTreeMap::from([
            (KEY.to_owned(), "shared".to_owned()),
            (KEY2.to_owned(), "shared".to_owned()),
        ]),
        daily_units_per_project: 2,
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let id = ctl.add_video(NewVideo::new("cricket", t0()));
    let one = std::slice::from_ref(&id);
    assert_eq!(videos(&sim.base_url, one, &[]).await.status, 200);
    let other_key = get(&videos_url(
        &sim.base_url,
        &[("part", "id"), ("id", id.as_str()), ("key", KEY2)],
    ))
    .await;
    assert_eq!(other_key.status, 200);
    let spent = videos(&sim.base_url, one, &[]).await;
    assert_eq!(
        (spent.status, spent.reason().as_str()),
        (403, "quotaExceeded")
    );
    // Search has its own bucket.
    assert_eq!(search(&sim.base_url, &[("q", "cricket")]).await.status, 200);
    // 12:00 UTC is 05:00 PDT: nineteen hours to the next Pacific midnight.
    ctl.advance(Duration::hours(19));
    assert_eq!(videos(&sim.base_url, one, &[]).await.status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_outage_answers_503_unbilled_and_counts_grow_with_age() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let id = ctl.add_video(NewVideo::new("cricket", t0() - Duration::minutes(10)));
    let one = std::slice::from_ref(&id);
    ctl.set_faults(FaultPlan {
        videos_unavailable: true,
        ..FaultPlan::default()
    });
    assert_eq!(videos(&sim.base_url, one, &[]).await.status, 503);
    assert_eq!(search(&sim.base_url, &[("q", "cricket")]).await.status, 200);
    ctl.set_faults(FaultPlan::default());
    assert_eq!(ctl.units_left(KEY), 10_000);
    let views = |r: &Resp| {
        r.json()["items"][0]["statistics"]["viewCount"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let early = views(&videos(&sim.base_url, one, &[]).await);
    ctl.advance(Duration::days(3));
    let later = views(&videos(&sim.base_url, one, &[]).await);
    assert!(later > early, "{early} then {later}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_topic_can_be_mostly_shorts() {
    let cfg = manual(SimConfig {
        shorts_share_by_topic: BTreeMap::from([("clips".to_owned(), 0.9)]),
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let ids = ctl.add_burst(
        "clips",
        50,
        t0() - Duration::hours(1),
        Duration::seconds(10),
    );
    let b = videos(&sim.base_url, &ids, &[("maxHeight", "640")])
        .await
        .json();
    let shorts = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            let w: u32 = i["player"]["embedWidth"].as_str().unwrap().parse().unwrap();
            let h: u32 = i["player"]["embedHeight"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            w <= h
        })
        .count();
    assert!((38..=50).contains(&shorts), "{shorts} of 50 not landscape");
    sim.shutdown().await;
}
