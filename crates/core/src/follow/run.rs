//! The feeds step of a run: for each topic, count what was stored, choose the channels to
//! follow, read their feeds (bounded concurrency, conditional requests, failures backed off)
//! and store the uploads that belong to the topic. Feeds only add: search and its watermark
//! logic are untouched, so a feed outage loses nothing.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tracing::{info, warn};

use super::rule::TopicRule;
use super::{
    ChannelFeedSource, FeedAnswer, FeedError, FollowSettings, FollowState, FollowStore, Sighting,
};
use crate::redact::redact;
use crate::store::VideoStore;
use crate::video::{ChannelId, Topic, Video, VideoId};

/// The feeds step's collaborators.
pub struct Follower<'a, Src, V, St> {
    pub feeds: &'a Src,
    pub videos: &'a V,
    pub state: &'a St,
    pub settings: &'a FollowSettings,
    /// Never followed (their videos would be hidden anyway).
    pub blocked: &'a [ChannelId],
}

/// What the feeds step did for one topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TopicFollow {
    pub topic: String,
    /// Channels followed after this run's counts.
    pub followed: usize,
    /// Feed requests sent.
    pub requests: usize,
    /// Of them, answered `304 Not Modified`.
    pub not_modified: usize,
    pub not_found: usize,
    pub failed: usize,
    /// Followed channels not read this run: backing off after failures.
    pub backing_off: usize,
    /// Followed channels read recently enough: a quiet channel's feed is read less often.
    pub resting: usize,
    /// Entries not in the channel's previous answer.
    pub entries: usize,
    /// Of them, on the topic by the search rules (the others are not stored).
    pub on_topic: usize,
    /// Of them, videos the table did not have yet.
    pub new: usize,
    pub write_requests: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The followed channels, for the push step (not part of the summary line).
    #[serde(skip)]
    pub followed_ids: Vec<ChannelId>,
}

/// The feeds step's part of a run summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FollowSummary {
    pub topics: Vec<TopicFollow>,
    /// The push step (absent without `WEBSUB_CALLBACK_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<super::PushSummary>,
}

