use aws_sdk_dynamodb::error::DisplayErrorContext;
use tubefeed_core::StoreError;

/// Every SDK failure becomes `Unavailable` with the whole source chain in its message (the SDK's
/// own `Display` only says "service error").
pub fn sdk_error<E: std::error::Error + 'static>(what: &str, e: E) -> StoreError {
    StoreError::Unavailable(format!("{what}: {}", DisplayErrorContext(e)))
}

/// Whether a conditional write failed only because its condition did not hold — for the
/// writes where that means "someone else already did it", not an error.
pub(crate) fn condition_failed<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException")
}
