//! The key partition's items as Rust values, and the pool they add up to.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tubefeed_core::pacific::pacific_day;
use tubefeed_core::quota::{
    KeyMarks, Layout, Learned, Pool, ProjectId, ProjectPlan, ProjectUse, RestReason,
};
use tubefeed_core::{ApiKey, Bank, Fingerprint, KeyState};

pub const KEYS_PK: &str = "KEYS";
pub const POOL_SK: &str = "POOL";
pub(super) const REST_EXHAUSTED: &str = "exhausted";
pub(super) const REST_RATE_LIMITED: &str = "rate_limited";

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
pub(super) fn key_sk(fp: &Fingerprint) -> String {
    format!("K#{fp}")
}
/// A unit pool's count for one Pacific day (a new item each day; the TTL removes old ones).
pub(super) fn units_sk(pool: &str, day: &str) -> String {
    format!("U#{pool}#{day}")
}
pub(super) fn project_sk(p: &ProjectId) -> String {
    format!("P#{}", p.storage_key())
}
pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}
fn from_ms(v: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(v).single()
}
pub(super) fn get_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}
pub(super) fn get_n<T: std::str::FromStr>(item: &Item, k: &str) -> Option<T> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// A key's item: its marks, and (items written before projects) its own count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct KeyRow {
    pub resting_until: Option<DateTime<Utc>>,
    pub rest_reason: Option<RestReason>,
    pub invalid_under: Option<String>,
    legacy_day: Option<String>,
    legacy_calls: u32,
}

impl KeyRow {
    pub fn from_item(item: &Item) -> Self {
        Self {
            resting_until: get_n(item, "resting_until_ms").and_then(from_ms),
            rest_reason: match get_s(item, "rest_reason") {
                Some(REST_RATE_LIMITED) => Some(RestReason::RateLimited),
                Some(_) => Some(RestReason::Exhausted),
                None => None,
            },
            invalid_under: get_s(item, "invalid_under").map(str::to_owned),
            legacy_day: get_s(item, "day").map(str::to_owned),
            legacy_calls: get_n(item, "calls_today").unwrap_or(0),
        }
    }

    pub fn marks(&self, list_version: &str) -> KeyMarks {
        KeyMarks {
            resting_until: self.resting_until,
            rest_reason: self.rest_reason,
            invalid: self.invalid_under.as_deref() == Some(list_version),
        }
    }

    /// Calls this key counted on its own `today`, before counts moved to projects.
    fn legacy_calls_on(&self, today: &str) -> u32 {
        if self.legacy_day.as_deref() == Some(today) {
            self.legacy_calls
        } else {
            0
        }
    }
}

/// A project's count item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ProjectRow {
    pub day: Option<String>,
    pub calls_today: u32,
    pub dry_day: Option<String>,
}

impl ProjectRow {
    pub fn from_item(item: &Item) -> Self {
        Self {
            day: get_s(item, "day").map(str::to_owned),
            calls_today: get_n(item, "calls_today").unwrap_or(0),
            dry_day: get_s(item, "dry_day").map(str::to_owned),
        }
    }

    /// Its use on `today`; a count of another day is spent history.
    pub fn use_on(&self, today: &str) -> ProjectUse {
        ProjectUse {
            calls_today: if self.day.as_deref() == Some(today) {
                self.calls_today
            } else {
                0
            },
            dry: self.dry_day.as_deref() == Some(today),
        }
    }
}

/// The pool item.
#[derive(Debug, Clone, Default)]
pub(super) struct PoolRow {
    pub bank: Bank,
    pub learned: Learned,
    pub learned_rev: Option<u64>,
    pub list_version: Option<String>,
    pub layout: Vec<StoredProject>,
}

impl PoolRow {
    pub fn from_item(item: &Item) -> Self {
        fn json<T: serde::de::DeserializeOwned>(item: &Item, k: &str) -> Option<T> {
            get_s(item, k).and_then(|t| serde_json::from_str(t).ok())
        }
        Self {
            bank: Bank {
                tokens: get_n(item, "bank_tokens").unwrap_or(0.0),
                at: get_n(item, "bank_at_ms").and_then(from_ms),
            },
            learned: json(item, "learned").unwrap_or_default(),
            learned_rev: get_n(item, "learned_rev"),
            list_version: get_s(item, "list_version").map(str::to_owned),
            layout: json(item, "layout").unwrap_or_default(),
        }
    }
}

