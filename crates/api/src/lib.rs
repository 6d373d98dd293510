//! The tubefeed HTTP API (SPEC §4): one axum router served by the `videos-api` Lambda (through
//! lambda_http) and by `tubefeed serve` (a plain HTTP server).

mod blocks;
mod error;
mod feeds;
mod filters;
mod health;
mod limit;
mod list;
mod params;
mod respond;
mod security;
mod token;
mod websub;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tubefeed_core::{ChannelId, FeedReader, Topic, VideoId};

pub use error::ApiError;
pub use feeds::FEED_LIMIT;
pub use health::HEALTH_TTL;
use health::health;
pub use params::{DEFAULT_LIMIT, LIST_PARAMS, MAX_LIMIT, parse_list};
use respond::cached_response;
pub use token::{
    KeySet, KeySetError, LEGACY_KEY_ID, MIN_KEY_BYTES, TokenCodec, TokenError, TokenKey, query_hash,
};
pub use tubefeed_core::VideoView;
pub use websub::{
    BoxFuture, DEFAULT_LEASE, MAX_CHALLENGE, MAX_LEASE, MAX_PUSH_BYTES, PushError, PushInbox,
    SIGNATURE_HEADER, WebSub,
};

/// The dashboard served at `/`: one static page that uses the API from the browser.
pub const DASHBOARD_HTML: &str = include_str!("../dashboard.html");

/// The OpenAPI 3.1 description served at `/openapi.json`; `tests/openapi.rs` keeps it true.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

const LIST_CACHE_CONTROL: &str = "public, max-age=15";
const VIDEO_CACHE_CONTROL: &str = "public, max-age=300";

/// Settings of the API process.
#[derive(Debug, Clone, Default)]
pub struct ApiSettings {
    /// The followed topics (`SEARCH_QUERIES`); the first answers when a request names none.
    pub topics: Vec<Topic>,
    /// `ARCHIVED_TOPICS`: no longer fetched, still served (their stored videos stay readable).
    pub archived_topics: Vec<Topic>,
    /// How long a first page may be served from the warm process (zero disables).
    pub first_page_ttl: Duration,
    /// Searches this process reads from the store per second (bursts of twice that); 0: no cap.
    pub search_per_second: u32,
    /// `BLOCKED_CHANNELS`: hidden besides the table's blocks.
    pub blocked_channels: Vec<ChannelId>,
    /// `PUBLIC_BASE_URL`: where the feeds' links point (`https://videos.example.org`); by
    /// default the host each request came to.
    pub public_base_url: Option<String>,
}

impl ApiSettings {
    /// Every topic a request may name: the followed ones, then the archived ones.
    pub fn served_topics(&self) -> Vec<Topic> {
        let mut all = self.topics.clone();
        all.extend(
            self.archived_topics
                .iter()
                .filter(|t| !self.topics.contains(t))
                .cloned(),
        );
        all
    }
}

/// Re-reads the page-token keys (from Secrets Manager when deployed).
pub type KeyRefresh = Box<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<KeySet, String>> + Send>>
        + Send
        + Sync,
>;

/// How often a warm process re-reads the page-token keys. A rotation announces its new key at
/// least twice this long before it signs (`tubefeed page-keys rotate`), so every process can
/// verify a token before any process issues one.
pub const KEY_REFRESH: Duration = Duration::from_secs(300);

/// What every request shares: built once per process.
pub struct ApiState<R> {
    pub reader: R,
    tokens: std::sync::RwLock<TokenCodec>,
    searches: limit::SearchLimiter,
    refresh: Option<KeyRefresh>,
    refreshed: std::sync::Mutex<Instant>,
    pub settings: ApiSettings,
    /// [`ApiSettings::served_topics`], made once rather than on every list request.
    served_topics: Vec<Topic>,
    first_pages: quick_cache::sync::Cache<String, (Instant, Arc<Vec<u8>>)>,
    blocks: blocks::Blocks,
    /// `OPENAPI_JSON` with this deployment's topics as the `topic` parameter's enum, made on
    /// the first request for it rather than on the cold start path.
    openapi: std::sync::OnceLock<Vec<u8>>,
    /// The WebSub callback, when this deployment takes pushes ([`ApiState::with_websub`]).
    websub: Option<WebSub>,
}

impl<R> ApiState<R> {
    pub fn new(reader: R, tokens: TokenCodec, settings: ApiSettings) -> Self {
        Self {
            reader,
            tokens: std::sync::RwLock::new(tokens),
            searches: limit::SearchLimiter::new(settings.search_per_second),
            blocks: blocks::Blocks::new(settings.blocked_channels.clone()),
            served_topics: settings.served_topics(),
            refresh: None,
            refreshed: std::sync::Mutex::new(Instant::now()),
            settings,
            first_pages: quick_cache::sync::Cache::new(512),
            openapi: std::sync::OnceLock::new(),
            websub: None,
        }
    }

