//! What the simulator counts and reports: calls per key and status, videos per topic, and the
//! state `GET /_sim/state` answers. Plain data, shared by the world (which counts) and the
//! control handle (which reports), so neither depends on the other.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::FaultPlan;

/// Counts of search calls, including rejected and faulty ones.
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
}

/// Videos of one topic.
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
}
