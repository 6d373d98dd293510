//! The environment contract of SPEC §2, parsed once. Every error names its variable.

use std::time::Duration;

use tubefeed_core::key_source::validate_key;
use tubefeed_core::{ApiKey, FetchSettings, ProjectName, Topic};
use tubefeed_youtube::TlsRoots;

pub const DEFAULT_TABLE: &str = "tubefeed";
pub const DEFAULT_TOPICS: &str = "cricket";

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
    /// The same topics with their polling weights (`cricket:3` → 3; 1 when not given).
    pub topic_weights: Vec<(Topic, u32)>,
    pub youtube_base_url: String,
    pub keys: KeySource,
    /// `YOUTUBE_DAILY_CALLS_PER_KEY`: a project's search.list bucket when its keys do not say.
    pub daily_calls_per_key: u32,
    /// `FETCH_SCHEDULE`: how often the schedule runs the fetcher (the template's
    /// `FetchSchedule` feeds both the EventBridge rule and this variable).
    pub schedule: chrono::Duration,
    /// How long a warm process reuses the key list read from Secrets Manager.
    pub keys_cache: Duration,
    pub fetch: FetchSettings,
    /// Required by the API, unused by the fetcher.
    pub page_token_secret: Option<PageTokenSecret>,
    /// How long the API may serve a first page from the warm process.
    pub api_first_page_cache: Duration,
    /// `API_SEARCH_PER_SECOND`: searches one API process reads per second (0: no cap).
    pub api_search_per_second: u32,
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

    /// Parses from any lookup, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // An empty variable means "unset", as shells and SAM parameters tend to produce them.
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());

        let table_name = get("TABLE_NAME").unwrap_or_else(|| DEFAULT_TABLE.to_owned());
        if !(3..=255).contains(&table_name.len())
            || !table_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(ConfigError::invalid(
                "TABLE_NAME",
                "must be 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'",
            ));
        }

        let topics_raw = get("SEARCH_QUERIES").unwrap_or_else(|| DEFAULT_TOPICS.to_owned());
        let topic_weights = parse_topics(&topics_raw)?;
        let topics = topic_weights.iter().map(|(t, _)| t.clone()).collect();

        let youtube_base_url = get("YOUTUBE_API_BASE_URL")
            .unwrap_or_else(|| tubefeed_youtube_default_base().to_owned());
        if !(youtube_base_url.starts_with("https://") || youtube_base_url.starts_with("http://")) {
            return Err(ConfigError::invalid(
                "YOUTUBE_API_BASE_URL",
                "must be an http:// or https:// URL",
            ));
        }

        let keys = match (get("YOUTUBE_API_KEYS"), get("YOUTUBE_API_KEYS_SECRET_ID")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "YOUTUBE_API_KEYS",
                    "set either YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID, not both",
                ));
            }
            (Some(list), None) => KeySource::Env(parse_keys(&list)?),
            (None, Some(id)) => KeySource::Secret(id),
            (None, None) => KeySource::None,
        };

        let daily_calls_per_key = parse_num(
            "YOUTUBE_DAILY_CALLS_PER_KEY",
            get("YOUTUBE_DAILY_CALLS_PER_KEY"),
            100,
            1,
            1_000_000,
        )?;
        let schedule = match get("FETCH_SCHEDULE") {
            None => chrono::Duration::minutes(1),
            Some(raw) => parse_schedule(&raw).ok_or_else(|| {
                ConfigError::invalid(
                    "FETCH_SCHEDULE",
                    format!(
                        "must be a rate such as `rate(1 minute)` or `rate(5 minutes)` \
                         (seconds, minutes, hours or days; at most a day), got {raw:?}"
                    ),
                )
            })?,
        };
        let keys_cache = Duration::from_secs(u64::from(parse_num(
            "KEYS_CACHE_SECONDS",
            get("KEYS_CACHE_SECONDS"),
            300,
            0,
            86_400,
        )?));
        let d = FetchSettings::default();
        let fetch = FetchSettings {
            whole_window_sweep: false,
            page_size: d.page_size,
            max_pages_per_topic: parse_num(
                "FETCH_MAX_PAGES_PER_TOPIC",
                get("FETCH_MAX_PAGES_PER_TOPIC"),
                d.max_pages_per_topic,
                1,
                1000,
            )?,
            backfill_pages: parse_num(
                "FETCH_BACKFILL_PAGES",
                get("FETCH_BACKFILL_PAGES"),
                d.backfill_pages,
                0,
                1000,
            )?,
            lookback: chrono::Duration::minutes(i64::from(parse_num(
                "FETCH_LOOKBACK_MINUTES",
                get("FETCH_LOOKBACK_MINUTES"),
                15,
                0,
                7 * 24 * 60,
            )?)),
            lease_ttl: Duration::from_secs(u64::from(parse_num(
                "FETCH_LEASE_SECONDS",
                get("FETCH_LEASE_SECONDS"),
                300,
                10,
                3600,
            )?)),
        };
        let page_token_secret = match (get("PAGE_TOKEN_SECRET"), get("PAGE_TOKEN_SECRET_ID")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "PAGE_TOKEN_SECRET",
                    "set either PAGE_TOKEN_SECRET or PAGE_TOKEN_SECRET_ID, not both",
                ));
            }
            (Some(s), None) if s.len() < tubefeed_api::MIN_KEY_BYTES => {
                return Err(ConfigError::invalid(
                    "PAGE_TOKEN_SECRET",
                    format!(
                        "must be at least {} characters (random; `openssl rand -base64 32` makes one)",
                        tubefeed_api::MIN_KEY_BYTES
                    ),
                ));
            }
            (Some(s), None) => Some(PageTokenSecret::Literal(s.into())),
            (None, Some(id)) => Some(PageTokenSecret::SecretId(id)),
            (None, None) => None,
        };
        let api_first_page_cache = Duration::from_secs(u64::from(parse_num(
            "API_CACHE_SECONDS",
            get("API_CACHE_SECONDS"),
            5,
            0,
            300,
        )?));
        let api_search_per_second = parse_num(
            "API_SEARCH_PER_SECOND",
            get("API_SEARCH_PER_SECOND"),
            5,
            0,
            1000,
        )?;
        let store_inflight = parse_num(
            "DYNAMODB_MAX_INFLIGHT",
            get("DYNAMODB_MAX_INFLIGHT"),
            tubefeed_dynamo::DEFAULT_WRITE_CONCURRENCY as u32,
            1,
            64,
        )? as usize;
        let tls_roots = match get("TLS_ROOTS") {
            None => TlsRoots::default(),
            Some(v) => TlsRoots::parse(&v).ok_or_else(|| {
                ConfigError::invalid("TLS_ROOTS", "must be `builtin` or `system`")
            })?,
        };
        Ok(Self {
            table_name,
            topics,
            topic_weights,
            youtube_base_url,
            keys,
            daily_calls_per_key,
            schedule,
            keys_cache,
            fetch,
            page_token_secret,
            api_first_page_cache,
            api_search_per_second,
            store_inflight,
            tls_roots,
        })
    }
}

