//! The `fetch-videos` Lambda: one fetch cycle per scheduled event.

// The fetcher future nests the SDK, retry and key-ring futures deeply enough to exceed the
// default query depth when its layout is computed.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tubefeed_app::MainError;
use tubefeed_app::{App, Config};

#[tokio::main]
async fn main() -> Result<(), MainError> {
    lambda_runtime::tracing::init_default_subscriber();
    // Fail the cold start, naming the variable, rather than every invocation.
    let config = Config::from_env()?;
    let app = App::build(config).await?;
    let pipeline = app.pipeline().await?;
    let topics = app.config.topics.clone();
    let weights = app.config.topic_weights.clone();
    let pipeline = &pipeline;
    let config = &app.config;
    let topics = &topics;
    let weights = &weights;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let wanted = fetch_videos::topics_for(&event.payload, topics)?;
        let wanted = fetch_videos::with_weights(wanted, weights);
        let summary = tubefeed_app::run_cycle(pipeline, config, &wanted).await;
        tracing::info!(summary = %serde_json::to_string(&summary).unwrap_or_default(), "fetch cycle done");
        fetch_videos::outcome(summary)
    }))
    .await?;
    Ok(())
}
