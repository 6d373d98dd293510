//! Deterministic identifiers shaped like YouTube's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// SHA-256 over the parts, with a separator so `("ab","c")` and `("a","bc")` differ.
pub(crate) fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

pub(crate) fn hash64(parts: &[&[u8]]) -> u64 {
    let d = digest(parts);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// A video id is 64 random bits in base64url: 11 characters whose last one is one of 16
/// (`AEIMQUYcgkosw048`), exactly like real ids.
pub(crate) fn video_id(seed: u64, scope: &str, n: u64, salt: u32) -> String {
    let h = hash64(&[
        b"video",
        &seed.to_le_bytes(),
        scope.as_bytes(),
        &n.to_le_bytes(),
        &salt.to_le_bytes(),
    ]);
    URL_SAFE_NO_PAD.encode(h.to_be_bytes())
}

/// A channel id is `UC` plus 128 bits in base64url (22 characters, the last one of `AQgw`).
pub(crate) fn channel_id(name: &str) -> String {
    let d = digest(&[b"channel", name.as_bytes()]);
    format!("UC{}", URL_SAFE_NO_PAD.encode(&d[..16]))
}

/// Current-format etags: 160 bits in base64url, 27 characters, no quotes.
pub(crate) fn etag(parts: &[&[u8]]) -> String {
    let d = digest(parts);
    URL_SAFE_NO_PAD.encode(&d[..20])
}

/// A stable, plausible Google Cloud project number for a key, used in error messages.
pub(crate) fn project_number(key: &str) -> u64 {
    100_000_000_000 + hash64(&[b"project", key.as_bytes()]) % 900_000_000_000
}

/// Maps `(seed, n)` to `[0, 1)`, for decisions that must not depend on call interleaving.
pub(crate) fn unit_f64(seed: u64, scope: &str, n: u64) -> f64 {
    let h = hash64(&[scope.as_bytes(), &seed.to_le_bytes(), &n.to_le_bytes()]);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Characters YouTube ever puts in a channel id; anything else cannot name a channel.
pub(crate) fn well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_ids_look_real() {
        for n in 0..200 {
            let id = video_id(7, "cricket", n, 0);
            assert_eq!(id.len(), 11);
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
            assert!("AEIMQUYcgkosw048".contains(id.chars().last().unwrap_or('?')));
        }
        assert_eq!(video_id(7, "cricket", 3, 0), video_id(7, "cricket", 3, 0));
        assert_ne!(video_id(7, "cricket", 3, 0), video_id(8, "cricket", 3, 0));
    }

    #[test]
    fn channel_ids_and_etags_look_real() {
        let c = channel_id("Stadium Talk");
        assert_eq!(c.len(), 24);
        assert!(c.starts_with("UC"));
        assert!("AQgw".contains(c.chars().last().unwrap_or('?')));
        assert_eq!(etag(&[b"x"]).len(), 27);
        let p = project_number("k");
        assert!((100_000_000_000..1_000_000_000_000).contains(&p));
    }
}
