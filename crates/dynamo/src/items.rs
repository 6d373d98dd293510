//! Item layouts. Keys are prefixed strings so several kinds of item share one table without
//! colliding; `published_at` keys are fixed-width (millisecond RFC 3339, `Z`) so they sort as
//! time does.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tubefeed_core::{ChannelId, LiveBroadcast, Thumbnails, Topic, Video, VideoDetails, VideoId};

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
/// The queue of videos waiting for details: one partition, sorted by when they were stored.
pub const DETAILS_QUEUE_PK: &str = "DQ";
/// A queue entry's place: when the video was stored under the topic, then the video and topic
/// (so queueing the same video again is the same item).
pub fn details_queue_sk(first_seen_at: &str, id: &VideoId, topic: &Topic) -> String {
    format!("{first_seen_at}#{id}#{topic}")
}

pub fn lease_pk(topic: &Topic) -> String {
    format!("L#{topic}")
}

/// A topic's followed channels and their feeds (`tubefeed_core::FollowState`).
pub fn follow_pk(topic: &Topic) -> String {
    format!("F#{topic}")
}

/// A video as listed under one topic: the id is the partition key, the topic the sort key,
/// and the feed/channel index keys place it on that topic's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoItem {
    pub pk: String,
    pub sk: String,
    /// The feed and channel index keys; removed (the indexes are sparse) while the video is
    /// unavailable, which is how it leaves every list at no read cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_pk: Option<String>,
    pub feed_sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_pk: Option<String>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<VideoDetails>,
    /// `videos.list` no longer returns the video (deleted or private).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unavailable: bool,
    /// When the topic's retention ends for this video (epoch seconds, [`TTL_ATTR`]): DynamoDB's
    /// TTL deletes the item some time after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl VideoItem {
    pub fn new(topic: &Topic, v: &Video, first_seen_at: &str, now: DateTime<Utc>) -> Self {
        Self {
            pk: video_pk(&v.id),
            sk: topic_sk(topic),
            feed_pk: Some(feed_pk(topic)),
            feed_sk: feed_sk(v.published_at, &v.id),
            channel_pk: Some(channel_pk(topic, v.channel_id.as_str())),
            topic: topic.to_string(),
            id: v.id.to_string(),
            title: v.title.clone(),
            description: v.description.clone(),
            published_at: time_key(v.published_at),
            channel_id: v.channel_id.to_string(),
            channel_title: v.channel_title.clone(),
            thumbnails: v.thumbnails.clone(),
            live_broadcast_content: v.live_broadcast_content,
            first_seen_at: first_seen_at.to_owned(),
            updated_at: time_key(now),
            details: v.details.clone(),
            unavailable: false,
            expires_at: None,
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
            channel_id: ChannelId::parse(&self.channel_id)
                .map_err(|e| format!("{}: channel_id: {e}", self.pk))?,
            channel_title: self.channel_title.clone(),
            thumbnails: self.thumbnails.clone(),
            live_broadcast_content: self.live_broadcast_content,
            details: self.details.clone(),
        })
    }
}

/// Prefix partitions are cut at this many characters: a longer query word reads the partition
/// of its first 16 characters and filters on the entries' word string. Words that long are rare,
/// and the cap bounds a long word's entries at 15 instead of up to 63.
pub const MAX_PREFIX_KEY_CHARS: usize = 16;

/// The search-index partition of one prefix (or one-character word) within a topic.
pub fn prefix_pk(topic: &Topic, key: &str) -> String {
    format!("P#{topic}#{key}")
}

/// The partition of the pre-prefix index (whole words), which `tubefeed reindex` removes.
pub fn legacy_word_pk(topic: &Topic, word: &str) -> String {
    format!("W#{topic}#{word}")
}

/// The index keys a video is filed under: every prefix of 2 to 16 characters of each indexed
/// word, and each one-character word itself. A one-character key only ever holds that whole
/// word: no prefix key is shorter than two characters, so the two kinds cannot collide.
pub fn index_keys(words: &[String]) -> std::collections::BTreeSet<String> {
    let mut keys = std::collections::BTreeSet::new();
    for w in words {
        let ends: Vec<usize> = w
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .take(MAX_PREFIX_KEY_CHARS)
            .collect();
        if ends.len() == 1 {
            keys.insert(w.clone());
        }
        for &end in ends.iter().skip(1) {
            keys.insert(w[..end].to_owned());
        }
    }
    keys
}

/// The partition a query word is read from, and whether that partition alone decides a match
/// (otherwise the entries are filtered on their word string as well).
pub fn term_key(term: &str) -> (String, bool) {
    match term.char_indices().nth(MAX_PREFIX_KEY_CHARS) {
        Some((cut, _)) => (term[..cut].to_owned(), false),
        None => (term.to_owned(), true),
    }
}

/// The word string a filter searches: every indexed word with a space on each side, so
/// `contains(ws, " wick")` is a prefix test and `contains(ws, " a ")` a whole-word test.
pub fn word_string(words: &[String]) -> String {
    let mut s = String::with_capacity(words.iter().map(|w| w.len() + 1).sum::<usize>() + 1);
    s.push(' ');
    for w in words {
        s.push_str(w);
        s.push(' ');
    }
    s
}

/// The filter needle of a query word (see [`word_string`]).
pub fn term_needle(term: &str) -> String {
    if tubefeed_core::text::is_prefix_term(term) {
        format!(" {term}")
    } else {
        format!(" {term} ")
    }
}

/// `feed_sk` bounds for inclusive `published_at` limits. The id suffix sorts below `~`.
pub fn feed_sk_lower(after: DateTime<Utc>) -> String {
    time_key(after)
}
pub fn feed_sk_upper(before: DateTime<Utc>) -> String {
    format!("{}#~", time_key(before))
}

/// One search-index entry: the video under one of its prefixes. It carries the video's whole
/// word string, so a multi-word search filters the entries of its most selective partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub channel_id: String,
    pub ws: String,
    /// The video's [`VideoItem::expires_at`]: TTL deletes the entries with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn keys_are_prefixes_and_single_characters() {
        let keys: Vec<String> = index_keys(&w(&["wick", "wicket", "a", "東", "क्रि"]))
            .into_iter()
            .collect();
        // "क्रि" is क ् र ि: four characters, three prefixes.
        assert_eq!(
            keys,
            [
                "a",
                "wi",
                "wic",
                "wick",
                "wicke",
                "wicket",
                "क्",
                "क्र",
                "क्रि",
                "東"
            ]
        );
        let long = "abcdefghijklmnopqrstuvwxyz".to_owned();
        let keys = index_keys(std::slice::from_ref(&long));
        assert_eq!(keys.len(), MAX_PREFIX_KEY_CHARS - 1);
        assert!(keys.contains(&long[..16]) && !keys.contains(&long[..17]));
        assert_eq!(term_key(&long), (long[..16].to_owned(), false));
        assert_eq!(term_key("wick"), ("wick".to_owned(), true));
    }

    #[test]
    fn needles_test_word_starts() {
        let ws = word_string(&w(&["wickets", "a", "kohli's", "kohli"]));
        assert!(ws.contains(&term_needle("wick")));
        assert!(ws.contains(&term_needle("a")));
        assert!(ws.contains(&term_needle("kohli's")));
        assert!(!ws.contains(&term_needle("ickets")));
        assert!(!ws.contains(&term_needle("w")));
    }
}