/// A project as the pool item records it, for readers without the key source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredProject {
    pub storage: String,
    pub name: String,
    pub keys: Vec<Fingerprint>,
    pub daily_calls: u32,
    #[serde(default)]
    pub learned: bool,
}

impl StoredProject {
    pub fn of(p: &ProjectPlan) -> Self {
        Self {
            storage: p.id.storage_key(),
            name: p.id.to_string(),
            keys: p.keys.clone(),
            daily_calls: p.daily_calls,
            learned: p.learned,
        }
    }
}

/// Every item of the key partition, sorted out.
#[derive(Debug, Clone, Default)]
pub(super) struct Partition {
    pub keys: HashMap<String, KeyRow>,
    pub projects: BTreeMap<String, ProjectRow>,
    pub pool: PoolRow,
    /// Unit counts by `units_sk`: units used, refused.
    pub units: HashMap<String, (u32, bool)>,
}

impl Partition {
    pub fn from_items(items: impl IntoIterator<Item = Item>) -> Self {
        let mut out = Self::default();
        for item in items {
            let Some(sk) = get_s(&item, crate::items::SK).map(str::to_owned) else {
                continue;
            };
            if sk == POOL_SK {
                out.pool = PoolRow::from_item(&item);
            } else if let Some(fp) = sk.strip_prefix("K#") {
                out.keys.insert(fp.to_owned(), KeyRow::from_item(&item));
            } else if let Some(p) = sk.strip_prefix("P#") {
                out.projects
                    .insert(p.to_owned(), ProjectRow::from_item(&item));
            } else if sk.starts_with("U#") {
                let refused = item
                    .get("refused")
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(false);
                out.units
                    .insert(sk, (get_n(&item, "units").unwrap_or(0), refused));
            }
        }
        out
    }

    fn key_row(&self, fp: &Fingerprint) -> KeyRow {
        self.keys.get(fp.as_str()).cloned().unwrap_or_default()
    }

    /// The pool for `keys` today. A project without a count for today starts from what its
    /// keys counted on their own before projects (zero after the day of the upgrade).
    pub fn pool(
        &self,
        keys: &[ApiKey],
        layout: Layout,
        list_version: &str,
        now: DateTime<Utc>,
    ) -> Pool {
        let today = pacific_day(now);
        let uses = layout
            .projects
            .iter()
            .map(|p| {
                let row = self.projects.get(&p.id.storage_key());
                let mut u = row.map(|r| r.use_on(&today)).unwrap_or_default();
                if row.and_then(|r| r.day.as_deref()) != Some(today.as_str()) {
                    u.calls_today = self.legacy_seed(p, &today);
                }
                (p.id.clone(), u)
            })
            .collect();
        let marks = keys
            .iter()
            .map(|k| {
                let fp = k.fingerprint();
                (fp.clone(), self.key_row(fp).marks(list_version))
            })
            .collect();
        Pool {
            layout,
            uses,
            marks,
            keys: keys.iter().map(|k| k.fingerprint().clone()).collect(),
        }
    }

    /// What a project's keys counted on their own `today` (items written before projects).
    pub fn legacy_seed(&self, p: &ProjectPlan, today: &str) -> u32 {
        p.keys
            .iter()
            .map(|fp| self.key_row(fp).legacy_calls_on(today))
            .fold(0u32, u32::saturating_add)
    }
}

/// One line of `tubefeed keys list`: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    pub fingerprint: Fingerprint,
    /// The project whose bucket it draws on (a name, its own fingerprint, or `learned-…`).
    pub project: String,
    #[serde(flatten)]
    pub state: KeyState,
    /// Its project's calls today and daily size.
    pub calls_today: u32,
    pub daily_budget: u32,
    pub next_reset: DateTime<Utc>,
}
