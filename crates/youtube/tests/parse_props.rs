//! The YouTube response parser over generated bodies (proptest, fixed case counts): whatever
//! arrives, it answers a page or a typed error, and never panics.

use proptest::prelude::*;
use tubefeed_core::SourceError;
use tubefeed_youtube::parse_search_page;

/// JSON shaped like search.list responses, with fields missing, mistyped or odd, and how many
/// items it holds.
fn body() -> impl Strategy<Value = (String, usize)> {
    let scalar = prop_oneof![
        Just("null".to_owned()),
        Just("1".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        "\"\\PC{0,20}\"".prop_map(|s| s),
        Just("\"2026-11-23T12:00:00Z\"".to_owned()),
        Just("\"2026-11-23T12:00:00\"".to_owned()),
        Just("\"youtube#video\"".to_owned()),
        Just("\"dQw4w9WgXcQ\"".to_owned()),
    ];
    let item = (
        scalar.clone(),
        scalar.clone(),
        scalar.clone(),
        scalar.clone(),
        scalar.clone(),
    )
        .prop_map(|(kind, vid, title, published, channel)| {
            format!(
                r#"{{"kind":"youtube#searchResult","id":{{"kind":{kind},"videoId":{vid}}},"snippet":{{"title":{title},"publishedAt":{published},"channelId":{channel},"description":"d","channelTitle":"c","liveBroadcastContent":"none","thumbnails":{{}}}}}}"#
            )
        });
    (
        prop::collection::vec(item, 0..4),
        prop::option::of(scalar.clone()),
        scalar,
    )
        .prop_map(|(items, token, info)| {
            let mut s = format!(
                r#"{{"kind":"youtube#searchListResponse","items":[{}]"#,
                items.join(",")
            );
            if let Some(t) = token {
                s.push_str(&format!(r#","nextPageToken":{t}"#));
            }
            s.push_str(&format!(r#","pageInfo":{info}}}"#));
            (s, items.len())
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        // Deterministic: the same cases on every run, and no regression files written.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7b_f33d),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn shaped_bodies_parse_or_fail_typed((b, items) in body()) {
        match parse_search_page(b.as_bytes()) {
            // Every item is accounted for: a usable video, or skipped (never dropped silently).
            Ok(page) => {
                prop_assert_eq!(page.raw_items, items, "{}", b);
                prop_assert_eq!(page.videos.len() + page.skipped_items, items, "{}", b);
            }
            // A body that is JSON but not a page is malformed: never a quota, key or HTTP error.
            Err(e) => prop_assert!(matches!(e, SourceError::Malformed(_)), "{:?}: {}", e, b),
        }
    }

    #[test]
    fn arbitrary_bytes_and_truncations_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
        let _ = parse_search_page(&bytes);
        let good = br#"{"kind":"youtube#searchListResponse","items":[{"id":{"kind":"youtube#video","videoId":"dQw4w9WgXcQ"},"snippet":{"publishedAt":"2026-11-23T12:00:00Z","channelId":"UC1","title":"a &amp; b","description":"","channelTitle":"c","liveBroadcastContent":"none"}}]}"#;
        let _ = parse_search_page(&good[..cut.min(good.len())]);
    }
}
