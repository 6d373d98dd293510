//! Configuration and wiring shared by the `fetch-videos` Lambda and the `tubefeed` CLI. Entry
//! points call [`Config::from_env`] and [`App::build`] once per process and only wire.

pub mod config;
pub mod page_keys;
pub mod push;
mod region;
pub mod telemetry;

use aws_config::BehaviorVersion;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tubefeed_core::{CycleSummary, EnrichSettings, Enricher, Fetcher};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_secrets::{ConfiguredKeySource, EnvKeySource, SecretsManagerKeySource};
use tubefeed_youtube::{
    ClientSettings, FeedClient, FeedClientSettings, HubClient, HubClientSettings, TlsRoots,
    YouTubeClient,
};

pub use config::{Config, ConfigError, KeySource, PageTokenSecret, WebSubConfig, WebSubSecret};

/// The API state as deployed: reads from DynamoDB.
pub type AppApiState = tubefeed_api::ApiState<DynamoStore>;

impl App {
    /// The API's shared state: the page-token keys (from `PAGE_TOKEN_SECRET`, or read from
    /// the `PAGE_TOKEN_SECRET_ID` secret now and again every few minutes, so a rotation
    /// reaches warm processes) and the store.
    pub async fn api_state(&self) -> Result<std::sync::Arc<AppApiState>, StartupError> {
        use secrecy::ExposeSecret;
        let settings = tubefeed_api::ApiSettings {
            topics: self.config.topics.clone(),
            archived_topics: self.config.archived_topics.clone(),
            first_page_ttl: self.config.api_first_page_cache,
            search_per_second: self.config.api_search_per_second,
            blocked_channels: self.config.blocked_channels.clone(),
            public_base_url: self.config.public_base_url.clone(),
        };
        let state = match &self.config.page_token_secret {
            None => {
                return Err(StartupError::Config(ConfigError::invalid(
                    "PAGE_TOKEN_SECRET",
                    "the API needs PAGE_TOKEN_SECRET or PAGE_TOKEN_SECRET_ID to sign page tokens",
                )));
            }
            Some(PageTokenSecret::Literal(s)) => {
                let keys = tubefeed_api::KeySet::single("local", s.expose_secret().as_bytes())
                    .map_err(|e| ConfigError::invalid("PAGE_TOKEN_SECRET", e.to_string()))?;
                tubefeed_api::ApiState::new(
                    self.store.clone(),
                    tubefeed_api::TokenCodec::with_keys(keys),
                    settings,
                )
            }
            Some(PageTokenSecret::SecretId(id)) => {
                let client = aws_sdk_secretsmanager::Client::new(&self.sdk);
                let keys = page_keys::read(&client, id)
                    .await
                    .map_err(|e| StartupError::Client(format!("PAGE_TOKEN_SECRET_ID: {e}")))?;
                let id = id.clone();
                let refresh: tubefeed_api::KeyRefresh = Box::new(move || {
                    let (client, id) = (client.clone(), id.clone());
                    Box::pin(async move {
                        page_keys::read(&client, &id)
                            .await
                            .map_err(|e| e.to_string())
                    })
                });
                tubefeed_api::ApiState::new(
                    self.store.clone(),
                    tubefeed_api::TokenCodec::with_keys(keys),
                    settings,
                )
                .with_key_refresh(refresh)
            }
        };
        let state = match self.websub_secret().await? {
            Some(secret) => {
                use secrecy::ExposeSecret;
                let inbox = push::TableInbox::new(
                    self.store.clone(),
                    &self.config.topics,
                    &self.config.blocked_channels,
                );
                state.with_websub(tubefeed_api::WebSub {
                    secret: secret.expose_secret().as_bytes().to_vec().into(),
                    inbox: std::sync::Arc::new(inbox),
                })
            }
            None => state,
        };
        Ok(std::sync::Arc::new(state))
    }

    /// A Secrets Manager client on the process's AWS configuration.
    pub fn secrets_client(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk)
    }
}

