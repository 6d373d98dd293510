//! Keeping AWS identifiers out of what the public (and every summary) can read.
//!
//! Summaries are logged, printed by `tubefeed fetch` and kept in the table, and errors from AWS
//! quote ARNs — with the account id in them — and secret ids that are ARNs when deployed.

/// How a secret is named in messages: an ARN's secret name (`tubefeed-keys-AbCdEf`), or the id
/// as given when it is a name already.
pub fn secret_name(id: &str) -> &str {
    match id.split_once(":secret:") {
        Some((arn, name)) if arn.starts_with("arn:") => name,
        _ => id,
    }
}

/// `text` with every ARN shortened to `arn:…:<its last part>` and every free-standing run of
/// twelve digits (an AWS account id) replaced by `<account>`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("arn:") {
        let boundary = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| c.is_whitespace() || "\"'`,;()[]{}<>".contains(c))
            .unwrap_or(tail.len());
        let arn = &tail[..end];
        if boundary && arn.matches(':').count() >= 5 {
            let last = arn.rsplit([':', '/']).next().unwrap_or("");
            out.push_str("arn:…:");
            out.push_str(last);
        } else {
            out.push_str(arn);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    account_ids(&out)
}

fn account_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 12 {
                out.push_str("<account>");
            } else {
                out.push_str(&text[start..i]);
            }
        } else {
            let ch = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch]);
            i += ch;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_account_ids_are_kept_out() {
        let e = "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:tubefeed-keys-AbCdEf is \
                 unavailable: User: arn:aws:sts::123456789012:assumed-role/fetch/x is not authorized \
                 (account 123456789012, request 9876543210987)";
        let r = redact(e);
        assert!(!r.contains("123456789012"), "{r}");
        assert!(r.contains("arn:…:tubefeed-keys-AbCdEf"), "{r}");
        assert!(r.contains("arn:…:x"), "{r}");
        assert!(
            r.contains("9876543210987"),
            "thirteen digits are not an account: {r}"
        );
        assert_eq!(
            redact("no arns here: learn:this"),
            "no arns here: learn:this"
        );
        assert_eq!(
            secret_name("arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbC"),
            "keys-AbC"
        );
        assert_eq!(secret_name("prod/tubefeed-keys"), "prod/tubefeed-keys");
    }
}
