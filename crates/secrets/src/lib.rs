//! Key sources behind the core [`KeySource`] port: the `YOUTUBE_API_KEYS` variable (local runs,
//! read-only) and a Secrets Manager secret (`YOUTUBE_API_KEYS_SECRET_ID`, deployed).
//!
//! A secret holds a JSON array of keys (`["AIza...", "AIza..."]`) or an object with a `keys`
//! array (`{"keys": [...], "owner": "..."}`); `add`/`remove` keep whichever shape it has, and
//! the object's other fields. An entry is a key, or an object naming the key's Google Cloud
//! project and, optionally, that project's daily search calls:
//! `{"key": "AIza…", "project": "tubefeed-1", "daily_calls": 100}`. Nothing here ever formats a key or the secret's text: errors name
//! the secret id and say what is wrong with the shape, by position.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use serde_json::{Map, Value};
use tracing::{debug, info};
use tubefeed_core::key_source::{dedup_keys, validate_key};
use tubefeed_core::{Added, ApiKey, Fingerprint, KeySource, KeySourceError, ProjectName, Removed};

pub const ENV_VAR: &str = "YOUTUBE_API_KEYS";

/// A Secrets Manager failure as one sentence: what was asked, of which endpoint, and the
/// innermost cause. The SDK's Debug form is logged at debug level only.
pub fn sdk_reason<E, R>(client: &Client, what: &str, e: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let endpoint = endpoint(client);
    debug!(error = ?e, request = what, endpoint, "Secrets Manager request failed");
    match &e {
        SdkError::DispatchFailure(_) => format!(
            "{what}: cannot reach {endpoint}: {}",
            tubefeed_core::root_cause(&e)
        ),
        SdkError::TimeoutError(_) => format!("{what}: {endpoint} did not answer in time"),
        SdkError::ServiceError(s) => format!(
            "{what}: {endpoint} answered {}: {}",
            s.err().code().unwrap_or("an unnamed error"),
            s.err().message().unwrap_or("(no message)")
        ),
        _ => format!("{what}: {endpoint}: {}", tubefeed_core::root_cause(&e)),
    }
}

/// "Secrets Manager at URL" under an endpoint override (the variables the SDK itself reads),
/// "Secrets Manager in REGION" otherwise.
fn endpoint(client: &Client) -> String {
    let url = ["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()));
    match (url, client.config().region()) {
        (Some(u), _) => format!("Secrets Manager at {u}"),
        (None, Some(r)) => format!("Secrets Manager in {r}"),
        (None, None) => "Secrets Manager".to_owned(),
    }
}

/// `YOUTUBE_API_KEYS`: keys parsed once at start-up. tubefeed cannot edit a variable of the
/// process that started it, so `add`/`remove` explain what to change instead.
#[derive(Debug, Clone)]
pub struct EnvKeySource {
    keys: Vec<ApiKey>,
}

impl EnvKeySource {
    pub fn new(keys: Vec<ApiKey>) -> Self {
        Self {
            keys: dedup_keys(keys),
        }
    }
}

impl KeySource for EnvKeySource {
    fn describe(&self) -> String {
        ENV_VAR.to_owned()
    }

    async fn load(&self) -> Result<Vec<ApiKey>, KeySourceError> {
        Ok(self.keys.clone())
    }

    async fn add(&self, key: ApiKey) -> Result<Added, KeySourceError> {
        if self
            .keys
            .iter()
            .any(|k| k.fingerprint() == key.fingerprint())
        {
            return Ok(Added::AlreadyPresent(key.fingerprint().clone()));
        }
        Err(KeySourceError::ReadOnly {
            source_name: ENV_VAR.to_owned(),
            hint: format!(
                "append the key to {ENV_VAR} (comma-separated) where the variable is set — your \
                 shell profile, .env file or the deployment's environment — and start tubefeed \
                 again; it will show up as {}. Or keep keys in Secrets Manager \
                 (YOUTUBE_API_KEYS_SECRET_ID), which `tubefeed keys add` edits",
                key.fingerprint()
            ),
        })
    }

    async fn remove(&self, fingerprint: &Fingerprint) -> Result<Removed, KeySourceError> {
        let Some(pos) = self
            .keys
            .iter()
            .position(|k| k.fingerprint() == fingerprint)
        else {
            return Ok(Removed::NotFound);
        };
        Err(KeySourceError::ReadOnly {
            source_name: ENV_VAR.to_owned(),
            hint: format!(
                "delete entry {} of {} in {ENV_VAR} (the key with fingerprint {fingerprint}) \
                 where the variable is set, and start tubefeed again",
                pos + 1,
                self.keys.len()
            ),
        })
    }
}

/// How a secret holds its keys, so that an edit writes the same shape back.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretShape {
    /// `["k1", "k2"]`
    Array,
    /// `{"keys": ["k1"], ...}`: the other fields are kept as they were.
    Object(Map<String, Value>),
}

