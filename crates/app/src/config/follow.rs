//! Following channels through their feeds: `FOLLOW_*`, `FEEDS_CONCURRENCY` and
//! `YOUTUBE_FEEDS_BASE_URL`, each default taken from the type that owns it; WebSub push:
//! `WEBSUB_CALLBACK_URL`, `WEBSUB_SECRET` / `WEBSUB_SECRET_ID`, `WEBSUB_HUB_URL`.

use tubefeed_core::FollowSettings;

use super::ConfigError;
use super::parse::{Lookup, num};

/// The HMAC key pushes are signed with: literal (local runs) or a Secrets Manager secret.
#[derive(Clone)]
pub enum WebSubSecret {
    Literal(secrecy::SecretString),
    SecretId(String),
}

impl std::fmt::Debug for WebSubSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(_) => f.write_str("Literal(..)"),
            Self::SecretId(id) => write!(f, "SecretId({id})"),
        }
    }
}

/// Subscribing is on when `WEBSUB_CALLBACK_URL` is set (the scheduled function); receiving
/// when a secret is (the API: its own URL cannot be in its own environment on AWS).
#[derive(Debug, Clone)]
pub struct WebSubConfig {
    pub callback: String,
    pub hub_url: String,
}

/// The shortest push secret taken: the hub's HMAC is only as strong as its key.
const MIN_SECRET: usize = 16;

pub(super) fn websub_secret(get: &Lookup) -> Result<Option<WebSubSecret>, ConfigError> {
    match (get.var("WEBSUB_SECRET"), get.var("WEBSUB_SECRET_ID")) {
        (Some(_), Some(_)) => Err(ConfigError::invalid(
            "WEBSUB_SECRET",
            "set either WEBSUB_SECRET or WEBSUB_SECRET_ID, not both",
        )),
        (Some(s), None) if s.len() < MIN_SECRET || s.len() > 200 => Err(ConfigError::invalid(
            "WEBSUB_SECRET",
            format!("must be {MIN_SECRET} to 200 characters (random)"),
        )),
        (Some(s), None) => Ok(Some(WebSubSecret::Literal(s.into()))),
        (None, Some(id)) => Ok(Some(WebSubSecret::SecretId(id))),
        (None, None) => Ok(None),
    }
}

pub(super) fn websub(
    get: &Lookup,
    secret: Option<&WebSubSecret>,
) -> Result<Option<WebSubConfig>, ConfigError> {
    let Some(callback) = get.var("WEBSUB_CALLBACK_URL") else {
        return Ok(None);
    };
    let http = |u: &str| u.starts_with("https://") || u.starts_with("http://");
    if !http(&callback) || callback.contains(['#', ' ']) {
        return Err(ConfigError::invalid(
            "WEBSUB_CALLBACK_URL",
            "must be the public http(s) URL of the API's /websub route",
        ));
    }
    if secret.is_none() {
        return Err(ConfigError::invalid(
            "WEBSUB_SECRET",
            "WEBSUB_CALLBACK_URL needs WEBSUB_SECRET or WEBSUB_SECRET_ID: pushes are checked against it",
        ));
    }
    let hub_url = get
        .var("WEBSUB_HUB_URL")
        .unwrap_or_else(|| tubefeed_youtube::DEFAULT_HUB_URL.to_owned());
    if !http(&hub_url) {
        return Err(ConfigError::invalid(
            "WEBSUB_HUB_URL",
            "must be an http(s) URL",
        ));
    }
    Ok(Some(WebSubConfig { callback, hub_url }))
}

