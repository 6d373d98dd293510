//! The store in memory: videos by id, listed per topic; fetch state; leases.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::details::details_unchanged;
use crate::events::{EventOutbox, OutboxRow};
use crate::feed::{Cursor, FeedPage, FeedQuery, FeedReader, KeyPoolCounts, KeyPoolReader, Order};
use crate::retention::Retention;
use crate::store::{
    BlockedChannel, ChannelBlocks, DetailsResult, DetailsStore, FetchState, FetchStateStore,
    LeaseOutcome, LeaseOwner, PendingDetails, RecordOutcome, StoreError, UpsertOutcome, VideoStore,
};
use crate::text::{index_words, matches};
use crate::video::{ChannelId, Topic, Video, VideoId};

#[derive(Default)]
struct Inner {
    /// (topic, id) → video.
    videos: BTreeMap<(Topic, VideoId), Video>,
    /// (topic, id) → when it was first stored.
    first_stored: HashMap<(Topic, VideoId), DateTime<Utc>>,
    /// Entries waiting for details, by queue position.
    pending: BTreeMap<String, PendingDetails>,
    queued: u64,
    /// Videos `videos.list` no longer returns.
    unavailable: HashSet<(Topic, VideoId)>,
    states: HashMap<Topic, FetchState>,
    blocks: BTreeMap<ChannelId, BlockedChannel>,
    leases: HashMap<Topic, (LeaseOwner, DateTime<Utc>)>,
    key_pool: KeyPoolCounts,
    /// New-video announcements not yet published, by position.
    outbox: BTreeMap<String, (Topic, VideoId)>,
    outbox_seq: u64,
}

/// Cheap to clone: clones share the data, as clones of the DynamoDB adapter share the table.
#[derive(Clone, Default)]
pub struct MemStore {
    inner: Arc<Mutex<Inner>>,
    /// Per handle, as each DynamoDB handle has its own: two handles may judge the same data
    /// by different settings (a changed `RETENTION_DAYS` meeting stored videos).
    retention: Arc<Retention>,
    /// Whether upserts write outbox rows (EVENT_BUS_NAME set), per handle.
    events: bool,
    /// Each topic's channels and their version (see `fakes::follow`).
    pub(super) follows: super::follow::Follows,
    /// WebSub subscriptions by channel (see `fakes::follow`).
    pub(super) pushes: super::follow::Pushes,
}

impl MemStore {
    /// Applies `retention` as the DynamoDB adapter does: expired videos are neither stored nor
    /// served (reads judge by the wall clock, as TTL does).
    pub fn with_retention(&self, retention: Retention) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            retention: Arc::new(retention),
            events: self.events,
            follows: self.follows.clone(),
            pushes: self.pushes.clone(),
        }
    }

    /// This handle with new videos announced through the outbox (or not).
    pub fn with_events(&self, on: bool) -> Self {
        Self {
            events: on,
            ..self.clone()
        }
    }

    fn expired(&self, topic: &Topic, v: &Video) -> bool {
        self.retention.is_expired(topic, v.published_at, Utc::now())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When each video of `topic` was first stored (the `now` of the upsert that brought it).
    pub fn first_stored(&self, topic: &Topic) -> HashMap<VideoId, DateTime<Utc>> {
        self.lock()
            .first_stored
            .iter()
            .filter(|((t, _), _)| t == topic)
            .map(|((_, id), at)| (id.clone(), *at))
            .collect()
    }

    /// What [`KeyPoolReader::key_pool`] answers from now on (the API's /health reads it).
    pub fn set_key_pool(&self, counts: KeyPoolCounts) {
        self.lock().key_pool = counts;
    }

    /// When the oldest entry waiting for details was queued.
    pub fn pending_since(&self) -> Option<DateTime<Utc>> {
        self.lock().pending.values().map(|p| p.queued_at).min()
    }

    /// How many entries wait for details.
    pub fn pending_count(&self) -> usize {
        self.lock().pending.len()
    }

    /// The videos stored under `topic` (unavailable ones left out), newest first.
    pub fn videos(&self, topic: &Topic) -> Vec<Video> {
        let inner = self.lock();
        let mut v: Vec<Video> = inner
            .videos
            .iter()
            .filter(|(key, _)| key.0 == *topic && !inner.unavailable.contains(key))
            .map(|(_, v)| v.clone())
            .collect();
        v.sort_by(|a, b| (b.published_at, &b.id).cmp(&(a.published_at, &a.id)));
        v
    }
}

