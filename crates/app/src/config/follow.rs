//! Following channels through their feeds: `FOLLOW_*`, `FEEDS_CONCURRENCY` and
//! `YOUTUBE_FEEDS_BASE_URL`, each default taken from the type that owns it.

use tubefeed_core::FollowSettings;

use super::ConfigError;
use super::parse::{Lookup, num};

pub(super) fn follow_settings(get: &Lookup) -> Result<FollowSettings, ConfigError> {
    let d = FollowSettings::default();
    let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let days = u32::try_from(d.window.num_days()).unwrap_or(14);
    Ok(FollowSettings {
        max_channels: num(get, "FOLLOW_MAX_CHANNELS", as_u32(d.max_channels), 0..=500)? as usize,
        min_videos: num(get, "FOLLOW_MIN_VIDEOS", d.min_videos, 1..=1000)?,
        window: chrono::Duration::days(i64::from(num(get, "FOLLOW_WINDOW_DAYS", days, 1..=60)?)),
        concurrency: num(get, "FEEDS_CONCURRENCY", as_u32(d.concurrency), 1..=64)? as usize,
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
        assert_eq!(c.feeds_base_url, "http://127.0.0.1:9");
        let sim = cfg(&[("YOUTUBE_API_BASE_URL", "http://127.0.0.1:8123/youtube/v3")]).unwrap();
        assert_eq!(
            sim.feeds_base_url, "http://127.0.0.1:8123",
            "the simulator's origin"
        );
        for (var, bad) in [
            ("FOLLOW_MAX_CHANNELS", "many"),
            ("FOLLOW_MIN_VIDEOS", "0"),
            ("FOLLOW_WINDOW_DAYS", "61"),
            ("FEEDS_CONCURRENCY", "0"),
            ("YOUTUBE_FEEDS_BASE_URL", "www.youtube.com"),
        ] {
            assert_eq!(cfg(&[(var, bad)]).unwrap_err().var, var, "{var}={bad}");
        }
    }
}
