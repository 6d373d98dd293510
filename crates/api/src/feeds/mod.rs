//! `/feed.atom` (RFC 4287 with Media RSS) and `/feed.json` (JSON Feed 1.1): any view of the
//! list — topic, q, channel, dates, detail filters — as something a feed reader subscribes to.
//! They take `/videos`' parameters, list 50 entries unless `limit` says otherwise, and page
//! with `next` links (RFC 5005 / JSON Feed's `next_url`) carrying the same signed tokens.

mod atom;
mod json;
mod links;

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use tubefeed_core::{FeedQuery, FeedReader, Video};

use crate::list::{ListRoute, Listing, serve_list};
use crate::params::MAX_LIMIT;
use crate::{ApiError, ApiState};
pub(crate) use links::Links;

pub(crate) const ATOM_TYPE: &str = "application/atom+xml; charset=utf-8";
pub(crate) const JSON_FEED_TYPE: &str = "application/feed+json; charset=utf-8";

/// Entries per feed document when the URL does not say: a reader polls the newest 50.
pub const FEED_LIMIT: u8 = MAX_LIMIT;

pub(crate) async fn atom_feed<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    feed(&st, raw.as_deref(), &headers, Format::Atom).await
}

pub(crate) async fn json_feed<R: FeedReader>(
    State(st): State<Arc<ApiState<R>>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    feed(&st, raw.as_deref(), &headers, Format::Json).await
}

#[derive(Clone, Copy)]
enum Format {
    Atom,
    Json,
}

async fn feed<R: FeedReader>(
    st: &ApiState<R>,
    raw: Option<&str>,
    headers: &HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    let (path, content_type) = match format {
        Format::Atom => ("/feed.atom", ATOM_TYPE),
        Format::Json => ("/feed.json", JSON_FEED_TYPE),
    };
    let base = links::base_url(st.settings.public_base_url.as_deref(), headers);
    // The links name the host, so a first page kept warm is kept per host.
    let cache_tag = format!("{path}|{base}");
    let route = ListRoute {
        require_q: false,
        default_limit: FEED_LIMIT,
        content_type,
        cache_tag: &cache_tag,
    };
    serve_list(st, raw, headers, &route, |l: Listing<'_>| {
        let links = Links::new(&base, path, raw, l.next_token.as_deref());
        match format {
            Format::Atom => atom::render(&l, &links),
            Format::Json => json::render(&l, &links),
        }
    })
    .await
}

/// The feed's title: the topic, and what narrows it.
fn title(q: &FeedQuery) -> String {
    let mut t = format!("tubefeed: {}", q.topic);
    if !q.terms.is_empty() {
        t.push_str(&format!(" \u{2014} \u{201c}{}\u{201d}", q.terms.join(" ")));
    }
    if let Some(c) = &q.channel_id {
        t.push_str(&format!(" \u{2014} channel {c}"));
    }
    if !q.filter.is_empty() {
        t.push_str(&format!(" ({})", q.filter.canonical()));
    }
    t
}

/// When the feed last changed: its newest entry (an empty feed has none; the epoch keeps its
/// body, and so its ETag, stable).
fn updated(videos: &[Video]) -> DateTime<Utc> {
    videos
        .iter()
        .map(|v| v.published_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Text as XML 1.0 can carry it: the C0 controls other than tab, newline and carriage return
/// (which YouTube titles do hold now and then) have no escape in XML and would make the
/// whole document unparseable, so they are dropped, in both formats alike.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r') || !(c.is_control() && c < '\u{80}'))
        .filter(|&c| !matches!(c, '\u{fffe}' | '\u{ffff}'))
        .collect()
}

/// The best thumbnail YouTube gave: the largest.
fn thumbnail(v: &Video) -> Option<&tubefeed_core::Thumbnail> {
    let t = &v.thumbnails;
    t.high.as_ref().or(t.medium.as_ref()).or(t.default.as_ref())
}

fn channel_url(v: &Video) -> String {
    format!("https://www.youtube.com/channel/{}", v.channel_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_drops_what_xml_cannot_carry_and_keeps_every_script() {
        assert_eq!(
            clean("a\u{8}b\u{1b}[0m\tc\nd \u{fffe}€ क़ 東 مرحبا <&>"),
            "ab[0m\tc\nd € क़ 東 مرحبا <&>"
        );
    }
}
