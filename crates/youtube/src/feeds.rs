//! Channels' public Atom feeds (`{base}/feeds/videos.xml?channel_id=UC…`) behind the core
//! [`ChannelFeedSource`] port: each channel's 15 newest uploads, with no key and no quota.
//!
//! Conditional requests make an unchanged feed a bodiless `304`. Nothing is retried — a feed
//! is a bonus on top of search and the next run is the retry — and the body read is capped,
//! so a broken or hostile server costs at most [`MAX_FEED_BODY_BYTES`] of memory.

mod parse;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use tracing::debug;
use tubefeed_core::{ChannelFeedSource, ChannelId, FeedAnswer, FeedError, FeedValidators};

use crate::{HttpSettings, TlsRoots, USER_AGENT, build_http};

pub use parse::{MAX_FEED_ENTRIES, parse_channel_feed};

/// The real service. Tests and local runs point [`FeedClientSettings::base_url`] at the
/// simulator.
pub const DEFAULT_FEEDS_BASE_URL: &str = "https://www.youtube.com";

/// The most of a feed body read. YouTube's feeds are 15 entries, some 20–60 KiB; past this
/// the answer is not a feed and reading stops.
pub const MAX_FEED_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct FeedClientSettings {
    /// Scheme and host (and optional path prefix) the `/feeds/videos.xml` path goes under.
    pub base_url: String,
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Which certificate authorities HTTPS trusts.
    pub tls_roots: TlsRoots,
    /// `None` sends tubefeed's own (`tubefeed/<version>`).
    pub user_agent: Option<String>,
}

impl Default for FeedClientSettings {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_FEEDS_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            tls_roots: TlsRoots::default(),
            user_agent: None,
        }
    }
}

/// Settings a feed client cannot work with, found when it is made rather than on each call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedClientError {
    #[error("feeds base URL {url:?} is not usable: {reason}")]
    BaseUrl { url: String, reason: String },
    #[error("feed user agent {0:?} is not a valid header value")]
    UserAgent(String),
}

#[derive(Debug, Clone)]
pub struct FeedClient {
    /// Built on the first call, like the search client's: turning the compiled-in roots into
    /// a trust store is CPU a function instance's start should not pay before it needs it.
    http: Arc<OnceLock<reqwest::Client>>,
    /// `{base}/feeds/videos.xml`; the channel goes in the query per call.
    feed_url: reqwest::Url,
    settings: Arc<FeedClientSettings>,
}

impl FeedClient {
    /// Checks the base URL (http or https, trailing slash or not) and the user agent.
    pub fn new(settings: FeedClientSettings) -> Result<Self, FeedClientError> {
        let bad_url = |reason: String| FeedClientError::BaseUrl {
            url: settings.base_url.clone(),
            reason,
        };
        let base = settings.base_url.trim().trim_end_matches('/');
        let feed_url = reqwest::Url::parse(&format!("{base}/feeds/videos.xml"))
            .map_err(|e| bad_url(e.to_string()))?;
        if !matches!(feed_url.scheme(), "http" | "https") {
            return Err(bad_url(format!(
                "scheme {:?} is not http or https",
                feed_url.scheme()
            )));
        }
        if feed_url.query().is_some() || feed_url.fragment().is_some() {
            return Err(bad_url("it has a query or fragment".into()));
        }
        if let Some(ua) = &settings.user_agent
            && HeaderValue::from_str(ua).is_err()
        {
            return Err(FeedClientError::UserAgent(ua.clone()));
        }
        Ok(Self {
            http: Arc::new(OnceLock::new()),
            feed_url,
            settings: Arc::new(settings),
        })
    }

    /// The URL one channel's feed is read from.
    pub fn feed_url(&self, channel: &ChannelId) -> reqwest::Url {
        let mut url = self.feed_url.clone();
        url.query_pairs_mut()
            .append_pair("channel_id", channel.as_str());
        url
    }

