//! Every list-shaped answer — `/videos`, `/search`, the Atom and JSON feeds — is one pipeline:
//! parse, hide blocked channels, check the page token, serve a warm first page or read one,
//! render. Only the rendering differs.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tubefeed_core::{ChannelId, FeedPage, FeedReader, VideoView};

use crate::params::{DEFAULT_LIMIT, ListRequest, parse_list_with};
use crate::respond::cached_response;
use crate::token::query_hash;
use crate::{ApiError, ApiState, LIST_CACHE_CONTROL};

/// How one route lists: whether it must search, its page size when none is asked, and how it
/// renders a page.
pub(crate) struct ListRoute<'a> {
    pub require_q: bool,
    pub default_limit: u8,
    pub content_type: &'static str,
    /// Tells this route's warm first pages from another's (a feed's links name the host).
    pub cache_tag: &'a str,
}

/// One page, ready to render.
pub(crate) struct Listing<'a> {
    pub req: &'a ListRequest,
    pub page: &'a FeedPage,
    /// The next page's token, when there is one.
    pub next_token: Option<String>,
}

#[derive(Serialize)]
struct ListBody {
    items: Vec<VideoView>,
    next_page_token: Option<String>,
}

/// `/videos` (`SEARCH` false) and `/search` (`q` required): the same list as JSON.
pub(crate) async fn json_list<R: FeedReader, const SEARCH: bool>(
    State(st): State<Arc<ApiState<R>>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let route = ListRoute {
        require_q: SEARCH,
        default_limit: DEFAULT_LIMIT,
        content_type: "application/json",
        cache_tag: "",
    };
    serve_list(&st, raw.as_deref(), &headers, &route, render_json).await
}

fn render_json(l: Listing<'_>) -> Result<Vec<u8>, ApiError> {
    let body = ListBody {
        items: l.page.videos.iter().map(VideoView::from).collect(),
        next_page_token: l.next_token,
    };
    serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))
}

pub(crate) async fn serve_list<R: FeedReader>(
    st: &ApiState<R>,
    raw: Option<&str>,
    headers: &HeaderMap,
    route: &ListRoute<'_>,
    render: impl FnOnce(Listing<'_>) -> Result<Vec<u8>, ApiError>,
) -> Result<Response, ApiError> {
    let req = request(st, raw, route).await?;
    let tokens = st.codec().await;
    let cursor = match &req.page_token {
        Some(t) => Some(
            tokens
                .decode(&req.query, t)
                .map_err(|e| ApiError::bad("page_token", e.to_string()))?,
        ),
        None => None,
    };
    // Only first pages are cached: they are what dashboards, feed readers and pollers hammer.
    let cache_key = cursor.is_none().then(|| {
        format!(
            "{}|{}|{}|{}",
            route.cache_tag,
            query_hash(&req.query),
            req.query.limit,
            blocks_key(&req.query.hidden_channels)
        )
    });
    let ttl = st.settings.first_page_ttl;
    if let Some((at, body)) = cache_key.as_ref().and_then(|k| st.first_pages.get(k)) {
        if at.elapsed() < ttl {
            let body = body.as_ref().clone();
            return Ok(cached_response(
                headers,
                body,
                route.content_type,
                LIST_CACHE_CONTROL,
            ));
        }
    }
    let page = read_page(st, &req, cursor.as_ref()).await?;
    let bytes = render(Listing {
        req: &req,
        page: &page,
        next_token: page.next.as_ref().map(|c| tokens.encode(&req.query, c)),
    })?;
    tracing::debug!(topic = %req.query.topic, items = page.videos.len(), read_units = page.read_units, "page served");
    if let (Some(k), false) = (cache_key, ttl.is_zero()) {
        st.first_pages
            .insert(k, (Instant::now(), Arc::new(bytes.clone())));
    }
    Ok(cached_response(
        headers,
        bytes,
        route.content_type,
        LIST_CACHE_CONTROL,
    ))
}

/// The request as parsed, with this moment's blocked channels hidden.
async fn request<R: FeedReader>(
    st: &ApiState<R>,
    raw: Option<&str>,
    route: &ListRoute<'_>,
) -> Result<ListRequest, ApiError> {
    let mut req = parse_list_with(raw, &st.served_topics, route.require_q, route.default_limit)?;
    let hidden = st
        .blocks
        .current(&st.reader)
        .await
        .map_err(|e| ApiError::from_store("blocked channels", e))?;
    if req
        .query
        .channel_id
        .as_ref()
        .is_some_and(|c| hidden.contains(c))
    {
        req.matches_nothing = true;
    }
    req.query.hidden_channels = hidden.to_vec();
    Ok(req)
}

async fn read_page<R: FeedReader>(
    st: &ApiState<R>,
    req: &ListRequest,
    cursor: Option<&tubefeed_core::Cursor>,
) -> Result<FeedPage, ApiError> {
    if req.matches_nothing {
        return Ok(FeedPage::default());
    }
    if !req.query.terms.is_empty() && !st.searches.try_take() {
        return Err(ApiError::TooManyRequests);
    }
    st.reader
        .page(&req.query, cursor)
        .await
        .map_err(|e| ApiError::from_store(&format!("feed page for topic {}", req.query.topic), e))
}

/// A short name of the blocked set for the first-page cache key: a block changes the key.
fn blocks_key(hidden: &[ChannelId]) -> String {
    let mut h = Sha256::new();
    for c in hidden {
        h.update(c.as_str().as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..9]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
