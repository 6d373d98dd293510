//! [`SimControl`]'s hub methods: waiting for deliveries, looking at subscriptions, and forging
//! the hub's requests so a receiver can be tested against pushes and verifications it never
//! asked for.

use anyhow::anyhow;

use super::tasks::{ask, post_push};
use crate::control::SimControl;
use crate::hub::atom::{canonical_topic, push_body, self_topic, signature};
use crate::hub::request::DEFAULT_LEASE_SECONDS;
use crate::hub::{
    CallbackReply, HubDelivery, HubMode, HubRequest, HubSubscription, HubVerification, PushVideo,
    VerifyJob,
};
use crate::stats::HubStats;

impl SimControl {
    /// Waits until every hub job started so far has finished: verifications of intent answered
    /// to `POST /hub`, and pushes of every upload published so far (both copies with
    /// [`crate::SimConfig::push_repeat`]). Each call to a callback gives up after 10 s, so this
    /// returns even when a callback hangs. Call it after [`SimControl::advance`] or
    /// [`SimControl::add_video`] to see their pushes arrive. Not after
    /// [`crate::SimHandle::shutdown`]: pushes not yet handed out then never finish.
    pub async fn flush_pushes(&self) {
        let (target, signals) = {
            let w = self.shared.world();
            (w.hub.started(), w.hub.signals())
        };
        let mut done = signals.done.subscribe();
        // The sender lives in the world, which this handle keeps alive, so the channel cannot
        // close while we wait; an error would only mean there is nothing left to wait for.
        let _ = done.wait_for(|n| *n >= target).await;
    }

    /// Every subscription the hub holds, expired ones included (`active: false`), ordered by
    /// channel, callback and topic.
    pub fn hub_subscriptions(&self) -> Vec<HubSubscription> {
        let w = self.shared.world();
        w.hub.subscriptions(w.now())
    }

    /// The hub's counters (also in [`crate::SimState::hub`]).
    pub fn hub_stats(&self) -> HubStats {
        let w = self.shared.world();
        w.hub.stats_at(w.now())
    }

    /// Every verification of intent so far (the latest 10,000), oldest first, with its outcome.
    pub fn hub_verifications(&self) -> Vec<HubVerification> {
        self.shared.world().hub.verifications()
    }

    /// Every push delivery so far (the latest 10,000), oldest first, with the callback's status.
    pub fn hub_deliveries(&self) -> Vec<HubDelivery> {
        self.shared.world().hub.deliveries()
    }

    /// The document the hub would push for `video_id` to a subscriber of the channel's canonical
    /// topic. A video the simulator does not know gets placeholder title and author, so a test
    /// can forge a push for any id.
    pub fn push_body(&self, channel_id: &str, video_id: &str) -> String {
        let w = self.shared.world();
        let now = w.now();
        let known = w.video(video_id).filter(|v| v.channel_id == channel_id);
        let channel_title = w
            .channel(channel_id)
            .map_or_else(|| channel_id.to_owned(), |c| c.title.clone());
        let v = PushVideo {
            id: video_id.to_owned(),
            channel_id: channel_id.to_owned(),
            title: known.map_or_else(|| format!("Video {video_id}"), |v| v.title.clone()),
            published_at: known.map_or(now, |v| v.published_at),
            channel_title,
        };
        push_body(&canonical_topic(channel_id), &v, now)
    }

    /// POSTs a push in the hub's exact shape, but with no `X-Hub-Signature` header, as anyone
    /// who learnt the callback URL could. Not counted in [`SimControl::hub_stats`].
    pub async fn push_unsigned(
        &self,
        callback: &str,
        channel_id: &str,
        video_id: &str,
    ) -> anyhow::Result<CallbackReply> {
        let body = self.push_body(channel_id, video_id);
        self.push_raw(callback, &body, None).await
    }

    /// POSTs `body` signed with `secret` (a wrong one, to test rejection; the right one, to
    /// test acceptance).
    pub async fn push_with_secret(
        &self,
        callback: &str,
        secret: &str,
        body: &str,
    ) -> anyhow::Result<CallbackReply> {
        let sig = signature(secret, body.as_bytes());
        self.push_raw(callback, body, Some(&sig)).await
    }

    /// POSTs `body` with any `X-Hub-Signature` value (or none): a malformed header, another
    /// algorithm. The `Link` header names the body's `rel="self"` topic.
    pub async fn push_raw(
        &self,
        callback: &str,
        body: &str,
        signature_header: Option<&str>,
    ) -> anyhow::Result<CallbackReply> {
        let topic = self_topic(body);
        post_push(
            callback,
            topic.as_deref(),
            body,
            signature_header.map(str::to_owned),
        )
        .await
        .map_err(|e| anyhow!(e))
    }

    /// Sends `callback` a subscribe verification for the channel's canonical topic that nobody
    /// requested, and returns its answer (with the challenge sent: a receiver that echoes it
    /// would confirm a subscription it never asked for). Changes no subscription.
    pub async fn verify_unrequested(
        &self,
        callback: &str,
        channel_id: &str,
    ) -> anyhow::Result<CallbackReply> {
        let challenge = self.shared.world().hub.challenge();
        let job = VerifyJob {
            req: HubRequest {
                mode: HubMode::Subscribe,
                topic: canonical_topic(channel_id),
                channel_id: channel_id.to_owned(),
                callback: callback.to_owned(),
                secret: None,
                lease_seconds: DEFAULT_LEASE_SECONDS,
                verify_token: None,
            },
            challenge,
        };
        ask(&job).await.map_err(|e| anyhow!(e))
    }
}
