//! What shapes a fetch run, with the defaults the configuration table starts from.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// `maxResults` per call (YouTube allows 1..=50; 50 spends the least quota per video).
    pub page_size: u8,
    /// Pages one topic may read in one run (HTTP retries and calls on failing keys come on top).
    pub max_pages_per_topic: u32,
    /// Pages read on a topic's first run, when there is no watermark yet.
    pub backfill_pages: u32,
    /// How late YouTube may index a video: the late sweep re-reads each slice of time once
    /// after it aged `lookback / 3` and once after it aged `lookback`. Zero disables the sweep.
    pub lookback: chrono::Duration,
    /// How long a run holds a topic.
    pub lease_ttl: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            page_size: 50,
            max_pages_per_topic: 20,
            backfill_pages: 4,
            lookback: chrono::Duration::minutes(15),
            lease_ttl: Duration::from_secs(300),
        }
    }
}

impl FetchSettings {
    /// Whether the late sweep runs at all.
    pub(super) fn sweeping(&self) -> bool {
        self.lookback > chrono::Duration::zero()
    }
}