    fn http(&self) -> Result<&reqwest::Client, FeedError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        // Two first calls at once may both build one; the spare is dropped.
        let built = build_http(&HttpSettings {
            timeout: self.settings.timeout,
            connect_timeout: self.settings.connect_timeout,
            tls_roots: self.settings.tls_roots,
            user_agent: self.settings.user_agent.as_deref().unwrap_or(USER_AGENT),
        })
        .map_err(|e| FeedError::Transport(e.to_string()))?;
        Ok(self.http.get_or_init(|| built))
    }

    /// A `200`'s body, parsed, with the validators its headers carry.
    async fn fresh(&self, mut resp: reqwest::Response) -> Result<FeedAnswer, FeedError> {
        let validators = validators_of(resp.headers());
        if let Some(len) = resp.content_length()
            && len > MAX_FEED_BODY_BYTES as u64
        {
            return Err(too_big(Some(len)));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport_error(e))? {
            if body.len() + chunk.len() > MAX_FEED_BODY_BYTES {
                // Dropping the response closes the connection: the rest is never read.
                return Err(too_big(None));
            }
            body.extend_from_slice(&chunk);
        }
        let xml = std::str::from_utf8(&body)
            .map_err(|e| FeedError::Malformed(format!("the body is not UTF-8: {e}")))?;
        let mut feed = parse_channel_feed(xml)?;
        feed.validators = validators;
        Ok(FeedAnswer::Fresh(feed))
    }

    fn transport_error(&self, e: reqwest::Error) -> FeedError {
        if e.is_timeout() {
            return FeedError::Timeout;
        }
        // The innermost cause (a refused connection, an unknown certificate issuer) is what a
        // person can act on; the whole chain is for RUST_LOG=debug.
        let e = e.without_url();
        debug!(target: "tubefeed::youtube", error = %tubefeed_core::error_chain(&e), "feed transport error");
        let cause = tubefeed_core::root_cause(&e);
        let cause = cause.split_whitespace().collect::<Vec<_>>().join(" ");
        FeedError::Transport(format!(
            "{}: {cause}",
            self.feed_url.origin().ascii_serialization()
        ))
    }
}

impl ChannelFeedSource for FeedClient {
    /// One GET, no retries: `200` is parsed, `304` and `404` are answers, the rest errors.
    async fn channel_feed(
        &self,
        channel: &ChannelId,
        validators: &FeedValidators,
    ) -> Result<FeedAnswer, FeedError> {
        let started = Instant::now();
        let resp = self
            .http()?
            .get(self.feed_url(channel))
            .headers(conditional_headers(validators))
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = resp.status().as_u16();
        let answer = match status {
            200 => self.fresh(resp).await,
            304 => Ok(FeedAnswer::NotModified),
            404 => Ok(FeedAnswer::NotFound),
            500..=599 => Err(FeedError::Server { status }),
            _ => Err(FeedError::Status { status }),
        };
        debug!(
            target: "tubefeed::youtube",
            channel = %channel,
            status,
            conditional = !validators.is_empty(),
            outcome = match &answer {
                Ok(FeedAnswer::Fresh(_)) => "fresh",
                Ok(FeedAnswer::NotModified) => "not_modified",
                Ok(FeedAnswer::NotFound) => "not_found",
                Err(e) => e.kind(),
            },
            ms = started.elapsed().as_millis() as u64,
            "channel feed"
        );
        answer
    }
}

/// `If-None-Match` / `If-Modified-Since` from what the last answer said. A stored value that
/// cannot be a header is left out: an unconditional GET is always correct, only dearer.
fn conditional_headers(v: &FeedValidators) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let pairs = [
        (IF_NONE_MATCH, &v.etag),
        (IF_MODIFIED_SINCE, &v.last_modified),
    ];
    for (name, value) in pairs {
        if let Some(value) = value.as_deref().and_then(|s| HeaderValue::from_str(s).ok()) {
            headers.insert(name, value);
        }
    }
    headers
}

/// The response's `ETag` and `Last-Modified`, as sent (quotes and `W/` kept: they go back
/// verbatim). Empty or non-text values are not validators.
fn validators_of(headers: &HeaderMap) -> FeedValidators {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    FeedValidators {
        etag: text(ETAG),
        last_modified: text(LAST_MODIFIED),
    }
}

fn too_big(declared: Option<u64>) -> FeedError {
    FeedError::Malformed(match declared {
        Some(n) => format!("the body declares {n} bytes, over the {MAX_FEED_BODY_BYTES}-byte cap"),
        None => format!("the body runs over the {MAX_FEED_BODY_BYTES}-byte cap"),
    })
}
