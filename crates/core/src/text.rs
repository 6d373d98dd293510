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
