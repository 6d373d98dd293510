//! New-video events: every video stored for the first time is announced, at least once, as
//! an EventBridge event (source `tubefeed`, detail-type `Videos Added`, detail `{"topic",
//! "videos": [API video objects]}`).
//!
//! An outbox in the table carries it: the upsert that stores a new video writes an outbox row
//! for it first, in the same run, before the video item (so a stored video always has its row,
//! and a row whose video write failed finds no video and is dropped — the next run stores the
//! video as new again, with a new row). After the run's fetches and details, the announcer
//! reads the rows oldest first with their videos as stored now, publishes them in as few
//! events as fit, and deletes the rows EventBridge accepted. A publish that fails leaves its
//! rows for the next run: nothing waits on EventBridge, and nothing is lost to an outage shorter
//! than the rows' lifetime ([`OUTBOX_TTL_DAYS`]). Delivery is at least once — a run that dies
//! between publishing and deleting publishes again — so consumers deduplicate by video id.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::StoreError;
use crate::video::{Topic, Video, VideoId};
use crate::view::VideoView;

pub const EVENT_SOURCE: &str = "tubefeed";
pub const EVENT_DETAIL_TYPE: &str = "Videos Added";
/// EventBridge bills each 64 KB of an entry as one event: entries are packed up to it.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;
/// What one `PutEvents` call takes: 10 entries, 256 KB in all.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
pub const MAX_CALL_BYTES: usize = 256 * 1024;
/// Outbox rows left unpublished this long (an outage of a week) are dropped by TTL.
pub const OUTBOX_TTL_DAYS: i64 = 7;
/// Rows one run reads at a time.
const READ_BATCH: usize = 500;

/// A video waiting to be announced, with the video as stored now (`None`: not stored — its
/// write failed, it expired or it was deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// The row's place in the outbox (oldest first), which also deletes it.
    pub position: String,
    pub topic: Topic,
    pub id: VideoId,
    pub video: Option<Video>,
}

/// The outbox's side of the store.
pub trait EventOutbox: Send + Sync {
    /// At most `max` rows, oldest first, each with its video.
    fn pending_events(
        &self,
        max: usize,
    ) -> impl Future<Output = Result<Vec<OutboxRow>, StoreError>> + Send;
    /// Deletes rows (published, or whose video is gone).
    fn clear_events(
        &self,
        rows: &[OutboxRow],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct SinkError(pub String);

/// Where events go: EventBridge, or a fake.
pub trait EventSink: Send + Sync {
    /// Publishes up to [`MAX_ENTRIES_PER_CALL`] entries (each a `detail` JSON object);
    /// answers, per entry, whether it was accepted.
    fn put_events(
        &self,
        details: &[String],
    ) -> impl Future<Output = Result<Vec<bool>, SinkError>> + Send;
}

/// What one run announced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventsSummary {
    /// Videos announced (accepted by EventBridge).
    pub videos: usize,
    /// Events (entries) accepted.
    pub events: usize,
    pub calls: usize,
    /// Rows dropped because their video is not stored.
    pub dropped: usize,
    /// Why publishing stopped early; the rows not published wait for the next run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One event: its detail and the rows it announces.
struct Packed<'a> {
    detail: String,
    rows: Vec<&'a OutboxRow>,
}

/// Publishes what the outbox holds, `max_rows` at most per run.
pub struct Announcer<'a, O, S> {
    pub outbox: &'a O,
    pub sink: &'a S,
    pub max_rows: usize,
}

