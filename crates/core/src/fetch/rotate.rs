//! One page of `search.list`, rotating keys on key failures.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::{FetchError, Fetcher};
use crate::keys::{Acquired, KeyOutcome, KeyRing, KeyRingError};
use crate::source::{SearchPage, SearchRequest, VideoSource};
use crate::store::{FetchStateStore, VideoStore};
use crate::video::Topic;

/// Why a page could not be had.
pub(super) enum CallStop {
    /// Every key rests or is invalid; the earliest comes back then, if any will.
    NoKey(Option<DateTime<Utc>>),
    Fail(FetchError),
}

impl<S, V, F, K> Fetcher<S, V, F, K>
where
    S: VideoSource,
    V: VideoStore,
    F: FetchStateStore,
    K: KeyRing,
{
    /// One page for `topic`, adding every HTTP attempt to `calls`. Bounded: each acquire
    /// reserves budget and each key failure rests or retires a key, so the ring runs dry; the
    /// counter is a backstop.
    pub(super) async fn call(
        &self,
        topic: &Topic,
        now: DateTime<Utc>,
        req: &SearchRequest,
        calls: &mut u32,
    ) -> Result<SearchPage, CallStop> {
        let fail = |e: KeyRingError| CallStop::Fail(e.into());
        for _ in 0..64 {
            let key = match self.keys.acquire(now).await.map_err(fail)? {
                Acquired::Key(k) => k,
                Acquired::NoneUsable { next_usable_at } => {
                    info!(
                        target: "tubefeed::fetch",
                        topic = %topic,
                        next_key_at = next_usable_at.map(|t| t.to_rfc3339()),
                        "no API key usable now; spending nothing"
                    );
                    return Err(CallStop::NoKey(next_usable_at));
                }
            };
            let outcome = self.source.search(req, &key).await;
            *calls += outcome.attempts;
            match outcome.result {
                Ok(page) => {
                    self.keys
                        .report(key.fingerprint(), KeyOutcome::Success, now)
                        .await
                        .map_err(fail)?;
                    return Ok(page);
                }
                Err(e) => match e.key_outcome() {
                    Some(outcome) => {
                        warn!(
                            target: "tubefeed::fetch",
                            key = %key.fingerprint(),
                            kind = e.kind(),
                            "key failed; rotating"
                        );
                        self.keys
                            .report(key.fingerprint(), outcome, now)
                            .await
                            .map_err(fail)?;
                    }
                    None => return Err(CallStop::Fail(e.into())),
                },
            }
        }
        Err(CallStop::Fail(FetchError::Keys(KeyRingError::Store(
            "key rotation did not settle after 64 attempts".into(),
        ))))
    }
}