impl FollowSummary {
    /// Every topic's followed channels, each once.
    pub fn followed(&self) -> Vec<ChannelId> {
        let mut all: Vec<ChannelId> = Vec::new();
        for c in self.topics.iter().flat_map(|t| &t.followed_ids) {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
        all
    }
}

/// One feed's answer, kept for the topic's bookkeeping.
struct Read {
    channel: ChannelId,
    answer: Result<FeedAnswer, FeedError>,
}

impl<Src, V, St> Follower<'_, Src, V, St>
where
    Src: ChannelFeedSource,
    V: VideoStore,
    St: FollowStore,
{
    /// Every topic in turn, with the on-topic videos search stored for it in this run.
    pub async fn run(
        &self,
        topics: &[(Topic, Vec<Sighting>)],
        now: DateTime<Utc>,
    ) -> FollowSummary {
        let mut out = FollowSummary::default();
        for (topic, sightings) in topics {
            let mut t = TopicFollow {
                topic: topic.to_string(),
                ..TopicFollow::default()
            };
            if let Err(e) = self.topic(topic, sightings, now, &mut t).await {
                warn!(target: "tubefeed::follow", topic = %topic, error = %e, "feeds step failed");
                t.error = Some(redact(&e.to_string()));
            }
            info!(
                target: "tubefeed::follow",
                topic = %topic, followed = t.followed, requests = t.requests,
                not_modified = t.not_modified, failed = t.failed + t.not_found,
                on_topic = t.on_topic, new = t.new, "feeds read"
            );
            out.topics.push(t);
        }
        out
    }

    async fn topic(
        &self,
        topic: &Topic,
        sightings: &[Sighting],
        now: DateTime<Utc>,
        out: &mut TopicFollow,
    ) -> Result<(), crate::store::StoreError> {
        let (mut st, version) = self.state.load_follow(topic).await?;
        st.tally(sightings, self.settings, now);
        let followed = st.choose(self.settings, self.blocked, now);
        out.followed = followed.len();
        out.followed_ids.clone_from(&followed);
        let records = || followed.iter().filter_map(|c| st.channels.get(c));
        out.backing_off = records().filter(|r| !r.feed.due(now)).count();
        let due: Vec<ChannelId> = followed
            .iter()
            .filter(|c| {
                st.channels
                    .get(*c)
                    .is_some_and(|r| r.read_due(self.settings, now))
            })
            .cloned()
            .collect();
        out.resting = out.followed - out.backing_off - due.len();
        let reads = self.read_feeds(&st, due).await;
        out.requests = reads.len();
        let (fresh, first_reads) = self.take_answers(&mut st, reads, now, out);
        let rule = TopicRule::of(topic);
        let cutoff = now - self.settings.window;
        let keep: Vec<Video> = fresh
            .into_iter()
            .filter(|v| v.published_at >= cutoff && rule.admits(v))
            .collect();
        out.on_topic = keep.len();
        if !keep.is_empty() {
            // Before the state: a failed write leaves `seen` as it was, and the next run
            // offers the same entries again.
            let o = self.videos.upsert(topic, &keep, now).await?;
            out.new = o.new;
            out.write_requests = o.write_requests;
            // Counted when they first appear in the feed, whatever stored them first (a push
            // may have); but a channel's first feed read lists uploads from before it was
            // followed, which search counted already: of those, only the ones new here count.
            let new: HashSet<&VideoId> = o.new_ids.iter().collect();
            let counted: Vec<Video> = keep
                .into_iter()
                .filter(|v| !first_reads.contains(&v.id) || new.contains(&v.id))
                .collect();
            st.tally(&sightings_of_all(&counted), self.settings, now);
        }
        if !self.state.save_follow(topic, &st, version).await? {
            warn!(target: "tubefeed::follow", topic = %topic, "another run saved the topic's channels first; this run's counts are dropped");
        }
        Ok(())
    }

    async fn read_feeds(&self, st: &FollowState, due: Vec<ChannelId>) -> Vec<Read> {
        let jobs = due.into_iter().map(|channel| {
            let validators = st
                .channels
                .get(&channel)
                .map(|r| r.feed.validators.clone())
                .unwrap_or_default();
            async move {
                let answer = self.feeds.channel_feed(&channel, &validators).await;
                Read { channel, answer }
            }
        });
        stream::iter(jobs)
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await
    }

    /// Books each answer on its channel and returns the entries not seen in its last answer,
    /// and the ids of those from a channel's first read.
    fn take_answers(
        &self,
        st: &mut FollowState,
        reads: Vec<Read>,
        now: DateTime<Utc>,
        out: &mut TopicFollow,
    ) -> (Vec<Video>, HashSet<VideoId>) {
        let mut fresh = Vec::new();
        let mut first_reads = HashSet::new();
        for Read { channel, answer } in reads {
            let Some(rec) = st.channels.get_mut(&channel) else {
                continue;
            };
            let memo = &mut rec.feed;
            match answer {
                Ok(FeedAnswer::Fresh(feed)) => {
                    let first = memo.last_read_at.is_none();
                    memo.succeeded(now);
                    memo.validators = feed.validators;
                    let before: HashSet<&VideoId> = memo.seen.iter().collect();
                    // Only the channel's own uploads: a feed cannot speak for another channel.
                    let new: Vec<Video> = feed
                        .entries
                        .iter()
                        .filter(|v| v.channel_id == channel && !before.contains(&v.id))
                        .cloned()
                        .collect();
                    memo.seen = feed.entries.into_iter().map(|v| v.id).collect();
                    out.entries += new.len();
                    if first {
                        first_reads.extend(new.iter().map(|v| v.id.clone()));
                    }
                    fresh.extend(new);
                }
                Ok(FeedAnswer::NotModified) => {
                    out.not_modified += 1;
                    memo.succeeded(now);
                }
                Ok(FeedAnswer::NotFound) => {
                    out.not_found += 1;
                    memo.failed(now, "feed not found (404)".into(), true);
                }
                Err(e) => {
                    out.failed += 1;
                    memo.failed(now, e.to_string(), false);
                }
            }
        }
        (fresh, first_reads)
    }
}

/// The stored videos that were new, as sightings for the tally.
pub fn sightings_of(videos: &[Video], new_ids: &[VideoId]) -> Vec<Sighting> {
    let new: HashSet<&VideoId> = new_ids.iter().collect();
    videos
        .iter()
        .filter(|v| new.contains(&v.id))
        .map(|v| Sighting {
            channel_id: v.channel_id.clone(),
            channel_title: v.channel_title.clone(),
            published_at: v.published_at,
        })
        .collect()
}

fn sightings_of_all(videos: &[Video]) -> Vec<Sighting> {
    videos
        .iter()
        .map(|v| Sighting {
            channel_id: v.channel_id.clone(),
            channel_title: v.channel_title.clone(),
            published_at: v.published_at,
        })
        .collect()
}
