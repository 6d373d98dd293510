//! A WebSub hub that behaves like YouTube's (`https://pubsubhubbub.appspot.com/`).
//!
//! `POST /hub` takes a form-encoded subscribe or unsubscribe request, answers `202` at once and
//! then verifies the subscriber's intent with a `GET` on its callback, in a task of its own.
//! Verified subscriptions hold a lease on the simulator's clock; while it runs, every upload of
//! the channel that becomes published is POSTed to the callback as an Atom document, signed with
//! HMAC-SHA1 when the subscriber gave a secret.
//!
//! The state lives in the [`crate::world::World`] (one lock for everything, so an upload and the
//! subscriptions it is pushed to are decided together); the network calls never happen under
//! that lock. Uploads only queue push jobs in the world; a dispatcher task (see
//! `hub_runtime::tasks::dispatch`) takes them out and delivers them, because the world may be touched from
//! threads outside any Tokio runtime (a synchronous [`crate::SimControl::advance`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use crate::ids;
use crate::stats::HubStats;

pub(crate) mod atom;
pub(crate) mod http;
pub(crate) mod request;

pub use http::CallbackReply;
pub(crate) use request::HubRequest;

/// How many verification and delivery records are kept for introspection (the oldest go first),
/// so a long benchmark cannot grow them without bound.
const LOG_CAP: usize = 10_000;

/// `hub.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HubMode {
    Subscribe,
    Unsubscribe,
}

impl HubMode {
    pub fn as_str(self) -> &'static str {
        match self {
            HubMode::Subscribe => "subscribe",
            HubMode::Unsubscribe => "unsubscribe",
        }
    }
}

/// What became of one verification of intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerificationOutcome {
    /// A 2xx whose body was exactly the challenge.
    Verified,
    /// The callback answered with a status outside 2xx.
    Refused { status: u16 },
    /// A 2xx whose body was not the challenge (the first 200 characters of it).
    WrongChallenge { status: u16, body: String },
    /// No HTTP answer: connection refused, timeout, garbage, or an `https` callback (the
    /// simulator speaks plain HTTP only).
    Unreachable { error: String },
}

impl VerificationOutcome {
    pub fn is_verified(&self) -> bool {
        matches!(self, VerificationOutcome::Verified)
    }
}

/// A subscription the hub holds (verified at least once, not unsubscribed). Expired ones stay
/// listed with `active: false` until renewed or unsubscribed, so a test can see why pushes stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSubscription {
    pub callback: String,
    /// The topic URL exactly as the subscriber sent it (pushes name it in `rel="self"`).
    pub topic: String,
    pub channel_id: String,
    /// Simulated time of the last successful (subscribe) verification.
    pub verified_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The lease granted (after clamping).
    pub lease_seconds: u64,
    pub has_secret: bool,
    /// `expires_at` is still ahead of the simulated now.
    pub active: bool,
    /// The latest verification for this callback and topic, successful or not: a failed
    /// renewal leaves the subscription as it was and shows up here.
    pub last_verification: VerificationOutcome,
}

/// One verification of intent, successful or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubVerification {
    /// Simulated time the callback's answer was recorded.
    pub at: DateTime<Utc>,
    pub mode: HubMode,
    pub callback: String,
    pub topic: String,
    pub channel_id: String,
    pub outcome: VerificationOutcome,
}

/// One push delivery (each repeat of [`crate::SimConfig::push_repeat`] is its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubDelivery {
    /// Simulated time the callback's answer was recorded.
    pub at: DateTime<Utc>,
    pub callback: String,
    pub channel_id: String,
    pub video_id: String,
    /// An `X-Hub-Signature` header was sent.
    pub signed: bool,
    /// The callback's status; `None` when it did not answer.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Wakes the dispatcher and counts finished hub jobs, shared by the world and the tasks.
pub(crate) struct Signals {
    /// Notified whenever push jobs are queued.
    pub wake: Notify,
    /// Hub jobs (verifications and push jobs) finished so far.
    pub done: watch::Sender<u64>,
}

