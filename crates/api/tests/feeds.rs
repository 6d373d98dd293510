//! The Atom and JSON feeds on the in-memory store: the same videos as the list for the same
//! parameters, paging, validators, text in every script, blocks. (`scripts/schemathesis.sh`
//! also checks them with feedparser and the RFC 4287 RELAX NG schema, against DynamoDB Local.)

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use tower::ServiceExt;
use tubefeed_api::{ApiSettings, ApiState, TokenCodec};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::{
    BlockedChannel, ChannelBlocks, ChannelId, Language, LiveBroadcast, Thumbnail, Thumbnails,
    Topic, Video, VideoDetails, VideoId, VideoStore,
};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap() + chrono::Duration::minutes(minute)
}

fn video(n: usize, title: &str, short: Option<bool>) -> Video {
    let id = format!("feedvid{n:04}");
    Video {
        id: VideoId::parse(&id).unwrap(),
        title: title.to_owned(),
        description: format!("about {title}\nline two"),
        published_at: at(n as i64),
        channel_id: ChannelId::parse(&format!("UCfeedchannel{:09}", n % 3)).unwrap(),
        channel_title: format!("Channel {}", n % 3),
        thumbnails: Thumbnails {
            high: Some(Thumbnail {
                url: format!("https://i.ytimg.com/vi/{id}/hqdefault.jpg"),
                width: Some(480),
                height: Some(360),
            }),
            ..Thumbnails::default()
        },
        live_broadcast_content: LiveBroadcast::None,
        details: short.map(|is_short| VideoDetails {
            duration_seconds: Some(if is_short { 40 } else { 600 }),
            is_short,
            view_count: Some(7),
            like_count: None,
            comment_count: None,
            language: Language::parse("en").ok(),
            live: None,
            fetched_at: at(1000),
        }),
    }
}

/// The titles whose round trip matters: scripts, markup-looking text, a control character.
const TITLES: [&str; 6] = [
    "مباراة الكريكيت: أبرز اللقطات",
    "क्रिकेट हाइलाइट्स",
    "試合のハイライト 第3戦",
    "<b>1 < 2</b> & \"quotes\" 'too' ]]>",
    "bell\u{7} in a title",
    "plain wicket",
];

async fn app() -> (axum::Router, MemStore) {
    let store = MemStore::default();
    let topic = Topic::parse("cricket").unwrap();
    let videos: Vec<Video> = (0..23)
        .map(|n| {
            video(
                n,
                TITLES[n % TITLES.len()],
                [None, Some(true), Some(false)][n % 3],
            )
        })
        .collect();
    store.upsert(&topic, &videos, at(2000)).await.unwrap();
    let state = ApiState::new(
        store.clone(),
        TokenCodec::new(b"feeds-test-secret-0123456789-0123456789"),
        ApiSettings {
            topics: vec![topic],
            first_page_ttl: Duration::ZERO,
            ..Default::default()
        },
    );
    (tubefeed_api::router(Arc::new(state)), store)
}

