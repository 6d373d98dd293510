//! The topics' channels in memory, with the versions the DynamoDB adapter checks, and the
//! WebSub subscriptions with the same verification rule.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use super::MemStore;
use crate::follow::{
    FollowState, FollowStore, PENDING_WINDOW, PushMode, PushStore, PushSubscription,
};
use crate::store::StoreError;
use crate::video::{ChannelId, Topic};

pub(super) type Follows = Arc<Mutex<HashMap<Topic, (FollowState, u64)>>>;
pub(super) type Pushes = Arc<Mutex<HashMap<ChannelId, PushSubscription>>>;

impl PushStore for MemStore {
    async fn subscriptions(
        &self,
        channels: &[ChannelId],
    ) -> Result<Vec<PushSubscription>, StoreError> {
        let all = self.pushes.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(channels
            .iter()
            .filter_map(|c| all.get(c).cloned())
            .collect())
    }

    async fn record_request(&self, sub: &PushSubscription) -> Result<(), StoreError> {
        let mut all = self.pushes.lock().unwrap_or_else(PoisonError::into_inner);
        all.insert(sub.channel_id.clone(), sub.clone());
        Ok(())
    }

    async fn confirm(
        &self,
        channel: &ChannelId,
        mode: PushMode,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut all = self.pushes.lock().unwrap_or_else(PoisonError::into_inner);
        match all.get_mut(channel) {
            Some(s) if s.mode == mode && now - s.requested_at <= PENDING_WINDOW => {
                s.verified_at = Some(now);
                s.lease_until = (mode == PushMode::Subscribe).then(|| now + lease);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

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
