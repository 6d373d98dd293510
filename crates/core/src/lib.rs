//! tubefeed's domain core.
//!
//! Everything here is free of AWS and HTTP types: the fetch cycle is written against small
//! ports ([`VideoSource`], [`VideoStore`], [`FetchStateStore`], [`KeyRing`]) so that the
//! DynamoDB, Secrets Manager and YouTube adapters — and in-memory fakes in tests — plug in
//! behind the same traits.

pub mod budget;
pub mod details;
pub mod enrich;
pub mod events;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod feed;
pub mod fetch;
pub mod follow;
pub mod key;
pub mod key_source;
pub mod keys;
pub mod pacific;
pub mod quota;
pub mod redact;
pub mod retention;
pub mod source;
pub mod store;
pub mod text;
pub mod units;
pub mod video;
pub mod view;

pub use budget::{Bank, BudgetPolicy, BudgetReport, PollPrice, RunBudget};
pub use details::{
    DetailsFields, DurationBucket, EmbedSize, Language, LanguageError, LiveTimes, VideoDetails,
    details_unchanged,
};
pub use enrich::{DetailsStop, DetailsSummary, EnrichSettings, Enricher};
pub use events::{Announcer, EventOutbox, EventSink, EventsSummary, OutboxRow, SinkError};
pub use feed::{
    Cursor, FeedPage, FeedQuery, FeedReader, KeyPoolCounts, KeyPoolReader, Order, ShortsFilter,
    VideoFilter,
};
pub use fetch::{CycleSummary, FetchError, FetchSettings, Fetcher, SkipReason, TopicSummary};
pub use follow::{
    ChannelFeed, ChannelFeedSource, ChannelRecord, FeedAnswer, FeedError, FeedMemo, FeedValidators,
    FollowSettings, FollowState, FollowStore, FollowSummary, Follower, HubError, HubRequest, Inbox,
    PENDING_WINDOW, PushHub, PushMode, PushOutcome, PushSettings, PushStore, PushSubscription,
    PushSummary, Sighting, Subscriber, TopicFollow, TopicRule, channel_of_topic_url,
    push_topic_url,
};
pub use key::{ApiKey, Fingerprint, ProjectName};
pub use key_source::{Added, KeySource, KeySourceError, Removed};
pub use keys::{Acquired, KeyOutcome, KeyRing, KeyRingError, StaticKeyRing};
pub use quota::{KeyState, PoolView, ProjectReport};
pub use retention::{MAX_RETENTION_DAYS, Retention};
pub use source::{
    DetailsItem, DetailsOutcome, DetailsSource, MAX_IDS_PER_DETAILS_CALL, SearchOutcome,
    SearchPage, SearchRequest, SourceError, VideoSource,
};
pub use store::{
    Backfill, BlockedChannel, ChannelBlocks, DetailsResult, DetailsStore, FetchState,
    FetchStateStore, Gap, LeaseOutcome, LeaseOwner, MAX_BLOCKED_CHANNELS, PendingDetails,
    RecordOutcome, StoreError, SweepCut, SweepMarks, UpsertOutcome, VideoStore,
};
pub use units::{DAILY_UNITS_PER_PROJECT, UnitUse, unit_pool_of, unit_uses};
pub use video::{
    ChannelId, ChannelIdError, LiveBroadcast, Thumbnail, Thumbnails, Topic, TopicError, Video,
    VideoId, VideoIdError,
};
pub use view::VideoView;

/// An error with its causes, `outer: cause: root`, each cause once ("error sending request"
/// alone hides e.g. an unknown certificate issuer). A cause whose text the chain already holds
/// (wrappers that repeat their source) is not repeated.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !out.contains(&said) {
            out.push_str(": ");
            out.push_str(&said);
        }
        cause = c.source();
    }
    out
}

/// The innermost cause's message: where layers of wrapping ("dispatch failure", "io error",
/// "client error (Connect)") end and the reason a person can act on begins.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

#[cfg(test)]
mod error_chain_tests {
    #[derive(Debug, thiserror::Error)]
    #[error("invalid peer certificate: UnknownIssuer")]
    struct Root;

    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect): {0}")]
    struct Repeats(#[source] Root);

    #[derive(Debug, thiserror::Error)]
    #[error("error sending request")]
    struct Outer(#[source] Repeats);

    #[test]
    fn names_each_cause_once() {
        assert_eq!(
            super::error_chain(&Outer(Repeats(Root))),
            "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer"
        );
    }
}
