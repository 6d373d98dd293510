//! `tubefeed enrich`: details for videos stored before details existed (or whose queue entry
//! was lost), within a unit allowance. Queues every stored video of the topics that has none,
//! then drains the queue as the fetcher does after a run. Resumable: run it again and it
//! continues where the units ran out; videos already done cost nothing.

use serde::Serialize;
use tubefeed_app::App;
use tubefeed_core::{DetailsStore, DetailsSummary, EnrichSettings};

use crate::error::{CliError, topics_or_all};

#[derive(Serialize)]
struct EnrichReport {
    /// Queue entries written per topic (videos without details).
    queued: serde_json::Map<String, serde_json::Value>,
    details: DetailsSummary,
}

pub async fn run(app: &App, topics: &[String], units: u32) -> Result<(), CliError> {
    if units == 0 {
        return Err(CliError::usage("--units must be at least 1"));
    }
    let fetcher = app.fetcher()?;
    let mut queued = serde_json::Map::new();
    for topic in topics_or_all(topics, &app.config.topics)? {
        let n = app
            .store
            .queue_missing_details(&topic, None)
            .await
            .map_err(|e| CliError::failed(format!("queue {topic}: {e}")))?;
        queued.insert(topic.to_string(), n.into());
    }
    // A backlog is worked through now: no waiting for fuller calls.
    let settings = EnrichSettings {
        units_per_run: units,
        max_wait: chrono::Duration::zero(),
        ..app.config.details
    };
    let details = tubefeed_app::enricher(&fetcher, settings, &app.config.blocked_channels)
        .run(chrono::Utc::now())
        .await;
    let failed = matches!(
        details.stopped,
        Some(tubefeed_core::DetailsStop::Failed { .. })
    );
    let line = serde_json::to_string(&EnrichReport { queued, details })
        .map_err(|e| CliError::failed(format!("could not print the summary: {e}")))?;
    println!("{line}");
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}
