//! The ports to YouTube's `search.list` and `videos.list`.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::details::{EmbedSize, Language, LiveTimes, VideoDetails, is_short};
use crate::key::ApiKey;
use crate::video::{Topic, Video, VideoId};

/// One `search.list` call: `part=snippet&type=video&order=date` are implied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub q: Topic,
    /// Inclusive ("at or after"), as YouTube defines it.
    pub published_after: Option<DateTime<Utc>>,
    /// Inclusive ("before or at").
    pub published_before: Option<DateTime<Utc>>,
    pub page_token: Option<String>,
    pub max_results: u8,
}

/// One page, already turned into domain videos.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    pub videos: Vec<Video>,
    pub next_page_token: Option<String>,
    /// Items that were not videos (channels, playlists) or lacked fields a video needs.
    pub skipped_items: usize,
    /// How many items YouTube put on the page, videos or not: a full page may have more
    /// behind it even when the result cap hides them.
    pub raw_items: usize,
}

/// Every way a `search.list` call can fail, classified for the decisions the fetch cycle and
/// the key ring take. Messages never contain a key.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SourceError {
    /// The key's day is spent (403 `quotaExceeded` / `dailyLimitExceeded`, 429 "... per day").
    #[error("quota exhausted for this key: {0}")]
    QuotaExhausted(String),
    /// A short-term 429: the key is fine, the caller should slow down.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// 400 `API_KEY_INVALID` (current) or `keyInvalid` (legacy).
    #[error("API key invalid")]
    InvalidKey,
    /// 403 `accessNotConfigured`: the key's project has not enabled the Data API.
    #[error("YouTube Data API not enabled for this key's project: {0}")]
    ApiNotEnabled(String),
    /// 403 other than the above (e.g. `forbidden`, `PERMISSION_DENIED`).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Any other 4xx: our request was wrong (bad parameter, bad page token).
    #[error("bad request ({reason}): {message}")]
    BadRequest { reason: String, message: String },
    /// 5xx after retries.
    #[error("YouTube server error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("YouTube did not answer within {0:?}")]
    Timeout(Duration),
    #[error("malformed YouTube response: {0}")]
    Malformed(String),
    #[error("could not reach YouTube: {0}")]
    Transport(String),
}

impl SourceError {
    /// Errors that say something about the key rather than the request.
    pub fn key_outcome(&self) -> Option<crate::keys::KeyOutcome> {
        use crate::keys::KeyOutcome;
        match self {
            Self::QuotaExhausted(_) => Some(KeyOutcome::Exhausted),
            Self::InvalidKey | Self::ApiNotEnabled(_) => Some(KeyOutcome::Invalid),
            Self::RateLimited(_) => Some(KeyOutcome::RateLimited),
            _ => None,
        }
    }

    /// A stable machine-readable name for logs and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::QuotaExhausted(_) => "quota_exhausted",
            Self::RateLimited(_) => "rate_limited",
            Self::InvalidKey => "invalid_key",
            Self::ApiNotEnabled(_) => "api_not_enabled",
            Self::Forbidden(_) => "forbidden",
            Self::BadRequest { .. } => "bad_request",
            Self::Server { .. } => "server_error",
            Self::Timeout(_) => "timeout",
            Self::Malformed(_) => "malformed_response",
            Self::Transport(_) => "transport",
        }
    }
}

/// What one search came to, and how many HTTP attempts it took (each is quota spent).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    pub result: Result<SearchPage, SourceError>,
    pub attempts: u32,
}

/// Where videos come from. Implementations retry transient failures themselves and report
/// each HTTP attempt so the caller can count quota honestly.
pub trait VideoSource: Send + Sync {
    fn search(
        &self,
        req: &SearchRequest,
        key: &ApiKey,
    ) -> impl Future<Output = SearchOutcome> + Send;
}

/// `videos.list` takes at most this many ids a call (more is a 400), for one unit.
pub const MAX_IDS_PER_DETAILS_CALL: usize = 50;

/// What one `videos.list` call came to. Ids YouTube no longer returns (deleted, private) are
/// simply missing from `result`.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailsOutcome {
    pub result: Result<Vec<DetailsItem>, SourceError>,
    /// HTTP attempts: each costs a unit.
    pub attempts: u32,
}

/// Where a video's details come from (`videos.list`, billed in units from the project's
/// shared pool, apart from search calls).
pub trait DetailsSource: Send + Sync {
    /// At most [`MAX_IDS_PER_DETAILS_CALL`] ids.
    fn details(&self, ids: &[VideoId], key: &ApiKey)
    -> impl Future<Output = DetailsOutcome> + Send;
}

/// One item of a `videos.list` answer, as the source reports it, before the Shorts rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailsItem {
    pub id: VideoId,
    pub duration_seconds: Option<u32>,
    pub embed: Option<EmbedSize>,
    pub view_count: Option<u64>,
    pub like_count: Option<u64>,
    pub comment_count: Option<u64>,
    pub language: Option<Language>,
    pub live: Option<LiveTimes>,
}

impl DetailsItem {
    pub fn into_details(self, fetched_at: DateTime<Utc>) -> (VideoId, VideoDetails) {
        let details = VideoDetails {
            is_short: is_short(self.duration_seconds, self.embed),
            duration_seconds: self.duration_seconds.filter(|d| *d > 0),
            view_count: self.view_count,
            like_count: self.like_count,
            comment_count: self.comment_count,
            language: self.language,
            live: self.live.filter(|l| !l.is_empty()),
            fetched_at,
        };
        (self.id, details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_drop_empty_live_times_and_zero_lengths() {
        let item = DetailsItem {
            id: VideoId::parse("abc").unwrap(),
            duration_seconds: Some(0),
            embed: None,
            view_count: Some(3),
            like_count: None,
            comment_count: None,
            language: None,
            live: Some(LiveTimes::default()),
        };
        let (_, d) = item.into_details(DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(
            (d.duration_seconds, d.live, d.is_short),
            (None, None, false)
        );
        let json = serde_json::to_value(&d).unwrap();
        assert!(json.get("like_count").is_none(), "absent, not null: {json}");
    }
}
