//! `tubefeed table create` and `tubefeed reindex`: the table and its search index.

use tubefeed_app::App;
use tubefeed_dynamo::table::Created;

use crate::error::{CliError, topics_or_all};
use crate::output::outcome;

pub async fn create(app: &App, json: bool) -> Result<(), CliError> {
    let table = app.store.table();
    let created = match tubefeed_dynamo::create_table(&app.store).await {
        Ok(Created::Created) => true,
        Ok(Created::AlreadyExisted) => false,
        Err(e) => return Err(CliError::failed(format!("table {table}: {e}"))),
    };
    let what = if created { "created" } else { "already exists" };
    outcome(
        json,
        format_args!("table {table}: {what}"),
        serde_json::json!({"table": table, "created": created}),
    );
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
