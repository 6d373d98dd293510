//! The `videos-api` Lambda: the tubefeed API router behind API Gateway (HTTP API, payload v2).

use lambda_http::run;
use tubefeed_app::{App, Config, MainError};

#[tokio::main]
async fn main() -> Result<(), MainError> {
    lambda_http::tracing::init_default_subscriber();
    // Configuration, SDK clients and the page-token key are built once per process; a bad
    // variable fails the cold start with its name.
    let config = Config::from_env()?;
    let app = App::build(config).await?;
    let state = app.api_state().await?;
    run(tubefeed_api::router(state)).await?;
    Ok(())
}
