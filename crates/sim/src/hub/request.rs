//! Reading a `POST /hub` form the way the real hub does: the first problem found is answered as
//! a one-line `400 text/plain`, and nothing is verified.

use super::HubMode;
use super::http::parse_url;
use crate::ids::well_formed;

/// Five days, the lease YouTube's hub grants when none is asked for.
pub(crate) const DEFAULT_LEASE_SECONDS: u64 = 432_000;
/// Ten days: longer leases are cut to this.
pub(crate) const MAX_LEASE_SECONDS: u64 = 864_000;
/// The longest `hub.secret` accepted, in bytes.
const MAX_SECRET_BYTES: usize = 200;

/// A valid subscribe or unsubscribe request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HubRequest {
    pub mode: HubMode,
    /// As sent: verification and pushes echo it back verbatim.
    pub topic: String,
    pub channel_id: String,
    pub callback: String,
    /// `None` for a missing or empty `hub.secret`.
    pub secret: Option<String>,
    /// Granted (defaulted and clamped) lease.
    pub lease_seconds: u64,
    /// Old-spec `hub.verify_token`, echoed in the verification when given.
    pub verify_token: Option<String>,
}

fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A value quoted in a one-line error: no control characters, not too long.
fn quoted(v: &str) -> String {
    v.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Validates the form; `Err` carries the one-line reason the hub answers with.
pub(crate) fn parse(params: &[(String, String)]) -> Result<HubRequest, String> {
    let mode = match first(params, "hub.mode").unwrap_or_default() {
        "subscribe" => HubMode::Subscribe,
        "unsubscribe" => HubMode::Unsubscribe,
        other => return Err(format!("Invalid value for hub.mode: {}", quoted(other))),
    };
    let topic = first(params, "hub.topic").unwrap_or_default();
    let channel_id = topic_channel(topic).ok_or_else(|| {
        "Invalid parameter: hub.topic; must be a YouTube channel feed URL \
         (https://www.youtube.com/xml/feeds/videos.xml?channel_id=UC...)"
            .to_owned()
    })?;
    let callback = first(params, "hub.callback").unwrap_or_default();
    if parse_url(callback).is_none() {
        return Err(
            "Invalid parameter: hub.callback; must be valid URI with no fragment and \
                    optional port"
                .to_owned(),
        );
    }
    check_verify(params)?;
    let secret = first(params, "hub.secret").filter(|s| !s.is_empty());
    if secret.is_some_and(|s| s.len() > MAX_SECRET_BYTES) {
        return Err(format!(
            "Invalid parameter: hub.secret; must be at most {MAX_SECRET_BYTES} bytes"
        ));
    }
    Ok(HubRequest {
        mode,
        topic: topic.to_owned(),
        channel_id,
        callback: callback.to_owned(),
        secret: secret.map(str::to_owned),
        lease_seconds: lease(first(params, "hub.lease_seconds"))?,
        verify_token: first(params, "hub.verify_token").map(str::to_owned),
    })
}

/// `hub.verify` may be missing (WebSub dropped it) or repeated (the 0.3 spec listed modes in
/// order of preference); every mode is run asynchronously, so `sync` and `async` are both fine,
/// but at least one given value must be one of them.
fn check_verify(params: &[(String, String)]) -> Result<(), String> {
    let given: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "hub.verify")
        .map(|(_, v)| v.as_str())
        .collect();
    if given.is_empty() || given.iter().any(|v| *v == "sync" || *v == "async") {
        return Ok(());
    }
    let listed: Vec<String> = given.iter().map(|v| format!("'{}'", quoted(v))).collect();
    Err(format!(
        "Invalid values for hub.verify: [{}]",
        listed.join(", ")
    ))
}

/// Missing or empty: five days. Otherwise a whole number of seconds, clamped to `1..=10 days`.
fn lease(raw: Option<&str>) -> Result<u64, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_LEASE_SECONDS),
        Some(s) => s
            .parse::<u64>()
            .map(|n| n.clamp(1, MAX_LEASE_SECONDS))
            .map_err(|_| format!("Invalid value for hub.lease_seconds: {}", quoted(s))),
    }
}

/// The channel a topic URL names: `http(s)://ANY-HOST/xml/feeds/videos.xml?channel_id=UC…` (the
/// hub's form) or `/feeds/videos.xml?channel_id=UC…` (the feed's own URL, which tests may point
/// at the simulator).
pub(crate) fn topic_channel(topic: &str) -> Option<String> {
    let url = parse_url(topic)?;
    if url.path != "/xml/feeds/videos.xml" && url.path != "/feeds/videos.xml" {
        return None;
    }
    let query = url.query.as_deref()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "channel_id")
        .map(|(_, v)| v.into_owned())
        .filter(|id| id.starts_with("UC") && well_formed(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const TOPIC: &str = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCabc";

    #[test]
    fn a_full_subscribe_is_read() {
        let r = parse(&form(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", "http://127.0.0.1:9/cb?x=1"),
            ("hub.verify", "async"),
            ("hub.secret", "s3cret"),
            ("hub.lease_seconds", "9999999"),
        ]))
        .unwrap();
        assert_eq!(r.mode, HubMode::Subscribe);
        assert_eq!(r.channel_id, "UCabc");
        assert_eq!(r.secret.as_deref(), Some("s3cret"));
        assert_eq!(r.lease_seconds, MAX_LEASE_SECONDS);
    }

    #[test]
    fn defaults_and_alternative_topics() {
        let r = parse(&form(&[
            ("hub.mode", "unsubscribe"),
            (
                "hub.topic",
                "http://127.0.0.1:8085/feeds/videos.xml?channel_id=UC-x_y",
            ),
            ("hub.callback", "https://example.com/websub"),
            ("hub.secret", ""),
        ]))
        .unwrap();
        assert_eq!(r.lease_seconds, DEFAULT_LEASE_SECONDS);
        assert_eq!(r.secret, None);
        assert_eq!(r.channel_id, "UC-x_y");
    }

    #[test]
    fn each_bad_field_has_its_reason() {
        let base = [
            ("hub.mode", "subscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", "http://localhost/cb"),
        ];
        let with = |name: &str, value: &str| {
            let mut f = form(&base);
            f.retain(|(k, _)| k != name);
            f.push((name.to_owned(), value.to_owned()));
            parse(&f).unwrap_err()
        };
        assert!(with("hub.mode", "sub\nscribe").starts_with("Invalid value for hub.mode: sub?"));
        assert!(with("hub.topic", "https://example.com/feed").contains("hub.topic"));
        let no_uc = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=abc";
        assert!(with("hub.topic", no_uc).contains("hub.topic"));
        assert!(with("hub.callback", "ftp://x/cb").contains("hub.callback"));
        assert!(with("hub.callback", "http://x/cb#frag").contains("hub.callback"));
        assert_eq!(
            with("hub.verify", "later"),
            "Invalid values for hub.verify: ['later']"
        );
        assert!(with("hub.secret", &"s".repeat(201)).contains("hub.secret"));
        assert!(with("hub.lease_seconds", "-5").contains("hub.lease_seconds: -5"));
        assert!(parse(&form(&base)).is_ok());
        let mut max_secret = form(&base);
        max_secret.push(("hub.secret".into(), "s".repeat(200)));
        assert!(parse(&max_secret).is_ok());
    }
}
