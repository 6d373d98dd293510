//! Page tokens: versioned, URL-safe, HMAC-signed, bound to the query they came from.
//!
//! `t1.<payload>.<mac>` where payload is base64url JSON `{"q": <query hash>, "c": <cursor>}`
//! and mac the first 16 bytes of HMAC-SHA256 over the payload. The cursor wraps the store's
//! whole `LastEvaluatedKey`; the query hash covers topic, order, date window, channel and
//! words (not `limit`, which a client may change between pages).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tubefeed_core::{Cursor, FeedQuery, Order};

const PREFIX: &str = "t1.";
const MAC_LEN: usize = 16;
/// Far above any real token (a cursor is four short keys); refuses abuse before any work.
pub const MAX_TOKEN_LEN: usize = 2048;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("is malformed")]
    Malformed,
    #[error("has an invalid signature")]
    BadSignature,
    #[error("belongs to a different query (topic, order, dates, channel or q changed)")]
    WrongQuery,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    q: String,
    c: Cursor,
}

#[derive(Clone)]
pub struct TokenCodec {
    key: SecretSlice<u8>,
}

impl std::fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCodec(..)")
    }
}

impl TokenCodec {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: SecretSlice::from(secret.to_vec()),
        }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; new_from_slice cannot fail for it.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        m.update(payload);
        m
    }

    pub fn encode(&self, q: &FeedQuery, cursor: &Cursor) -> String {
        let payload = serde_json::to_vec(&Payload {
            q: query_hash(q),
            c: cursor.clone(),
        })
        .unwrap_or_default();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!(
            "{PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN])
        )
    }

    pub fn decode(&self, q: &FeedQuery, token: &str) -> Result<Cursor, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let rest = token.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
        let (payload_b64, mac_b64) = rest.split_once('.').ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| TokenError::Malformed)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac_b64)
            .map_err(|_| TokenError::Malformed)?;
        if mac.len() != MAC_LEN {
            return Err(TokenError::Malformed);
        }
        self.mac(&payload)
            .verify_truncated_left(&mac)
            .map_err(|_| TokenError::BadSignature)?;
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
        q.channel_id.as_deref().unwrap_or(""),
        &q.terms.join("\u{1f}"),
    ] {
        h.update(part.as_bytes());
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

    #[test]
    fn round_trip_and_url_safe() {
        let c = TokenCodec::new(b"secret");
        let tok = c.encode(&q(), &cursor());
        assert!(
            tok.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{tok}"
        );
        assert_eq!(c.decode(&q(), &tok).unwrap(), cursor());
        // limit is not part of the binding
        assert!(c.decode(&FeedQuery { limit: 5, ..q() }, &tok).is_ok());
    }

    #[test]
    fn tampering_forgery_and_mismatch_are_refused() {
        let c = TokenCodec::new(b"secret");
        let tok = c.encode(&q(), &cursor());
        // Flip one character of the payload.
        let mut bytes = tok.clone().into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(matches!(
            c.decode(&q(), &tampered),
            Err(TokenError::BadSignature | TokenError::Malformed)
        ));
        // Signed with another key.
        let forged = TokenCodec::new(b"other").encode(&q(), &cursor());
        assert_eq!(c.decode(&q(), &forged), Err(TokenError::BadSignature));
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
            "t2.abc.def",
            "t1.!!!.AAAA",
            &"t1.".repeat(1000),
        ] {
            assert!(c.decode(&q(), junk).is_err(), "{junk}");
        }
    }
}
