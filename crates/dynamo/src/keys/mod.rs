//! Shared key state: a [`KeyRing`](tubefeed_core::KeyRing) whose memory lives in the table, so
//! every run and every concurrent invocation sees the same counts, rests, invalid marks, budget
//! bank and what was learned about the real quota buckets (see [`tubefeed_core::quota`]).
//!
//! Items (all in one partition, so one strongly consistent Query reads the whole pool; a pool
//! is at most a few hundred small items and a few hundred writes a day, far below a
//! partition's limits):
//! * `pk = KEYS`, `sk = P#<project>`: one Google Cloud project's count — `project_name` (as shown),
//!   `day` (Pacific day of `calls_today`), `calls_today`, `dry_day` (the day YouTube refused one
//!   of its keys for quota), `last_used_ms`. Keys of one project draw on this one count.
//! * `pk = KEYS`, `sk = K#<fingerprint>`: one key's marks — `resting_until_ms` + `rest_reason`
//!   (`exhausted` | `rate_limited`), `invalid_under` (the key-list version it was found invalid
//!   under: a new list brings it back), `invalid_at_ms`. Items written before projects also
//!   hold the key's own `day`/`calls_today`; on the day of the upgrade they seed its project's
//!   count, so that day is not spent twice.
//! * `pk = KEYS`, `sk = POOL`: the budget bank (`bank_tokens`, `bank_at_ms`), what was learned
//!   (`learned`, JSON, with `learned_rev` for optimistic writes) and, for readers without the
//!   key source (the API's `/health`), the current `fingerprints`, `list_version`, `layout`
//!   (JSON: projects and their keys) and `daily_calls_per_key`.
//!
//! A call is reserved with one conditional UpdateItem on its project's count (`calls_today <
//! size` on the same day, or a reset on a new day; not dry today), so concurrent invocations
//! never lose a count and never overspend a project. Whether the key itself is resting or
//! invalid is read from the same snapshot the choice was made from: a key rested by another
//! invocation a moment earlier can be used once more, which costs no quota (YouTube refuses it
//! again), where a transaction over both items would make concurrent reservations conflict.

mod ring;
mod rows;
mod writes;

pub use ring::DynamoKeyRing;
pub use rows::{KEYS_PK, KeyStatus, POOL_SK};
pub use tubefeed_core::KeyState;
