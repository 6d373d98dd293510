//! The pool at one instant: the layout, each project's use today and each key's marks, and the
//! view of it the planner and the reports take.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{KeyMarks, KeyState, Layout, ProjectId, ProjectPlan, ProjectUse, RestReason};
use crate::key::Fingerprint;
use crate::pacific::next_pacific_midnight;

/// The pool as the ring sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolView {
    /// Keys in the current list.
    pub keys_total: u32,
    /// Keys that can still make a call before the next reset: not invalid, not exhausted, with
    /// calls left in the table's count (briefly rate-limited ones included: they come back
    /// today). Always agrees with `calls_left_today`: zero keys exactly when zero calls.
    pub keys_usable: u32,
    /// What the projects of usable keys may still spend before the next reset, as counted;
    /// a project YouTube reported dry counts zero.
    pub calls_left_today: u64,
    /// Each project (bucket) as counted.
    pub projects: Vec<ProjectReport>,
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
    pub fn view(&self, now: DateTime<Utc>) -> PoolView {
        let mut view = PoolView {
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
