//! `tubefeed page-keys list|rotate`: the keys that sign page tokens, by id (never their bytes).

use chrono::Utc;
use clap::Subcommand;
use tubefeed_app::{App, PageTokenSecret, page_keys};

use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum PageKeysCommand {
    /// List the signing keys: id, when each signs from and when it is retired.
    List,
    /// Add a new key of 32 random bytes to PAGE_TOKEN_SECRET_ID's secret. It signs 10 minutes
    /// from now (every warm API process reads it before); tokens of the key signing now stay good
    /// for the window after that, then are refused (clients start again from the first page).
    Rotate {
        /// How long tokens signed with the old key stay good, in hours.
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
        window_hours: u32,
    },
}

pub async fn run(app: &App, command: PageKeysCommand) -> Result<(), CliError> {
    let id = match &app.config.page_token_secret {
        Some(PageTokenSecret::SecretId(id)) => id.clone(),
        Some(PageTokenSecret::Literal(_)) => {
            return Err(CliError::usage(
                "page-keys: PAGE_TOKEN_SECRET is a literal; rotate it by changing the \
                 variable (tokens signed with the old value are then refused), or keep the keys \
                 in Secrets Manager (PAGE_TOKEN_SECRET_ID)",
            ));
        }
        None => {
            return Err(CliError::usage(
                "page-keys: set PAGE_TOKEN_SECRET_ID (the secret holding the keys)",
            ));
        }
    };
    let client = app.secrets_client();
    let now = Utc::now();
    let keys = match command {
        PageKeysCommand::List => page_keys::read(&client, &id).await,
        PageKeysCommand::Rotate { window_hours } => {
            let window = chrono::Duration::hours(i64::from(window_hours));
            page_keys::rotate(&client, &id, now, window).await
        }
    };
    let keys = keys.map_err(|e| CliError::failed(format!("page-keys: {e}")))?;
    for k in keys.keys() {
        let line = serde_json::json!({
            "id": k.id,
            "active_from": k.active_from,
            "retire_at": k.retire_at,
        });
        println!("{line}");
    }
    Ok(())
}
