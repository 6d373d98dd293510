//! `tubefeed import` and `tubefeed export`: JSON Lines, one video per line in the API's Video
//! shape plus its `topic`. Import goes through the fetcher's write path (search entries
//! included), so it is idempotent; export walks the feed index newest first, so export → import
//! into another table → export gives the same bytes.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tubefeed_app::App;
use tubefeed_core::{
    FeedQuery, FeedReader, LiveBroadcast, Order, Thumbnails, Topic, UpsertOutcome, Video, VideoId,
    VideoStore,
};

/// Videos sent to the store per upsert: large enough to fill its batches, small enough that a
/// failure leaves little to redo.
const IMPORT_BATCH: usize = 500;
/// Items read per export query.
const EXPORT_PAGE: u8 = 200;

/// One line of the file. Unknown fields (such as the API's `url`) are ignored, so API output
/// can be imported as it is.
#[derive(Debug, Serialize, Deserialize)]
pub struct VideoLine {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub published_at: String,
    pub channel_id: String,
    #[serde(default)]
    pub channel_title: String,
    #[serde(default, skip_serializing_if = "is_empty_thumbnails")]
    pub thumbnails: Thumbnails,
    #[serde(default)]
    pub live_broadcast_content: LiveBroadcast,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

fn is_empty_thumbnails(t: &Thumbnails) -> bool {
    *t == Thumbnails::default()
}

impl VideoLine {
    pub fn from_video(topic: &Topic, v: &Video) -> Self {
        Self {
            id: v.id.to_string(),
            title: v.title.clone(),
            description: v.description.clone(),
            published_at: v.published_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            channel_id: v.channel_id.clone(),
            channel_title: v.channel_title.clone(),
            thumbnails: v.thumbnails.clone(),
            live_broadcast_content: v.live_broadcast_content,
            topic: Some(topic.to_string()),
        }
    }

