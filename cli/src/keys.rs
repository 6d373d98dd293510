//! `tubefeed keys list|add|remove`: the configured key source and the shared key state, by
//! fingerprint. No key value is ever printed.

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use clap::Subcommand;
use tubefeed_app::{App, AppKeyRing};
use tubefeed_core::key_source::validate_key;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{Added, Fingerprint, KeySource, ProjectReport, Removed};
use tubefeed_dynamo::{KeyState, KeyStatus};

use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List keys by fingerprint with their project and state, then each Google Cloud project's
    /// search calls today and left (never key values).
    List {
        /// One JSON object per key, then one per project, instead of tables.
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

pub async fn run(app: &App, command: KeysCommand) -> Result<(), CliError> {
    let ring = app.key_ring()?;
    match command {
        KeysCommand::List { json } => list(&ring, json).await,
        KeysCommand::Add { key, from_stdin: _ } => add(&ring, key).await,
        KeysCommand::Remove { key } => remove(&ring, &key).await,
    }
}

async fn list(ring: &AppKeyRing, json: bool) -> Result<(), CliError> {
    let now = Utc::now();
    let failed = |e| CliError::failed(format!("keys: {e}"));
    let statuses = ring.statuses(now).await.map_err(failed)?;
    let projects = ring.projects(now).await.map_err(failed)?;
    if json {
        print_json(&statuses, &projects);
    } else {
        print_table(&ring.source().describe(), &statuses, &projects, now);
    }
    Ok(())
}

async fn add(ring: &AppKeyRing, key: Option<String>) -> Result<(), CliError> {
    let raw = match key {
        Some(k) => {
            eprintln!(
                "tubefeed: note: a key given as an argument may stay in your shell \
                 history; `tubefeed keys add` without it reads standard input"
            );
            k
        }
        None => read_key_from_stdin().map_err(|e| {
            CliError::usage(format!("could not read the key from standard input: {e}"))
        })?,
    };
    let key = validate_key(&raw).map_err(CliError::usage)?;
    match ring.source().add(key).await {
        Ok(Added::Added(fp)) => println!("added {fp} to {}", ring.source().describe()),
        Ok(Added::AlreadyPresent(fp)) => {
            println!("{fp} is already in {}", ring.source().describe())
        }
        Err(e) => return Err(CliError::failed(e)),
    }
    Ok(())
}

async fn remove(ring: &AppKeyRing, key: &str) -> Result<(), CliError> {
    let fp = parse_fingerprint(key).unwrap_or_else(|| Fingerprint::of(key.trim()));
    match ring.source().remove(&fp).await {
        Ok(Removed::Removed(fp)) => {
            // The state goes too: a key added back later starts clean.
            if let Err(e) = ring.store().forget_key(&fp).await {
                eprintln!("tubefeed: note: the key's stored state stays: {e}");
            }
            println!("removed {fp} from {}", ring.source().describe());
            Ok(())
        }
        Ok(Removed::NotFound) => Err(CliError::failed(format!(
            "no key with fingerprint {fp} in {}",
            ring.source().describe()
        ))),
        Err(e) => Err(CliError::failed(e)),
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

/// One object per key (`"kind": "key"`), then one per project (`"kind": "project"`).
fn print_json(statuses: &[KeyStatus], projects: &[ProjectReport]) {
    let keys = statuses.iter().map(serde_json::to_value);
    let projects = projects.iter().map(serde_json::to_value);
    for (kind, v) in keys
        .map(|v| ("key", v))
        .chain(projects.map(|v| ("project", v)))
    {
        match v {
            Ok(serde_json::Value::Object(mut m)) => {
                m.insert("kind".into(), kind.into());
                println!("{}", serde_json::Value::Object(m));
            }
            Ok(other) => println!("{other}"),
            Err(e) => eprintln!("tubefeed: {e}"),
        }
    }
}

/// Left-aligned columns, each as wide as its widest cell.
fn print_columns(header: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

fn print_table(
    source: &str,
    statuses: &[KeyStatus],
    projects: &[ProjectReport],
    now: DateTime<Utc>,
) {
    let reset = next_pacific_midnight(now);
    let left = reset - now;
    println!(
        "{} key(s) in {source}; quotas reset at midnight Pacific: {} (in {}h{:02}m)",
        statuses.len(),
        short_time(reset),
        left.num_hours(),
        left.num_minutes() % 60
    );
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|s| {
            vec![
                s.fingerprint.to_string(),
                s.project.clone(),
                state_text(&s.state),
            ]
        })
        .collect();
    print_columns(&["FINGERPRINT", "PROJECT", "STATE"], &rows);
    println!();
    let rows: Vec<Vec<String>> = projects
        .iter()
        .map(|p| {
            let mut note = Vec::new();
            if p.learned {
                note.push("learned: keys that ran dry together");
            }
            if p.ran_dry_early {
                note.push("YouTube refused it before its count ran out");
            }
            vec![
                p.project.clone(),
                p.keys.to_string(),
                format!("{}/{}", p.calls_today, p.daily_calls),
                p.calls_left.to_string(),
                note.join("; "),
            ]
        })
        .collect();
    print_columns(&["PROJECT", "KEYS", "CALLS TODAY", "LEFT", "NOTE"], &rows);
    let usable = statuses
        .iter()
        .filter(|s| matches!(s.state, KeyState::Available | KeyState::RateLimited { .. }))
        .count();
    let calls_left: u64 = projects.iter().map(|p| u64::from(p.calls_left)).sum();
    println!(
        "{usable} key(s) usable, {calls_left} search call(s) left today in {} project(s)",
        projects.len()
    );
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