/// `tubefeed serve`: the API router as a plain HTTP server until Ctrl-C or SIGTERM.
pub async fn serve(
    state: std::sync::Arc<AppApiState>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let app = tubefeed_api::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// What a Lambda's `main` returns. Rust prints a failed `main`'s error with `Debug`; this one
/// prints as its message and causes (`Error: TABLE_NAME: must be …`), not as a struct dump, so
/// a bad variable reads the same in CloudWatch as in the CLI.
pub struct MainError(Box<dyn std::error::Error + Send + Sync>);

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> From<E> for MainError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl std::fmt::Debug for MainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&tubefeed_core::error_chain(&*self.0))
    }
}

/// The key ring as deployed: keys from the configured source, their state in the table.
pub type AppKeyRing = DynamoKeyRing<ConfiguredKeySource>;

/// The fetcher as deployed: YouTube over HTTPS, state, videos and key state in DynamoDB.
pub type AppFetcher = Fetcher<YouTubeClient, DynamoStore, DynamoStore, AppKeyRing>;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Client(String),
    #[error(
        "no AWS region: set AWS_REGION (for example AWS_REGION=us-east-1), or a region in your AWS profile"
    )]
    NoRegion,
}

/// Everything built once per process.
pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    sdk: aws_config::SdkConfig,
}

impl App {
    /// Loads the AWS configuration (region, credentials, `AWS_ENDPOINT_URL_*` overrides) and
    /// builds one DynamoDB client. Fails, in one sentence, when no region can be found.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let sdk = load_sdk(config.tls_roots).await?;
        Ok(Self::with_sdk(config, sdk))
    }

    /// The app on an AWS configuration already loaded (the CLI's `--stack` reads the stack
    /// with it before the configuration is known).
    pub fn with_sdk(config: Config, sdk: aws_config::SdkConfig) -> Self {
        let mut store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config.table_name.clone(),
        )
        .with_write_concurrency(config.store_inflight)
        .with_retention(config.retention.clone())
        .with_events(config.event_bus.is_some());
        if let Some(url) = region::dynamodb_endpoint_url() {
            store = store.with_endpoint_url(&url);
        }
        Self { config, store, sdk }
    }

    /// The AWS configuration the app's clients were built from.
    pub fn sdk(&self) -> &aws_config::SdkConfig {
        &self.sdk
    }

    /// The configured key source: `YOUTUBE_API_KEYS` or the `YOUTUBE_API_KEYS_SECRET_ID`
    /// secret (read lazily, through a `KEYS_CACHE_SECONDS` cache).
    pub fn key_source(&self) -> Result<ConfiguredKeySource, StartupError> {
        match &self.config.keys {
            KeySource::Env(keys) => Ok(ConfiguredKeySource::Env(EnvKeySource::new(keys.clone()))),
            KeySource::Secret(id) => Ok(ConfiguredKeySource::SecretsManager(
                SecretsManagerKeySource::new(
                    aws_sdk_secretsmanager::Client::new(&self.sdk),
                    id.clone(),
                    self.config.keys_cache,
                ),
            )),
            KeySource::None => Err(StartupError::Config(ConfigError::missing_keys())),
        }
    }

    /// The shared key ring over the configured source, planning for the configured schedule.
    pub fn key_ring(&self) -> Result<AppKeyRing, StartupError> {
        let policy = tubefeed_core::BudgetPolicy::new(self.config.daily_calls_per_key)
            .with_schedule(self.config.schedule);
        Ok(DynamoKeyRing::new(
            self.store.clone(),
            self.key_source()?,
            self.config.daily_calls_per_key,
        )
        .with_policy(policy))
    }

    /// The fetcher, for processes that fetch. Fails when no key source is configured.
    /// Where new-video events go, when `EVENT_BUS_NAME` is set.
    pub fn event_sink(&self) -> Option<tubefeed_eventbridge::EventBridgeSink> {
        self.config.event_bus.as_ref().map(|bus| {
            let client = aws_sdk_eventbridge::Client::new(&self.sdk);
            tubefeed_eventbridge::EventBridgeSink::new(client, bus)
        })
    }

    pub fn fetcher(&self) -> Result<AppFetcher, StartupError> {
        let keys = self.key_ring()?;
        let source = YouTubeClient::new(ClientSettings {
            base_url: self.config.youtube_base_url.clone(),
            tls_roots: self.config.tls_roots,
            ..Default::default()
        })
        .map_err(|e| StartupError::Client(e.to_string()))?;
        Ok(Fetcher::new(
            source,
            self.store.clone(),
            keys,
            self.config.fetch.clone(),
        ))
    }
}

