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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::{ApiKey, Fingerprint, next_pacific_midnight};

/// How long a short-term 429 (per-minute throttling) rests a key: Google's short-term limits
/// are per-minute windows, so a minute lets the next window open. One policy for every ring.
pub fn rate_limit_rest() -> chrono::Duration {
    chrono::Duration::seconds(60)
}

/// A Google Cloud project's name as the operator wrote it: 1 to 63 letters, digits, `-`, `_`
/// or `.`. Names starting `key-` or `learned-` are refused: those are how tubefeed names a
/// key's own project and a learned one, and a report must not be ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectNameError {
    #[error("a project name must be 1 to 63 letters, digits, '-', '_' or '.'")]
    Shape,
    #[error("a project name may not start with 'key-' or 'learned-' (tubefeed's own names)")]
    Reserved,
}

impl ProjectName {
    pub fn parse(raw: &str) -> Result<Self, ProjectNameError> {
        let s = raw.trim();
        let ok = (1..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return Err(ProjectNameError::Shape);
        }
        if s.starts_with("key-") || s.starts_with("learned-") {
            return Err(ProjectNameError::Reserved);
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectName {
    type Error = ProjectNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ProjectName> for String {
    fn from(p: ProjectName) -> String {
        p.0
    }
}
impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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

/// One bucket: its keys, what the planner spreads over a day, and what its count may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPlan {
    pub id: ProjectId,
    pub keys: Vec<Fingerprint>,
    /// What the planner spreads over the day: the configured size, or what was learned.
    pub planned_calls: u32,
    /// What the count may reach in a day: the configured size (of all the projects a learned
    /// one merged).
    pub daily_calls: u32,
    /// Merged from keys that ran dry together on an earlier day.
    pub learned: bool,
}

/// Which keys share which bucket, and how large each bucket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub projects: Vec<ProjectPlan>,
    by_key: HashMap<Fingerprint, usize>,
}

impl Layout {
    /// The configured projects (a named project's size is the first `daily_calls` one of its
    /// keys gives, else `default_calls`), with the learned groups merged in.
    pub fn new(keys: &[ApiKey], default_calls: u32, learned: &[LearnedGroup]) -> Self {
        let mut projects: Vec<ProjectPlan> = Vec::new();
        // Whether a project's size came from one of its keys yet.
        let mut sized: Vec<bool> = Vec::new();
        let mut by_key: HashMap<Fingerprint, usize> = HashMap::new();
        for k in keys {
            let id = match k.project() {
                Some(name) => ProjectId::Named(name.clone()),
                None => ProjectId::OwnKey(k.fingerprint().clone()),
            };
            let i = match projects.iter().position(|p| p.id == id) {
                Some(i) => i,
                None => {
                    projects.push(ProjectPlan {
                        id,
                        keys: Vec::new(),
                        planned_calls: default_calls,
                        daily_calls: default_calls,
                        learned: false,
                    });
                    sized.push(false);
                    projects.len() - 1
                }
            };
            if let (false, Some(n)) = (sized[i], k.daily_calls()) {
                projects[i].daily_calls = n;
                projects[i].planned_calls = n;
                sized[i] = true;
            }
            projects[i].keys.push(k.fingerprint().clone());
            by_key.insert(k.fingerprint().clone(), i);
        }
        let mut layout = Self { projects, by_key };
        for g in learned {
            layout.merge(g);
        }
        layout
    }

    /// Puts every project that holds a member of `g` into one learned project of `g.calls`.
    fn merge(&mut self, g: &LearnedGroup) {
        let touched: BTreeSet<usize> = g
            .members
            .iter()
            .filter_map(|fp| self.by_key.get(fp).copied())
            .collect();
        if touched.is_empty() {
            return;
        }
        let mut keys: Vec<Fingerprint> = Vec::new();
        let mut configured = 0u32;
        let mut kept: Vec<ProjectPlan> = Vec::new();
        for (i, p) in std::mem::take(&mut self.projects).into_iter().enumerate() {
            if touched.contains(&i) {
                keys.extend(p.keys);
                configured = configured.saturating_add(p.daily_calls);
            } else {
                kept.push(p);
            }
        }
        kept.push(ProjectPlan {
            id: ProjectId::Learned(group_hash(&keys)),
            keys,
            planned_calls: g.calls.min(configured),
            daily_calls: configured,
            learned: true,
        });
        self.projects = kept;
        self.by_key = self
            .projects
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.keys.iter().map(move |k| (k.clone(), i)))
            .collect();
    }

    pub fn project_of(&self, key: &Fingerprint) -> Option<&ProjectPlan> {
        self.by_key.get(key).map(|&i| &self.projects[i])
    }
}

fn group_hash(keys: &[Fingerprint]) -> String {
    let mut fps: Vec<&str> = keys.iter().map(Fingerprint::as_str).collect();
    fps.sort_unstable();
    let digest = Sha256::digest(fps.join(",").as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// A name for the key list as the planner sees it: keys, their projects and sizes, and the
/// default size. What was learned holds only while this stays the same.
pub fn layout_version(keys: &[ApiKey], default_calls: u32) -> String {
    let mut parts: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{}={}@{}",
                k.fingerprint(),
                k.project().map_or("", ProjectName::as_str),
                k.daily_calls().map_or(String::new(), |n| n.to_string())
            )
        })
        .collect();
    parts.sort_unstable();
    parts.push(format!("default={default_calls}"));
    let digest = Sha256::digest(parts.join(",").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Keys that ran dry together after `calls` calls in all: one bucket of that size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedGroup {
    pub members: Vec<Fingerprint>,
    pub calls: u32,
    /// The Pacific day it was seen.
    pub day: String,
}

/// What the ring learned about the real buckets. Stored with the pool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// The [`layout_version`] it was learned under; another list forgets it.
    pub layout: String,
    /// In force from the day after each was seen.
    #[serde(default)]
    pub groups: Vec<LearnedGroup>,
}

impl Learned {
    /// The groups that plan `today` under `layout`: for each key, the latest group seen on
    /// an earlier day (today's groups are still being learned). A group refused before it
    /// made a single call says nothing about its size (someone else spent that bucket that
    /// day): it plans nothing, and its keys are planned as configured.
    pub fn in_force(&self, layout: &str, today: &str) -> Vec<LearnedGroup> {
        if self.layout != layout {
            return Vec::new();
        }
        let mut earlier: Vec<&LearnedGroup> = self
            .groups
            .iter()
            .filter(|g| g.day.as_str() < today && g.calls > 0)
            .collect();
        earlier.sort_by(|a, b| b.day.cmp(&a.day));
        let mut taken: BTreeSet<&Fingerprint> = BTreeSet::new();
        let mut out = Vec::new();
        for g in earlier {
            if g.members.iter().all(|m| !taken.contains(m)) {
                taken.extend(g.members.iter());
                out.push(g.clone());
            }
        }
        out
    }

