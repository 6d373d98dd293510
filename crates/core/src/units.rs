//! The unit pool: every YouTube method but `search.list` draws on one pool a Google Cloud
//! project, 10,000 units a Pacific day (search.list has had its own bucket of calls since the
//! 2026-06-01 quota change). `videos.list` costs one unit a call of up to 50 ids.

use serde::Serialize;

use crate::key::ApiKey;

/// A project's units a day unless `DETAILS_DAILY_UNITS` says otherwise (an audited project).
pub const DAILY_UNITS_PER_PROJECT: u32 = 10_000;

/// The pool a key's units are counted in: its named project's, else a pool of its own (a key
/// that names no project is assumed alone in one, as for search calls). Never a key value.
pub fn unit_pool_of(key: &ApiKey) -> String {
    match key.project() {
        Some(name) => format!("name:{name}"),
        None => format!("key:{}", key.fingerprint()),
    }
}

/// One pool's units today, for `tubefeed status` and `keys list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitUse {
    /// `name:<project>` or `key:<fingerprint>`.
    pub pool: String,
    pub units_today: u32,
    pub daily_units: u32,
    /// YouTube refused the pool's keys for units today, whatever the count said.
    pub refused: bool,
}

/// The first pool of `keys` (in key order) that can take `units` more today, by the counts
/// given (`used(pool)` → units used and whether refused).
pub fn pick_pool<'a>(
    keys: impl IntoIterator<Item = &'a ApiKey>,
    units: u32,
    daily_units: u32,
    mut used: impl FnMut(&str) -> (u32, bool),
) -> Option<&'a ApiKey> {
    keys.into_iter().find(|k| {
        let (n, refused) = used(&unit_pool_of(k));
        !refused && n.saturating_add(units) <= daily_units
    })
}

/// Each pool of `keys` once, in key order, with its count from `used` (units, refused).
pub fn unit_uses(
    keys: &[ApiKey],
    daily_units: u32,
    mut used: impl FnMut(&str) -> (u32, bool),
) -> Vec<UnitUse> {
    let mut out: Vec<UnitUse> = Vec::new();
    for k in keys {
        let pool = unit_pool_of(k);
        if out.iter().any(|u| u.pool == pool) {
            continue;
        }
        let (units_today, refused) = used(&pool);
        out.push(UnitUse {
            pool,
            units_today,
            daily_units,
            refused,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::ProjectName;

    #[test]
    fn keys_of_a_project_share_a_pool() {
        let p = ProjectName::parse("team").unwrap();
        let a = ApiKey::new("key-a").in_project(p.clone(), None);
        let b = ApiKey::new("key-b").in_project(p, None);
        let c = ApiKey::new("key-c");
        assert_eq!(unit_pool_of(&a), unit_pool_of(&b));
        assert_ne!(unit_pool_of(&a), unit_pool_of(&c));
        assert!(
            !unit_pool_of(&c).contains("key-c"),
            "a fingerprint, never the key"
        );
        let keys = [a.clone(), b, c.clone()];
        let team_full = |pool: &str| {
            if pool == "name:team" {
                (10_000, false)
            } else {
                (0, false)
            }
        };
        let fp = |k: Option<&ApiKey>| k.map(|k| k.fingerprint().clone());
        assert_eq!(fp(pick_pool(&keys, 1, 10_000, team_full)), fp(Some(&c)));
        assert_eq!(
            fp(pick_pool(&keys, 1, 10_000, |_| (0, false))),
            fp(Some(&a))
        );
        assert!(pick_pool(&keys, 1, 10_000, |_| (0, true)).is_none());
    }
}
