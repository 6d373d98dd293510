//! HTTP front: the search endpoint under both `/youtube/v3/search` and `/search`, channel feeds
//! under `/feeds/videos.xml`, the WebSub hub at `/hub`, and the `/_sim/*` control plane.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{DetailsOverride, FaultPlan, LiveState, NewVideo, SimConfig};
use crate::control::{Shared, SimControl};
use crate::feeds::{self, Conditions};
use crate::hub::{HubDelivery, HubSubscription, HubVerification};
use crate::hub_runtime::tasks;
use crate::search;
use crate::stats::{HubStats, SimState};
use crate::videos;
use crate::world::World;

/// A running simulator.
///
/// Dropping the handle without calling [`SimHandle::shutdown`] leaves the server running until
/// the Tokio runtime stops, so `let url = SimHandle::start(cfg).await?.base_url;` is safe.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:PORT/youtube/v3`: use it where the real API's
    /// `https://www.googleapis.com/youtube/v3` would go.
    pub base_url: String,
    pub addr: SocketAddr,
    control: SimControl,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// Delivers the hub's pushes (see [`tasks::dispatch`]).
    dispatcher: JoinHandle<()>,
}

impl SimHandle {
    /// Starts a simulator on an ephemeral port of 127.0.0.1.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<SimHandle> {
        Self::start_on_port(cfg, 0).await
    }

    /// Starts a simulator on 127.0.0.1:`port` (0 = ephemeral). It never binds other interfaces.
    pub async fn start_on_port(cfg: SimConfig, port: u16) -> anyhow::Result<SimHandle> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(World::new(cfg)));
        let control = SimControl {
            shared: shared.clone(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let dispatcher = tokio::spawn(tasks::dispatch(shared.clone()));
        let app = router(shared);
        let task = tokio::spawn(async move {
            let signal = async move {
                // A dropped sender means the handle was dropped, not a request to stop.
                if stopped.await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(error = %e, "youtube-sim server stopped");
            }
        });
        Ok(SimHandle {
            base_url: format!("http://{addr}/youtube/v3"),
            addr,
            control,
            stop,
            task,
            dispatcher,
        })
    }

    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// `http://127.0.0.1:PORT/feeds/videos.xml?channel_id=…`: where
    /// `https://www.youtube.com/feeds/videos.xml?channel_id=…` would go.
    pub fn feed_url(&self, channel_id: &str) -> String {
        format!(
            "http://{}/feeds/videos.xml?channel_id={channel_id}",
            self.addr
        )
    }

    /// `http://127.0.0.1:PORT/hub`: where `https://pubsubhubbub.appspot.com/` (or its
    /// `/subscribe`, also served here) would go.
    pub fn hub_url(&self) -> String {
        format!("http://{}/hub", self.addr)
    }

    /// Stops accepting connections and waits (at most 5 s) for in-flight requests. Pushes not
    /// yet handed out are dropped; deliveries already under way finish on their own.
    pub async fn shutdown(self) {
        self.dispatcher.abort();
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(StdDuration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/youtube/v3/search", get(search_handler))
        .route("/search", get(search_handler))
        .route("/youtube/v3/videos", get(videos_handler))
        .route("/videos", get(videos_handler))
        .route("/feeds/videos.xml", get(feed_handler))
        .route("/hub", post(tasks::hub_handler))
        .route("/subscribe", post(tasks::hub_handler))
        .route("/_sim/hub", get(hub_state_handler))
        .route("/_sim/state", get(state_handler))
        .route("/_sim/channels", get(channels_handler))
        .route("/_sim/advance", post(advance_handler))
        .route("/_sim/videos", post(video_handler))
        .route("/_sim/burst", post(burst_handler))
        .route("/_sim/faults", put(faults_handler).get(get_faults_handler))
        .route("/_sim/videos/{id}", delete(delete_video_handler))
        .route("/_sim/keys/{key}/calls_left", put(calls_left_handler))
        .route("/_sim/keys/{key}/units_left", put(units_left_handler))
        .with_state(shared)
}

async fn search_handler(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    answer_with(shared, query, search::search).await
}

async fn videos_handler(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    answer_with(shared, query, videos::videos).await
}

async fn answer_with(
    shared: Arc<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    method: fn(&mut World, &[(String, String)]) -> search::Answer,
) -> Response {
    // An undecodable query string is answered as if no parameter had been sent (which yields
    // the missing-key error), rather than with a non-YouTube rejection body.
    let params = query.map(|Query(p)| p).unwrap_or_default();
    let answer = {
        let mut world = shared.world();
        method(&mut world, &params)
    };
    if let Some(ms) = answer.delay_ms {
        tokio::time::sleep(StdDuration::from_millis(ms)).await;
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, answer.body).into_response();
    let h = resp.headers_mut();
    // The headers a client sees from googleapis.com, minus transport details.
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Origin, X-Origin, Referer"),
    );
    h.insert(
        header::SERVER,
        HeaderValue::from_static("scaffolding on HTTPServer2"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

async fn feed_handler(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let params = query.map(|Query(p)| p).unwrap_or_default();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let cond = Conditions {
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE),
    };
    let answer = {
        let mut world = shared.world();
        feeds::feed(&mut world, &params, cond)
    };
    if let Some(ms) = answer.delay_ms {
        tokio::time::sleep(StdDuration::from_millis(ms)).await;
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, answer.body).into_response();
    let h = resp.headers_mut();
    if status == StatusCode::NOT_MODIFIED {
        h.remove(header::CONTENT_TYPE);
    } else {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(if answer.html {
                "text/html; charset=utf-8"
            } else {
                "text/xml; charset=UTF-8"
            }),
        );
    }
    let validators = [
        (header::ETAG, answer.etag),
        (header::LAST_MODIFIED, answer.last_modified),
    ];
    for (name, value) in validators {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(name, v);
        }
    }
    resp
}

fn control_of(shared: Arc<Shared>) -> SimControl {
    SimControl { shared }
}

async fn state_handler(State(shared): State<Arc<Shared>>) -> Json<SimState> {
    Json(control_of(shared).state())
}

/// What `GET /_sim/hub` answers.
#[derive(Debug, Serialize)]
struct HubReport {
    stats: HubStats,
    subscriptions: Vec<HubSubscription>,
    verifications: Vec<HubVerification>,
    deliveries: Vec<HubDelivery>,
}

async fn hub_state_handler(State(shared): State<Arc<Shared>>) -> Json<HubReport> {
    let c = control_of(shared);
    Json(HubReport {
        stats: c.hub_stats(),
        subscriptions: c.hub_subscriptions(),
        verifications: c.hub_verifications(),
        deliveries: c.hub_deliveries(),
    })
}

#[derive(Debug, Serialize)]
struct PlannedChannels {
    channel_ids: Vec<String>,
}

async fn channels_handler(State(shared): State<Arc<Shared>>) -> Json<PlannedChannels> {
    Json(PlannedChannels {
        channel_ids: control_of(shared).channel_ids(),
    })
}

#[derive(Debug, Deserialize)]
struct AdvanceRequest {
    seconds: f64,
}

async fn advance_handler(
    State(shared): State<Arc<Shared>>,
    Json(req): Json<AdvanceRequest>,
) -> Result<Json<SimState>, (StatusCode, String)> {
    if !req.seconds.is_finite() || req.seconds < 0.0 || req.seconds > 1e10 {
        return Err((
            StatusCode::BAD_REQUEST,
            "seconds must be a non-negative number".to_owned(),
        ));
    }
    let c = control_of(shared);
    c.advance(Duration::milliseconds((req.seconds * 1000.0) as i64));
    Ok(Json(c.state()))
}

/// [`NewVideo`] whose `published_at` defaults to the simulated now.
#[derive(Debug, Deserialize)]
struct NewVideoRequest {
    topic: String,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    indexed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    channel_id: Option<String>,
    #[serde(default)]
    channel_title: Option<String>,
    #[serde(default)]
    live: Option<LiveState>,
    #[serde(default, flatten)]
    details: DetailsOverride,
}

#[derive(Debug, Serialize)]
struct VideoCreated {
    video_id: String,
}

async fn video_handler(
    State(shared): State<Arc<Shared>>,
    Json(req): Json<NewVideoRequest>,
) -> (StatusCode, Json<VideoCreated>) {
    let c = control_of(shared);
    let published_at = req.published_at.unwrap_or_else(|| c.now());
    let video_id = c.add_video(NewVideo {
        topic: req.topic,
        published_at,
        indexed_at: req.indexed_at,
        title: req.title,
        description: req.description,
        channel_id: req.channel_id,
        channel_title: req.channel_title,
        live: req.live,
        details: req.details,
    });
    (StatusCode::CREATED, Json(VideoCreated { video_id }))
}

#[derive(Debug, Deserialize)]
struct BurstRequest {
    topic: String,
    count: usize,
    /// Defaults to the moment that makes the last video of the burst published "now".
    #[serde(default)]
    start: Option<DateTime<Utc>>,
    #[serde(default)]
    spacing_seconds: Option<f64>,
}

#[derive(Debug, Serialize)]
struct BurstCreated {
    video_ids: Vec<String>,
}

/// Bursts larger than this are refused, to keep a typo from exhausting memory.
const MAX_BURST: usize = 100_000;

async fn burst_handler(
    State(shared): State<Arc<Shared>>,
    Json(req): Json<BurstRequest>,
) -> Result<(StatusCode, Json<BurstCreated>), (StatusCode, String)> {
    let spacing_s = req.spacing_seconds.unwrap_or(1.0);
    if req.count > MAX_BURST || !spacing_s.is_finite() || spacing_s.abs() > 1e7 {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("count must be at most {MAX_BURST} and spacing_seconds a sane number"),
        ));
    }
    let c = control_of(shared);
    let spacing = Duration::milliseconds((spacing_s * 1000.0) as i64);
    let start = req.start.unwrap_or_else(|| {
        let span = spacing * i32::try_from(req.count.saturating_sub(1)).unwrap_or(0);
        c.now() - span
    });
    let video_ids = c.add_burst(&req.topic, req.count, start, spacing);
    Ok((StatusCode::CREATED, Json(BurstCreated { video_ids })))
}

