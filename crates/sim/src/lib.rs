//! A faithful, deterministic simulator of the YouTube Data API v3 `search.list` endpoint (with
//! `videos.list`, the public channel feeds and the WebSub hub that pushes new uploads beside it).
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
//! * `GET /feeds/videos.xml?channel_id=UC…`: a channel's Atom feed (see below);
//!   [`SimHandle::feed_url`] builds the URL.
//! * `POST /hub` (also `POST /subscribe`): the WebSub hub (see below); [`SimHandle::hub_url`].
//! * `GET /_sim/state`: [`SimState`] (clock, videos per topic, call statistics, budgets, faults,
//!   hub counters).
//! * `GET /_sim/hub`: `{"stats", "subscriptions", "verifications", "deliveries"}` (see
//!   [`SimControl::hub_stats`] and its siblings).
//! * `GET /_sim/channels`: `{"channel_ids": [...]}`, the [`ChannelPlan`]'s channels busiest first.
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
//!
//! # Channels and their feeds
//!
//! Without [`SimConfig::channels`], generated videos come from ~30 built-in sports channels.
//! With a [`ChannelPlan`], each topic's videos are posted by `count` channels titled
//! `Sim Channel {n}` (`n` = rank, 0 = busiest; [`SimControl::channel_ids`] lists their ids),
//! the `top` busiest posting `top_share` of them; the uploader is drawn from a random stream of
//! its own, so every on-topic id, title and time is the same as without a plan. Each topic also
//! gets a second Poisson stream of **off-topic** uploads (cooking, travel, music, vlogs) at
//! `rate_per_minute * off_topic_per_on_topic`, by the same channels, whose title and description
//! contain no word of any configured topic, not even inside another word. Off-topic uploads are
//! never returned by `search.list` (whatever `q`), count for no topic in [`SimState::topics`]
//! (see [`SimState::off_topic`]) and are found by `videos.list` and in their channel's feed.
//!
//! `GET /feeds/videos.xml?channel_id=…` answers like YouTube: no key (a `key` parameter is
//! ignored), no quota, `200 text/xml; charset=UTF-8` with the channel's 15 newest uploads
//! published at or before now (on- and off-topic, not deleted), newest first, **whatever their
//! `indexed_at`**: an upload is in its channel's feed before search can find it. Titles and
//! descriptions are the full plain text, XML-escaped. `ETag` (over the entries' ids and update
//! times; growing view counts do not change it) and `Last-Modified` (the newest entry's
//! publication, or the channel's creation) allow `304 Not Modified` on `If-None-Match`, or on
//! `If-Modified-Since` when no `If-None-Match` is sent. A channel nobody planned and nobody
//! uploaded to is a `404`, a missing or malformed `channel_id` a `400`, both with Google's HTML
//! error page. [`FaultPlan::feeds_down`] (503), [`FaultPlan::feed_error_fraction`] (500) and
//! [`FaultPlan::feed_slow_ms`] act on feeds only; feed requests are counted apart
//! ([`CallStats::feed_requests`], [`SimControl::feed_stats`]).
//!
//! # WebSub hub
//!
//! `POST /hub` behaves like YouTube's hub (`https://pubsubhubbub.appspot.com/`). The form
//! (`application/x-www-form-urlencoded`) carries `hub.mode` (`subscribe` | `unsubscribe`),
//! `hub.topic` (`http(s)://ANY-HOST/xml/feeds/videos.xml?channel_id=UC…`, or the feed's own
//! `/feeds/videos.xml?channel_id=UC…` path), `hub.callback` (an `http(s)` URL without fragment),
//! `hub.verify` (optional; `sync` and `async` are both run asynchronously), `hub.secret`
//! (optional, at most 200 bytes) and `hub.lease_seconds` (optional: 432000 = 5 days by default,
//! at most 864000 = 10 days). A bad field is a `400 text/plain` with a one-line reason; a valid
//! request is a `202` with an empty body, and then, in a task of its own, the hub verifies intent
//! with `GET {callback}?hub.mode=…&hub.topic=…&hub.challenge=…&hub.lease_seconds=…` (no lease
//! for unsubscribe). Only a 2xx whose body is exactly the challenge confirms: a subscription
//! becomes (or stays) active until verification time + lease on the simulator's clock (a
//! renewal extends it), an unsubscribe ends it; anything else changes nothing and is recorded
//! ([`VerificationOutcome`]). Callbacks are reached over plain HTTP only; an `https` callback's
//! verification fails as unreachable. [`FaultPlan::hub_down`] answers `503` and verifies nothing.
//!
//! When an upload is published (generated ones as the clock passes their time, injected ones at
//! once or when the clock reaches a future `published_at`; deleted ones never), each subscriber
//! of its channel whose lease runs past that moment gets a `POST` of the hub's one-entry Atom
//! document (no `media:group`, so no description), `Content-Type: application/atom+xml`,
//! `Link: <https://pubsubhubbub.appspot.com/>; rel=hub, <topic>; rel=self` and, with a secret,
//! `X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>`. Deliveries run in tasks of their own,
//! never under the world lock, are not retried, and with [`SimConfig::push_repeat`] happen
//! twice. Pushes draw from no random stream, so subscribing changes nothing that search, feeds
//! or `videos.list` answer. [`SimControl::flush_pushes`] waits for every verification and push
//! started so far (after [`SimControl::advance`] or [`SimControl::add_video`]);
//! [`SimControl::hub_subscriptions`], [`SimControl::hub_stats`],
//! [`SimControl::hub_verifications`] and [`SimControl::hub_deliveries`] show what happened; and
//! [`SimControl::push_unsigned`], [`SimControl::push_with_secret`], [`SimControl::push_raw`] and
//! [`SimControl::verify_unrequested`] forge the hub's requests to test a receiver's defences.

mod channels;
mod config;
mod control;
mod details;
mod errors;
mod feeds;
mod fields;
mod generate;
mod hub;
mod hub_runtime;
mod ids;
mod json;
mod search;
mod server;
mod stats;
mod tokens;
mod videos;
mod world;
mod xml;

pub use config::{
    ChannelPlan, ClockMode, DetailsOverride, FaultPlan, InvalidKeyShape, LiveState, NewVideo,
    QuotaErrorShape, Shape, SimConfig,
};
pub use control::SimControl;
pub use hub::{
    CallbackReply, HubDelivery, HubMode, HubSubscription, HubVerification, VerificationOutcome,
};
pub use server::SimHandle;
pub use stats::{CallStats, FeedStats, HubStats, SimState, TopicCounts};