/// Parses a secret's text. Errors describe the shape by position and never quote the text.
pub fn parse_secret(
    secret_id: &str,
    text: &str,
) -> Result<(SecretShape, Vec<ApiKey>), KeySourceError> {
    let malformed = |reason: String| KeySourceError::Malformed {
        source_name: secret_name(secret_id),
        reason: format!("{reason}; expected a JSON array of keys or {{\"keys\": [...]}}"),
    };
    // serde_json's messages may quote the offending token; only its position is kept.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        malformed(format!(
            "not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let (shape, items) = match value {
        Value::Array(items) => (SecretShape::Array, items),
        Value::Object(mut map) => match map.remove("keys") {
            Some(Value::Array(items)) => (SecretShape::Object(map), items),
            Some(_) => return Err(malformed("\"keys\" is not an array".into())),
            None => return Err(malformed("a JSON object without a \"keys\" field".into())),
        },
        _ => return Err(malformed("neither a JSON array nor an object".into())),
    };
    let mut keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = parse_entry(item).map_err(|why| malformed(format!("entry {}: {why}", i + 1)))?;
        keys.push(key);
    }
    Ok((shape, dedup_keys(keys)))
}

/// One entry: `"AIza…"` or `{"key": "AIza…", "project": "p", "daily_calls": 100}`. The reason
/// never quotes the entry.
fn parse_entry(item: &Value) -> Result<ApiKey, String> {
    let not_a_key = |e: KeySourceError| match e {
        KeySourceError::BadKey(why) => format!("not a key: {why}"),
        other => other.to_string(),
    };
    let obj = match item {
        Value::String(s) => return validate_key(s).map_err(not_a_key),
        Value::Object(obj) => obj,
        _ => return Err("neither a key (a string) nor an object with \"key\"".into()),
    };
    // A field's name is not quoted: a key pasted in the wrong place would be.
    if obj
        .keys()
        .any(|f| !["key", "project", "daily_calls"].contains(&f.as_str()))
    {
        return Err(
            "an unknown field (an entry has \"key\", \"project\" and \"daily_calls\")".into(),
        );
    }
    let Some(Value::String(value)) = obj.get("key") else {
        return Err("an object without \"key\" (a string)".into());
    };
    let key = validate_key(value).map_err(not_a_key)?;
    let daily_calls = match obj.get("daily_calls") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or("\"daily_calls\" must be a whole number from 1 to 1000000")?,
        ),
    };
    match obj.get("project") {
        None | Some(Value::Null) if daily_calls.is_some() => {
            Err("\"daily_calls\" belongs to a project: name it with \"project\"".into())
        }
        None | Some(Value::Null) => Ok(key),
        Some(Value::String(p)) => {
            let name = ProjectName::parse(p).map_err(|e| format!("\"project\": {e}"))?;
            Ok(key.in_project(name, daily_calls))
        }
        Some(_) => Err("\"project\" must be a string".into()),
    }
}

/// The secret's text for `keys`, in `shape`.
pub fn render_secret(shape: &SecretShape, keys: &[ApiKey]) -> String {
    let entry = |k: &ApiKey| match k.project() {
        None => Value::String(k.expose().to_owned()),
        Some(p) => {
            let mut m = Map::new();
            m.insert("key".into(), Value::String(k.expose().to_owned()));
            m.insert("project".into(), Value::String(p.to_string()));
            if let Some(n) = k.daily_calls() {
                m.insert("daily_calls".into(), Value::from(n));
            }
            Value::Object(m)
        }
    };
    let list = Value::Array(keys.iter().map(entry).collect());
    match shape {
        SecretShape::Array => list.to_string(),
        SecretShape::Object(rest) => {
            let mut map = rest.clone();
            map.insert("keys".into(), list);
            Value::Object(map).to_string()
        }
    }
}

/// A secret as messages name it: by its name, never by an ARN (which carries the account id).
fn secret_name(secret_id: &str) -> String {
    format!("secret {}", tubefeed_core::redact::secret_name(secret_id))
}

#[derive(Debug)]
struct Cached {
    at: Instant,
    keys: Vec<ApiKey>,
}

/// A Secrets Manager secret, read through a short in-process cache: a warm Lambda reads the
/// secret once every `ttl`, not once per call (GetSecretValue is billed and throttled), and a
/// rotation of the secret is picked up within `ttl`.
#[derive(Debug)]
pub struct SecretsManagerKeySource {
    client: Client,
    secret_id: String,
    ttl: Duration,
    cache: Mutex<Option<Cached>>,
}

