//! `--stack NAME` (`TUBEFEED_STACK`): operate a deployment by its CloudFormation stack. Its
//! outputs name the table and the secrets, its parameters the topics and quota settings, so no
//! value is copied by hand; the region is the one the stack lives in (`AWS_REGION` or the
//! profile's).

use std::collections::HashMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use tubefeed_core::root_cause;

use crate::error::CliError;

/// Stack outputs and the variables they set.
const OUTPUTS: &[(&str, &str)] = &[
    ("TableName", "TABLE_NAME"),
    ("KeysSecretArn", "YOUTUBE_API_KEYS_SECRET_ID"),
    ("PageTokenSecretArn", "PAGE_TOKEN_SECRET_ID"),
];

/// Stack parameters and the variables they set (as the template passes them to the functions).
const PARAMETERS: &[(&str, &str)] = &[
    ("SearchQueries", "SEARCH_QUERIES"),
    ("ArchivedTopics", "ARCHIVED_TOPICS"),
    ("RetentionDays", "RETENTION_DAYS"),
    ("BlockedChannels", "BLOCKED_CHANNELS"),
    ("DailyCallsPerKey", "YOUTUBE_DAILY_CALLS_PER_KEY"),
    ("ScheduleExpression", "FETCH_SCHEDULE"),
    ("EventBusName", "EVENT_BUS_NAME"),
    ("PublicBaseUrl", "PUBLIC_BASE_URL"),
];

/// What a stack tells the CLI.
pub struct Stack {
    pub name: String,
    /// The variables it sets; empty parameters set nothing (their defaults apply).
    pub vars: HashMap<&'static str, String>,
    /// `FetchDeadLetterQueueUrl`, for `status`.
    pub dead_letter_queue: Option<String>,
}

pub async fn read(sdk: &aws_config::SdkConfig, name: &str) -> Result<Stack, CliError> {
    let region = sdk.region().map_or_else(String::new, ToString::to_string);
    let out = Client::new(sdk)
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| {
            tracing::debug!(error = ?e, "DescribeStacks failed");
            match &e {
                SdkError::ServiceError(s) => {
                    let msg = s.err().message().unwrap_or("(no message)").to_owned();
                    // CloudFormation answers a missing stack with a ValidationError.
                    if msg.contains("does not exist") {
                        CliError::usage(format!(
                            "--stack {name}: no such stack in {region} (set AWS_REGION to the \
                             stack's region)"
                        ))
                    } else {
                        CliError::failed(format!("--stack {name}: CloudFormation answered: {msg}"))
                    }
                }
                _ => CliError::failed(format!(
                    "--stack {name}: cannot reach CloudFormation in {region}: {}",
                    root_cause(&e)
                )),
            }
        })?;
    let stack = out
        .stacks()
        .first()
        .ok_or_else(|| CliError::usage(format!("--stack {name}: no such stack in {region}")))?;
    let mut vars = HashMap::new();
    let dead_letter_queue = stack
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("FetchDeadLetterQueueUrl"))
        .and_then(|o| o.output_value())
        .map(str::to_owned);
    for o in stack.outputs() {
        let var = OUTPUTS.iter().find(|(k, _)| Some(*k) == o.output_key());
        if let (Some((_, var)), Some(v)) = (var, o.output_value()) {
            vars.insert(*var, v.to_owned());
        }
    }
    for p in stack.parameters() {
        let var = PARAMETERS
            .iter()
            .find(|(k, _)| Some(*k) == p.parameter_key());
        if let (Some((_, var)), Some(v)) = (var, p.parameter_value()) {
            if !v.is_empty() {
                vars.insert(*var, v.to_owned());
            }
        }
    }
    if !vars.contains_key("TABLE_NAME") {
        return Err(CliError::usage(format!(
            "--stack {name}: the stack has no TableName output; is it a tubefeed stack?"
        )));
    }
    Ok(Stack {
        name: name.to_owned(),
        vars,
        dead_letter_queue,
    })
}
