//! Property tests for the channel-feed parser: any text survives XML escaping (entities,
//! character references or CDATA) exactly, and no input makes it panic.

use proptest::prelude::*;
use tubefeed_core::FeedError;
use tubefeed_youtube::parse_channel_feed;

/// Text with the characters that matter to XML, line ends of every kind, and any printable
/// Unicode (emoji, scripts, `]]>`).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>().prop_filter("printable", |c| !c.is_control()),
            2 => prop::sample::select(vec!['&', '<', '>', '"', '\'', ';', '#', ']', ' ']),
            1 => prop::sample::select(vec!['\n', '\r', '\t']),
        ],
        0..60,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// How a text is written into the document.
#[derive(Debug, Clone, Copy)]
enum Style {
    /// `&amp;` and friends.
    Entities,
    /// Every non-ASCII or special character as `&#x…;`.
    CharRefs,
    /// `<![CDATA[…]]>`, where the text allows it (no `]]>`, no `\r`, which XML would turn
    /// into `\n`); entities otherwise.
    Cdata,
}

fn write(s: &str, style: Style) -> String {
    match style {
        Style::Cdata if !s.contains("]]>") && !s.contains('\r') => format!("<![CDATA[{s}]]>"),
        Style::CharRefs => s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == ' ' {
                    c.to_string()
                } else {
                    format!("&#x{:X};", c as u32)
                }
            })
            .collect(),
        _ => s
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
            .replace('\r', "&#13;"),
    }
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Entities),
        Just(Style::CharRefs),
        Just(Style::Cdata)
    ]
}

fn feed(title: &str, description: &str, channel_title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <yt:channelId>UCabcdefghijklmnopqrstuv</yt:channelId>
 <title>feed</title>
 <entry>
  <yt:videoId>abcdefghijk</yt:videoId>
  <title>{title}</title>
  <author><name>{channel_title}</name></author>
  <published>2026-11-30T12:00:05+00:00</published>
  <media:group><media:title>ignored</media:title><media:description>{description}</media:description></media:group>
 </entry>
</feed>"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_round_trips_through_xml_escaping(
        title in text(),
        description in text(),
        channel_title in text(),
        styles in (style(), style(), style()),
    ) {
        let xml = feed(
            &write(&title, styles.0),
            &write(&description, styles.1),
            &write(&channel_title, styles.2),
        );
        let parsed = parse_channel_feed(&xml);
        prop_assert!(parsed.is_ok(), "{parsed:?}\n{xml}");
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.entries.len(), 1);
        let v = &parsed.entries[0];
        prop_assert_eq!(&v.title, &title);
        prop_assert_eq!(&v.description, &description);
        prop_assert_eq!(&v.channel_title, &channel_title);
    }

    #[test]
    fn truncations_and_garbage_never_panic(cut in 0usize..2000, garbage in ".{0,200}") {
        let whole = feed("t", "d", "c");
        let end = whole.char_indices().map(|(i, _)| i).take_while(|&i| i <= cut).last().unwrap_or(0);
        let cut_off = &whole[..end];
        match parse_channel_feed(cut_off) {
            Ok(_) => prop_assert_eq!(end, whole.len()),
            Err(e) => prop_assert!(matches!(e, FeedError::Malformed(_))),
        }
        let mixed = format!("{cut_off}{garbage}");
        let _ = parse_channel_feed(&mixed);
        let _ = parse_channel_feed(&garbage);
    }
}
