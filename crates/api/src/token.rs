//! Page tokens: versioned, URL-safe, HMAC-signed by a named key, bound to the query they came
//! from.
//!
//! `t2.<key id>.<payload>.<mac>` where payload is base64url JSON `{"q": <query hash>, "c":
//! <cursor>}` and mac the first 16 bytes of HMAC-SHA256 over `<key id>.<payload>`. The cursor
//! wraps the store's whole `LastEvaluatedKey`; the query hash covers topic, order, date window,
//! channel and words (not `limit`, which a client may change between pages).
//!
//! Keys rotate without breaking the tokens clients hold ([`KeySet`]): a new key is *announced*
//! first — accepted but not yet used — so that every warm process has read it before any of
//! them signs with it; the old key stays accepted for a rotation window, then is refused.
//! Tokens of before key ids (`t1.…`) verify with the key named `legacy`: the plain-string secret
//! they were signed with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tubefeed_core::{ChannelId, Cursor, FeedQuery, Order};

const PREFIX: &str = "t2.";
const LEGACY_PREFIX: &str = "t1.";
/// The id of the key a plain-string secret holds (and `t1` tokens were signed with).
pub const LEGACY_KEY_ID: &str = "legacy";
const MAC_LEN: usize = 16;
/// Far above any real token (a cursor is four short keys); refuses abuse before any work.
pub const MAX_TOKEN_LEN: usize = 2048;
/// A signing key is at least this long: 32 random bytes, or 32 characters of a generated
/// password (64 alphanumerics, as the template generates, carry about 380 bits).
pub const MIN_KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("is malformed")]
    Malformed,
    #[error("has an invalid signature")]
    BadSignature,
    #[error("was signed with a key that has been retired; start from the first page")]
    Expired,
    #[error("belongs to a different query (topic, order, dates, channel or q changed)")]
    WrongQuery,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    q: String,
    c: Cursor,
}

/// One signing key. Its bytes never leave this type (`Debug` shows the id).
#[derive(Clone)]
pub struct TokenKey {
    pub id: String,
    secret: SecretSlice<u8>,
    /// Signing starts at this instant (verification at once).
    pub active_from: Option<DateTime<Utc>>,
    /// Tokens signed with it are refused from this instant on.
    pub retire_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("id", &self.id)
            .field("active_from", &self.active_from)
            .field("retire_at", &self.retire_at)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    pub fn new(id: impl Into<String>, secret: &[u8]) -> Self {
        Self {
            id: id.into(),
            secret: SecretSlice::from(secret.to_vec()),
            active_from: None,
            retire_at: None,
        }
    }

    pub fn expose(&self) -> &[u8] {
        self.secret.expose_secret()
    }

    fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.retire_at.is_none_or(|t| now < t)
    }

    fn signs_at(&self, now: DateTime<Utc>) -> bool {
        self.live_at(now) && self.active_from.is_none_or(|t| t <= now)
    }
}

/// The keys a deployment accepts; the newest active one signs.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<TokenKey>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeySetError {
    #[error("holds no key")]
    Empty,
    #[error("key {0:?} is shorter than {MIN_KEY_BYTES} bytes")]
    Short(String),
    #[error("key id {0:?} must be 1 to 32 letters, digits, '-' or '_'")]
    BadId(String),
    #[error("key id {0:?} appears twice")]
    Duplicate(String),
    #[error("is not a key: {0}")]
    Shape(String),
}

/// The stored form: `{"keys": [{"id", "secret", "active_from", "retire_at"}]}`; a single object
/// `{"id", "secret"}` (what the template generates) and a plain string (the key `legacy`) are
/// read as well.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    id: String,
    secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retire_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
struct StoredSet {
    keys: Vec<StoredKey>,
}

