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
/// A search may name at most this many words.
pub const MAX_QUERY_WORDS: usize = 8;

/// Splits text into search words: Unicode word segmentation (UAX #29), NFKC, lower case.
/// Scripts without spaces (Japanese, Chinese) segment into single ideographs or kana runs, so
/// a query segmented the same way matches them; emoji and punctuation are not words.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;
    text.unicode_words().filter_map(|w| {
        let w: String = w.nfkc().flat_map(char::to_lowercase).collect();
        (!w.is_empty() && w.len() <= MAX_WORD_BYTES).then_some(w)
    })
}

/// The distinct words a video is found by: title words first, then the description's, capped.
pub fn index_words(title: &str, description: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(title).chain(words(description)) {
        if out.len() >= MAX_WORDS_PER_VIDEO {
            break;
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
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
}
