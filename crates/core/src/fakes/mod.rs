//! In-memory adapters behind the core's ports, for fast tests with no Java and no network
//! (feature `fakes`): [`MemStore`] (videos, fetch state and leases, the read side) and
//! [`MemSource`] (a small YouTube: pages, tokens, the ~500-result cap, late indexing, per-key
//! quota), [`MemSink`] (an event sink with outages on demand). [`contract`] holds the behaviour every store must show, run against both this fake
//! and DynamoDB Local so the two cannot drift.

pub mod contract;
mod follow;
mod sink;
mod source;
mod store;

pub use sink::MemSink;
pub use source::{MemSource, SourceVideo};
pub use store::MemStore;
