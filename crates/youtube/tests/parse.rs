//! Parsing tests for every response shape YouTube has been seen to send. The fixtures are our
//! own, written from the captured samples' shapes (see fixtures/).

use tubefeed_core::{LiveBroadcast, SourceError};
use tubefeed_youtube::{classify_error, parse_search_page};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn legacy_shape_decodes_title_entities_once_and_skips_channels() {
    let page = parse_search_page(&fixture("search_legacy_entities.json")).unwrap();
    assert_eq!(page.raw_items, 3);
    assert_eq!(page.skipped_items, 1, "the channel result is not a video");
    assert_eq!(page.next_page_token.as_deref(), Some("CBkQAA"));
    let v = &page.videos[0];
    assert_eq!(v.id.as_str(), "aB3dE_5gH-8");
    assert_eq!(v.title, "SURFING PIPE & BACKDOOR || SUNRISE!");
    assert_eq!(v.description, "This is Livin' - \"raw\" & unescaped ...");
    assert_eq!(v.published_at.to_rfc3339(), "2019-12-05T19:00:10+00:00");
    assert_eq!(page.videos[1].title, "Koa's \"best\" wave");
    // Descriptions are stored as given: a literal `&amp;` stays.
    assert_eq!(
        page.videos[1].description,
        "Description keeps a literal &amp; as sent"
    );
    let t = v.thumbnails.high.as_ref().unwrap();
    assert_eq!((t.width, t.height), (Some(480), Some(360)));
}

#[test]
fn page_two_has_prev_token_and_a_repeat() {
    let p1 = parse_search_page(&fixture("search_legacy_entities.json")).unwrap();
    let p2 = parse_search_page(&fixture("search_legacy_page2_repeat.json")).unwrap();
    assert_eq!(p2.next_page_token.as_deref(), Some("CDIQAA"));
    assert_eq!(p1.videos.last().unwrap().id, p2.videos[0].id);
}

#[test]
fn current_shape_with_publish_time() {
    let page = parse_search_page(&fixture("search_current_orderdate.json")).unwrap();
    assert_eq!(page.videos.len(), 2);
    assert_eq!(
        page.videos[1].title,
        "≪Getting Over It≫ Bae-kage's here. #YOLO"
    );
    assert_eq!(page.videos[0].channel_title, "Hakos Ch. hololive-EN");
    assert!(page.videos[0].published_at > page.videos[1].published_at);
}

#[test]
fn no_etag_live_and_many_scripts() {
    let page = parse_search_page(&fixture("search_current_no_etag_live_multilang.json")).unwrap();
    assert_eq!(page.videos.len(), 4);
    assert_eq!(page.skipped_items, 0);
    let [jazz, hindi, japanese, multi] = &page.videos[..] else {
        panic!()
    };
    assert_eq!(
        jazz.title,
        "Warm Christmas Jazz & Crackling Fireplace 🔥 Cozy"
    );
    assert_eq!(jazz.live_broadcast_content, LiveBroadcast::Live);
    assert!(
        jazz.thumbnails
            .default
            .as_ref()
            .unwrap()
            .url
            .ends_with("default_live.jpg")
    );
    assert_eq!(hindi.title, "ABP News LIVE: हिंदी समाचार 🔴 क्रिकेट");
    assert_eq!(japanese.title, "【ライブ】東京の夜 ジャズ & 雨の音");
    assert_eq!(japanese.live_broadcast_content, LiveBroadcast::Upcoming);
    assert_eq!(multi.title, "മലയാളം വാർത്ത | 中文新闻 | أخبار");
}

#[test]
fn fields_partial_bodies() {
    let page = parse_search_page(&fixture("search_fields_partial.json")).unwrap();
    assert_eq!(page.next_page_token, None);
    assert_eq!(
        page.videos.len(),
        0,
        "without publishedAt an item cannot be placed on the timeline"
    );
    assert_eq!(page.skipped_items, 2);

    // The fetcher never asks for a field mask; an item without its channel id could be neither
    // filtered by channel nor served as the API's Video (channel_id is required): skipped and
    // counted, as an item without a date is.
    let page = parse_search_page(&fixture("search_fields_partial_with_dates.json")).unwrap();
    assert_eq!(page.videos.len(), 0);
    assert_eq!(page.skipped_items, 1);
}

