//! How long a topic keeps its videos (`RETENTION_DAYS`, or `cricket:3:30d` per topic), counted
//! from each video's publication.
//!
//! A store applies it three ways: a video is written with the time it expires (DynamoDB's TTL
//! then deletes it and its index entries, within days of that time); reads never serve a video
//! past it, whether or not TTL has deleted it yet (lists and searches start at the cut-off, a
//! single read checks it); and a video already past it is not stored at all.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::video::Topic;

/// The longest retention accepted: a hundred years is "forever" with a number on it.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// Days each topic keeps its videos; none means forever.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    default_days: Option<u32>,
    topics: HashMap<Topic, u32>,
}

impl Retention {
    /// Keep everything (the default).
    pub fn forever() -> Self {
        Self::default()
    }

    /// `default_days` for every topic without its own.
    pub fn new(
        default_days: Option<u32>,
        per_topic: impl IntoIterator<Item = (Topic, u32)>,
    ) -> Self {
        Self {
            default_days,
            topics: per_topic.into_iter().collect(),
        }
    }

    pub fn days(&self, topic: &Topic) -> Option<u32> {
        self.topics.get(topic).copied().or(self.default_days)
    }

    /// Whether any topic expires videos at all (a store that keeps everything skips the checks).
    pub fn is_forever(&self) -> bool {
        self.default_days.is_none() && self.topics.is_empty()
    }

    /// Videos of `topic` published before this time have expired at `now`.
    pub fn cutoff(&self, topic: &Topic, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.days(topic).map(|d| now - Duration::days(i64::from(d)))
    }

    /// When a video of `topic` published at `published_at` expires.
    pub fn expires_at(&self, topic: &Topic, published_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.days(topic)
            .map(|d| published_at + Duration::days(i64::from(d)))
    }

    pub fn is_expired(
        &self,
        topic: &Topic,
        published_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        self.cutoff(topic, now).is_some_and(|c| published_at < c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_topics_own_days_win_over_the_default_and_none_keeps_forever() {
        let cricket = Topic::parse("cricket").unwrap();
        let chess = Topic::parse("chess").unwrap();
        let r = Retention::new(Some(30), [(cricket.clone(), 3)]);
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        assert_eq!(r.days(&cricket), Some(3));
        assert_eq!(r.days(&chess), Some(30));
        assert_eq!(r.cutoff(&cricket, now), Some(now - Duration::days(3)));
        let just_inside = now - Duration::days(3);
        assert!(
            !r.is_expired(&cricket, just_inside, now),
            "the cut-off itself is kept"
        );
        assert!(r.is_expired(&cricket, just_inside - Duration::seconds(1), now));
        assert!(!r.is_expired(&chess, just_inside - Duration::seconds(1), now));
        assert_eq!(r.expires_at(&cricket, now), Some(now + Duration::days(3)));
        let keep = Retention::forever();
        assert!(keep.is_forever() && !r.is_forever());
        assert_eq!(keep.expires_at(&cricket, now), None);
        assert!(!keep.is_expired(&cricket, now - Duration::days(100_000), now));
    }
}
