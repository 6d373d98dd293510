//! What the rings learn about the real buckets: keys that ran dry together.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::key::Fingerprint;

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
