//! The port to where a topic's channels are kept between runs.

use std::future::Future;

use super::FollowState;
use crate::store::StoreError;
use crate::video::Topic;

/// Per-topic [`FollowState`], written with optimistic concurrency: runs may overlap (each
/// invocation reads the feeds), and the later writer must not silently undo the earlier one.
pub trait FollowStore: Send + Sync {
    /// The state and its version (0 when none is stored yet).
    fn load_follow(
        &self,
        topic: &Topic,
    ) -> impl Future<Output = Result<(FollowState, u64), StoreError>> + Send;

    /// Writes `state` as version `version + 1` only while the stored version is `version`;
    /// `Ok(false)` when another run wrote in between (this run's counts are then dropped: the
    /// videos it stored are stored all the same).
    fn save_follow(
        &self,
        topic: &Topic,
        state: &FollowState,
        version: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
