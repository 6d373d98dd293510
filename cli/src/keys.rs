//! `tubefeed keys list|add|remove`: the configured key source and the shared key state, by
//! fingerprint. No key value is ever printed.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use tubefeed_app::App;
use tubefeed_core::key_source::validate_key;
use tubefeed_core::keys::next_pacific_midnight;
use tubefeed_core::{Added, Fingerprint, KeySource, Removed};
use tubefeed_dynamo::{KeyState, KeyStatus};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List keys by fingerprint: state, calls today, next reset (never key values).
    List {
        /// One JSON object per key instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add a key to the configured source. Without KEY, reads it from standard input, which
    /// keeps it out of shell history.
    Add {
        /// The key (discouraged: it stays in shell history; prefer standard input).
        key: Option<String>,
        /// Read the key from standard input (the default when KEY is not given).
        #[arg(long, conflicts_with = "key")]
        from_stdin: bool,
    },
    /// Remove a key, named by its fingerprint (key-xxxxxxxxxxxx) or by its value.
    Remove {
        /// A fingerprint as `keys list` prints it, or the key itself.
        key: String,
    },
}

pub async fn run(app: &App, command: KeysCommand) -> ExitCode {
    let ring = match app.key_ring() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tubefeed: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        KeysCommand::List { json } => {
            let now = Utc::now();
            let statuses = match ring.statuses(now).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("tubefeed: keys: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if json {
                for s in &statuses {
                    match serde_json::to_string(s) {
                        Ok(line) => println!("{line}"),
                        Err(e) => eprintln!("tubefeed: {e}"),
                    }
                }
            } else {
                print_table(&ring.source().describe(), &statuses, now);
            }
            ExitCode::SUCCESS
        }
        KeysCommand::Add { key, from_stdin: _ } => {
            let raw = match key {
                Some(k) => {
                    eprintln!(
                        "tubefeed: note: a key given as an argument may stay in your shell \
                         history; `tubefeed keys add` without it reads standard input"
                    );
                    k
                }
                None => match read_key_from_stdin() {
                    Ok(k) => k,
                    Err(e) => {
                        eprintln!("tubefeed: could not read the key from standard input: {e}");
                        return ExitCode::from(2);
                    }
                },
            };
            let key = match validate_key(&raw) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("tubefeed: {e}");
                    return ExitCode::from(2);
                }
            };
            match ring.source().add(key).await {
                Ok(Added::Added(fp)) => {
                    println!("added {fp} to {}", ring.source().describe());
                    ExitCode::SUCCESS
                }
                Ok(Added::AlreadyPresent(fp)) => {
                    println!("{fp} is already in {}", ring.source().describe());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("tubefeed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        KeysCommand::Remove { key } => {
            let fp = parse_fingerprint(&key).unwrap_or_else(|| Fingerprint::of(key.trim()));
            match ring.source().remove(&fp).await {
                Ok(Removed::Removed(fp)) => {
                    // The state goes too: a key added back later starts clean.
                    if let Err(e) = ring.store().forget_key(&fp).await {
                        eprintln!("tubefeed: note: the key's stored state stays: {e}");
                    }
                    println!("removed {fp} from {}", ring.source().describe());
                    ExitCode::SUCCESS
                }
                Ok(Removed::NotFound) => {
                    eprintln!(
                        "tubefeed: no key with fingerprint {fp} in {}",
                        ring.source().describe()
                    );
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("tubefeed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `key-` and 12 lower-case hex digits, as [`Fingerprint::of`] writes them.
fn parse_fingerprint(s: &str) -> Option<Fingerprint> {
    let s = s.trim();
    let hex = s.strip_prefix("key-")?;
    (hex.len() == 12
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| Fingerprint::from_stored(s.to_owned()))
}

fn read_key_from_stdin() -> std::io::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Paste the API key and press Enter: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line)
}

fn state_text(s: &KeyState) -> String {
    match s {
        KeyState::Available => "available".into(),
        KeyState::Exhausted { until } => format!("exhausted until {}", short_time(*until)),
        KeyState::RateLimited { until } => format!("rate-limited until {}", short_time(*until)),
        KeyState::Invalid => "invalid (until the key list changes)".into(),
    }
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn print_table(source: &str, statuses: &[KeyStatus], now: DateTime<Utc>) {
    let reset = next_pacific_midnight(now);
    let left = reset - now;
    println!(
        "{} key(s) in {source}; quotas reset at midnight Pacific: {} (in {}h{:02}m)",
        statuses.len(),
        short_time(reset),
        left.num_hours(),
        left.num_minutes() % 60
    );
    let rows: Vec<[String; 3]> = statuses
        .iter()
        .map(|s| {
            [
                s.fingerprint.to_string(),
                state_text(&s.state),
                format!("{}/{}", s.calls_today, s.daily_budget),
            ]
        })
        .collect();
    let w0 = rows.iter().map(|r| r[0].len()).max().unwrap_or(0).max(11);
    let w1 = rows.iter().map(|r| r[1].len()).max().unwrap_or(0).max(5);
    println!("{:<w0$}  {:<w1$}  CALLS TODAY", "FINGERPRINT", "STATE");
    for r in rows {
        println!("{:<w0$}  {:<w1$}  {}", r[0], r[1], r[2]);
    }
    let usable = statuses
        .iter()
        .filter(|s| !matches!(s.state, KeyState::Invalid))
        .count();
    let calls_left: u64 = statuses
        .iter()
        .filter(|s| matches!(s.state, KeyState::Available | KeyState::RateLimited { .. }))
        .map(|s| u64::from(s.daily_budget.saturating_sub(s.calls_today)))
        .sum();
    println!("{usable} usable, {calls_left} calls left today");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_recognised_and_keys_are_not() {
        let fp = Fingerprint::of("AIzaSomething");
        assert_eq!(parse_fingerprint(fp.as_str()), Some(fp));
        assert_eq!(parse_fingerprint("AIzaSomething"), None);
        assert_eq!(parse_fingerprint("key-XYZ"), None);
    }
}
