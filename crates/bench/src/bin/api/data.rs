//! The bench's dataset: videos drawn from a fixed vocabulary, loaded by `tubefeed import`.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use tubefeed_core::{ChannelId, FeedQuery, Order, Topic, Video, VideoId};
use tubefeed_testkit::dynamodb_endpoint;

const VOCAB: [&str; 44] = [
    "Kohli's",
    "wickets",
    "wicketkeeper",
    "highland",
    "match",
    "highlights",
    "innings",
    "wicket",
    "bowler",
    "batting",
    "six",
    "four",
    "test",
    "final",
    "league",
    "world",
    "cup",
    "india",
    "england",
    "australia",
    "pakistan",
    "live",
    "score",
    "review",
    "classic",
    "record",
    "century",
    "catch",
    "run",
    "over",
    "pitch",
    "stadium",
    "fans",
    "captain",
    "tea",
    "how",
    "today",
    "news",
    "क्रिकेट",
    "मैच",
    "試合",
    "東",
    "京",
    "🏏",
];

pub fn video(i: usize, base: DateTime<Utc>) -> Video {
    // Six words drawn independently per video, so that any two words co-occur in about 2 %
    // of the videos, as unrelated words of a topic do.
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let words: Vec<&str> = (0..6).map(|_| VOCAB[rng.usize(..VOCAB.len())]).collect();
    let w = |k: usize| words[k];
    Video {
        id: VideoId::parse(&format!("v{i:010}")).unwrap_or_else(|_| unreachable!()),
        title: format!("Cricket {} {} {} #{i}", w(0), w(1), w(2)),
        description: format!("{} {} {} and more", w(3), w(4), w(5)),
        published_at: base + Duration::seconds(i as i64),
        channel_id: ChannelId::parse(&format!("UCchannel{:04}", i % 50))
            .unwrap_or_else(|_| unreachable!()),
        channel_title: format!("Channel {}", i % 50),
        thumbnails: Default::default(),
        live_broadcast_content: Default::default(),
        details: None,
    }
}

/// Loads `n` videos the way a user seeds a table: a JSON Lines file in the API's Video shape,
/// imported by the real `tubefeed import` (the fetcher's write path, search entries included).
pub async fn load(
    table: &str,
    n: usize,
    base: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let file = std::env::temp_dir().join(format!("tubefeed-bench-{table}.jsonl"));
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for i in 0..n {
            let v = video(i, base);
            serde_json::to_writer(
                &mut w,
                &serde_json::json!({
                    "id": v.id.to_string(),
                    "title": v.title,
                    "description": v.description,
                    "published_at": v.published_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "channel_id": v.channel_id,
                    "channel_title": v.channel_title,
                    "topic": "cricket",
                }),
            )?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    let out = tokio::process::Command::new(tubefeed_bin()?)
        .arg("import")
        .arg(&file)
        .env("TABLE_NAME", table)
        .envs(tubefeed_testkit::local_aws(&dynamodb_endpoint()))
        .env_remove("AWS_PROFILE")
        .env("RUST_LOG", "warn")
        .output()
        .await;
    let _ = std::fs::remove_file(&file);
    let out = out?;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    if !out.status.success() || summary["imported"] != n {
        return Err(format!(
            "tubefeed import of {n} videos: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

/// The release `tubefeed` beside this binary (`target/release/`), or TUBEFEED_BIN.
pub fn tubefeed_bin() -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    if let Some(bin) = std::env::var_os("TUBEFEED_BIN") {
        return Ok(bin.into());
    }
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .map(|dir| dir.join("tubefeed"))
        .ok_or("no directory holds this binary")?;
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} missing: build -p tubefeed first", bin.display()).into())
    }
}

pub fn query(terms: &[&str], limit: u8) -> Result<FeedQuery, Box<dyn std::error::Error>> {
    Ok(FeedQuery {
        topic: Topic::parse("cricket")?,
        order: Order::Desc,
        published_after: None,
        published_before: None,
        channel_id: None,
        terms: terms.iter().map(|s| s.to_string()).collect(),
        limit,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    })
}