impl KeySet {
    pub fn new(keys: Vec<TokenKey>) -> Result<Self, KeySetError> {
        if keys.is_empty() {
            return Err(KeySetError::Empty);
        }
        for (i, k) in keys.iter().enumerate() {
            let id_ok = (1..=32).contains(&k.id.len())
                && k.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                return Err(KeySetError::BadId(k.id.clone()));
            }
            if k.expose().len() < MIN_KEY_BYTES {
                return Err(KeySetError::Short(k.id.clone()));
            }
            if keys[..i].iter().any(|o| o.id == k.id) {
                return Err(KeySetError::Duplicate(k.id.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// One key, always active (a literal `PAGE_TOKEN_SECRET`).
    pub fn single(id: &str, secret: &[u8]) -> Result<Self, KeySetError> {
        Self::new(vec![TokenKey::new(id, secret)])
    }

    /// Reads a secret's text. Errors never quote it.
    pub fn parse(text: &str) -> Result<Self, KeySetError> {
        let trimmed = text.trim();
        if !trimmed.starts_with('{') {
            return Self::single(LEGACY_KEY_ID, trimmed.as_bytes());
        }
        let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| {
            KeySetError::Shape(format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let stored: Vec<StoredKey> = if value.get("keys").is_some() {
            serde_json::from_value::<StoredSet>(value)
                .map(|s| s.keys)
                .map_err(|_| {
                    KeySetError::Shape("expected {\"keys\": [{\"id\", \"secret\"}]}".into())
                })?
        } else {
            serde_json::from_value::<StoredKey>(value)
                .map(|k| vec![k])
                .map_err(|_| KeySetError::Shape("expected {\"id\", \"secret\"}".into()))?
        };
        Self::new(
            stored
                .into_iter()
                .map(|k| TokenKey {
                    secret: SecretSlice::from(k.secret.into_bytes()),
                    id: k.id,
                    active_from: k.active_from,
                    retire_at: k.retire_at,
                })
                .collect(),
        )
    }

    /// The stored form (with the secrets: only for writing the secret back).
    pub fn render(&self) -> String {
        let keys = self
            .keys
            .iter()
            .map(|k| StoredKey {
                id: k.id.clone(),
                secret: String::from_utf8_lossy(k.expose()).into_owned(),
                active_from: k.active_from,
                retire_at: k.retire_at,
            })
            .collect();
        serde_json::to_string(&StoredSet { keys }).unwrap_or_default()
    }

    pub fn keys(&self) -> &[TokenKey] {
        &self.keys
    }

    /// The key that signs at `now`: the newest (last) active one, else the newest live one.
    fn signer(&self, now: DateTime<Utc>) -> &TokenKey {
        self.keys
            .iter()
            .rev()
            .find(|k| k.signs_at(now))
            .or_else(|| self.keys.iter().rev().find(|k| k.live_at(now)))
            .unwrap_or_else(|| &self.keys[self.keys.len() - 1])
    }

    /// The set after a rotation at `now`: `new` signs from `now + announce` (every process
    /// reads the secret again within that), the key signing now is accepted until `new` signs
    /// plus `window`, and keys retired before `now` are dropped.
    pub fn rotated(
        &self,
        new: TokenKey,
        now: DateTime<Utc>,
        announce: chrono::Duration,
        window: chrono::Duration,
    ) -> Result<Self, KeySetError> {
        let active_from = now + announce;
        let retire = active_from + window;
        let signer_id = self.signer(now).id.clone();
        let mut keys: Vec<TokenKey> = self
            .keys
            .iter()
            .filter(|k| k.live_at(now))
            .cloned()
            .map(|mut k| {
                if k.id == signer_id || k.retire_at.is_none() {
                    k.retire_at = Some(k.retire_at.map_or(retire, |t| t.min(retire)));
                }
                k
            })
            .collect();
        keys.push(TokenKey {
            active_from: Some(active_from),
            retire_at: None,
            ..new
        });
        Self::new(keys)
    }
}

/// Signs and checks page tokens with a [`KeySet`].
#[derive(Clone)]
pub struct TokenCodec {
    keys: KeySet,
}

impl std::fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCodec")
            .field("keys", &self.keys)
            .finish()
    }
}

impl TokenCodec {
    /// One key named `legacy` (tests, and a secret of before key ids). Keys shorter than
    /// [`MIN_KEY_BYTES`] are refused where configuration is read; here any length signs.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            keys: KeySet {
                keys: vec![TokenKey::new(LEGACY_KEY_ID, secret)],
            },
        }
    }

    pub fn with_keys(keys: KeySet) -> Self {
        Self { keys }
    }

    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    fn mac(key: &TokenKey, signed: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; new_from_slice cannot fail for it.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        m.update(signed);
        m
    }

    pub fn encode(&self, q: &FeedQuery, cursor: &Cursor) -> String {
        self.encode_at(q, cursor, Utc::now())
    }

    pub fn encode_at(&self, q: &FeedQuery, cursor: &Cursor, now: DateTime<Utc>) -> String {
        let key = self.keys.signer(now);
        let payload = serde_json::to_vec(&Payload {
            q: query_hash(q),
            c: cursor.clone(),
        })
        .unwrap_or_default();
        let payload_b64 = URL_SAFE_NO_PAD.encode(&payload);
        let signed = format!("{}.{payload_b64}", key.id);
        let tag = Self::mac(key, signed.as_bytes()).finalize().into_bytes();
        format!(
            "{PREFIX}{signed}.{}",
            URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN])
        )
    }

    pub fn decode(&self, q: &FeedQuery, token: &str) -> Result<Cursor, TokenError> {
        self.decode_at(q, token, Utc::now())
    }

    pub fn decode_at(
        &self,
        q: &FeedQuery,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Cursor, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        // t2: the key id is signed along with the payload; t1: the payload alone, by `legacy`
        // (tokens handed out before key ids keep working while that key is accepted).
        let (key_id, signed, payload_b64, mac_b64) = if let Some(rest) = token.strip_prefix(PREFIX)
        {
            let (signed, mac) = rest.rsplit_once('.').ok_or(TokenError::Malformed)?;
            let (id, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
            (id, signed, payload, mac)
        } else if let Some(rest) = token.strip_prefix(LEGACY_PREFIX) {
            let (payload, mac) = rest.split_once('.').ok_or(TokenError::Malformed)?;
            (LEGACY_KEY_ID, payload, payload, mac)
        } else {
            return Err(TokenError::Malformed);
        };
        if payload_b64.contains('.') {
            return Err(TokenError::Malformed);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| TokenError::Malformed)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac_b64)
            .map_err(|_| TokenError::Malformed)?;
        if mac.len() != MAC_LEN {
            return Err(TokenError::Malformed);
        }
        let key = self
            .keys
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(TokenError::BadSignature)?;
        // t1 signed the payload's bytes, t2 signs the key id with the encoded payload.
        let signed: &[u8] = if token.starts_with(LEGACY_PREFIX) {
            &payload
        } else {
            signed.as_bytes()
        };
        Self::mac(key, signed)
            .verify_truncated_left(&mac)
            .map_err(|_| TokenError::BadSignature)?;
        if !key.live_at(now) {
            return Err(TokenError::Expired);
        }
        let p: Payload = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if p.q != query_hash(q) {
            return Err(TokenError::WrongQuery);
        }
        Ok(p.c)
    }
}

