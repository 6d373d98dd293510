//! `--stack NAME` / `TUBEFEED_STACK`: the deployment's table and topics come from its
//! CloudFormation stack (moto's CloudFormation here, DynamoDB Local for the table), over
//! whatever the environment says; a stack that is not there is a usage error naming it.

mod common;

use aws_sdk_cloudformation::types::Parameter;
use serde_json::Value;
use tubefeed_testkit::{dynamodb_client, fresh_table, sdk_http_client, secretsmanager_endpoint};

/// A client of one of moto's services (each SDK crate has its own config types).
macro_rules! moto_client {
    ($sdk:ident) => {{
        use $sdk::config::{BehaviorVersion, Credentials, Region};
        let conf = $sdk::Config::builder()
            .http_client(sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .endpoint_url(secretsmanager_endpoint())
            .build();
        $sdk::Client::from_conf(conf)
    }};
}

/// moto's CloudFormation, SQS and CloudWatch, where the test puts the deployment.
fn cloudformation() -> aws_sdk_cloudformation::Client {
    moto_client!(aws_sdk_cloudformation)
}

fn sqs() -> aws_sdk_sqs::Client {
    moto_client!(aws_sdk_sqs)
}

fn cloudwatch() -> aws_sdk_cloudwatch::Client {
    moto_client!(aws_sdk_cloudwatch)
}

/// A stack shaped like template.yaml's where the CLI looks: the TableName and
/// FetchDeadLetterQueueUrl outputs and the topic parameters.
async fn stack_for(table: &str) -> String {
    stack_with(table, "http://unused.example/queue").await
}

async fn stack_with(table: &str, queue_url: &str) -> String {
    let name = format!("tubefeed-{}", table.replace(['_', '.'], "-"));
    let template = serde_json::json!({
        "Parameters": {
            "SearchQueries": {"Type": "String", "Default": "cricket"},
            "ArchivedTopics": {"Type": "String", "Default": ""},
        },
        "Resources": {"AlarmTopic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "TableName": {"Value": table},
            "FetchDeadLetterQueueUrl": {"Value": queue_url},
        },
    });
    cloudformation()
        .create_stack()
        .stack_name(&name)
        .template_body(template.to_string())
        .parameters(
            Parameter::builder()
                .parameter_key("SearchQueries")
                .parameter_value("chess:2,golf")
                .build(),
        )
        .send()
        .await
        .unwrap();
    name
}

async fn tubefeed(args: &[&str], env: &[(&str, &str)]) -> common::Out {
    let moto = secretsmanager_endpoint();
    let mut all = vec![
        ("AWS_ENDPOINT_URL_CLOUDFORMATION", moto.as_str()),
        ("AWS_ENDPOINT_URL_SQS", moto.as_str()),
        ("AWS_ENDPOINT_URL_CLOUDWATCH", moto.as_str()),
        // What a shell left over from another deployment might hold: the stack wins.
        ("TABLE_NAME", "some-other-table"),
        ("SEARCH_QUERIES", "cricket"),
    ];
    all.extend_from_slice(env);
    common::tubefeed(args, &all).await
}

#[tokio::test]
async fn a_stack_name_is_all_the_cli_needs() {
    let table = fresh_table(&dynamodb_client()).await;
    let stack = stack_for(&table).await;

    let status = tubefeed(&["--stack", &stack, "status", "--json"], &[]).await;
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    let s: Value = serde_json::from_str(status.stdout.trim()).unwrap();
    let topics: Vec<&str> = s["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["chess", "golf"], "the stack's SearchQueries: {s}");

    // The same through TUBEFEED_STACK; the table is the stack's (it exists already).
    let created = tubefeed(
        &["table", "create", "--json"],
        &[("TUBEFEED_STACK", &stack)],
    )
    .await;
    assert_eq!(created.code, Some(0), "{}", created.stderr);
    let c: Value = serde_json::from_str(created.stdout.trim()).unwrap();
    assert_eq!(c, serde_json::json!({"table": table, "created": false}));
}

#[tokio::test]
async fn a_missing_stack_is_a_usage_error_naming_it_and_the_region() {
    let out = tubefeed(&["--stack", "no-such-stack", "status"], &[]).await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--stack no-such-stack: no such stack in us-east-1"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
}

/// With a stack, `status` adds what only the deployment knows: its alarms (the one firing
/// named) and the failed fetches waiting in its dead-letter queue.
#[tokio::test]
async fn status_with_a_stack_shows_its_alarms_and_dead_letters() {
    let table = fresh_table(&dynamodb_client()).await;
    let sqs = sqs();
    let queue = sqs
        .create_queue()
        .queue_name(format!("dlq-{table}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for n in 0..2 {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(format!("failed run {n}"))
            .send()
            .await
            .unwrap();
    }
    let stack = stack_with(&table, &queue).await;
    let cw = cloudwatch();
    for (alarm, state) in [("FetchFailuresAlarm", "ALARM"), ("Api5xxAlarm", "OK")] {
        let name = format!("{stack}-{alarm}-X1Y2Z3");
        cw.put_metric_alarm()
            .alarm_name(&name)
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
            )
            .send()
            .await
            .unwrap();
        cw.set_alarm_state()
            .alarm_name(&name)
            .state_value(state.into())
            .state_reason("test")
            .send()
            .await
            .unwrap();
    }
    let json = tubefeed(&["--stack", &stack, "status", "--json"], &[]).await;
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let s: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    let d = &s["deployment"];
    assert_eq!(d["stack"], stack.as_str(), "{s}");
    assert_eq!(d["dead_letters"], 2, "{s}");
    let mut states: Vec<(String, String)> = d["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            (format!("{stack}-Api5xxAlarm-X1Y2Z3"), "OK".to_owned()),
            (
                format!("{stack}-FetchFailuresAlarm-X1Y2Z3"),
                "ALARM".to_owned()
            ),
        ]
    );
    let text = tubefeed(&["--stack", &stack, "status"], &[]).await;
    assert!(
        text.stdout.contains(&format!(
            "stack {stack}: ALARM: {stack}-FetchFailuresAlarm-X1Y2Z3"
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("dead-letter queue: 2 failed scheduled fetches waiting"),
        "{}",
        text.stdout
    );
}
