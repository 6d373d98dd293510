//! Properties of the API's input boundary over generated input (proptest, fixed case counts):
//! query strings and page tokens never panic, and every rejection names its parameter.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tubefeed_api::{ApiError, TokenCodec, parse_list};
use tubefeed_core::{Cursor, FeedQuery, Order, Topic};

fn topics() -> Vec<Topic> {
    Topic::parse_list("cricket,football").unwrap_or_default()
}

fn query() -> FeedQuery {
    FeedQuery {
        topic: Topic::parse("cricket").unwrap_or_else(|_| unreachable!()),
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: vec!["tea".into()],
        limit: 20,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    }
}

/// Query strings made of the API's own parameter names with arbitrary values, mixed with
/// arbitrary bytes.
fn query_string() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("limit"),
        Just("page_token"),
        Just("order"),
        Just("published_after"),
        Just("published_before"),
        Just("q"),
        Just("topic"),
        Just("channel_id"),
        Just("other"),
    ];
    // Arbitrary text, numbers, percent-escapes, and runs of scripts written without spaces
    // (CJK ideographs, kana, Thai), where every character is a word: up to 200 of them.
    let value = prop_oneof![
        "\\PC{0,40}",
        "[0-9-]{0,6}",
        "[%0-9A-Fa-f+]{0,30}",
        "[\\u{4e00}-\\u{9fff}]{0,200}",
        "[\\u{3041}-\\u{30ff}\\u{4e00}-\\u{4fff}]{0,120}",
        "[\\u{0e01}-\\u{0e4e}]{0,150}",
    ];
    prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&")
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
    fn any_query_string_parses_or_names_a_parameter(qs in query_string(), raw in "\\PC{0,80}") {
        for input in [qs.as_str(), raw.as_str()] {
            for require_q in [false, true] {
                match parse_list(Some(input), &topics(), require_q) {
                    Ok(r) => {
                        prop_assert!((1..=50).contains(&r.query.limit));
                        prop_assert!(!r.matches_nothing || r.query.terms.is_empty());
                    }
                    Err(ApiError::BadParam { param, .. }) => {
                        prop_assert!(tubefeed_api::LIST_PARAMS.contains(&param), "{}", param);
                    }
                    Err(e) => prop_assert!(false, "{:?}: {}", input, e),
                }
            }
        }
    }

    #[test]
    fn any_token_string_is_refused_without_panic(t in "\\PC{0,300}", tail in "[A-Za-z0-9_.-]{0,200}") {
        let codec = TokenCodec::new(b"a-secret-for-property-tests");
        prop_assert!(codec.decode(&query(), &t).is_err());
        let forged = format!("t1.{}", tail);
        prop_assert!(codec.decode(&query(), &forged).is_err());
    }

    #[test]
    fn tokens_round_trip_and_any_changed_character_is_refused(
        key in prop::collection::btree_map("[a-z_]{1,10}", "\\PC{0,40}", 1..5),
        driver in prop::option::of("[a-z]{1,10}"),
        at in any::<prop::sample::Index>(),
        with in "[A-Za-z0-9_.-]",
    ) {
        let codec = TokenCodec::new(b"a-secret-for-property-tests");
        let cursor = Cursor { key: key.into_iter().collect::<BTreeMap<_, _>>(), driver };
        let token = codec.encode(&query(), &cursor);
        prop_assert_eq!(codec.decode(&query(), &token).ok(), Some(cursor));
        let i = at.index(token.len());
        let mut changed = token.clone();
        changed.replace_range(i..=i, &with);
        if changed != token {
            prop_assert!(codec.decode(&query(), &changed).is_err(), "{} accepted", changed);
        }
        let other = FeedQuery { order: Order::Asc, ..query() };
        prop_assert!(codec.decode(&other, &token).is_err());
    }
}