impl VideoStore for MemStore {
    async fn upsert(
        &self,
        topic: &Topic,
        videos: &[Video],
        now: DateTime<Utc>,
    ) -> Result<UpsertOutcome, StoreError> {
        let mut out = UpsertOutcome::default();
        let mut inner = self.lock();
        for v in videos {
            if self.retention.is_expired(topic, v.published_at, now) {
                out.expired += 1;
                continue;
            }
            let key = (topic.clone(), v.id.clone());
            match inner.videos.get(&key).cloned() {
                None => {
                    inner.videos.insert(key.clone(), v.clone());
                    inner.first_stored.insert(key, now);
                    if v.details.is_none() {
                        inner.enqueue(topic, &v.id, now);
                    }
                    if self.events {
                        inner.outbox_seq += 1;
                        let position = format!("{:012}", inner.outbox_seq);
                        inner.outbox.insert(position, (topic.clone(), v.id.clone()));
                    }
                    out.new += 1;
                    out.new_ids.push(v.id.clone());
                }
                Some(old)
                    if old.same_listing(v)
                        && details_unchanged(v.details.as_ref(), old.details.as_ref()) =>
                {
                    out.unchanged += 1
                }
                Some(old) => {
                    // Details stay with the video when search reports a new title.
                    let details = v.details.clone().or(old.details);
                    inner.videos.insert(
                        key,
                        Video {
                            details,
                            ..v.clone()
                        },
                    );
                    out.updated += 1;
                }
            }
        }
        out.write_requests = usize::from(out.new + out.updated > 0);
        Ok(out)
    }
}

impl Inner {
    fn enqueue(&mut self, topic: &Topic, id: &VideoId, now: DateTime<Utc>) {
        let channel_id = self
            .videos
            .get(&(topic.clone(), id.clone()))
            .map(|v| v.channel_id.clone());
        self.queued += 1;
        let position = format!("{:012}", self.queued);
        self.pending.insert(
            position.clone(),
            PendingDetails {
                id: id.clone(),
                topic: topic.clone(),
                position,
                queued_at: now,
                channel_id,
            },
        );
    }
}

impl DetailsStore for MemStore {
    async fn pending_details(&self, limit: usize) -> Result<Vec<PendingDetails>, StoreError> {
        Ok(self.lock().pending.values().take(limit).cloned().collect())
    }

    async fn record_details(
        &self,
        results: &[(PendingDetails, DetailsResult)],
        _now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        let mut inner = self.lock();
        let mut out = RecordOutcome::default();
        for (p, result) in results {
            inner.pending.remove(&p.position);
            let key = (p.topic.clone(), p.id.clone());
            let Some(v) = inner.videos.get_mut(&key) else {
                out.gone += 1;
                continue;
            };
            match result {
                DetailsResult::Found(d) => {
                    v.details = Some(d.clone());
                    inner.unavailable.remove(&key);
                    out.recorded += 1;
                }
                DetailsResult::Unavailable => {
                    inner.unavailable.insert(key);
                    out.unavailable += 1;
                }
            }
        }
        Ok(out)
    }

    async fn drop_pending(&self, entries: &[PendingDetails]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for p in entries {
            inner.pending.remove(&p.position);
        }
        Ok(())
    }

    async fn queue_missing_details(
        &self,
        topic: &Topic,
        channel: Option<&ChannelId>,
    ) -> Result<usize, StoreError> {
        let mut inner = self.lock();
        let queued: HashSet<(Topic, VideoId)> = inner
            .pending
            .values()
            .map(|p| (p.topic.clone(), p.id.clone()))
            .collect();
        let missing: Vec<VideoId> = inner
            .videos
            .iter()
            .filter(|((t, id), v)| {
                t == topic
                    && channel.is_none_or(|c| *c == v.channel_id)
                    && v.details.is_none()
                    && !inner.unavailable.contains(&(t.clone(), id.clone()))
                    && !queued.contains(&(t.clone(), id.clone()))
            })
            .map(|((_, id), _)| id.clone())
            .collect();
        let now = Utc::now();
        for id in &missing {
            let at = inner
                .first_stored
                .get(&(topic.clone(), id.clone()))
                .copied()
                .unwrap_or(now);
            inner.enqueue(topic, id, at);
        }
        Ok(missing.len())
    }
}

impl ChannelBlocks for MemStore {
    async fn blocked_channels(&self) -> Result<Vec<BlockedChannel>, StoreError> {
        Ok(self.lock().blocks.values().cloned().collect())
    }

    async fn block_channel(&self, block: &BlockedChannel) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let at = inner
            .blocks
            .get(&block.channel_id)
            .map_or(block.blocked_at, |b| b.blocked_at);
        inner.blocks.insert(
            block.channel_id.clone(),
            BlockedChannel {
                blocked_at: at,
                ..block.clone()
            },
        );
        Ok(())
    }

    async fn unblock_channel(&self, channel: &ChannelId) -> Result<bool, StoreError> {
        Ok(self.lock().blocks.remove(channel).is_some())
    }
}

