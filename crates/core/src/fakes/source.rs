//! A small YouTube in memory: `search.list` over videos with a publication and an indexing
//! time, newest first, in pages with tokens, never past the ~500-result cap, and quota per key.
//! Far simpler than the simulator (which speaks HTTP and Google's error bodies): what the
//! fetch logic needs, in microseconds.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::details::EmbedSize;
use crate::follow::{ChannelFeed, ChannelFeedSource, FeedAnswer, FeedError, FeedValidators};
use crate::key::ApiKey;
use crate::source::{
    DetailsItem, DetailsOutcome, DetailsSource, MAX_IDS_PER_DETAILS_CALL, SearchOutcome,
    SearchPage, SearchRequest, SourceError, VideoSource,
};
use crate::video::{ChannelId, Topic, Video, VideoId};

/// A video as the fake knows it: found by its topic once `indexed_at` has passed.
#[derive(Debug, Clone)]
pub struct SourceVideo {
    pub topic: Topic,
    pub video: Video,
    pub indexed_at: DateTime<Utc>,
    /// What `videos.list` answers: 5 minutes, landscape, 100 views, unless set.
    pub details: DetailsItem,
    pub deleted: bool,
}

struct Inner {
    now: DateTime<Utc>,
    videos: Vec<SourceVideo>,
    result_cap: usize,
    repeat_across_pages: bool,
    calls_left: HashMap<String, u32>,
    invalid: HashSet<String>,
    calls: HashMap<String, u64>,
    seq: u64,
    /// `videos.list`: units left (one a call; `None` = unlimited), an outage switch, and what
    /// was asked.
    units_left: Option<u32>,
    details_down: bool,
    details_calls: u64,
    details_ids: u64,
    /// Channel feeds: an outage switch and the requests made.
    feeds_down: bool,
    feed_requests: u64,
}

#[derive(Clone)]
pub struct MemSource {
    inner: Arc<Mutex<Inner>>,
}

impl MemSource {
    /// Empty, its clock at `now`, a 500-result cap, unlimited keys.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                now,
                videos: Vec::new(),
                result_cap: 500,
                repeat_across_pages: false,
                calls_left: HashMap::new(),
                invalid: HashSet::new(),
                calls: HashMap::new(),
                seq: 0,
                units_left: None,
                details_down: false,
                details_calls: 0,
                details_ids: 0,
                feeds_down: false,
                feed_requests: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    pub fn advance(&self, d: Duration) {
        self.lock().now += d;
    }

    /// Every page after the first starts with the last video of the page before, as YouTube's
    /// pages sometimes do.
    pub fn repeat_across_pages(&self, on: bool) {
        self.lock().repeat_across_pages = on;
    }

    /// A video of `topic` published at `at` and searchable from `indexed_at`.
    pub fn add_indexed_at(
        &self,
        topic: &str,
        at: DateTime<Utc>,
        indexed_at: DateTime<Utc>,
    ) -> VideoId {
        let mut inner = self.lock();
        inner.seq += 1;
        let id = VideoId::parse(&format!("m{:010}", inner.seq)).unwrap_or_else(|_| unreachable!());
        let topic = Topic::parse(topic).unwrap_or_else(|_| unreachable!("test topics are valid"));
        let video = Video {
            id: id.clone(),
            title: format!("{topic} video {}", inner.seq),
            description: String::new(),
            published_at: at,
            channel_id: ChannelId::parse(&format!("UCfake{:02}", inner.seq % 7))
                .unwrap_or_else(|_| unreachable!()),
            channel_title: "Fake channel".into(),
            thumbnails: Default::default(),
            live_broadcast_content: Default::default(),
            details: None,
        };
        inner.videos.push(SourceVideo {
            topic,
            details: DetailsItem {
                id: id.clone(),
                duration_seconds: Some(300),
                embed: Some(EmbedSize {
                    width: 1000,
                    height: 563,
                }),
                view_count: Some(100),
                like_count: Some(5),
                comment_count: Some(1),
                language: None,
                live: None,
            },
            video,
            indexed_at,
            deleted: false,
        });
        id
    }

