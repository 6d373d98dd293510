//! Which keys share which bucket, and how large each bucket is.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};

use super::{LearnedGroup, ProjectId};
use crate::key::{ApiKey, Fingerprint, ProjectName};

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