impl<O: EventOutbox, S: EventSink> Announcer<'_, O, S> {
    pub async fn run(&self) -> EventsSummary {
        let mut summary = EventsSummary::default();
        let mut seen = 0;
        while seen < self.max_rows {
            let rows = match self
                .outbox
                .pending_events(READ_BATCH.min(self.max_rows - seen))
                .await
            {
                Ok(rows) if rows.is_empty() => break,
                Ok(rows) => rows,
                Err(e) => {
                    summary.error = Some(format!("reading the outbox: {e}"));
                    break;
                }
            };
            seen += rows.len();
            let full = rows.len() == READ_BATCH;
            if let Err(e) = self.publish(&rows, &mut summary).await {
                summary.error = Some(e);
                break;
            }
            if !full {
                break;
            }
        }
        summary
    }

    /// Publishes `rows`, deleting each call's accepted rows before the next call.
    async fn publish(&self, rows: &[OutboxRow], summary: &mut EventsSummary) -> Result<(), String> {
        let gone: Vec<OutboxRow> = rows.iter().filter(|r| r.video.is_none()).cloned().collect();
        if !gone.is_empty() {
            self.clear(&gone).await?;
            summary.dropped += gone.len();
        }
        let packed = pack(rows).map_err(|e| format!("encoding an event: {e}"))?;
        for call in calls(&packed) {
            let details: Vec<String> = call.iter().map(|p| p.detail.clone()).collect();
            summary.calls += 1;
            let accepted = self
                .sink
                .put_events(&details)
                .await
                .map_err(|e| format!("publishing: {e}"))?;
            let done: Vec<OutboxRow> = call
                .iter()
                .zip(&accepted)
                .filter(|(_, ok)| **ok)
                .flat_map(|(p, _)| p.rows.iter().map(|r| (*r).clone()))
                .collect();
            summary.events += accepted.iter().filter(|ok| **ok).count();
            summary.videos += done.len();
            self.clear(&done).await?;
            let refused = accepted.iter().filter(|ok| !**ok).count();
            if refused > 0 || accepted.len() < call.len() {
                return Err(format!(
                    "EventBridge refused {refused} of {} events",
                    call.len()
                ));
            }
        }
        Ok(())
    }

    async fn clear(&self, rows: &[OutboxRow]) -> Result<(), String> {
        self.outbox
            .clear_events(rows)
            .await
            .map_err(|e| format!("deleting published outbox rows: {e}"))
    }
}

/// The rows' videos as events: per topic, in row order, as many videos as fit one entry.
fn pack(rows: &[OutboxRow]) -> Result<Vec<Packed<'_>>, serde_json::Error> {
    let mut topics: Vec<&Topic> = Vec::new();
    for r in rows.iter().filter(|r| r.video.is_some()) {
        if !topics.contains(&&r.topic) {
            topics.push(&r.topic);
        }
    }
    let overhead = EVENT_SOURCE.len() + EVENT_DETAIL_TYPE.len() + 64;
    let mut out = Vec::new();
    for topic in topics {
        // Each video is encoded once: its length decides the packing, its text joins the detail.
        let mut videos: Vec<String> = Vec::new();
        let mut members: Vec<&OutboxRow> = Vec::new();
        let mut size = overhead + topic.as_str().len();
        for r in rows.iter().filter(|r| &r.topic == topic) {
            let Some(v) = &r.video else { continue };
            let json = serde_json::to_string(&VideoView::from(v))?;
            let len = json.len() + 1;
            if !videos.is_empty() && size + len > MAX_ENTRY_BYTES {
                out.push(entry(topic, &videos, std::mem::take(&mut members))?);
                videos.clear();
                size = overhead + topic.as_str().len();
            }
            size += len;
            videos.push(json);
            members.push(r);
        }
        if !videos.is_empty() {
            out.push(entry(topic, &videos, members)?);
        }
    }
    Ok(out)
}

/// `{"topic": …, "videos": […]}` from videos already encoded as JSON.
fn entry<'a>(
    topic: &Topic,
    videos: &[String],
    rows: Vec<&'a OutboxRow>,
) -> Result<Packed<'a>, serde_json::Error> {
    let topic = serde_json::to_string(topic.as_str())?;
    let detail = format!("{{\"topic\":{topic},\"videos\":[{}]}}", videos.join(","));
    Ok(Packed { detail, rows })
}

/// Entries grouped into `PutEvents` calls within its limits.
fn calls<'p, 'a>(packed: &'p [Packed<'a>]) -> Vec<&'p [Packed<'a>]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, p) in packed.iter().enumerate() {
        let len = p.detail.len() + EVENT_SOURCE.len() + EVENT_DETAIL_TYPE.len();
        if i > start && (i - start == MAX_ENTRIES_PER_CALL || bytes + len > MAX_CALL_BYTES) {
            out.push(&packed[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += len;
    }
    if start < packed.len() {
        out.push(&packed[start..]);
    }
    out
}

/// When an outbox row written at `now` is dropped unpublished.
pub fn outbox_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::days(OUTBOX_TTL_DAYS)
}
