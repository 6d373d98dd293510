//! Configuration of a simulated YouTube: who may call it, how it fails and how fast it fills.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything that shapes one simulator instance.
///
/// Build it with struct-update syntax so new fields never break callers:
/// `SimConfig { clock: ClockMode::Manual(t0), ..SimConfig::default() }`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds every random choice (video ids, generated content, arrival times, 500 faults),
    /// so two simulators with the same seed and the same calls behave identically.
    pub seed: u64,
    /// Topics that receive generated videos at `rate_per_minute`. Videos injected through
    /// [`crate::SimControl::add_video`] may use any topic.
    pub topics: Vec<String>,
    /// Mean number of generated videos per topic per minute of simulated time (0 = none).
    pub rate_per_minute: f64,
    /// Keys that are accepted. Any other key gets the invalid-key error.
    pub valid_keys: Vec<String>,
    /// Keys of a project whose YouTube Data API is not enabled: 403 `accessNotConfigured`.
    /// Checked before `valid_keys`.
    pub disabled_keys: Vec<String>,
    /// search.list calls one Google Cloud project may make per Pacific-time day (its own bucket
    /// since the 2026-06-01 quota change). Quota belongs to the project, not to the key: keys
    /// of one project (see `projects`) share it; a key in no named project is alone in one.
    pub daily_calls_per_key: u32,
    /// Google Cloud projects by key: `key → project name`. Keys naming the same project draw
    /// on one bucket. A key missing here is the only key of a project of its own.
    pub projects: BTreeMap<String, String>,
    /// Per-project exceptions to `daily_calls_per_key` (a project with an audited, larger quota).
    pub project_daily_calls: BTreeMap<String, u32>,
    /// Units one project may spend per Pacific-time day on every method but search.list
    /// (`videos.list` costs 1 unit a call of up to 50 ids).
    pub daily_units_per_project: u32,
    /// Share (0..=1) of generated ordinary uploads that are Shorts (at most 180 s, portrait or
    /// square); live and upcoming broadcasts never are.
    pub shorts_share: f64,
    /// Per-topic exceptions to `shorts_share`.
    pub shorts_share_by_topic: BTreeMap<String, f64>,
    /// Which of the real quota-exhausted bodies to answer with.
    pub quota_error: QuotaErrorShape,
    /// Per-key exceptions to `quota_error`: keys of different projects meet different
    /// generations of the quota error, and a client must handle them side by side.
    pub quota_error_by_key: BTreeMap<String, QuotaErrorShape>,
    /// Which of the real invalid-key bodies to answer with.
    pub invalid_key_shape: InvalidKeyShape,
    /// Paging stops here: no result at index `>= result_cap` is ever returned and
    /// `nextPageToken` disappears (real YouTube stops near 500 for a `q` search).
    pub result_cap: usize,
    /// When true every page after the first starts with the last item of the page before, as in
    /// the real `search_keywords_page1/2` capture.
    pub repeat_across_pages: bool,
    /// Fraction (0..=1) of generated videos that become searchable only `late_delay` after
    /// publication; the others are indexed 0–30 s after publication.
    pub late_fraction: f64,
    /// How late the late fraction is indexed.
    pub late_delay: Duration,
    /// Where "now" comes from.
    pub clock: ClockMode,
    /// Injected failures; can be replaced at run time with [`crate::SimControl::set_faults`].
    pub faults: FaultPlan,
    /// History generated at start-up: with a positive `rate_per_minute`, videos are generated as
    /// if the simulator had already been running for this long.
    pub backfill: Duration,
    /// Who uploads the generated videos. `None` keeps the small built-in set of sports channels
    /// and no off-topic uploads (the streams every existing test was written against).
    pub channels: Option<ChannelPlan>,
    /// The WebSub hub (`POST /hub`) delivers every push twice, as the real hub does now and
    /// then (a retry after a lost answer), so a receiver can prove it is idempotent.
    pub push_repeat: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            topics: vec!["cricket".to_owned()],
            rate_per_minute: 0.0,
            valid_keys: vec!["sim-key-1".to_owned(), "sim-key-2".to_owned()],
            disabled_keys: Vec::new(),
            daily_calls_per_key: 100,
            projects: BTreeMap::new(),
            project_daily_calls: BTreeMap::new(),
            daily_units_per_project: 10_000,
            shorts_share: 0.3,
            shorts_share_by_topic: BTreeMap::new(),
            quota_error: QuotaErrorShape::default(),
            quota_error_by_key: BTreeMap::new(),
            invalid_key_shape: InvalidKeyShape::default(),
            result_cap: 500,
            repeat_across_pages: false,
            late_fraction: 0.0,
            late_delay: Duration::from_secs(240),
            clock: ClockMode::Real,
            faults: FaultPlan::default(),
            backfill: Duration::ZERO,
            channels: None,
            push_repeat: false,
        }
    }
}

