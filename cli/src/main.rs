//! `tubefeed`: the same code paths as the Lambdas, for local runs, operations and self-hosting.

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
            let summary = tubefeed_app::run_cycle(&fetcher, &app.config.topics).await;
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