    /// Re-reads the keys with `refresh` every [`KEY_REFRESH`].
    pub fn with_key_refresh(mut self, refresh: KeyRefresh) -> Self {
        self.refresh = Some(refresh);
        self
    }

    /// The codec to use now, re-reading the keys first when they are due. A failed re-read
    /// keeps the keys in hand (and is tried again at the next request).
    async fn codec(&self) -> TokenCodec {
        let due = self.refresh.is_some()
            && self
                .refreshed
                .lock()
                .map(|at| at.elapsed() >= KEY_REFRESH)
                .unwrap_or(true);
        if let (true, Some(refresh)) = (due, &self.refresh) {
            match refresh().await {
                Ok(keys) => {
                    if let Ok(mut codec) = self.tokens.write() {
                        *codec = TokenCodec::with_keys(keys);
                    }
                    if let Ok(mut at) = self.refreshed.lock() {
                        *at = Instant::now();
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not re-read the page-token keys; keeping those in hand")
                }
            }
        }
        match self.tokens.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The OpenAPI document as this deployment answers it: `topic` accepts exactly the followed
/// topics, so a client (or a contract tester) knows which values are valid.
pub fn openapi_for(topics: &[Topic]) -> Vec<u8> {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(OPENAPI_JSON) else {
        return OPENAPI_JSON.as_bytes().to_vec();
    };
    let names: Vec<serde_json::Value> = topics.iter().map(|t| t.as_str().into()).collect();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for op in paths.values_mut().filter_map(|p| p.get_mut("get")) {
            let params = op.get_mut("parameters").and_then(|p| p.as_array_mut());
            for param in params.into_iter().flatten() {
                if param.get("name").and_then(|n| n.as_str()) == Some("topic") {
                    if let Some(schema) = param.get_mut("schema").and_then(|s| s.as_object_mut()) {
                        schema.insert("enum".into(), names.clone().into());
                        if let Some(first) = names.first() {
                            schema.insert("default".into(), first.clone());
                        }
                    }
                }
            }
        }
    }
    serde_json::to_vec(&doc).unwrap_or_else(|_| OPENAPI_JSON.as_bytes().to_vec())
}

/// The router, with CORS for GET from any origin and gzip compression when asked; `POST` only
/// at `/websub`.
pub fn router<R>(state: Arc<ApiState<R>>) -> Router
where
    R: FeedReader + 'static,
{
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([header::IF_NONE_MATCH, header::CONTENT_TYPE])
        .expose_headers([header::ETAG])
        .max_age(Duration::from_secs(86_400));
    Router::new()
        .route("/", get(dashboard))
        .route("/videos", get(list::json_list::<R, false>))
        .route("/search", get(list::json_list::<R, true>))
        .route("/videos/{id}", get(get_video::<R>))
        .route("/feed.atom", get(feeds::atom_feed::<R>))
        .route("/feed.json", get(feeds::json_feed::<R>))
        .route("/health", get(health::<R>))
        .route("/openapi.json", get(openapi))
        // The WebSub hub's verifications and pushes (server to server: no CORS for POST).
        .route("/websub", get(websub::verify::<R>).post(websub::push::<R>))
        .fallback(fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
        .layer(CatchPanicLayer::custom(security::panic_response))
        .layer(axum::middleware::map_response(security::secure_headers))
        .layer(CompressionLayer::new())
        .layer(cors)
}

async fn get_video<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no video with id {id:?}"));
    let vid = VideoId::parse(&id).map_err(|_| not_found())?;
    let video = st
        .reader
        .video(&vid)
        .await
        .map_err(|e| ApiError::from_store(&format!("video {vid}"), e))?;
    let hidden = st
        .blocks
        .current(&st.reader)
        .await
        .map_err(|e| ApiError::from_store("blocked channels", e))?;
    let video = video
        .filter(|v| !hidden.contains(&v.channel_id))
        .ok_or_else(not_found)?;
    let bytes = serde_json::to_vec(&VideoView::from(&video))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(cached_response(
        &headers,
        bytes,
        "application/json",
        VIDEO_CACHE_CONTROL,
    ))
}

async fn dashboard(headers: HeaderMap) -> Response {
    let mut resp = cached_response(
        &headers,
        DASHBOARD_HTML.as_bytes().to_vec(),
        "text/html; charset=utf-8",
        "public, max-age=300",
    );
    // The page loads nothing but itself, its inline code and YouTube's thumbnails.
    resp.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, security::dashboard_csp());
    resp
}

async fn openapi<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
    headers: HeaderMap,
) -> Response {
    cached_response(
        &headers,
        st.openapi
            .get_or_init(|| openapi_for(&st.served_topics))
            .clone(),
        "application/json",
        "public, max-age=3600",
    )
}

async fn fallback(method: Method) -> ApiError {
    if method == Method::GET || method == Method::HEAD {
        ApiError::NotFound("no such route; see /openapi.json".into())
    } else {
        ApiError::MethodNotAllowed
    }
}
