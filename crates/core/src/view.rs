//! A video as the API shows it (SPEC §4): the one JSON shape of a video that `/videos`, the
//! feeds' `_tubefeed` and new-video events share.

use chrono::SecondsFormat;
use serde::Serialize;

use crate::details::DetailsFields;
use crate::video::{Thumbnails, Video};

/// A video in the API's shape.
#[derive(Debug, Serialize)]
pub struct VideoView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub published_at: String,
    pub channel_id: String,
    pub channel_title: String,
    pub thumbnails: Thumbnails,
    pub live_broadcast_content: &'static str,
    pub url: String,
    /// `duration_seconds`, `is_short`, counts, `language`, `live`: each absent until known.
    #[serde(flatten)]
    pub details: DetailsFields,
}

impl From<&Video> for VideoView {
    fn from(v: &Video) -> Self {
        Self {
            id: v.id.to_string(),
            title: v.title.clone(),
            description: v.description.clone(),
            published_at: v.published_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            channel_id: v.channel_id.to_string(),
            channel_title: v.channel_title.clone(),
            thumbnails: v.thumbnails.clone(),
            live_broadcast_content: v.live_broadcast_content.as_str(),
            url: v.url(),
            details: DetailsFields::of(v.details.as_ref()),
        }
    }
}