/// A short digest of everything that decides which items a walk visits, in what order.
pub fn query_hash(q: &FeedQuery) -> String {
    let mut h = Sha256::new();
    let order = match q.order {
        Order::Desc => "desc",
        Order::Asc => "asc",
    };
    let t = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.timestamp_millis().to_string())
            .unwrap_or_default()
    };
    for part in [
        q.topic.as_str(),
        order,
        &t(q.published_after),
        &t(q.published_before),
        q.channel_id.as_ref().map_or("", ChannelId::as_str),
        &q.terms.join("\u{1f}"),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    // Only when set: tokens of unfiltered walks issued before filters existed stay valid.
    if !q.filter.is_empty() {
        h.update(q.filter.canonical().as_bytes());
        h.update([0u8]);
    }
    URL_SAFE_NO_PAD.encode(&h.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tubefeed_core::Topic;

    fn q() -> FeedQuery {
        FeedQuery {
            topic: Topic::parse("cricket").unwrap(),
            order: Order::Desc,
            published_after: None,
            published_before: None,
            channel_id: None,
            terms: vec![],
            limit: 20,
            filter: Default::default(),
            hidden_channels: Vec::new(),
        }
    }

    fn cursor() -> Cursor {
        Cursor {
            key: BTreeMap::from([
                ("pk".into(), "V#abc".into()),
                ("feed_sk".into(), "2026-01-01T00:00:00.000Z#abc".into()),
            ]),
            driver: None,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const K1: &[u8] = b"first-key-0123456789-0123456789-0123";
    const K2: &[u8] = b"second-key-0123456789-0123456789-012";

    #[test]
    fn round_trip_and_url_safe() {
        let c = TokenCodec::new(b"secret");
        let tok = c.encode(&q(), &cursor());
        assert!(
            tok.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{tok}"
        );
        assert!(tok.starts_with("t2.legacy."), "{tok}");
        assert_eq!(c.decode(&q(), &tok).unwrap(), cursor());
        // limit is not part of the binding
        assert!(c.decode(&FeedQuery { limit: 5, ..q() }, &tok).is_ok());
    }

    #[test]
    fn tokens_of_before_key_ids_verify_with_the_legacy_key() {
        // A t1 token as the previous codec wrote it: `t1.<payload>.<mac over payload>`.
        let secret = b"a-secret-of-before-key-ids-0123456";
        let payload = serde_json::to_vec(&Payload {
            q: query_hash(&q()),
            c: cursor(),
        })
        .unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
        m.update(&payload);
        let tag = m.finalize().into_bytes();
        let t1 = format!(
            "t1.{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN])
        );
        let codec =
            TokenCodec::with_keys(KeySet::parse(std::str::from_utf8(secret).unwrap()).unwrap());
        assert_eq!(codec.decode(&q(), &t1).unwrap(), cursor());
    }

    #[test]
    fn a_token_issued_before_a_rotation_works_inside_the_window_and_fails_after_it() {
        let t0 = utc("2026-12-01T12:00:00Z");
        let before = KeySet::new(vec![TokenKey::new("k1", K1)]).unwrap();
        let old = TokenCodec::with_keys(before.clone());
        let token = old.encode_at(&q(), &cursor(), t0);
        assert!(token.starts_with("t2.k1."));

        // Rotate: k2 announced now, signing in 10 minutes; k1 accepted for a day after that.
        let announce = chrono::Duration::minutes(10);
        let window = chrono::Duration::hours(24);
        let after = before
            .rotated(TokenKey::new("k2", K2), t0, announce, window)
            .unwrap();
        let codec = TokenCodec::with_keys(KeySet::parse(&after.render()).unwrap());
        // Announced, not yet signing: processes that have not read it yet still verify all.
        assert!(codec.encode_at(&q(), &cursor(), t0).starts_with("t2.k1."));
        let later = t0 + announce + chrono::Duration::seconds(1);
        let fresh = codec.encode_at(&q(), &cursor(), later);
        assert!(fresh.starts_with("t2.k2."), "{fresh}");
        // The old token inside the window, and the new one.
        let inside = t0 + announce + window - chrono::Duration::seconds(1);
        assert_eq!(codec.decode_at(&q(), &token, inside), Ok(cursor()));
        assert_eq!(codec.decode_at(&q(), &fresh, inside), Ok(cursor()));
        // After the window the old one is refused, and says why.
        let outside = t0 + announce + window;
        assert_eq!(
            codec.decode_at(&q(), &token, outside),
            Err(TokenError::Expired)
        );
        assert_eq!(codec.decode_at(&q(), &fresh, outside), Ok(cursor()));
        // A later rotation drops the retired key.
        let again = after
            .rotated(TokenKey::new("k3", K1), outside, announce, window)
            .unwrap();
        let ids: Vec<&str> = again.keys().iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["k2", "k3"]);
    }

    #[test]
    fn key_sets_are_checked_and_never_quoted() {
        assert_eq!(
            KeySet::parse("short").unwrap_err(),
            KeySetError::Short("legacy".into())
        );
        let e =
            KeySet::parse("{\"id\": \"a b\", \"secret\": \"0123456789012345678901234567890123\"}")
                .unwrap_err();
        assert_eq!(e, KeySetError::BadId("a b".into()));
        let e =
            KeySet::parse("{\"keys\": [{\"id\": \"a\", \"secret\": \"TOPSECRET\"}]}").unwrap_err();
        assert!(!e.to_string().contains("TOPSECRET"), "{e}");
        let one = KeySet::parse(
            "{\"id\": \"initial\", \"secret\": \"0123456789012345678901234567890123\"}",
        )
        .unwrap();
        assert_eq!(one.keys()[0].id, "initial");
        assert!(!format!("{one:?}").contains("0123456789"));
    }

    #[test]
    fn tampering_forgery_and_mismatch_are_refused() {
        let c = TokenCodec::new(b"secret");
        let tok = c.encode(&q(), &cursor());
        // Flip one character of the payload.
        let mut bytes = tok.clone().into_bytes();
        bytes[12] = if bytes[12] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(matches!(
            c.decode(&q(), &tampered),
            Err(TokenError::BadSignature | TokenError::Malformed)
        ));
        // Signed with another key.
        let forged = TokenCodec::new(b"other").encode(&q(), &cursor());
        assert_eq!(c.decode(&q(), &forged), Err(TokenError::BadSignature));
        // Another key id: unknown, or swapped into a valid token.
        let renamed = tok.replacen("t2.legacy.", "t2.other.", 1);
        assert_eq!(c.decode(&q(), &renamed), Err(TokenError::BadSignature));
        // Reused with another order or topic.
        assert_eq!(
            c.decode(
                &FeedQuery {
                    order: Order::Asc,
                    ..q()
                },
                &tok
            ),
            Err(TokenError::WrongQuery)
        );
        assert_eq!(
            c.decode(
                &FeedQuery {
                    terms: vec!["tea".into()],
                    ..q()
                },
                &tok
            ),
            Err(TokenError::WrongQuery)
        );
        for junk in [
            "",
            "t1.",
            "t1..",
            "t2.",
            "t2...",
            "t2.legacy..",
            "t3.abc.def",
            "t1.!!!.AAAA",
            &"t2.".repeat(1000),
        ] {
            assert!(c.decode(&q(), junk).is_err(), "{junk}");
        }
    }
}
