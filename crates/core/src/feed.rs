//! The read side: what the API asks of the store.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::details::{Language, VideoDetails};
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
    /// Filters on the videos' details (`shorts`, `duration`, `lang`).
    pub filter: VideoFilter,
    /// Blocked channels, left out of the answer. Not part of a walk's identity: a block that
    /// lands mid-walk hides the channel's videos from the next page on.
    pub hidden_channels: Vec<ChannelId>,
}

/// `shorts=exclude|only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortsFilter {
    /// Hide Shorts. A video whose details are not known yet is shown.
    Exclude,
    /// Only Shorts (known to be).
    Only,
}

/// Filters on what `videos.list` said about a video. A video without details passes
/// `shorts=exclude` and no other filter: its length and language are not known yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VideoFilter {
    pub shorts: Option<ShortsFilter>,
    /// Inclusive bounds on `duration_seconds` (a video without a length fails either).
    pub min_duration: Option<u32>,
    pub max_duration: Option<u32>,
    /// Primary language subtags, any of them; empty = any language.
    pub languages: Vec<Language>,
}

impl VideoFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether a video with these details passes: the rule every store applies.
    pub fn admits(&self, details: Option<&VideoDetails>) -> bool {
        let shorts = match self.shorts {
            None => true,
            Some(ShortsFilter::Exclude) => details.is_none_or(|d| !d.is_short),
            Some(ShortsFilter::Only) => details.is_some_and(|d| d.is_short),
        };
        let length = details.and_then(|d| d.duration_seconds);
        let long_enough = self
            .min_duration
            .is_none_or(|min| length.is_some_and(|l| l >= min));
        let short_enough = self
            .max_duration
            .is_none_or(|max| length.is_some_and(|l| l <= max));
        let language = self.languages.is_empty()
            || details
                .and_then(|d| d.language.as_ref())
                .is_some_and(|l| self.languages.contains(l));
        shorts && long_enough && short_enough && language
    }

    /// Admits nothing at all (a minimum above the maximum).
    pub fn is_unsatisfiable(&self) -> bool {
        matches!((self.min_duration, self.max_duration), (Some(a), Some(b)) if a > b)
    }

    /// A canonical text of the filter, for binding page tokens to it.
    pub fn canonical(&self) -> String {
        let shorts = match self.shorts {
            None => "",
            Some(ShortsFilter::Exclude) => "exclude",
            Some(ShortsFilter::Only) => "only",
        };
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut langs: Vec<&str> = self.languages.iter().map(Language::as_str).collect();
        langs.sort_unstable();
        langs.dedup();
        format!(
            "{shorts};{};{};{}",
            n(self.min_duration),
            n(self.max_duration),
            langs.join(",")
        )
    }
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
    /// Channels blocked in the store, hidden from every answer. None by default.
    fn hidden_channels(&self) -> impl Future<Output = Result<Vec<ChannelId>, StoreError>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// Key-pool health without key values, for `/health`.
pub trait KeyPoolReader: Send + Sync {
    fn key_pool(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<KeyPoolCounts, StoreError>> + Send;
}
