//! Query-string parsing: every way a client can get a parameter wrong becomes a 400 that names
//! the parameter. Unknown parameters are ignored (cache busters are common); a known one given
//! twice is an error, since either reading would be a guess.

use chrono::{DateTime, Utc};
use tubefeed_core::text::{MAX_SEARCH_WORDS, query_terms};
use tubefeed_core::{ChannelId, FeedQuery, Order, Topic};

use crate::error::ApiError;
use crate::filters::{FilterParams, parse_filter};
use crate::token::MAX_TOKEN_LEN;

pub const DEFAULT_LIMIT: u8 = 20;
pub const MAX_LIMIT: u8 = 50;
const MAX_Q_CHARS: usize = 200;

pub const LIST_PARAMS: [&str; 13] = [
    "limit",
    "page_token",
    "order",
    "published_after",
    "published_before",
    "q",
    "topic",
    "channel_id",
    "shorts",
    "duration",
    "min_duration",
    "max_duration",
    "lang",
];

/// A parsed list request: the query and, for later pages, the raw token.
#[derive(Debug)]
pub struct ListRequest {
    pub query: FeedQuery,
    pub page_token: Option<String>,
    /// The query can match nothing — `q` holds no searchable word (only emoji or punctuation,
    /// say), or the date window ends before it begins: the answer is an empty list, not the
    /// unfiltered feed and not an error.
    pub matches_nothing: bool,
}

pub fn parse_list(
    raw_query: Option<&str>,
    topics: &[Topic],
    require_q: bool,
) -> Result<ListRequest, ApiError> {
    parse_list_with(raw_query, topics, require_q, DEFAULT_LIMIT)
}

/// [`parse_list`] for a route whose page size, when none is asked, is `default_limit`.
pub(crate) fn parse_list_with(
    raw_query: Option<&str>,
    topics: &[Topic],
    require_q: bool,
    default_limit: u8,
) -> Result<ListRequest, ApiError> {
    let [
        limit,
        page_token,
        order,
        after,
        before,
        q,
        topic,
        channel_id,
        shorts,
        duration,
        min_duration,
        max_duration,
        lang,
    ] = known_params(raw_query)?;
    // Checked in this order, so that the first bad parameter named is always the same one.
    let limit = parse_limit(limit, default_limit)?;
    let order = parse_order(order.as_deref())?;
    let published_after = after
        .map(|s| parse_time("published_after", &s))
        .transpose()?;
    let published_before = before
        .map(|s| parse_time("published_before", &s))
        .transpose()?;
    let (published_after, published_before) = whole_seconds(published_after, published_before);
    // A window that ends before it begins holds no video: an empty answer, like any other
    // query that matches nothing.
    let empty_window = matches!((published_after, published_before), (Some(a), Some(b)) if a > b);
    let topic = parse_topic(topic, topics)?;
    let channel_id = parse_channel_id(channel_id)?;
    if require_q && q.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(ApiError::bad("q", "is required"));
    }
    let terms = parse_q(q)?;
    let no_words = terms.as_ref().is_some_and(Vec::is_empty);
    let filter = parse_filter(FilterParams {
        shorts,
        duration,
        min_duration,
        max_duration,
        lang,
    })?;
    Ok(ListRequest {
        query: FeedQuery {
            topic,
            order,
            published_after,
            published_before,
            channel_id,
            terms: terms.unwrap_or_default(),
            limit,
            filter: filter.clone(),
            hidden_channels: Vec::new(),
        },
        page_token: parse_page_token(page_token)?,
        matches_nothing: empty_window || no_words || filter.is_unsatisfiable(),
    })
}

/// The known parameters' values, in [`LIST_PARAMS`] order.
fn known_params(raw_query: Option<&str>) -> Result<[Option<String>; LIST_PARAMS.len()], ApiError> {
    let mut vals: [Option<String>; LIST_PARAMS.len()] = Default::default();
    for (k, v) in form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        if let Some(i) = LIST_PARAMS.iter().position(|n| *n == k) {
            if vals[i].is_some() {
                return Err(ApiError::bad(LIST_PARAMS[i], "given more than once"));
            }
            vals[i] = Some(v.into_owned());
        }
    }
    Ok(vals)
}

