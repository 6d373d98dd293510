//! The video as tubefeed stores and serves it, and the validated names around it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::details::VideoDetails;

/// A YouTube video id. YouTube's are 11 characters of base64url; we accept a little more
/// latitude (1..=64 of the same alphabet) so a future id format does not become a lost video,
/// while still refusing anything that could break a key or a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VideoId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid video id: must be 1 to 64 characters of A-Z, a-z, 0-9, '-' or '_'")]
pub struct VideoIdError;

/// 1 to 64 characters of base64url: YouTube's ids with room to grow, and nothing that could
/// break a table key, a filter or a URL.
fn id_like(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl VideoId {
    pub fn parse(s: &str) -> Result<Self, VideoIdError> {
        if id_like(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(VideoIdError)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VideoId {
    type Error = VideoIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<VideoId> for String {
    fn from(v: VideoId) -> String {
        v.0
    }
}
impl fmt::Display for VideoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A YouTube channel id (`UC` and 22 characters for real channels; the same latitude as
/// [`VideoId`]). Checked where one enters — YouTube's answers, the API's `channel_id`, imports,
/// stored items — so every key and filter built from it is safe.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid channel id: must be 1 to 64 characters of A-Z, a-z, 0-9, '-' or '_'")]
pub struct ChannelIdError;

impl ChannelId {
    pub fn parse(s: &str) -> Result<Self, ChannelIdError> {
        if id_like(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ChannelIdError)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelId {
    type Error = ChannelIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ChannelId> for String {
    fn from(c: ChannelId) -> String {
        c.0
    }
}
impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl PartialEq<str> for ChannelId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}
impl PartialEq<&str> for ChannelId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A search topic as configured in `SEARCH_QUERIES`: trimmed, non-empty, at most 100
/// characters, and free of `#` (our key separator) and control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TopicError {
    #[error("topic is empty")]
    Empty,
    #[error("topic is longer than 100 characters")]
    TooLong,
    #[error("topic contains '#' or a control character")]
    BadChar,
}

impl Topic {
    pub fn parse(s: &str) -> Result<Self, TopicError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(TopicError::Empty);
        }
        if t.chars().count() > 100 {
            return Err(TopicError::TooLong);
        }
        if t.chars().any(|c| c == '#' || c.is_control()) {
            return Err(TopicError::BadChar);
        }
        Ok(Self(t.to_owned()))
    }

    /// Parses a comma-separated list, dropping duplicates but keeping the order given.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, TopicError> {
        let mut out: Vec<Topic> = Vec::new();
        for part in s.split(',') {
            let t = Topic::parse(part)?;
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Topic {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.0
    }
}
impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LiveBroadcast {
    #[default]
    None,
    Upcoming,
    Live,
}

impl LiveBroadcast {
    /// YouTube documents three values; anything else is treated as an ordinary upload rather
    /// than losing the video over a new enum member.
    pub fn from_youtube(s: &str) -> Self {
        match s {
            "live" => Self::Live,
            "upcoming" => Self::Upcoming,
            _ => Self::None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Upcoming => "upcoming",
            Self::Live => "live",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Thumbnails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Thumbnail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<Thumbnail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Thumbnail>,
}

/// A stored video. Text is plain Unicode: the title's HTML entities were decoded exactly once
/// at the YouTube boundary; description and channel title are kept as YouTube sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    pub id: VideoId,
    pub title: String,
    pub description: String,
    pub published_at: DateTime<Utc>,
    pub channel_id: ChannelId,
    pub channel_title: String,
    pub thumbnails: Thumbnails,
    pub live_broadcast_content: LiveBroadcast,
    /// What `videos.list` added, once it has (search results never carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<VideoDetails>,
}

impl Video {
    pub fn url(&self) -> String {
        format!("https://www.youtube.com/watch?v={}", self.id)
    }

    /// Whether `other` says the same as this video about what search reports (details aside:
    /// a search result never carries them, so a stored video with details is not "changed").
    pub fn same_listing(&self, other: &Video) -> bool {
        self.id == other.id
            && self.title == other.title
            && self.description == other.description
            && self.published_at == other.published_at
            && self.channel_id == other.channel_id
            && self.channel_title == other.channel_title
            && self.thumbnails == other.thumbnails
            && self.live_broadcast_content == other.live_broadcast_content
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_ids() {
        assert!(VideoId::parse("KFUIuE_hDRQ").is_ok());
        assert!(VideoId::parse("-2IlD-x8wvY").is_ok());
        assert_eq!(VideoId::parse(""), Err(VideoIdError));
        assert_eq!(VideoId::parse("a#b"), Err(VideoIdError));
        assert_eq!(VideoId::parse(&"a".repeat(65)), Err(VideoIdError));
    }

    #[test]
    fn channel_ids() {
        let c = ChannelId::parse("UCSRQXk5yErn4e14vN76upOw").unwrap();
        assert_eq!(c, "UCSRQXk5yErn4e14vN76upOw");
        assert_eq!(ChannelId::parse(""), Err(ChannelIdError));
        assert_eq!(ChannelId::parse("UC a"), Err(ChannelIdError));
        assert_eq!(ChannelId::parse("T#x"), Err(ChannelIdError));
        assert_eq!(ChannelId::parse(&"c".repeat(65)), Err(ChannelIdError));
        let json: Result<ChannelId, _> = serde_json::from_str("\"bad id\"");
        assert!(json.is_err(), "deserialising checks too");
    }

    #[test]
    fn topics() {
        let list = Topic::parse_list(" cricket, football ,cricket").unwrap();
        assert_eq!(
            list.iter().map(Topic::as_str).collect::<Vec<_>>(),
            ["cricket", "football"]
        );
        assert_eq!(Topic::parse_list("a,,b"), Err(TopicError::Empty));
        assert_eq!(Topic::parse("x#y"), Err(TopicError::BadChar));
        assert_eq!(Topic::parse(&"é".repeat(101)), Err(TopicError::TooLong));
        assert!(Topic::parse("क्रिकेट").is_ok());
    }

    #[test]
    fn live_state_is_lenient() {
        assert_eq!(LiveBroadcast::from_youtube("live"), LiveBroadcast::Live);
        assert_eq!(
            LiveBroadcast::from_youtube("completed"),
            LiveBroadcast::None
        );
    }
}
