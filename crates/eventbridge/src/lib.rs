//! The EventBridge adapter: [`EventBridgeSink`] publishes the announcer's events with
//! `PutEvents` on the default bus or a named one (`EVENT_BUS_NAME`).

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use tubefeed_core::events::{EVENT_DETAIL_TYPE, EVENT_SOURCE};
use tubefeed_core::{EventSink, SinkError};

#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    client: Client,
    bus: String,
}

impl EventBridgeSink {
    /// `bus`: `default`, a bus name or its ARN.
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }
}

impl EventSink for EventBridgeSink {
    async fn put_events(&self, details: &[String]) -> Result<Vec<bool>, SinkError> {
        let entries: Vec<PutEventsRequestEntry> = details
            .iter()
            .map(|d| {
                PutEventsRequestEntry::builder()
                    .source(EVENT_SOURCE)
                    .detail_type(EVENT_DETAIL_TYPE)
                    .detail(d)
                    .event_bus_name(&self.bus)
                    .build()
            })
            .collect();
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| SinkError(reason(&self.bus, e)))?;
        let results = out.entries();
        for r in results.iter().filter(|r| r.error_code().is_some()) {
            tracing::warn!(
                bus = %self.bus,
                code = r.error_code().unwrap_or_default(),
                message = r.error_message().unwrap_or_default(),
                "EventBridge refused an event; it is published again at the next run"
            );
        }
        Ok(results.iter().map(|r| r.error_code().is_none()).collect())
    }
}

/// One sentence naming the bus and what went wrong.
fn reason<E, R>(bus: &str, e: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    tracing::debug!(error = ?e, bus, "PutEvents failed");
    match &e {
        SdkError::DispatchFailure(_) => format!(
            "PutEvents on bus {bus}: EventBridge cannot be reached: {}",
            tubefeed_core::root_cause(&e)
        ),
        SdkError::TimeoutError(_) => {
            format!("PutEvents on bus {bus}: EventBridge did not answer in time")
        }
        SdkError::ServiceError(s) => format!(
            "PutEvents on bus {bus}: EventBridge answered {}: {}",
            s.err().code().unwrap_or("an unnamed error"),
            s.err().message().unwrap_or("(no message)")
        ),
        _ => format!("PutEvents on bus {bus}: {}", tubefeed_core::root_cause(&e)),
    }
}