    /// An upload of `channel` titled `title`, found by searching `topic` once indexed.
    pub fn add_upload(
        &self,
        topic: &str,
        channel: &str,
        title: &str,
        at: DateTime<Utc>,
        indexed_at: DateTime<Utc>,
    ) -> VideoId {
        let id = self.add_indexed_at(topic, at, indexed_at);
        if let Some(v) = self.lock().videos.iter_mut().find(|v| v.video.id == id) {
            v.video.channel_id = ChannelId::parse(channel)
                .unwrap_or_else(|_| unreachable!("test channels are valid"));
            v.video.channel_title = format!("{channel} title");
            v.video.title = title.to_owned();
        }
        id
    }

    /// While `down`, every channel feed answers 503.
    pub fn feeds_down(&self, down: bool) {
        self.lock().feeds_down = down;
    }

    /// Channel feed requests made.
    pub fn feed_requests(&self) -> u64 {
        self.lock().feed_requests
    }

    /// A video searchable as soon as it is published.
    pub fn add(&self, topic: &str, at: DateTime<Utc>) -> VideoId {
        self.add_indexed_at(topic, at, at)
    }

    /// `n` videos at `start`, `start + spacing`, …
    pub fn add_burst(
        &self,
        topic: &str,
        n: usize,
        start: DateTime<Utc>,
        spacing: Duration,
    ) -> Vec<VideoId> {
        (0..n)
            .map(|i| {
                self.add(
                    topic,
                    start + spacing * i32::try_from(i).unwrap_or(i32::MAX),
                )
            })
            .collect()
    }

    /// `key` may make `n` more calls; after that YouTube refuses it for quota.
    pub fn set_calls_left(&self, key: &str, n: u32) {
        self.lock().calls_left.insert(key.to_owned(), n);
    }

    /// YouTube does not know `key`.
    pub fn make_invalid(&self, key: &str) {
        self.lock().invalid.insert(key.to_owned());
    }

    /// Calls made with `key`, refused ones included.
    pub fn calls_of(&self, key: &str) -> u64 {
        self.lock().calls.get(key).copied().unwrap_or(0)
    }

    /// Every call made.
    pub fn calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }

    /// What `videos.list` answers for `id` from now on.
    pub fn set_details(&self, id: &VideoId, f: impl FnOnce(&mut DetailsItem)) {
        if let Some(v) = self.lock().videos.iter_mut().find(|v| v.video.id == *id) {
            f(&mut v.details);
        }
    }

    /// The video is deleted: gone from search and from `videos.list`.
    pub fn delete(&self, id: &VideoId) {
        if let Some(v) = self.lock().videos.iter_mut().find(|v| v.video.id == *id) {
            v.deleted = true;
        }
    }

    /// `videos.list` may spend `n` more units (one a call), then answers quota exhausted.
    pub fn set_units_left(&self, n: u32) {
        self.lock().units_left = Some(n);
    }

    /// While `down`, `videos.list` answers 503.
    pub fn details_down(&self, down: bool) {
        self.lock().details_down = down;
    }

    /// `videos.list` calls made, and ids asked for in them.
    pub fn details_calls(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.details_calls, inner.details_ids)
    }

    /// Every video of `topic`, found or not yet.
    pub fn all(&self, topic: &str) -> Vec<Video> {
        self.lock()
            .videos
            .iter()
            .filter(|v| v.topic.as_str() == topic)
            .map(|v| v.video.clone())
            .collect()
    }
}

impl Inner {
    fn admit(&mut self, key: &str) -> Result<(), SourceError> {
        *self.calls.entry(key.to_owned()).or_insert(0) += 1;
        if self.invalid.contains(key) {
            return Err(SourceError::InvalidKey);
        }
        if let Some(left) = self.calls_left.get_mut(key) {
            if *left == 0 {
                return Err(SourceError::QuotaExhausted("quotaExceeded".into()));
            }
            *left -= 1;
        }
        Ok(())
    }

