//! Configuration and wiring shared by the `fetch-videos` Lambda and the `tubefeed` CLI. Entry
//! points call [`Config::from_env`] and [`App::build`] once per process and only wire.

pub mod config;
pub mod telemetry;

use aws_config::BehaviorVersion;
use tubefeed_core::{CycleSummary, Fetcher, StaticKeyRing};
use tubefeed_dynamo::DynamoStore;
use tubefeed_youtube::{ClientSettings, YouTubeClient};

pub use config::{Config, ConfigError, KeySource};

/// The fetcher as deployed: YouTube over HTTPS, state and videos in DynamoDB.
pub type AppFetcher = Fetcher<YouTubeClient, DynamoStore, DynamoStore, StaticKeyRing>;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Client(String),
}

/// Everything built once per process.
pub struct App {
    pub config: Config,
    pub store: DynamoStore,
}

impl App {
    /// Loads the AWS configuration (region, credentials, `AWS_ENDPOINT_URL_*` overrides) and
    /// builds one DynamoDB client.
    pub async fn build(config: Config) -> Self {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config.table_name.clone(),
        );
        Self { config, store }
    }

    /// The fetcher, for processes that fetch. Fails when no key source is configured.
    pub fn fetcher(&self) -> Result<AppFetcher, StartupError> {
        let keys = match &self.config.keys {
            KeySource::Env(keys) => keys.clone(),
            KeySource::Secret(_) => {
                return Err(StartupError::Config(ConfigError::invalid(
                    "YOUTUBE_API_KEYS_SECRET_ID",
                    "Secrets Manager key sources are not supported yet; set YOUTUBE_API_KEYS",
                )));
            }
            KeySource::None => return Err(StartupError::Config(ConfigError::missing_keys())),
        };
        let source = YouTubeClient::new(ClientSettings {
            base_url: self.config.youtube_base_url.clone(),
            ..Default::default()
        })
        .map_err(|e| StartupError::Client(e.to_string()))?;
        Ok(Fetcher {
            source,
            videos: self.store.clone(),
            state: self.store.clone(),
            keys: StaticKeyRing::new(keys, self.config.daily_calls_per_key),
            settings: self.config.fetch.clone(),
        })
    }
}

/// One cycle over the configured topics.
pub async fn run_cycle(fetcher: &AppFetcher, topics: &[tubefeed_core::Topic]) -> CycleSummary {
    fetcher.run(topics, chrono::Utc::now()).await
}
