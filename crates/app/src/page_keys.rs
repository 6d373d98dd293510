//! The page-token signing keys: read from `PAGE_TOKEN_SECRET` or the `PAGE_TOKEN_SECRET_ID`
//! secret (re-read by warm API processes), and rotated by `tubefeed page-keys rotate`.
//!
//! A rotation writes a new key of 32 random bytes that the API starts signing with after
//! [`ANNOUNCE`] — twice [`tubefeed_api::KEY_REFRESH`], so every warm process has read it by
//! then — and keeps accepting tokens of the old key for the rotation window after that.

use aws_sdk_secretsmanager::Client;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use tubefeed_api::{KeySet, TokenKey};

use crate::config::ConfigError;

/// How long a new key is accepted before it signs.
pub const ANNOUNCE: chrono::Duration = chrono::Duration::minutes(10);

/// The default rotation window: how long tokens signed with the old key stay good after the
/// new key starts signing. A page token lives as long as a reader keeps a page open.
pub const DEFAULT_WINDOW: chrono::Duration = chrono::Duration::hours(24);

#[derive(Debug, thiserror::Error)]
pub enum PageKeyError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("secret {secret}: {reason}")]
    Secret { secret: String, reason: String },
}

fn secret_err(secret: &str, reason: impl Into<String>) -> PageKeyError {
    PageKeyError::Secret {
        secret: tubefeed_core::redact::secret_name(secret).to_owned(),
        reason: reason.into(),
    }
}

/// The keys the secret holds now.
pub async fn read(client: &Client, secret_id: &str) -> Result<KeySet, PageKeyError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            secret_err(
                secret_id,
                format!(
                    "could not be read: {}",
                    tubefeed_secrets::sdk_reason(client, "GetSecretValue", e)
                ),
            )
        })?;
    let text = out
        .secret_string()
        .ok_or_else(|| secret_err(secret_id, "holds no text"))?;
    KeySet::parse(text).map_err(|e| {
        PageKeyError::Config(ConfigError::invalid(
            "PAGE_TOKEN_SECRET_ID",
            format!(
                "secret {}: {e}",
                tubefeed_core::redact::secret_name(secret_id)
            ),
        ))
    })
}

/// A new key: 32 random bytes from the operating system's generator, base64url.
pub fn new_key(now: DateTime<Utc>) -> TokenKey {
    let mut bytes = [0u8; 32];
    // ThreadRng: ChaCha12 seeded from the operating system, a cryptographic generator.
    rand::rng().fill_bytes(&mut bytes);
    let id = format!("k{}", now.format("%Y%m%d%H%M%S"));
    TokenKey::new(id, URL_SAFE_NO_PAD.encode(bytes).as_bytes())
}

/// Rotates the secret's keys at `now`; returns the keys it now holds.
pub async fn rotate(
    client: &Client,
    secret_id: &str,
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<KeySet, PageKeyError> {
    let current = read(client, secret_id).await?;
    let next = current
        .rotated(new_key(now), now, ANNOUNCE, window)
        .map_err(|e| secret_err(secret_id, e.to_string()))?;
    client
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(next.render())
        .send()
        .await
        .map_err(|e| {
            secret_err(
                secret_id,
                format!(
                    "could not be written: {}",
                    tubefeed_secrets::sdk_reason(client, "PutSecretValue", e)
                ),
            )
        })?;
    Ok(next)
}
