//! The topics' channels in memory, with the versions the DynamoDB adapter checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::MemStore;
use crate::follow::{FollowState, FollowStore};
use crate::store::StoreError;
use crate::video::Topic;

pub(super) type Follows = Arc<Mutex<HashMap<Topic, (FollowState, u64)>>>;

impl FollowStore for MemStore {
    async fn load_follow(&self, topic: &Topic) -> Result<(FollowState, u64), StoreError> {
        let all = self.follows.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(all.get(topic).cloned().unwrap_or_default())
    }

    async fn save_follow(
        &self,
        topic: &Topic,
        state: &FollowState,
        version: u64,
    ) -> Result<bool, StoreError> {
        let mut all = self.follows.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = all.get(topic).map_or(0, |(_, v)| *v);
        if stored != version {
            return Ok(false);
        }
        all.insert(topic.clone(), (state.clone(), version + 1));
        Ok(true)
    }
}
