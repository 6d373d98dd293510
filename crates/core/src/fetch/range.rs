//! Reading one range of a topic's timeline, newest first, in chunks under YouTube's result cap.
//!
//! A range longer than YouTube's ~500-result cap is read in chunks: when a chunk ends on a full
//! page without a `nextPageToken` (or stops short near the cap, as YouTube's last pages can be
//! short), the next chunk asks `publishedBefore` = the oldest time seen.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tracing::warn;

use super::meter::Meter;
use super::rotate::CallStop;
use super::{FetchError, Fetcher};
use crate::follow::Sighting;
use crate::keys::KeyRing;
use crate::source::{SearchPage, SearchRequest, VideoSource};
use crate::store::{FetchStateStore, UpsertOutcome, VideoStore};
use crate::video::{Topic, Video, VideoId};

/// YouTube stops paging a query "near 500" results; a chunk that returned this many and ended
/// without reaching ground is treated as cut off even when its last page was short.
const CAP_SUSPECT_ITEMS: usize = 400;

/// Why reading a range stopped before it was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    PageBudget,
    NoKey(Option<DateTime<Utc>>),
}

/// What reading one range found.
#[derive(Debug, Default)]
pub(super) struct RangeRead {
    pub complete: bool,
    pub oldest: Option<DateTime<Utc>>,
    pub newest: Option<DateTime<Utc>>,
    pub stop: Option<Stop>,
    /// Videos the range returned (repeats across pages included).
    pub videos: usize,
    /// Pages it read.
    pub pages: u32,
}

impl RangeRead {
    /// The reason to stop the topic's run here, when it ran out of keys.
    pub fn no_key(&self) -> Option<Stop> {
        self.stop.filter(|s| matches!(s, Stop::NoKey(_)))
    }
}

/// One topic's run: its allowance and what it has done so far.
pub(super) struct TopicRun<'a> {
    pub topic: &'a Topic,
    pub meter: &'a mut Meter,
    pub now: DateTime<Utc>,
    pub pages: u32,
    pub calls: u32,
    pub skipped_items: usize,
    pub outcome: UpsertOutcome,
    /// Videos written by this run: a video repeated across a page boundary (or across
    /// ranges) is written and counted once.
    pub seen: HashSet<VideoId>,
    /// The new videos' channels, for the feeds step's tally.
    pub sightings: Vec<Sighting>,
    /// While the head reads: the watermark it reads from. A video above it that the table
    /// already had came through a channel feed first.
    pub head_after: Option<DateTime<Utc>>,
    pub head_found: usize,
    pub head_known: usize,
}

impl TopicRun<'_> {
    /// Books what one upsert of `fresh` found new.
    fn note(&mut self, fresh: &[Video], new_ids: &[VideoId]) {
        let new: HashSet<&VideoId> = new_ids.iter().collect();
        for v in fresh {
            let is_new = new.contains(&v.id);
            if is_new {
                self.sightings.push(Sighting {
                    channel_id: v.channel_id.clone(),
                    channel_title: v.channel_title.clone(),
                    published_at: v.published_at,
                });
            }
            if self.head_after.is_some_and(|a| v.published_at > a) {
                self.head_found += 1;
                self.head_known += usize::from(!is_new);
            }
        }
    }
}

/// Where one chunk of a range stands.
#[derive(Default)]
struct Chunk {
    oldest: Option<DateTime<Utc>>,
    items: usize,
    last_page_full: bool,
    reached_ground: bool,
}

