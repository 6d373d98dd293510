//! The blocked channels this process hides: the deployment's `BLOCKED_CHANNELS` and the
//! table's blocks (`tubefeed channels block`), re-read at most every few seconds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tubefeed_core::{ChannelId, FeedReader, StoreError};

/// How long a warm process trusts the blocks it read: a block shows within this long.
pub const BLOCKS_TTL: Duration = Duration::from_secs(5);

type Snapshot = (Instant, Arc<Vec<ChannelId>>);

pub(crate) struct Blocks {
    fixed: Vec<ChannelId>,
    cached: Mutex<Option<Snapshot>>,
}

impl Blocks {
    pub(crate) fn new(fixed: Vec<ChannelId>) -> Self {
        Self {
            fixed,
            cached: Mutex::new(None),
        }
    }

    /// Every blocked channel, sorted and without duplicates.
    pub(crate) async fn current<R: FeedReader>(
        &self,
        reader: &R,
    ) -> Result<Arc<Vec<ChannelId>>, StoreError> {
        if let Ok(guard) = self.cached.lock()
            && let Some((at, list)) = guard.as_ref()
            && at.elapsed() < BLOCKS_TTL
        {
            return Ok(list.clone());
        }
        let mut all = reader.hidden_channels().await?;
        all.extend(self.fixed.iter().cloned());
        all.sort();
        all.dedup();
        let list = Arc::new(all);
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((Instant::now(), list.clone()));
        }
        Ok(list)
    }
}
