//! The tubefeed HTTP API (SPEC §4): one axum router served by the `videos-api` Lambda (through
//! lambda_http) and by `tubefeed serve` (a plain HTTP server).

mod error;
mod params;
mod token;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tubefeed_core::{FeedReader, KeyPoolCounts, KeyPoolReader, Thumbnails, Topic, Video, VideoId};

pub use error::ApiError;
pub use params::{DEFAULT_LIMIT, LIST_PARAMS, MAX_LIMIT, parse_list};
pub use token::{TokenCodec, TokenError, query_hash};

/// The dashboard served at `/`: one static page that uses the API from the browser.
pub const DASHBOARD_HTML: &str = include_str!("../dashboard.html");

/// The OpenAPI 3.1 description served at `/openapi.json`; `tests/openapi.rs` keeps it true.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

const LIST_CACHE_CONTROL: &str = "public, max-age=15";
const VIDEO_CACHE_CONTROL: &str = "public, max-age=300";

/// Settings of the API process.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub topics: Vec<Topic>,
    /// How long a first page may be served from the warm process (zero disables).
    pub first_page_ttl: Duration,
}

/// What every request shares: built once per process.
pub struct ApiState<R> {
    pub reader: R,
    pub tokens: TokenCodec,
    pub settings: ApiSettings,
    first_pages: quick_cache::sync::Cache<String, (Instant, Arc<Vec<u8>>)>,
    /// `OPENAPI_JSON` with this deployment's topics as the `topic` parameter's enum, made on
    /// the first request for it rather than on the cold start path.
    openapi: std::sync::OnceLock<Vec<u8>>,
}

