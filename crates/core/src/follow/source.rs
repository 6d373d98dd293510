//! The port to YouTube's public channel feeds (`/feeds/videos.xml?channel_id=UC…`): a
//! channel's 15 newest uploads as Atom, no key, no quota.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::video::{ChannelId, Video};

/// What a feed's last answer said about its version, sent back so that an unchanged feed
/// costs a `304 Not Modified` and no parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedValidators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl FeedValidators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A channel feed as read: its entries as videos (newest first, as the feed lists them), and
/// the validators to send next time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelFeed {
    pub entries: Vec<Video>,
    pub validators: FeedValidators,
    /// Entries that lacked a field a video needs (id, channel, time): skipped, not fatal.
    pub skipped_entries: usize,
}

/// One feed request's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedAnswer {
    Fresh(ChannelFeed),
    /// `304`: nothing changed since the validators sent.
    NotModified,
    /// `404`: no such channel (or YouTube's feed for it is gone). Backed off, never fatal.
    NotFound,
}

/// Every way a feed request can fail. Feeds are a bonus on top of search: a failure backs the
/// channel off and is reported, it never fails a run.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FeedError {
    #[error("feed server error {status}")]
    Server { status: u16 },
    /// Any other unexpected status (403, 429, …).
    #[error("feed answered {status}")]
    Status { status: u16 },
    #[error("feed did not answer in time")]
    Timeout,
    #[error("could not reach the feed: {0}")]
    Transport(String),
    #[error("malformed feed: {0}")]
    Malformed(String),
}

impl FeedError {
    /// A stable machine-readable name for logs and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Server { .. } => "server_error",
            Self::Status { .. } => "status",
            Self::Timeout => "timeout",
            Self::Transport(_) => "transport",
            Self::Malformed(_) => "malformed",
        }
    }
}

/// Where channel feeds come from. Implementations send the validators as `If-None-Match` /
/// `If-Modified-Since` and do not retry: the next run is the retry.
pub trait ChannelFeedSource: Send + Sync {
    fn channel_feed(
        &self,
        channel: &ChannelId,
        validators: &FeedValidators,
    ) -> impl Future<Output = Result<FeedAnswer, FeedError>> + Send;
}
