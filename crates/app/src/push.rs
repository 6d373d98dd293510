//! The API's `/websub` inbox over the table: confirms the subscriptions the scheduled function
//! asked for, and stores pushed uploads under the topics that follow their channels.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tubefeed_api::{BoxFuture, PushError, PushInbox};
use tubefeed_core::{ChannelId, Inbox, PushMode, PushOutcome, PushStore, StoreError, Topic};
use tubefeed_dynamo::DynamoStore;

/// The time pushes are judged by (the wall clock; a test's simulated one).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct TableInbox {
    pub store: DynamoStore,
    pub topics: Arc<[Topic]>,
    pub blocked: Arc<[ChannelId]>,
    pub clock: Clock,
}

impl TableInbox {
    pub fn new(store: DynamoStore, topics: &[Topic], blocked: &[ChannelId]) -> Self {
        Self {
            store,
            topics: topics.into(),
            blocked: blocked.into(),
            clock: Arc::new(Utc::now),
        }
    }
}

impl PushInbox for TableInbox {
    fn confirm(
        &self,
        channel: ChannelId,
        mode: PushMode,
        lease: chrono::Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            self.store
                .confirm(&channel, mode, lease, (self.clock)())
                .await
        })
    }

    fn receive(&self, body: String) -> BoxFuture<'_, Result<PushOutcome, PushError>> {
        Box::pin(async move {
            let feed = tubefeed_youtube::parse_channel_feed(&body)
                .map_err(|e| PushError::Malformed(e.to_string()))?;
            let inbox = Inbox {
                store: &self.store,
                topics: &self.topics,
                blocked: &self.blocked,
            };
            let out = inbox.receive(&feed.entries, (self.clock)()).await?;
            tracing::info!(
                target: "tubefeed::push",
                entries = out.entries, topics = out.topics, on_topic = out.on_topic, new = out.new,
                "push received"
            );
            Ok(out)
        })
    }
}
