//! Following the channels a topic lives on, through their free feeds: past search.list's
//! 100-calls-a-day ceiling.
//!
//! Search finds a topic's videos; the channels that posted them are counted per topic
//! ([`FollowState::tally`]), and the busiest ones are followed ([`FollowState::choose`]). Each
//! run reads the followed channels' Atom feeds (their 15 newest uploads, no key, no quota) and
//! stores the uploads that match the topic by the project's own search rules
//! ([`TopicRule`]). Search keeps its watermark logic and still runs for discovery and for what
//! feeds cannot see; it is polled less often when feeds already brought most of what it finds
//! (`FetchState::feed_share`, see `fetch::schedule`).

mod inbox;
mod push;
mod rule;
mod run;
mod settings;
mod source;
mod state;
mod store;

pub use inbox::{Inbox, PushOutcome};
pub use push::{
    HubError, HubRequest, PENDING_WINDOW, PushHub, PushMode, PushSettings, PushStore,
    PushSubscription, PushSummary, Subscriber, channel_of_topic_url, push_topic_url,
};
pub use rule::TopicRule;
pub use run::{FollowSummary, Follower, TopicFollow, sightings_of};
pub use settings::FollowSettings;
pub use source::{ChannelFeed, ChannelFeedSource, FeedAnswer, FeedError, FeedValidators};
pub use state::{ChannelRecord, FeedMemo, FollowState, MAX_TRACKED_CHANNELS, Sighting};
pub use store::FollowStore;