/// One verification to run: everything the callback is told, and the subscription to apply.
#[derive(Debug, Clone)]
pub(crate) struct VerifyJob {
    pub req: HubRequest,
    pub challenge: String,
}

/// One upload to POST to one subscriber.
#[derive(Debug, Clone)]
pub(crate) struct PushJob {
    pub callback: String,
    pub topic: String,
    pub secret: Option<String>,
    pub channel_id: String,
    pub video_id: String,
    pub body: String,
}

/// What a push says about an upload.
pub(crate) struct PushVideo {
    pub id: String,
    pub channel_id: String,
    pub channel_title: String,
    pub title: String,
    pub published_at: DateTime<Utc>,
}

struct Sub {
    secret: Option<String>,
    lease_seconds: u64,
    verified_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last: VerificationOutcome,
}

/// `(channel id, callback, topic)`: the channel first, so an upload finds its subscribers with
/// one range scan. Callback and topic make the subscription, as on the real hub.
type SubKey = (String, String, String);

/// The hub's part of the world.
pub(crate) struct HubState {
    subs: BTreeMap<SubKey, Sub>,
    /// Uploads injected with a future `published_at`, announced when the clock gets there.
    scheduled: BTreeSet<(DateTime<Utc>, String)>,
    outbox: Vec<PushJob>,
    pub stats: HubStats,
    verifications: VecDeque<HubVerification>,
    deliveries: VecDeque<HubDelivery>,
    /// Hub jobs started so far; [`Signals::done`] catches up with it.
    started: u64,
    /// Challenges come from a stream of their own, so the hub never shifts what search,
    /// feeds or `videos.list` draw.
    challenge_rng: Rng,
    signals: Arc<Signals>,
}

impl HubState {
    pub(crate) fn new(seed: u64) -> HubState {
        HubState {
            subs: BTreeMap::new(),
            scheduled: BTreeSet::new(),
            outbox: Vec::new(),
            stats: HubStats::default(),
            verifications: VecDeque::new(),
            deliveries: VecDeque::new(),
            started: 0,
            challenge_rng: Rng::with_seed(ids::hash64(&[b"hub-challenge", &seed.to_le_bytes()])),
            signals: Arc::new(Signals {
                wake: Notify::new(),
                done: watch::Sender::new(0),
            }),
        }
    }

    pub(crate) fn signals(&self) -> Arc<Signals> {
        self.signals.clone()
    }

    /// Hub jobs started so far (what [`crate::SimControl::flush_pushes`] waits for).
    pub(crate) fn started(&self) -> u64 {
        self.started
    }

    /// A fresh challenge: 27 characters of base64url.
    pub(crate) fn challenge(&mut self) -> String {
        let n = self.challenge_rng.u64(..);
        ids::etag(&[b"challenge", &n.to_le_bytes()])
    }

    /// Counts a verification about to run.
    pub(crate) fn start_verification(&mut self, req: HubRequest) -> VerifyJob {
        self.started += 1;
        let challenge = self.challenge();
        VerifyJob { req, challenge }
    }

    /// Applies a verification's result: a confirmed subscribe starts or renews the lease, a
    /// confirmed unsubscribe ends the subscription, anything else changes nothing but the record.
    pub(crate) fn finish_verification(
        &mut self,
        job: &VerifyJob,
        outcome: VerificationOutcome,
        now: DateTime<Utc>,
    ) {
        let r = &job.req;
        let key = (r.channel_id.clone(), r.callback.clone(), r.topic.clone());
        match (&outcome, r.mode) {
            (VerificationOutcome::Verified, HubMode::Subscribe) => {
                let lease = i64::try_from(r.lease_seconds).unwrap_or(i64::MAX);
                let sub = Sub {
                    secret: r.secret.clone(),
                    lease_seconds: r.lease_seconds,
                    verified_at: now,
                    expires_at: now + Duration::seconds(lease),
                    last: VerificationOutcome::Verified,
                };
                self.subs.insert(key, sub);
            }
            (VerificationOutcome::Verified, HubMode::Unsubscribe) => {
                self.subs.remove(&key);
            }
            _ => {
                if let Some(sub) = self.subs.get_mut(&key) {
                    sub.last = outcome.clone();
                }
            }
        }
        if outcome.is_verified() {
            self.stats.verifications_ok += 1;
        } else {
            self.stats.verifications_failed += 1;
        }
        push_capped(
            &mut self.verifications,
            HubVerification {
                at: now,
                mode: r.mode,
                callback: r.callback.clone(),
                topic: r.topic.clone(),
                channel_id: r.channel_id.clone(),
                outcome,
            },
        );
    }

