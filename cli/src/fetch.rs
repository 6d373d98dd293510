//! `tubefeed fetch`: one fetch cycle, its summary as one JSON line on stdout.

use tubefeed_app::App;

use crate::error::CliError;

pub async fn run(app: &App) -> Result<(), CliError> {
    let fetcher = app.fetcher()?;
    let events = app.event_sink();
    let summary = tubefeed_app::run_cycle(
        &fetcher,
        &app.config,
        &app.config.topic_weights,
        events.as_ref(),
    )
    .await;
    let line = serde_json::to_string(&summary)
        .map_err(|e| CliError::failed(format!("could not print the summary: {e}")))?;
    println!("{line}");
    if summary.ok {
        Ok(())
    } else {
        Err(CliError::Reported)
    }
}
