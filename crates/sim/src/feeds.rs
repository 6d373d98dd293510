//! `GET /feeds/videos.xml?channel_id=…`: YouTube's public Atom feed of a channel's 15 newest
//! uploads. No key, no quota, and no search index in between: an upload is in its channel's
//! feed as soon as it is published, minutes before `search.list` can find it.

use chrono::{DateTime, Duration, Utc};

use crate::ids::{self, well_formed};
use crate::search::param;
use crate::world::{Video, World};
use crate::xml::escape;

/// As many entries as YouTube's feed carries.
const FEED_ENTRIES: usize = 15;

/// What the HTTP layer sends back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeedAnswer {
    pub status: u16,
    pub body: String,
    /// An HTML error page rather than the Atom document.
    pub html: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub delay_ms: Option<u64>,
}

impl FeedAnswer {
    fn page(status: u16) -> FeedAnswer {
        FeedAnswer::page_for(status, None)
    }

    fn page_for(status: u16, channel_id: Option<&str>) -> FeedAnswer {
        FeedAnswer {
            status,
            body: error_page(status, channel_id),
            html: true,
            etag: None,
            last_modified: None,
            delay_ms: None,
        }
    }
}

/// The request's validators (`If-None-Match`, `If-Modified-Since`), raw.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
}

/// Handles one feed request. The caller holds the world lock.
pub(crate) fn feed(
    world: &mut World,
    params: &[(String, String)],
    cond: Conditions<'_>,
) -> FeedAnswer {
    // Feeds number their own requests so feed faults never shift search's fault decisions.
    let call_no = world.stats.feed_requests + 1;
    world.stats.feed_requests = call_no;
    let faults = &world.cfg.faults;
    let delay_ms = faults.feed_slow_ms;
    let injected = if faults.feeds_down {
        Some(503)
    } else if faults.feed_error_fraction > 0.0
        && ids::unit_f64(world.cfg.seed, "feed500", call_no) < faults.feed_error_fraction
    {
        Some(500)
    } else {
        None
    };
    let mut answer = match injected {
        Some(status) => {
            world.stats.feed_errors += 1;
            FeedAnswer::page(status)
        }
        None => respond(world, params, cond),
    };
    if answer.status == 304 {
        world.stats.feed_not_modified += 1;
    }
    *world
        .stats
        .feed_per_status
        .entry(answer.status)
        .or_insert(0) += 1;
    answer.delay_ms = delay_ms;
    answer
}

fn respond(world: &World, params: &[(String, String)], cond: Conditions<'_>) -> FeedAnswer {
    let Some(channel_id) = param(params, "channel_id").filter(|c| well_formed(c)) else {
        return FeedAnswer::page(400);
    };
    let Some(channel) = world.channel(channel_id) else {
        return FeedAnswer::page_for(404, Some(channel_id));
    };
    let now = world.now();
    // Deleted uploads drop out here (`video` hides them), and the next older one moves up.
    let entries: Vec<&Video> = channel
        .published_by(now)
        .filter_map(|id| world.video(id))
        .take(FEED_ENTRIES)
        .collect();
    let etag = etag_of(channel_id, &entries);
    let modified = entries.first().map_or(channel.created, |v| v.published_at);
    let not_modified = match cond.if_none_match {
        Some(tags) => etag_listed(tags, &etag),
        None => cond
            .if_modified_since
            .and_then(|s| DateTime::parse_from_rfc2822(s).ok())
            .is_some_and(|since| since >= modified),
    };
    let body = if not_modified {
        String::new()
    } else {
        render(channel_id, &channel.title, channel.created, &entries, now)
    };
    FeedAnswer {
        status: if not_modified { 304 } else { 200 },
        body,
        html: false,
        etag: Some(etag),
        last_modified: Some(modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        delay_ms: None,
    }
}

/// A strong validator over exactly what a poller cares about: which uploads, as of which edit.
/// View counts in the body keep growing without changing it, as on YouTube.
fn etag_of(channel_id: &str, entries: &[&Video]) -> String {
    let updated: Vec<[u8; 8]> = entries
        .iter()
        .map(|v| updated_at(v).timestamp().to_le_bytes())
        .collect();
    let mut parts: Vec<&[u8]> = vec![b"feed", channel_id.as_bytes()];
    for (v, u) in entries.iter().zip(&updated) {
        parts.push(v.id.as_bytes());
        parts.push(u);
    }
    format!("\"{}\"", ids::etag(&parts))
}

fn etag_listed(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| {
        // Weak comparison, as RFC 9110 asks for If-None-Match.
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
    })
}

