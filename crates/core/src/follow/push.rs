//! WebSub push for followed channels (optional: `WEBSUB_CALLBACK_URL`). YouTube's hub pushes a
//! channel's new uploads within seconds to a callback that subscribed to the channel's topic
//! URL. We subscribe the followed channels, renew each lease before it ends, and accept the
//! hub's verification only for a request we made recently. Feeds remain the floor: the public
//! hub has refused new subscriptions for weeks at a time.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::store::StoreError;
use crate::video::ChannelId;

/// The topic URL YouTube's hub knows a channel's uploads by.
pub fn push_topic_url(channel: &ChannelId) -> String {
    format!("https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel}")
}

/// The channel of a topic URL the hub names (any host: the simulator's hub echoes ours).
pub fn channel_of_topic_url(url: &str) -> Option<ChannelId> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("channel_id="))
        .and_then(|id| ChannelId::parse(id).ok())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushMode {
    Subscribe,
    Unsubscribe,
}

impl PushMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Unsubscribe => "unsubscribe",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "subscribe" => Some(Self::Subscribe),
            "unsubscribe" => Some(Self::Unsubscribe),
            _ => None,
        }
    }
}

/// What we asked the hub for one channel, and what the hub confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscription {
    pub channel_id: ChannelId,
    pub mode: PushMode,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
}

/// How long after our request the hub's verification is accepted.
pub const PENDING_WINDOW: Duration = Duration::hours(1);

/// Where subscriptions are kept: written by the scheduled function, confirmed by the API.
pub trait PushStore: Send + Sync {
    fn subscriptions(
        &self,
        channels: &[ChannelId],
    ) -> impl Future<Output = Result<Vec<PushSubscription>, StoreError>> + Send;
    /// Records a request about to be sent (verification may arrive before the hub answers).
    fn record_request(
        &self,
        sub: &PushSubscription,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The hub's verification of `mode` for `channel` with a lease of `lease`: `true`, and the
    /// lease recorded, only when we asked for exactly that within [`PENDING_WINDOW`] (every
    /// renewal is a new request, so a lease we hold is confirmed the same way).
    fn confirm(
        &self,
        channel: &ChannelId,
        mode: PushMode,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// One request to the hub; the client adds the callback and the secret it was built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRequest {
    pub mode: PushMode,
    pub channel: ChannelId,
    pub lease: Duration,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HubError {
    #[error("the hub refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("could not reach the hub: {0}")]
    Transport(String),
}

/// The WebSub hub (`https://pubsubhubbub.appspot.com/`, or the simulator's).
pub trait PushHub: Send + Sync {
    fn request(&self, req: &HubRequest) -> impl Future<Output = Result<(), HubError>> + Send;
}

/// When leases are asked for and renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushSettings {
    /// The lease asked for (YouTube's hub grants up to 10 days; 5 is its default).
    pub lease: Duration,
    /// A lease ending sooner than this is renewed (runs are minutes apart: one day is plenty).
    pub renew_before: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            lease: Duration::days(5),
            renew_before: Duration::days(1),
        }
    }
}

/// What the push step did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushSummary {
    /// Followed channels with a verified lease that is not ending soon.
    pub active: usize,
    /// Subscriptions asked for this run (first ones and renewals).
    pub requested: usize,
    /// Of them, renewals of a lease about to end.
    pub renewed: usize,
    /// Requests the hub refused or could not take.
    pub failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Keeps every followed channel subscribed.
pub struct Subscriber<'a, H, P> {
    pub hub: &'a H,
    pub store: &'a P,
    pub settings: PushSettings,
}

impl<H: PushHub, P: PushStore> Subscriber<'_, H, P> {
    pub async fn run(&self, followed: &[ChannelId], now: DateTime<Utc>) -> PushSummary {
        let mut out = PushSummary::default();
        let known = match self.store.subscriptions(followed).await {
            Ok(k) => k,
            Err(e) => {
                out.error = Some(crate::redact::redact(&e.to_string()));
                return out;
            }
        };
        for channel in followed {
            let sub = known.iter().find(|s| s.channel_id == *channel);
            match self.due(sub, now) {
                Due::No => out.active += usize::from(sub.is_some_and(|s| s.verified_at.is_some())),
                Due::Waiting => {}
                due @ (Due::First | Due::Renew) => {
                    let renew = matches!(due, Due::Renew);
                    if let Err(e) = self.subscribe(channel, sub, now).await {
                        tracing::warn!(target: "tubefeed::push", channel = %channel, error = %e, "subscription request failed");
                        out.failed += 1;
                        continue;
                    }
                    out.requested += 1;
                    out.renewed += usize::from(renew);
                }
            }
        }
        out
    }

    fn due(&self, sub: Option<&PushSubscription>, now: DateTime<Utc>) -> Due {
        let Some(s) = sub.filter(|s| s.mode == PushMode::Subscribe) else {
            return Due::First;
        };
        match s.lease_until {
            Some(until) if until - now > self.settings.renew_before => Due::No,
            Some(_) if now - s.requested_at < PENDING_WINDOW => Due::Waiting,
            Some(_) => Due::Renew,
            // Asked, not verified yet: wait for the hub, then ask again.
            None if now - s.requested_at < PENDING_WINDOW => Due::Waiting,
            None => Due::First,
        }
    }

    async fn subscribe(
        &self,
        channel: &ChannelId,
        previous: Option<&PushSubscription>,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let previous = previous.filter(|p| p.mode == PushMode::Subscribe);
        let sub = PushSubscription {
            channel_id: channel.clone(),
            mode: PushMode::Subscribe,
            requested_at: now,
            // A renewal keeps the lease in hand until the hub verifies the new one.
            verified_at: previous.and_then(|p| p.verified_at),
            lease_until: previous.and_then(|p| p.lease_until),
        };
        self.store
            .record_request(&sub)
            .await
            .map_err(|e| e.to_string())?;
        let req = HubRequest {
            mode: PushMode::Subscribe,
            channel: channel.clone(),
            lease: self.settings.lease,
        };
        self.hub.request(&req).await.map_err(|e| e.to_string())
    }
}

enum Due {
    No,
    Waiting,
    First,
    Renew,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_urls_round_trip() {
        let c = ChannelId::parse("UCabc_-123").unwrap();
        assert_eq!(channel_of_topic_url(&push_topic_url(&c)), Some(c));
        assert_eq!(
            channel_of_topic_url("https://x/feeds?channel_id=bad id"),
            None
        );
        assert_eq!(channel_of_topic_url("https://x/feeds"), None);
    }
}
