//! `search.list`: admission (faults, key, quota), parameter validation, matching, paging and
//! rendering.

use crate::errors::ApiError;
use crate::ids;
use crate::json::Node;
use crate::tokens::PageToken;
use crate::world::{Video, World};

mod render;
mod request;

use render::render_item;
pub(crate) use render::thumbnails;
use request::SearchRequest;

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
    let key = admit_key(world, key)?;
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

/// The key checks every method shares, in Google's order: missing, disabled, unknown. None of
/// these is billed.
pub(crate) fn admit_key<'a>(world: &World, key: Option<&'a str>) -> Result<&'a str, ApiError> {
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
    Ok(key)
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn run(world: &World, req: &SearchRequest) -> Result<String, ApiError> {
    let hash = req.query_hash();
    let max = req.max_results as usize;
    let step = if world.cfg.repeat_across_pages && max > 1 {
        max - 1
    } else {
        max
    };
    let start = start_offset(world, req, hash, step)?;
    // Computed afresh on every call, as YouTube does: anything indexed between two page calls
    // shifts the list and can repeat an item across a page boundary.
    let now = world.now();
    let matched: Vec<&Video> = if req.videos_wanted {
        world
            .in_range(req.after, req.before)
            .filter(|v| {
                !v.off_topic && v.indexed_at <= now && !world.is_deleted(&v.id) && req.matches(v)
            })
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
    Ok(render_list(req, page, next, prev, total))
}

/// Where the page starts: 0, or where the page token points (which must be this query's, and
/// within the result cap).
fn start_offset(
    world: &World,
    req: &SearchRequest,
    hash: u32,
    step: usize,
) -> Result<usize, ApiError> {
    let Some(raw) = &req.page_token else {
        return Ok(0);
    };
    let t = PageToken::decode(raw)
        .filter(|t| t.query_hash == hash)
        .ok_or_else(ApiError::invalid_page_token)?;
    let offset = usize::try_from(t.offset).map_err(|_| ApiError::invalid_page_token())?;
    if offset > world.cfg.result_cap {
        return Err(ApiError::invalid_page_token());
    }
    Ok(if t.backward {
        offset.saturating_sub(step)
    } else {
        offset
    })
}

/// The `searchListResponse` body, with the request's field mask applied.
fn render_list(
    req: &SearchRequest,
    page: &[&Video],
    next: Option<PageToken>,
    prev: Option<PageToken>,
    total: i64,
) -> String {
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
    body.to_wire(b"  ")
}