impl<S, V, F, K> Fetcher<S, V, F, K>
where
    S: VideoSource,
    V: VideoStore,
    F: FetchStateStore,
    K: KeyRing,
{
    /// Reads every searchable video with `after <= publishedAt <= before`, newest first, in
    /// chunks under YouTube's result cap, until done or until `page_limit` pages were spent
    /// in this topic's run.
    pub(super) async fn read_range(
        &self,
        run: &mut TopicRun<'_>,
        after: Option<DateTime<Utc>>,
        before: Option<DateTime<Utc>>,
        page_limit: u32,
    ) -> Result<RangeRead, FetchError> {
        let mut out = RangeRead::default();
        let mut chunk_before = before;
        loop {
            let chunk = match self
                .read_chunk(run, &mut out, (after, chunk_before), page_limit)
                .await?
            {
                Some(c) => c,
                None => return Ok(out),
            };
            // A full last page with no token is YouTube's result cap (or, rarely, an exact
            // multiple of the page size); so is a chunk that stopped short near the cap.
            // Either way, continue below the oldest video seen.
            let near_cap = chunk.items >= CAP_SUSPECT_ITEMS;
            if (chunk.last_page_full || near_cap) && !chunk.reached_ground {
                if let Some(o) = chunk.oldest.filter(|o| chunk_before.is_none_or(|b| *o < b)) {
                    chunk_before = Some(o);
                    continue;
                }
                // A whole cap's worth of videos in one second: nothing more can be asked.
                warn!(target: "tubefeed::fetch", topic = %run.topic, "result cap reached within one second; continuing");
            }
            out.complete = true;
            return Ok(out);
        }
    }

    /// One chunk: pages of one query until its token runs out or it reaches `after`. `None`
    /// when the run stopped (`out.stop` says why).
    async fn read_chunk(
        &self,
        run: &mut TopicRun<'_>,
        out: &mut RangeRead,
        (after, before): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        page_limit: u32,
    ) -> Result<Option<Chunk>, FetchError> {
        let mut chunk = Chunk::default();
        let mut token: Option<String> = None;
        loop {
            if run.pages >= page_limit || !run.meter.may_spend() {
                out.stop = Some(Stop::PageBudget);
                return Ok(None);
            }
            let req = SearchRequest {
                q: run.topic.clone(),
                published_after: after,
                published_before: before,
                page_token: token.take(),
                max_results: self.settings.page_size,
            };
            let page = match self.call(run.topic, run.now, &req, &mut run.calls).await {
                Ok(p) => p,
                Err(CallStop::NoKey(at)) => {
                    out.stop = Some(Stop::NoKey(at));
                    return Ok(None);
                }
                Err(CallStop::Fail(e)) => return Err(e),
            };
            let next = self.take_page(run, out, &mut chunk, page).await?;
            chunk.reached_ground = matches!((after, chunk.oldest), (Some(a), Some(o)) if o <= a);
            match next {
                Some(t) if !chunk.reached_ground && !t.is_empty() => token = Some(t),
                _ => return Ok(Some(chunk)),
            }
        }
    }

    /// Counts a page and writes its videos this run has not written yet; returns its token.
    async fn take_page(
        &self,
        run: &mut TopicRun<'_>,
        out: &mut RangeRead,
        chunk: &mut Chunk,
        page: SearchPage,
    ) -> Result<Option<String>, FetchError> {
        run.pages += 1;
        out.pages += 1;
        run.meter.spend();
        out.videos += page.videos.len();
        run.skipped_items += page.skipped_items;
        for v in &page.videos {
            let t = v.published_at;
            out.oldest = Some(out.oldest.map_or(t, |o| o.min(t)));
            out.newest = Some(out.newest.map_or(t, |n| n.max(t)));
            chunk.oldest = Some(chunk.oldest.map_or(t, |o| o.min(t)));
        }
        chunk.last_page_full = page.raw_items >= usize::from(self.settings.page_size);
        chunk.items += page.raw_items;
        let fresh: Vec<_> = page
            .videos
            .into_iter()
            .filter(|v| run.seen.insert(v.id.clone()))
            .collect();
        if !fresh.is_empty() {
            let o = self.videos.upsert(run.topic, &fresh, run.now).await?;
            run.note(&fresh, &o.new_ids);
            run.outcome.add(o);
        }
        Ok(page.next_page_token)
    }
}
