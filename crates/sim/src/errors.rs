//! YouTube-shaped error answers, modelled field by field on real captures.
//!
//! Two generations of Google error bodies coexist and clients meet both: the legacy one lists
//! `errors` before `code`/`message`, is indented by one space and has no `status`; the current
//! one starts with `code`/`message`, is indented by two spaces and may carry `status` and
//! `details`. Each variant below reproduces the generation it was captured in.

use crate::config::{InvalidKeyShape, QuotaErrorShape};
use crate::json::Node;

/// Why a search request fails. Rendered by [`ApiError::render`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("no API key")]
    MissingKey,
    #[error("unknown API key")]
    InvalidKey(InvalidKeyShape),
    #[error("YouTube Data API not enabled for project {project}")]
    AccessNotConfigured { project: u64 },
    #[error("daily search quota exhausted for project {project}")]
    QuotaExhausted {
        shape: QuotaErrorShape,
        project: u64,
    },
    /// A `youtube.parameter`-style 400 (`invalidParameter`, `invalidPageToken`, ...).
    #[error("{message}")]
    BadParameter {
        domain: &'static str,
        reason: &'static str,
        message: String,
        location: &'static str,
    },
    /// A timestamp that the Google front end could not turn into a protobuf Timestamp.
    #[error("invalid timestamp in {field}")]
    BadTimestamp {
        field: &'static str,
        missing_zone: bool,
    },
    /// 500 or 503 `backendError`.
    #[error("backend error {code}")]
    Backend { code: u16 },
}

const LEGACY_INDENT: &[u8] = b" ";
const MODERN_INDENT: &[u8] = b"  ";

impl ApiError {
    pub(crate) fn invalid_parameter(location: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadParameter {
            domain: "youtube.parameter",
            reason: "invalidParameter",
            message: message.into(),
            location,
        }
    }

    pub(crate) fn invalid_page_token() -> Self {
        ApiError::BadParameter {
            domain: "youtube.parameter",
            reason: "invalidPageToken",
            message: "The request specifies an invalid page token.".to_owned(),
            location: "pageToken",
        }
    }

    pub(crate) fn status(&self) -> u16 {
        match self {
            ApiError::MissingKey | ApiError::AccessNotConfigured { .. } => 403,
            ApiError::InvalidKey(_)
            | ApiError::BadParameter { .. }
            | ApiError::BadTimestamp { .. } => 400,
            ApiError::QuotaExhausted { shape, .. } => match shape {
                QuotaErrorShape::Legacy403 | QuotaErrorShape::Daily403 => 403,
                QuotaErrorShape::PerDay429 => 429,
            },
            ApiError::Backend { code } => *code,
        }
    }

