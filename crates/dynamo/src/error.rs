use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use tubefeed_core::{StoreError, root_cause};

/// Error codes of DynamoDB that mean "not now" rather than "not this request".
const TRANSIENT_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// An SDK failure as one sentence a person can act on: what was asked, of which endpoint, and
/// the innermost cause ("Query keys: cannot reach DynamoDB at http://127.0.0.1:1: Connection
/// refused (os error 111)"). The SDK's Debug form, with every layer's struct, is logged at
/// debug level only. The store being unreachable, timing out or throttling (after the SDK's
/// own retries) is `Unavailable`, which callers may answer with "try again later"; a request the
/// store refused is `Failed`, a fault of ours.
pub fn sdk_error<E, R>(endpoint: &str, what: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    tracing::debug!(error = ?e, request = what, endpoint, "DynamoDB request failed");
    match &e {
        SdkError::DispatchFailure(_) => StoreError::Unavailable(format!(
            "{what}: cannot reach {endpoint}: {}",
            root_cause(&e)
        )),
        SdkError::TimeoutError(_) => {
            StoreError::Unavailable(format!("{what}: {endpoint} did not answer in time"))
        }
        SdkError::ResponseError(_) => StoreError::Unavailable(format!(
            "{what}: {endpoint} sent an answer that could not be read: {}",
            root_cause(&e)
        )),
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("an unnamed error");
            let msg = format!(
                "{what}: {endpoint} answered {code}: {}",
                s.err().message().unwrap_or("(no message)")
            );
            if TRANSIENT_CODES.contains(&code) {
                StoreError::Unavailable(msg)
            } else if code == "ValidationException" {
                StoreError::Rejected(msg)
            } else {
                StoreError::Failed(msg)
            }
        }
        _ => StoreError::Failed(format!(
            "{what}: the request to {endpoint} could not be made: {}",
            root_cause(&e)
        )),
    }
}

/// Who a store's errors name: "DynamoDB at URL" for an endpoint override, "DynamoDB in REGION"
/// otherwise.
pub fn describe_endpoint(client: &aws_sdk_dynamodb::Client, url: Option<&str>) -> String {
    match (url, client.config().region()) {
        (Some(u), _) => format!("DynamoDB at {u}"),
        (None, Some(r)) => format!("DynamoDB in {r}"),
        (None, None) => "DynamoDB".to_owned(),
    }
}

/// A request we could not even build: always our fault.
pub fn build_error(what: &str, e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(format!("{what}: {e}"))
}

/// Whether a conditional write failed only because its condition did not hold — for the
/// writes where that means "someone else already did it", not an error.
pub(crate) fn condition_failed<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException")
}
