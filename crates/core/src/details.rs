//! What `videos.list` adds to a video found by search: its length, counts, language, live
//! times, and whether it is a Short.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A Short is at most this long (YouTube's limit since 15 October 2024) and not landscape.
pub const SHORT_MAX_SECONDS: u32 = 180;

/// Where a video's aspect ratio is unknown (no `player` part in the answer, or no embed size),
/// only a video this short counts as a Short: every Short was at most 60 s until October 2024,
/// and a 61–180 s video of unknown shape is more often an ordinary upload than not. Such a
/// video is a Short only if both its length and its shape say so; this is the documented
/// fallback where the shape is missing.
pub const SHORT_MAX_SECONDS_UNKNOWN_ASPECT: u32 = 60;

/// The player's embed size, which `videos.list` returns in the video's own aspect ratio when
/// asked with `maxWidth`/`maxHeight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedSize {
    pub width: u32,
    pub height: u32,
}

impl EmbedSize {
    /// Wider than tall. A square video is not landscape (Shorts may be 1:1).
    pub fn is_landscape(self) -> bool {
        self.width > self.height
    }
}

/// Whether a video is a Short: at most [`SHORT_MAX_SECONDS`] and not landscape; with the shape
/// unknown, at most [`SHORT_MAX_SECONDS_UNKNOWN_ASPECT`]. A video without a length (a live or
/// upcoming broadcast) is not a Short.
pub fn is_short(duration_seconds: Option<u32>, embed: Option<EmbedSize>) -> bool {
    let Some(d) = duration_seconds.filter(|d| *d > 0) else {
        return false;
    };
    match embed {
        Some(e) => d <= SHORT_MAX_SECONDS && !e.is_landscape(),
        None => d <= SHORT_MAX_SECONDS_UNKNOWN_ASPECT,
    }
}

/// YouTube's duration buckets (the `videoDuration` search filter's): under 4 minutes, 4 to 20
/// minutes, over 20 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationBucket {
    Short,
    Medium,
    Long,
}

impl DurationBucket {
    pub fn of(seconds: u32) -> Self {
        if seconds < 4 * 60 {
            Self::Short
        } else if seconds <= 20 * 60 {
            Self::Medium
        } else {
            Self::Long
        }
    }
}

/// The primary language subtag of a BCP 47 tag (`en` of `en-GB`), lowercase: 2 or 3 ASCII
/// letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a language: a primary subtag is 2 or 3 letters (en, pt, fil)")]
pub struct LanguageError;

impl Language {
    /// A primary subtag as a client writes it (`en`, `PT`).
    pub fn parse(s: &str) -> Result<Self, LanguageError> {
        let s = s.trim();
        if (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(LanguageError)
        }
    }

    /// The primary subtag of a full tag as YouTube reports it (`en-US`, `zh-Hans`, `pt_BR`);
    /// `und` (undetermined) is no language.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Self::parse(primary).ok().filter(|l| l.0 != "und")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Language {
    type Error = LanguageError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Language> for String {
    fn from(l: Language) -> String {
        l.0
    }
}
impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A broadcast's times (`liveStreamingDetails`), each absent until YouTube knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTimes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_end: Option<DateTime<Utc>>,
}

impl LiveTimes {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A video's details as of `fetched_at`. Every field is absent (never null) until known:
/// a live or upcoming broadcast has no length yet (YouTube says `P0D`), a channel may hide its
/// like count, a video may declare no language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// See [`is_short`]; the rule and its fallback are documented in docs/api.md.
    pub is_short: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub like_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveTimes>,
    pub fetched_at: DateTime<Utc>,
}

impl VideoDetails {
    /// The same facts, whenever they were fetched (an import of an export is no change).
    pub fn same_facts(&self, other: &VideoDetails) -> bool {
        Self {
            fetched_at: other.fetched_at,
            ..self.clone()
        } == *other
    }
}

/// Whether `incoming` (a search result's or an imported line's details, if any) changes
/// nothing over `stored`: a search result carries none.
pub fn details_unchanged(incoming: Option<&VideoDetails>, stored: Option<&VideoDetails>) -> bool {
    match (incoming, stored) {
        (None, _) => true,
        (Some(a), Some(b)) => a.same_facts(b),
        (Some(_), None) => false,
    }
}

/// The details as the API and export files show them, flattened into the video: each field
/// absent (not null) until known. `is_short` is present exactly when details are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailsFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_short: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub like_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveTimes>,
}

impl DetailsFields {
    pub fn of(d: Option<&VideoDetails>) -> Self {
        let Some(d) = d else {
            return Self::default();
        };
        Self {
            duration_seconds: d.duration_seconds,
            is_short: Some(d.is_short),
            view_count: d.view_count,
            like_count: d.like_count,
            comment_count: d.comment_count,
            language: d.language.clone(),
            live: d.live,
        }
    }

    /// The details these fields describe (an imported line's), as of `fetched_at`; none
    /// without `is_short`.
    pub fn into_details(self, fetched_at: DateTime<Utc>) -> Option<VideoDetails> {
        Some(VideoDetails {
            is_short: self.is_short?,
            duration_seconds: self.duration_seconds,
            view_count: self.view_count,
            like_count: self.like_count,
            comment_count: self.comment_count,
            language: self.language,
            live: self.live.filter(|l| !l.is_empty()),
            fetched_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTRAIT: EmbedSize = EmbedSize {
        width: 270,
        height: 480,
    };
    const LANDSCAPE: EmbedSize = EmbedSize {
        width: 480,
        height: 270,
    };
    const SQUARE: EmbedSize = EmbedSize {
        width: 480,
        height: 480,
    };

    #[test]
    fn shorts_are_short_and_not_landscape() {
        assert!(is_short(Some(170), Some(PORTRAIT)), "vertical 170 s");
        assert!(!is_short(Some(45), Some(LANDSCAPE)), "landscape 45 s");
        assert!(is_short(Some(180), Some(SQUARE)), "square at the limit");
        assert!(!is_short(Some(181), Some(PORTRAIT)), "one second over");
        assert!(!is_short(None, Some(PORTRAIT)), "a broadcast has no length");
        assert!(!is_short(Some(0), Some(PORTRAIT)), "P0D");
    }

    #[test]
    fn unknown_shape_falls_back_to_sixty_seconds() {
        assert!(is_short(Some(60), None));
        assert!(!is_short(Some(61), None));
        assert!(!is_short(Some(170), None));
    }

    #[test]
    fn duration_buckets_are_youtubes() {
        assert_eq!(DurationBucket::of(239), DurationBucket::Short);
        assert_eq!(DurationBucket::of(240), DurationBucket::Medium);
        assert_eq!(DurationBucket::of(1200), DurationBucket::Medium);
        assert_eq!(DurationBucket::of(1201), DurationBucket::Long);
    }

    #[test]
    fn languages_are_primary_subtags() {
        assert_eq!(Language::from_tag("en-US").unwrap().as_str(), "en");
        assert_eq!(Language::from_tag("zh-Hans").unwrap().as_str(), "zh");
        assert_eq!(Language::from_tag("pt_BR").unwrap().as_str(), "pt");
        assert_eq!(Language::from_tag("FIL").unwrap().as_str(), "fil");
        assert_eq!(Language::from_tag("und"), None);
        assert_eq!(Language::from_tag(""), None);
        assert_eq!(Language::from_tag("e"), None);
        assert_eq!(Language::from_tag("english"), None);
        assert_eq!(Language::parse("h1"), Err(LanguageError));
    }
}
