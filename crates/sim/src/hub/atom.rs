//! The push document and its signature, byte for byte as YouTube's hub sends them: one
//! `<entry>` without `media:group` (so no description, no thumbnail, no statistics), single
//! quotes in the XML declaration, and an `<updated>` with the hub's trimmed fractional seconds.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::PushVideo;
use crate::ids;
use crate::xml::escape;

/// Where pushes say they come from.
pub(crate) const HUB_URL: &str = "https://pubsubhubbub.appspot.com";

/// The canonical topic of a channel, as YouTube's pages advertise it.
pub(crate) fn canonical_topic(channel_id: &str) -> String {
    format!("https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel_id}")
}

/// `yyyy-mm-ddThh:mm:ss[.fraction]+00:00`, the fraction without trailing zeros (or absent), as
/// the hub writes it.
fn hub_stamp(t: DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = nanos.trim_end_matches('0');
    if frac.is_empty() {
        format!("{base}+00:00")
    } else {
        format!("{base}.{frac}+00:00")
    }
}

/// When the hub processed the upload: a few seconds after `at`, to the nanosecond, fixed per
/// video (no random stream is touched).
fn processed_at(video_id: &str, at: DateTime<Utc>) -> DateTime<Utc> {
    let ns = ids::hash64(&[b"hub-updated", video_id.as_bytes()]) % 10_000_000_000;
    at.checked_add_signed(Duration::nanoseconds(i64::try_from(ns).unwrap_or(0)))
        .unwrap_or(at)
}

/// The Atom document pushed for `v` to a subscriber of `topic` (echoed in `rel="self"`).
pub(crate) fn push_body(topic: &str, v: &PushVideo, at: DateTime<Utc>) -> String {
    let updated = hub_stamp(processed_at(&v.id, at));
    let id = escape(&v.id);
    let c = escape(&v.channel_id);
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n\
<feed xmlns:yt=\"http://www.youtube.com/xml/schemas/2015\" xmlns=\"http://www.w3.org/2005/Atom\">\
<link rel=\"hub\" href=\"{HUB_URL}\"/><link rel=\"self\" href=\"{topic}\"/>\
<title>YouTube video feed</title><updated>{updated}</updated><entry>
  <id>yt:video:{id}</id>
  <yt:videoId>{id}</yt:videoId>
  <yt:channelId>{c}</yt:channelId>
  <title>{title}</title>
  <link rel=\"alternate\" href=\"https://www.youtube.com/watch?v={id}\"/>
  <author>
   <name>{author}</name>
   <uri>https://www.youtube.com/channel/{c}</uri>
  </author>
  <published>{published}</published>
  <updated>{updated}</updated>
 </entry></feed>
",
        topic = escape(topic),
        title = escape(&v.title),
        author = escape(&v.channel_title),
        published = v.published_at.format("%Y-%m-%dT%H:%M:%S+00:00"),
    )
}

/// `sha1=<hex HMAC-SHA1(secret, body)>`, the `X-Hub-Signature` value.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty signature would only make
    // the receiver reject the push, which is the safe side.
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha1={hex}")
}

/// The `Link` header of a push: the hub, then the topic.
pub(crate) fn link_header(topic: &str) -> String {
    format!("<{HUB_URL}/>; rel=hub, <{topic}>; rel=self")
}

/// The `rel="self"` topic of a push body, to give a forged push the same `Link` header.
pub(crate) fn self_topic(body: &str) -> Option<String> {
    let (_, rest) = body.split_once("<link rel=\"self\" href=\"")?;
    let (href, _) = rest.split_once('"')?;
    Some(href.replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stamps_trim_the_fraction() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 9).unwrap();
        assert_eq!(hub_stamp(t), "2026-11-30T12:00:09+00:00");
        let t = t + Duration::nanoseconds(123_450_000);
        assert_eq!(hub_stamp(t), "2026-11-30T12:00:09.12345+00:00");
    }

    #[test]
    fn signature_matches_a_known_hmac() {
        // RFC 2202 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn body_has_the_hub_shape() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 5).unwrap();
        let v = PushVideo {
            id: "abc".into(),
            channel_id: "UCx".into(),
            channel_title: "A & B".into(),
            title: "<Live>".into(),
            published_at: t,
        };
        let topic = canonical_topic("UCx");
        let b = push_body(&topic, &v, t);
        assert!(b.starts_with("<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:yt="));
        assert!(b.contains("<title>&lt;Live&gt;</title>"));
        assert!(b.contains("<name>A &amp; B</name>"));
        assert!(b.contains("<published>2026-11-30T12:00:05+00:00</published>"));
        assert!(!b.contains("media:"));
        assert_eq!(self_topic(&b).as_deref(), Some(topic.as_str()));
    }
}
