//! The environment contract of SPEC §2, parsed once. Every error names its variable.
//!
//! Each variable is named once, in [`VARIABLES`] (with its default, as docs/operations.md lists it)
//! and in the one function that reads it; numeric defaults come from the types that own them
//! (`FetchSettings::default()`, the API's and the store's constants), and keys and names are
//! checked by the core's own validators.

mod follow;
mod parse;

use std::time::Duration;

use tubefeed_core::{
    ApiKey, ChannelId, EnrichSettings, FetchSettings, MAX_BLOCKED_CHANNELS, Retention, Topic,
};
use tubefeed_youtube::TlsRoots;

use parse::{
    Lookup, TopicSpec, archived_topics, num, parse_keys, parse_schedule, parse_topics,
    retention_days,
};

pub use follow::{WebSubConfig, WebSubSecret};
pub use parse::{MAX_TOPIC_WEIGHT, parse_schedule as schedule_of};

pub const DEFAULT_TABLE: &str = "tubefeed";
pub const DEFAULT_TOPICS: &str = "cricket";

/// Every variable tubefeed reads, and its default as documented (docs/operations.md,
/// "Configuration").
pub const VARIABLES: &[(&str, &str)] = &[
    ("TABLE_NAME", DEFAULT_TABLE),
    ("SEARCH_QUERIES", DEFAULT_TOPICS),
    ("ARCHIVED_TOPICS", "—"),
    ("RETENTION_DAYS", "—"),
    ("YOUTUBE_API_BASE_URL", tubefeed_youtube::DEFAULT_BASE_URL),
    ("YOUTUBE_API_KEYS", "—"),
    ("YOUTUBE_API_KEYS_SECRET_ID", "—"),
    ("YOUTUBE_DAILY_CALLS_PER_KEY", "100"),
    ("FETCH_SCHEDULE", "rate(1 minute)"),
    ("KEYS_CACHE_SECONDS", "300"),
    ("FETCH_MAX_PAGES_PER_TOPIC", "20"),
    ("FETCH_BACKFILL_PAGES", "4"),
    ("FETCH_LOOKBACK_MINUTES", "15"),
    ("FETCH_LEASE_SECONDS", "300"),
    ("DETAILS_UNITS_PER_RUN", "100"),
    ("DETAILS_DAILY_UNITS", "10000"),
    ("DETAILS_MAX_WAIT_SECONDS", "600"),
    ("BLOCKED_CHANNELS", "—"),
    (
        "YOUTUBE_FEEDS_BASE_URL",
        "https://www.youtube.com (the origin of YOUTUBE_API_BASE_URL when that is not Google's)",
    ),
    ("FOLLOW_MAX_CHANNELS", "200"),
    ("FOLLOW_MIN_VIDEOS", "3"),
    ("FOLLOW_WINDOW_DAYS", "14"),
    ("FEEDS_CONCURRENCY", "8"),
    ("FEEDS_MAX_INTERVAL_MINUTES", "5"),
    ("WEBSUB_CALLBACK_URL", "—"),
    ("WEBSUB_SECRET", "—"),
    ("WEBSUB_SECRET_ID", "—"),
    ("WEBSUB_HUB_URL", tubefeed_youtube::DEFAULT_HUB_URL),
    ("EVENT_BUS_NAME", "—"),
    ("PAGE_TOKEN_SECRET", "—"),
    ("PAGE_TOKEN_SECRET_ID", "—"),
    ("API_CACHE_SECONDS", "5"),
    ("API_SEARCH_PER_SECOND", "5"),
    ("PUBLIC_BASE_URL", "—"),
    ("DYNAMODB_MAX_INFLIGHT", "8"),
    ("TLS_ROOTS", "builtin"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub fn invalid(var: &'static str, reason: impl Into<String>) -> Self {
        Self {
            var,
            reason: reason.into(),
        }
    }
    pub fn missing_keys() -> Self {
        Self::invalid(
            "YOUTUBE_API_KEYS",
            "no YouTube key source: set YOUTUBE_API_KEYS (comma-separated) or YOUTUBE_API_KEYS_SECRET_ID",
        )
    }
}

#[derive(Debug, Clone)]
pub enum KeySource {
    /// `YOUTUBE_API_KEYS`: local runs.
    Env(Vec<ApiKey>),
    /// `YOUTUBE_API_KEYS_SECRET_ID`: deployed.
    Secret(String),
    /// Neither: fine for serving, fatal for fetching.
    None,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub topics: Vec<Topic>,
    /// `ARCHIVED_TOPICS`: no longer fetched, still served by the API (not in `topics`).
    pub archived_topics: Vec<Topic>,
    /// The same topics with their polling weights (`cricket:3` → 3; 1 when not given).
    pub topic_weights: Vec<(Topic, u32)>,
    /// `RETENTION_DAYS` and each topic's `:<days>d`: how long videos are kept and served.
    pub retention: Retention,
    pub youtube_base_url: String,
    pub keys: KeySource,
    /// `YOUTUBE_DAILY_CALLS_PER_KEY`: a project's search.list bucket when its keys do not say.
    pub daily_calls_per_key: u32,
    /// `FETCH_SCHEDULE`: how often the schedule runs the fetcher (the template's
    /// `ScheduleExpression` feeds both the EventBridge rule and this variable).
    pub schedule: chrono::Duration,
    /// How long a warm process reuses the key list read from Secrets Manager.
    pub keys_cache: Duration,
    pub fetch: FetchSettings,
    /// `DETAILS_UNITS_PER_RUN`, `DETAILS_DAILY_UNITS`: videos.list after each run.
    pub details: EnrichSettings,
    /// `FOLLOW_MAX_CHANNELS`, `FOLLOW_MIN_VIDEOS`, `FOLLOW_WINDOW_DAYS`, `FEEDS_CONCURRENCY`:
    /// which channels each topic follows through their feeds (0 channels: feeds off).
    pub follow: tubefeed_core::FollowSettings,
    /// `YOUTUBE_FEEDS_BASE_URL`: where channel feeds are read (`/feeds/videos.xml`).
    pub feeds_base_url: String,
    /// `WEBSUB_CALLBACK_URL`, `WEBSUB_HUB_URL`: subscribe followed channels (off when unset).
    pub websub: Option<WebSubConfig>,
    /// `WEBSUB_SECRET` / `WEBSUB_SECRET_ID`: what pushes are signed with; the API's `/websub`
    /// receives only when it is set.
    pub websub_secret: Option<WebSubSecret>,
    /// `BLOCKED_CHANNELS`: channel ids hidden from every answer, besides the table's blocks.
    pub blocked_channels: Vec<ChannelId>,
    /// `EVENT_BUS_NAME`: where new-video events go (`default`, a name or an ARN); unset: none.
    pub event_bus: Option<String>,
    /// Required by the API, unused by the fetcher.
    pub page_token_secret: Option<PageTokenSecret>,
    /// How long the API may serve a first page from the warm process.
    pub api_first_page_cache: Duration,
    /// `API_SEARCH_PER_SECOND`: searches one API process reads per second (0: no cap).
    pub api_search_per_second: u32,
    /// `PUBLIC_BASE_URL`: where feed links point; by default the host a request came to.
    pub public_base_url: Option<String>,
    /// `DYNAMODB_MAX_INFLIGHT`: batch requests one upsert keeps in flight (writes and reads).
    pub store_inflight: usize,
    /// `TLS_ROOTS`: `builtin` (Mozilla's roots compiled in; the default) or `system`.
    pub tls_roots: TlsRoots,
}

/// `PAGE_TOKEN_SECRET` (literal) or `PAGE_TOKEN_SECRET_ID` (Secrets Manager).
#[derive(Clone)]
pub enum PageTokenSecret {
    Literal(secrecy::SecretString),
    SecretId(String),
}

impl std::fmt::Debug for PageTokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(_) => f.write_str("Literal(..)"),
            Self::SecretId(id) => write!(f, "SecretId({id})"),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// `TLS_ROOTS` alone: the AWS clients are built with it before the rest is known (the
    /// CLI's `--stack` reads the stack first).
    pub fn tls_roots_from_env() -> Result<TlsRoots, ConfigError> {
        tls_roots(&Lookup::new(|k| std::env::var(k).ok()))
    }

    /// Parses from any lookup, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = Lookup::new(get);
        let specs = parse_topics(&get)?;
        let youtube_base_url = base_url(&get)?;
        let websub_secret = follow::websub_secret(&get)?;
        Ok(Self {
            table_name: table_name(&get)?,
            topics: specs.iter().map(|s| s.topic.clone()).collect(),
            archived_topics: archived_topics(&get, &specs)?,
            topic_weights: specs.iter().map(|s| (s.topic.clone(), s.weight)).collect(),
            retention: retention(&get, &specs)?,
            keys: key_source(&get)?,
            daily_calls_per_key: num(&get, "YOUTUBE_DAILY_CALLS_PER_KEY", 100, 1..=1_000_000)?,
            schedule: schedule(&get)?,
            keys_cache: secs(num(&get, "KEYS_CACHE_SECONDS", 300, 0..=86_400)?),
            fetch: fetch_settings(&get)?,
            details: details_settings(&get)?,
            blocked_channels: blocked_channels(&get)?,
            follow: follow::follow_settings(&get)?,
            feeds_base_url: follow::feeds_base_url(&get, &youtube_base_url)?,
            websub: follow::websub(&get, websub_secret.as_ref())?,
            websub_secret,
            youtube_base_url,
            event_bus: event_bus(&get)?,
            page_token_secret: page_token_secret(&get)?,
            api_first_page_cache: secs(num(&get, "API_CACHE_SECONDS", 5, 0..=300)?),
            api_search_per_second: num(&get, "API_SEARCH_PER_SECOND", 5, 0..=1000)?,
            public_base_url: public_base_url(&get)?,
            store_inflight: usize::try_from(num(
                &get,
                "DYNAMODB_MAX_INFLIGHT",
                u32::try_from(tubefeed_dynamo::DEFAULT_WRITE_CONCURRENCY).unwrap_or(8),
                1..=64,
            )?)
            .unwrap_or(1),
            tls_roots: tls_roots(&get)?,
        })
    }
}

