//! The CLI's one error type and its one mapping to exit codes: 2 for what the user must fix
//! before running again (configuration, arguments, unreadable input), 1 for an operation that
//! failed (the store, the key source, YouTube), and 1, with nothing more to say, for an outcome
//! the command has already printed (a fetch summary with `"ok": false`, an import with bad lines).

use std::process::ExitCode;

use tubefeed_app::{ConfigError, StartupError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Startup(#[from] StartupError),
    /// An argument, or the input it names, the user must fix.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
    /// The command printed its own account of the failure.
    #[error("the command failed (see above)")]
    Reported,
}

impl CliError {
    pub fn usage(msg: impl std::fmt::Display) -> Self {
        Self::Usage(msg.to_string())
    }

    pub fn failed(msg: impl std::fmt::Display) -> Self {
        Self::Failed(msg.to_string())
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Config(_) | CliError::Startup(_) | CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) | CliError::Reported => ExitCode::FAILURE,
        }
    }
}

/// `--topic` values, or every configured topic when none is given.
pub fn topics_or_all(
    given: &[String],
    configured: &[tubefeed_core::Topic],
) -> Result<Vec<tubefeed_core::Topic>, CliError> {
    if given.is_empty() {
        return Ok(configured.to_vec());
    }
    given
        .iter()
        .map(|t| tubefeed_core::Topic::parse(t))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::usage(format!("--topic: {e}")))
}
