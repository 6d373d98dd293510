//! An HTTP proxy in front of DynamoDB that does only part of every batch: each BatchWriteItem
//! and BatchGetItem is forwarded with every other item (or key) of each table, and the rest is
//! returned as `UnprocessedItems` / `UnprocessedKeys`, as DynamoDB does under throttling or
//! when a response would exceed 16 MB. Everything else passes through unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

#[derive(Default)]
struct Counters {
    deferred_writes: AtomicUsize,
    deferred_reads: AtomicUsize,
}

struct Upstream {
    http: reqwest::Client,
    url: String,
    counters: Arc<Counters>,
}

/// A running proxy; it stops with the test's runtime.
pub struct DeferringProxy {
    endpoint: String,
    counters: Arc<Counters>,
}

impl DeferringProxy {
    /// Starts the proxy in front of `upstream` (e.g. `http://127.0.0.1:8000`).
    pub async fn start(upstream: &str) -> Self {
        let counters = Arc::new(Counters::default());
        let state = Arc::new(Upstream {
            http: crate::http_client(),
            url: upstream.trim_end_matches('/').to_owned(),
            counters: counters.clone(),
        });
        let app = Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the deferring proxy");
        let port = listener.local_addr().expect("proxy address").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            counters,
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Write requests (puts and deletes) handed back as unprocessed so far.
    pub fn deferred_writes(&self) -> usize {
        self.counters.deferred_writes.load(Ordering::SeqCst)
    }

    /// Keys handed back as unprocessed so far.
    pub fn deferred_reads(&self) -> usize {
        self.counters.deferred_reads.load(Ordering::SeqCst)
    }
}

/// Splits each table's list into the half that is forwarded (even positions, so a single item
/// always goes through and every retry makes progress) and the half handed back.
fn split(list: Vec<Value>) -> (Vec<Value>, Vec<Value>) {
    let mut keep = Vec::new();
    let mut defer = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        if i % 2 == 0 {
            keep.push(v)
        } else {
            defer.push(v)
        }
    }
    (keep, defer)
}

async fn forward(State(up): State<Arc<Upstream>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let batch = if target.ends_with(".BatchWriteItem") {
        Some(false)
    } else if target.ends_with(".BatchGetItem") {
        Some(true)
    } else {
        None
    };
    let parsed = batch.and_then(|_| serde_json::from_slice::<Value>(&body).ok());
    let (Some(is_get), Some(mut request)) = (batch, parsed) else {
        return send(&up, &headers, body.to_vec(), None).await;
    };
    let mut handed_back = Map::new();
    let mut deferred = 0;
    if let Some(Value::Object(tables)) = request.get_mut("RequestItems") {
        for (table, entry) in tables.iter_mut() {
            if is_get {
                let keys = entry.get_mut("Keys").map(Value::take);
                let Some(Value::Array(keys)) = keys else {
                    continue;
                };
                let (keep, defer) = split(keys);
                deferred += defer.len();
                if !defer.is_empty() {
                    let mut back = entry.clone();
                    back["Keys"] = Value::Array(defer);
                    handed_back.insert(table.clone(), back);
                }
                entry["Keys"] = Value::Array(keep);
            } else {
                let Value::Array(list) = entry.take() else {
                    continue;
                };
                let (keep, defer) = split(list);
                deferred += defer.len();
                if !defer.is_empty() {
                    handed_back.insert(table.clone(), Value::Array(defer));
                }
                *entry = Value::Array(keep);
            }
        }
    }
    let counter = if is_get {
        &up.counters.deferred_reads
    } else {
        &up.counters.deferred_writes
    };
    counter.fetch_add(deferred, Ordering::SeqCst);
    let field = if is_get {
        "UnprocessedKeys"
    } else {
        "UnprocessedItems"
    };
    let body = serde_json::to_vec(&request).unwrap_or_default();
    send(&up, &headers, body, Some((field, handed_back))).await
}

async fn send(
    up: &Upstream,
    headers: &HeaderMap,
    body: Vec<u8>,
    hand_back: Option<(&str, Map<String, Value>)>,
) -> Response {
    let mut req = up.http.post(&up.url).body(body);
    for (name, value) in headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            req = req.header(name, value);
        }
    }
    let Ok(resp) = req.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = resp.status();
    let mut out = HeaderMap::new();
    for (name, value) in resp.headers() {
        // The CRC of a rewritten body would be wrong; the SDK checks it only when present.
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "x-amz-crc32"
        ) {
            out.insert(name.clone(), value.clone());
        }
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    let Some((field, handed_back)) = hand_back.filter(|_| status.is_success()) else {
        return (status, out, bytes).into_response();
    };
    let mut answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Object(Map::new()));
    if let Value::Object(obj) = &mut answer {
        let slot = obj
            .entry(field.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Value::Object(back) = slot {
            for (table, v) in handed_back {
                match (back.get_mut(&table), v) {
                    (Some(Value::Array(existing)), Value::Array(more)) => existing.extend(more),
                    (Some(Value::Object(existing)), Value::Object(more)) => {
                        if let (Some(Value::Array(keys)), Some(Value::Array(more_keys))) =
                            (existing.get_mut("Keys"), more.get("Keys"))
                        {
                            keys.extend(more_keys.iter().cloned());
                        }
                    }
                    (_, v) => {
                        back.insert(table, v);
                    }
                }
            }
        }
    }
    (status, out, serde_json::to_vec(&answer).unwrap_or_default()).into_response()
}