fn secs(n: u32) -> Duration {
    Duration::from_secs(u64::from(n))
}

fn table_name(get: &Lookup) -> Result<String, ConfigError> {
    let name = get
        .var("TABLE_NAME")
        .unwrap_or_else(|| DEFAULT_TABLE.to_owned());
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    ok.then_some(name).ok_or_else(|| {
        ConfigError::invalid(
            "TABLE_NAME",
            "must be 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'",
        )
    })
}

fn base_url(get: &Lookup) -> Result<String, ConfigError> {
    let url = get
        .var("YOUTUBE_API_BASE_URL")
        .unwrap_or_else(|| tubefeed_youtube::DEFAULT_BASE_URL.to_owned());
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url)
    } else {
        Err(ConfigError::invalid(
            "YOUTUBE_API_BASE_URL",
            "must be an http:// or https:// URL",
        ))
    }
}

/// A bus name (1–256 of `.-_/` and alphanumerics, as EventBridge allows) or a bus ARN.
fn event_bus(get: &Lookup) -> Result<Option<String>, ConfigError> {
    let Some(bus) = get.var("EVENT_BUS_NAME") else {
        return Ok(None);
    };
    let bus = bus.trim().to_owned();
    let name_ok = |s: &str| {
        (1..=256).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
    };
    let ok = match bus.strip_prefix("arn:") {
        Some(rest) => rest.contains(":event-bus/"),
        None => name_ok(&bus),
    };
    if ok {
        Ok(Some(bus))
    } else {
        Err(ConfigError::invalid(
            "EVENT_BUS_NAME",
            format!("{bus:?} is neither a bus name (`default`, `tubefeed-events`) nor a bus ARN"),
        ))
    }
}