impl SecretsManagerKeySource {
    pub fn new(client: Client, secret_id: impl Into<String>, ttl: Duration) -> Self {
        Self {
            client,
            secret_id: secret_id.into(),
            ttl,
            cache: Mutex::new(None),
        }
    }

    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    fn cached(&self) -> Option<Vec<ApiKey>> {
        let guard = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|c| c.at.elapsed() < self.ttl)
            .map(|c| c.keys.clone())
    }

    fn remember(&self, keys: Option<&[ApiKey]>) {
        let mut guard = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        *guard = keys.map(|k| Cached {
            at: Instant::now(),
            keys: k.to_vec(),
        });
    }

    /// Reads the secret now, bypassing the cache.
    pub async fn fetch(&self) -> Result<(SecretShape, Vec<ApiKey>), KeySourceError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception())
                {
                    KeySourceError::NotFound {
                        source_name: secret_name(&self.secret_id),
                    }
                } else {
                    KeySourceError::Unavailable {
                        source_name: secret_name(&self.secret_id),
                        reason: sdk_reason(&self.client, "GetSecretValue", e),
                    }
                }
            })?;
        let text = match (out.secret_string(), out.secret_binary()) {
            (Some(s), _) => s.to_owned(),
            (None, Some(b)) => {
                String::from_utf8(b.as_ref().to_vec()).map_err(|_| KeySourceError::Malformed {
                    source_name: secret_name(&self.secret_id),
                    reason: "the binary secret is not UTF-8 text".into(),
                })?
            }
            (None, None) => {
                return Err(KeySourceError::Malformed {
                    source_name: secret_name(&self.secret_id),
                    reason: "the secret has no value".into(),
                });
            }
        };
        let parsed = parse_secret(&self.secret_id, &text)?;
        debug!(target: "tubefeed::keys", secret = %self.secret_id, keys = parsed.1.len(), "key list read");
        self.remember(Some(&parsed.1));
        Ok(parsed)
    }

    async fn put(&self, shape: &SecretShape, keys: &[ApiKey]) -> Result<(), KeySourceError> {
        // Read-modify-write without a condition (Secrets Manager has none): two operators
        // editing at the same instant could lose one edit; `keys list` shows the result.
        let text = render_secret(shape, keys);
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(text)
            .send()
            .await
            .map_err(|e| KeySourceError::Unavailable {
                source_name: secret_name(&self.secret_id),
                reason: sdk_reason(&self.client, "PutSecretValue", e),
            })?;
        self.remember(Some(keys));
        Ok(())
    }
}

impl KeySource for SecretsManagerKeySource {
    fn describe(&self) -> String {
        secret_name(&self.secret_id)
    }

    async fn load(&self) -> Result<Vec<ApiKey>, KeySourceError> {
        if let Some(keys) = self.cached() {
            return Ok(keys);
        }
        self.fetch().await.map(|(_, keys)| keys)
    }

    async fn add(&self, key: ApiKey) -> Result<Added, KeySourceError> {
        let (shape, mut keys) = self.fetch().await?;
        let fp = key.fingerprint().clone();
        if keys.iter().any(|k| k.fingerprint() == &fp) {
            return Ok(Added::AlreadyPresent(fp));
        }
        keys.push(key);
        self.put(&shape, &keys).await?;
        info!(target: "tubefeed::keys", secret = %self.secret_id, key = %fp, "key added");
        Ok(Added::Added(fp))
    }

    async fn remove(&self, fingerprint: &Fingerprint) -> Result<Removed, KeySourceError> {
        let (shape, mut keys) = self.fetch().await?;
        let before = keys.len();
        keys.retain(|k| k.fingerprint() != fingerprint);
        if keys.len() == before {
            return Ok(Removed::NotFound);
        }
        self.put(&shape, &keys).await?;
        info!(target: "tubefeed::keys", secret = %self.secret_id, key = %fingerprint, "key removed");
        Ok(Removed::Removed(fingerprint.clone()))
    }
}

/// The source the configuration chose.
#[derive(Debug)]
pub enum ConfiguredKeySource {
    Env(EnvKeySource),
    SecretsManager(SecretsManagerKeySource),
}

impl KeySource for ConfiguredKeySource {
    fn describe(&self) -> String {
        match self {
            Self::Env(s) => s.describe(),
            Self::SecretsManager(s) => s.describe(),
        }
    }

