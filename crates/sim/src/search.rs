//! `search.list`: admission (faults, key, quota), parameter validation, matching, paging and
//! rendering.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use crate::config::LiveState;
use crate::errors::ApiError;
use crate::fields::Mask;
use crate::ids;
use crate::json::Node;
use crate::tokens::PageToken;
use crate::world::{Video, World};

/// What the HTTP layer sends back.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    pub delay_ms: Option<u64>,
}

/// Above this many matches `totalResults` reads 1000000, as it does on real YouTube for any
/// popular query; below it the count is exact. Either way it says nothing about how many results
/// paging will really yield.
const TOTAL_RESULTS_EXACT_BELOW: usize = 1000;
const TOTAL_RESULTS_LARGE: i64 = 1_000_000;
/// Search snippets cut descriptions near this many characters.
const DESCRIPTION_LIMIT: usize = 160;
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

/// Handles one `GET /youtube/v3/search`. The caller holds the world lock.
pub(crate) fn search(world: &mut World, params: &[(String, String)]) -> Answer {
    let call_no = world.stats.total + 1;
    world.stats.total = call_no;
    let key = param(params, "key");
    *world
        .stats
        .per_key
        .entry(key.unwrap_or_default().to_owned())
        .or_insert(0) += 1;
    let delay_ms = world.cfg.faults.slow_ms;

    let (status, body) = match injected_fault(world, call_no) {
        Some(answer) => {
            world.stats.faults_injected += 1;
            answer
        }
        None => match admit_and_run(world, key, params) {
            Ok(body) => (200, body),
            Err(e) => e.render(),
        },
    };
    *world.stats.per_status.entry(status).or_insert(0) += 1;
    Answer {
        status,
        body,
        delay_ms,
    }
}

/// Applies the [`crate::FaultPlan`] rules in their documented order.
fn injected_fault(world: &mut World, call_no: u64) -> Option<(u16, String)> {
    let f = world.cfg.faults.clone();
    if let Some(after) = f.server_error_after_calls
        && call_no > after
        && f.server_error_count
            .is_none_or(|limit| world.server_errors_given < limit)
    {
        world.server_errors_given += 1;
        return Some(ApiError::Backend { code: 503 }.render());
    }
    if f.status_500_fraction > 0.0
        && ids::unit_f64(world.cfg.seed, "fault500", call_no) < f.status_500_fraction
    {
        return Some(ApiError::Backend { code: 500 }.render());
    }
    if let Some(after) = f.malformed_after_calls
        && call_no > after
        && f.malformed_count
            .is_none_or(|limit| world.malformed_given < limit)
    {
        world.malformed_given += 1;
        return Some((200, malformed_body(call_no)));
    }
    None
}

/// The start of a plausible answer, cut off mid-item as a dropped connection would leave it.
fn malformed_body(call_no: u64) -> String {
    let etag = ids::etag(&[b"malformed", &call_no.to_le_bytes()]);
    let item = ids::etag(&[b"malformed-item", &call_no.to_le_bytes()]);
    format!(
        "{{\n  \"kind\": \"youtube#searchListResponse\",\n  \"etag\": \"{etag}\",\n  \"nextPageToken\": \"CAUQAA\",\n  \"regionCode\": \"US\",\n  \"pageInfo\": {{\n    \"totalResults\": 1000000,\n    \"resultsPerPage\": 5\n  }},\n  \"items\": [\n    {{\n      \"kind\": \"youtube#searchResult\",\n      \"etag\": \"{item}\",\n      \"id\": {{\n        \"kind\": \"youtube#vid"
    )
}

/// Key, then quota, then the request itself: the order in which Google rejects things.
fn admit_and_run(
    world: &mut World,
    key: Option<&str>,
    params: &[(String, String)],
) -> Result<String, ApiError> {
    let key = match key {
        None | Some("") => return Err(ApiError::MissingKey),
        Some(k) => k,
    };
    if world.cfg.disabled_keys.iter().any(|k| k == key) {
        return Err(ApiError::AccessNotConfigured {
            project: world.project_number_of(key),
        });
    }
    if !world.cfg.valid_keys.iter().any(|k| k == key) {
        return Err(ApiError::InvalidKey(world.cfg.invalid_key_shape));
    }
    if !world.spend(key) {
        *world.stats.quota_refused.entry(key.to_owned()).or_insert(0) += 1;
        return Err(ApiError::QuotaExhausted {
            shape: world
                .cfg
                .quota_error_by_key
                .get(key)
                .copied()
                .unwrap_or(world.cfg.quota_error),
            project: world.project_number_of(key),
        });
    }
    // The call is billed from here on, whether or not its parameters are valid.
    let req = SearchRequest::parse(params)?;
    run(world, &req)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Must(String),
    MustNot(String),
    AnyOf(Vec<String>),
}