fn retention(get: &Lookup, specs: &[TopicSpec]) -> Result<Retention, ConfigError> {
    let default = get
        .var("RETENTION_DAYS")
        .map(|d| retention_days(&d).map_err(|e| ConfigError::invalid("RETENTION_DAYS", e)))
        .transpose()?;
    let per_topic = specs
        .iter()
        .filter_map(|s| s.retention_days.map(|d| (s.topic.clone(), d)));
    Ok(Retention::new(default, per_topic))
}

/// An origin and an optional path prefix, nothing after: feed links append their own path
/// and query.
fn public_base_url(get: &Lookup) -> Result<Option<String>, ConfigError> {
    let Some(raw) = get.var("PUBLIC_BASE_URL") else {
        return Ok(None);
    };
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.contains(['?', '#', ' ', '"', '<', '>']) => {
            Ok(Some(url.to_owned()))
        }
        _ => Err(ConfigError::invalid(
            "PUBLIC_BASE_URL",
            format!(
                "{raw:?} is not an http(s) URL without query or fragment (https://videos.example.org)"
            ),
        )),
    }
}

fn key_source(get: &Lookup) -> Result<KeySource, ConfigError> {
    match (
        get.var("YOUTUBE_API_KEYS"),
        get.var("YOUTUBE_API_KEYS_SECRET_ID"),
    ) {
        (Some(_), Some(_)) => Err(ConfigError::invalid(
            "YOUTUBE_API_KEYS",
            "set either YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID, not both",
        )),
        (Some(list), None) => Ok(KeySource::Env(parse_keys(&list)?)),
        (None, Some(id)) => Ok(KeySource::Secret(id)),
        (None, None) => Ok(KeySource::None),
    }
}

