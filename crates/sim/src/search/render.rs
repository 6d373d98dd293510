//! How `search.list` writes a result: the item, its escaped title and cut description.

use chrono::SecondsFormat;

use crate::config::LiveState;
use crate::ids;
use crate::json::Node;
use crate::world::Video;

/// Search snippets cut descriptions near this many characters.
const DESCRIPTION_LIMIT: usize = 160;

/// The `thumbnails` object: default, medium and high, and `standard` too where videos.list
/// gives it. Live and upcoming broadcasts get the `_live` pictures.
pub(crate) fn thumbnails(v: &Video, standard: bool) -> Node {
    let suffix = match v.live {
        LiveState::Live | LiveState::Upcoming => "_live",
        LiveState::None => "",
    };
    let thumb = |name: &str, w: i64, h: i64| {
        Node::obj()
            .with(
                "url",
                format!("https://i.ytimg.com/vi/{}/{name}{suffix}.jpg", v.id),
            )
            .with("width", w)
            .with("height", h)
    };
    let set = Node::obj()
        .with("default", thumb("default", 120, 90))
        .with("medium", thumb("mqdefault", 320, 180))
        .with("high", thumb("hqdefault", 480, 360));
    if standard {
        set.with("standard", thumb("sddefault", 640, 480))
    } else {
        set
    }
}

pub(super) fn render_item(v: &Video) -> Node {
    let published = v.published_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    Node::obj()
        .with("kind", "youtube#searchResult")
        .with(
            "etag",
            ids::etag(&[
                b"item",
                v.id.as_bytes(),
                v.title.as_bytes(),
                v.live.as_str().as_bytes(),
            ]),
        )
        .with(
            "id",
            Node::obj()
                .with("kind", "youtube#video")
                .with("videoId", v.id.as_str()),
        )
        .with(
            "snippet",
            Node::obj()
                .with("publishedAt", published.as_str())
                .with("channelId", v.channel_id.as_str())
                .with("title", escape_title(&v.title))
                .with("description", snippet_description(&v.description))
                .with("thumbnails", thumbnails(v, false))
                .with("channelTitle", v.channel_title.as_str())
                .with("liveBroadcastContent", v.live.as_str())
                .with("publishTime", published),
        )
}

/// search.list HTML-escapes titles (and only titles) exactly like this.
fn escape_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Search snippets flatten whitespace and cut long descriptions at a word boundary before about
/// 160 characters, ending them in `" ..."`.
fn snippet_description(s: &str) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= DESCRIPTION_LIMIT {
        return flat;
    }
    let mut cut: String = flat.chars().take(DESCRIPTION_LIMIT - 4).collect();
    // Prefer a word boundary, unless that would throw away most of the text (CJK has no spaces).
    if let Some(i) = cut.rfind(' ')
        && cut[..i].chars().count() > DESCRIPTION_LIMIT / 2
    {
        cut.truncate(i);
    }
    let trimmed = cut.trim_end();
    format!("{trimmed} ...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_titles_like_youtube() {
        assert_eq!(
            escape_title(r#"Can't "stop" <this> & that"#),
            "Can&#39;t &quot;stop&quot; &lt;this&gt; &amp; that"
        );
        assert_eq!(escape_title("हिंदी 🔴"), "हिंदी 🔴");
    }

    #[test]
    fn cuts_long_descriptions() {
        let short = "It's \"fine\" & short";
        assert_eq!(snippet_description(short), short);
        let long = "word ".repeat(60);
        let cut = snippet_description(&long);
        assert!(cut.ends_with(" ..."));
        assert!(cut.chars().count() <= DESCRIPTION_LIMIT);
        assert!(cut.chars().count() > 140);
        let cjk = "精彩集锦".repeat(60);
        let cut = snippet_description(&cjk);
        assert!(cut.ends_with(" ..."));
        assert!(cut.chars().count() <= DESCRIPTION_LIMIT);
        assert_eq!(snippet_description("a\n\nb  c"), "a b c");
    }
}
