//! `videos.list` response bodies → [`DetailsItem`]s.
//!
//! Google writes int64 fields (counts, embed sizes) as JSON strings; numbers are accepted too.
//! Every field is optional, so a `fields`-partial body and a whole one parse alike; an item
//! without a valid id is skipped.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tubefeed_core::{DetailsItem, EmbedSize, Language, LiveTimes, SourceError, VideoId};

#[derive(Deserialize)]
struct RawList {
    // Items are decoded one by one so that one odd item is skipped, not the whole answer.
    items: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVideo {
    id: Option<String>,
    snippet: Option<RawSnippet>,
    content_details: Option<RawContent>,
    statistics: Option<RawStats>,
    player: Option<RawPlayer>,
    live_streaming_details: Option<RawLive>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSnippet {
    default_audio_language: Option<String>,
    default_language: Option<String>,
}

#[derive(Deserialize)]
struct RawContent {
    duration: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStats {
    view_count: Option<Int64>,
    like_count: Option<Int64>,
    comment_count: Option<Int64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPlayer {
    embed_width: Option<Int64>,
    embed_height: Option<Int64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLive {
    scheduled_start_time: Option<String>,
    actual_start_time: Option<String>,
    actual_end_time: Option<String>,
}

/// An int64 as Google's JSON writes it (a string), or as a plain number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int64 {
    Text(String),
    Number(u64),
}

impl Int64 {
    fn value(&self) -> Option<u64> {
        match self {
            Int64::Text(s) => s.trim().parse().ok(),
            Int64::Number(n) => Some(*n),
        }
    }
}

/// Parses one answer. A body without an `items` array (or not JSON) is
/// [`SourceError::Malformed`]; an empty `items` is a valid answer (every id gone).
pub fn parse_details(body: &[u8]) -> Result<Vec<DetailsItem>, SourceError> {
    let raw: RawList =
        serde_json::from_slice(body).map_err(|e| SourceError::Malformed(e.to_string()))?;
    let items = raw
        .items
        // `fields=items(...)` on an answer with no item drops `items` altogether.
        .unwrap_or_default();
    Ok(items
        .into_iter()
        .filter_map(|v| serde_json::from_value::<RawVideo>(v).ok())
        .filter_map(to_item)
        .collect())
}

fn to_item(v: RawVideo) -> Option<DetailsItem> {
    let id = VideoId::parse(v.id.as_deref()?).ok()?;
    let language = v.snippet.and_then(|s| {
        [s.default_audio_language, s.default_language]
            .into_iter()
            .flatten()
            .find_map(|tag| Language::from_tag(&tag))
    });
    let stats = v.statistics;
    let count = |f: fn(&RawStats) -> &Option<Int64>| {
        stats
            .as_ref()
            .and_then(|s| f(s).as_ref())
            .and_then(Int64::value)
    };
    let embed = v.player.and_then(|p| {
        let width = u32::try_from(p.embed_width?.value()?).ok()?;
        let height = u32::try_from(p.embed_height?.value()?).ok()?;
        (width > 0 && height > 0).then_some(EmbedSize { width, height })
    });
    let live = v.live_streaming_details.map(|l| LiveTimes {
        scheduled_start: l.scheduled_start_time.as_deref().and_then(parse_time),
        actual_start: l.actual_start_time.as_deref().and_then(parse_time),
        actual_end: l.actual_end_time.as_deref().and_then(parse_time),
    });
    Some(DetailsItem {
        id,
        duration_seconds: v
            .content_details
            .and_then(|c| c.duration)
            .and_then(|d| duration_seconds(&d)),
        embed,
        view_count: count(|s| &s.view_count),
        like_count: count(|s| &s.like_count),
        comment_count: count(|s| &s.comment_count),
        language,
        live,
    })
}

/// Seconds in an ISO 8601 duration as YouTube writes them (`PT21M3S`, `P1DT2H`, `P0D`).
/// Years and months have no fixed length and trailing text is not a duration: both `None`.
pub fn duration_seconds(s: &str) -> Option<u32> {
    let (rest, d) = iso8601::parsers::parse_duration(s.trim().as_bytes()).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let secs: u64 = match d {
        iso8601::Duration::YMDHMS {
            year: 0,
            month: 0,
            day,
            hour,
            minute,
            second,
            ..
        } => {
            u64::from(day) * 86_400
                + u64::from(hour) * 3600
                + u64::from(minute) * 60
                + u64::from(second)
        }
        iso8601::Duration::Weeks(w) => u64::from(w) * 7 * 86_400,
        iso8601::Duration::YMDHMS { .. } => return None,
    };
    u32::try_from(secs).ok()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("PT21M3S"), Some(1263));
        assert_eq!(duration_seconds("PT1M30S"), Some(90));
        assert_eq!(duration_seconds("PT1H"), Some(3600));
        assert_eq!(duration_seconds("P1DT2H3M"), Some(93_780));
        assert_eq!(duration_seconds("P0D"), Some(0));
        assert_eq!(duration_seconds("P1W"), Some(604_800));
        assert_eq!(duration_seconds("P1M"), None, "a month has no fixed length");
        assert_eq!(duration_seconds("PT1M30Sjunk"), None);
        assert_eq!(duration_seconds("1:30"), None);
        assert_eq!(duration_seconds(""), None);
    }

    #[test]
    fn counts_as_strings_or_numbers_and_odd_items_skipped() {
        let body = br#"{"items": [
            {"id": "abc", "statistics": {"viewCount": "12", "likeCount": 3}},
            {"id": "bad id"},
            {"statistics": {}},
            {"id": "def", "player": {"embedWidth": "480", "embedHeight": "0"}}
        ]}"#;
        let items = parse_details(body).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (items[0].view_count, items[0].like_count),
            (Some(12), Some(3))
        );
        assert_eq!(items[0].comment_count, None);
        assert_eq!(items[1].embed, None, "a zero height is no shape");
        assert!(parse_details(b"{}").unwrap().is_empty());
        assert!(matches!(
            parse_details(b"[1]"),
            Err(SourceError::Malformed(_))
        ));
    }
}