    fn page(&self, req: &SearchRequest) -> Result<SearchPage, SourceError> {
        let mut found: Vec<&SourceVideo> = self
            .videos
            .iter()
            .filter(|v| v.topic == req.q && v.indexed_at <= self.now && !v.deleted)
            .filter(|v| {
                req.published_after
                    .is_none_or(|a| v.video.published_at >= a)
            })
            .filter(|v| {
                req.published_before
                    .is_none_or(|b| v.video.published_at <= b)
            })
            .collect();
        found.sort_by(|a, b| {
            (b.video.published_at, &b.video.id).cmp(&(a.video.published_at, &a.video.id))
        });
        found.truncate(self.result_cap);
        let start: usize = match &req.page_token {
            None => 0,
            Some(t) => t.parse().map_err(|_| SourceError::BadRequest {
                reason: "invalidPageToken".into(),
                message: "bad token".into(),
            })?,
        };
        let size = usize::from(req.max_results.max(1));
        let end = (start + size).min(found.len());
        let videos: Vec<Video> = found[start.min(end)..end]
            .iter()
            .map(|v| v.video.clone())
            .collect();
        let step = if self.repeat_across_pages {
            size - 1
        } else {
            size
        };
        let next = (end < found.len()).then(|| (start + step.max(1)).to_string());
        Ok(SearchPage {
            raw_items: videos.len(),
            videos,
            next_page_token: next,
            skipped_items: 0,
        })
    }
}

impl VideoSource for MemSource {
    async fn search(&self, req: &SearchRequest, key: &ApiKey) -> SearchOutcome {
        let mut inner = self.lock();
        let result = inner.admit(key.expose()).and_then(|()| inner.page(req));
        SearchOutcome {
            result,
            attempts: 1,
        }
    }
}

impl ChannelFeedSource for MemSource {
    async fn channel_feed(
        &self,
        channel: &ChannelId,
        validators: &FeedValidators,
    ) -> Result<FeedAnswer, FeedError> {
        self.lock().feed(channel, validators)
    }
}

/// Entries a channel feed lists, as YouTube's do.
const FEED_ENTRIES: usize = 15;

impl Inner {
    /// A channel's 15 newest uploads, published by now: indexed for search or not.
    fn feed(
        &mut self,
        channel: &ChannelId,
        validators: &FeedValidators,
    ) -> Result<FeedAnswer, FeedError> {
        self.feed_requests += 1;
        if self.feeds_down {
            return Err(FeedError::Server { status: 503 });
        }
        let mut uploads: Vec<&SourceVideo> = self
            .videos
            .iter()
            .filter(|v| v.video.channel_id == *channel && !v.deleted)
            .collect();
        if uploads.is_empty() {
            return Ok(FeedAnswer::NotFound);
        }
        uploads.retain(|v| v.video.published_at <= self.now);
        uploads.sort_by_key(|v| std::cmp::Reverse(v.video.published_at));
        uploads.truncate(FEED_ENTRIES);
        let etag = format!(
            "\"{}-{}\"",
            uploads.len(),
            uploads.first().map_or("", |v| v.video.id.as_str())
        );
        if validators.etag.as_deref() == Some(etag.as_str()) {
            return Ok(FeedAnswer::NotModified);
        }
        Ok(FeedAnswer::Fresh(ChannelFeed {
            entries: uploads.iter().map(|v| v.video.clone()).collect(),
            validators: FeedValidators {
                etag: Some(etag),
                last_modified: None,
            },
            skipped_entries: 0,
        }))
    }

    fn details(&mut self, ids: &[VideoId]) -> Result<Vec<DetailsItem>, SourceError> {
        self.details_calls += 1;
        if self.details_down {
            return Err(SourceError::Server {
                status: 503,
                message: "backendError".into(),
            });
        }
        if ids.len() > MAX_IDS_PER_DETAILS_CALL {
            return Err(SourceError::BadRequest {
                reason: "invalidFilters".into(),
                message: format!("{} ids", ids.len()),
            });
        }
        if let Some(left) = self.units_left.as_mut() {
            if *left == 0 {
                return Err(SourceError::QuotaExhausted("quotaExceeded".into()));
            }
            *left -= 1;
        }
        self.details_ids += ids.len() as u64;
        Ok(ids
            .iter()
            .filter_map(|id| {
                self.videos
                    .iter()
                    .find(|v| v.video.id == *id && !v.deleted)
                    .map(|v| v.details.clone())
            })
            .collect())
    }
}

impl DetailsSource for MemSource {
    async fn details(&self, ids: &[VideoId], _key: &ApiKey) -> DetailsOutcome {
        DetailsOutcome {
            result: self.lock().details(ids),
            attempts: 1,
        }
    }
}
