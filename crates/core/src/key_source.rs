//! Where the API keys come from: the port the key ring and `tubefeed keys` are written against.
//!
//! Adapters (environment variable, Secrets Manager) live outside the core. Everything here
//! speaks of keys through [`ApiKey`] and [`Fingerprint`]: no error or message carries a value.

use std::future::Future;

use sha2::{Digest, Sha256};

use crate::key::{ApiKey, Fingerprint};

/// Why a key source could not answer. Messages name the source (variable or secret id) and
/// never contain a key or a secret's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySourceError {
    /// The source cannot be changed from here (the environment variable).
    #[error("{source_name} is read-only from tubefeed: {hint}")]
    ReadOnly { source_name: String, hint: String },
    /// The source exists but does not hold a usable key list.
    #[error("{source_name} is malformed: {reason}")]
    Malformed { source_name: String, reason: String },
    #[error("{source_name} was not found")]
    NotFound { source_name: String },
    #[error("{source_name} is unavailable: {reason}")]
    Unavailable { source_name: String, reason: String },
    /// A key given to `add` that cannot be a key (empty, whitespace inside).
    #[error("not a usable API key: {0}")]
    BadKey(String),
}

/// What `add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    Added(Fingerprint),
    AlreadyPresent(Fingerprint),
}

/// What `remove` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Removed(Fingerprint),
    NotFound,
}

/// A key list that can be read, and (for some sources) edited.
pub trait KeySource: Send + Sync {
    /// Where the keys live, for messages: `YOUTUBE_API_KEYS` or `secret tubefeed/keys`.
    fn describe(&self) -> String;
    /// The current keys, deduplicated, in the source's order. May be served from a short cache.
    fn load(&self) -> impl Future<Output = Result<Vec<ApiKey>, KeySourceError>> + Send;
    /// Adds a key (idempotent).
    fn add(&self, key: ApiKey) -> impl Future<Output = Result<Added, KeySourceError>> + Send;
    /// Removes the key with this fingerprint.
    fn remove(
        &self,
        fingerprint: &Fingerprint,
    ) -> impl Future<Output = Result<Removed, KeySourceError>> + Send;
}

/// Checks a key typed or pasted by an operator. The reason never quotes the key.
pub fn validate_key(raw: &str) -> Result<ApiKey, KeySourceError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(KeySourceError::BadKey("it is empty".into()));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(KeySourceError::BadKey(
            "it contains whitespace or control characters".into(),
        ));
    }
    if v.contains(',') {
        return Err(KeySourceError::BadKey(
            "it contains a comma (one key at a time)".into(),
        ));
    }
    Ok(ApiKey::new(v))
}

/// A short name for a key list as a set: the same keys in any order give the same version, and
/// any addition or removal gives another. The ring stores it with an "invalid" mark, so a key
/// set aside as invalid is tried again once the list changes (the operator may have fixed it).
pub fn key_list_version(keys: &[ApiKey]) -> String {
    let mut fps: Vec<&str> = keys.iter().map(|k| k.fingerprint().as_str()).collect();
    fps.sort_unstable();
    fps.dedup();
    let digest = Sha256::digest(fps.join(",").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Keeps the first of each fingerprint, in order.
pub fn dedup_keys(keys: Vec<ApiKey>) -> Vec<ApiKey> {
    let mut out: Vec<ApiKey> = Vec::with_capacity(keys.len());
    for k in keys {
        if !out.iter().any(|o| o.fingerprint() == k.fingerprint()) {
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_version_is_order_free_and_changes_with_membership() {
        let a = ApiKey::new("AIza-a");
        let b = ApiKey::new("AIza-b");
        let c = ApiKey::new("AIza-c");
        assert_eq!(
            key_list_version(&[a.clone(), b.clone()]),
            key_list_version(&[b.clone(), a.clone()])
        );
        assert_ne!(
            key_list_version(&[a.clone(), b.clone()]),
            key_list_version(&[a.clone(), b.clone(), c.clone()])
        );
        assert_ne!(
            key_list_version(std::slice::from_ref(&a)),
            key_list_version(&[b])
        );
        assert!(!key_list_version(&[a]).contains("AIza"));
    }

    #[test]
    fn validation_never_quotes_the_key() {
        for bad in ["", "  ", "AIzaSECRET with space", "AIzaSECRET,AIzaOTHER"] {
            let e = validate_key(bad).unwrap_err().to_string();
            assert!(!e.contains("SECRET"), "{e}");
        }
        assert_eq!(
            validate_key(" AIzaok \n").unwrap().fingerprint(),
            &Fingerprint::of("AIzaok")
        );
    }
}
