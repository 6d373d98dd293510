//! `tubefeed`: the same code paths as the Lambdas, for local runs, operations and self-hosting.

mod keys;
mod page_keys;
mod status;
mod transfer;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tubefeed_app::{App, Config, telemetry};

#[derive(Parser)]
#[command(
    name = "tubefeed",
    version,
    about = "Keeps a DynamoDB table filled with the newest YouTube videos for chosen topics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one fetch cycle for every topic in SEARCH_QUERIES; prints a one-line JSON summary.
    Fetch,
    /// Serve the HTTP API as a plain HTTP server (same router as the videos-api Lambda).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Manage the API keys in the configured key source (never shows key values).
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Each topic's freshness and last error, and the key pool: the detail behind /health.
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage the keys that sign the API's page tokens (PAGE_TOKEN_SECRET_ID).
    PageKeys {
        #[command(subcommand)]
        command: page_keys::PageKeysCommand,
    },
    /// Rebuild the search index of every stored video (all topics, or the ones given).
    Reindex {
        /// Topics to reindex (default: every topic in SEARCH_QUERIES).
        #[arg(long = "topic")]
        topics: Vec<String>,
    },
    /// Import videos from JSON Lines (a file, or - for stdin): one video per line in the API's
    /// Video shape plus "topic". Bad lines are reported with their numbers; the good ones are
    /// stored. Prints a JSON summary; exits 1 when any line was bad.
    Import {
        /// The file to read, or - for standard input.
        file: String,
        /// Topic for lines without a "topic" field.
        #[arg(long)]
        topic: Option<String>,
        /// Stop at the first bad line (the lines before it are stored).
        #[arg(long)]
        strict: bool,
    },
    /// Export stored videos as JSON Lines, newest first, topic by topic.
    Export {
        /// Topics to export (default: every topic in SEARCH_QUERIES).
        #[arg(long = "topic")]
        topics: Vec<String>,
        /// Only videos published at or after this RFC 3339 date-time.
        #[arg(long)]
        since: Option<String>,
    },
    /// Manage the DynamoDB table.
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
}

#[derive(Subcommand)]
enum TableCommand {
    /// Create the table and its indexes if missing (idempotent), as template.yaml defines them.
    Create,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init_cli();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tubefeed: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let app = App::build(config).await;
    match cli.command {
        Command::Fetch => {
            let fetcher = match app.fetcher() {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("tubefeed: {e}");
                    return ExitCode::from(2);
                }
            };
            let summary = tubefeed_app::run_cycle(&fetcher, &app.config.topic_weights).await;
            match serde_json::to_string(&summary) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("tubefeed: could not print the summary: {e}"),
            }
            if summary.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Reindex { topics } => {
            let wanted = if topics.is_empty() {
                app.config.topics.clone()
            } else {
                match topics
                    .iter()
                    .map(|t| tubefeed_core::Topic::parse(t))
                    .collect::<Result<Vec<_>, _>>()
                {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("tubefeed: --topic: {e}");
                        return ExitCode::from(2);
                    }
                }
            };
            let mut report = serde_json::Map::new();
            for topic in &wanted {
                match app.store.reindex(topic).await {
                    Ok(o) => {
                        report.insert(
                            topic.to_string(),
                            serde_json::to_value(o).unwrap_or_default(),
                        );
                    }
                    Err(e) => {
                        eprintln!("tubefeed: reindex {topic}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            println!("{}", serde_json::Value::Object(report));
            ExitCode::SUCCESS
        }
        Command::Serve { addr } => {
            let state = match app.api_state().await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("tubefeed: {e}");
                    return ExitCode::from(2);
                }
            };
            let listener = match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("tubefeed: cannot listen on {addr}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match listener.local_addr() {
                // Scripts read this line to learn the port when --addr asks for port 0.
                Ok(a) => eprintln!("tubefeed: serving on http://{a}"),
                Err(e) => eprintln!("tubefeed: serving ({e})"),
            }
            match tubefeed_app::serve(state, listener).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("tubefeed: server failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Keys { command } => keys::run(&app, command).await,
        Command::PageKeys { command } => page_keys::run(&app, command).await,
        Command::Status { json } => status::run(&app, json).await,
        Command::Import {
            file,
            topic,
            strict,
        } => transfer::import(&app, &file, topic, strict).await,
        Command::Export { topics, since } => transfer::export(&app, &topics, since).await,
        Command::Table {
            command: TableCommand::Create,
        } => match tubefeed_dynamo::create_table(app.store.client(), app.store.table()).await {
            Ok(created) => {
                let what = match created {
                    tubefeed_dynamo::table::Created::Created => "created",
                    tubefeed_dynamo::table::Created::AlreadyExisted => "already exists",
                };
                println!("table {}: {what}", app.store.table());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tubefeed: table {}: {e}", app.store.table());
                ExitCode::FAILURE
            }
        },
    }
}
