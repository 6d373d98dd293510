//! A channel's Atom feed (`/feeds/videos.xml?channel_id=UC…`) → domain videos.
//!
//! One pass over quick-xml's events with a stack of where we are: no DOM, no recursion, so
//! a deep or long document costs only its (capped) size. Elements are matched by namespace
//! (Atom, `yt:`, `media:`), with the `yt`/`media` prefixes accepted when a feed forgets to
//! declare them and un-namespaced names taken as Atom.

use chrono::{DateTime, Utc};
use quick_xml::NsReader;
use quick_xml::events::{BytesRef, Event};
use quick_xml::name::{LocalName, Namespace, ResolveResult};
use tracing::debug;
use tubefeed_core::{
    ChannelFeed, ChannelId, FeedError, LiveBroadcast, Thumbnail, Thumbnails, Video, VideoId,
};

/// A feed holds 15 entries; more than this is not YouTube's feed, and is not read further
/// than this many (the rest are ignored, not counted as skipped).
pub const MAX_FEED_ENTRIES: usize = 200;

const ATOM_NS: &[u8] = b"http://www.w3.org/2005/Atom";
const YT_NS: &[u8] = b"http://www.youtube.com/xml/schemas/2015";
const MEDIA_NS: &[u8] = b"http://search.yahoo.com/mrss/";
const MEDIA_NS_NO_SLASH: &[u8] = b"http://search.yahoo.com/mrss";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Atom,
    Yt,
    Media,
    Other,
}

/// The text elements we keep, by where they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    FeedTitle,
    FeedChannelId,
    FeedAuthorName,
    EntryId,
    EntryVideoId,
    EntryChannelId,
    EntryTitle,
    EntryAuthorName,
    EntryPublished,
    MediaTitle,
    MediaDescription,
}

/// Where the reader stands: the open elements that matter, and `Other` for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Feed,
    FeedAuthor,
    Entry,
    EntryAuthor,
    MediaGroup,
    Text(Slot),
    Other,
}

/// An entry's fields as read, before the feed-level fallbacks (which may come after it).
#[derive(Debug, Default)]
struct RawEntry {
    id: Option<String>,
    video_id: Option<String>,
    channel_id: Option<String>,
    title: Option<String>,
    author_name: Option<String>,
    published: Option<String>,
    media_title: Option<String>,
    media_description: Option<String>,
}

#[derive(Debug, Default)]
struct RawFeed {
    title: Option<String>,
    channel_id: Option<String>,
    author_name: Option<String>,
    entries: Vec<RawEntry>,
    /// Entries past [`MAX_FEED_ENTRIES`], dropped unread.
    ignored: usize,
}

/// Parses one feed body. A body that is not XML, or whose root is not an Atom `<feed>`, or
/// that ends before `</feed>` (a cut-off answer must not be remembered as the feed's state),
/// is [`FeedError::Malformed`]. Entries lacking an id, channel or valid publish time are
/// counted in `skipped_entries`. The validators are left empty: they come from headers.
pub fn parse_channel_feed(xml: &str) -> Result<ChannelFeed, FeedError> {
    let raw = read_feed(xml)?;
    if raw.ignored > 0 {
        debug!(target: "tubefeed::youtube", ignored = raw.ignored, "feed entries past the cap ignored");
    }
    let mut entries = Vec::with_capacity(raw.entries.len());
    let mut skipped_entries = 0;
    for entry in &raw.entries {
        match to_video(entry, &raw) {
            Some(v) => entries.push(v),
            None => skipped_entries += 1,
        }
    }
    Ok(ChannelFeed {
        entries,
        validators: Default::default(),
        skipped_entries,
    })
}

