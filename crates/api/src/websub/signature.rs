//! `X-Hub-Signature: <algorithm>=<hex>`: the HMAC of a push's raw body with the secret we gave
//! the hub (WebSub §8). Read before the body (an unsigned push is refused without reading it),
//! checked after, in constant time.

use axum::http::HeaderMap;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};

use crate::error::ApiError;

/// The header the hub signs with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn named(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Bytes of the MAC.
    fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// A push's claimed signature, well formed (not yet checked).
#[derive(Debug)]
pub struct Signature {
    algorithm: Algorithm,
    mac: Vec<u8>,
}

impl Signature {
    /// The request's signature: `403` when it has none, or none this callback can check.
    pub fn of(headers: &HeaderMap) -> Result<Self, ApiError> {
        let raw = headers.get(SIGNATURE_HEADER).ok_or(ApiError::Forbidden(
            "unsigned push: no X-Hub-Signature header",
        ))?;
        let malformed = ApiError::Forbidden(
            "malformed X-Hub-Signature: expected <algorithm>=<hex digest of the body>",
        );
        let (name, hex) = raw
            .to_str()
            .ok()
            .and_then(|v| v.trim().split_once('='))
            .ok_or(malformed)?;
        let algorithm = Algorithm::named(name).ok_or(ApiError::Forbidden(
            "unsupported X-Hub-Signature algorithm: sha1, sha256, sha384 or sha512",
        ))?;
        let mac = decode_hex(hex)
            .filter(|mac| mac.len() == algorithm.len())
            .ok_or(ApiError::Forbidden(
                "malformed X-Hub-Signature: the digest is not hex of its algorithm's length",
            ))?;
        Ok(Self { algorithm, mac })
    }

    /// Whether `body` carries this signature under `secret`, compared in constant time. An
    /// empty secret verifies nothing (anyone could sign with it).
    pub fn verifies(&self, secret: &[u8], body: &[u8]) -> bool {
        if secret.is_empty() {
            return false;
        }
        match self.algorithm {
            Algorithm::Sha1 => check::<Hmac<sha1::Sha1>>(secret, body, &self.mac),
            Algorithm::Sha256 => check::<Hmac<sha2::Sha256>>(secret, body, &self.mac),
            Algorithm::Sha384 => check::<Hmac<sha2::Sha384>>(secret, body, &self.mac),
            Algorithm::Sha512 => check::<Hmac<sha2::Sha512>>(secret, body, &self.mac),
        }
    }
}

fn check<M: Mac + KeyInit>(secret: &[u8], body: &[u8], claimed: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(claimed).is_ok()
}

/// Hex digits (either case) to bytes; `None` for anything else or an odd count.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| char::from(b).to_digit(16);
    let bytes = hex.as_bytes();
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_either_case_and_nothing_else() {
        assert_eq!(decode_hex("00ffA0"), Some(vec![0, 255, 160]));
        for bad in ["", "0", "0g", "+1", " 1", "é1"] {
            assert_eq!(decode_hex(bad), None, "{bad:?}");
        }
    }
}
