//! tubefeed's domain core.
//!
//! Everything here is free of AWS and HTTP types: the fetch cycle is written against small
//! ports ([`VideoSource`], [`VideoStore`], [`FetchStateStore`], [`KeyRing`]) so that the
//! DynamoDB, Secrets Manager and YouTube adapters — and in-memory fakes in tests — plug in
//! behind the same traits.

pub mod budget;
pub mod feed;
pub mod fetch;
pub mod key_source;
pub mod keys;
pub mod source;
pub mod store;
pub mod text;
pub mod video;

pub use budget::{Bank, BudgetPolicy, BudgetReport, PollPrice, PoolView, RunBudget};
pub use feed::{Cursor, FeedPage, FeedQuery, FeedReader, KeyPoolCounts, KeyPoolReader, Order};
pub use fetch::{CycleSummary, FetchError, FetchSettings, Fetcher, SkipReason, TopicSummary};
pub use key_source::{Added, KeySource, KeySourceError, Removed};
pub use keys::{Acquired, ApiKey, Fingerprint, KeyOutcome, KeyRing, KeyRingError, StaticKeyRing};
pub use source::{SearchPage, SearchRequest, SourceError, VideoSource};
pub use store::{
    Backfill, FetchState, FetchStateStore, Gap, LeaseOutcome, StoreError, SweepCut, SweepMarks,
    UpsertOutcome, VideoStore,
};
pub use video::{
    LiveBroadcast, Thumbnail, Thumbnails, Topic, TopicError, Video, VideoId, VideoIdError,
};