/// A population of channels with a realistic skew: a few busy channels post most of a topic's
/// videos, and every channel also posts things no topic search finds.
///
/// Channel `n` (0-based rank, 0 = busiest) is titled `Sim Channel {n}` and its id is derived
/// from that title, so it looks like a real `UC…` id and is the same in every run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelPlan {
    /// Channels in the plan (0 = no plan).
    pub count: usize,
    /// How many of them (ranks `0..top`) are the busy ones.
    pub top: usize,
    /// Share (0..=1) of a topic's generated videos posted by the `top` channels, chosen
    /// uniformly among them; the rest come uniformly from ranks `top..count`.
    pub top_share: f64,
    /// Off-topic uploads per generated on-topic upload (a second Poisson stream per topic at
    /// `rate_per_minute * off_topic_per_on_topic`, posted by the same channel distribution).
    /// They show up in channel feeds and `videos.list`, never in `search.list`.
    pub off_topic_per_on_topic: f64,
}

impl Default for ChannelPlan {
    fn default() -> Self {
        ChannelPlan {
            count: 300,
            top: 50,
            top_share: 0.8,
            off_topic_per_on_topic: 0.5,
        }
    }
}

/// The source of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Wall-clock time, shifted by whatever [`crate::SimControl::advance`] added. Generation
    /// happens lazily, on each request, for the time that elapsed.
    Real,
    /// Starts at the given instant and moves only through [`crate::SimControl::advance`] or
    /// `POST /_sim/advance`; this is what deterministic tests want.
    Manual(DateTime<Utc>),
}

/// The body and status sent when a key's daily budget is spent. All three are real captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaErrorShape {
    /// 403 `youtube.quota` / `quotaExceeded`, message with an `<a href>` (the long-standing form).
    #[default]
    Legacy403,
    /// 403 `usageLimits` / `dailyLimitExceeded`, "... reset at midnight Pacific Time (PT) ...".
    Daily403,
    /// 429 `global` / `rateLimitExceeded`, "... limit 'Search Queries per day' ..." (the 2026
    /// per-day search bucket).
    PerDay429,
}

/// The body sent for a key that is not known at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidKeyShape {
    /// 400 `global` / `badRequest`, `status: INVALID_ARGUMENT`, `details[0].reason: API_KEY_INVALID`.
    #[default]
    Modern400,
    /// 400 `usageLimits` / `keyInvalid`, message "Bad Request".
    Legacy400,
}

