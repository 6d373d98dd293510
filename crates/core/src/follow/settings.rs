//! What shapes following channels, with the defaults the configuration table starts from.

use chrono::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowSettings {
    /// Channels followed per topic at most (`FOLLOW_MAX_CHANNELS`; 0 turns feeds off).
    pub max_channels: usize,
    /// A channel is followed once it posted this many on-topic videos within `window`
    /// (`FOLLOW_MIN_VIDEOS`).
    pub min_videos: u32,
    /// How far back a channel's on-topic videos count (`FOLLOW_WINDOW_DAYS`).
    pub window: Duration,
    /// Feed requests in flight at once, per run (`FEEDS_CONCURRENCY`): polite to YouTube, and
    /// enough that 50 feeds take about a second.
    pub concurrency: usize,
    /// A followed channel's feed is read at least this often (`FEEDS_MAX_INTERVAL_MINUTES`);
    /// busy channels every run (see `ChannelRecord::read_interval`).
    pub max_read_interval: Duration,
}

impl Default for FollowSettings {
    fn default() -> Self {
        Self {
            max_channels: 200,
            min_videos: 3,
            window: Duration::days(14),
            concurrency: 8,
            max_read_interval: Duration::minutes(5),
        }
    }
}

impl FollowSettings {
    pub fn enabled(&self) -> bool {
        self.max_channels > 0
    }

    /// Days of counts kept per channel.
    pub(super) fn window_days(&self) -> i64 {
        self.window.num_days().max(1)
    }
}