fn tubefeed_youtube_default_base() -> &'static str {
    tubefeed_youtube::DEFAULT_BASE_URL
}

/// Highest accepted `SEARCH_QUERIES` weight.
pub const MAX_TOPIC_WEIGHT: u32 = 100;

/// `cricket:3,chess`: comma-separated topics, each with an optional `:weight` (a whole number
/// 1..=100). A colon followed by anything but digits is part of the topic (`re:zero`).
/// Duplicates are dropped, the first one kept.
fn parse_topics(raw: &str) -> Result<Vec<(Topic, u32)>, ConfigError> {
    let bad = |reason: String| ConfigError::invalid("SEARCH_QUERIES", reason);
    let mut out: Vec<(Topic, u32)> = Vec::new();
    for part in raw.split(',') {
        let (name, weight) = match part.trim().rsplit_once(':') {
            Some((name, w)) if !w.is_empty() && w.trim().bytes().all(|b| b.is_ascii_digit()) => {
                let n: u32 = w
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("weight of {:?} is too large", name.trim())))?;
                if !(1..=MAX_TOPIC_WEIGHT).contains(&n) {
                    return Err(bad(format!(
                        "weight of {:?} must be between 1 and {MAX_TOPIC_WEIGHT}, got {n}",
                        name.trim()
                    )));
                }
                (name, n)
            }
            _ => (part, 1),
        };
        let topic = Topic::parse(name).map_err(|e| bad(e.to_string()))?;
        if !out.iter().any(|(t, _)| *t == topic) {
            out.push((topic, weight));
        }
    }
    Ok(out)
}

/// `YOUTUBE_API_KEYS`: comma-separated keys, each optionally `project:key` (a colon never
/// occurs in a key) naming the Google Cloud project whose bucket it draws on.
fn parse_keys(list: &str) -> Result<Vec<ApiKey>, ConfigError> {
    let bad = |reason: String| ConfigError::invalid("YOUTUBE_API_KEYS", reason);
    let mut keys: Vec<ApiKey> = Vec::new();
    for (i, raw) in list.split(',').map(str::trim).enumerate() {
        let (project, value) = match raw.split_once(':') {
            Some((p, v)) => {
                let name =
                    ProjectName::parse(p).map_err(|e| bad(format!("entry {}: {e}", i + 1)))?;
                (Some(name), v.trim())
            }
            None => (None, raw),
        };
        let key = validate_key(value).map_err(|e| match e {
            tubefeed_core::KeySourceError::BadKey(why) => bad(format!("entry {}: {why}", i + 1)),
            other => bad(other.to_string()),
        })?;
        let key = match project {
            Some(p) => key.in_project(p, None),
            None => key,
        };
        if !keys.iter().any(|k| k.fingerprint() == key.fingerprint()) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// `rate(N unit)` as EventBridge writes it (`rate(1 minute)`, `rate(5 minutes)`, `rate(2
/// hours)`), plus seconds for local loops (`rate(3 seconds)`), at most a day.
pub fn parse_schedule(raw: &str) -> Option<chrono::Duration> {
    let inner = raw.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n >= 1)?;
    let secs = match unit.trim() {
        "second" | "seconds" => 1,
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    let d = chrono::Duration::seconds(n.checked_mul(secs)?);
    (d <= chrono::Duration::days(1)).then_some(d)
}

fn parse_num(
    var: &'static str,
    raw: Option<String>,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    let n: u32 = raw
        .trim()
        .parse()
        .map_err(|_| ConfigError::invalid(var, format!("must be a whole number, got {raw:?}")))?;
    if !(min..=max).contains(&n) {
        return Err(ConfigError::invalid(
            var,
            format!("must be between {min} and {max}, got {n}"),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
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
    fn keys_are_deduplicated() {
        let c = cfg(&[("YOUTUBE_API_KEYS", " k1 , k2,k1")]).unwrap();
        let KeySource::Env(keys) = c.keys else {
            panic!()
        };
        assert_eq!(keys.len(), 2);
    }
}
