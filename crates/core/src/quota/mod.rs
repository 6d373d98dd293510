//! Quota belongs to a Google Cloud project, not to a key.
//!
//! `search.list` has a bucket of its own per project (100 calls a day since the 2026-06-01 quota
//! change; larger for audited projects), so two keys of one project share one bucket. A key can
//! name its project (`tubefeed-1:AIza…` in `YOUTUBE_API_KEYS`, `"project"` in the secret); a key
//! that names none is planned as the only key of a project of its own.
//!
//! That assumption can be wrong: five keys made in one project look like five buckets. The ring
//! learns it: when YouTube refuses a key for quota while its project's count says calls are
//! left, the project is dry for the rest of the Pacific day (each refused key is tried once),
//! and the keys that ran dry that way on one day are planned from the next day on as one
//! project of as many calls as they made together ([`Learned`]), until the key list changes.
//! What is learned only *plans*: the planner spreads those calls to midnight, but the count
//! may still go up to the configured sizes. So a bucket learned too small (someone else spent
//! part of it that day) is used on when its plan is spent, runs dry later, and is learned
//! again at its true size the next day.
//!
//! Pure: the rings (DynamoDB, in-memory) keep the counts and feed them in.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::key::{Fingerprint, ProjectName};

mod layout;
mod learn;
mod pool;

pub use layout::{Layout, ProjectPlan, layout_version};
pub use learn::{Learned, LearnedGroup};
pub use pool::{Pool, PoolView, ProjectReport, surprise, uses_by_storage_key};

/// How long a short-term 429 (per-minute throttling) rests a key: Google's short-term limits
/// are per-minute windows, so a minute lets the next window open. One policy for every ring.
pub fn rate_limit_rest() -> chrono::Duration {
    chrono::Duration::seconds(60)
}

/// The bucket a key's calls are counted in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProjectId {
    /// Named by the operator.
    Named(ProjectName),
    /// A key that names no project: assumed to be alone in one.
    OwnKey(Fingerprint),
    /// Keys that ran dry together on an earlier day (named by a hash of their fingerprints).
    Learned(String),
}

impl ProjectId {
    /// The stable name the count is stored under.
    pub fn storage_key(&self) -> String {
        match self {
            Self::Named(n) => format!("name:{n}"),
            Self::OwnKey(fp) => format!("key:{fp}"),
            Self::Learned(h) => format!("learned:{h}"),
        }
    }
}

/// As reports show it: the name, the key's fingerprint, or `learned-…` (never a key value).
impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(n) => write!(f, "{n}"),
            Self::OwnKey(fp) => write!(f, "{fp}"),
            Self::Learned(h) => write!(f, "learned-{h}"),
        }
    }
}

/// A key's state as `keys list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum KeyState {
    Available,
    /// Its project is out of today's quota (YouTube said so, or our count reached it).
    Exhausted {
        until: DateTime<Utc>,
    },
    /// Briefly throttled.
    RateLimited {
        until: DateTime<Utc>,
    },
    /// Rejected by YouTube as invalid or without the API enabled, under the current key list.
    Invalid,
}

impl KeyState {
    /// When the key can be used again, if ever.
    pub fn available_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Available => Some(now),
            Self::Exhausted { until } | Self::RateLimited { until } => Some(*until),
            Self::Invalid => None,
        }
    }
}

/// Why a key rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestReason {
    /// YouTube refused it for quota: until the Pacific midnight reset.
    Exhausted,
    /// Short-term throttling.
    RateLimited,
}

/// What a ring remembers about one key (apart from the count, which is its project's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyMarks {
    pub resting_until: Option<DateTime<Utc>>,
    pub rest_reason: Option<RestReason>,
    /// Found invalid under the current key list.
    pub invalid: bool,
}

