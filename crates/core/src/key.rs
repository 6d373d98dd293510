//! An API key: its secret value, its public fingerprint, and the Google Cloud project it bills.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A YouTube API key, and the Google Cloud project it bills when the operator said which (see
/// [`crate::quota`]). The value is only reachable through [`ApiKey::expose`], which the
/// YouTube adapter calls when building a request; `Debug` prints the fingerprint.
#[derive(Clone)]
pub struct ApiKey {
    secret: SecretString,
    fingerprint: Fingerprint,
    project: Option<ProjectName>,
    daily_calls: Option<u32>,
}

impl ApiKey {
    pub fn new(value: &str) -> Self {
        let value = value.trim();
        Self {
            fingerprint: Fingerprint::of(value),
            secret: SecretString::from(value.to_owned()),
            project: None,
            daily_calls: None,
        }
    }
    /// The same key, billing `project`, whose daily search calls are `daily_calls` when given.
    pub fn in_project(self, project: ProjectName, daily_calls: Option<u32>) -> Self {
        Self {
            project: Some(project),
            daily_calls,
            ..self
        }
    }
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }
    pub fn project(&self) -> Option<&ProjectName> {
        self.project.as_ref()
    }
    pub fn daily_calls(&self) -> Option<u32> {
        self.daily_calls
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.project {
            Some(p) => write!(f, "ApiKey({} in {p})", self.fingerprint),
            None => write!(f, "ApiKey({})", self.fingerprint),
        }
    }
}

/// A short, non-reversible name for a key: the first 12 hex digits of its SHA-256. 48 bits
/// tell a handful of keys apart without helping anyone guess the 39-character original.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(value: &str) -> Self {
        let digest = Sha256::digest(value.as_bytes());
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        Self(format!("key-{hex}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Rebuilds a fingerprint read back from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Google Cloud project's name as the operator wrote it: 1 to 63 letters, digits, `-`, `_`
/// or `.`. Names starting `key-` or `learned-` are refused: those are how tubefeed names a
/// key's own project and a learned one, and a report must not be ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectNameError {
    #[error("a project name must be 1 to 63 letters, digits, '-', '_' or '.'")]
    Shape,
    #[error("a project name may not start with 'key-' or 'learned-' (tubefeed's own names)")]
    Reserved,
}

impl ProjectName {
    pub fn parse(raw: &str) -> Result<Self, ProjectNameError> {
        let s = raw.trim();
        let ok = (1..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return Err(ProjectNameError::Shape);
        }
        if s.starts_with("key-") || s.starts_with("learned-") {
            return Err(ProjectNameError::Reserved);
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectName {
    type Error = ProjectNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ProjectName> for String {
    fn from(p: ProjectName) -> String {
        p.0
    }
}
impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_hides_the_key() {
        let k = ApiKey::new("AIzaSyA-very-secret-value-1234567890abc");
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(dbg.starts_with("ApiKey(key-"));
        assert_eq!(k.fingerprint().as_str().len(), "key-".len() + 12);
        assert_ne!(Fingerprint::of("a"), Fingerprint::of("b"));
    }

    #[test]
    fn project_names_are_checked() {
        assert!(ProjectName::parse("tubefeed-1").is_ok());
        assert_eq!(ProjectName::parse(""), Err(ProjectNameError::Shape));
        assert_eq!(ProjectName::parse("a b"), Err(ProjectNameError::Shape));
        assert_eq!(ProjectName::parse("key-1"), Err(ProjectNameError::Reserved));
        assert_eq!(
            ProjectName::parse(&"x".repeat(64)),
            Err(ProjectNameError::Shape)
        );
    }
}
