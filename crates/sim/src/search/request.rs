//! A `search.list` request as Google validates it: each parameter checked, in Google's order,
//! with Google's error for it; then the words of `q` and how a video matches them.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::param;
use crate::config::LiveState;
use crate::errors::ApiError;
use crate::fields::Mask;
use crate::ids;
use crate::world::Video;

const MAX_RESULTS_LIMIT: u32 = 50;
const MAX_RESULTS_DEFAULT: u32 = 5;
const ORDERS: &[&str] = &[
    "date",
    "rating",
    "relevance",
    "title",
    "videoCount",
    "viewCount",
];

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Term {
    Must(String),
    MustNot(String),
    AnyOf(Vec<String>),
}

#[derive(Debug)]
pub(super) struct SearchRequest {
    pub(super) terms: Vec<Term>,
    /// Normalised `q`, part of the page-token hash.
    pub(super) q_norm: String,
    pub(super) order: &'static str,
    pub(super) videos_wanted: bool,
    pub(super) type_norm: String,
    pub(super) event: Option<LiveState>,
    pub(super) max_results: u32,
    pub(super) after: Option<DateTime<Utc>>,
    pub(super) before: Option<DateTime<Utc>>,
    pub(super) page_token: Option<String>,
    pub(super) fields: Option<Mask>,
}

impl SearchRequest {
    pub(super) fn parse(params: &[(String, String)]) -> Result<SearchRequest, ApiError> {
        check_part(params)?;
        let max_results = max_results(params)?;
        let order = order(params)?;
        let after = parse_time(params, "publishedAfter", "published_after")?;
        let before = parse_time(params, "publishedBefore", "published_before")?;
        let fields = param(params, "fields")
            .map(|raw| {
                Mask::parse(raw).map_err(|sel| ApiError::BadParameter {
                    domain: "global",
                    reason: "invalidParameter",
                    message: format!("Invalid field selection {sel}"),
                    location: "fields",
                })
            })
            .transpose()?;
        let (videos_wanted, type_norm) = types(params);
        let event = match param(params, "eventType").map(str::trim) {
            Some("live") => Some(LiveState::Live),
            Some("upcoming") => Some(LiveState::Upcoming),
            Some("completed") => Some(LiveState::None),
            _ => None,
        };
        let (terms, q_norm) = parse_q(param(params, "q").unwrap_or_default());
        Ok(SearchRequest {
            terms,
            q_norm,
            order,
            videos_wanted,
            type_norm,
            event,
            max_results,
            after,
            before,
            page_token: param(params, "pageToken")
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            fields,
        })
    }

    /// Identifies the result list a page token belongs to.
    pub(super) fn query_hash(&self) -> u32 {
        let canon = format!(
            "q={}\norder={}\ntype={}\nevent={:?}\nafter={:?}\nbefore={:?}\nmax={}",
            self.q_norm,
            self.order,
            self.type_norm,
            self.event,
            self.after.map(|t| t.timestamp_micros()),
            self.before.map(|t| t.timestamp_micros()),
            self.max_results
        );
        (ids::hash64(&[b"query", canon.as_bytes()]) >> 32) as u32
    }

    pub(super) fn matches(&self, v: &Video) -> bool {
        if self.event.is_some_and(|e| e != v.live) {
            return false;
        }
        self.terms.iter().all(|t| match t {
            Term::Must(w) => v.haystack.contains(w.as_str()),
            Term::MustNot(w) => !v.haystack.contains(w.as_str()),
            Term::AnyOf(ws) => ws.iter().any(|w| v.haystack.contains(w.as_str())),
        })
    }
}

/// Every word must appear (case-insensitively) in the topic, title or description. As on
/// YouTube, `-word` excludes and `a|b` accepts either; quotes are ignored.
fn parse_q(q: &str) -> (Vec<Term>, String) {
    let lowered = q.to_lowercase().replace('"', " ");
    let mut terms = Vec::new();
    for word in lowered.split_whitespace() {
        if let Some(neg) = word.strip_prefix('-').filter(|w| !w.is_empty()) {
            terms.push(Term::MustNot(neg.to_owned()));
        } else if word.contains('|') {
            let alts: Vec<String> = word
                .split('|')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            if !alts.is_empty() {
                terms.push(Term::AnyOf(alts));
            }
        } else {
            terms.push(Term::Must(word.to_owned()));
        }
    }
    let norm = lowered.split_whitespace().collect::<Vec<_>>().join(" ");
    (terms, norm)
}

/// RFC 3339 with a mandatory `Z` or offset, like the protobuf Timestamp parser behind the API.
fn parse_time(
    params: &[(String, String)],
    name: &'static str,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = param(params, name) else {
        return Ok(None);
    };
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let missing_zone = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").is_ok();
    Err(ApiError::BadTimestamp {
        field,
        missing_zone,
    })
}

/// `part` is required, may only name `id` and `snippet`, and must name `snippet`.
fn check_part(params: &[(String, String)]) -> Result<(), ApiError> {
    let part = param(params, "part").ok_or(ApiError::BadParameter {
        domain: "global",
        reason: "required",
        message: "Required parameter: part".to_owned(),
        location: "part",
    })?;
    let parts: Vec<&str> = part
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(unknown) = parts.iter().find(|p| !matches!(**p, "id" | "snippet")) {
        return Err(ApiError::BadParameter {
            domain: "youtube.part",
            reason: "unknownPart",
            message: format!("'{unknown}'"),
            location: "part",
        });
    }
    if !parts.contains(&"snippet") {
        return Err(ApiError::invalid_parameter(
            "part",
            format!(
                "Invalid value '{part}' for part: this service answers search requests with part=snippet only."
            ),
        ));
    }
    Ok(())
}

fn max_results(params: &[(String, String)]) -> Result<u32, ApiError> {
    let Some(raw) = param(params, "maxResults") else {
        return Ok(MAX_RESULTS_DEFAULT);
    };
    let n: i64 = raw.trim().parse().map_err(|_| {
        ApiError::invalid_parameter(
            "maxResults",
            format!("Invalid unsigned integer value: '{raw}'."),
        )
    })?;
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_RESULTS_LIMIT)
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                "maxResults",
                format!(
                    "Invalid value '{raw}'. Values must be within the range: [0, {MAX_RESULTS_LIMIT}]"
                ),
            )
        })
}

fn order(params: &[(String, String)]) -> Result<&'static str, ApiError> {
    let Some(raw) = param(params, "order") else {
        return Ok("relevance");
    };
    ORDERS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(raw.trim()))
        .copied()
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                "order",
                format!(
                    "Invalid string value: '{raw}'. Allowed values: [date, rating, relevance, title, videocount, viewcount]"
                ),
            )
        })
}

/// Whether videos are asked for, and the normalised `type` for the page-token hash. Only
/// videos exist here: a search restricted to channels or playlists finds nothing.
fn types(params: &[(String, String)]) -> (bool, String) {
    let Some(raw) = param(params, "type") else {
        return (true, String::new());
    };
    let mut types: Vec<String> = raw
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    types.sort();
    types.dedup();
    (
        types.is_empty() || types.iter().any(|t| t == "video"),
        types.join(","),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_terms() {
        let (t, norm) = parse_q("  Cricket  -Shorts \"live\" ipl|t20 ");
        assert_eq!(norm, "cricket -shorts live ipl|t20");
        assert_eq!(
            t,
            vec![
                Term::Must("cricket".into()),
                Term::MustNot("shorts".into()),
                Term::Must("live".into()),
                Term::AnyOf(vec!["ipl".into(), "t20".into()]),
            ]
        );
    }
}
