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
use crate::output::outcome;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List keys by fingerprint with their project and state, then each Google Cloud project's
    /// search calls today and left (never key values).
    List {
        /// One JSON object per key, then one per project, instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Add a key to the configured source, read from standard input (a prompt on a terminal):
    /// a key value never goes on the command line, where shell history and `ps` would keep it.
    Add {
        /// Accepted for older scripts; standard input is the only way in.
        #[arg(long, hide = true)]
        from_stdin: bool,
        /// One JSON object instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// Remove a key, named by its fingerprint (key-xxxxxxxxxxxx, as `keys list` prints it), or
    /// `-` to read the key itself from standard input.
    Remove {
        /// A fingerprint, or `-` for the key value on standard input.
        key: String,
        /// One JSON object instead of a sentence.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(app: &App, command: KeysCommand) -> Result<(), CliError> {
    let ring = app.key_ring()?;
    match command {
        KeysCommand::List { json } => list(&ring, json).await,
        KeysCommand::Add {
            from_stdin: _,
            json,
        } => add(&ring, json).await,
        KeysCommand::Remove { key, json } => remove(&ring, &key, json).await,
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

async fn add(ring: &AppKeyRing, json: bool) -> Result<(), CliError> {
    let key = validate_key(&read_key_from_stdin()?).map_err(CliError::usage)?;
    let source = ring.source().describe();
    match ring.source().add(key).await {
        Ok(Added::Added(fp)) => outcome(
            json,
            format_args!("added {fp} to {source}"),
            serde_json::json!({"added": fp.to_string(), "source": source}),
        ),
        Ok(Added::AlreadyPresent(fp)) => outcome(
            json,
            format_args!("{fp} is already in {source}"),
            serde_json::json!({"already_present": fp.to_string(), "source": source}),
        ),
        Err(e) => return Err(CliError::failed(e)),
    }
    Ok(())
}

async fn remove(ring: &AppKeyRing, key: &str, json: bool) -> Result<(), CliError> {
    let source = ring.source().describe();
    let fp = match (key.trim(), parse_fingerprint(key)) {
        (_, Some(fp)) => fp,
        ("-", None) => Fingerprint::of(read_key_from_stdin()?.trim()),
        // Not echoed: it may be a key, and this message may end up in a log.
        _ => {
            return Err(CliError::usage(
                "keys remove takes a fingerprint (key- and 12 hex digits, from `tubefeed keys \
                 list`), or - to read the key from standard input; a key on the command line \
                 stays in shell history",
            ));
        }
    };
    match ring.source().remove(&fp).await {
        Ok(Removed::Removed(fp)) => {
            // The state goes too: a key added back later starts clean.
            if let Err(e) = ring.store().forget_key(&fp).await {
                eprintln!("tubefeed: note: the key's stored state stays: {e}");
            }
            outcome(
                json,
                format_args!("removed {fp} from {source}"),
                serde_json::json!({"removed": fp.to_string(), "source": source}),
            );
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

fn read_key_from_stdin() -> Result<String, CliError> {
    let read = || -> std::io::Result<String> {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprint!("Paste the API key and press Enter: ");
            std::io::stderr().flush()?;
        }
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        Ok(line)
    };
    read().map_err(|e| CliError::usage(format!("could not read the key from standard input: {e}")))
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
