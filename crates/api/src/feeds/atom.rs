//! The Atom rendering. Entries are shaped as YouTube's own channel feeds shape them
//! (`yt:videoId`, `yt:channelId`, a `media:group` with title, thumbnail and description), so
//! readers that recognise YouTube entries show them as videos.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig};
use chrono::{DateTime, Utc};
use quick_xml::escape::escape;
use tubefeed_core::Video;

use super::{Links, channel_url, clean, thumbnail, title, updated};
use crate::ApiError;
use crate::list::Listing;
use crate::token::query_hash;

const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";
const YT_NS: &str = "http://www.youtube.com/xml/schemas/2015";

pub(super) fn render(l: &Listing<'_>, links: &Links) -> Result<Vec<u8>, ApiError> {
    let videos = &l.page.videos;
    let mut feed_links = vec![
        link("self", &links.self_url, Some("application/atom+xml")),
        link("alternate", &links.html, Some("text/html")),
        link("alternate", &links.sibling, Some("application/feed+json")),
    ];
    if let Some(next) = &links.next {
        feed_links.push(link("next", next, Some("application/atom+xml")));
    }
    let feed = Feed {
        title: Text::plain(clean(&title(&l.req.query))),
        // The same view has the same id on every host and page.
        id: format!("urn:tubefeed:feed:{}", query_hash(&l.req.query)),
        updated: time(updated(videos)),
        links: feed_links,
        generator: Some(Generator {
            value: "tubefeed".into(),
            uri: Some("https://github.com/tubefeed/tubefeed".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        entries: videos.iter().map(entry).collect(),
        namespaces: BTreeMap::from([
            ("media".to_owned(), MEDIA_NS.to_owned()),
            ("yt".to_owned(), YT_NS.to_owned()),
        ]),
        ..Feed::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: None,
    };
    feed.write_with_config(Vec::new(), config)
        .map_err(|e| ApiError::Internal(format!("atom feed: {e}")))
}

fn entry(v: &Video) -> Entry {
    let published = time(v.published_at);
    let mut title = Text::plain(clean(&v.title));
    title.lang = v
        .details
        .as_ref()
        .and_then(|d| d.language.as_ref())
        .map(|l| l.as_str().to_owned());
    let description = clean(&v.description);
    Entry {
        id: format!("yt:video:{}", v.id),
        title,
        // Search results do not say when a video was edited; its publication is the last
        // change this service knows of.
        updated: published,
        published: Some(published),
        authors: vec![Person {
            name: clean(&v.channel_title),
            uri: Some(channel_url(v)),
            ..Person::default()
        }],
        links: vec![link("alternate", &v.url(), Some("text/html"))],
        summary: (!description.is_empty()).then(|| Text::plain(description.clone())),
        extensions: extensions(v, &description),
        ..Entry::default()
    }
}

fn extensions(v: &Video, description: &str) -> ExtensionMap {
    let mut group = vec![
        element("media:title", Some(clean(&v.title)), &[]),
        element("media:description", Some(description.to_owned()), &[]),
    ];
    if let Some(t) = thumbnail(v) {
        let mut attrs = vec![("url", t.url.clone())];
        attrs.extend(t.width.map(|w| ("width", w.to_string())));
        attrs.extend(t.height.map(|h| ("height", h.to_string())));
        group.push(element("media:thumbnail", None, &attrs));
    }
    if let Some(secs) = v.details.as_ref().and_then(|d| d.duration_seconds) {
        let attrs = [
            ("url", v.url()),
            ("medium", "video".to_owned()),
            ("duration", secs.to_string()),
        ];
        group.push(element("media:content", None, &attrs));
    }
    let mut media_group = element("media:group", None, &[]);
    for child in group {
        media_group
            .children
            .entry(child.name.clone())
            .or_default()
            .push(child);
    }
    let yt = BTreeMap::from([
        (
            "videoId".to_owned(),
            vec![element("yt:videoId", Some(v.id.to_string()), &[])],
        ),
        (
            "channelId".to_owned(),
            vec![element("yt:channelId", Some(v.channel_id.to_string()), &[])],
        ),
    ]);
    ExtensionMap::from([
        (
            "media".to_owned(),
            BTreeMap::from([("group".to_owned(), vec![media_group])]),
        ),
        ("yt".to_owned(), yt),
    ])
}

fn element(name: &str, value: Option<String>, attrs: &[(&str, String)]) -> Extension {
    Extension {
        name: name.to_owned(),
        value,
        attrs: attrs
            .iter()
            // Written as given (atom_syndication escapes its own attributes, not these).
            .map(|(k, v)| ((*k).to_owned(), escape(v.as_str()).into_owned()))
            .collect(),
        children: BTreeMap::new(),
    }
}

fn link(rel: &str, href: &str, mime: Option<&str>) -> Link {
    Link {
        rel: rel.to_owned(),
        href: href.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Link::default()
    }
}

fn time(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}
