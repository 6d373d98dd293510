//! `tubefeed fetch`: one fetch cycle, its summary as one JSON line on stdout.

use tubefeed_app::App;

use crate::error::CliError;

pub async fn run(app: &App) -> Result<(), CliError> {
    let pipeline = app.pipeline().await?;
    let summary = tubefeed_app::run_cycle(&pipeline, &app.config, &app.config.topic_weights).await;
    let line = serde_json::to_string(&summary)
        .map_err(|e| CliError::failed(format!("could not print the summary: {e}")))?;
    println!("{line}");
    if summary.ok {
        Ok(())
    } else {
        Err(CliError::Reported)
    }
}
