//! Text rules at the YouTube boundary.

/// YouTube HTML-escapes `snippet.title` (`&#39;`, `&amp;`, `&quot;`) but not the description
/// or channel title. Decoding exactly once means a title that really contains the text
/// `&amp;` arrives as `&amp;amp;` and is stored as `&amp;`.
pub fn decode_title(raw: &str) -> String {
    html_escape::decode_html_entities(raw).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once() {
        assert_eq!(decode_title("Rock &amp; Roll"), "Rock & Roll");
        assert_eq!(decode_title("It&#39;s &quot;live&quot;"), "It's \"live\"");
        assert_eq!(decode_title("A &amp;amp; B"), "A &amp; B");
        assert_eq!(decode_title("≪WAZZUP≫ 🔴 क्रिकेट"), "≪WAZZUP≫ 🔴 क्रिकेट");
        assert_eq!(decode_title("1 &lt; 2 &gt; 0"), "1 < 2 > 0");
    }
}

/// Words longer than this are not indexed (URLs, hashes): they are never what people type.
pub const MAX_WORD_BYTES: usize = 64;
/// At most this many distinct words of one video are indexed, title words first.
pub const MAX_WORDS_PER_VIDEO: usize = 64;
/// A query may hold at most this many distinct words (a script without spaces counts each
/// ideograph or kana as a word). More is refused: each word is a filter clause, and DynamoDB
/// refuses filter expressions over 4 KB (about 180 clauses), which once made a 200-ideograph
/// query answer 500.
pub const MAX_SEARCH_WORDS: usize = 32;
/// Query words of at least this many characters match every indexed word they begin;
/// shorter ones (one letter, digit, ideograph or kana) match whole words only.
pub const MIN_PREFIX_CHARS: usize = 2;

// The search rules. One definition, used when a video is indexed and when a query is read,
// and by the tests' brute-force oracle (`matches`):
//
// 1. Text is NFKC-normalised, then split into words by Unicode word segmentation (UAX #29).
//    Scripts without spaces segment into single ideographs or kana, which are whole words.
// 2. Each word is folded: lower case; diacritics of Latin, Greek and Cyrillic letters removed
//    (`Café` → `cafe`), while the marks of other scripts — Devanagari, Bengali, Tamil and Thai
//    vowel signs are letters there — are kept; final sigma is sigma; `’` and `ʼ` are `'`.
// 3. A word with an apostrophe inside also yields its parts: `kohli's` → `kohli's`, `kohli`, `s`.
// 4. A query word matches an indexed word that starts with it (`wick` → `wickets`), or, when it
//    is shorter than `MIN_PREFIX_CHARS`, one that equals it. Every query word must match (AND).

/// Folds one segmented word (rule 2).
pub fn fold_word(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    use unicode_script::{Script, UnicodeScript};

    let lower = word.chars().flat_map(char::to_lowercase).map(|c| match c {
        'ς' => 'σ',
        '\u{2019}' | '\u{02BC}' => '\'',
        c => c,
    });
    let lower: String = lower.collect();
    // A mark is stripped only when the letter it sits on is Latin, Greek or Cyrillic.
    let mut strip = false;
    let mut out = String::with_capacity(lower.len());
    for c in lower.nfd() {
        if is_combining_mark(c) {
            if !strip {
                out.push(c);
            }
        } else {
            strip = matches!(c.script(), Script::Latin | Script::Greek | Script::Cyrillic);
            out.push(c);
        }
    }
    out.nfc().collect()
}

