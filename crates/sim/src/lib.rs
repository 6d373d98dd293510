//! A faithful, deterministic simulator of the YouTube Data API v3 `search.list` endpoint.
//!
//! It reproduces what a feed fetcher has to survive on the real service, modelled on captured
//! responses: HTML-escaped titles, descriptions cut to ~160 characters, opaque page tokens that
//! stop near 500 results, items repeated across page boundaries, videos that become searchable
//! minutes after publication, per-key daily budgets that reset at midnight Pacific Time, and the
//! exact error bodies for missing, invalid and disabled keys, exhausted quota, bad parameters and
//! backend trouble.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use chrono::{TimeZone, Utc};
//! use youtube_sim::{ClockMode, NewVideo, SimConfig, SimHandle};
//!
//! let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
//! let sim = SimHandle::start(SimConfig { clock: ClockMode::Manual(t0), ..SimConfig::default() }).await?;
//! let ctl = sim.control();
//! ctl.add_video(NewVideo::new("cricket", t0));
//! // GET {base_url}/search?part=snippet&type=video&order=date&q=cricket&key=sim-key-1
//! println!("{}", sim.base_url);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # HTTP surface
//!
//! * `GET /youtube/v3/search` and `GET /search`: search.list.
//! * `GET /youtube/v3/videos` and `GET /videos`: videos.list by `id` (see below).
//! * `GET /_sim/state`: [`SimState`] (clock, videos per topic, call statistics, budgets, faults).
//! * `POST /_sim/advance` `{"seconds": N}`: [`SimControl::advance`]; answers the new state.
//! * `POST /_sim/videos`: a [`NewVideo`] (`published_at` optional, default now); answers
//!   `201 {"video_id"}`.
//! * `POST /_sim/burst` `{"topic", "count", "start"?, "spacing_seconds"?}`: spacing defaults to
//!   1 s and start to the instant that makes the last video published now; answers
//!   `201 {"video_ids": [...]}`.
//! * `PUT /_sim/faults` (a [`FaultPlan`], missing fields = default), `GET /_sim/faults`.
//! * `PUT /_sim/keys/{key}/calls_left` `{"calls_left": N}`; `PUT /_sim/keys/{key}/units_left`
//!   `{"units_left": N}` for the project's unit pool.
//! * `DELETE /_sim/videos/{id}`: the video is deleted (gone from search and videos.list).
//!
//! # search.list behaviour
//!
//! Admission happens in Google's order: [`FaultPlan`] faults (not billed), then the key (missing:
//! 403 `forbidden`; disabled: 403 `accessNotConfigured`; unknown: the [`InvalidKeyShape`] 400;
//! none of these is billed), then the daily budget ([`QuotaErrorShape`] once spent), which is
//! charged before the parameters are validated, so a 400 costs a call like on YouTube.
//!
//! Results are computed afresh on each call: visible videos (`indexed_at <= now`) matching every
//! word of `q` in topic, title or description, within the inclusive `publishedAfter` /
//! `publishedBefore` bounds, newest first with ties broken by video id descending. Every `order`
//! value behaves like `date`. Page tokens encode an offset and a hash of the query, so a token
//! replayed with another `q`, `order`, `type`, `eventType`, date bounds or `maxResults` is a 400
//! `invalidPageToken`. `maxResults=0` yields an empty page without `nextPageToken`. `type` without
//! `video` finds nothing (only videos exist here); `eventType=live|upcoming|completed` filters by
//! broadcast state. `totalResults` is exact below 1000 matches and `1000000` above.
//!
//! # videos.list behaviour
//!
//! The same key checks, then one unit from the project's pool of
//! [`SimConfig::daily_units_per_project`] (reset at midnight Pacific; spent: 403
//! `quotaExceeded`), then `part` (required, each a real part name, else 400 `unknownPart`) and
//! `id` (required here; more than 50 distinct ids is a 400). Items come in the order asked,
//! once each; deleted ids are missing. Details are drawn from a hash of the id (see
//! [`DetailsOverride`] to fix them): a share of ordinary uploads are Shorts
//! ([`SimConfig::shorts_share`]), portrait or square and at most 180 s; live and upcoming
//! broadcasts are `P0D` with `liveStreamingDetails`; view counts grow with age; the language
//! follows the title's script. `player.embedWidth`/`embedHeight` follow the video's frame, only
//! when `maxWidth` or `maxHeight` is given. `fields` is not applied. [`FaultPlan::videos_unavailable`]
//! turns every call into a 503.

mod config;
mod control;
mod details;
mod errors;
mod fields;
mod generate;
mod ids;
mod json;
mod search;
mod server;
mod stats;
mod tokens;
mod videos;
mod world;

pub use config::{
    ClockMode, DetailsOverride, FaultPlan, InvalidKeyShape, LiveState, NewVideo, QuotaErrorShape,
    Shape, SimConfig,
};
pub use control::SimControl;
pub use server::SimHandle;
pub use stats::{CallStats, SimState, TopicCounts};