/// The event loop: builds the raw feed, or says why the body is not one.
fn read_feed(xml: &str) -> Result<RawFeed, FeedError> {
    let mut reader = NsReader::from_str(xml);
    // `<title/>` then reads as an open and a close, one code path for both.
    reader.config_mut().expand_empty_elements = true;
    let mut feed = RawFeed::default();
    let mut stack: Vec<Node> = Vec::new();
    let mut current = RawEntry::default();
    let mut text = String::new();
    loop {
        let read = reader
            .read_resolved_event()
            .map(|(res, event)| (ns_of(&res), event));
        let (ns, event) = match read {
            Ok(read) => read,
            Err(e) => {
                let at = reader.error_position();
                return Err(FeedError::Malformed(format!("{e} at byte {at}")));
            }
        };
        match event {
            Event::Start(start) => {
                let node = classify(stack.last().copied(), ns, start.local_name())?;
                match node {
                    Node::Entry => current = RawEntry::default(),
                    Node::Text(_) => text.clear(),
                    _ => {}
                }
                stack.push(node);
            }
            Event::End(_) => match stack.pop() {
                Some(Node::Text(slot)) => {
                    store(slot, std::mem::take(&mut text), &mut feed, &mut current)
                }
                Some(Node::Entry) => {
                    let entry = std::mem::take(&mut current);
                    if feed.entries.len() < MAX_FEED_ENTRIES {
                        feed.entries.push(entry);
                    } else {
                        feed.ignored += 1;
                    }
                }
                // The root closed: whatever follows is not the feed's business.
                Some(Node::Feed) => return Ok(feed),
                _ => {}
            },
            Event::Text(t) if in_text(&stack) => text.push_str(&decoded(t.xml10_content())?),
            Event::CData(t) if in_text(&stack) => text.push_str(&decoded(t.xml10_content())?),
            Event::GeneralRef(r) if in_text(&stack) => push_reference(&mut text, &r)?,
            Event::Eof if stack.is_empty() => {
                return Err(FeedError::Malformed("no Atom <feed> element".into()));
            }
            Event::Eof => {
                return Err(FeedError::Malformed("the feed ends before </feed>".into()));
            }
            _ => {}
        }
    }
}

/// Which namespace an element is in. Un-namespaced names count as Atom (a feed without its
/// `xmlns` is still a feed); an undeclared `yt:`/`media:` prefix counts as that namespace.
fn ns_of(res: &ResolveResult<'_>) -> Ns {
    match res {
        ResolveResult::Unbound => Ns::Atom,
        ResolveResult::Bound(Namespace(uri)) => match *uri {
            ATOM_NS => Ns::Atom,
            YT_NS => Ns::Yt,
            MEDIA_NS | MEDIA_NS_NO_SLASH => Ns::Media,
            _ => Ns::Other,
        },
        ResolveResult::Unknown(prefix) => match prefix.as_slice() {
            b"yt" => Ns::Yt,
            b"media" => Ns::Media,
            _ => Ns::Other,
        },
    }
}

/// What an opening element is, given what encloses it. The root must be an Atom `<feed>`.
fn classify(parent: Option<Node>, ns: Ns, local: LocalName<'_>) -> Result<Node, FeedError> {
    let name = local.into_inner();
    let node = match (parent, ns, name) {
        (None, Ns::Atom, b"feed") => Node::Feed,
        (None, _, _) => {
            let shown = String::from_utf8_lossy(name);
            return Err(FeedError::Malformed(format!(
                "the document is <{shown}>, not an Atom <feed>"
            )));
        }
        (Some(Node::Feed), Ns::Atom, b"entry") => Node::Entry,
        (Some(Node::Feed), Ns::Atom, b"title") => Node::Text(Slot::FeedTitle),
        (Some(Node::Feed), Ns::Atom, b"author") => Node::FeedAuthor,
        (Some(Node::Feed), Ns::Yt, b"channelId") => Node::Text(Slot::FeedChannelId),
        (Some(Node::FeedAuthor), Ns::Atom, b"name") => Node::Text(Slot::FeedAuthorName),
        (Some(Node::Entry), Ns::Atom, b"id") => Node::Text(Slot::EntryId),
        (Some(Node::Entry), Ns::Atom, b"title") => Node::Text(Slot::EntryTitle),
        (Some(Node::Entry), Ns::Atom, b"published") => Node::Text(Slot::EntryPublished),
        (Some(Node::Entry), Ns::Atom, b"author") => Node::EntryAuthor,
        (Some(Node::Entry), Ns::Yt, b"videoId") => Node::Text(Slot::EntryVideoId),
        (Some(Node::Entry), Ns::Yt, b"channelId") => Node::Text(Slot::EntryChannelId),
        (Some(Node::Entry), Ns::Media, b"group") => Node::MediaGroup,
        (Some(Node::EntryAuthor), Ns::Atom, b"name") => Node::Text(Slot::EntryAuthorName),
        (Some(Node::MediaGroup), Ns::Media, b"title") => Node::Text(Slot::MediaTitle),
        (Some(Node::MediaGroup), Ns::Media, b"description") => Node::Text(Slot::MediaDescription),
        _ => Node::Other,
    };
    Ok(node)
}

