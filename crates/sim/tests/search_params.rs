mod common;

use chrono::{Duration, SecondsFormat};
use common::*;
use youtube_sim::{LiveState, NewVideo, SimConfig};

fn rfc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test]
async fn published_after_and_before_are_inclusive() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let a = ctl.add_video(NewVideo::new("cricket", t0() - Duration::minutes(3)));
    let b = ctl.add_video(NewVideo::new("cricket", t0() - Duration::minutes(2)));
    let c = ctl.add_video(NewVideo::new("cricket", t0() - Duration::minutes(1)));
    let edge = rfc(t0() - Duration::minutes(2));

    let after = search(
        &sim.base_url,
        &[("q", "cricket"), ("publishedAfter", &edge)],
    )
    .await;
    assert_eq!(after.video_ids(), vec![c.clone(), b.clone()]);
    let before = search(
        &sim.base_url,
        &[("q", "cricket"), ("publishedBefore", &edge)],
    )
    .await;
    assert_eq!(before.video_ids(), vec![b.clone(), a.clone()]);
    let both = search(
        &sim.base_url,
        &[
            ("q", "cricket"),
            ("publishedAfter", &edge),
            ("publishedBefore", &edge),
        ],
    )
    .await;
    assert_eq!(both.video_ids(), vec![b.clone()]);

    // The same instant written with an offset.
    let local = (t0() - Duration::minutes(2))
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap())
        .to_rfc3339();
    assert!(local.contains("+05:30"));
    let offset = search(
        &sim.base_url,
        &[("q", "cricket"), ("publishedAfter", &local)],
    )
    .await;
    assert_eq!(offset.video_ids(), vec![c, b]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_timestamp_without_zone_is_a_400_that_costs_quota() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    for (param, field) in [
        ("publishedAfter", "published_after"),
        ("publishedBefore", "published_before"),
    ] {
        let left = ctl.key_calls_left(KEY);
        let r = search(
            &sim.base_url,
            &[("q", "cricket"), (param, "2026-03-10T10:00:00")],
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.body);
        let msg = r.message();
        assert!(
            msg.starts_with(&format!("Invalid value at '{field}'")),
            "{msg}"
        );
        assert!(msg.contains("must end with 'Z' or have a valid timezone offset"));
        assert_eq!(r.json()["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(
            ctl.key_calls_left(KEY),
            left - 1,
            "invalid requests are billed"
        );
    }
    let garbage = search(&sim.base_url, &[("publishedAfter", "yesterday")]).await;
    assert_eq!(garbage.status, 400);
    assert!(
        garbage
            .message()
            .starts_with("Invalid value at 'published_after'")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn max_results_bounds() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    ctl.add_burst(
        "cricket",
        60,
        t0() - Duration::hours(1),
        Duration::seconds(30),
    );
    let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "51")]).await;
    assert_eq!(r.status, 400);
    let j = r.json();
    assert_eq!(j["error"]["errors"][0]["reason"], "invalidParameter");
    assert_eq!(j["error"]["errors"][0]["location"], "maxResults");
    assert_eq!(j["error"]["errors"][0]["locationType"], "parameter");
    assert!(r.message().contains("'51'"), "{}", r.message());
    for bad in ["-1", "abc"] {
        let r = search(&sim.base_url, &[("maxResults", bad)]).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["error"]["errors"][0]["location"], "maxResults");
    }
    let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "50")]).await;
    assert_eq!(r.video_ids().len(), 50);
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(r.video_ids().len(), 5, "default maxResults");
    let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "0")]).await;
    assert_eq!(r.status, 200);
    assert!(r.video_ids().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn part_must_include_snippet() {
    let (sim, _ctl) = start(manual(SimConfig::default())).await;
    let url = search_url(&sim.base_url, &[("key", KEY), ("q", "x")]);
    let r = get(&url).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.reason(), "required");
    let url = search_url(&sim.base_url, &[("key", KEY), ("part", "id")]);
    let r = get(&url).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["errors"][0]["domain"],
        "youtube.parameter"
    );
    assert_eq!(r.reason(), "invalidParameter");
    let url = search_url(&sim.base_url, &[("key", KEY), ("part", "snippet,bogus")]);
    let r = get(&url).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.reason(), "unknownPart");
    let url = search_url(&sim.base_url, &[("key", KEY), ("part", "id, snippet")]);
    assert_eq!(get(&url).await.status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn titles_are_escaped_and_descriptions_are_not() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let long = format!("{} end", "Long & \"quoted\" words ".repeat(12));
    ctl.add_video(NewVideo {
        title: Some("Can't stop \"this\" cricket & <that>".into()),
        description: Some("It's \"raw\" & <kept>".into()),
        channel_title: Some("Jamie O'Brien & Co".into()),
        ..NewVideo::new("cricket", t0() - Duration::minutes(1))
    });
    ctl.add_video(NewVideo {
        title: Some("second".into()),
        description: Some(long.clone()),
        ..NewVideo::new("cricket", t0() - Duration::minutes(2))
    });
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    let j = r.json();
    let s = &j["items"][0]["snippet"];
    assert_eq!(
        s["title"],
        "Can&#39;t stop &quot;this&quot; cricket &amp; &lt;that&gt;"
    );
    assert_eq!(s["description"], "It's \"raw\" & <kept>");
    assert_eq!(s["channelTitle"], "Jamie O'Brien & Co");
    // Google's encoder writes < and > as \u003c / \u003e on the wire.
    assert!(r.body.contains("\\u003ckept\\u003e"), "{}", r.body);
    let cut = j["items"][1]["snippet"]["description"].as_str().unwrap();
    assert!(cut.ends_with(" ..."), "{cut}");
    assert!(cut.chars().count() <= 160);
    assert!(long.starts_with(cut.trim_end_matches(" ...")));
    sim.shutdown().await;
}