async fn faults_handler(
    State(shared): State<Arc<Shared>>,
    Json(plan): Json<FaultPlan>,
) -> Json<FaultPlan> {
    let c = control_of(shared);
    c.set_faults(plan);
    Json(c.faults())
}

async fn get_faults_handler(State(shared): State<Arc<Shared>>) -> Json<FaultPlan> {
    Json(control_of(shared).faults())
}

#[derive(Debug, Serialize, Deserialize)]
struct CallsLeft {
    calls_left: u32,
}

#[derive(Debug, Serialize)]
struct KeyCallsLeft {
    key: String,
    calls_left: u32,
}

async fn calls_left_handler(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Json(req): Json<CallsLeft>,
) -> Json<KeyCallsLeft> {
    let c = control_of(shared);
    c.set_key_calls_left(&key, req.calls_left);
    Json(KeyCallsLeft {
        calls_left: c.key_calls_left(&key),
        key,
    })
}

async fn delete_video_handler(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> StatusCode {
    if control_of(shared).delete_video(&id) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct UnitsLeft {
    units_left: u32,
}

async fn units_left_handler(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Json(req): Json<UnitsLeft>,
) -> Json<UnitsLeft> {
    let c = control_of(shared);
    c.set_units_left(&key, req.units_left);
    Json(UnitsLeft {
        units_left: c.units_left(&key),
    })
}