fn schedule(get: &Lookup) -> Result<chrono::Duration, ConfigError> {
    let Some(raw) = get.var("FETCH_SCHEDULE") else {
        return Ok(chrono::Duration::minutes(1));
    };
    parse_schedule(&raw).ok_or_else(|| {
        ConfigError::invalid(
            "FETCH_SCHEDULE",
            format!(
                "must be a rate such as `rate(1 minute)` or `rate(5 minutes)` (seconds, minutes, \
                 hours or days; at most a day), got {raw:?}"
            ),
        )
    })
}

/// The fetch settings, each default taken from `FetchSettings::default()`.
fn fetch_settings(get: &Lookup) -> Result<FetchSettings, ConfigError> {
    let d = FetchSettings::default();
    let lookback = u32::try_from(d.lookback.num_minutes()).unwrap_or(15);
    let lease = u32::try_from(d.lease_ttl.as_secs()).unwrap_or(300);
    Ok(FetchSettings {
        page_size: d.page_size,
        max_pages_per_topic: num(
            get,
            "FETCH_MAX_PAGES_PER_TOPIC",
            d.max_pages_per_topic,
            1..=1000,
        )?,
        backfill_pages: num(get, "FETCH_BACKFILL_PAGES", d.backfill_pages, 0..=1000)?,
        lookback: chrono::Duration::minutes(i64::from(num(
            get,
            "FETCH_LOOKBACK_MINUTES",
            lookback,
            0..=7 * 24 * 60,
        )?)),
        lease_ttl: secs(num(get, "FETCH_LEASE_SECONDS", lease, 10..=3600)?),
    })
}

/// Units for video details, each default taken from `EnrichSettings::default()`. 0 units a
/// run turns details off.
fn details_settings(get: &Lookup) -> Result<EnrichSettings, ConfigError> {
    let d = EnrichSettings::default();
    Ok(EnrichSettings {
        units_per_run: num(get, "DETAILS_UNITS_PER_RUN", d.units_per_run, 0..=10_000)?,
        daily_units: num(get, "DETAILS_DAILY_UNITS", d.daily_units, 1..=10_000_000)?,
        max_wait: chrono::Duration::seconds(i64::from(num(
            get,
            "DETAILS_MAX_WAIT_SECONDS",
            u32::try_from(d.max_wait.num_seconds()).unwrap_or(600),
            0..=86_400,
        )?)),
    })
}

