use aws_sdk_dynamodb::error::DisplayErrorContext;
use tubefeed_core::StoreError;

/// Every SDK failure becomes `Unavailable` with the whole source chain in its message (the SDK's
/// own `Display` only says "service error").
pub fn sdk_error<E: std::error::Error + 'static>(what: &str, e: E) -> StoreError {
    StoreError::Unavailable(format!("{what}: {}", DisplayErrorContext(e)))
}
