//! Page tokens.
//!
//! Real tokens are a base64url protobuf: field 1 = offset, field 2 = direction (`CDIQAA` is
//! offset 50 forward, `CBkQAQ` offset 25 backward). These add field 3, a 32-bit hash of the
//! query, so a token replayed against another query is rejected like YouTube rejects it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Offsets beyond this are never produced, so a larger one is a forgery.
const MAX_OFFSET: u64 = 1 << 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageToken {
    /// Index in the ordered result list. Forward tokens start the page there; backward tokens
    /// name the start of the page they were issued on, and the previous page ends just before it.
    pub offset: u64,
    pub backward: bool,
    pub query_hash: u32,
}

impl PageToken {
    pub(crate) fn encode(&self) -> String {
        let mut buf = Vec::with_capacity(12);
        buf.push(0x08);
        put_varint(&mut buf, self.offset);
        buf.push(0x10);
        put_varint(&mut buf, u64::from(self.backward));
        buf.push(0x18);
        put_varint(&mut buf, u64::from(self.query_hash));
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// `None` for anything that this simulator did not issue.
    pub(crate) fn decode(token: &str) -> Option<PageToken> {
        // Clients sometimes keep the `=` padding of other base64 encoders; tolerate it.
        let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
        let mut rest = bytes.as_slice();
        let offset = take_field(&mut rest, 0x08)?;
        let direction = take_field(&mut rest, 0x10)?;
        let hash = take_field(&mut rest, 0x18)?;
        if !rest.is_empty() || offset > MAX_OFFSET || direction > 1 {
            return None;
        }
        Some(PageToken {
            offset,
            backward: direction == 1,
            query_hash: u32::try_from(hash).ok()?,
        })
    }
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

fn take_field(rest: &mut &[u8], tag: u8) -> Option<u64> {
    let (&first, tail) = rest.split_first()?;
    if first != tag {
        return None;
    }
    *rest = tail;
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, tail) = rest.split_first()?;
        *rest = tail;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_youtube_tokens() {
        let t = PageToken {
            offset: 50,
            backward: false,
            query_hash: 0xdead_beef,
        };
        let s = t.encode();
        assert!(s.starts_with("CDIQA"), "{s}");
        assert!(s.len() <= 16);
        assert_eq!(PageToken::decode(&s), Some(t));
        let back = PageToken {
            offset: 25,
            backward: true,
            query_hash: 1,
        };
        assert!(back.encode().starts_with("CBkQAR"));
        assert_eq!(PageToken::decode(&back.encode()), Some(back));
    }

    #[test]
    fn rejects_foreign_tokens() {
        // Real YouTube tokens lack the query hash.
        assert_eq!(PageToken::decode("CDIQAA"), None);
        assert_eq!(PageToken::decode(""), None);
        assert_eq!(PageToken::decode("not a token!"), None);
        assert_eq!(PageToken::decode("CDIQABgBAA"), None);
    }
}