#[tokio::test]
async fn response_shape_matches_the_current_format() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let id = ctl.add_video(NewVideo {
        live: Some(LiveState::Live),
        ..NewVideo::new("cricket", t0() - Duration::seconds(90))
    });
    let plain = ctl.add_video(NewVideo::new("cricket", t0() - Duration::minutes(5)));
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let j = r.json();
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(j["kind"], "youtube#searchListResponse");
    assert_eq!(j["etag"].as_str().unwrap().len(), 27);
    assert_eq!(j["regionCode"], "US");
    assert!(keys.len() >= 5);
    // Member order on the wire is YouTube's, not alphabetical.
    let order: Vec<usize> = [
        "\"kind\"",
        "\"etag\"",
        "\"regionCode\"",
        "\"pageInfo\"",
        "\"items\"",
    ]
    .iter()
    .map(|k| r.body.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{}", r.body);

    let item = &j["items"][0];
    assert_eq!(item["kind"], "youtube#searchResult");
    assert_eq!(item["etag"].as_str().unwrap().len(), 27);
    assert_eq!(item["id"]["kind"], "youtube#video");
    assert_eq!(item["id"]["videoId"], id.as_str());
    let s = &item["snippet"];
    let published = rfc(t0() - Duration::seconds(90));
    assert_eq!(s["publishedAt"], published.as_str());
    assert_eq!(s["publishTime"], published.as_str());
    assert!(s["channelId"].as_str().unwrap().starts_with("UC"));
    assert_eq!(s["channelId"].as_str().unwrap().len(), 24);
    assert_eq!(s["liveBroadcastContent"], "live");
    assert_eq!(
        s["thumbnails"]["default"]["url"],
        format!("https://i.ytimg.com/vi/{id}/default_live.jpg")
    );
    assert_eq!(s["thumbnails"]["medium"]["width"], 320);
    assert_eq!(s["thumbnails"]["high"]["height"], 360);
    assert!(s["title"].as_str().unwrap().contains("cricket"));
    let s2 = &j["items"][1]["snippet"];
    assert_eq!(s2["liveBroadcastContent"], "none");
    assert_eq!(
        s2["thumbnails"]["high"]["url"],
        format!("https://i.ytimg.com/vi/{plain}/hqdefault.jpg")
    );
    assert_eq!(id.len(), 11);
    let live_only = search(&sim.base_url, &[("q", "cricket"), ("eventType", "live")]).await;
    assert_eq!(live_only.video_ids(), vec![id.clone()]);
    sim.shutdown().await;
}

