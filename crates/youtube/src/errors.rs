//! YouTube error bodies → [`SourceError`].

use serde::Deserialize;
use tubefeed_core::SourceError;

#[derive(Deserialize, Default)]
struct Envelope {
    #[serde(default)]
    error: ErrorBody,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<ErrorItem>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(Deserialize, Default)]
struct ErrorItem {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize, Default)]
struct Detail {
    #[serde(default)]
    reason: String,
}

/// Classifies a non-2xx answer. Works on both the legacy (`errors[].reason` only) and the
/// current (`status` + `details[].reason`) shapes, and on bodies that are not JSON at all.
pub fn classify_error(status: u16, body: &[u8]) -> SourceError {
    let env: Envelope = serde_json::from_slice(body).unwrap_or_default();
    let e = env.error;
    let reason = e.errors.first().map(|i| i.reason.as_str()).unwrap_or("");
    let detail_reasons: Vec<&str> = e.details.iter().map(|d| d.reason.as_str()).collect();
    let message = {
        let m = if e.message.is_empty() {
            e.errors.first().map(|i| i.message.as_str()).unwrap_or("")
        } else {
            &e.message
        };
        short(m)
    };
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    let says_per_day = message.to_ascii_lowercase().contains("per day");

    match status {
        429 if says_per_day => SourceError::QuotaExhausted(message),
        429 => SourceError::RateLimited(message),
        403 if matches!(
            reason,
            "quotaExceeded" | "dailyLimitExceeded" | "dailyLimitExceededUnreg"
        ) =>
        {
            SourceError::QuotaExhausted(message)
        }
        403 if matches!(reason, "rateLimitExceeded" | "userRateLimitExceeded") && says_per_day => {
            SourceError::QuotaExhausted(message)
        }
        403 if matches!(reason, "rateLimitExceeded" | "userRateLimitExceeded") => {
            SourceError::RateLimited(message)
        }
        403 if reason == "accessNotConfigured" || detail_reasons.contains(&"SERVICE_DISABLED") => {
            SourceError::ApiNotEnabled(message)
        }
        // Key-level refusals in the current format: expired, or restricted to other APIs,
        // addresses, referrers or apps. None of them gets better by retrying with this key.
        400 | 403
            if reason == "keyInvalid"
                || detail_reasons.iter().any(|r| {
                    matches!(
                        *r,
                        "API_KEY_INVALID"
                            | "API_KEY_EXPIRED"
                            | "API_KEY_SERVICE_BLOCKED"
                            | "API_KEY_IP_ADDRESS_BLOCKED"
                            | "API_KEY_HTTP_REFERRER_BLOCKED"
                            | "API_KEY_ANDROID_APP_BLOCKED"
                            | "API_KEY_IOS_APP_BLOCKED"
                    )
                }) =>
        {
            SourceError::InvalidKey
        }
        403 => SourceError::Forbidden(message),
        500..=599 => SourceError::Server { status, message },
        _ => SourceError::BadRequest {
            reason: if reason.is_empty() {
                e.status.clone()
            } else {
                reason.to_owned()
            },
            message,
        },
    }
}

/// Error messages go to logs and summaries: strip YouTube's HTML and keep them short.
fn short(m: &str) -> String {
    let mut out = String::with_capacity(m.len().min(300));
    let mut in_tag = false;
    for c in m.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    if out.chars().count() > 300 {
        out = out.chars().take(297).collect::<String>() + "...";
    }
    out
}
