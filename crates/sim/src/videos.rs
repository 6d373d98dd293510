//! `videos.list` by `id`: admission (outage fault, key, the project's unit pool), parameters,
//! and the items as YouTube writes them.
//!
//! Shapes follow the captures in the project's fixtures (`crates/youtube/tests/fixtures`):
//! counts and embed sizes are strings (int64 in Google's JSON), titles are not HTML-escaped,
//! descriptions are whole, deleted and private videos are simply missing from `items`, live and
//! upcoming broadcasts have the duration `P0D`. The body for more than 50 ids was not captured:
//! it is shaped like the other `youtube.parameter` errors.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::config::{LiveState, QuotaErrorShape};
use crate::details::Details;
use crate::errors::ApiError;
use crate::ids;
use crate::json::Node;
use crate::search::{Answer, admit_key, param, thumbnails};
use crate::world::{Video, World};

/// Ids one call may name.
const MAX_IDS: usize = 50;
/// Every part `videos.list` knows; owner-only ones render nothing for an API key.
const PARTS: &[&str] = &[
    "contentDetails",
    "fileDetails",
    "id",
    "liveStreamingDetails",
    "localizations",
    "paidProductPlacementDetails",
    "player",
    "processingDetails",
    "recordingDetails",
    "snippet",
    "statistics",
    "status",
    "suggestions",
    "topicDetails",
];

struct Request {
    parts: Vec<String>,
    ids: Vec<String>,
    max_width: Option<u32>,
    max_height: Option<u32>,
}

impl Request {
    fn wants(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

/// Handles one `GET /youtube/v3/videos`. The caller holds the world lock.
pub(crate) fn videos(world: &mut World, params: &[(String, String)]) -> Answer {
    let key = param(params, "key");
    *world
        .stats
        .videos_per_key
        .entry(key.unwrap_or_default().to_owned())
        .or_insert(0) += 1;
    let (status, body) = if world.cfg.faults.videos_unavailable {
        ApiError::Backend { code: 503 }.render()
    } else {
        match admit_and_run(world, key, params) {
            Ok(body) => (200, body),
            Err(e) => e.render(),
        }
    };
    *world.stats.videos_per_status.entry(status).or_insert(0) += 1;
    Answer {
        status,
        body,
        delay_ms: world.cfg.faults.slow_ms,
    }
}

fn admit_and_run(
    world: &mut World,
    key: Option<&str>,
    params: &[(String, String)],
) -> Result<String, ApiError> {
    let key = admit_key(world, key)?;
    if !world.spend_units(key, 1) {
        return Err(ApiError::QuotaExhausted {
            // The per-day search bucket's 429 names search; every other method meets the
            // classic 403 `quotaExceeded`.
            shape: QuotaErrorShape::Legacy403,
            project: world.project_number_of(key),
        });
    }
    // Billed from here on, as a 400 is on YouTube.
    let req = parse(params)?;
    world.stats.videos_ids_asked += req.ids.len() as u64;
    let now = world.now();
    let items: Vec<Node> = req
        .ids
        .iter()
        .filter_map(|id| world.video(id))
        .map(|v| render_item(v, &req, now))
        .collect();
    let n = items.len() as i64;
    let etag_parts: Vec<&[u8]> = req.ids.iter().map(|i| i.as_bytes()).collect();
    Ok(Node::obj()
        .with("kind", "youtube#videoListResponse")
        .with("etag", ids::etag(&etag_parts))
        .with("items", items)
        .with(
            "pageInfo",
            Node::obj()
                .with("totalResults", n)
                .with("resultsPerPage", n),
        )
        .to_wire(b"  "))
}

fn parse(params: &[(String, String)]) -> Result<Request, ApiError> {
    let part = param(params, "part").ok_or(ApiError::BadParameter {
        domain: "global",
        reason: "required",
        message: "Required parameter: part".to_owned(),
        location: "part",
    })?;
    let parts: Vec<String> = split(part);
    if let Some(unknown) = parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
        return Err(ApiError::BadParameter {
            domain: "youtube.part",
            reason: "unknownPart",
            message: format!("'{unknown}'"),
            location: "part",
        });
    }
    let Some(raw_ids) = param(params, "id") else {
        return Err(ApiError::BadParameter {
            domain: "youtube.parameter",
            reason: "missingRequiredParameter",
            message: "No filter selected. Expected one of: id, myRating, chart".to_owned(),
            location: "parameters.",
        });
    };
    let mut ids: Vec<String> = Vec::new();
    for id in split(raw_ids) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::BadParameter {
            domain: "youtube.parameter",
            reason: "invalidFilters",
            message: format!(
                "The request specifies {} video ids; at most {MAX_IDS} may be requested at once.",
                ids.len()
            ),
            location: "id",
        });
    }
    Ok(Request {
        parts,
        ids,
        max_width: size_param(params, "maxWidth")?,
        max_height: size_param(params, "maxHeight")?,
    })
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `maxWidth` / `maxHeight`: 72 to 8192 pixels.
fn size_param(params: &[(String, String)], name: &'static str) -> Result<Option<u32>, ApiError> {
    let Some(raw) = param(params, name) else {
        return Ok(None);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if (72..=8192).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::invalid_parameter(
            name,
            format!("Invalid value '{raw}'. Values must be within the range: [72, 8192]"),
        )),
    }
}

