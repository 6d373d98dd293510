//! A YouTube Data API v3 client: `search.list` behind the core [`VideoSource`] port and
//! `videos.list` behind [`DetailsSource`]; and [`FeedClient`], channels' keyless Atom feeds
//! behind [`tubefeed_core::ChannelFeedSource`].
//!
//! It parses every response shape YouTube has been seen to send (quoted and unquoted etags,
//! `.000Z` and plain timestamps, missing `etag`/`regionCode`, `fields`-partial bodies,
//! channel and playlist results mixed in) and turns every failure into a [`SourceError`].
//! 5xx answers, timeouts and connection failures are retried with jittered exponential backoff.

mod details;
mod errors;
mod feeds;
mod hub;
mod parse;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::SecondsFormat;
use tracing::{debug, warn};
use tubefeed_core::{
    ApiKey, DetailsOutcome, DetailsSource, MAX_IDS_PER_DETAILS_CALL, SearchOutcome, SearchPage,
    SearchRequest, SourceError, VideoId, VideoSource,
};

pub use details::{duration_seconds, parse_details};
pub use errors::classify_error;
pub use feeds::{
    DEFAULT_FEEDS_BASE_URL, FeedClient, FeedClientError, FeedClientSettings, MAX_FEED_BODY_BYTES,
    MAX_FEED_ENTRIES, parse_channel_feed,
};
pub use hub::{DEFAULT_HUB_URL, HubClient, HubClientSettings};
pub use parse::parse_search_page;

/// The real service. Tests and local runs point [`ClientSettings::base_url`] at the simulator.
pub const DEFAULT_BASE_URL: &str = "https://www.googleapis.com/youtube/v3";

#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub base_url: String,
    /// Whole-request timeout, per attempt.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for 5xx, timeouts and connection failures.
    pub max_retries: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Which certificate authorities HTTPS trusts.
    pub tls_roots: TlsRoots,
}

/// The root certificates HTTPS connections trust. Verification is strict either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsRoots {
    /// Mozilla's roots, compiled into the binary (`webpki-root-certs`): nothing to read at start.
    #[default]
    Builtin,
    /// The operating system's store, read from disk when the client is built (custom CAs,
    /// TLS-inspecting proxies).
    System,
}

impl TlsRoots {
    /// `builtin` or `system` (the `TLS_ROOTS` setting).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "builtin" => Some(Self::Builtin),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            max_retries: 3,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(3),
            tls_roots: TlsRoots::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client: {0}")]
pub struct BuildError(String);

/// Who we say we are, unless told otherwise.
pub(crate) const USER_AGENT: &str = concat!("tubefeed/", env!("CARGO_PKG_VERSION"));

/// What the search and feed clients' HTTP stacks differ in; everything else (rustls with ring,
/// the trust store) is built the same way by [`build_http`].
pub(crate) struct HttpSettings<'a> {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub tls_roots: TlsRoots,
    pub user_agent: &'a str,
}

pub(crate) fn build_http(settings: &HttpSettings<'_>) -> Result<reqwest::Client, BuildError> {
    // rustls with ring, like the AWS SDK's client here: aws-lc's static library costs each
    // Lambda bootstrap about a megabyte. reqwest takes the process's provider; the `Err` only
    // says one is installed already (a test's, or an earlier client's), which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if settings.tls_roots == TlsRoots::Builtin {
        // The platform verifier would read the system store (a bundle and ~150 files).
        builder = builder.tls_certs_only(
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| BuildError(e.to_string()))?,
        );
    }
    builder
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .user_agent(settings.user_agent)
        .build()
        .map_err(|e| BuildError(e.without_url().to_string()))
}

#[derive(Debug, Clone)]
pub struct YouTubeClient {
    /// Built on the first call: turning the compiled-in roots into a trust store is the
    /// largest piece of CPU work left on `fetch-videos`' cold start, and a function instance
    /// is ready (and may be asked for nothing else for a while) before it needs YouTube.
    http: Arc<OnceLock<reqwest::Client>>,
    search_url: String,
    videos_url: String,
    settings: ClientSettings,
}

impl YouTubeClient {
    pub fn new(settings: ClientSettings) -> Result<Self, BuildError> {
        let base = settings.base_url.trim_end_matches('/');
        let search_url = format!("{base}/search");
        let videos_url = format!("{base}/videos");
        Ok(Self {
            http: Arc::new(OnceLock::new()),
            search_url,
            videos_url,
            settings,
        })
    }

