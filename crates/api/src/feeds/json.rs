//! The JSON Feed 1.1 rendering. Each item also carries the API's whole video object under
//! `_tubefeed` (JSON Feed's extension convention), so a consumer needs no second request for
//! the duration, counts or language.

use chrono::SecondsFormat;
use serde::Serialize;
use tubefeed_core::{Video, VideoView};

use super::{Links, channel_url, clean, thumbnail, title, updated};
use crate::ApiError;
use crate::list::Listing;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    description: String,
    items: Vec<Item>,
}

#[derive(Serialize)]
struct Item {
    id: String,
    url: String,
    title: String,
    content_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    authors: [Author; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(rename = "_tubefeed")]
    video: VideoView,
}

#[derive(Serialize)]
struct Author {
    name: String,
    url: String,
}

pub(super) fn render(l: &Listing<'_>, links: &Links) -> Result<Vec<u8>, ApiError> {
    let videos = &l.page.videos;
    let newest = updated(videos).to_rfc3339_opts(SecondsFormat::Secs, true);
    let feed = JsonFeed {
        version: VERSION,
        title: clean(&title(&l.req.query)),
        home_page_url: links.html.clone(),
        feed_url: links.self_url.clone(),
        next_url: links.next.clone(),
        description: format!("The newest YouTube videos tubefeed stored, as of {newest}."),
        items: videos.iter().map(item).collect(),
    };
    serde_json::to_vec(&feed).map_err(|e| ApiError::Internal(format!("json feed: {e}")))
}

fn item(v: &Video) -> Item {
    Item {
        id: format!("yt:video:{}", v.id),
        url: v.url(),
        title: clean(&v.title),
        content_text: clean(&v.description),
        image: thumbnail(v).map(|t| t.url.clone()),
        date_published: v.published_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        authors: [Author {
            name: clean(&v.channel_title),
            url: channel_url(v),
        }],
        language: v
            .details
            .as_ref()
            .and_then(|d| d.language.as_ref())
            .map(|l| l.as_str().to_owned()),
        video: VideoView::from(v),
    }
}