impl<R> ApiState<R> {
    pub fn new(reader: R, tokens: TokenCodec, settings: ApiSettings) -> Self {
        Self {
            reader,
            tokens,
            settings,
            first_pages: quick_cache::sync::Cache::new(512),
            openapi: std::sync::OnceLock::new(),
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

/// The router, with CORS for GET from any origin and gzip compression when asked.
pub fn router<R>(state: Arc<ApiState<R>>) -> Router
where
    R: FeedReader + KeyPoolReader + 'static,
{
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([header::IF_NONE_MATCH, header::CONTENT_TYPE])
        .expose_headers([header::ETAG])
        .max_age(Duration::from_secs(86_400));
    Router::new()
        .route("/", get(dashboard))
        .route("/videos", get(list_videos::<R>))
        .route("/search", get(search::<R>))
        .route("/videos/{id}", get(get_video::<R>))
        .route("/health", get(health::<R>))
        .route("/openapi.json", get(openapi))
        .fallback(fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(cors)
}

/// A video as the API shows it (SPEC §4).
#[derive(Debug, Serialize)]
pub struct VideoView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub published_at: String,
    pub channel_id: String,
    pub channel_title: String,
    pub thumbnails: Thumbnails,
    pub live_broadcast_content: &'static str,
    pub url: String,
}

impl From<&Video> for VideoView {
    fn from(v: &Video) -> Self {
        Self {
            id: v.id.to_string(),
            title: v.title.clone(),
            description: v.description.clone(),
            published_at: v.published_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            channel_id: v.channel_id.clone(),
            channel_title: v.channel_title.clone(),
            thumbnails: v.thumbnails.clone(),
            live_broadcast_content: v.live_broadcast_content.as_str(),
            url: v.url(),
        }
    }
}

#[derive(Serialize)]
struct ListBody {
    items: Vec<VideoView>,
    next_page_token: Option<String>,
}

async fn list_videos<R: FeedReader + KeyPoolReader>(
    State(st): State<Arc<ApiState<R>>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    list(&st, raw.as_deref(), &headers, false).await
}

async fn search<R: FeedReader + KeyPoolReader>(
    State(st): State<Arc<ApiState<R>>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    list(&st, raw.as_deref(), &headers, true).await
}

async fn list<R: FeedReader>(
    st: &ApiState<R>,
    raw: Option<&str>,
    headers: &HeaderMap,
    require_q: bool,
) -> Result<Response, ApiError> {
    let req = parse_list(raw, &st.settings.topics, require_q)?;
    let cursor = match &req.page_token {
        Some(t) => Some(
            st.tokens
                .decode(&req.query, t)
                .map_err(|e| ApiError::bad("page_token", e.to_string()))?,
        ),
        None => None,
    };
    // Only first pages are cached: they are what dashboards and pollers hammer.
    let cache_key = cursor
        .is_none()
        .then(|| format!("{}|{}", query_hash(&req.query), req.query.limit));
    let ttl = st.settings.first_page_ttl;
    if let Some(k) = &cache_key {
        if let Some((at, body)) = st.first_pages.get(k) {
            if at.elapsed() < ttl {
                return Ok(cached_response(
                    headers,
                    body.as_ref().clone(),
                    "application/json",
                    LIST_CACHE_CONTROL,
                ));
            }
        }
    }
    let page = if req.matches_nothing {
        Ok(tubefeed_core::FeedPage::default())
    } else {
        st.reader.page(&req.query, cursor.as_ref()).await
    };
    let page = page.map_err(|e| {
        ApiError::from_store(&format!("feed page for topic {}", req.query.topic), e)
    })?;
    let body = ListBody {
        items: page.videos.iter().map(VideoView::from).collect(),
        next_page_token: page.next.as_ref().map(|c| st.tokens.encode(&req.query, c)),
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::debug!(topic = %req.query.topic, items = body.items.len(), read_units = page.read_units, "page served");
    if let (Some(k), false) = (cache_key, ttl.is_zero()) {
        st.first_pages
            .insert(k, (Instant::now(), Arc::new(bytes.clone())));
    }
    Ok(cached_response(
        headers,
        bytes,
        "application/json",
        LIST_CACHE_CONTROL,
    ))
}

async fn get_video<R: FeedReader + KeyPoolReader>(
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
    let video = video.ok_or_else(not_found)?;
    let bytes = serde_json::to_vec(&VideoView::from(&video))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(cached_response(
        &headers,
        bytes,
        "application/json",
        VIDEO_CACHE_CONTROL,
    ))
}

#[derive(Serialize)]
struct TopicHealth {
    topic: String,
    last_run_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    last_new_video_at: Option<DateTime<Utc>>,
    watermark: Option<DateTime<Utc>>,
    last_error: Option<String>,
    /// Seconds since the topic was last polled, at the time of this request: how stale its
    /// feed can be now.
    lag_seconds: Option<u64>,
    /// How often the topic is polled at the pool's pace, as of its last poll.
    interval_seconds: Option<u64>,
    last_summary: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    topics: Vec<TopicHealth>,
    keys: KeyPoolCounts,
}

async fn health<R: FeedReader + KeyPoolReader>(
    State(st): State<Arc<ApiState<R>>>,
) -> Result<Response, ApiError> {
    let states = st
        .reader
        .fetch_states(&st.settings.topics)
        .await
        .map_err(|e| ApiError::from_store("health: fetch states", e))?;
    let now = Utc::now();
    let keys = st
        .reader
        .key_pool(now)
        .await
        .map_err(|e| ApiError::from_store("health: key pool", e))?;
    let failing = states.iter().any(|(_, s)| s.last_error.is_some());
    let body = HealthBody {
        status: if failing { "degraded" } else { "ok" },
        topics: states
            .into_iter()
            .map(|(t, s)| TopicHealth {
                lag_seconds: s
                    .last_run_at
                    .map(|at| u64::try_from((now - at).num_seconds()).unwrap_or(0)),
                interval_seconds: s
                    .last_summary
                    .as_ref()
                    .and_then(|v| v.get("interval_seconds"))
                    .and_then(serde_json::Value::as_u64),
                topic: t.to_string(),
                last_run_at: s.last_run_at,
                last_success_at: s.last_success_at,
                last_new_video_at: s.last_new_video_at,
                watermark: s.watermark,
                last_error: s.last_error,
                last_summary: s.last_summary,
            })
            .collect(),
        keys,
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut resp = json_body(bytes);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn dashboard(headers: HeaderMap) -> Response {
    let mut resp = cached_response(
        &headers,
        DASHBOARD_HTML.as_bytes().to_vec(),
        "text/html; charset=utf-8",
        "public, max-age=300",
    );
    let h = resp.headers_mut();
    // The page loads nothing but itself, its inline code and YouTube's thumbnails.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src https://i.ytimg.com; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

async fn openapi<R: FeedReader + KeyPoolReader>(
    State(st): State<Arc<ApiState<R>>>,
    headers: HeaderMap,
) -> Response {
    cached_response(
        &headers,
        st.openapi
            .get_or_init(|| openapi_for(&st.settings.topics))
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

fn json_body(bytes: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(bytes));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An answer with a (weak) ETag of its body; `304 Not Modified` when the client already has it.
fn cached_response(
    req_headers: &HeaderMap,
    bytes: Vec<u8>,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let digest = Sha256::digest(&bytes);
    let etag: String = format!(
        "\"{}\"",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    // Weak: the compression layer may send this body gzip-encoded or plain under the same tag,
    // and a strong validator would have to differ per content-coding (RFC 9110 §8.8.1).
    let etag_value = HeaderValue::from_str(&format!("W/{etag}"))
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
    let matches = req_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag);
    let mut resp = if matches {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    resp.headers_mut().insert(header::ETAG, etag_value);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp.into_response()
}