fn parse_limit(limit: Option<String>, default_limit: u8) -> Result<u8, ApiError> {
    match limit {
        None => Ok(default_limit),
        Some(s) => match s.trim().parse::<u8>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(
                "limit",
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

fn parse_order(order: Option<&str>) -> Result<Order, ApiError> {
    match order {
        None | Some("desc") => Ok(Order::Desc),
        Some("asc") => Ok(Order::Asc),
        Some(_) => Err(ApiError::bad("order", "must be 'desc' or 'asc'")),
    }
}

/// The topic asked for, which must be followed; the first followed topic when none is.
fn parse_topic(topic: Option<String>, topics: &[Topic]) -> Result<Topic, ApiError> {
    let Some(s) = topic else {
        return topics
            .first()
            .cloned()
            .ok_or_else(|| ApiError::Internal("no topics configured".into()));
    };
    let t = Topic::parse(&s).map_err(|e| ApiError::bad("topic", e.to_string()))?;
    if !topics.contains(&t) {
        let served: Vec<&str> = topics.iter().map(Topic::as_str).collect();
        return Err(ApiError::bad(
            "topic",
            format!(
                "{s:?} is not a topic of this deployment (it serves: {}); a topic removed \
                 from SEARCH_QUERIES stays readable only while ARCHIVED_TOPICS lists it",
                served.join(", ")
            ),
        ));
    }
    Ok(t)
}

fn parse_channel_id(channel_id: Option<String>) -> Result<Option<ChannelId>, ApiError> {
    channel_id
        .map(|s| {
            ChannelId::parse(&s).map_err(|_| {
                ApiError::bad(
                    "channel_id",
                    "must be 1 to 64 characters of A-Z, a-z, 0-9, '-', '_'",
                )
            })
        })
        .transpose()
}

/// The search words of `q`: `None` when there is no `q` (or a blank one), `Some(empty)` when
/// `q` holds no searchable word (only emoji or punctuation, say), which matches nothing.
fn parse_q(q: Option<String>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(s) = q.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > MAX_Q_CHARS {
        return Err(ApiError::bad(
            "q",
            format!("must be at most {MAX_Q_CHARS} characters"),
        ));
    }
    let terms = query_terms(&s);
    if terms.len() > MAX_SEARCH_WORDS {
        return Err(ApiError::bad(
            "q",
            format!(
                "must hold at most {MAX_SEARCH_WORDS} distinct words, got {} (in a \
                 script without spaces each ideograph or kana is a word)",
                terms.len()
            ),
        ));
    }
    Ok(Some(terms))
}

fn parse_page_token(page_token: Option<String>) -> Result<Option<String>, ApiError> {
    match page_token {
        Some(t) if t.len() > MAX_TOKEN_LEN => Err(ApiError::bad("page_token", "is malformed")),
        Some(t) if t.is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// RFC 3339 with a zone (`Z` or an offset), as YouTube requires too.
fn parse_time(param: &'static str, s: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad(
                param,
                "must be an RFC 3339 date-time with a zone, e.g. 2026-11-23T12:00:00Z",
            )
        })
}

/// The bounds at one-second resolution, the resolution of YouTube's `publishedAt`: an
/// inclusive lower bound with a fraction rounds up, an upper one down, which selects the same
/// whole-second videos. So `published_after` moved by a millisecond is the same query (the same
/// cache entry, the same page token) rather than a new one that must be read from the table.
fn whole_seconds(after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>) -> Bounds {
    use chrono::{DurationRound, TimeDelta};
    let second = TimeDelta::seconds(1);
    let down = |t: DateTime<Utc>| t.duration_trunc(second).unwrap_or(t);
    let up = |t: DateTime<Utc>| {
        let d = down(t);
        if d == t {
            t
        } else {
            d.checked_add_signed(second).unwrap_or(t)
        }
    };
    (after.map(up), before.map(down))
}

type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Vec<Topic> {
        Topic::parse_list("cricket,football").unwrap()
    }

    fn param_of(q: &str) -> &'static str {
        match parse_list(Some(q), &topics(), false) {
            Err(ApiError::BadParam { param, .. }) => param,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let r = parse_list(None, &topics(), false).unwrap();
        assert_eq!(r.query.limit, 20);
        assert_eq!(r.query.order, Order::Desc);
        assert_eq!(r.query.topic.as_str(), "cricket");
        assert!(r.query.terms.is_empty() && r.page_token.is_none());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        for (q, p) in [
            ("limit=0", "limit"),
            ("limit=51", "limit"),
            ("limit=-1", "limit"),
            ("limit=abc", "limit"),
            ("limit=1&limit=2", "limit"),
            ("order=up", "order"),
            ("published_after=2026-11-23T12:00:00", "published_after"),
            ("published_before=yesterday", "published_before"),
            ("topic=tennis", "topic"),
            ("topic=a%23b", "topic"),
            ("channel_id=a%20b", "channel_id"),
            (&format!("q={}", "x".repeat(201)), "q"),
        ] {
            assert_eq!(param_of(q), p, "{q}");
        }
        for q in [None, Some("q="), Some("q=+%20")] {
            assert!(
                matches!(
                    parse_list(q, &topics(), true),
                    Err(ApiError::BadParam { param: "q", .. })
                ),
                "{q:?}"
            );
        }
    }

    #[test]
    fn words_and_dates() {
        let r = parse_list(
            Some("q=Tea+HOW+tea&published_after=2026-11-23T12:00:00%2B05:30&topic=football"),
            &topics(),
            false,
        )
        .unwrap();
        assert_eq!(r.query.terms, ["tea", "how"]);
        assert_eq!(
            r.query.published_after.unwrap().to_rfc3339(),
            "2026-11-23T06:30:00+00:00"
        );
        assert_eq!(r.query.topic.as_str(), "football");
        let r = parse_list(
            Some("q=%E0%A4%95%E0%A5%8D%E0%A4%B0%E0%A4%BF%E0%A4%95%E0%A5%87%E0%A4%9F&unknown=1"),
            &topics(),
            false,
        )
        .unwrap();
        assert_eq!(r.query.terms, ["क्रिकेट"]);
    }

    #[test]
    fn a_query_of_more_than_32_words_is_refused_by_name() {
        // 200 distinct CJK ideographs: 200 words, once a 500 from DynamoDB.
        let ideographs: String = (0x4E00u32..0x4E00 + 200)
            .filter_map(char::from_u32)
            .collect();
        let encoded: String = form_urlencoded::byte_serialize(ideographs.as_bytes()).collect();
        assert_eq!(param_of(&format!("q={encoded}")), "q");
        let words: Vec<String> = (0..33).map(|i| format!("w{i:02}x")).collect();
        assert_eq!(param_of(&format!("q={}", words.join("+"))), "q");
        let ok = parse_list(
            Some(&format!("q={}", words[..32].join("+"))),
            &topics(),
            true,
        );
        assert_eq!(ok.unwrap().query.terms.len(), 32);
    }

    #[test]
    fn time_bounds_have_whole_second_resolution() {
        let r = parse_list(
            Some("published_after=2026-11-23T12:00:00.001Z&published_before=2026-11-23T13:00:00.999Z"),
            &topics(),
            false,
        )
        .unwrap();
        let same = parse_list(
            Some("published_after=2026-11-23T12:00:01Z&published_before=2026-11-23T13:00:00Z"),
            &topics(),
            false,
        )
        .unwrap();
        assert_eq!(r.query, same.query);
        let exact = parse_list(
            Some("published_after=2026-11-23T12:00:00Z"),
            &topics(),
            false,
        )
        .unwrap();
        assert_eq!(
            exact.query.published_after.unwrap().to_rfc3339(),
            "2026-11-23T12:00:00+00:00"
        );
    }

    #[test]
    fn queries_that_cannot_match_are_not_errors() {
        for (q, nothing) in [
            ("q=%F0%9F%94%B4", true),
            ("q=!!", true),
            ("q=a+b+c+d+e+f+g+h+i+j", false),
            (
                "published_after=2026-11-23T12:00:00Z&published_before=2026-11-22T12:00:00Z",
                true,
            ),
        ] {
            let r = parse_list(Some(q), &topics(), q.starts_with("q=")).unwrap();
            assert_eq!(r.matches_nothing, nothing, "{q}");
        }
        // No indexed word is longer than 64 bytes, so no word starts with this one.
        let long_word = format!("q={}", "x".repeat(200));
        assert!(
            parse_list(Some(&long_word), &topics(), true)
                .unwrap()
                .matches_nothing
        );
        assert!(
            !parse_list(Some("q=+"), &topics(), false)
                .unwrap()
                .matches_nothing
        );
    }
}