/// Injected failures for `GET /youtube/v3/search`.
///
/// Every search request gets a call number, counted from 1 across all keys (and including
/// requests without or with a bad key). Rules are checked in this order before anything else,
/// and the first that applies decides the answer:
///
/// 1. `server_error_after_calls = Some(n)`: calls numbered `> n` answer 503 `backendError`
///    (the legacy body from the real capture), until `server_error_count` such answers have been
///    given (`None` = forever).
/// 2. `status_500_fraction = f`: the call answers 500 `backendError` when a hash of
///    `(seed, call number)` falls below `f`; the same seed and call number always decide the same
///    way, so a test with `f = 1.0` always fails and `0.0` never does.
/// 3. `malformed_after_calls = Some(n)`: calls numbered `> n` answer 200 with a truncated JSON
///    body, until `malformed_count` such answers have been given (`None` = forever).
///
/// `slow_ms` delays every search answer, faulty or not. A fault answer counts in
/// [`crate::CallStats`] but costs no quota: real backend errors are not billed, whereas
/// invalid requests (400) are.
///
/// The `feed*` fields apply only to `GET /feeds/videos.xml`, which has its own call numbers, so
/// they never change what search or `videos.list` answer; `hub_down` applies only to the WebSub
/// hub.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    pub server_error_after_calls: Option<u64>,
    pub server_error_count: Option<u64>,
    pub malformed_after_calls: Option<u64>,
    pub malformed_count: Option<u64>,
    pub slow_ms: Option<u64>,
    pub status_500_fraction: f64,
    /// While true, every `videos.list` call answers 503 `backendError` (not billed); search is
    /// unaffected.
    pub videos_unavailable: bool,
    /// Fraction (0..=1) of feed requests answered `500` with an HTML body, decided by a hash of
    /// `(seed, feed request number)` like `status_500_fraction`.
    pub feed_error_fraction: f64,
    /// While true, every feed request answers `503` (checked before `feed_error_fraction`).
    pub feeds_down: bool,
    /// Delays every feed answer by this many milliseconds.
    pub feed_slow_ms: Option<u64>,
    /// While true, `POST /hub` answers `503` and nothing is verified, as during the 2026 hub
    /// outages that refused new subscriptions for weeks. Subscriptions verified before keep
    /// receiving pushes until their lease ends; their renewals are refused like new ones.
    pub hub_down: bool,
}

/// `snippet.liveBroadcastContent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveState {
    #[default]
    None,
    Upcoming,
    Live,
}

impl LiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::None => "none",
            LiveState::Upcoming => "upcoming",
            LiveState::Live => "live",
        }
    }
}

/// A video to inject. Every `None` is filled in with generated, realistic content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVideo {
    pub topic: String,
    /// Truncated to whole seconds, as YouTube timestamps are.
    pub published_at: DateTime<Utc>,
    /// When the video becomes searchable; `None` = at `published_at`.
    #[serde(default)]
    pub indexed_at: Option<DateTime<Utc>>,
    /// Raw (unescaped) title; the simulator HTML-escapes it in responses like YouTube does.
    #[serde(default)]
    pub title: Option<String>,
    /// Raw description; returned unescaped, cut to about 160 characters.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub channel_title: Option<String>,
    #[serde(default)]
    pub live: Option<LiveState>,
    /// Length, shape and language for `videos.list`; unset fields are drawn as for a
    /// generated video.
    #[serde(default, flatten)]
    pub details: DetailsOverride,
}

impl NewVideo {
    /// A video with generated content, searchable from `published_at` on.
    pub fn new(topic: impl Into<String>, published_at: DateTime<Utc>) -> Self {
        NewVideo {
            topic: topic.into(),
            published_at,
            indexed_at: None,
            title: None,
            description: None,
            channel_id: None,
            channel_title: None,
            live: None,
            details: DetailsOverride::default(),
        }
    }
}

/// A video's frame, which `player.embedWidth`/`embedHeight` follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// 16:9.
    Landscape,
    /// 9:16, as Shorts usually are.
    Portrait,
    /// 1:1.
    Square,
}

impl Shape {
    /// Width and height of the frame, in the ratio the player keeps.
    pub(crate) fn ratio(self) -> (u32, u32) {
        match self {
            Shape::Landscape => (16, 9),
            Shape::Portrait => (9, 16),
            Shape::Square => (1, 1),
        }
    }
}

/// Overrides for an injected video's details; `None` = drawn like a generated video's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailsOverride {
    pub duration_seconds: Option<u32>,
    pub shape: Option<Shape>,
    /// `snippet.defaultAudioLanguage` (a BCP 47 tag such as `en-US`); `""` = none declared.
    pub audio_language: Option<String>,
}