    async fn load(&self) -> Result<Vec<ApiKey>, KeySourceError> {
        match self {
            Self::Env(s) => s.load().await,
            Self::SecretsManager(s) => s.load().await,
        }
    }

    async fn add(&self, key: ApiKey) -> Result<Added, KeySourceError> {
        match self {
            Self::Env(s) => s.add(key).await,
            Self::SecretsManager(s) => s.add(key).await,
        }
    }

    async fn remove(&self, fingerprint: &Fingerprint) -> Result<Removed, KeySourceError> {
        match self {
            Self::Env(s) => s.remove(fingerprint).await,
            Self::SecretsManager(s) => s.remove(fingerprint).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AIzaSyFIRST-secret-value-000000000000";
    const K2: &str = "AIzaSySECOND-secret-value-00000000000";

    #[test]
    fn both_shapes_parse_and_round_trip() {
        let (shape, keys) = parse_secret("s", &format!("[\"{K1}\", \"{K2}\", \"{K1}\"]")).unwrap();
        assert_eq!(shape, SecretShape::Array);
        assert_eq!(keys.len(), 2);
        assert_eq!(
            parse_secret("s", &render_secret(&shape, &keys))
                .unwrap()
                .1
                .len(),
            2
        );

        let text = format!("{{\"owner\": \"ops\", \"keys\": [\"{K1}\"]}}");
        let (shape, keys) = parse_secret("s", &text).unwrap();
        let out = render_secret(&shape, &keys);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["owner"], "ops", "other fields are kept");
        assert_eq!(v["keys"][0], K1);
    }

    #[test]
    fn entries_may_name_their_project_and_its_size_and_round_trip() {
        let text = format!(
            "[{{\"key\": \"{K1}\", \"project\": \"tubefeed-1\", \"daily_calls\": 1000}}, \"{K2}\"]"
        );
        let (shape, keys) = parse_secret("s", &text).unwrap();
        assert_eq!(
            keys[0].project().map(ProjectName::as_str),
            Some("tubefeed-1")
        );
        assert_eq!(keys[0].daily_calls(), Some(1000));
        assert_eq!(keys[1].project(), None);
        let again = parse_secret("s", &render_secret(&shape, &keys)).unwrap().1;
        assert_eq!(again[0].project(), keys[0].project());
        assert_eq!(again[0].daily_calls(), Some(1000));
        assert_eq!(again[1].expose(), K2);
    }

    #[test]
    fn malformed_secrets_name_the_secret_and_never_the_contents() {
        let cases = [
            format!("{K1},{K2}"),
            format!("{{\"keys\": \"{K1}\"}}"),
            format!("{{\"key\": [\"{K1}\"]}}"),
            format!("[\"{K1}\", 42]"),
            format!("[\"{K1} {K2}\"]"),
            format!("\"{K1}\""),
            format!("[\"{K1}\""),
            "{\"keys\": [true]}".to_owned(),
            format!("[{{\"key\": \"{K1}\", \"project\": \"bad name\"}}]"),
            format!("[{{\"key\": \"{K1}\", \"daily_calls\": 5}}]"),
            format!("[{{\"key\": \"{K1}\", \"project\": \"p\", \"daily_calls\": -1}}]"),
            format!("[{{\"value\": \"{K1}\"}}]"),
            format!("[{{\"key\": \"{K1}\", \"{K2}\": 1}}]"),
        ];
        for text in cases {
            let e = parse_secret("prod/tubefeed-keys", &text)
                .unwrap_err()
                .to_string();
            assert!(e.contains("secret prod/tubefeed-keys"), "{e}");
            assert!(!e.contains("secret-value"), "leaks: {e}");
            assert!(!e.contains("AIza"), "leaks: {e}");
        }
    }

    #[tokio::test]
    async fn the_env_source_is_read_only_and_says_what_to_do() {
        let src = EnvKeySource::new(vec![ApiKey::new(K1), ApiKey::new(K2)]);
        let e = src
            .add(ApiKey::new("AIzaNEW-secret-value"))
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("YOUTUBE_API_KEYS") && msg.contains("append"),
            "{msg}"
        );
        assert!(!msg.contains("secret-value"), "{msg}");
        assert_eq!(
            src.add(ApiKey::new(K1)).await.unwrap(),
            Added::AlreadyPresent(Fingerprint::of(K1))
        );
        let msg = src
            .remove(&Fingerprint::of(K2))
            .await
            .unwrap_err()
            .to_string();
        assert!(msg.contains("entry 2 of 2"), "{msg}");
        assert!(!msg.contains("secret-value"), "{msg}");
        assert_eq!(
            src.remove(&Fingerprint::of("other")).await.unwrap(),
            Removed::NotFound
        );
    }
}
