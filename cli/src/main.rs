//! `tubefeed`: the same code paths as the Lambdas, for local runs, operations and self-hosting.

mod channels;
mod enrich;
mod error;
mod fetch;
mod keys;
mod page_keys;
mod serve;
mod status;
mod table;
mod transfer;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tubefeed_app::{App, Config, telemetry};

use error::CliError;

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
    /// Block channels: hidden from every list, search and feed, stored videos included.
    Channels {
        #[command(subcommand)]
        command: channels::ChannelsCommand,
    },
    /// Fill in video details (length, counts, language, Shorts) for stored videos that have
    /// none, within a unit allowance; resumable. Prints a JSON summary.
    Enrich {
        /// Topics whose videos to queue (default: every topic in SEARCH_QUERIES).
        #[arg(long = "topic")]
        topics: Vec<String>,
        /// videos.list units this run may spend (one per 50 videos), within each project's
        /// daily pool (DETAILS_DAILY_UNITS).
        #[arg(long, default_value_t = 1000)]
        units: u32,
    },
    /// Rebuild the search index of every stored video (all topics, or the ones given), and give
    /// each the TTL time of the retention in force (RETENTION_DAYS, topic:<days>d).
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
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Reported) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tubefeed: {e}");
            e.exit_code()
        }
    }
}

async fn run(command: Command) -> Result<(), CliError> {
    let app = App::build(Config::from_env()?).await?;
    match command {
        Command::Fetch => fetch::run(&app).await,
        Command::Serve { addr } => serve::run(&app, addr).await,
        Command::Reindex { topics } => table::reindex(&app, &topics).await,
        Command::Channels { command } => channels::run(&app, command).await,
        Command::Enrich { topics, units } => enrich::run(&app, &topics, units).await,
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
        } => table::create(&app).await,
    }
}