fn blocked_channels(get: &Lookup) -> Result<Vec<ChannelId>, ConfigError> {
    let Some(raw) = get.var("BLOCKED_CHANNELS") else {
        return Ok(Vec::new());
    };
    let mut out: Vec<ChannelId> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = ChannelId::parse(part)
            .map_err(|e| ConfigError::invalid("BLOCKED_CHANNELS", format!("{part:?}: {e}")))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.len() > MAX_BLOCKED_CHANNELS {
        return Err(ConfigError::invalid(
            "BLOCKED_CHANNELS",
            format!("at most {MAX_BLOCKED_CHANNELS} channels, got {}", out.len()),
        ));
    }
    Ok(out)
}

fn page_token_secret(get: &Lookup) -> Result<Option<PageTokenSecret>, ConfigError> {
    let min = tubefeed_api::MIN_KEY_BYTES;
    match (
        get.var("PAGE_TOKEN_SECRET"),
        get.var("PAGE_TOKEN_SECRET_ID"),
    ) {
        (Some(_), Some(_)) => Err(ConfigError::invalid(
            "PAGE_TOKEN_SECRET",
            "set either PAGE_TOKEN_SECRET or PAGE_TOKEN_SECRET_ID, not both",
        )),
        (Some(s), None) if s.len() < min => Err(ConfigError::invalid(
            "PAGE_TOKEN_SECRET",
            format!(
                "must be at least {min} characters (random; `openssl rand -base64 32` makes one)"
            ),
        )),
        (Some(s), None) => Ok(Some(PageTokenSecret::Literal(s.into()))),
        (None, Some(id)) => Ok(Some(PageTokenSecret::SecretId(id))),
        (None, None) => Ok(None),
    }
}

