//! `youtube-sim`: run the simulator as a local server for the dev loop.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use tracing_subscriber::EnvFilter;
use youtube_sim::{
    ChannelPlan, ClockMode, FaultPlan, InvalidKeyShape, QuotaErrorShape, SimConfig, SimHandle,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum QuotaShapeArg {
    Legacy403,
    Daily403,
    Perday429,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InvalidKeyArg {
    Modern,
    Legacy,
}

/// A local YouTube Data API v3 search.list simulator (binds 127.0.0.1 only).
#[derive(Debug, Parser)]
#[command(name = "youtube-sim", version)]
struct Cli {
    #[arg(long, default_value_t = 8085)]
    port: u16,
    /// Topics that receive generated videos.
    #[arg(long, value_delimiter = ',', default_value = "cricket")]
    topics: Vec<String>,
    /// Mean generated videos per topic per minute.
    #[arg(long, default_value_t = 6.0)]
    rate_per_minute: f64,
    /// Accepted API keys.
    #[arg(long, value_delimiter = ',', default_value = "sim-key-1,sim-key-2")]
    keys: Vec<String>,
    /// Keys whose project has the API disabled (403 accessNotConfigured).
    #[arg(long, value_delimiter = ',')]
    disabled_keys: Vec<String>,
    /// search.list calls one project may make per Pacific day (a key in no `--project` is a
    /// project of its own).
    #[arg(long, default_value_t = 100)]
    daily_calls_per_key: u32,
    /// Units a project may spend a Pacific day on videos.list (1 a call).
    #[arg(long, default_value_t = 10_000)]
    daily_units_per_project: u32,
    /// Share of generated ordinary uploads that are Shorts (0..=1).
    #[arg(long, default_value_t = 0.3)]
    shorts_share: f64,
    /// A Google Cloud project and its keys, which share one quota bucket: `NAME=KEY1+KEY2`,
    /// optionally `NAME=KEY1+KEY2@CALLS` for a project with its own daily search calls.
    #[arg(long = "project", value_name = "NAME=KEY[+KEY...][@CALLS]")]
    projects: Vec<String>,
    #[arg(long, value_enum, default_value = "legacy403")]
    quota_error: QuotaShapeArg,
    #[arg(long, value_enum, default_value = "modern")]
    invalid_key_shape: InvalidKeyArg,
    #[arg(long, default_value_t = 500)]
    result_cap: usize,
    /// Start every page after the first with the last item of the previous page.
    #[arg(long)]
    repeat_across_pages: bool,
    #[arg(long, default_value_t = 0.05)]
    late_fraction: f64,
    #[arg(long, default_value_t = 240)]
    late_delay_secs: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Minutes of history generated at start.
    #[arg(long, default_value_t = 120)]
    backfill_minutes: u64,
    /// Answer 503 backendError to every search call numbered above N.
    #[arg(long)]
    fail_5xx_after: Option<u64>,
    /// Delay every search answer by this many milliseconds.
    #[arg(long)]
    slow_ms: Option<u64>,
    /// Generated videos come from a planned population of channels (feeds under
    /// /feeds/videos.xml): COUNT channels, the TOP busiest posting SHARE of each topic's videos,
    /// plus OFF off-topic uploads per on-topic one (default 0.5), e.g. `300/50/0.8`.
    #[arg(long, value_name = "COUNT/TOP/SHARE[/OFF]")]
    channels: Option<String>,
    /// The WebSub hub (`POST /hub`) delivers every push twice (to test idempotent receivers).
    #[arg(long)]
    push_repeat: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        // Scripts grep the start-up line for the base URL; keep colour codes out of pipes.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let cli = Cli::parse();
    if !(0.0..=1.0).contains(&cli.shorts_share) {
        anyhow::bail!("--shorts-share must be within 0..=1");
    }
    if !(0.0..=1.0).contains(&cli.late_fraction) {
        anyhow::bail!("--late-fraction must be within 0..=1");
    }
    let (projects, project_daily_calls) = parse_projects(&cli.projects)?;
    let channels = cli.channels.as_deref().map(parse_channels).transpose()?;
    let cfg = SimConfig {
        seed: cli.seed,
        topics: cli.topics,
        rate_per_minute: cli.rate_per_minute,
        valid_keys: cli.keys,
        disabled_keys: cli.disabled_keys,
        daily_calls_per_key: cli.daily_calls_per_key,
        projects,
        project_daily_calls,
        daily_units_per_project: cli.daily_units_per_project,
        shorts_share: cli.shorts_share,
        shorts_share_by_topic: Default::default(),
        quota_error: match cli.quota_error {
            QuotaShapeArg::Legacy403 => QuotaErrorShape::Legacy403,
            QuotaShapeArg::Daily403 => QuotaErrorShape::Daily403,
            QuotaShapeArg::Perday429 => QuotaErrorShape::PerDay429,
        },
        quota_error_by_key: Default::default(),
        invalid_key_shape: match cli.invalid_key_shape {
            InvalidKeyArg::Modern => InvalidKeyShape::Modern400,
            InvalidKeyArg::Legacy => InvalidKeyShape::Legacy400,
        },
        result_cap: cli.result_cap,
        repeat_across_pages: cli.repeat_across_pages,
        late_fraction: cli.late_fraction,
        late_delay: Duration::from_secs(cli.late_delay_secs),
        clock: ClockMode::Real,
        faults: FaultPlan {
            server_error_after_calls: cli.fail_5xx_after,
            slow_ms: cli.slow_ms,
            ..FaultPlan::default()
        },
        backfill: Duration::from_secs(cli.backfill_minutes.saturating_mul(60)),
        channels,
        push_repeat: cli.push_repeat,
    };
    let sim = SimHandle::start_on_port(cfg, cli.port)
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", cli.port))?;
    tracing::info!("youtube-sim listening on {}", sim.base_url);
    shutdown_signal().await;
    tracing::info!("youtube-sim shutting down");
    sim.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

type Projects = (BTreeMap<String, String>, BTreeMap<String, u32>);

/// `--project NAME=KEY1+KEY2[@CALLS]`, repeated.
fn parse_projects(args: &[String]) -> anyhow::Result<Projects> {
    let mut keys = BTreeMap::new();
    let mut calls = BTreeMap::new();
    for arg in args {
        let Some((name, rest)) = arg.split_once('=') else {
            anyhow::bail!("--project {arg:?}: expected NAME=KEY[+KEY...][@CALLS]");
        };
        let (members, cap) = match rest.rsplit_once('@') {
            Some((m, n)) => (
                m,
                Some(n.parse::<u32>().map_err(|_| {
                    anyhow::anyhow!("--project {name}: @CALLS must be a whole number")
                })?),
            ),
            None => (rest, None),
        };
        for k in members.split('+').filter(|k| !k.is_empty()) {
            keys.insert(k.to_owned(), name.to_owned());
        }
        if let Some(n) = cap {
            calls.insert(name.to_owned(), n);
        }
    }
    Ok((keys, calls))
}

/// `--channels COUNT/TOP/SHARE[/OFF]`.
fn parse_channels(arg: &str) -> anyhow::Result<ChannelPlan> {
    let bad = || anyhow::anyhow!("--channels {arg:?}: expected COUNT/TOP/SHARE[/OFF]");
    let parts: Vec<&str> = arg.split('/').collect();
    let (count, top, share, off) = match parts.as_slice() {
        [c, t, s] => (c, t, s, None),
        [c, t, s, o] => (c, t, s, Some(o)),
        _ => return Err(bad()),
    };
    let plan = ChannelPlan {
        count: count.parse().map_err(|_| bad())?,
        top: top.parse().map_err(|_| bad())?,
        top_share: share.parse().map_err(|_| bad())?,
        off_topic_per_on_topic: match off {
            Some(o) => o.parse().map_err(|_| bad())?,
            None => ChannelPlan::default().off_topic_per_on_topic,
        },
    };
    if !(0.0..=1.0).contains(&plan.top_share) || plan.top > plan.count {
        anyhow::bail!("--channels {arg:?}: SHARE must be within 0..=1 and TOP at most COUNT");
    }
    if !plan.off_topic_per_on_topic.is_finite() || plan.off_topic_per_on_topic < 0.0 {
        anyhow::bail!("--channels {arg:?}: OFF must be a non-negative number");
    }
    Ok(plan)
}
