//! `tubefeed`: the same code paths as the Lambdas, for local runs, operations and self-hosting.

mod channels;
mod deployment;
mod enrich;
mod error;
mod fetch;
mod followed;
mod keys;
mod output;
mod page_keys;
mod serve;
mod stack;
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
    about = "Keeps a DynamoDB table filled with the newest YouTube videos for chosen topics",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Operate the deployment of this CloudFormation stack: its table, secrets and topics come
    /// from the stack's outputs and parameters (in AWS_REGION), over the environment's.
    #[arg(long, global = true, env = "TUBEFEED_STACK", value_name = "NAME")]
    stack: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Each command's `--help` ends with what it reads and its exit codes.
macro_rules! reads {
    ($vars:literal) => {
        concat!(
            "Reads: ",
            $vars,
            ", AWS_REGION, RUST_LOG, NO_COLOR (docs/operations.md).\n\n",
            "Exit status: 0 done; 1 the operation failed or reported failures it printed; 2 a ",
            "configuration or usage error (the message names the variable or argument)."
        )
    };
}

/// What every command shares: where its output goes, its exit codes, what it reads.
const AFTER_HELP: &str = "\
Output: results on standard output — a sentence or table for people (--json: one JSON object a
line) where a person reads it; JSON always for data (fetch, enrich, reindex, import summaries,
export lines). Notes, logs and errors on standard error, without colour unless it is a terminal
(and never with NO_COLOR set). Key values are never printed, only fingerprints (key-…).

Exit status: 0 done; 1 the operation failed (DynamoDB, Secrets Manager, YouTube) or the command
reported failures it printed (a fetch with \"ok\": false, an import with bad lines); 2 a
configuration or usage error to fix before running again (the message names the variable or
argument).

Environment: TUBEFEED_STACK (or --stack: the deployment's table, secrets and topics from its
CloudFormation stack), else TABLE_NAME, AWS_REGION, SEARCH_QUERIES,
ARCHIVED_TOPICS, YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID (the stack's KeysSecretArn),
YOUTUBE_API_BASE_URL, PAGE_TOKEN_SECRET or PAGE_TOKEN_SECRET_ID (serve, page-keys), RUST_LOG,
LOG_FORMAT=json, NO_COLOR; AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local. Every variable, its
default and range: docs/operations.md.";

#[derive(Subcommand)]
enum Command {
    /// Run one fetch cycle for every topic in SEARCH_QUERIES; prints a one-line JSON summary.
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID, YOUTUBE_API_BASE_URL, YOUTUBE_DAILY_CALLS_PER_KEY, FETCH_*, DETAILS_*, RETENTION_DAYS, BLOCKED_CHANNELS, EVENT_BUS_NAME"))]
    Fetch,
    /// Serve the HTTP API as a plain HTTP server (same router as the videos-api Lambda).
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, ARCHIVED_TOPICS, PAGE_TOKEN_SECRET or PAGE_TOKEN_SECRET_ID, API_CACHE_SECONDS, API_SEARCH_PER_SECOND, BLOCKED_CHANNELS, RETENTION_DAYS, PUBLIC_BASE_URL"))]
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Manage the API keys in the configured key source (never shows key values).
    #[command(after_help = reads!("TABLE_NAME, YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID, YOUTUBE_DAILY_CALLS_PER_KEY"))]
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Each topic's freshness and last error, and the key pool: the detail behind /health.
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID, YOUTUBE_DAILY_CALLS_PER_KEY, DETAILS_DAILY_UNITS"))]
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage the keys that sign the API's page tokens (PAGE_TOKEN_SECRET_ID).
    #[command(after_help = reads!("PAGE_TOKEN_SECRET_ID"))]
    PageKeys {
        #[command(subcommand)]
        command: page_keys::PageKeysCommand,
    },
    /// Block channels: hidden from every list, search and feed, stored videos included.
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, BLOCKED_CHANNELS"))]
    Channels {
        #[command(subcommand)]
        command: channels::ChannelsCommand,
    },
    /// Fill in video details (length, counts, language, Shorts) for stored videos that have
    /// none, within a unit allowance; resumable. Prints a JSON summary.
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, YOUTUBE_API_KEYS or YOUTUBE_API_KEYS_SECRET_ID, YOUTUBE_API_BASE_URL, DETAILS_DAILY_UNITS"))]
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
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, RETENTION_DAYS"))]
    Reindex {
        /// Topics to reindex (default: every topic in SEARCH_QUERIES).
        #[arg(long = "topic")]
        topics: Vec<String>,
    },
    /// Import videos from JSON Lines (a file, or - for stdin): one video per line in the API's
    /// Video shape plus "topic". Bad lines are reported with their numbers; the good ones are
    /// stored. Prints a JSON summary; exits 1 when any line was bad.
    #[command(after_help = reads!("TABLE_NAME, RETENTION_DAYS"))]
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
    /// Export stored videos as JSON Lines, newest first, topic by topic: a backup that
    /// `tubefeed import` restores.
    #[command(after_help = reads!("TABLE_NAME, SEARCH_QUERIES, RETENTION_DAYS"))]
    Export {
        /// Topics to export (default: every topic the table holds, configured or not; finding
        /// them reads the whole table once).
        #[arg(long = "topic")]
        topics: Vec<String>,
        /// Only videos published at or after this RFC 3339 date-time.
        #[arg(long)]
        since: Option<String>,
    },
    /// Manage the DynamoDB table.
    #[command(after_help = reads!("TABLE_NAME"))]
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
}

#[derive(Subcommand)]
enum TableCommand {
    /// Create the table and its indexes if missing (idempotent), as template.yaml defines them.
    Create {
        /// One JSON object instead of a sentence.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init_cli();
    match run(cli.stack.as_deref(), cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Reported) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tubefeed: {e}");
            e.exit_code()
        }
    }
}

/// The configuration from the environment or, with `--stack`, from the stack over it.
async fn app(stack: Option<&str>) -> Result<(App, Option<stack::Stack>), CliError> {
    let Some(name) = stack else {
        return Ok((App::build(Config::from_env()?).await?, None));
    };
    let sdk = tubefeed_app::load_sdk(Config::tls_roots_from_env()?).await?;
    let stack = stack::read(&sdk, name).await?;
    let config =
        Config::from_lookup(|k| stack.vars.get(k).cloned().or_else(|| std::env::var(k).ok()))?;
    Ok((App::with_sdk(config, sdk), Some(stack)))
}

async fn run(stack: Option<&str>, command: Command) -> Result<(), CliError> {
    let (app, stack) = app(stack).await?;
    match command {
        Command::Fetch => fetch::run(&app).await,
        Command::Serve { addr } => serve::run(&app, addr).await,
        Command::Reindex { topics } => table::reindex(&app, &topics).await,
        Command::Channels { command } => channels::run(&app, command).await,
        Command::Enrich { topics, units } => enrich::run(&app, &topics, units).await,
        Command::Keys { command } => keys::run(&app, command).await,
        Command::PageKeys { command } => page_keys::run(&app, command).await,
        Command::Status { json } => status::run(&app, stack.as_ref(), json).await,
        Command::Import {
            file,
            topic,
            strict,
        } => transfer::import(&app, &file, topic, strict).await,
        Command::Export { topics, since } => transfer::export(&app, &topics, since).await,
        Command::Table {
            command: TableCommand::Create { json },
        } => table::create(&app, json).await,
    }
}