async fn get(
    app: &axum::Router,
    uri: &str,
    etag: Option<&str>,
) -> (StatusCode, String, Vec<u8>, Option<String>) {
    let mut req = Request::get(uri).header(header::HOST, "feeds.example:8443");
    if let Some(e) = etag {
        req = req.header(header::IF_NONE_MATCH, e);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let etag = resp
        .headers()
        .get(header::ETAG)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec();
    (status, ctype, body, etag)
}

async fn list_ids(app: &axum::Router, query: &str) -> Vec<String> {
    // The list's page size is the feed's (50) unless the query names one.
    let limit = if query.contains("limit=") {
        ""
    } else {
        "limit=50&"
    };
    let (status, _, body, _) = get(app, &format!("/videos?{limit}{query}"), None).await;
    assert_eq!(status, StatusCode::OK, "{query}");
    let v: Value = serde_json::from_slice(&body).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn atom(body: &[u8]) -> atom_syndication::Feed {
    atom_syndication::Feed::read_from(body).expect("well-formed Atom")
}

fn atom_ids(feed: &atom_syndication::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.id.strip_prefix("yt:video:").unwrap().to_owned())
        .collect()
}

fn json_ids(body: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["id"]
                .as_str()
                .unwrap()
                .strip_prefix("yt:video:")
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn feeds_hold_the_lists_first_page_for_the_same_parameters() {
    let (app, _) = app().await;
    for query in [
        "",
        "q=wicket",
        "q=%E8%A9%A6%E5%90%88",
        "channel_id=UCfeedchannel000000001",
        "order=asc",
        "published_after=2026-11-30T00:10:00Z&published_before=2026-11-30T00:20:00Z",
        "shorts=exclude",
        "shorts=only",
        "duration=medium",
        "lang=en",
        "limit=5",
    ] {
        let want = list_ids(&app, query).await;
        assert!(!want.is_empty(), "{query} lists something");
        let (status, ctype, body, _) = get(&app, &format!("/feed.atom?{query}"), None).await;
        assert_eq!(
            (status, ctype.as_str()),
            (StatusCode::OK, "application/atom+xml; charset=utf-8")
        );
        assert_eq!(atom_ids(&atom(&body)), want, "atom {query}");
        let (status, ctype, body, _) = get(&app, &format!("/feed.json?{query}"), None).await;
        assert_eq!(
            (status, ctype.as_str()),
            (StatusCode::OK, "application/feed+json; charset=utf-8")
        );
        assert_eq!(json_ids(&body), want, "json {query}");
    }
    // 23 videos, 50 a feed: the whole topic when nothing narrows it.
    let (_, _, body, _) = get(&app, "/feed.atom", None).await;
    assert_eq!(atom(&body).entries.len(), 23);
}

#[tokio::test]
async fn entries_carry_youtubes_shape_and_the_view_links() {
    let (app, _) = app().await;
    let (_, _, body, _) = get(&app, "/feed.atom?limit=3&q=wicket", None).await;
    let feed = atom(&body);
    let self_link = feed.links.iter().find(|l| l.rel == "self").unwrap();
    assert_eq!(
        self_link.href,
        "https://feeds.example:8443/feed.atom?limit=3&q=wicket"
    );
    let html = feed
        .links
        .iter()
        .find(|l| l.rel == "alternate" && l.mime_type.as_deref() == Some("text/html"));
    assert_eq!(html.unwrap().href, "https://feeds.example:8443/?q=wicket");
    assert!(feed.title.value.contains("cricket") && feed.title.value.contains("wicket"));
    let first = &feed.entries[0];
    assert_eq!(
        feed.updated, first.updated,
        "the feed changed when its newest entry did"
    );
    assert_eq!(
        first.links[0].href,
        format!("https://www.youtube.com/watch?v={}", atom_ids(&feed)[0])
    );
    assert_eq!(
        first.authors[0]
            .uri
            .as_deref()
            .map(|u| u.starts_with("https://www.youtube.com/channel/UCfeed")),
        Some(true)
    );
    assert!(
        first
            .summary
            .as_ref()
            .unwrap()
            .value
            .starts_with("about plain wicket")
    );
    let group = &first.extensions["media"]["group"][0];
    let thumb = &group.children["thumbnail"][0];
    assert!(thumb.attrs["url"].ends_with("/hqdefault.jpg"));
    assert_eq!(thumb.attrs["width"], "480");
    assert_eq!(
        first.extensions["yt"]["videoId"][0].value.as_deref(),
        Some(atom_ids(&feed)[0].as_str())
    );
}

#[tokio::test]
async fn feeds_page_with_next_links_to_the_same_videos_as_the_list() {
    let (app, _) = app().await;
    let want = list_ids(&app, "").await;
    for path in ["/feed.atom", "/feed.json"] {
        let mut got = Vec::new();
        let mut url = format!("{path}?limit=4&channel_id=UCfeedchannel000000002");
        let want: Vec<String> = list_ids(&app, "channel_id=UCfeedchannel000000002").await;
        for _ in 0..20 {
            let (status, _, body, _) = get(&app, &url, None).await;
            assert_eq!(status, StatusCode::OK);
            let next = if path == "/feed.atom" {
                let feed = atom(&body);
                got.extend(atom_ids(&feed));
                feed.links
                    .iter()
                    .find(|l| l.rel == "next")
                    .map(|l| l.href.clone())
            } else {
                got.extend(json_ids(&body));
                let v: Value = serde_json::from_slice(&body).unwrap();
                v["next_url"].as_str().map(str::to_owned)
            };
            match next {
                Some(n) => {
                    url = n
                        .strip_prefix("https://feeds.example:8443")
                        .unwrap()
                        .to_owned()
                }
                None => break,
            }
        }
        assert_eq!(got, want, "{path}");
    }
    assert_eq!(want.len(), 23);
}

#[tokio::test]
async fn a_matching_etag_answers_304_and_a_changed_feed_does_not() {
    let (app, store) = app().await;
    let (_, _, _, etag) = get(&app, "/feed.atom", None).await;
    let etag = etag.unwrap();
    assert!(etag.starts_with("W/\""));
    let (status, _, body, _) = get(&app, "/feed.atom", Some(&etag)).await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
    let topic = Topic::parse("cricket").unwrap();
    store
        .upsert(&topic, &[video(99, "a new one", None)], at(3000))
        .await
        .unwrap();
    let (status, _, _, _) = get(&app, "/feed.atom", Some(&etag)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn titles_in_every_script_and_markup_looking_text_round_trip() {
    let (app, _) = app().await;
    let (_, _, body, _) = get(&app, "/feed.atom", None).await;
    let feed = atom(&body);
    let (_, _, jbody, _) = get(&app, "/feed.json", None).await;
    let json: Value = serde_json::from_slice(&jbody).unwrap();
    for want in TITLES {
        let want = want.replace('\u{7}', "");
        assert!(
            feed.entries.iter().any(|e| e.title.value == want),
            "atom: {want}"
        );
        assert!(
            json["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["title"] == want.as_str()),
            "json: {want}"
        );
    }
    let entry = &json["items"][0];
    assert_eq!(
        entry["_tubefeed"]["id"],
        entry["id"]
            .as_str()
            .unwrap()
            .strip_prefix("yt:video:")
            .unwrap()
    );
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
}

#[tokio::test]
async fn blocked_channels_leave_the_feeds() {
    let (app, store) = app().await;
    let blocked = ChannelId::parse("UCfeedchannel000000001").unwrap();
    store
        .block_channel(&BlockedChannel {
            channel_id: blocked.clone(),
            blocked_at: at(0),
            note: None,
        })
        .await
        .unwrap();
    let (_, _, body, _) = get(&app, "/feed.atom", None).await;
    let feed = atom(&body);
    assert_eq!(feed.entries.len(), 23 - 8);
    assert!(
        feed.entries
            .iter()
            .all(|e| e.extensions["yt"]["channelId"][0].value.as_deref() != Some(blocked.as_str()))
    );
    let (_, _, body, _) = get(&app, "/feed.json?channel_id=UCfeedchannel000000001", None).await;
    assert!(json_ids(&body).is_empty());
}

#[tokio::test]
async fn bad_parameters_are_named_problems_not_feeds() {
    let (app, _) = app().await;
    for (query, param) in [
        ("limit=0", "limit"),
        ("shorts=maybe", "shorts"),
        ("topic=nope", "topic"),
        ("page_token=xyz", "page_token"),
    ] {
        for path in ["/feed.atom", "/feed.json"] {
            let (status, ctype, body, _) = get(&app, &format!("{path}?{query}"), None).await;
            assert_eq!(
                (status, ctype.as_str()),
                (StatusCode::BAD_REQUEST, "application/problem+json"),
                "{path}?{query}"
            );
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert!(v.to_string().contains(param), "{path}?{query}: {v}");
        }
    }
}
