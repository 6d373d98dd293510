//! What the simulator counts and reports: calls per key and status, videos per topic, and the
//! state `GET /_sim/state` answers. Plain data, shared by the world (which counts) and the
//! control handle (which reports), so neither depends on the other.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::FaultPlan;

/// Counts of calls, including rejected and faulty ones: search, `videos.list` and channel feeds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStats {
    /// Every request to the search endpoint.
    pub total: u64,
    /// Per `key` parameter value; requests without a key are counted under `""`.
    pub per_key: BTreeMap<String, u64>,
    /// Per HTTP status answered (a malformed-body fault counts as 200).
    pub per_status: BTreeMap<u16, u64>,
    /// Answers decided by the [`FaultPlan`].
    pub faults_injected: u64,
    /// Calls refused because the key's project had no search calls left today, per key.
    #[serde(default)]
    pub quota_refused: BTreeMap<String, u64>,
    /// `videos.list` requests (not counted in `total`), per `key` parameter value.
    #[serde(default)]
    pub videos_per_key: BTreeMap<String, u64>,
    /// `videos.list` requests by HTTP status.
    #[serde(default)]
    pub videos_per_status: BTreeMap<u16, u64>,
    /// Ids asked for across all `videos.list` requests.
    #[serde(default)]
    pub videos_ids_asked: u64,
    /// Channel feed requests (`GET /feeds/videos.xml`, not counted in `total`), whatever the
    /// answer.
    #[serde(default)]
    pub feed_requests: u64,
    /// Feed requests answered `304 Not Modified`.
    #[serde(default)]
    pub feed_not_modified: u64,
    /// Feed requests answered with an injected `500` or `503` ([`FaultPlan`] `feed*` fields).
    #[serde(default)]
    pub feed_errors: u64,
    /// Feed requests by HTTP status.
    #[serde(default)]
    pub feed_per_status: BTreeMap<u16, u64>,
}

/// The feed part of [`CallStats`], as [`crate::SimControl::feed_stats`] answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStats {
    pub requests: u64,
    pub not_modified: u64,
    pub errors: u64,
    pub per_status: BTreeMap<u16, u64>,
}

impl CallStats {
    pub fn feeds(&self) -> FeedStats {
        FeedStats {
            requests: self.feed_requests,
            not_modified: self.feed_not_modified,
            errors: self.feed_errors,
            per_status: self.feed_per_status.clone(),
        }
    }
}

/// What the WebSub hub (`POST /hub`) did, as [`crate::SimControl::hub_stats`] answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HubStats {
    /// `POST /hub` requests, whatever the answer.
    pub requests: u64,
    /// Requests answered `400` (a bad mode, topic, callback, secret or lease).
    pub rejected: u64,
    /// Requests answered `503` because of [`FaultPlan::hub_down`].
    pub refused_down: u64,
    /// Verifications of intent the callback confirmed (2xx with the challenge echoed).
    pub verifications_ok: u64,
    /// Verifications that failed: another status, another body, or no answer at all.
    pub verifications_failed: u64,
    /// Push deliveries the callback answered with a 2xx (each repeat counts).
    pub pushes_delivered: u64,
    /// Push deliveries answered otherwise or not answered.
    pub pushes_failed: u64,
    /// Subscriptions verified and not yet expired, at the time of the report.
    pub active_subscriptions: usize,
}

/// Videos of one topic (on-topic ones: off-topic uploads are counted apart, in
/// [`SimState::off_topic`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicCounts {
    /// All videos, searchable or not yet indexed.
    pub videos: usize,
    /// Videos whose `indexed_at` has passed.
    pub visible: usize,
}

/// What `GET /_sim/state` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimState {
    pub now: DateTime<Utc>,
    pub topics: BTreeMap<String, TopicCounts>,
    pub calls: CallStats,
    /// Calls left today per key (configured keys and any key seen so far).
    pub keys: BTreeMap<String, u32>,
    pub faults: FaultPlan,
    /// Off-topic uploads (see [`crate::ChannelPlan`]) by the topic whose stream generated them.
    #[serde(default)]
    pub off_topic: BTreeMap<String, usize>,
    /// Channels in the plan (0 without one).
    #[serde(default)]
    pub planned_channels: usize,
    /// The WebSub hub's counters.
    #[serde(default)]
    pub hub: HubStats,
}
