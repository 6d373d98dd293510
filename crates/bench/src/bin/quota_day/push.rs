//! The API's `/websub` over the benchmark's in-memory store, for the push row: the simulator's
//! hub verifies subscriptions with it and posts signed uploads to it.

use std::sync::Arc;

use tubefeed_api::{ApiSettings, BoxFuture, KeySet, PushError, PushInbox, TokenCodec, WebSub};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::{ChannelId, Inbox, PushMode, PushOutcome, PushStore, StoreError, Topic};
use tubefeed_youtube::{HubClient, HubClientSettings};
use youtube_sim::{SimControl, SimHandle};

use super::BoxError;

const SECRET: &str = "bench-websub-secret-0123456789";

struct MemInbox {
    store: MemStore,
    topics: Vec<Topic>,
    clock: SimControl,
}

impl PushInbox for MemInbox {
    fn confirm(
        &self,
        channel: ChannelId,
        mode: PushMode,
        lease: chrono::Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            self.store
                .confirm(&channel, mode, lease, self.clock.now())
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
                blocked: &[],
            };
            Ok(inbox.receive(&feed.entries, self.clock.now()).await?)
        })
    }
}

/// Serves `/websub` over `store` and returns a hub client whose callback it is.
pub async fn hub(sim: &SimHandle, store: &MemStore) -> Result<HubClient, BoxError> {
    let topics = vec![Topic::parse("cricket")?];
    let inbox = MemInbox {
        store: store.clone(),
        topics: topics.clone(),
        clock: sim.control(),
    };
    let state = tubefeed_api::ApiState::new(
        store.clone(),
        TokenCodec::with_keys(KeySet::single("bench", &[9u8; 32])?),
        ApiSettings {
            topics,
            ..ApiSettings::default()
        },
    )
    .with_websub(WebSub {
        secret: SECRET.as_bytes().to_vec().into(),
        inbox: Arc::new(inbox),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, tubefeed_api::router(Arc::new(state))).await;
    });
    Ok(HubClient::new(HubClientSettings {
        hub_url: sim.hub_url(),
        callback: format!("http://{addr}/websub"),
        secret: SECRET.to_owned().into(),
        tls_roots: Default::default(),
    })?)
}
