//! The read side: what the API asks of the store.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{FetchState, StoreError};
use crate::video::{ChannelId, Topic, Video, VideoId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Desc,
    Asc,
}

/// One validated feed or search query. `terms` are already segmented and case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    pub topic: Topic,
    pub order: Order,
    /// Inclusive bounds on `published_at`.
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub channel_id: Option<ChannelId>,
    pub terms: Vec<String>,
    pub limit: u8,
}

/// Where the next page starts: the store's own position (DynamoDB's `LastEvaluatedKey`, whose
/// attributes are all strings here) plus, for searches, the word that drives the query, so
/// every page of one walk reads the same index partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedPage {
    pub videos: Vec<Video>,
    /// `None` exactly when nothing follows.
    pub next: Option<Cursor>,
    /// Read capacity the page consumed, as the store reported it.
    pub read_units: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyPoolCounts {
    pub total: usize,
    pub available: usize,
    pub exhausted: usize,
    pub invalid: usize,
    pub rate_limited: usize,
}

/// The store as the API sees it.
pub trait FeedReader: Send + Sync {
    fn page(
        &self,
        q: &FeedQuery,
        start: Option<&Cursor>,
    ) -> impl Future<Output = Result<FeedPage, StoreError>> + Send;
    fn video(&self, id: &VideoId)
    -> impl Future<Output = Result<Option<Video>, StoreError>> + Send;
    fn fetch_states(
        &self,
        topics: &[Topic],
    ) -> impl Future<Output = Result<Vec<(Topic, FetchState)>, StoreError>> + Send;
}

/// Key-pool health without key values, for `/health`.
pub trait KeyPoolReader: Send + Sync {
    fn key_pool(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<KeyPoolCounts, StoreError>> + Send;
}