#[test]
fn malformed_bodies() {
    assert!(matches!(
        parse_search_page(b"{\"items\": [{\"id\""),
        Err(SourceError::Malformed(_))
    ));
    assert!(matches!(
        parse_search_page(b"<html>oops</html>"),
        Err(SourceError::Malformed(_))
    ));
    // A well-formed body with an odd item loses only that item.
    let page = parse_search_page(
        br#"{"items": [42, {"id": {"kind": "youtube#video", "videoId": "bad id!"}}]}"#,
    )
    .unwrap();
    assert_eq!((page.videos.len(), page.skipped_items), (0, 2));
    // An empty page is a page.
    assert_eq!(
        parse_search_page(br#"{"kind":"youtube#searchListResponse","items":[]}"#)
            .unwrap()
            .raw_items,
        0
    );
}

#[test]
fn every_error_shape_is_classified() {
    let c = |status, name| classify_error(status, &fixture(name));
    assert!(
        matches!(c(403, "error_quota_exceeded_403.json"), SourceError::QuotaExhausted(m) if !m.contains('<') && m.contains("quota"))
    );
    assert!(matches!(
        c(403, "error_daily_limit_403.json"),
        SourceError::QuotaExhausted(_)
    ));
    assert!(matches!(
        c(429, "error_per_day_429.json"),
        SourceError::QuotaExhausted(_)
    ));
    assert!(matches!(
        c(429, "error_short_term_429.json"),
        SourceError::RateLimited(_)
    ));
    assert_eq!(
        c(400, "error_key_invalid_current_400.json"),
        SourceError::InvalidKey
    );
    assert_eq!(
        c(400, "error_key_invalid_legacy_400.json"),
        SourceError::InvalidKey
    );
    assert!(matches!(
        c(403, "error_access_not_configured_403.json"),
        SourceError::ApiNotEnabled(_)
    ));
    assert!(matches!(
        c(403, "error_permission_denied_403.json"),
        SourceError::Forbidden(_)
    ));
    assert!(matches!(
        c(503, "error_backend_503.json"),
        SourceError::Server { status: 503, .. }
    ));
    assert!(
        matches!(c(400, "error_bad_published_after_400.json"), SourceError::BadRequest { reason, .. } if reason == "invalid")
    );
    assert!(
        matches!(c(400, "error_invalid_page_token_400.json"), SourceError::BadRequest { reason, .. } if reason == "invalidPageToken")
    );
    // Bodies that are not JSON still classify by status.
    assert!(matches!(
        classify_error(502, b"<html>Bad Gateway</html>"),
        SourceError::Server { status: 502, .. }
    ));
    assert!(matches!(
        classify_error(404, b""),
        SourceError::BadRequest { .. }
    ));
}

#[test]
fn restricted_or_expired_keys_are_invalid_keys() {
    for (status, reason) in [
        (400, "API_KEY_EXPIRED"),
        (403, "API_KEY_SERVICE_BLOCKED"),
        (403, "API_KEY_HTTP_REFERRER_BLOCKED"),
    ] {
        let body = format!(
            r#"{{"error":{{"code":{status},"message":"Requests are blocked.","errors":[{{"message":"Requests are blocked.","domain":"global","reason":"forbidden"}}],"status":"PERMISSION_DENIED","details":[{{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"{reason}","domain":"googleapis.com"}}]}}}}"#
        );
        assert_eq!(
            classify_error(status, body.as_bytes()),
            SourceError::InvalidKey,
            "{reason}"
        );
    }
    // A quota body still wins over anything else on a 403.
    assert!(matches!(
        classify_error(403, &fixture("error_quota_exceeded_403.json")),
        SourceError::QuotaExhausted(_)
    ));
}
