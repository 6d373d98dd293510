//! `videos.list`: parsing our fixtures (written from the captured shapes) and the client
//! against the simulator — parts asked, shapes seen, deleted videos, quota and outages.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use tubefeed_core::{ApiKey, DetailsSource, SourceError, VideoId};
use tubefeed_youtube::{ClientSettings, YouTubeClient, parse_details};
use youtube_sim::{
    ClockMode, DetailsOverride, FaultPlan, LiveState, NewVideo, Shape, SimConfig, SimHandle,
};

const KEY: &str = "sim-key-1";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn at(s: &str) -> chrono::DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn a_whole_answer_gives_length_counts_shape_language_and_live_times() {
    let items = parse_details(&fixture("videos_list_whole.json")).unwrap();
    assert_eq!(items.len(), 3);
    let fetched = at("2026-12-01T12:00:00Z");
    let (id, talk) = items[0].clone().into_details(fetched);
    assert_eq!(id.as_str(), "Tk3_aLk9xQs");
    assert_eq!(talk.duration_seconds, Some(642));
    assert_eq!(
        (talk.view_count, talk.like_count, talk.comment_count),
        (Some(18_406_733), Some(402_117), Some(8125))
    );
    assert_eq!(
        talk.language.as_ref().map(|l| l.as_str()),
        Some("en"),
        "defaultAudioLanguage en-GB first"
    );
    assert!(!talk.is_short);
    assert_eq!(talk.live, None);

    let (_, short) = items[1].clone().into_details(fetched);
    assert_eq!(short.duration_seconds, Some(171));
    assert!(short.is_short, "vertical and under 180 s");
    assert_eq!(
        (short.like_count, short.comment_count),
        (None, None),
        "hidden"
    );
    assert_eq!(short.language, None);

    let (_, live) = items[2].clone().into_details(fetched);
    assert_eq!(live.duration_seconds, None, "P0D: no length yet");
    assert!(!live.is_short);
    assert_eq!(live.language.as_ref().map(|l| l.as_str()), Some("hi"));
    let times = live.live.unwrap();
    assert_eq!(times.actual_start, Some(at("2026-12-01T10:00:02Z")));
    assert_eq!(times.scheduled_start, Some(at("2026-12-01T10:00:00Z")));
    assert_eq!(times.actual_end, None);
}

#[test]
fn a_fields_partial_answer_parses_with_what_it_has() {
    let items = parse_details(&fixture("videos_list_fields_partial.json")).unwrap();
    let lengths: Vec<_> = items.iter().map(|i| i.duration_seconds).collect();
    assert_eq!(lengths, [Some(238), Some(1490)]);
    assert!(
        items
            .iter()
            .all(|i| i.embed.is_none() && i.view_count.is_none())
    );
    // 238 s of unknown shape: over the 60 s fallback, so not a Short.
    assert!(!items[0].clone().into_details(Utc::now()).1.is_short);
}

async fn sim(cfg: SimConfig) -> SimHandle {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0),
        ..cfg
    })
    .await
    .unwrap()
}

fn client(base_url: &str) -> YouTubeClient {
    YouTubeClient::new(ClientSettings {
        base_url: base_url.to_owned(),
        timeout: Duration::from_secs(5),
        max_retries: 2,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..Default::default()
    })
    .unwrap()
}

fn ids(raw: &[String]) -> Vec<VideoId> {
    raw.iter().map(|s| VideoId::parse(s).unwrap()).collect()
}

fn shaped(shape: Shape, seconds: u32) -> NewVideo {
    NewVideo {
        details: DetailsOverride {
            duration_seconds: Some(seconds),
            shape: Some(shape),
            audio_language: Some("pt-BR".into()),
        },
        ..NewVideo::new(
            "cricket",
            Utc.with_ymd_and_hms(2026, 11, 20, 11, 0, 0).unwrap(),
        )
    }
}

#[tokio::test]
async fn the_client_reads_shapes_through_the_player_and_skips_deleted_videos() {
    let s = sim(SimConfig::default()).await;
    let ctl = s.control();
    let wide = ctl.add_video(shaped(Shape::Landscape, 45));
    let tall = ctl.add_video(shaped(Shape::Portrait, 170));
    let square = ctl.add_video(shaped(Shape::Square, 120));
    let gone = ctl.add_video(shaped(Shape::Portrait, 30));
    let live = ctl.add_video(NewVideo {
        live: Some(LiveState::Live),
        ..NewVideo::new("cricket", ctl.now())
    });
    ctl.delete_video(&gone);
    let asked = ids(&[
        wide.clone(),
        tall.clone(),
        square.clone(),
        gone,
        live.clone(),
    ]);
    let out = client(&s.base_url).details(&asked, &ApiKey::new(KEY)).await;
    assert_eq!(out.attempts, 1);
    let now = ctl.now();
    let got: Vec<_> = out
        .result
        .unwrap()
        .into_iter()
        .map(|i| i.into_details(now))
        .collect();
    let find = |id: &str| got.iter().find(|(i, _)| i.as_str() == id).map(|(_, d)| d);
    assert_eq!(got.len(), 4, "the deleted one is missing");
    assert!(
        !find(&wide).unwrap().is_short,
        "landscape 45 s is not a Short"
    );
    assert!(find(&tall).unwrap().is_short, "vertical 170 s is");
    assert!(find(&square).unwrap().is_short, "square 120 s is");
    let l = find(&live).unwrap();
    assert_eq!((l.duration_seconds, l.is_short), (None, false));
    assert!(l.live.unwrap().actual_start.is_some());
    assert_eq!(
        find(&tall).unwrap().language.as_ref().unwrap().as_str(),
        "pt"
    );
    assert_eq!(ctl.units_left(KEY), 9_999, "one unit for five ids");
    s.shutdown().await;
}

#[tokio::test]
async fn quota_outages_and_too_many_ids_are_typed_errors() {
    let s = sim(SimConfig::default()).await;
    let ctl = s.control();
    let id = ids(&[ctl.add_video(NewVideo::new("cricket", ctl.now()))]);
    let c = client(&s.base_url);
    let key = ApiKey::new(KEY);

    ctl.set_faults(FaultPlan {
        videos_unavailable: true,
        ..FaultPlan::default()
    });
    let down = c.details(&id, &key).await;
    assert!(
        matches!(down.result, Err(SourceError::Server { status: 503, .. })),
        "{down:?}"
    );
    assert_eq!(down.attempts, 3, "retried twice");
    ctl.set_faults(FaultPlan::default());

    ctl.set_units_left(KEY, 0);
    let spent = c.details(&id, &key).await;
    assert!(
        matches!(spent.result, Err(SourceError::QuotaExhausted(_))),
        "{spent:?}"
    );

    let many: Vec<VideoId> = (0..51)
        .map(|i| VideoId::parse(&format!("v{i}")).unwrap())
        .collect();
    let refused = c.details(&many, &key).await;
    assert_eq!(refused.attempts, 0, "not sent");
    assert!(matches!(
        refused.result,
        Err(SourceError::BadRequest { .. })
    ));
    let msg = format!("{:?}", spent.result);
    assert!(!msg.contains(KEY), "no key in errors: {msg}");
    s.shutdown().await;
}
