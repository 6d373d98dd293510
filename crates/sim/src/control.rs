//! In-process control of a running simulator.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::config::{FaultPlan, NewVideo};
use crate::stats::{CallStats, FeedStats, SimState, TopicCounts};
use crate::world::World;

pub(crate) struct Shared {
    world: Mutex<World>,
}

impl Shared {
    pub(crate) fn new(world: World) -> Shared {
        Shared {
            world: Mutex::new(world),
        }
    }

    /// Locks the world, generating first whatever the clock says has been uploaded since the
    /// last access (this is how a real clock generates lazily).
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-updated in a way that
        // matters to a simulator, so keep serving rather than poisoning every later call.
        let mut w = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        w.catch_up();
        w
    }
}

/// A cheap, cloneable handle on the simulator's state, for tests in the same process.
#[derive(Clone)]
pub struct SimControl {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl").finish_non_exhaustive()
    }
}

impl SimControl {
    /// The simulated "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.world().now()
    }

    /// Moves the clock forward by `d` and generates the videos uploaded meanwhile at
    /// `rate_per_minute`. With [`crate::ClockMode::Real`] this shifts the clock ahead of the wall
    /// clock. Negative durations are ignored.
    pub fn advance(&self, d: Duration) {
        self.shared.world().advance(d);
    }

    /// Injects one video and returns its id.
    pub fn add_video(&self, v: NewVideo) -> String {
        self.shared.world().add_video(v)
    }

    /// Injects `n` videos published at `start`, `start + spacing`, ..., each searchable as soon
    /// as it is published. Ids come back in that order.
    pub fn add_burst(
        &self,
        topic: &str,
        n: usize,
        start: DateTime<Utc>,
        spacing: Duration,
    ) -> Vec<String> {
        let mut w = self.shared.world();
        (0..n)
            .map(|i| {
                let offset = spacing * i32::try_from(i).unwrap_or(i32::MAX);
                w.add_video(NewVideo::new(topic, start + offset))
            })
            .collect()
    }

    /// Replaces the fault plan; fault counts (`server_error_count`, `malformed_count`) restart.
    pub fn set_faults(&self, f: FaultPlan) {
        self.shared.world().set_faults(f);
    }

    pub fn faults(&self) -> FaultPlan {
        self.shared.world().cfg.faults.clone()
    }

    /// Sets how many calls `key` has left for the current Pacific-time day; the next midnight
    /// PT restores `daily_calls_per_key`.
    pub fn set_key_calls_left(&self, key: &str, n: u32) {
        self.shared.world().set_calls_left(key, n);
    }

    pub fn key_calls_left(&self, key: &str) -> u32 {
        self.shared.world().calls_left(key)
    }

    /// Sets how many units the project of `key` has left for the current Pacific-time day.
    pub fn set_units_left(&self, key: &str, n: u32) {
        self.shared.world().set_units_left(key, n);
    }

    pub fn units_left(&self, key: &str) -> u32 {
        self.shared.world().units_left(key)
    }

    /// Deletes a video (or makes it private): search and `videos.list` stop returning it.
    /// False when there is no such video.
    pub fn delete_video(&self, id: &str) -> bool {
        self.shared.world().delete_video(id)
    }

    pub fn calls(&self) -> CallStats {
        self.shared.world().stats.clone()
    }

    /// Channel feed requests, not-modified answers and injected feed errors.
    pub fn feed_stats(&self) -> FeedStats {
        self.shared.world().stats.feeds()
    }

    /// The [`crate::ChannelPlan`]'s channel ids by rank: index 0 is the busiest and is titled
    /// `Sim Channel 0`. Empty without a plan.
    pub fn channel_ids(&self) -> Vec<String> {
        self.shared.world().plan_channel_ids()
    }

    /// The uploader of a video (deleted or not).
    pub fn video_channel(&self, video_id: &str) -> Option<String> {
        self.shared.world().uploader(video_id)
    }

    /// Every upload of a channel, on- and off-topic, including deleted ones and ones published
    /// after now, newest first. Empty for an unknown channel.
    pub fn channel_uploads(&self, channel_id: &str) -> Vec<String> {
        let w = self.shared.world();
        w.channel(channel_id)
            .map(|c| c.uploads.iter().rev().map(|(_, id)| id.clone()).collect())
            .unwrap_or_default()
    }

    /// How many of `topic`'s on-topic videos (indexed or not) each channel posted.
    pub fn topic_videos_by_channel(&self, topic: &str) -> BTreeMap<String, usize> {
        self.shared.world().topic_videos_by_channel(topic)
    }

    /// Off-topic uploads generated by `topic`'s stream (see [`crate::ChannelPlan`]).
    pub fn off_topic_count(&self, topic: &str) -> usize {
        self.shared
            .world()
            .off_topic_counts()
            .get(topic)
            .copied()
            .unwrap_or(0)
    }

    /// All videos of `topic`, indexed or not.
    pub fn video_count(&self, topic: &str) -> usize {
        self.shared.world().video_count(topic)
    }

    pub fn state(&self) -> SimState {
        let mut w = self.shared.world();
        SimState {
            now: w.now(),
            topics: w
                .topic_counts()
                .into_iter()
                .map(|(t, (videos, visible))| (t, TopicCounts { videos, visible }))
                .collect(),
            calls: w.stats.clone(),
            keys: w.known_keys(),
            faults: w.cfg.faults.clone(),
            off_topic: w.off_topic_counts(),
            planned_channels: w.plan_channel_ids().len(),
            hub: w.hub.stats_at(w.now()),
        }
    }
}
