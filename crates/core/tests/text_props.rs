//! Properties of the search word rules over generated text (proptest, a fixed number of cases).

use proptest::prelude::*;
use tubefeed_core::text::{
    MAX_WORD_BYTES, MAX_WORDS_PER_VIDEO, fold_word, index_words, matches, query_terms,
};

/// Text built from the pieces that make folding hard: accents (precomposed and combining),
/// apostrophes, Indic marks, CJK, emoji, punctuation, spaces.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z]{1,12}",
        Just("café".to_owned()),
        Just("CAFE\u{301}".to_owned()),
        Just("Kohli's".to_owned()),
        Just("D’Souza".to_owned()),
        Just("Ёлка".to_owned()),
        Just("Λόγος".to_owned()),
        Just("क्रिकेट".to_owned()),
        Just("ज़िंदगी".to_owned()),
        Just("東京の夜".to_owned()),
        Just("スーパープレー".to_owned()),
        Just("مُباراة".to_owned()),
        Just("ＦＵＬＬ－ＷＩＤＴＨ".to_owned()),
        Just("🏏🔥".to_owned()),
        "[ ,.!?&#<>\"'-]{1,3}",
        "\\PC{1,6}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        // Deterministic: the same cases on every run, and no regression files written.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7b_f33d),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn folding_is_idempotent(w in "\\PC{0,16}") {
        let once = fold_word(&w);
        prop_assert_eq!(fold_word(&once), once);
    }

    #[test]
    fn index_words_are_bounded_distinct_and_folded(t in text(), d in text()) {
        let words = index_words(&t, &d);
        prop_assert!(words.len() <= MAX_WORDS_PER_VIDEO);
        for (i, w) in words.iter().enumerate() {
            prop_assert!(!w.is_empty() && w.len() <= MAX_WORD_BYTES, "{:?}", w);
            prop_assert!(!words[..i].contains(w), "{:?} twice", w);
            prop_assert_eq!(&fold_word(w), w);
        }
    }

    /// Whatever a video says, typing its title back — whole, in capitals, or with every word
    /// cut to its first characters — finds it (when the title has no more indexed words than
    /// the cap keeps).
    #[test]
    fn a_title_typed_back_finds_its_video(t in text(), cut in 2usize..6) {
        let words = index_words(&t, "");
        prop_assume!(words.len() < MAX_WORDS_PER_VIDEO);
        prop_assert!(matches(&words, &query_terms(&t)));
        prop_assert!(matches(&words, &query_terms(&t.to_ascii_uppercase())));
        // Cut only words of letters, digits and marks: "o." cut from "o.μ" is no half-typed word.
        let plain = |w: &&String| {
            w.chars().all(|c| {
                c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
            })
        };
        let typed: Vec<String> = words
            .iter()
            .filter(plain)
            .map(|w| w.chars().take(cut).collect())
            .collect();
        prop_assert!(matches(&words, &query_terms(&typed.join(" "))));
    }

    #[test]
    fn query_terms_never_fail_and_imply_nothing_twice(q in "\\PC{0,200}") {
        let terms = query_terms(&q);
        for (i, a) in terms.iter().enumerate() {
            for b in &terms[i + 1..] {
                prop_assert_ne!(a, b);
            }
        }
    }
}