    /// The HTTP status and the exact body text.
    // sizes: data (Google's error bodies, one arm each, as captured)
    pub(crate) fn render(&self) -> (u16, String) {
        let status = self.status();
        let code = i64::from(status);
        let body = match self {
            ApiError::MissingKey => {
                let msg = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
                modern(code, msg, vec![item(msg, "global", "forbidden")])
                    .with("status", "PERMISSION_DENIED")
                    .wire()
            }
            ApiError::InvalidKey(InvalidKeyShape::Modern400) => {
                let msg = "API key not valid. Please pass a valid API key.";
                modern(code, msg, vec![item(msg, "global", "badRequest")])
                    .with("status", "INVALID_ARGUMENT")
                    .with(
                        "details",
                        vec![
                            Node::obj()
                                .with("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                                .with("reason", "API_KEY_INVALID")
                                .with("domain", "googleapis.com")
                                .with(
                                    "metadata",
                                    Node::obj().with("service", "youtube.googleapis.com"),
                                ),
                        ],
                    )
                    .wire()
            }
            ApiError::InvalidKey(InvalidKeyShape::Legacy400) => legacy(
                code,
                "Bad Request",
                Node::obj()
                    .with("domain", "usageLimits")
                    .with("reason", "keyInvalid")
                    .with("message", "Bad Request"),
            ),
            ApiError::AccessNotConfigured { project } => {
                let console = format!(
                    "https://console.developers.google.com/apis/api/youtube.googleapis.com/overview?project={project}"
                );
                let msg = format!(
                    "YouTube Data API v3 has not been used in project {project} before or it is disabled. Enable it by visiting {console} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
                );
                modern(
                    code,
                    &msg,
                    vec![
                        item(&msg, "usageLimits", "accessNotConfigured")
                            .with("extendedHelp", "https://console.developers.google.com"),
                    ],
                )
                .with("status", "PERMISSION_DENIED")
                .with(
                    "details",
                    vec![
                        Node::obj()
                            .with("@type", "type.googleapis.com/google.rpc.Help")
                            .with(
                                "links",
                                vec![
                                    Node::obj()
                                        .with(
                                            "description",
                                            "Google developers console API activation",
                                        )
                                        .with("url", console.as_str()),
                                ],
                            ),
                        Node::obj()
                            .with("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                            .with("reason", "SERVICE_DISABLED")
                            .with("domain", "googleapis.com")
                            .with(
                                "metadata",
                                Node::obj()
                                    .with("service", "youtube.googleapis.com")
                                    .with("consumer", format!("projects/{project}")),
                            ),
                    ],
                )
                .wire()
            }
            ApiError::QuotaExhausted {
                shape: QuotaErrorShape::Legacy403,
                ..
            } => {
                let msg = "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.";
                modern(code, msg, vec![item(msg, "youtube.quota", "quotaExceeded")]).wire()
            }
            ApiError::QuotaExhausted {
                shape: QuotaErrorShape::Daily403,
                project,
            } => {
                let help = format!(
                    "https://console.developers.google.com/apis/api/youtube/quotas?project={project}"
                );
                let msg = format!(
                    "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT). You may monitor your quota usage and adjust limits in the API Console: {help}"
                );
                legacy(
                    code,
                    &msg,
                    Node::obj()
                        .with("domain", "usageLimits")
                        .with("reason", "dailyLimitExceeded")
                        .with("message", msg.as_str())
                        .with("extendedHelp", help),
                )
            }
            ApiError::QuotaExhausted {
                shape: QuotaErrorShape::PerDay429,
                project,
            } => {
                let msg = format!(
                    "Quota exceeded for quota metric 'Search Queries' and limit 'Search Queries per day' of service 'youtube.googleapis.com' for consumer 'project_number:{project}'."
                );
                modern(code, &msg, vec![item(&msg, "global", "rateLimitExceeded")]).wire()
            }
            ApiError::BadParameter {
                domain,
                reason,
                message,
                location,
            } => modern(
                code,
                message,
                vec![
                    item(message, domain, reason)
                        .with("location", *location)
                        .with("locationType", "parameter"),
                ],
            )
            .wire(),
            ApiError::BadTimestamp {
                field,
                missing_zone,
            } => {
                let what = if *missing_zone {
                    "Illegal timestamp format; timestamps must end with 'Z' or have a valid timezone offset."
                } else {
                    "Invalid time format: Failed to parse input"
                };
                let msg = format!(
                    "Invalid value at '{field}' (type.googleapis.com/google.protobuf.Timestamp), Field '{field}', {what}"
                );
                modern(code, &msg, vec![item(&msg, "global", "invalid")])
                    .with("status", "INVALID_ARGUMENT")
                    .with(
                        "details",
                        vec![
                            Node::obj()
                                .with("@type", "type.googleapis.com/google.rpc.BadRequest")
                                .with(
                                    "fieldViolations",
                                    vec![
                                        Node::obj()
                                            .with("field", *field)
                                            .with("description", msg.as_str()),
                                    ],
                                ),
                        ],
                    )
                    .wire()
            }
            ApiError::Backend { .. } => legacy(
                code,
                "Backend Error",
                Node::obj()
                    .with("domain", "global")
                    .with("reason", "backendError")
                    .with("message", "Backend Error"),
            ),
        };
        (status, body)
    }
}

/// Builder state for a current-format error, closed by [`Modern::wire`].
struct Modern(Node);

impl Modern {
    fn with(self, key: &str, value: impl Into<Node>) -> Modern {
        Modern(self.0.with(key, value))
    }

    fn wire(self) -> String {
        Node::obj().with("error", self.0).to_wire(MODERN_INDENT)
    }
}

fn modern(code: i64, message: &str, errors: Vec<Node>) -> Modern {
    Modern(
        Node::obj()
            .with("code", code)
            .with("message", message)
            .with("errors", errors),
    )
}

/// Current-format `errors[]` entries put `message` first.
fn item(message: &str, domain: &str, reason: &str) -> Node {
    Node::obj()
        .with("message", message)
        .with("domain", domain)
        .with("reason", reason)
}

fn legacy(code: i64, message: &str, error_item: Node) -> String {
    Node::obj()
        .with(
            "error",
            Node::obj()
                .with("errors", vec![error_item])
                .with("code", code)
                .with("message", message),
        )
        .to_wire(LEGACY_INDENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parse(e: &ApiError) -> (u16, Value) {
        let (s, b) = e.render();
        (s, serde_json::from_str(&b).unwrap())
    }

    #[test]
    fn backend_error_matches_the_legacy_capture_byte_for_byte() {
        let (s, b) = ApiError::Backend { code: 503 }.render();
        assert_eq!(s, 503);
        let expected = "{\n \"error\": {\n  \"errors\": [\n   {\n    \"domain\": \"global\",\n    \"reason\": \"backendError\",\n    \"message\": \"Backend Error\"\n   }\n  ],\n  \"code\": 503,\n  \"message\": \"Backend Error\"\n }\n}\n";
        assert_eq!(b, expected);
    }

    #[test]
    fn quota_shapes() {
        let (s, v) = parse(&ApiError::QuotaExhausted {
            shape: QuotaErrorShape::Legacy403,
            project: 1,
        });
        assert_eq!(s, 403);
        assert_eq!(v["error"]["errors"][0]["reason"], "quotaExceeded");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("<a href=\"/youtube/v3/getting-started#quota\">quota</a>")
        );
        let (s, v) = parse(&ApiError::QuotaExhausted {
            shape: QuotaErrorShape::PerDay429,
            project: 123,
        });
        assert_eq!(s, 429);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("'Search Queries per day'")
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("project_number:123")
        );
    }
}
