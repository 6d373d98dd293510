//! What `status` adds with `--stack`: the stack's alarms and its fetch dead-letter queue, the
//! deployed signs of trouble the table cannot show. A failure to read them is reported in the
//! answer, not fatal: the rest of `status` still helps.

use serde::Serialize;

use crate::stack::Stack;

#[derive(Serialize)]
pub struct Deployment {
    pub stack: String,
    /// Every alarm of the stack (CloudFormation names them `<stack>-<LogicalId>-<suffix>`).
    pub alarms: Vec<Alarm>,
    /// Failed scheduled fetches waiting in the dead-letter queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letters: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Serialize)]
pub struct Alarm {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub async fn read(sdk: &aws_config::SdkConfig, stack: &Stack) -> Deployment {
    let mut d = Deployment {
        stack: stack.name.clone(),
        alarms: Vec::new(),
        dead_letters: None,
        errors: Vec::new(),
    };
    match alarms(sdk, &stack.name).await {
        Ok(a) => d.alarms = a,
        Err(e) => d.errors.push(format!("alarms: {e}")),
    }
    if let Some(url) = &stack.dead_letter_queue {
        match depth(sdk, url).await {
            Ok(n) => d.dead_letters = Some(n),
            Err(e) => d.errors.push(format!("dead-letter queue: {e}")),
        }
    }
    d
}

async fn alarms(sdk: &aws_config::SdkConfig, stack: &str) -> Result<Vec<Alarm>, String> {
    let client = aws_sdk_cloudwatch::Client::new(sdk);
    let mut out = Vec::new();
    let mut next = None;
    loop {
        let page = client
            .describe_alarms()
            .alarm_name_prefix(format!("{stack}-"))
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| tubefeed_core::root_cause(&e))?;
        for a in page.metric_alarms() {
            out.push(Alarm {
                name: a.alarm_name().unwrap_or_default().to_owned(),
                state: a
                    .state_value()
                    .map_or_else(|| "UNKNOWN".to_owned(), |s| s.as_str().to_owned()),
                reason: a.state_reason().map(str::to_owned),
            });
        }
        match page.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => return Ok(out),
        }
    }
}

async fn depth(sdk: &aws_config::SdkConfig, url: &str) -> Result<u64, String> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let attrs = aws_sdk_sqs::Client::new(sdk)
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| tubefeed_core::root_cause(&e))?;
    Ok(attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}