pub(super) fn follow_settings(get: &Lookup) -> Result<FollowSettings, ConfigError> {
    let d = FollowSettings::default();
    let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let days = u32::try_from(d.window.num_days()).unwrap_or(14);
    let minutes = u32::try_from(d.max_read_interval.num_minutes()).unwrap_or(5);
    Ok(FollowSettings {
        max_channels: num(get, "FOLLOW_MAX_CHANNELS", as_u32(d.max_channels), 0..=500)? as usize,
        min_videos: num(get, "FOLLOW_MIN_VIDEOS", d.min_videos, 1..=1000)?,
        window: chrono::Duration::days(i64::from(num(get, "FOLLOW_WINDOW_DAYS", days, 1..=60)?)),
        concurrency: num(get, "FEEDS_CONCURRENCY", as_u32(d.concurrency), 1..=64)? as usize,
        max_read_interval: chrono::Duration::minutes(i64::from(num(
            get,
            "FEEDS_MAX_INTERVAL_MINUTES",
            minutes,
            1..=60,
        )?)),
    })
}

/// `YOUTUBE_FEEDS_BASE_URL`, or by default YouTube's — unless `YOUTUBE_API_BASE_URL` points
/// elsewhere (the simulator, a proxy): then the origin of that, so a local run never reaches
/// for the real site.
pub(super) fn feeds_base_url(get: &Lookup, api_base: &str) -> Result<String, ConfigError> {
    let url = get.var("YOUTUBE_FEEDS_BASE_URL").unwrap_or_else(|| {
        if api_base == tubefeed_youtube::DEFAULT_BASE_URL {
            tubefeed_youtube::DEFAULT_FEEDS_BASE_URL.to_owned()
        } else {
            origin(api_base)
        }
    });
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(ConfigError::invalid(
            "YOUTUBE_FEEDS_BASE_URL",
            "must be an http:// or https:// URL",
        ))
    }
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, super::ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn feeds_are_on_by_default_and_off_at_zero_channels() {
        let c = cfg(&[]).unwrap();
        assert!(c.follow.enabled());
        assert_eq!(c.feeds_base_url, "https://www.youtube.com");
        assert!(
            !cfg(&[("FOLLOW_MAX_CHANNELS", "0")])
                .unwrap()
                .follow
                .enabled()
        );
        let c = cfg(&[
            ("FOLLOW_WINDOW_DAYS", "7"),
            ("YOUTUBE_FEEDS_BASE_URL", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(c.follow.window, chrono::Duration::days(7));
        assert_eq!(
            cfg(&[("FEEDS_MAX_INTERVAL_MINUTES", "2")])
                .unwrap()
                .follow
                .max_read_interval,
            chrono::Duration::minutes(2)
        );
        assert_eq!(c.feeds_base_url, "http://127.0.0.1:9");
        let sim = cfg(&[("YOUTUBE_API_BASE_URL", "http://127.0.0.1:8123/youtube/v3")]).unwrap();
        assert_eq!(
            sim.feeds_base_url, "http://127.0.0.1:8123",
            "the simulator's origin"
        );
        assert!(cfg(&[]).unwrap().websub.is_none(), "push is off by default");
        let on = cfg(&[
            ("WEBSUB_CALLBACK_URL", "https://api.example.org/websub"),
            ("WEBSUB_SECRET", "0123456789abcdef"),
        ])
        .unwrap();
        assert_eq!(
            on.websub.unwrap().hub_url,
            "https://pubsubhubbub.appspot.com/subscribe"
        );
        let no_secret = cfg(&[("WEBSUB_CALLBACK_URL", "https://api.example.org/websub")]);
        assert_eq!(no_secret.unwrap_err().var, "WEBSUB_SECRET");
        for (var, bad) in [
            ("FOLLOW_MAX_CHANNELS", "many"),
            ("FOLLOW_MIN_VIDEOS", "0"),
            ("FOLLOW_WINDOW_DAYS", "61"),
            ("FEEDS_CONCURRENCY", "0"),
            ("FEEDS_MAX_INTERVAL_MINUTES", "61"),
            ("YOUTUBE_FEEDS_BASE_URL", "www.youtube.com"),
        ] {
            assert_eq!(cfg(&[(var, bad)]).unwrap_err().var, var, "{var}={bad}");
        }
    }
}