#[derive(Debug)]
struct SearchRequest {
    terms: Vec<Term>,
    /// Normalised `q`, part of the page-token hash.
    q_norm: String,
    order: &'static str,
    videos_wanted: bool,
    type_norm: String,
    event: Option<LiveState>,
    max_results: u32,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    page_token: Option<String>,
    fields: Option<Mask>,
}

impl SearchRequest {
    fn parse(params: &[(String, String)]) -> Result<SearchRequest, ApiError> {
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

        let max_results = match param(params, "maxResults") {
            None => MAX_RESULTS_DEFAULT,
            Some(raw) => {
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
                    })?
            }
        };

        let order = match param(params, "order") {
            None => "relevance",
            Some(raw) => ORDERS
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
                })?,
        };

        let after = parse_time(params, "publishedAfter", "published_after")?;
        let before = parse_time(params, "publishedBefore", "published_before")?;

        let fields = match param(params, "fields") {
            None => None,
            Some(raw) => Some(Mask::parse(raw).map_err(|sel| ApiError::BadParameter {
                domain: "global",
                reason: "invalidParameter",
                message: format!("Invalid field selection {sel}"),
                location: "fields",
            })?),
        };

        // Only videos exist here: a search restricted to channels or playlists finds nothing.
        let (videos_wanted, type_norm) = match param(params, "type") {
            None => (true, String::new()),
            Some(raw) => {
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
        };

        let event = match param(params, "eventType").map(str::trim) {
            Some("live") => Some(LiveState::Live),
            Some("upcoming") => Some(LiveState::Upcoming),
            Some("completed") => Some(LiveState::None),
            _ => None,
        };

        let q = param(params, "q").unwrap_or_default();
        let (terms, q_norm) = parse_q(q);

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
    fn query_hash(&self) -> u32 {
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

    fn matches(&self, v: &Video) -> bool {
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

fn run(world: &World, req: &SearchRequest) -> Result<String, ApiError> {
    let hash = req.query_hash();
    let max = req.max_results as usize;
    let step = if world.cfg.repeat_across_pages && max > 1 {
        max - 1
    } else {
        max
    };
    let start = match &req.page_token {
        None => 0,
        Some(raw) => {
            let t = PageToken::decode(raw)
                .filter(|t| t.query_hash == hash)
                .ok_or_else(ApiError::invalid_page_token)?;
            let offset = usize::try_from(t.offset).map_err(|_| ApiError::invalid_page_token())?;
            if offset > world.cfg.result_cap {
                return Err(ApiError::invalid_page_token());
            }
            if t.backward {
                offset.saturating_sub(step)
            } else {
                offset
            }
        }
    };

    // Computed afresh on every call, as YouTube does: anything indexed between two page calls
    // shifts the list and can repeat an item across a page boundary.
    let now = world.now();
    let matched: Vec<&Video> = if req.videos_wanted {
        world
            .in_range(req.after, req.before)
            .filter(|v| v.indexed_at <= now && req.matches(v))
            .collect()
    } else {
        Vec::new()
    };
    // Every supported order behaves like `date` (newest first, ties by id descending), which is
    // the only order whose semantics a feed fetcher depends on.
    let limit = matched.len().min(world.cfg.result_cap);
    let end = start.saturating_add(max).min(limit);
    let page: &[&Video] = if start < end {
        &matched[start..end]
    } else {
        &[]
    };
    let next = (max > 0 && end < limit).then(|| PageToken {
        offset: (start + step) as u64,
        backward: false,
        query_hash: hash,
    });
    let prev = (start > 0).then_some(PageToken {
        offset: start as u64,
        backward: true,
        query_hash: hash,
    });
    let total = if matched.len() < TOTAL_RESULTS_EXACT_BELOW {
        matched.len() as i64
    } else {
        TOTAL_RESULTS_LARGE
    };

    let items: Vec<Node> = page.iter().map(|v| render_item(v)).collect();
    let next_s = next.map(|t| t.encode());
    let prev_s = prev.map(|t| t.encode());
    let mut etag_parts: Vec<&[u8]> = vec![b"page"];
    for v in page {
        etag_parts.push(v.id.as_bytes());
    }
    etag_parts.push(next_s.as_deref().unwrap_or("").as_bytes());
    etag_parts.push(prev_s.as_deref().unwrap_or("").as_bytes());
    let total_bytes = total.to_le_bytes();
    etag_parts.push(&total_bytes);

    let mut body = Node::obj()
        .with("kind", "youtube#searchListResponse")
        .with("etag", ids::etag(&etag_parts))
        .with_opt("nextPageToken", next_s)
        .with_opt("prevPageToken", prev_s)
        .with("regionCode", "US")
        .with(
            "pageInfo",
            Node::obj()
                .with("totalResults", total)
                .with("resultsPerPage", i64::from(req.max_results)),
        )
        .with("items", items);
    if let Some(mask) = &req.fields {
        mask.apply(&mut body);
    }
    Ok(body.to_wire(b"  "))
}

fn render_item(v: &Video) -> Node {
    let published = v.published_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let suffix = match v.live {
        // Live and upcoming broadcasts get the `_live` thumbnails.
        LiveState::Live | LiveState::Upcoming => "_live",
        LiveState::None => "",
    };
    let thumb = |name: &str, w: i64, h: i64| {
        Node::obj()
            .with(
                "url",
                format!("https://i.ytimg.com/vi/{}/{name}{suffix}.jpg", v.id),
            )
            .with("width", w)
            .with("height", h)
    };
    Node::obj()
        .with("kind", "youtube#searchResult")
        .with(
            "etag",
            ids::etag(&[
                b"item",
                v.id.as_bytes(),
                v.title.as_bytes(),
                v.live.as_str().as_bytes(),
            ]),
        )
        .with(
            "id",
            Node::obj()
                .with("kind", "youtube#video")
                .with("videoId", v.id.as_str()),
        )
        .with(
            "snippet",
            Node::obj()
                .with("publishedAt", published.as_str())
                .with("channelId", v.channel_id.as_str())
                .with("title", escape_title(&v.title))
                .with("description", snippet_description(&v.description))
                .with(
                    "thumbnails",
                    Node::obj()
                        .with("default", thumb("default", 120, 90))
                        .with("medium", thumb("mqdefault", 320, 180))
                        .with("high", thumb("hqdefault", 480, 360)),
                )
                .with("channelTitle", v.channel_title.as_str())
                .with("liveBroadcastContent", v.live.as_str())
                .with("publishTime", published),
        )
}

/// search.list HTML-escapes titles (and only titles) exactly like this.
pub(crate) fn escape_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Search snippets flatten whitespace and cut long descriptions at a word boundary before about
/// 160 characters, ending them in `" ..."`.
pub(crate) fn snippet_description(s: &str) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= DESCRIPTION_LIMIT {
        return flat;
    }
    let mut cut: String = flat.chars().take(DESCRIPTION_LIMIT - 4).collect();
    // Prefer a word boundary, unless that would throw away most of the text (CJK has no spaces).
    if let Some(i) = cut.rfind(' ')
        && cut[..i].chars().count() > DESCRIPTION_LIMIT / 2
    {
        cut.truncate(i);
    }
    let trimmed = cut.trim_end();
    format!("{trimmed} ...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_titles_like_youtube() {
        assert_eq!(
            escape_title(r#"Can't "stop" <this> & that"#),
            "Can&#39;t &quot;stop&quot; &lt;this&gt; &amp; that"
        );
        assert_eq!(escape_title("हिंदी 🔴"), "हिंदी 🔴");
    }

    #[test]
    fn cuts_long_descriptions() {
        let short = "It's \"fine\" & short";
        assert_eq!(snippet_description(short), short);
        let long = "word ".repeat(60);
        let cut = snippet_description(&long);
        assert!(cut.ends_with(" ..."));
        assert!(cut.chars().count() <= DESCRIPTION_LIMIT);
        assert!(cut.chars().count() > 140);
        let cjk = "精彩集锦".repeat(60);
        let cut = snippet_description(&cjk);
        assert!(cut.ends_with(" ..."));
        assert!(cut.chars().count() <= DESCRIPTION_LIMIT);
        assert_eq!(snippet_description("a\n\nb  c"), "a b c");
    }

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
