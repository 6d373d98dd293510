//! The files in `events/` are accepted by the handler's input parsing.

use serde_json::Value;
use tubefeed_core::Topic;

fn event(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

fn configured() -> Vec<Topic> {
    Topic::parse_list("cricket,football").unwrap()
}

#[test]
fn scheduled_event_fetches_every_topic() {
    let ev = event("scheduled.json");
    // It is a well-formed EventBridge event, as aws_lambda_events reads it.
    let parsed: aws_lambda_events::event::eventbridge::EventBridgeEvent =
        serde_json::from_value(ev.clone()).unwrap();
    assert_eq!(parsed.detail_type, "Scheduled Event");
    assert_eq!(
        fetch_videos::topics_for(&ev, &configured()).unwrap(),
        configured()
    );
}

#[test]
fn custom_input_selects_topics() {
    let ev = event("scheduled-custom-input.json");
    assert_eq!(
        fetch_videos::topics_for(&ev, &configured()).unwrap(),
        Topic::parse_list("cricket").unwrap()
    );
    assert_eq!(
        fetch_videos::topics_for(&serde_json::json!({}), &configured()).unwrap(),
        configured()
    );
    assert_eq!(
        fetch_videos::topics_for(&Value::Null, &configured()).unwrap(),
        configured()
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    for bad in [
        serde_json::json!({"topic": "cricket"}),
        serde_json::json!({"topics": ["tennis"]}),
        serde_json::json!({"topics": []}),
        serde_json::json!({"topics": [""]}),
        serde_json::json!([1, 2]),
    ] {
        let err = fetch_videos::topics_for(&bad, &configured()).unwrap_err();
        let diag: lambda_runtime::Diagnostic = err.into();
        assert_eq!(diag.error_type, "InvalidInput", "{bad}");
    }
}
