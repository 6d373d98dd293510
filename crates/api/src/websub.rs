//! The WebSub callback `/websub` (optional: off unless [`ApiState::with_websub`]).
//!
//! YouTube's hub (<https://pubsubhubbub.appspot.com/>) verifies each subscription we ask for with
//! a `GET` (WebSub §5.3), which is confirmed only when we asked for it recently, and then `POST`s
//! the new uploads of subscribed channels as Atom, signed with the secret we gave it (§8). The
//! store behind both is the app's, through [`PushInbox`]; this module is HTTP only.

mod signature;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretSlice};
use tubefeed_core::{ChannelId, FeedReader, PushMode, PushOutcome, StoreError};

use crate::{ApiError, ApiState};
pub use signature::SIGNATURE_HEADER;
use signature::Signature;

/// A boxed future, as `futures_util::future::BoxFuture` (the same type).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where verified hub messages go: implemented by the app over its store.
pub trait PushInbox: Send + Sync {
    /// The hub's verification: true when we asked for `mode` on `channel` recently.
    fn confirm(
        &self,
        channel: ChannelId,
        mode: PushMode,
        lease: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// A verified push's body (Atom): parse and store. Err(PushError::Malformed) for a body
    /// that is not a feed.
    fn receive(&self, body: String) -> BoxFuture<'_, Result<PushOutcome, PushError>>;
}

/// Why a verified push was not stored.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// Not an Atom feed of uploads: the hub is told `400` (and does not retry).
    #[error("not a feed: {0}")]
    Malformed(String),
    /// The store failed: the hub is told `503` and retries.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The callback's configuration: the secret the hub signs pushes with, and the inbox.
pub struct WebSub {
    pub secret: SecretSlice<u8>,
    pub inbox: Arc<dyn PushInbox>,
}

impl fmt::Debug for WebSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSub")
            .field("secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// The largest push body taken (YouTube's are a few KB).
pub const MAX_PUSH_BYTES: usize = 1 << 20;
/// The lease assumed when the hub's verification names none (the hub's own default).
pub const DEFAULT_LEASE: Duration = Duration::days(5);
/// The longest lease passed on: a longer one is taken as this.
pub const MAX_LEASE: Duration = Duration::days(30);
/// The longest `hub.challenge` echoed.
pub const MAX_CHALLENGE: usize = 1024;

impl<R> ApiState<R> {
    /// Answers `/websub` with `websub` (without it, the route is a `404`).
    pub fn with_websub(mut self, websub: WebSub) -> Self {
        if websub.secret.expose_secret().is_empty() {
            tracing::error!("the WebSub secret is empty: every push will be refused");
        }
        self.websub = Some(websub);
        self
    }
}

fn enabled<R>(st: &ApiState<R>) -> Result<&WebSub, ApiError> {
    st.websub
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("push is not enabled on this deployment".into()))
}

/// What a verification asks.
#[derive(Debug, PartialEq, Eq)]
enum Verification {
    /// Confirm (or not) that we asked for `mode` on `channel`; echo `challenge` if so.
    Confirm {
        channel: ChannelId,
        mode: PushMode,
        challenge: String,
        lease: Duration,
    },
    /// The hub refused a subscription (§5.2).
    Denied {
        channel: ChannelId,
        reason: Option<String>,
    },
}

/// `GET /websub`: the hub's verification of a subscription or unsubscription.
pub(crate) async fn verify<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let websub = enabled(&st)?;
    let (channel, mode, challenge, lease) = match parse_verification(query.as_deref())? {
        Verification::Denied { channel, reason } => {
            tracing::warn!(
                channel = %channel,
                reason = ?reason,
                "the WebSub hub denied a subscription"
            );
            return Ok(plain(String::new()));
        }
        Verification::Confirm {
            channel,
            mode,
            challenge,
            lease,
        } => (channel, mode, challenge, lease),
    };
    let asked = websub
        .inbox
        .confirm(channel.clone(), mode, lease)
        .await
        .map_err(|e| store_failure("websub verification", e))?;
    if !asked {
        tracing::warn!(
            channel = %channel,
            mode = mode.as_str(),
            "refused a WebSub verification we did not ask for"
        );
        return Err(ApiError::NotFound("no such subscription request".into()));
    }
    tracing::info!(
        channel = %channel,
        mode = mode.as_str(),
        lease_seconds = lease.num_seconds(),
        "WebSub verification confirmed"
    );
    Ok(plain(challenge))
}

