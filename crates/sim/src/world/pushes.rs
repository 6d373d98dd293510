//! Where uploads meet the WebSub hub: each upload is announced once, when it is published (at
//! insertion for generated ones and for injected ones already published, when the clock gets
//! there for injected ones published later).

use chrono::{DateTime, Utc};

use super::{Video, World};
use crate::hub::PushVideo;

impl World {
    /// Announces `v` to the hub at `at` (the moment it becomes known as published), or keeps it
    /// for later if `at` is still ahead of now.
    pub(super) fn announce_or_schedule(&mut self, v: &Video, at: DateTime<Utc>) {
        if at > self.now() {
            self.hub.schedule(at, &v.id);
        } else {
            self.announce(v, at);
        }
    }

    fn announce(&mut self, v: &Video, at: DateTime<Utc>) {
        // Most uploads have no subscriber: skip building anything for them.
        if !self.hub.has_subscribers(&v.channel_id) {
            return;
        }
        // The feed's author, so a push and the feed name the channel alike.
        let channel_title = self
            .channels
            .get(&v.channel_id)
            .map_or_else(|| v.channel_title.clone(), |c| c.title.clone());
        let pv = PushVideo {
            id: v.id.clone(),
            channel_id: v.channel_id.clone(),
            channel_title,
            title: v.title.clone(),
            published_at: v.published_at,
        };
        self.hub.announce(&pv, at);
    }

    /// Announces the scheduled uploads whose time has come (deleted ones are never pushed).
    pub(super) fn release_scheduled(&mut self) {
        let now = self.now();
        while let Some((at, id)) = self.hub.pop_due(now) {
            if self.is_deleted(&id) {
                continue;
            }
            if let Some(v) = self.find(&id).cloned() {
                self.announce(&v, at);
            }
        }
    }
}
