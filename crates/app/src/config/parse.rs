//! The parsers behind the configuration: numbers in a range, the schedule, the topic list and
//! the key list. Every error names its variable and never quotes a key.

use std::ops::RangeInclusive;

use tubefeed_core::key_source::validate_key;
use tubefeed_core::{ApiKey, KeySourceError, MAX_RETENTION_DAYS, ProjectName, Topic};

use super::{ConfigError, DEFAULT_TOPICS};

/// Highest accepted `SEARCH_QUERIES` weight.
pub const MAX_TOPIC_WEIGHT: u32 = 100;

/// The environment as the parsers see it: an empty value means "unset", as shells and SAM
/// parameters tend to produce them — except where set-but-empty is itself a mistake.
pub struct Lookup<'a> {
    get: Box<Getter<'a>>,
}

type Getter<'a> = dyn Fn(&str) -> Option<String> + 'a;

impl<'a> Lookup<'a> {
    pub fn new(get: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self { get: Box::new(get) }
    }

    /// The variable, unless unset or blank.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.get)(name).filter(|v| !v.trim().is_empty())
    }

    /// The variable as set, blank included.
    fn raw(&self, name: &str) -> Option<String> {
        (self.get)(name)
    }
}

/// A whole number in `range`, `default` when unset.
pub fn num(
    get: &Lookup,
    var: &'static str,
    default: u32,
    range: RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(raw) = get.var(var) else {
        return Ok(default);
    };
    let n: u32 = raw
        .trim()
        .parse()
        .map_err(|_| ConfigError::invalid(var, format!("must be a whole number, got {raw:?}")))?;
    if !range.contains(&n) {
        return Err(ConfigError::invalid(
            var,
            format!(
                "must be between {} and {}, got {n}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(n)
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

/// A followed topic as `SEARCH_QUERIES` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub topic: Topic,
    pub weight: u32,
    /// `:30d`: this topic's retention, over `RETENTION_DAYS`.
    pub retention_days: Option<u32>,
}

/// `SEARCH_QUERIES`: `cricket:3:30d,chess`, comma-separated topics, each with an optional
/// `:weight` (a whole number 1..=100) and an optional `:<days>d` retention. A colon followed by
/// a letter is part of the topic (`re:zero`); one followed by a digit starts a weight or a
/// retention, and one that is neither (`cricket:3x`) is a mistake, as is a variable set to
/// nothing. Duplicates are dropped, the first one kept.
pub fn parse_topics(get: &Lookup) -> Result<Vec<TopicSpec>, ConfigError> {
    let bad = |reason: String| ConfigError::invalid("SEARCH_QUERIES", reason);
    let raw = match get.raw("SEARCH_QUERIES") {
        None => DEFAULT_TOPICS.to_owned(),
        Some(v) if v.split(',').all(|p| p.trim().is_empty()) => {
            return Err(bad(
                "is set but names no topic (unset it for the default, cricket)".into(),
            ));
        }
        Some(v) => v,
    };
    let mut out: Vec<TopicSpec> = Vec::new();
    for part in raw.split(',') {
        let (rest, retention_days) = match suffix(part.trim()) {
            Some((name, d)) if d.ends_with('d') => (name, Some(days_of(name, d).map_err(bad)?)),
            _ => (part.trim(), None),
        };
        let (name, weight) = match suffix(rest) {
            Some((name, w)) => (name, weight_of(name, w).map_err(bad)?),
            None => (rest, 1),
        };
        let topic = Topic::parse(name).map_err(|e| bad(format!("{e} (in {:?})", part.trim())))?;
        if !out.iter().any(|s| s.topic == topic) {
            out.push(TopicSpec {
                topic,
                weight,
                retention_days,
            });
        }
    }
    Ok(out)
}

/// `ARCHIVED_TOPICS`: topic names, comma-separated, that the API keeps serving after they left
/// `SEARCH_QUERIES` (a name in both is simply followed).
pub fn archived_topics(get: &Lookup, followed: &[TopicSpec]) -> Result<Vec<Topic>, ConfigError> {
    let Some(raw) = get.var("ARCHIVED_TOPICS") else {
        return Ok(Vec::new());
    };
    let mut out: Vec<Topic> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let topic = Topic::parse(part)
            .map_err(|e| ConfigError::invalid("ARCHIVED_TOPICS", format!("{part:?}: {e}")))?;
        if !out.contains(&topic) && !followed.iter().any(|s| s.topic == topic) {
            out.push(topic);
        }
    }
    Ok(out)
}

/// The part after the last colon, when it starts with a digit (a weight or a retention).
fn suffix(s: &str) -> Option<(&str, &str)> {
    s.rsplit_once(':')
        .map(|(name, v)| (name, v.trim()))
        .filter(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
}

fn days_of(name: &str, d: &str) -> Result<u32, String> {
    retention_days(d.trim_end_matches('d'))
        .map_err(|e| format!("retention of {:?} {e}, got {d:?}", name.trim()))
}

/// `RETENTION_DAYS` and a topic's `:<days>d`: whole days, 1 to a hundred years.
pub fn retention_days(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_RETENTION_DAYS).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number of days from 1 to {MAX_RETENTION_DAYS}"
        )),
    }
}

fn weight_of(name: &str, w: &str) -> Result<u32, String> {
    let n: u32 = w.parse().map_err(|_| {
        format!(
            "weight of {:?} must be a whole number from 1 to {MAX_TOPIC_WEIGHT}, got {w:?}",
            name.trim()
        )
    })?;
    if (1..=MAX_TOPIC_WEIGHT).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "weight of {:?} must be between 1 and {MAX_TOPIC_WEIGHT}, got {n}",
            name.trim()
        ))
    }
}

/// `YOUTUBE_API_KEYS`: comma-separated keys, each optionally `project:key` (a colon never
/// occurs in a key) naming the Google Cloud project whose bucket it draws on.
pub fn parse_keys(list: &str) -> Result<Vec<ApiKey>, ConfigError> {
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
            KeySourceError::BadKey(why) => bad(format!("entry {}: {why}", i + 1)),
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