#[tokio::test]
async fn fields_selects_partial_output() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    ctl.add_burst(
        "cricket",
        8,
        t0() - Duration::minutes(8),
        Duration::minutes(1),
    );
    let r = search(
        &sim.base_url,
        &[
            ("q", "cricket"),
            (
                "fields",
                "items(id, snippet(title, thumbnails(default), channelTitle))",
            ),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    let top: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(top, vec!["items"]);
    for item in j["items"].as_array().unwrap() {
        let mut keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, vec!["id", "snippet"]);
        assert_eq!(item["id"]["kind"], "youtube#video");
        let mut sk: Vec<&String> = item["snippet"].as_object().unwrap().keys().collect();
        sk.sort();
        assert_eq!(sk, vec!["channelTitle", "thumbnails", "title"]);
        let tk: Vec<&String> = item["snippet"]["thumbnails"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(tk, vec!["default"]);
        assert_eq!(item["snippet"]["thumbnails"]["default"]["width"], 120);
    }

    let r = search(
        &sim.base_url,
        &[
            ("q", "cricket"),
            (
                "fields",
                "nextPageToken,items/id/videoId,items/snippet/publishedAt",
            ),
        ],
    )
    .await;
    let j = r.json();
    assert!(j["nextPageToken"].is_string());
    assert!(j.get("kind").is_none());
    let item = j["items"][0].as_object().unwrap();
    assert_eq!(item["id"].as_object().unwrap().len(), 1);
    assert!(item["snippet"]["publishedAt"].is_string());
    assert!(item["snippet"].get("title").is_none());

    let bad = search(&sim.base_url, &[("fields", "items(bogus)")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["errors"][0]["location"], "fields");
    sim.shutdown().await;
}

#[tokio::test]
async fn late_indexed_video_is_invisible_then_appears_in_its_place() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let late = ctl.add_video(NewVideo {
        indexed_at: Some(t0() + Duration::minutes(3)),
        ..NewVideo::new("cricket", t0() - Duration::minutes(1))
    });
    let newer = ctl.add_video(NewVideo::new("cricket", t0()));
    let older = ctl.add_video(NewVideo::new("cricket", t0() - Duration::minutes(10)));
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(r.video_ids(), vec![newer.clone(), older.clone()]);
    assert_eq!(ctl.video_count("cricket"), 3);
    ctl.advance(Duration::minutes(3) - Duration::seconds(1));
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(r.video_ids().len(), 2);
    ctl.advance(Duration::seconds(1));
    let r = search(&sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(r.video_ids(), vec![newer, late, older]);
    sim.shutdown().await;
}

#[tokio::test]
async fn generated_late_videos_respect_the_delay() {
    let cfg = manual(SimConfig {
        rate_per_minute: 6.0,
        late_fraction: 1.0,
        late_delay: std::time::Duration::from_secs(240),
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    ctl.advance(Duration::minutes(20));
    let now = ctl.now();
    let r = search(&sim.base_url, &[("q", "cricket"), ("maxResults", "50")]).await;
    let j = r.json();
    let items = j["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for i in items {
        let p: chrono::DateTime<chrono::Utc> = i["snippet"]["publishedAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(p <= now - Duration::minutes(4), "{p} visible too early");
    }
    assert!(ctl.video_count("cricket") > items.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn q_matching_and_type_filter() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let c = ctl.add_video(NewVideo {
        title: Some("India tour".into()),
        description: Some("Test series".into()),
        ..NewVideo::new("cricket", t0() - Duration::minutes(1))
    });
    let f = ctl.add_video(NewVideo {
        title: Some("Derby day".into()),
        description: Some("Goals galore".into()),
        ..NewVideo::new("football", t0() - Duration::minutes(2))
    });
    let r = search(&sim.base_url, &[("q", "CRICKET")]).await;
    assert_eq!(
        r.video_ids(),
        vec![c.clone()],
        "topic matches even if not in title"
    );
    let r = search(&sim.base_url, &[("q", "india SERIES")]).await;
    assert_eq!(r.video_ids(), vec![c.clone()]);
    let r = search(&sim.base_url, &[("q", "india football")]).await;
    assert!(r.video_ids().is_empty());
    let r = search(&sim.base_url, &[("q", "football")]).await;
    assert_eq!(r.video_ids(), vec![f.clone()]);
    let r = search(&sim.base_url, &[]).await;
    assert_eq!(r.video_ids(), vec![c, f]);
    let r = get(&search_url(
        &sim.base_url,
        &[
            ("part", "snippet"),
            ("key", KEY),
            ("q", "football"),
            ("type", "channel,playlist"),
        ],
    ))
    .await;
    assert_eq!(r.status, 200);
    assert!(r.video_ids().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn search_path_without_prefix_works_too() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let id = ctl.add_video(NewVideo::new("cricket", t0()));
    let root = format!("http://{}", sim.addr);
    let r = get(&search_url(
        &root,
        &[("part", "snippet"), ("q", "cricket"), ("key", KEY)],
    ))
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.video_ids(), vec![id]);
    sim.shutdown().await;
}