/// What a project has spent today, as the ring counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProjectUse {
    pub calls_today: u32,
    /// YouTube refused one of its keys for quota today: nothing is left, whatever the count.
    pub dry: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::ApiKey;
    use std::collections::HashMap;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn named(key: &str, project: &str) -> ApiKey {
        ApiKey::new(key).in_project(ProjectName::parse(project).unwrap(), None)
    }

    #[test]
    fn keys_of_one_project_share_its_bucket_and_others_are_their_own() {
        let keys = [
            named("a", "p1"),
            named("b", "p1"),
            named("c", "p1"),
            ApiKey::new("d"),
        ];
        let layout = Layout::new(&keys, 100, &[]);
        assert_eq!(layout.projects.len(), 2);
        let pool = Pool {
            layout,
            uses: HashMap::new(),
            marks: HashMap::new(),
            keys: keys.iter().map(|k| k.fingerprint().clone()).collect(),
        };
        let view = pool.view(utc("2026-01-15T12:00:00Z"));
        assert_eq!(view.calls_left_today, 200);
        assert_eq!(view.keys_usable, 4);
        assert_eq!(view.projects[0].project, "p1");
        assert_eq!(view.projects[1].project, keys[3].fingerprint().to_string());
    }

    #[test]
    fn a_named_project_takes_the_first_size_given() {
        let p = ProjectName::parse("big").unwrap();
        let keys = [
            ApiKey::new("a").in_project(p.clone(), None),
            ApiKey::new("b").in_project(p.clone(), Some(1000)),
            ApiKey::new("c").in_project(p, Some(5)),
        ];
        let layout = Layout::new(&keys, 100, &[]);
        assert_eq!(layout.projects[0].daily_calls, 1000);
    }

    #[test]
    fn keys_that_ran_dry_together_plan_as_one_project_from_the_next_day() {
        let keys: Vec<ApiKey> = (0..5).map(|i| ApiKey::new(&format!("k{i}"))).collect();
        let fps: Vec<Fingerprint> = keys.iter().map(|k| k.fingerprint().clone()).collect();
        let v = layout_version(&keys, 100);
        let mut learned = Learned::default();
        for fp in &fps {
            assert!(learned.record_dry(&v, "2026-01-15", std::slice::from_ref(fp), 20));
        }
        // A second report of the same refusal (an overlapping run) counts once.
        assert!(!learned.record_dry(&v, "2026-01-15", &fps[..1], 20));
        assert!(learned.in_force(&v, "2026-01-15").is_empty(), "not today");
        let groups = learned.in_force(&v, "2026-01-16");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].calls, 100);
        let layout = Layout::new(&keys, 100, &groups);
        assert_eq!(layout.projects.len(), 1);
        assert!(layout.projects[0].learned);
        assert_eq!(layout.projects[0].planned_calls, 100);
        assert_eq!(
            layout.projects[0].daily_calls, 500,
            "the count may still reach 500"
        );
        // Another key list forgets it.
        let more: Vec<ApiKey> = (0..6).map(|i| ApiKey::new(&format!("k{i}"))).collect();
        assert!(
            learned
                .in_force(&layout_version(&more, 100), "2026-01-16")
                .is_empty()
        );
        // A later, smaller bucket replaces the group.
        assert!(learned.record_dry(&v, "2026-01-16", &fps, 80));
        let groups = learned.in_force(&v, "2026-01-17");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].calls, 80);
    }

    #[test]
    fn keys_refused_before_any_call_teach_nothing() {
        let keys = [ApiKey::new("a"), ApiKey::new("b")];
        let v = layout_version(&keys, 100);
        let mut learned = Learned::default();
        let fps: Vec<Fingerprint> = keys.iter().map(|k| k.fingerprint().clone()).collect();
        learned.record_dry(&v, "2026-01-15", &fps, 0);
        assert!(learned.in_force(&v, "2026-01-16").is_empty());
        // ...but one that ran dry the same day after calls takes them along.
        learned.record_dry(&v, "2026-01-16", &fps[..1], 0);
        learned.record_dry(&v, "2026-01-16", &fps[1..], 30);
        let g = learned.in_force(&v, "2026-01-17");
        assert_eq!((g.len(), g[0].members.len(), g[0].calls), (1, 2, 30));
    }

    #[test]
    fn a_refusal_is_a_surprise_only_while_the_count_says_calls_are_left() {
        let keys = [ApiKey::new("a")];
        let fp = keys[0].fingerprint().clone();
        let layout = Layout::new(&keys, 100, &[]);
        let id = layout.projects[0].id.clone();
        let mut pool = Pool {
            layout,
            uses: HashMap::from([(
                id.clone(),
                ProjectUse {
                    calls_today: 21,
                    dry: false,
                },
            )]),
            marks: HashMap::new(),
            keys: vec![fp.clone()],
        };
        assert_eq!(surprise(&pool, &fp).map(|(_, n)| n), Some(20));
        pool.uses.insert(
            id,
            ProjectUse {
                calls_today: 101,
                dry: false,
            },
        );
        assert!(surprise(&pool, &fp).is_none());
    }

    #[test]
    fn a_dry_project_has_nothing_left_and_its_keys_are_exhausted() {
        let keys = [named("a", "p"), named("b", "p")];
        let layout = Layout::new(&keys, 100, &[]);
        let id = layout.projects[0].id.clone();
        let now = utc("2026-01-15T12:00:00Z");
        let pool = Pool {
            layout,
            uses: HashMap::from([(
                id,
                ProjectUse {
                    calls_today: 3,
                    dry: true,
                },
            )]),
            marks: HashMap::new(),
            keys: keys.iter().map(|k| k.fingerprint().clone()).collect(),
        };
        assert_eq!(pool.view(now).calls_left_today, 0);
        assert!(pool.candidates(now).is_empty());
        assert_eq!(
            pool.key_state(keys[1].fingerprint(), now),
            KeyState::Exhausted {
                until: utc("2026-01-16T08:00:00Z")
            }
        );
        assert!(pool.view(now).projects[0].ran_dry_early);
    }
}