/// The SDK's HTTPS client, its trust store parsed when the first connection needs
/// them. The inner client's `validate_base_client_config` builds (and drops) a whole connector
/// so that *native* roots load at client construction; with a PEM trust store that meant
/// decoding all ~150 roots once per SDK client before the function was ready, and again on
/// the first request. TLS verification is unchanged: every connection still uses the roots.
#[derive(Debug)]
struct RootsOnFirstUse(SharedHttpClient);

impl HttpClient for RootsOnFirstUse {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Mozilla's root certificates as one PEM bundle, written by build.rs from `webpki-root-certs`.
const WEBPKI_ROOTS_PEM: &str = include_str!(concat!(env!("OUT_DIR"), "/webpki-roots.pem"));

/// Everything one scheduled run uses, built once per process.
pub struct Pipeline {
    pub fetcher: AppFetcher,
    /// Channel feeds (absent when `FOLLOW_MAX_CHANNELS=0`).
    pub feeds: Option<FeedClient>,
    /// Where new-video events go (absent without `EVENT_BUS_NAME`).
    pub events: Option<tubefeed_eventbridge::EventBridgeSink>,
    /// The WebSub hub (absent without `WEBSUB_CALLBACK_URL`).
    pub hub: Option<HubClient>,
}

impl App {
    /// The fetcher, the feed client, the event sink and the hub, as the configuration asks.
    pub async fn pipeline(&self) -> Result<Pipeline, StartupError> {
        let feeds = if self.config.follow.enabled() {
            let client = FeedClient::new(FeedClientSettings {
                base_url: self.config.feeds_base_url.clone(),
                tls_roots: self.config.tls_roots,
                ..Default::default()
            })
            .map_err(|e| StartupError::Client(e.to_string()))?;
            Some(client)
        } else {
            None
        };
        let hub = match &self.config.websub {
            Some(w) => Some(
                HubClient::new(HubClientSettings {
                    hub_url: w.hub_url.clone(),
                    callback: w.callback.clone(),
                    secret: self.websub_secret().await?.ok_or_else(|| {
                        ConfigError::invalid("WEBSUB_SECRET", "WEBSUB_CALLBACK_URL needs it")
                    })?,
                    tls_roots: self.config.tls_roots,
                })
                .map_err(|e| StartupError::Client(e.to_string()))?,
            ),
            None => None,
        };
        Ok(Pipeline {
            fetcher: self.fetcher()?,
            feeds,
            events: self.event_sink(),
            hub,
        })
    }