    fn http(&self) -> Result<&reqwest::Client, SourceError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        // Two first calls at once may both build one; the spare is dropped.
        let built = build_http(&HttpSettings {
            timeout: self.settings.timeout,
            connect_timeout: self.settings.connect_timeout,
            tls_roots: self.settings.tls_roots,
            user_agent: USER_AGENT,
        })
        .map_err(|e| SourceError::Transport(e.to_string()))?;
        Ok(self.http.get_or_init(|| built))
    }

    async fn attempt(&self, req: &SearchRequest, key: &ApiKey) -> Result<SearchPage, SourceError> {
        let mut query: Vec<(&str, String)> = vec![
            ("part", "snippet".into()),
            ("type", "video".into()),
            ("order", "date".into()),
            ("q", req.q.as_str().to_owned()),
            ("maxResults", req.max_results.to_string()),
        ];
        if let Some(t) = req.published_after {
            query.push((
                "publishedAfter",
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ));
        }
        if let Some(t) = req.published_before {
            query.push((
                "publishedBefore",
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ));
        }
        if let Some(p) = &req.page_token {
            query.push(("pageToken", p.clone()));
        }
        let body = self
            .get(&self.search_url, query, key, "search.list")
            .await?;
        parse_search_page(&body)
    }

    /// One GET with the key appended: the body of a 2xx, else the classified error.
    async fn get(
        &self,
        url: &str,
        mut query: Vec<(&str, String)>,
        key: &ApiKey,
        method: &'static str,
    ) -> Result<Vec<u8>, SourceError> {
        query.push(("key", key.expose().to_owned()));
        let started = std::time::Instant::now();
        // `without_url()` everywhere: the URL carries the key.
        let resp = self
            .http()?
            .get(url)
            .query(&query)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| self.transport_error(e))?;
        debug!(
            target: "tubefeed::youtube",
            key = %key.fingerprint(),
            status = status.as_u16(),
            bytes = body.len(),
            ms = started.elapsed().as_millis() as u64,
            "{method}"
        );
        if status.is_success() {
            Ok(body.to_vec())
        } else {
            Err(classify_error(status.as_u16(), &body))
        }
    }

    /// Runs `attempt` with jittered exponential backoff, retrying only what a second try can
    /// fix (5xx, timeouts, connection failures; a short-term 429 goes back to the key ring),
    /// and counts the HTTP attempts: each is quota spent.
    async fn with_retries<T, F, Fut>(
        &self,
        key: &ApiKey,
        method: &'static str,
        attempt: F,
    ) -> (Result<T, SourceError>, u32)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SourceError>>,
    {
        let attempts = AtomicU32::new(0);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.max_retries)
            .with_jitter();
        let result = (|| async {
            attempts.fetch_add(1, Ordering::Relaxed);
            attempt().await
        })
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|e| matches!(e, SourceError::Server { .. } | SourceError::Timeout(_) | SourceError::Transport(_)))
        .notify(|e, after| {
            warn!(target: "tubefeed::youtube", key = %key.fingerprint(), error = %e, retry_in_ms = after.as_millis() as u64, "retrying {method}")
        })
        .await;
        (result, attempts.load(Ordering::Relaxed))
    }

    fn transport_error(&self, e: reqwest::Error) -> SourceError {
        if e.is_timeout() {
            SourceError::Timeout(self.settings.timeout)
        } else {
            // The request URL carries the key: only the base URL is named, with the innermost
            // cause (a refused connection, an unknown certificate issuer), which names no URL.
            // The whole chain, also without the URL, is for RUST_LOG=debug.
            let e = e.without_url();
            tracing::debug!(error = %tubefeed_core::error_chain(&e), "search.list transport error");
            SourceError::Transport(format!(
                "{}: {}",
                self.settings.base_url,
                tubefeed_core::root_cause(&e)
            ))
        }
    }
}

impl VideoSource for YouTubeClient {
    /// Returns the page (or the final error) and how many HTTP attempts it took.
    async fn search(&self, req: &SearchRequest, key: &ApiKey) -> SearchOutcome {
        let (result, attempts) = self
            .with_retries(key, "search.list", || self.attempt(req, key))
            .await;
        SearchOutcome { result, attempts }
    }
}

/// The parts and fields asked of `videos.list`: what the details need, not the descriptions
/// and tags that make up most of a whole answer. `maxWidth` makes the player's embed size
/// follow the video's frame (the Shorts rule's shape).
const DETAILS_PARTS: &str = "snippet,contentDetails,statistics,player,liveStreamingDetails";
const DETAILS_FIELDS: &str = "items(id,snippet(defaultLanguage,defaultAudioLanguage),\
    contentDetails(duration),statistics(viewCount,likeCount,commentCount),\
    player(embedWidth,embedHeight),\
    liveStreamingDetails(scheduledStartTime,actualStartTime,actualEndTime))";
const DETAILS_EMBED_WIDTH: &str = "1000";

impl DetailsSource for YouTubeClient {
    async fn details(&self, ids: &[VideoId], key: &ApiKey) -> DetailsOutcome {
        if ids.is_empty() || ids.len() > MAX_IDS_PER_DETAILS_CALL {
            return DetailsOutcome {
                result: Err(SourceError::BadRequest {
                    reason: "tooManyIds".into(),
                    message: format!(
                        "videos.list takes 1 to {MAX_IDS_PER_DETAILS_CALL} ids, not {}",
                        ids.len()
                    ),
                }),
                attempts: 0,
            };
        }
        let joined = ids
            .iter()
            .map(VideoId::as_str)
            .collect::<Vec<_>>()
            .join(",");
        let (result, attempts) = self
            .with_retries(key, "videos.list", || async {
                let query = vec![
                    ("part", DETAILS_PARTS.to_owned()),
                    ("id", joined.clone()),
                    ("fields", DETAILS_FIELDS.to_owned()),
                    ("maxWidth", DETAILS_EMBED_WIDTH.to_owned()),
                ];
                let body = self
                    .get(&self.videos_url, query, key, "videos.list")
                    .await?;
                parse_details(&body)
            })
            .await;
        DetailsOutcome { result, attempts }
    }
}
