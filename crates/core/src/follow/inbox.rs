//! What a WebSub push brings: a channel's new or changed uploads, stored under every topic that
//! follows the channel when they match the topic's search rules. Pushes repeat and may arrive
//! before the feed or search shows the video: storing is idempotent, so that is harmless.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::FollowStore;
use super::rule::TopicRule;
use crate::store::{StoreError, VideoStore};
use crate::video::{ChannelId, Topic, Video};

/// What one push stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushOutcome {
    pub entries: usize,
    /// Topics following a channel the push was about.
    pub topics: usize,
    pub on_topic: usize,
    pub new: usize,
}

pub struct Inbox<'a, S> {
    pub store: &'a S,
    /// The followed topics (`SEARCH_QUERIES`).
    pub topics: &'a [Topic],
    pub blocked: &'a [ChannelId],
}

impl<S: FollowStore + VideoStore> Inbox<'_, S> {
    pub async fn receive(
        &self,
        entries: &[Video],
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, StoreError> {
        let mut out = PushOutcome {
            entries: entries.len(),
            ..PushOutcome::default()
        };
        for topic in self.topics {
            let (st, _) = self.store.load_follow(topic).await?;
            let followed = |c: &ChannelId| {
                !self.blocked.contains(c)
                    && st
                        .channels
                        .get(c)
                        .is_some_and(|r| r.followed_since.is_some())
            };
            let mine: Vec<&Video> = entries.iter().filter(|v| followed(&v.channel_id)).collect();
            if mine.is_empty() {
                continue;
            }
            out.topics += 1;
            let rule = TopicRule::of(topic);
            let keep: Vec<Video> = mine
                .into_iter()
                .filter(|v| rule.admits(v))
                .cloned()
                .collect();
            out.on_topic += keep.len();
            if !keep.is_empty() {
                out.new += self.store.upsert(topic, &keep, now).await?.new;
            }
        }
        Ok(out)
    }
}
