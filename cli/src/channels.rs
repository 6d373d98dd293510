//! `tubefeed channels block|unblock|list`: channels hidden from every list, search and feed of
//! the API and the dashboard — videos stored before the block included — within a few seconds
//! (each API process re-reads the blocks every 5 s). A blocked channel's new videos are still
//! stored, hidden, and cost no videos.list units; unblocking shows them again and queues those
//! without details.

use chrono::Utc;
use clap::Subcommand;
use serde::Serialize;
use tubefeed_app::App;
use tubefeed_core::{BlockedChannel, ChannelBlocks, ChannelId, DetailsStore, MAX_BLOCKED_CHANNELS};

use crate::error::CliError;
use crate::output::outcome;

#[derive(Debug, Subcommand)]
pub enum ChannelsCommand {
    /// Hide a channel (UC…) from every list, search and feed, its stored videos included.
    Block {
        channel_id: String,
        /// Why, for whoever reads `channels list` later.
        #[arg(long)]
        note: Option<String>,
        /// One JSON object instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// Show a blocked channel's videos again.
    Unblock {
        channel_id: String,
        /// One JSON object instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// The blocked channels (the table's and the deployment's BLOCKED_CHANNELS), then the
    /// channels each topic follows through their feeds.
    List {
        /// One JSON object per channel instead of lines of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(app: &App, command: ChannelsCommand) -> Result<(), CliError> {
    match command {
        ChannelsCommand::Block {
            channel_id,
            note,
            json,
        } => block(app, &channel_id, note, json).await,
        ChannelsCommand::Unblock { channel_id, json } => unblock(app, &channel_id, json).await,
        ChannelsCommand::List { json } => list(app, json).await,
    }
}

fn channel(raw: &str) -> Result<ChannelId, CliError> {
    ChannelId::parse(raw.trim()).map_err(|e| CliError::usage(format!("channel {raw:?}: {e}")))
}

async fn stored(app: &App) -> Result<Vec<BlockedChannel>, CliError> {
    app.store
        .blocked_channels()
        .await
        .map_err(|e| CliError::failed(format!("reading the blocks: {e}")))
}

async fn block(app: &App, raw: &str, note: Option<String>, json: bool) -> Result<(), CliError> {
    let id = channel(raw)?;
    if note.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(CliError::usage("--note must be at most 200 characters"));
    }
    let blocks = stored(app).await?;
    let env = &app.config.blocked_channels;
    let total = blocks.len()
        + env
            .iter()
            .filter(|c| !blocks.iter().any(|b| b.channel_id == **c))
            .count();
    let already = blocks.iter().any(|b| b.channel_id == id);
    if !already && total >= MAX_BLOCKED_CHANNELS {
        return Err(CliError::usage(format!(
            "at most {MAX_BLOCKED_CHANNELS} channels can be blocked (one DynamoDB filter takes 100 values); unblock one first"
        )));
    }
    let b = BlockedChannel {
        channel_id: id.clone(),
        blocked_at: Utc::now(),
        note,
    };
    app.store
        .block_channel(&b)
        .await
        .map_err(|e| CliError::failed(format!("block {id}: {e}")))?;
    outcome(
        json,
        format_args!("channel {id}: blocked; its videos leave every list within 5 seconds"),
        serde_json::json!({"blocked": id.to_string()}),
    );
    Ok(())
}

async fn unblock(app: &App, raw: &str, json: bool) -> Result<(), CliError> {
    let id = channel(raw)?;
    let was = app
        .store
        .unblock_channel(&id)
        .await
        .map_err(|e| CliError::failed(format!("unblock {id}: {e}")))?;
    if app.config.blocked_channels.contains(&id) {
        return Err(CliError::failed(format!(
            "channel {id} is blocked by BLOCKED_CHANNELS in the deployment's configuration: remove it there"
        )));
    }
    if !was {
        return Err(CliError::failed(format!("channel {id} was not blocked")));
    }
    // Its videos stored meanwhile skipped videos.list: queue those without details.
    let mut queued = 0;
    for topic in &app.config.topics {
        queued += app
            .store
            .queue_missing_details(topic, Some(&id))
            .await
            .map_err(|e| CliError::failed(format!("queue {id} under {topic}: {e}")))?;
    }
    outcome(
        json,
        format_args!(
            "channel {id}: unblocked; its videos show again ({queued} queued for details)"
        ),
        serde_json::json!({"unblocked": id.to_string(), "queued_for_details": queued}),
    );
    Ok(())
}

#[derive(Serialize)]
struct Line {
    channel_id: ChannelId,
    /// `table` (tubefeed channels block) or `deployment` (BLOCKED_CHANNELS).
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocked_at: Option<chrono::DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

async fn list(app: &App, json: bool) -> Result<(), CliError> {
    let mut lines: Vec<Line> = stored(app)
        .await?
        .into_iter()
        .map(|b| Line {
            channel_id: b.channel_id,
            source: "table",
            blocked_at: Some(b.blocked_at),
            note: b.note,
        })
        .collect();
    for c in &app.config.blocked_channels {
        if !lines.iter().any(|l| l.channel_id == *c) {
            lines.push(Line {
                channel_id: c.clone(),
                source: "deployment",
                blocked_at: None,
                note: None,
            });
        }
    }
    for l in &lines {
        if json {
            println!("{}", serde_json::to_string(l).unwrap_or_default());
        } else {
            let when = l.blocked_at.map_or("BLOCKED_CHANNELS".to_owned(), |t| {
                format!("since {}", t.format("%Y-%m-%d %H:%M UTC"))
            });
            let note = l
                .note
                .as_deref()
                .map_or(String::new(), |n| format!(" — {n}"));
            println!("{} {when}{note}", l.channel_id);
        }
    }
    if lines.is_empty() && !json {
        println!("no channel is blocked");
    }
    crate::followed::print(app, json).await
}
