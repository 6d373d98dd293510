//! Item layouts. Keys are prefixed strings so several kinds of item share one table without
//! colliding; `published_at` keys are fixed-width (millisecond RFC 3339, `Z`) so they sort as
//! time does.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tubefeed_core::{LiveBroadcast, Thumbnails, Topic, Video, VideoId};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const FEED_INDEX: &str = "published_at";
pub const FEED_PK: &str = "feed_pk";
pub const FEED_SK: &str = "feed_sk";
pub const CHANNEL_INDEX: &str = "channel_published_at";
pub const CHANNEL_PK: &str = "channel_pk";
pub const TTL_ATTR: &str = "expires_at";

pub fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
pub fn video_pk(id: impl std::fmt::Display) -> String {
    format!("V#{id}")
}
pub fn topic_sk(topic: &Topic) -> String {
    format!("T#{topic}")
}
pub fn feed_pk(topic: &Topic) -> String {
    format!("T#{topic}")
}
pub fn feed_sk(published_at: DateTime<Utc>, id: &VideoId) -> String {
    format!("{}#{id}", time_key(published_at))
}
pub fn channel_pk(topic: &Topic, channel_id: &str) -> String {
    format!("T#{topic}#C#{channel_id}")
}
pub fn state_pk(topic: &Topic) -> String {
    format!("S#{topic}")
}
pub fn lease_pk(topic: &Topic) -> String {
    format!("L#{topic}")
}

/// A video as listed under one topic: the id is the partition key, the topic the sort key,
/// and the feed/channel index keys place it on that topic's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoItem {
    pub pk: String,
    pub sk: String,
    pub feed_pk: String,
    pub feed_sk: String,
    pub channel_pk: String,
    pub topic: String,
    pub id: String,
    pub title: String,
    pub description: String,
    pub published_at: String,
    pub channel_id: String,
    pub channel_title: String,
    #[serde(default)]
    pub thumbnails: Thumbnails,
    pub live_broadcast_content: LiveBroadcast,
    pub first_seen_at: String,
    pub updated_at: String,
}

impl VideoItem {
    pub fn new(topic: &Topic, v: &Video, first_seen_at: &str, now: DateTime<Utc>) -> Self {
        Self {
            pk: video_pk(&v.id),
            sk: topic_sk(topic),
            feed_pk: feed_pk(topic),
            feed_sk: feed_sk(v.published_at, &v.id),
            channel_pk: channel_pk(topic, &v.channel_id),
            topic: topic.to_string(),
            id: v.id.to_string(),
            title: v.title.clone(),
            description: v.description.clone(),
            published_at: time_key(v.published_at),
            channel_id: v.channel_id.clone(),
            channel_title: v.channel_title.clone(),
            thumbnails: v.thumbnails.clone(),
            live_broadcast_content: v.live_broadcast_content,
            first_seen_at: first_seen_at.to_owned(),
            updated_at: time_key(now),
        }
    }

    pub fn to_video(&self) -> Result<Video, String> {
        Ok(Video {
            id: VideoId::parse(&self.id).map_err(|e| format!("{}: {e}", self.pk))?,
            title: self.title.clone(),
            description: self.description.clone(),
            published_at: DateTime::parse_from_rfc3339(&self.published_at)
                .map_err(|e| format!("{}: published_at: {e}", self.pk))?
                .with_timezone(&Utc),
            channel_id: self.channel_id.clone(),
            channel_title: self.channel_title.clone(),
            thumbnails: self.thumbnails.clone(),
            live_broadcast_content: self.live_broadcast_content,
        })
    }
}

/// The search index partition of one word within a topic.
pub fn word_pk(topic: &Topic, word: &str) -> String {
    format!("W#{topic}#{word}")
}

/// `feed_sk` bounds for inclusive `published_at` limits. The id suffix sorts below `~`.
pub fn feed_sk_lower(after: DateTime<Utc>) -> String {
    time_key(after)
}
pub fn feed_sk_upper(before: DateTime<Utc>) -> String {
    format!("{}#~", time_key(before))
}

/// One search-index entry: the video under one of its words. It carries every indexed word of
/// the video, so a multi-word search filters on the entries of its most selective word alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub channel_id: String,
    pub words: Vec<String>,
}