/// When the uploader last edited the video: a few minutes after publication, fixed per video.
fn updated_at(v: &Video) -> DateTime<Utc> {
    let s = ids::hash64(&[b"feed-updated", v.id.as_bytes()]) % 301;
    v.published_at + Duration::seconds(s as i64)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn render(
    channel_id: &str,
    title: &str,
    created: DateTime<Utc>,
    entries: &[&Video],
    now: DateTime<Utc>,
) -> String {
    let c = escape(channel_id);
    let t = escape(title);
    let mut out = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={c}"/>
 <id>yt:channel:{c}</id>
 <yt:channelId>{c}</yt:channelId>
 <title>{t}</title>
 <link rel="alternate" href="https://www.youtube.com/channel/{c}"/>
 <author>
  <name>{t}</name>
  <uri>https://www.youtube.com/channel/{c}</uri>
 </author>
 <published>{}</published>
"#,
        stamp(created)
    );
    for v in entries {
        out.push_str(&render_entry(v, &c, &t, now));
    }
    out.push_str("</feed>");
    out
}

/// One `<entry>`; `c` and `t` are the channel's id and title, already escaped.
fn render_entry(v: &Video, c: &str, t: &str, now: DateTime<Utc>) -> String {
    let id = escape(&v.id);
    let title = escape(&v.title);
    let views = v.details.views_at(v.published_at, now);
    // The same like count videos.list reports.
    let likes = views / 40;
    let server = 1 + ids::hash64(&[b"thumb-server", v.id.as_bytes()]) % 4;
    format!(
        r#" <entry>
  <id>yt:video:{id}</id>
  <yt:videoId>{id}</yt:videoId>
  <yt:channelId>{c}</yt:channelId>
  <title>{title}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={id}"/>
  <author>
   <name>{t}</name>
   <uri>https://www.youtube.com/channel/{c}</uri>
  </author>
  <published>{published}</published>
  <updated>{updated}</updated>
  <media:group>
   <media:title>{title}</media:title>
   <media:content url="https://www.youtube.com/v/{id}?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i{server}.ytimg.com/vi/{id}/hqdefault.jpg" width="480" height="360"/>
   <media:description>{description}</media:description>
   <media:community>
    <media:starRating count="{likes}" average="5.00" min="1" max="5"/>
    <media:statistics views="{views}"/>
   </media:community>
  </media:group>
 </entry>
"#,
        published = stamp(v.published_at),
        updated = stamp(updated_at(v)),
        description = escape(&v.description),
    )
}

/// Google's plain error page for a status; a 404 names the URL, as Google's does.
fn error_page(status: u16, channel_id: Option<&str>) -> String {
    let (reason, message) = match status {
        400 => (
            "Bad Request",
            "Your client has issued a malformed or illegal request.".to_owned(),
        ),
        404 => (
            "Not Found",
            format!(
                "The requested URL <code>/feeds/videos.xml?channel_id={}</code> was not found on this server.",
                escape(channel_id.unwrap_or_default())
            ),
        ),
        503 => (
            "Service Unavailable",
            "The service you requested is not available at this time.".to_owned(),
        ),
        _ => (
            "Server Error",
            "The server encountered an error and could not complete your request.".to_owned(),
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n  <title>Error {status} ({reason})!!1</title>\n  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n  <p><b>{status}.</b> <ins>That’s an error.</ins>\n  <p>{message}  <ins>That’s all we know.</ins>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_illegal_characters() {
        assert_eq!(
            escape("a & b < \"c\" > 'd' 🔥\u{0}\u{1b}\tx"),
            "a &amp; b &lt; &quot;c&quot; &gt; &apos;d&apos; 🔥\tx"
        );
    }

    #[test]
    fn if_none_match_lists() {
        assert!(etag_listed("\"a\", W/\"b\"", "\"b\""));
        assert!(etag_listed("*", "\"b\""));
        assert!(!etag_listed("\"a\"", "\"b\""));
    }

    #[test]
    fn channel_id_shapes() {
        assert!(well_formed("UCabcdefghijklmnopqrstuv"));
        assert!(well_formed("UC-x_Y"));
        assert!(!well_formed(""));
        assert!(!well_formed("UC abc"));
        assert!(!well_formed("UC<x>"));
    }
}