fn tls_roots(get: &Lookup) -> Result<TlsRoots, ConfigError> {
    match get.var("TLS_ROOTS") {
        None => Ok(TlsRoots::default()),
        Some(v) => TlsRoots::parse(&v)
            .ok_or_else(|| ConfigError::invalid("TLS_ROOTS", "must be `builtin` or `system`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use tubefeed_core::ProjectName;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn retention_is_global_with_a_days_suffix_per_topic() {
        let c = cfg(&[
            ("SEARCH_QUERIES", "cricket:3:30d,chess:7d,re:zero,tennis:2"),
            ("RETENTION_DAYS", "90"),
        ])
        .unwrap();
        let days = |t: &str| c.retention.days(&Topic::parse(t).unwrap());
        assert_eq!(
            (
                days("cricket"),
                days("chess"),
                days("re:zero"),
                days("tennis")
            ),
            (Some(30), Some(7), Some(90), Some(90))
        );
        assert_eq!(
            c.topic_weights
                .iter()
                .map(|(t, w)| (t.as_str(), *w))
                .collect::<Vec<_>>(),
            [("cricket", 3), ("chess", 1), ("re:zero", 1), ("tennis", 2)]
        );
        assert!(cfg(&[]).unwrap().retention.is_forever());
        for (var, value) in [
            ("RETENTION_DAYS", "0"),
            ("RETENTION_DAYS", "30d"),
            ("RETENTION_DAYS", "36501"),
            ("SEARCH_QUERIES", "cricket:0d"),
            ("SEARCH_QUERIES", "cricket:3:30x"),
        ] {
            let e = cfg(&[(var, value)]).err();
            assert_eq!(e.as_ref().map(|e| e.var), Some(var), "{var}={value}: {e:?}");
        }
    }

    #[test]
    fn event_bus_is_a_name_or_an_arn() {
        let bus = |v: &str| cfg(&[("EVENT_BUS_NAME", v)]).map(|c| c.event_bus);
        assert_eq!(bus("default"), Ok(Some("default".into())));
        let arn = "arn:aws:events:eu-west-1:123456789012:event-bus/tubefeed";
        assert_eq!(bus(arn), Ok(Some(arn.into())));
        assert_eq!(cfg(&[]).map(|c| c.event_bus), Ok(None));
        for bad in ["my bus", "arn:aws:sqs:eu-west-1:1:q", "bus?x"] {
            assert_eq!(bus(bad).map_err(|e| e.var), Err("EVENT_BUS_NAME"), "{bad}");
        }
    }

    #[test]
    fn public_base_url_is_an_origin_and_path_without_a_query() {
        let url = |v: &str| cfg(&[("PUBLIC_BASE_URL", v)]).map(|c| c.public_base_url);
        assert_eq!(
            url("https://videos.example.org/"),
            Ok(Some("https://videos.example.org".into()))
        );
        assert_eq!(
            url("http://127.0.0.1:9000/tf"),
            Ok(Some("http://127.0.0.1:9000/tf".into()))
        );
        assert_eq!(cfg(&[]).map(|c| c.public_base_url), Ok(None));
        for bad in [
            "videos.example.org",
            "https://",
            "https://x.org/?a=1",
            "ftp://x.org",
            "https://x.org/#f",
        ] {
            assert_eq!(url(bad).map_err(|e| e.var), Err("PUBLIC_BASE_URL"), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.table_name, "tubefeed");
        assert_eq!(c.topics, vec![Topic::parse("cricket").unwrap()]);
        assert_eq!(c.youtube_base_url, "https://www.googleapis.com/youtube/v3");
        assert!(matches!(c.keys, KeySource::None));
        assert_eq!(c.daily_calls_per_key, 100);
        assert_eq!(c.tls_roots, TlsRoots::Builtin);
    }

    #[test]
    fn tls_roots_are_builtin_or_system() {
        assert_eq!(
            cfg(&[("TLS_ROOTS", "System")]).unwrap().tls_roots,
            TlsRoots::System
        );
        assert_eq!(
            cfg(&[("TLS_ROOTS", "builtin")]).unwrap().tls_roots,
            TlsRoots::Builtin
        );
        let e = cfg(&[("TLS_ROOTS", "none")]).unwrap_err();
        assert_eq!(e.var, "TLS_ROOTS");
    }

    #[test]
    fn errors_name_the_variable_and_never_the_key() {
        let e = cfg(&[
            ("YOUTUBE_API_KEYS", "AIzaSECRET1,AIzaSECRET2"),
            ("YOUTUBE_API_KEYS_SECRET_ID", "s"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "YOUTUBE_API_KEYS");
        assert!(!e.to_string().contains("SECRET1"));
        let e = cfg(&[("YOUTUBE_API_KEYS", "AIzaSECRET1,,x")]).unwrap_err();
        assert!(!e.to_string().contains("SECRET1"), "{e}");
        assert_eq!(
            cfg(&[("SEARCH_QUERIES", "a,,b")]).unwrap_err().var,
            "SEARCH_QUERIES"
        );
        assert_eq!(
            cfg(&[("YOUTUBE_DAILY_CALLS_PER_KEY", "ten")])
                .unwrap_err()
                .var,
            "YOUTUBE_DAILY_CALLS_PER_KEY"
        );
        assert_eq!(
            cfg(&[("YOUTUBE_DAILY_CALLS_PER_KEY", "0")])
                .unwrap_err()
                .var,
            "YOUTUBE_DAILY_CALLS_PER_KEY"
        );
        assert_eq!(cfg(&[("TABLE_NAME", "a b")]).unwrap_err().var, "TABLE_NAME");
        assert_eq!(
            cfg(&[("YOUTUBE_API_BASE_URL", "ftp://x")]).unwrap_err().var,
            "YOUTUBE_API_BASE_URL"
        );
        assert_eq!(
            cfg(&[("FETCH_LOOKBACK_MINUTES", "-1")]).unwrap_err().var,
            "FETCH_LOOKBACK_MINUTES"
        );
    }

    #[test]
    fn topics_take_optional_weights() {
        let c = cfg(&[("SEARCH_QUERIES", "cricket:3, chess ,re:zero,cricket:5")]).unwrap();
        let w: Vec<(&str, u32)> = c
            .topic_weights
            .iter()
            .map(|(t, w)| (t.as_str(), *w))
            .collect();
        assert_eq!(w, [("cricket", 3), ("chess", 1), ("re:zero", 1)]);
        assert_eq!(c.topics.len(), 3);
        for bad in ["cricket:0", "cricket:101", ":3", "cricket:99999999999"] {
            assert_eq!(
                cfg(&[("SEARCH_QUERIES", bad)]).unwrap_err().var,
                "SEARCH_QUERIES",
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_may_name_their_project() {
        let c = cfg(&[(
            "YOUTUBE_API_KEYS",
            "tubefeed-1:AIzaA, tubefeed-1:AIzaB,AIzaC",
        )])
        .unwrap();
        let KeySource::Env(keys) = c.keys else {
            panic!()
        };
        let projects: Vec<Option<&str>> = keys
            .iter()
            .map(|k| k.project().map(ProjectName::as_str))
            .collect();
        assert_eq!(projects, [Some("tubefeed-1"), Some("tubefeed-1"), None]);
        assert_eq!(keys[0].expose(), "AIzaA");
        for bad in [
            "bad name:AIzaSECRET",
            ":AIzaSECRET",
            "p:",
            "key-x:AIzaSECRET",
        ] {
            let e = cfg(&[("YOUTUBE_API_KEYS", bad)]).unwrap_err();
            assert_eq!(e.var, "YOUTUBE_API_KEYS", "{bad}");
            assert!(!e.to_string().contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn the_schedule_is_a_rate() {
        assert_eq!(cfg(&[]).unwrap().schedule, chrono::Duration::minutes(1));
        for (raw, secs) in [
            ("rate(1 minute)", 60),
            ("rate(5 minutes)", 300),
            ("rate(3 seconds)", 3),
            ("rate(1 day)", 86_400),
        ] {
            let c = cfg(&[("FETCH_SCHEDULE", raw)]).unwrap();
            assert_eq!(c.schedule.num_seconds(), secs, "{raw}");
        }
        for bad in [
            "1 minute",
            "rate(0 minutes)",
            "rate(2 weeks)",
            "rate(25 hours)",
            "cron(* * * * ? *)",
        ] {
            assert_eq!(
                cfg(&[("FETCH_SCHEDULE", bad)]).unwrap_err().var,
                "FETCH_SCHEDULE",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_malformed_weight_and_an_empty_list_are_mistakes() {
        for bad in ["cricket:3x", "cricket:1.5", ",", " , "] {
            assert_eq!(
                cfg(&[("SEARCH_QUERIES", bad)]).unwrap_err().var,
                "SEARCH_QUERIES",
                "{bad:?}"
            );
        }
        let c = cfg(&[("SEARCH_QUERIES", "re:zero,cricket:2")]).unwrap();
        assert_eq!(c.topic_weights[0].0.as_str(), "re:zero");
        assert_eq!(c.topic_weights[1].1, 2);
    }

    #[test]
    fn archived_topics_are_served_apart_from_the_followed_ones() {
        let c = cfg(&[
            ("SEARCH_QUERIES", "cricket,chess"),
            ("ARCHIVED_TOPICS", " golf, chess ,golf,re:zero,"),
        ])
        .unwrap();
        let names: Vec<&str> = c.archived_topics.iter().map(Topic::as_str).collect();
        assert_eq!(
            names,
            ["golf", "re:zero"],
            "a followed topic is not archived too"
        );
        assert!(cfg(&[]).unwrap().archived_topics.is_empty());
        assert_eq!(
            cfg(&[("ARCHIVED_TOPICS", "golf,c#")]).unwrap_err().var,
            "ARCHIVED_TOPICS"
        );
    }

    /// The operations guide's configuration table lists every variable, with the default the
    /// code has.
    #[test]
    fn the_docs_list_every_variable_with_its_default() {
        let docs = include_str!("../../../../docs/operations.md");
        for (var, default) in VARIABLES {
            let row = docs
                .lines()
                .find(|l| l.starts_with("| `") && l.contains(&format!("`{var}`")))
                .unwrap_or_else(|| panic!("docs/operations.md lacks a row for {var}"));
            assert!(
                row.trim_end().ends_with(&format!("| `{default}` |"))
                    || row.trim_end().ends_with(&format!("| {default} |")),
                "{var}: docs/operations.md says {row}, the code's default is {default}"
            );
        }
    }

    #[test]
    fn keys_are_deduplicated() {
        let c = cfg(&[("YOUTUBE_API_KEYS", " k1 , k2,k1")]).unwrap();
        let KeySource::Env(keys) = c.keys else {
            panic!()
        };
        assert_eq!(keys.len(), 2);
    }
}