    pub(crate) fn has_subscribers(&self, channel_id: &str) -> bool {
        self.subscribers(channel_id).next().is_some()
    }

    fn subscribers<'a>(
        &'a self,
        channel_id: &'a str,
    ) -> impl Iterator<Item = (&'a SubKey, &'a Sub)> {
        let from = (channel_id.to_owned(), String::new(), String::new());
        self.subs
            .range(from..)
            .take_while(move |((c, _, _), _)| c == channel_id)
    }

    /// Queues a push of `v` to every subscriber of its channel whose lease runs past `at` (the
    /// moment the real hub would have pushed it).
    pub(crate) fn announce(&mut self, v: &PushVideo, at: DateTime<Utc>) {
        let jobs: Vec<PushJob> = self
            .subscribers(&v.channel_id)
            .filter(|(_, s)| s.expires_at > at)
            .map(|((_, callback, topic), s)| PushJob {
                callback: callback.clone(),
                topic: topic.clone(),
                secret: s.secret.clone(),
                channel_id: v.channel_id.clone(),
                video_id: v.id.clone(),
                body: atom::push_body(topic, v, at),
            })
            .collect();
        if jobs.is_empty() {
            return;
        }
        self.started += jobs.len() as u64;
        self.outbox.extend(jobs);
        self.signals.wake.notify_one();
    }

    /// Remembers an upload published after now, to announce it when the clock gets there.
    pub(crate) fn schedule(&mut self, at: DateTime<Utc>, video_id: &str) {
        self.scheduled.insert((at, video_id.to_owned()));
    }

    /// The next scheduled upload due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, String)> {
        if self.scheduled.first().is_some_and(|(at, _)| *at <= now) {
            self.scheduled.pop_first()
        } else {
            None
        }
    }

    pub(crate) fn take_outbox(&mut self) -> Vec<PushJob> {
        std::mem::take(&mut self.outbox)
    }

    pub(crate) fn record_delivery(&mut self, d: HubDelivery) {
        if d.status.is_some_and(|s| (200..300).contains(&s)) {
            self.stats.pushes_delivered += 1;
        } else {
            self.stats.pushes_failed += 1;
        }
        push_capped(&mut self.deliveries, d);
    }

    pub(crate) fn stats_at(&self, now: DateTime<Utc>) -> HubStats {
        HubStats {
            active_subscriptions: self.subs.values().filter(|s| s.expires_at > now).count(),
            ..self.stats.clone()
        }
    }

    pub(crate) fn subscriptions(&self, now: DateTime<Utc>) -> Vec<HubSubscription> {
        self.subs
            .iter()
            .map(|((channel_id, callback, topic), s)| HubSubscription {
                callback: callback.clone(),
                topic: topic.clone(),
                channel_id: channel_id.clone(),
                verified_at: s.verified_at,
                expires_at: s.expires_at,
                lease_seconds: s.lease_seconds,
                has_secret: s.secret.is_some(),
                active: s.expires_at > now,
                last_verification: s.last.clone(),
            })
            .collect()
    }

    pub(crate) fn verifications(&self) -> Vec<HubVerification> {
        self.verifications.iter().cloned().collect()
    }

    pub(crate) fn deliveries(&self) -> Vec<HubDelivery> {
        self.deliveries.iter().cloned().collect()
    }
}

fn push_capped<T>(log: &mut VecDeque<T>, item: T) {
    if log.len() == LOG_CAP {
        log.pop_front();
    }
    log.push_back(item);
}
