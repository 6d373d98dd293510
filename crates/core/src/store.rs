//! Ports to the video store and to the per-topic fetch state.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::details::VideoDetails;
use crate::video::{ChannelId, Topic, Video, VideoId};

/// What an upsert did, per video.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpsertOutcome {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Already past the topic's retention: not stored (see [`crate::Retention`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub expired: usize,
    /// Write requests sent to the store (batch calls, retries of unprocessed items included).
    pub write_requests: usize,
    /// The videos that were new, for the channels' tally (see [`crate::follow`]).
    #[serde(skip)]
    pub new_ids: Vec<VideoId>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl UpsertOutcome {
    pub fn add(&mut self, o: UpsertOutcome) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.expired += o.expired;
        self.write_requests += o.write_requests;
        self.new_ids.extend(o.new_ids);
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// The store cannot be reached, timed out or is throttling: worth trying again later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refused the request: a fault of ours, not of the moment.
    #[error("store request failed: {0}")]
    Failed(String),
    /// The store refused the request as too large or malformed for it (DynamoDB's
    /// `ValidationException`: an expression over 4 KB, a key too long): on the read path a
    /// query the client can make smaller, never a 5xx.
    #[error("store refused the request as invalid: {0}")]
    Rejected(String),
    #[error("store kept refusing {0} items after retries")]
    Unprocessed(usize),
    #[error("the lease on this topic was lost to another run")]
    LeaseLost,
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    /// A page position (from a client's page token) that this store cannot continue from.
    #[error("page position is not valid here: {0}")]
    InvalidCursor(&'static str),
}

/// Videos, keyed by id, listed per topic.
pub trait VideoStore: Send + Sync {
    /// Idempotent: storing the same video twice leaves one item and counts it `unchanged`.
    fn upsert(
        &self,
        topic: &Topic,
        videos: &[Video],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<UpsertOutcome, StoreError>> + Send;
}

/// Channels hidden from every list, search and feed (`tubefeed channels block`; the
/// deployment's `BLOCKED_CHANNELS` adds to them). At most [`MAX_BLOCKED_CHANNELS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockedChannel {
    pub channel_id: ChannelId,
    pub blocked_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// DynamoDB takes at most 100 values in one `IN`: the hidden channels of one query.
pub const MAX_BLOCKED_CHANNELS: usize = 100;

/// Where blocks are kept.
pub trait ChannelBlocks: Send + Sync {
    fn blocked_channels(
        &self,
    ) -> impl Future<Output = Result<Vec<BlockedChannel>, StoreError>> + Send;
    /// Idempotent; a block already there keeps its time and takes the new note.
    fn block_channel(
        &self,
        block: &BlockedChannel,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// False when the channel was not blocked.
    fn unblock_channel(
        &self,
        channel: &ChannelId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A stored video still waiting for its details: one entry per (video, topic) item, queued
/// by the upsert that stored it new, in the order stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PendingDetails {
    pub id: VideoId,
    pub topic: Topic,
    /// The store's place for the entry (its queue position), handed back on completion.
    pub position: String,
    /// When it was queued (the video stored).
    pub queued_at: DateTime<Utc>,
    /// Its channel (entries queued before blocks existed have none): a blocked channel's
    /// videos are dropped from the queue and cost no units.
    pub channel_id: Option<ChannelId>,
}

/// What `videos.list` said about a pending video.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailsResult {
    Found(VideoDetails),
    /// Not returned: deleted or private. Left out of lists from now on.
    Unavailable,
}

/// What recording a batch of results did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordOutcome {
    pub recorded: usize,
    pub unavailable: usize,
    /// Entries whose video item was gone (deleted by retention meanwhile): dropped.
    pub gone: usize,
}

/// The queue of videos without details, and where details are recorded.
pub trait DetailsStore: Send + Sync {
    /// The `limit` oldest pending entries.
    fn pending_details(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingDetails>, StoreError>> + Send;
    /// Records each result on its video's item and removes the entry. An entry whose item no
    /// longer exists is removed without a write.
    fn record_details(
        &self,
        results: &[(PendingDetails, DetailsResult)],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RecordOutcome, StoreError>> + Send;
    /// Drops entries without recording anything (a blocked channel's videos).
    fn drop_pending(
        &self,
        entries: &[PendingDetails],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Queues every stored video of `topic` (of one channel, when given) that has no details
    /// and is not unavailable: `tubefeed enrich` for videos stored before details existed,
    /// `channels unblock` for a channel's. Idempotent. Returns how many were queued.
    fn queue_missing_details(
        &self,
        topic: &Topic,
        channel: Option<&ChannelId>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// A part of the timeline a run could not finish: `[watermark, before]` is still unread, and
/// `[before, frontier]` was read. When the gap closes the watermark jumps to `frontier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub before: DateTime<Utc>,
    pub frontier: DateTime<Utc>,
}

/// Older history a topic's first run was asked to read (`FETCH_BACKFILL_PAGES`) but could not
/// afford in one run: `[.., before]` is still unread, and `pages_left` pages may still be spent
/// on it. Later runs continue it with what their allowance has left after the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backfill {
    pub before: DateTime<Utc>,
    pub pages_left: u32,
}

/// How far the late sweep has re-read the timeline. A slice of time is re-read once it has
/// aged past a delay, and never again: `early` trails `now − lookback / 3` (most late videos
/// are minutes late) and `done` trails `now − lookback` (the last chance for a late video).
/// Everything at or before a mark was read at least once after it had aged that long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepMarks {
    pub early: DateTime<Utc>,
    pub done: DateTime<Utc>,
    /// A sweep from `early` that a run's pages could not finish (see [`SweepCut`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_cut: Option<SweepCut>,
    /// The same for the sweep from `done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_cut: Option<SweepCut>,
}

impl SweepMarks {
    /// Both marks at these times, no sweep in progress.
    pub fn at(early: DateTime<Utc>, done: DateTime<Utc>) -> Self {
        Self {
            early,
            done,
            early_cut: None,
            done_cut: None,
        }
    }
}

/// A sweep of `[mark, end]` cut short by the run's pages: it reads newest first, so
/// `[before, end]` has had its read and `[mark, before]` has not. The next run reads only
/// `[mark, before]`, then the mark jumps to `end`. (Without this a late window larger than one
/// run's pages was re-read from its newest end every run and never finished.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepCut {
    pub before: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// See [`FetchState::search_need`].
pub const MIN_SEARCH_NEED: f64 = 0.2;

/// Where a topic's fetching stands. Lives in the table so every run sees the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchState {
    /// Every video published at or before this that was searchable when we looked is stored.
    pub watermark: Option<DateTime<Utc>>,
    pub gap: Option<Gap>,
    /// `None` on states written before sweeps kept marks: they start at `watermark − lookback`,
    /// which the old whole-window sweep had covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepMarks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    /// Recent videos per hour on this topic (from what the heads found), used to decide when a
    /// poll is worth a call and whether the sweep fits in the head's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub videos_per_hour: Option<u32>,
    /// Of the videos recent heads found, the share (%) that channel feeds had stored first
    /// (a moving average; see [`crate::follow`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_share_pct: Option<u8>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// When a run last stored a video it had not seen before.
    pub last_new_video_at: Option<DateTime<Utc>>,
    pub last_sweep_at: Option<DateTime<Utc>>,
    /// The last failure's message (AWS identifiers redacted), for operators (`tubefeed status`).
    pub last_error: Option<String>,
    /// Its kind (`store`, `keys`, `quota_exhausted`, `http_5xx`, …): what the public may see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_kind: Option<String>,
    /// The last run's summary line, as `tubefeed status` shows it.
    pub last_summary: Option<serde_json::Value>,
}

impl FetchState {
    /// Seconds since the last run began (0 when the clock says it is in the future).
    pub fn lag_seconds(&self, now: DateTime<Utc>) -> Option<u64> {
        self.last_run_at
            .map(|at| u64::try_from((now - at).num_seconds()).unwrap_or(0))
    }

    /// How much this topic still needs search (1 = fully): the share channel feeds do not
    /// already bring, never below a fifth, so search keeps discovering new channels.
    pub fn search_need(&self) -> f64 {
        let share = f64::from(self.feed_share_pct.unwrap_or(0).min(100)) / 100.0;
        (1.0 - share).max(MIN_SEARCH_NEED)
    }

    /// The interval the last run planned for this topic, from its summary.
    pub fn interval_seconds(&self) -> Option<u64> {
        self.last_summary
            .as_ref()
            .and_then(|v| v.get("interval_seconds"))
            .and_then(serde_json::Value::as_u64)
    }
}

/// Who holds a topic's lease: one per run, so that a run which outlived its lease can neither
/// save its state nor release another run's lease.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseOwner(String);

impl LeaseOwner {
    /// A fresh owner for one run.
    pub fn for_run() -> Self {
        Self(format!("run-{:016x}", fastrand::u64(..)))
    }
    /// An owner of a given name (tests, and owners read back from storage).
    pub fn named(name: &str) -> Self {
        Self(name.to_owned())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    Acquired,
    /// Another run holds the topic until `until`.
    Held {
        until: DateTime<Utc>,
    },
}

/// Per-topic state and the lease that keeps overlapping runs from fetching the same topic.
pub trait FetchStateStore: Send + Sync {
    /// Conditional: succeeds only when no unexpired lease of another owner exists.
    fn acquire_lease(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> impl Future<Output = Result<LeaseOutcome, StoreError>> + Send;
    fn load(&self, topic: &Topic) -> impl Future<Output = Result<FetchState, StoreError>> + Send;
    /// Writes the state only while `owner` still holds the lease; otherwise [`StoreError::LeaseLost`].
    fn save(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        state: &FetchState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Releases the lease if `owner` still holds it; a lease already taken over is left alone.
    fn release(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
