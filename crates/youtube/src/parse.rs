//! `search.list` response bodies → domain videos.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tubefeed_core::text::decode_title;
use tubefeed_core::{
    ChannelId, LiveBroadcast, SearchPage, SourceError, Thumbnail, Thumbnails, Video, VideoId,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResponse {
    next_page_token: Option<String>,
    // Items are decoded one by one so that one odd item is skipped, not the whole page.
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawItem {
    id: Option<RawId>,
    snippet: Option<RawSnippet>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Object {
        kind: Option<String>,
        #[serde(rename = "videoId")]
        video_id: Option<String>,
    },
    // Other list endpoints put the id straight in `id`; accept it rather than lose the item.
    Plain(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSnippet {
    published_at: Option<String>,
    publish_time: Option<String>,
    channel_id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    thumbnails: HashMap<String, RawThumb>,
    channel_title: Option<String>,
    live_broadcast_content: Option<String>,
}

#[derive(Deserialize)]
struct RawThumb {
    url: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
}

/// Parses one page. A body that is not a search response at all is [`SourceError::Malformed`];
/// items that are not videos, or lack what a video needs (id, title, `publishedAt`), are counted
/// in `skipped_items`.
pub fn parse_search_page(body: &[u8]) -> Result<SearchPage, SourceError> {
    let raw: RawResponse =
        serde_json::from_slice(body).map_err(|e| SourceError::Malformed(e.to_string()))?;
    let raw_items = raw.items.len();
    let mut videos = Vec::with_capacity(raw_items);
    let mut skipped = 0;
    for item in raw.items {
        match serde_json::from_value::<RawItem>(item)
            .ok()
            .and_then(to_video)
        {
            Some(v) => videos.push(v),
            None => skipped += 1,
        }
    }
    Ok(SearchPage {
        videos,
        next_page_token: raw.next_page_token.filter(|t| !t.is_empty()),
        skipped_items: skipped,
        raw_items,
    })
}

fn to_video(item: RawItem) -> Option<Video> {
    let id = match item.id? {
        RawId::Object { kind, video_id } => {
            if kind.as_deref().is_some_and(|k| k != "youtube#video") {
                return None;
            }
            video_id?
        }
        RawId::Plain(s) => s,
    };
    let id = VideoId::parse(&id).ok()?;
    let s = item.snippet?;
    let channel_id = ChannelId::parse(s.channel_id.as_deref()?).ok()?;
    let published_at = s
        .published_at
        .as_deref()
        .or(s.publish_time.as_deref())
        .and_then(parse_time)?;
    let title = decode_title(&s.title?);
    let thumb = |name: &str| {
        s.thumbnails.get(name).and_then(|t| {
            t.url.clone().map(|url| Thumbnail {
                url,
                width: t.width,
                height: t.height,
            })
        })
    };
    Some(Video {
        id,
        title,
        thumbnails: Thumbnails {
            default: thumb("default"),
            medium: thumb("medium"),
            high: thumb("high"),
        },
        description: s.description.unwrap_or_default(),
        published_at,
        channel_id,
        channel_title: s.channel_title.unwrap_or_default(),
        live_broadcast_content: LiveBroadcast::from_youtube(
            s.live_broadcast_content.as_deref().unwrap_or("none"),
        ),
        details: None,
    })
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