impl FetchStateStore for MemStore {
    async fn acquire_lease(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<LeaseOutcome, StoreError> {
        let mut inner = self.lock();
        if let Some((holder, until)) = inner.leases.get(topic) {
            if holder != owner && *until > now {
                return Ok(LeaseOutcome::Held { until: *until });
            }
        }
        let until = now + chrono::Duration::from_std(ttl).unwrap_or_default();
        inner.leases.insert(topic.clone(), (owner.clone(), until));
        Ok(LeaseOutcome::Acquired)
    }

    async fn load(&self, topic: &Topic) -> Result<FetchState, StoreError> {
        Ok(self.lock().states.get(topic).cloned().unwrap_or_default())
    }

    async fn save(
        &self,
        topic: &Topic,
        owner: &LeaseOwner,
        state: &FetchState,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.leases.get(topic).map(|(o, _)| o) != Some(owner) {
            return Err(StoreError::LeaseLost);
        }
        inner.states.insert(topic.clone(), state.clone());
        Ok(())
    }

    async fn release(&self, topic: &Topic, owner: &LeaseOwner) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.leases.get(topic).map(|(o, _)| o) == Some(owner) {
            inner.leases.remove(topic);
        }
        Ok(())
    }
}

/// A cursor is the last item's `(published_at, id)`, as DynamoDB's is the last item's key.
fn position(v: &Video) -> Cursor {
    Cursor {
        key: BTreeMap::from([
            ("at".to_owned(), v.published_at.to_rfc3339()),
            ("id".to_owned(), v.id.to_string()),
        ]),
        driver: None,
    }
}

fn after_cursor(v: &Video, c: &Cursor, order: Order) -> Result<bool, StoreError> {
    let at = c
        .key
        .get("at")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or(StoreError::InvalidCursor("not a position of this store"))?
        .with_timezone(&Utc);
    let id = c.key.get("id").map(String::as_str).unwrap_or_default();
    let key = (v.published_at, v.id.as_str());
    Ok(match order {
        Order::Desc => key < (at, id),
        Order::Asc => key > (at, id),
    })
}

impl FeedReader for MemStore {
    async fn page(&self, q: &FeedQuery, start: Option<&Cursor>) -> Result<FeedPage, StoreError> {
        let mut all = self.videos(&q.topic);
        if q.order == Order::Asc {
            all.reverse();
        }
        let mut picked = Vec::new();
        for v in all {
            let in_window = q.published_after.is_none_or(|a| v.published_at >= a)
                && q.published_before.is_none_or(|b| v.published_at <= b);
            let channel = q.channel_id.as_ref().is_none_or(|c| *c == v.channel_id);
            let words =
                q.terms.is_empty() || matches(&index_words(&v.title, &v.description), &q.terms);
            let after = match start {
                Some(c) => after_cursor(&v, c, q.order)?,
                None => true,
            };
            let detail =
                q.filter.admits(v.details.as_ref()) && !q.hidden_channels.contains(&v.channel_id);
            if in_window && channel && words && detail && after && !self.expired(&q.topic, &v) {
                picked.push(v);
            }
            if picked.len() > usize::from(q.limit) {
                break;
            }
        }
        let next = (picked.len() > usize::from(q.limit)).then(|| {
            picked.truncate(usize::from(q.limit));
            picked.last().map(position)
        });
        Ok(FeedPage {
            videos: picked,
            next: next.flatten(),
            read_units: 0.0,
        })
    }

    async fn video(&self, id: &VideoId) -> Result<Option<Video>, StoreError> {
        let inner = self.lock();
        let now = Utc::now();
        Ok(inner
            .videos
            .iter()
            .find(|(key, v)| {
                key.1 == *id
                    && !inner.unavailable.contains(key)
                    && !self.retention.is_expired(&key.0, v.published_at, now)
            })
            .map(|(_, v)| v.clone()))
    }

    async fn hidden_channels(&self) -> Result<Vec<ChannelId>, StoreError> {
        Ok(self.lock().blocks.keys().cloned().collect())
    }

    async fn fetch_states(&self, topics: &[Topic]) -> Result<Vec<(Topic, FetchState)>, StoreError> {
        let inner = self.lock();
        Ok(topics
            .iter()
            .map(|t| (t.clone(), inner.states.get(t).cloned().unwrap_or_default()))
            .collect())
    }
}

impl KeyPoolReader for MemStore {
    async fn key_pool(&self, _now: DateTime<Utc>) -> Result<KeyPoolCounts, StoreError> {
        Ok(self.lock().key_pool.clone())
    }
}

impl MemStore {
    /// Rows waiting in the outbox.
    pub fn outbox_len(&self) -> usize {
        self.lock().outbox.len()
    }
}

impl EventOutbox for MemStore {
    async fn pending_events(&self, max: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let inner = self.lock();
        let now = Utc::now();
        Ok(inner
            .outbox
            .iter()
            .take(max)
            .map(|(position, (topic, id))| {
                let key = (topic.clone(), id.clone());
                let video = inner
                    .videos
                    .get(&key)
                    .filter(|_| !inner.unavailable.contains(&key))
                    .filter(|v| !self.retention.is_expired(topic, v.published_at, now))
                    .cloned();
                OutboxRow {
                    position: position.clone(),
                    topic: topic.clone(),
                    id: id.clone(),
                    video,
                }
            })
            .collect())
    }

    async fn clear_events(&self, rows: &[OutboxRow]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for r in rows {
            inner.outbox.remove(&r.position);
        }
        Ok(())
    }
}
