use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tubefeed_core::StoreError;

/// Error codes of DynamoDB that mean "not now" rather than "not this request".
const TRANSIENT_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// An SDK failure, with the whole source chain in its message (the SDK's own `Display` only
/// says "service error"). The store being unreachable, timing out or throttling (after the SDK's
/// own retries) is `Unavailable`, which callers may answer with "try again later"; a request the
/// store refused is `Failed`, a fault of ours.
pub fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let transient = match &e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(s) => s.err().code().is_some_and(|c| TRANSIENT_CODES.contains(&c)),
        _ => false,
    };
    let rejected =
        matches!(&e, SdkError::ServiceError(s) if s.err().code() == Some("ValidationException"));
    let msg = format!("{what}: {}", DisplayErrorContext(e));
    if transient {
        StoreError::Unavailable(msg)
    } else if rejected {
        StoreError::Rejected(msg)
    } else {
        StoreError::Failed(msg)
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