fn render_item(v: &Video, req: &Request, now: DateTime<Utc>) -> Node {
    let d = &v.details;
    let mut item = Node::obj()
        .with("kind", "youtube#video")
        .with(
            "etag",
            ids::etag(&[b"video", v.id.as_bytes(), &now.timestamp().to_le_bytes()]),
        )
        .with("id", v.id.as_str());
    if req.wants("snippet") {
        item = item.with("snippet", snippet(v));
    }
    if req.wants("contentDetails") {
        item = item.with("contentDetails", content_details(d));
    }
    if req.wants("status") {
        item = item.with(
            "status",
            Node::obj()
                .with("uploadStatus", "processed")
                .with("privacyStatus", "public")
                .with("license", "youtube")
                .with("embeddable", true)
                .with("publicStatsViewable", true)
                .with("madeForKids", false),
        );
    }
    if req.wants("statistics") {
        item = item.with("statistics", statistics(v, now));
    }
    if req.wants("player") {
        item = item.with("player", player(v, req));
    }
    if req.wants("liveStreamingDetails")
        && let Some(live) = live_details(v, now)
    {
        item = item.with("liveStreamingDetails", live);
    }
    item
}

fn snippet(v: &Video) -> Node {
    let d = &v.details;
    Node::obj()
        .with("publishedAt", rfc3339(v.published_at))
        .with("channelId", v.channel_id.as_str())
        .with("title", v.title.as_str())
        .with("description", v.description.as_str())
        .with("thumbnails", thumbnails(v, true))
        .with("channelTitle", v.channel_title.as_str())
        .with("categoryId", "17")
        .with("liveBroadcastContent", v.live.as_str())
        .with_opt("defaultLanguage", d.default_language.clone())
        .with(
            "localized",
            Node::obj()
                .with("title", v.title.as_str())
                .with("description", v.description.as_str()),
        )
        .with_opt("defaultAudioLanguage", d.audio_language.clone())
}

fn content_details(d: &Details) -> Node {
    Node::obj()
        .with("duration", iso_duration(d.duration_s))
        .with("dimension", "2d")
        .with(
            "definition",
            if d.duration_s % 4 == 0 { "sd" } else { "hd" },
        )
        .with("caption", "false")
        .with("licensedContent", false)
        .with("contentRating", Node::obj())
        .with("projection", "rectangular")
}

fn statistics(v: &Video, now: DateTime<Utc>) -> Node {
    let d = &v.details;
    let views = d.views_at(v.published_at, now);
    let likes = views / 40;
    let comments = views / 400;
    Node::obj()
        .with("viewCount", views.to_string())
        .with_opt("likeCount", (!d.likes_hidden).then(|| likes.to_string()))
        .with("favoriteCount", "0")
        .with_opt(
            "commentCount",
            (!d.comments_disabled).then(|| comments.to_string()),
        )
}

/// The embed size follows the video's frame only when a `maxWidth` or `maxHeight` is given;
/// otherwise only the default 480×270 `embedHtml` comes back.
fn player(v: &Video, req: &Request) -> Node {
    let (rw, rh) = v.details.shape.ratio();
    let (rw, rh) = (f64::from(rw), f64::from(rh));
    let scale = match (req.max_width, req.max_height) {
        (None, None) => None,
        (Some(w), None) => Some(f64::from(w) / rw),
        (None, Some(h)) => Some(f64::from(h) / rh),
        (Some(w), Some(h)) => Some((f64::from(w) / rw).min(f64::from(h) / rh)),
    };
    let size = scale.map(|s| ((rw * s).round() as u32, (rh * s).round() as u32));
    let (w, h) = size.unwrap_or((480, 270));
    let html = format!(
        "<iframe width=\"{w}\" height=\"{h}\" src=\"//www.youtube.com/embed/{}\" frameborder=\"0\" allow=\"accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share\" referrerpolicy=\"strict-origin-when-cross-origin\" allowfullscreen></iframe>",
        v.id
    );
    let node = Node::obj().with("embedHtml", html);
    match size {
        Some((w, h)) => node
            .with("embedHeight", h.to_string())
            .with("embedWidth", w.to_string()),
        None => node,
    }
}

fn live_details(v: &Video, now: DateTime<Utc>) -> Option<Node> {
    let d = &v.details;
    if d.scheduled_start.is_none() && d.actual_start.is_none() {
        return None;
    }
    let viewers = (v.live == LiveState::Live).then(|| (d.views_plateau / 100 + 1).to_string());
    let started = d.actual_start.filter(|t| *t <= now);
    Some(
        Node::obj()
            .with_opt("actualStartTime", started.map(rfc3339))
            .with_opt(
                "actualEndTime",
                d.actual_end.filter(|t| *t <= now).map(rfc3339),
            )
            .with_opt("scheduledStartTime", d.scheduled_start.map(rfc3339))
            .with_opt("concurrentViewers", viewers),
    )
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// ISO 8601 as YouTube writes it: `PT21M3S`, `PT1H`, `P1DT2H3M`, and `P0D` for nothing.
pub(crate) fn iso_duration(seconds: u32) -> String {
    if seconds == 0 {
        return "P0D".to_owned();
    }
    let (d, rest) = (seconds / 86_400, seconds % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::from("P");
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if rest > 0 {
        out.push('T');
        for (n, unit) in [(h, 'H'), (m, 'M'), (s, 'S')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_like_youtube() {
        assert_eq!(iso_duration(0), "P0D");
        assert_eq!(iso_duration(1263), "PT21M3S");
        assert_eq!(iso_duration(90), "PT1M30S");
        assert_eq!(iso_duration(3600), "PT1H");
        assert_eq!(iso_duration(45), "PT45S");
        assert_eq!(iso_duration(93_780), "P1DT2H3M");
        assert_eq!(iso_duration(86_400), "P1D");
    }
}
