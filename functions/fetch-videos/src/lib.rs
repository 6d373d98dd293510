//! The `fetch-videos` handler: one fetch cycle per scheduled event.

use serde::Deserialize;
use serde_json::Value;
use tubefeed_core::{CycleSummary, Topic};

/// What a schedule rule's custom `Input` may say. Without one, EventBridge sends the whole
/// scheduled event, which selects every configured topic.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FetchInput {
    /// A subset of topics to fetch this time.
    #[serde(default)]
    pub topics: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("fetch failed for topics: {0}")]
    FetchFailed(String),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        let error_type = match e {
            HandlerError::InvalidInput(_) => "InvalidInput",
            HandlerError::FetchFailed(_) => "FetchFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// The topics this event asks for: all configured ones for a scheduled event or an empty
/// input, or the listed subset (each must be configured, so an event cannot make the fetcher
/// spend quota on a topic nobody serves).
pub fn topics_for(event: &Value, configured: &[Topic]) -> Result<Vec<Topic>, HandlerError> {
    let is_scheduled_event = event.get("detail-type").is_some() && event.get("source").is_some();
    if is_scheduled_event || event.is_null() {
        return Ok(configured.to_vec());
    }
    let input: FetchInput = serde_json::from_value(event.clone())
        .map_err(|e| HandlerError::InvalidInput(e.to_string()))?;
    let Some(names) = input.topics else {
        return Ok(configured.to_vec());
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let t = Topic::parse(&name)
            .map_err(|e| HandlerError::InvalidInput(format!("topic {name:?}: {e}")))?;
        if !configured.contains(&t) {
            return Err(HandlerError::InvalidInput(format!(
                "topic {name:?} is not in SEARCH_QUERIES"
            )));
        }
        out.push(t);
    }
    if out.is_empty() {
        return Err(HandlerError::InvalidInput("topics is empty".into()));
    }
    Ok(out)
}

/// Attaches each topic's `SEARCH_QUERIES` weight (1 when it has none).
pub fn with_weights(topics: Vec<Topic>, configured: &[(Topic, u32)]) -> Vec<(Topic, u32)> {
    topics
        .into_iter()
        .map(|t| {
            let w = configured
                .iter()
                .find(|(c, _)| *c == t)
                .map_or(1, |(_, w)| *w);
            (t, w)
        })
        .collect()
}

/// A failed topic fails the invocation so EventBridge's limited retries and the dead-letter
/// destination see it; "no key usable" and "locked" are not failures.
pub fn outcome(summary: CycleSummary) -> Result<CycleSummary, HandlerError> {
    if summary.ok {
        Ok(summary)
    } else {
        let failed: Vec<&str> = summary
            .topics
            .iter()
            .filter(|t| t.error.is_some())
            .map(|t| t.topic.as_str())
            .collect();
        Err(HandlerError::FetchFailed(failed.join(",")))
    }
}