/// A `text/plain` answer nobody may cache.
fn plain(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The first value of `name` in the query.
fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn parse_verification(query: Option<&str>) -> Result<Verification, ApiError> {
    let query = query.unwrap_or_default();
    let get = |name| query_param(query, name);
    let missing = |param| ApiError::bad(param, "missing");
    let mode = get("hub.mode").ok_or_else(|| missing("hub.mode"))?;
    let mode = match mode.as_str() {
        "denied" => None,
        other => Some(PushMode::parse(other).ok_or_else(|| {
            ApiError::bad("hub.mode", "must be subscribe, unsubscribe or denied")
        })?),
    };
    let topic = get("hub.topic").ok_or_else(|| missing("hub.topic"))?;
    let channel = tubefeed_core::channel_of_topic_url(&topic).ok_or_else(|| {
        ApiError::bad(
            "hub.topic",
            "must be a channel's uploads feed URL (…/feeds/videos.xml?channel_id=…)",
        )
    })?;
    // Whatever the mode, a parameter that is there must be valid.
    let lease = lease(get("hub.lease_seconds").as_deref())?;
    let challenge = get("hub.challenge").map(challenge).transpose()?;
    let Some(mode) = mode else {
        let reason = get("hub.reason").map(|r| r.chars().take(200).collect());
        return Ok(Verification::Denied { channel, reason });
    };
    let challenge = challenge.ok_or_else(|| missing("hub.challenge"))?;
    Ok(Verification::Confirm {
        channel,
        mode,
        challenge,
        lease,
    })
}

/// `hub.challenge`: echoed as it is, so only what is safe to echo in `text/plain`.
fn challenge(raw: String) -> Result<String, ApiError> {
    if (1..=MAX_CHALLENGE).contains(&raw.len()) && raw.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        Ok(raw)
    } else {
        Err(ApiError::bad(
            "hub.challenge",
            format!("must be 1 to {MAX_CHALLENGE} printable ASCII characters"),
        ))
    }
}

/// `hub.lease_seconds`: [`DEFAULT_LEASE`] when absent, at most [`MAX_LEASE`].
fn lease(raw: Option<&str>) -> Result<Duration, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LEASE);
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad(
            "hub.lease_seconds",
            "must be a whole number of seconds",
        ));
    }
    // Only digits: the one failure left is overflow, which the cap covers.
    let seconds = raw.parse::<i64>().unwrap_or(i64::MAX);
    Ok(Duration::try_seconds(seconds)
        .unwrap_or(MAX_LEASE)
        .min(MAX_LEASE))
}

/// `POST /websub`: a push of new uploads, signed by the hub.
pub(crate) async fn push<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let websub = enabled(&st)?;
    let signature = Signature::of(&headers).inspect_err(refused)?;
    let body = read_body(body, MAX_PUSH_BYTES).await?;
    if !signature.verifies(websub.secret.expose_secret(), &body) {
        let e = ApiError::Forbidden("signature does not match");
        refused(&e);
        return Err(e);
    }
    let body = String::from_utf8(body)
        .map_err(|_| ApiError::MalformedBody("a push body must be UTF-8 Atom".into()))?;
    match websub.inbox.receive(body).await {
        Ok(outcome) => {
            tracing::info!(
                entries = outcome.entries,
                topics = outcome.topics,
                on_topic = outcome.on_topic,
                new = outcome.new,
                "WebSub push stored"
            );
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(PushError::Malformed(why)) => {
            tracing::warn!(error = %why, "a signed WebSub push is not a feed");
            Err(ApiError::MalformedBody(format!(
                "not an Atom feed: {}",
                why.chars().take(200).collect::<String>()
            )))
        }
        // Whatever the store's trouble, the hub is asked to come back with the push.
        Err(PushError::Store(e)) => Err(ApiError::Unavailable(format!("websub push: {e}"))),
    }
}

fn refused(e: &ApiError) {
    tracing::warn!(reason = %e, "refused a WebSub push");
}

/// A store failure while verifying: `503` when it may pass, an opaque `500` otherwise.
fn store_failure(context: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::Unavailable(m) => ApiError::Unavailable(format!("{context}: {m}")),
        e => ApiError::Internal(format!("{context}: {e}")),
    }
}

/// The whole body, or `413` as soon as it is longer than `max` bytes.
async fn read_body(mut body: Body, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(max);
    if usize::try_from(body.size_hint().lower()).map_or(true, |n| n > max) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame
            .map_err(|e| ApiError::MalformedBody(format!("the body could not be read: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(q: &str) -> Result<Verification, String> {
        parse_verification(Some(q)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_first_of_repeated_parameters_counts() {
        let q = "hub.mode=unsubscribe&hub.mode=subscribe&hub.challenge=a+b%2Bc&hub.challenge=x\
                 &hub.topic=https://h/f?channel_id%3DUCx";
        assert_eq!(
            parsed(q),
            Ok(Verification::Confirm {
                channel: ChannelId::parse("UCx").unwrap(),
                mode: PushMode::Unsubscribe,
                challenge: "a b+c".into(),
                lease: DEFAULT_LEASE,
            })
        );
    }

    #[test]
    fn leases_are_whole_seconds_capped() {
        assert_eq!(lease(Some("0")).unwrap(), Duration::zero());
        assert_eq!(lease(Some("864000")).unwrap(), Duration::days(10));
        assert_eq!(lease(Some("99999999999999999999999")).unwrap(), MAX_LEASE);
        for bad in ["", "-1", "+1", "1.5", "1e3", " 1"] {
            assert!(lease(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