    /// The push secret: `WEBSUB_SECRET`, or the `WEBSUB_SECRET_ID` secret's string.
    pub async fn websub_secret(&self) -> Result<Option<secrecy::SecretString>, StartupError> {
        let Some(secret) = &self.config.websub_secret else {
            return Ok(None);
        };
        match secret {
            WebSubSecret::Literal(s) => Ok(Some(s.clone())),
            WebSubSecret::SecretId(id) => {
                let out = self
                    .secrets_client()
                    .get_secret_value()
                    .secret_id(id)
                    .send()
                    .await
                    .map_err(|e| {
                        StartupError::Client(format!(
                            "WEBSUB_SECRET_ID: {}",
                            tubefeed_core::root_cause(&e)
                        ))
                    })?;
                let s = out.secret_string().unwrap_or_default();
                if s.len() < 16 {
                    return Err(StartupError::Config(ConfigError::invalid(
                        "WEBSUB_SECRET_ID",
                        "the secret must hold a string of at least 16 characters",
                    )));
                }
                Ok(Some(s.to_owned().into()))
            }
        }
    }
}

/// One cycle over the configured topics, with their weights; then the followed channels'
/// feeds, details for what is queued (unless `DETAILS_UNITS_PER_RUN=0`), and events.
pub async fn run_cycle(
    p: &Pipeline,
    config: &Config,
    topics: &[(tubefeed_core::Topic, u32)],
) -> CycleSummary {
    let fetcher = &p.fetcher;
    let mut summary = fetcher.run_weighted(topics, chrono::Utc::now()).await;
    let sightings = summary.take_sightings(topics);
    // Before details: what the feeds bring gets its details in the same run.
    if let Some(feeds) = &p.feeds {
        let follower = tubefeed_core::Follower {
            feeds,
            videos: &fetcher.videos,
            state: &fetcher.videos,
            settings: &config.follow,
            blocked: &config.blocked_channels,
        };
        let mut follow = follower.run(&sightings, chrono::Utc::now()).await;
        if let Some(hub) = &p.hub {
            let subscriber = tubefeed_core::Subscriber {
                hub,
                store: &fetcher.videos,
                settings: tubefeed_core::PushSettings::default(),
            };
            follow.push = Some(subscriber.run(&follow.followed(), chrono::Utc::now()).await);
        }
        summary.follow = Some(follow);
    }
    if config.details.units_per_run > 0 {
        let e = enricher(fetcher, config.details, &config.blocked_channels);
        summary.details = Some(e.run(chrono::Utc::now()).await);
    }
    // Last: the videos go out with the details this run found. A failure leaves the outbox
    // for the next run and does not fail this one.
    if let Some(sink) = &p.events {
        let announcer = tubefeed_core::Announcer {
            outbox: &fetcher.videos,
            sink,
            max_rows: MAX_EVENTS_PER_RUN,
        };
        summary.events = Some(announcer.run().await);
    }
    summary
}

/// Outbox rows one run publishes at most: more than a busy day's new videos, so a backlog
/// after an outage clears in a few runs without making one run long.
pub const MAX_EVENTS_PER_RUN: usize = 5_000;

/// The details step over the fetcher's own client, table and key ring.
pub fn enricher<'a>(
    fetcher: &'a AppFetcher,
    settings: EnrichSettings,
    blocked: &'a [tubefeed_core::ChannelId],
) -> Enricher<'a, YouTubeClient, DynamoStore, AppKeyRing> {
    Enricher {
        source: &fetcher.source,
        store: &fetcher.videos,
        keys: &fetcher.keys,
        settings,
        blocked,
    }
}

/// The AWS configuration every client is built from: region (or a clear error), credentials,
/// `AWS_ENDPOINT_URL_*` overrides, and the HTTPS client below.
pub async fn load_sdk(tls_roots: TlsRoots) -> Result<aws_config::SdkConfig, StartupError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region::named_or_local().await {
        loader = loader.region(region);
    }
    {
        // The SDK's HTTPS client, built here rather than by the SDK: rustls with ring (aws-lc's
        // static library costs each bootstrap about a megabyte), and with the compiled-in
        // roots unless TLS_ROOTS=system (the system store is a bundle and ~150 files read
        // on the first connection).
        use aws_smithy_http_client::tls::{
            self, TlsContext, TrustStore, rustls_provider::CryptoMode,
        };
        let trust = match tls_roots {
            TlsRoots::Builtin => TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(WEBPKI_ROOTS_PEM),
            TlsRoots::System => TrustStore::default(),
        };
        let mut https = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
        match TlsContext::builder().with_trust_store(trust).build() {
            Ok(ctx) => https = https.tls_context(ctx),
            Err(e) => {
                tracing::warn!(error = %e, "TLS trust store unusable; using the system store")
            }
        }
        loader = loader.http_client(SharedHttpClient::new(RootsOnFirstUse(https.build_https())));
    }
    // Lambda hands every function its role's credentials in the environment, which the
    // default chain would try first anyway; naming that provider spares the cold start the
    // rest of the chain (its STS client and its TLS set-up). Elsewhere (profiles, SSO, ECS,
    // IMDS) the default chain stays.
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
        && std::env::var_os("AWS_SECRET_ACCESS_KEY").is_some()
    {
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(StartupError::NoRegion);
    }
    Ok(sdk)
}
