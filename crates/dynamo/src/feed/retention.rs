//! Reads never serve a video past its topic's retention, whether or not TTL has deleted it yet
//! (TTL deletes within days of `expires_at`, not at it).
//!
//! Lists and searches start at the cut-off: it is a bound on the sort key, so the expired tail
//! costs no read at all. A walk whose place has meanwhile expired is over (newest first: all
//! that follows is older still) or goes on from the cut-off (oldest first) — its cursor would
//! otherwise lie outside the key condition, which DynamoDB refuses as a bad request.

use std::borrow::Cow;

use chrono::Utc;
use tubefeed_core::{Cursor, FeedQuery, Order, Retention, Topic};

use crate::items::{VideoItem, feed_sk_lower};

/// What to read instead of `q` from `start`; `None` when nothing within retention can match.
pub(super) fn within<'q, 'c>(
    retention: &Retention,
    q: &'q FeedQuery,
    start: Option<&'c Cursor>,
) -> Option<(Cow<'q, FeedQuery>, Option<&'c Cursor>)> {
    let Some(cut) = retention.cutoff(&q.topic, Utc::now()) else {
        return Some((Cow::Borrowed(q), start));
    };
    if q.published_before.is_some_and(|b| b < cut) {
        return None;
    }
    let floor = feed_sk_lower(cut);
    let start = match start.and_then(position) {
        Some(pos) if pos < floor.as_str() => match q.order {
            Order::Desc => return None,
            Order::Asc => None,
        },
        _ => start,
    };
    let mut bounded = q.clone();
    bounded.published_after = Some(q.published_after.map_or(cut, |a| a.max(cut)));
    Some((Cow::Owned(bounded), start))
}

/// Where a cursor stands in time order: the feed index's sort key, or a search entry's.
fn position(c: &Cursor) -> Option<&str> {
    c.key
        .get("feed_sk")
        .or_else(|| c.key.get("sk"))
        .map(String::as_str)
        .filter(|s| s.starts_with(|ch: char| ch.is_ascii_digit()))
}

/// Whether a stored item may be served by a single read.
pub(super) fn admits(retention: &Retention, item: &VideoItem) -> bool {
    let Ok(topic) = Topic::parse(&item.topic) else {
        return true;
    };
    let published =
        chrono::DateTime::parse_from_rfc3339(&item.published_at).map(|t| t.with_timezone(&Utc));
    match published {
        Ok(p) => !retention.is_expired(&topic, p, Utc::now()),
        Err(_) => true,
    }
}