    /// The topic and video of a line, or why the line cannot be imported.
    fn into_video(self, default_topic: Option<&Topic>) -> Result<(Topic, Video), String> {
        let topic = match (&self.topic, default_topic) {
            (Some(t), _) => Topic::parse(t).map_err(|e| format!("topic: {e}"))?,
            (None, Some(t)) => t.clone(),
            (None, None) => return Err("no topic (add \"topic\" or pass --topic)".into()),
        };
        let id = VideoId::parse(&self.id).map_err(|e| format!("id {:?}: {e}", self.id))?;
        let published_at = DateTime::parse_from_rfc3339(&self.published_at)
            .map_err(|e| format!("published_at {:?}: {e}", self.published_at))?
            .with_timezone(&Utc);
        if self.channel_id.is_empty() {
            return Err("channel_id is empty".into());
        }
        Ok((
            topic,
            Video {
                id,
                title: self.title,
                description: self.description,
                published_at,
                channel_id: self.channel_id,
                channel_title: self.channel_title,
                thumbnails: self.thumbnails,
                live_broadcast_content: self.live_broadcast_content,
            },
        ))
    }
}

#[derive(Debug, Default, Serialize)]
struct ImportSummary {
    lines: usize,
    imported: usize,
    new: usize,
    updated: usize,
    unchanged: usize,
    bad_lines: usize,
    write_requests: usize,
    /// Set when `--strict` stopped at a bad line: the line number.
    stopped_at_line: Option<usize>,
}

impl ImportSummary {
    fn add(&mut self, n: usize, o: UpsertOutcome) {
        self.imported += n;
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.write_requests += o.write_requests;
    }
}

async fn flush(
    app: &App,
    pending: &mut BTreeMap<Topic, Vec<Video>>,
    summary: &mut ImportSummary,
) -> Result<(), String> {
    for (topic, videos) in std::mem::take(pending) {
        let o = app
            .store
            .upsert(&topic, &videos, Utc::now())
            .await
            .map_err(|e| format!("storing {} videos of {topic}: {e}", videos.len()))?;
        summary.add(videos.len(), o);
    }
    Ok(())
}

pub async fn import(app: &App, file: &str, topic: Option<String>, strict: bool) -> ExitCode {
    let default_topic = match topic.as_deref().map(Topic::parse).transpose() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tubefeed: --topic: {e}");
            return ExitCode::from(2);
        }
    };
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(file) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("tubefeed: cannot read {file}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    // A spinner with counts on a terminal; nothing when stderr is a pipe or a file.
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} lines read, {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut summary = ImportSummary::default();
    let mut pending: BTreeMap<Topic, Vec<Video>> = BTreeMap::new();
    let mut queued = 0usize;
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                progress.suspend(|| eprintln!("tubefeed: line {n}: cannot read: {e}"));
                summary.bad_lines += 1;
                summary.stopped_at_line = Some(n);
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        summary.lines += 1;
        let parsed = serde_json::from_str::<VideoLine>(&line)
            .map_err(|e| e.to_string())
            .and_then(|l| l.into_video(default_topic.as_ref()));
        match parsed {
            Ok((t, v)) => {
                pending.entry(t).or_default().push(v);
                queued += 1;
            }
            Err(why) => {
                progress.suspend(|| eprintln!("tubefeed: line {n}: {why}"));
                summary.bad_lines += 1;
                if strict {
                    summary.stopped_at_line = Some(n);
                    break;
                }
            }
        }
        if queued >= IMPORT_BATCH {
            if let Err(e) = flush(app, &mut pending, &mut summary).await {
                progress.finish_and_clear();
                eprintln!("tubefeed: import failed: {e}");
                print_summary(&summary);
                return ExitCode::FAILURE;
            }
            queued = 0;
        }
        progress.set_position(n as u64);
        progress.set_message(format!(
            "{} stored, {} bad",
            summary.imported, summary.bad_lines
        ));
    }
    // With --strict the lines before the bad one are stored too: what was read and valid is
    // never dropped, and a re-run after fixing the line changes nothing for them.
    let flushed = flush(app, &mut pending, &mut summary).await;
    progress.finish_and_clear();
    if let Err(e) = flushed {
        eprintln!("tubefeed: import failed: {e}");
        print_summary(&summary);
        return ExitCode::FAILURE;
    }
    print_summary(&summary);
    if summary.bad_lines > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_summary(s: &ImportSummary) {
    match serde_json::to_string(s) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("tubefeed: could not print the summary: {e}"),
    }
}

pub async fn export(app: &App, topics: &[String], since: Option<String>) -> ExitCode {
    let topics: Vec<Topic> = if topics.is_empty() {
        app.config.topics.clone()
    } else {
        match topics.iter().map(|t| Topic::parse(t)).collect() {
            Ok(t) => t,
            Err(e) => {
                eprintln!("tubefeed: --topic: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let since = match since.map(|s| DateTime::parse_from_rfc3339(&s)).transpose() {
        Ok(s) => s.map(|s| s.with_timezone(&Utc)),
        Err(e) => {
            eprintln!("tubefeed: --since must be an RFC 3339 date-time with a zone: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for topic in topics {
        let q = FeedQuery {
            topic: topic.clone(),
            order: Order::Desc,
            published_after: since,
            published_before: None,
            channel_id: None,
            terms: Vec::new(),
            limit: EXPORT_PAGE,
        };
        let mut cursor = None;
        loop {
            let page = match app.store.page(&q, cursor.as_ref()).await {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("tubefeed: export {topic}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            for v in &page.videos {
                let line = match serde_json::to_string(&VideoLine::from_video(&topic, v)) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("tubefeed: export {topic}: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                if let Err(e) = writeln!(out, "{line}") {
                    // A closed pipe (`| head`) ends the export; it is not a failure of ours.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                    eprintln!("tubefeed: export: {e}");
                    return ExitCode::FAILURE;
                }
            }
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    match out.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tubefeed: export: {e}");
            ExitCode::FAILURE
        }
    }
}
