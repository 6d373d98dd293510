//! `tubefeed table create` and `tubefeed reindex`: the table and its search index.

use tubefeed_app::App;
use tubefeed_dynamo::table::Created;

use crate::error::{CliError, topics_or_all};

pub async fn create(app: &App) -> Result<(), CliError> {
    let table = app.store.table();
    let what = match tubefeed_dynamo::create_table(&app.store).await {
        Ok(Created::Created) => "created",
        Ok(Created::AlreadyExisted) => "already exists",
        Err(e) => return Err(CliError::failed(format!("table {table}: {e}"))),
    };
    println!("table {table}: {what}");
    Ok(())
}

/// Rebuilds the search entries of every stored video of the topics; prints one JSON object
/// of counts per topic.
pub async fn reindex(app: &App, topics: &[String]) -> Result<(), CliError> {
    let mut report = serde_json::Map::new();
    for topic in topics_or_all(topics, &app.config.topics)? {
        let outcome = app
            .store
            .reindex(&topic)
            .await
            .map_err(|e| CliError::failed(format!("reindex {topic}: {e}")))?;
        report.insert(
            topic.to_string(),
            serde_json::to_value(outcome).unwrap_or_default(),
        );
    }
    println!("{}", serde_json::Value::Object(report));
    Ok(())
}