    /// The groups being learned today, if any.
    pub fn seen_today(&self, layout: &str, today: &str) -> Option<&LearnedGroup> {
        (self.layout == layout)
            .then(|| self.groups.iter().find(|g| g.day == today))
            .flatten()
    }

    /// Records that the bucket holding `members` ran dry `today` after `calls` calls while
    /// its count said calls were left. The keys that ran dry on one day form one group (a
    /// project reported twice on a day, by overlapping runs, counts once); from the next day
    /// it supersedes older groups that share a key. Returns whether anything changed.
    pub fn record_dry(
        &mut self,
        layout: &str,
        today: &str,
        members: &[Fingerprint],
        calls: u32,
    ) -> bool {
        if self.layout != layout {
            *self = Self {
                layout: layout.to_owned(),
                groups: Vec::new(),
            };
        }
        let i = match self.groups.iter().position(|g| g.day == today) {
            Some(i) => i,
            None => {
                self.groups.push(LearnedGroup {
                    members: Vec::new(),
                    calls: 0,
                    day: today.to_owned(),
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[i];
        let fresh: Vec<Fingerprint> = members
            .iter()
            .filter(|m| !group.members.contains(m))
            .cloned()
            .collect();
        if fresh.is_empty() {
            return false;
        }
        group.members.extend(fresh);
        group.members.sort();
        group.calls = group.calls.saturating_add(calls);
        // Keep today's group and what still plans today; older superseded groups go.
        let live = self.in_force(layout, today);
        self.groups
            .retain(|g| g.day.as_str() >= today || live.contains(g));
        true
    }
}

/// One bucket as reports show it (never a key value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectReport {
    pub project: String,
    pub keys: u32,
    /// What the planner spreads over the day.
    pub daily_calls: u32,
    pub calls_today: u32,
    /// Planned calls left today.
    pub calls_left: u32,
    /// Planned from what the ring learned (keys that ran dry together), not from configuration.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub learned: bool,
    /// When learned: the configured sizes it merged, which its count may still reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configured_calls: Option<u32>,
    /// YouTube refused it for quota today while the count said calls were left.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ran_dry_early: bool,
}

/// The pool at one instant: the layout, each project's use today and each key's marks.
#[derive(Debug, Clone)]
pub struct Pool {
    pub layout: Layout,
    pub uses: HashMap<ProjectId, ProjectUse>,
    pub marks: HashMap<Fingerprint, KeyMarks>,
    /// Every key in the list's order.
    pub keys: Vec<Fingerprint>,
}

impl Pool {
    fn use_of(&self, p: &ProjectPlan) -> ProjectUse {
        self.uses.get(&p.id).copied().unwrap_or_default()
    }

    /// Planned calls the project has left today (what the planner spreads to midnight).
    pub fn calls_left(&self, p: &ProjectPlan) -> u32 {
        let u = self.use_of(p);
        if u.dry {
            0
        } else {
            p.planned_calls.saturating_sub(u.calls_today)
        }
    }

    /// Whether its count may take another call today.
    pub fn can_reserve(&self, p: &ProjectPlan) -> bool {
        let u = self.use_of(p);
        !u.dry && u.calls_today < p.daily_calls
    }

    pub fn key_state(&self, key: &Fingerprint, now: DateTime<Utc>) -> KeyState {
        let marks = self.marks.get(key).copied().unwrap_or_default();
        if marks.invalid {
            return KeyState::Invalid;
        }
        if let Some(until) = marks.resting_until.filter(|t| *t > now) {
            return match marks.rest_reason {
                Some(RestReason::RateLimited) => KeyState::RateLimited { until },
                _ => KeyState::Exhausted { until },
            };
        }
        match self.layout.project_of(key) {
            Some(p) if self.can_reserve(p) => KeyState::Available,
            _ => KeyState::Exhausted {
                until: next_pacific_midnight(now),
            },
        }
    }

    /// Keys that can make a call now, the one whose project has the most planned calls left
    /// first (the fingerprint breaks ties, so every invocation agrees).
    pub fn candidates(&self, now: DateTime<Utc>) -> Vec<(Fingerprint, &ProjectPlan)> {
        let mut out: Vec<(Fingerprint, &ProjectPlan)> = self
            .keys
            .iter()
            .filter(|k| self.key_state(k, now) == KeyState::Available)
            .filter_map(|k| self.layout.project_of(k).map(|p| (k.clone(), p)))
            .collect();
        out.sort_by(|(ka, pa), (kb, pb)| {
            self.calls_left(pb)
                .cmp(&self.calls_left(pa))
                .then_with(|| ka.cmp(kb))
        });
        out
    }

    /// When the earliest key comes back, if any will.
    pub fn next_usable_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.keys
            .iter()
            .filter_map(|k| self.key_state(k, now).available_at(now))
            .map(|t| t.max(now))
            .min()
    }

    /// The pool as the planner sees it: a project counts while one of its keys can still call
    /// today (a briefly throttled key comes back today; invalid and exhausted ones do not).
    pub fn view(&self, now: DateTime<Utc>) -> crate::budget::PoolView {
        let mut view = crate::budget::PoolView {
            keys_total: u32::try_from(self.keys.len()).unwrap_or(u32::MAX),
            ..Default::default()
        };
        for p in &self.layout.projects {
            let left = self.calls_left(p);
            let live = p
                .keys
                .iter()
                .filter(|k| {
                    matches!(
                        self.key_state(k, now),
                        KeyState::Available | KeyState::RateLimited { .. }
                    )
                })
                .count();
            if left > 0 && live > 0 {
                view.keys_usable += u32::try_from(live).unwrap_or(u32::MAX);
                view.calls_left_today += u64::from(left);
            }
            view.projects.push(self.report(p));
        }
        view
    }

    pub fn report(&self, p: &ProjectPlan) -> ProjectReport {
        let u = self.use_of(p);
        ProjectReport {
            project: p.id.to_string(),
            keys: u32::try_from(p.keys.len()).unwrap_or(u32::MAX),
            daily_calls: p.planned_calls,
            calls_today: u.calls_today,
            calls_left: self.calls_left(p),
            learned: p.learned,
            configured_calls: p.learned.then_some(p.daily_calls),
            ran_dry_early: u.dry && u.calls_today < p.daily_calls,
        }
    }
}

/// What a quota refusal of `key` means for its project: `Some(calls)` when the project's
/// count said calls were left (the bucket is smaller than planned, and it ran dry after
/// `calls` calls), `None` when the count had reached the bucket anyway.
pub fn surprise(pool: &Pool, key: &Fingerprint) -> Option<(ProjectPlan, u32)> {
    let p = pool.layout.project_of(key)?;
    let u = pool.use_of(p);
    // The refused call was counted when it was reserved, and YouTube does not bill it.
    let made = u.calls_today.saturating_sub(1);
    (!u.dry && made < p.daily_calls).then(|| (p.clone(), made))
}

/// Per-project uses by storage key, for rings that keep them in a map.
pub fn uses_by_storage_key(
    layout: &Layout,
    stored: &BTreeMap<String, ProjectUse>,
) -> HashMap<ProjectId, ProjectUse> {
    layout
        .projects
        .iter()
        .filter_map(|p| stored.get(&p.id.storage_key()).map(|u| (p.id.clone(), *u)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn project_names_are_checked() {
        assert!(ProjectName::parse("tubefeed-1").is_ok());
        assert_eq!(ProjectName::parse(""), Err(ProjectNameError::Shape));
        assert_eq!(ProjectName::parse("a b"), Err(ProjectNameError::Shape));
        assert_eq!(ProjectName::parse("key-1"), Err(ProjectNameError::Reserved));
        assert_eq!(
            ProjectName::parse(&"x".repeat(64)),
            Err(ProjectNameError::Shape)
        );
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