/// Text is gathered only directly inside a kept text element (markup nested in one is
/// ignored, with its text).
fn in_text(stack: &[Node]) -> bool {
    matches!(stack.last(), Some(Node::Text(_)))
}

fn decoded<E: std::fmt::Display>(
    text: Result<std::borrow::Cow<'_, str>, E>,
) -> Result<std::borrow::Cow<'_, str>, FeedError> {
    text.map_err(|e| FeedError::Malformed(e.to_string()))
}

/// `&amp;`, `&#233;`, `&#x1F600;`: resolved once. An entity XML does not predefine (there is
/// no DTD to define it) is kept as written rather than failing the feed over one title.
fn push_reference(text: &mut String, r: &BytesRef<'_>) -> Result<(), FeedError> {
    if r.is_char_ref() {
        match r.resolve_char_ref() {
            Ok(Some(c)) => text.push(c),
            Ok(None) => {}
            Err(e) => return Err(FeedError::Malformed(e.to_string())),
        }
        return Ok(());
    }
    let name = decoded(r.decode())?;
    match quick_xml::escape::resolve_xml_entity(&name) {
        Some(s) => text.push_str(s),
        None => {
            text.push('&');
            text.push_str(&name);
            text.push(';');
        }
    }
    Ok(())
}

fn store(slot: Slot, text: String, feed: &mut RawFeed, entry: &mut RawEntry) {
    let field = match slot {
        Slot::FeedTitle => &mut feed.title,
        Slot::FeedChannelId => &mut feed.channel_id,
        Slot::FeedAuthorName => &mut feed.author_name,
        Slot::EntryId => &mut entry.id,
        Slot::EntryVideoId => &mut entry.video_id,
        Slot::EntryChannelId => &mut entry.channel_id,
        Slot::EntryTitle => &mut entry.title,
        Slot::EntryAuthorName => &mut entry.author_name,
        Slot::EntryPublished => &mut entry.published,
        Slot::MediaTitle => &mut entry.media_title,
        Slot::MediaDescription => &mut entry.media_description,
    };
    // The first of a repeated element wins, as a feed reader would show it.
    field.get_or_insert(text);
}

/// One entry as a video, with the feed's channel id and title standing in for missing ones.
/// `None` when it lacks an id, a channel or a publish time, or one of them is invalid.
fn to_video(e: &RawEntry, feed: &RawFeed) -> Option<Video> {
    let id = e
        .video_id
        .as_deref()
        .map(str::trim)
        .or_else(|| e.id.as_deref()?.trim().strip_prefix("yt:video:"))?;
    let id = VideoId::parse(id).ok()?;
    let channel = e.channel_id.as_deref().or(feed.channel_id.as_deref())?;
    let channel_id = ChannelId::parse(channel.trim()).ok()?;
    let published_at = parse_time(e.published.as_deref()?)?;
    let title = e.title.as_ref().or(e.media_title.as_ref()).cloned();
    let channel_title = e
        .author_name
        .as_ref()
        .or(feed.title.as_ref())
        .or(feed.author_name.as_ref())
        .cloned();
    Some(Video {
        thumbnails: upload_thumbnails(&id),
        id,
        title: title.unwrap_or_default(),
        description: e.media_description.clone().unwrap_or_default(),
        published_at,
        channel_id,
        channel_title: channel_title.unwrap_or_default(),
        live_broadcast_content: LiveBroadcast::None,
        details: None,
    })
}

/// The three pictures search.list lists for an ordinary (not live) upload, so that a video
/// first read from a feed and later found by search has the same thumbnails. The feed's own
/// `media:thumbnail` (an `i1.ytimg.com` host, one size) is not used for that reason.
pub(crate) fn upload_thumbnails(id: &VideoId) -> Thumbnails {
    let thumb = |name: &str, width: u32, height: u32| {
        Some(Thumbnail {
            url: format!("https://i.ytimg.com/vi/{id}/{name}.jpg"),
            width: Some(width),
            height: Some(height),
        })
    };
    Thumbnails {
        default: thumb("default", 120, 90),
        medium: thumb("mqdefault", 320, 180),
        high: thumb("hqdefault", 480, 360),
    }
}

/// RFC 3339 with any offset and optional fractional seconds, as UTC.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