/// Splits text into folded search words (rules 1 and 2), in order, with repeats.
pub fn words(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;
    let text: String = text.nfkc().collect();
    // A segment can start with a space that a combining mark attached itself to (" \u{11300}"):
    // words never hold whitespace, since the index separates them by spaces.
    text.unicode_words()
        .map(fold_word)
        .flat_map(|w| {
            w.split_whitespace()
                .filter(|p| p.len() <= MAX_WORD_BYTES)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The distinct words a video is found by (rules 1–3): title words first, then the
/// description's, each followed by its apostrophe parts, capped at `MAX_WORDS_PER_VIDEO`.
pub fn index_words(title: &str, description: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let push = |w: &str, out: &mut Vec<String>| {
        if out.len() < MAX_WORDS_PER_VIDEO && !w.is_empty() && !out.iter().any(|o| o == w) {
            out.push(w.to_owned());
        }
    };
    for w in words(title).into_iter().chain(words(description)) {
        push(&w, &mut out);
        if w.contains('\'') {
            for part in w.split('\'') {
                push(part, &mut out);
            }
        }
        if out.len() >= MAX_WORDS_PER_VIDEO {
            break;
        }
    }
    out
}

/// The words of a query (rules 1–2), distinct, in the order typed. A word that another query
/// word starts with is dropped: it can only match where the longer one does.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for w in words(q) {
        if !terms.contains(&w) {
            terms.push(w);
        }
    }
    let implied = |t: &String| {
        is_prefix_term(t)
            && terms
                .iter()
                .any(|o| o != t && is_prefix_term(o) && o.starts_with(t.as_str()))
    };
    let keep: Vec<bool> = terms.iter().map(|t| !implied(t)).collect();
    terms
        .into_iter()
        .zip(keep)
        .filter_map(|(t, k)| k.then_some(t))
        .collect()
}

/// Whether a query word matches indexed words by prefix (rule 4) rather than whole.
pub fn is_prefix_term(term: &str) -> bool {
    term.chars().count() >= MIN_PREFIX_CHARS
}

/// Rule 4 for one query word and one indexed word.
pub fn term_matches(term: &str, word: &str) -> bool {
    if is_prefix_term(term) {
        word.starts_with(term)
    } else {
        word == term
    }
}

/// Whether a video with these indexed words is a result of a query with these terms.
pub fn matches(index_words: &[String], terms: &[String]) -> bool {
    terms
        .iter()
        .all(|t| index_words.iter().any(|w| term_matches(t, w)))
}

#[cfg(test)]
mod word_tests {
    use super::*;

    #[test]
    fn words_fold_case_and_ignore_punctuation() {
        assert_eq!(
            index_words("How to make TEA?", ""),
            ["how", "to", "make", "tea"]
        );
        assert_eq!(index_words("Tea, tea & TEA!", "tea time"), ["tea", "time"]);
        assert_eq!(
            index_words("🔴 LIVE: क्रिकेट मैच 🏏", ""),
            ["live", "क्रिकेट", "मैच"]
        );
        assert_eq!(index_words("東京の夜", ""), ["東", "京", "の", "夜"]);
        assert_eq!(index_words("ＦＵＬＬ－ＷＩＤＴＨ", ""), ["full", "width"]);
        assert_eq!(index_words("Straße", ""), ["straße"]);
        let long = "x".repeat(65);
        assert_eq!(index_words(&format!("a {long} b"), ""), ["a", "b"]);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(index_words(&many, "").len(), MAX_WORDS_PER_VIDEO);
    }

    #[test]
    fn diacritics_fold_in_latin_greek_and_cyrillic_only() {
        for (a, b) in [
            ("Café", "cafe"),
            ("CAFÉ", "cafe"),
            ("cafe\u{301}", "cafe"),
            ("García", "garcia"),
            ("Ångström", "angstrom"),
            ("Ἀθῆναι", "αθηναι"),
            ("Λόγος", "λογοσ"),
            ("Ёлка", "елка"),
            ("İstanbul", "istanbul"),
        ] {
            assert_eq!(words(a), [b], "{a}");
        }
        // Vowel signs and viramas are letters in these scripts: never stripped.
        for w in ["क्रिकेट", "হাইলাইট", "தமிழ்", "ภาษาไทย", "ज़िंदगी", "مُباراة"]
        {
            let folded = words(w).concat();
            assert_eq!(
                unicode_normalization::UnicodeNormalization::nfc(folded.chars())
                    .collect::<String>(),
                unicode_normalization::UnicodeNormalization::nfc(
                    unicode_normalization::UnicodeNormalization::nfkc(w.chars())
                )
                .collect::<String>(),
                "{w}"
            );
        }
    }

    #[test]
    fn apostrophes_yield_parts() {
        assert_eq!(
            index_words("Kohli's 50th & \"GOAT\" <live>", ""),
            ["kohli's", "kohli", "s", "50th", "goat", "live"]
        );
        assert_eq!(index_words("Kohli’s", ""), ["kohli's", "kohli", "s"]);
        assert_eq!(
            index_words("rock'n'roll", ""),
            ["rock'n'roll", "rock", "n", "roll"]
        );
        assert_eq!(query_terms("KOHLI’S"), ["kohli's"]);
    }

    #[test]
    fn prefixes_and_whole_words() {
        let idx = index_words("3 wickets in an over — Café crème at Lord's", "");
        let m = |q: &str| matches(&idx, &query_terms(q));
        for q in [
            "wick", "WICKETS", "wi", "cafe", "CAFÉ", "creme", "lord", "lord's", "3", "over in",
        ] {
            assert!(m(q), "{q} should match");
        }
        for q in [
            "wicketkeeper",
            "w",
            "o",
            "cafes",
            "wick zebra",
            "ickets",
            "4",
        ] {
            assert!(!m(q), "{q} should not match");
        }
        let jp = index_words("東京の夜", "");
        assert!(matches(&jp, &query_terms("東京")));
        assert!(!matches(&jp, &query_terms("大阪")));
    }

    #[test]
    fn query_terms_drop_implied_prefixes() {
        assert_eq!(query_terms("tea te TEA teapot"), ["teapot"]);
        assert_eq!(query_terms("a ab"), ["a", "ab"]);
        assert_eq!(query_terms("how tea"), ["how", "tea"]);
        assert!(query_terms("🔴 !!").is_empty());
        // A mark after a space is segmented with the space; the word is the mark alone.
        assert_eq!(index_words("A \u{11300}", ""), ["a", "\u{11300}"]);
    }
}
