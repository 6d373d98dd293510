//! `tubefeed import` and `tubefeed export`: JSON Lines, one video per line in the API's Video
//! shape plus its `topic`. Import goes through the fetcher's write path (search entries
//! included), so it is idempotent; export walks the feed index newest first, so export → import
//! into another table → export gives the same bytes.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tubefeed_app::App;
use tubefeed_core::{
    ChannelId, DetailsFields, FeedQuery, FeedReader, LiveBroadcast, Order, Thumbnails, Topic,
    UpsertOutcome, Video, VideoId, VideoStore,
};

use crate::error::{CliError, topics_or_all};

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
    /// Length, counts, language, live times and `is_short`, once known.
    #[serde(flatten)]
    pub details: DetailsFields,
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
            channel_id: v.channel_id.to_string(),
            channel_title: v.channel_title.clone(),
            thumbnails: v.thumbnails.clone(),
            live_broadcast_content: v.live_broadcast_content,
            details: DetailsFields::of(v.details.as_ref()),
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
        let channel_id = ChannelId::parse(&self.channel_id)
            .map_err(|e| format!("channel_id {:?}: {e}", self.channel_id))?;
        Ok((
            topic,
            Video {
                id,
                title: self.title,
                description: self.description,
                published_at,
                channel_id,
                channel_title: self.channel_title,
                thumbnails: self.thumbnails,
                live_broadcast_content: self.live_broadcast_content,
                details: self.details.into_details(Utc::now()),
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
    /// Past their topic's retention: not stored.
    expired: usize,
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
        self.expired += o.expired;
        self.write_requests += o.write_requests;
    }
}

/// An import in progress: what was read and not yet stored, and the counts so far.
struct Importer {
    /// The table without new-video events: an import restores or copies videos, it does not
    /// discover them.
    store: tubefeed_dynamo::DynamoStore,
    default_topic: Option<Topic>,
    strict: bool,
    pending: BTreeMap<Topic, Vec<Video>>,
    queued: usize,
    summary: ImportSummary,
    progress: indicatif::ProgressBar,
}

/// Whether to read on after a line.
enum Next {
    Read,
    Stop,
}

impl Importer {
    fn new(app: &App, default_topic: Option<Topic>, strict: bool) -> Self {
        // A spinner with counts on a terminal; nothing when stderr is a pipe or a file.
        let progress = indicatif::ProgressBar::new_spinner();
        progress.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} lines read, {msg} [{elapsed}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Self {
            store: app.store.with_events(false),
            default_topic,
            strict,
            pending: BTreeMap::new(),
            queued: 0,
            summary: ImportSummary::default(),
            progress,
        }
    }

    fn bad_line(&mut self, n: usize, why: &str) {
        self.progress
            .suspend(|| eprintln!("tubefeed: line {n}: {why}"));
        self.summary.bad_lines += 1;
    }

    /// Line `n` of the input: queued when good, reported when bad; a full batch is stored.
    async fn line(&mut self, n: usize, line: std::io::Result<String>) -> Result<Next, String> {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                self.bad_line(n, &format!("cannot read: {e}"));
                self.summary.stopped_at_line = Some(n);
                return Ok(Next::Stop);
            }
        };
        if line.trim().is_empty() {
            return Ok(Next::Read);
        }
        self.summary.lines += 1;
        let parsed = serde_json::from_str::<VideoLine>(&line)
            .map_err(|e| e.to_string())
            .and_then(|l| l.into_video(self.default_topic.as_ref()));
        match parsed {
            Ok((t, v)) => {
                self.pending.entry(t).or_default().push(v);
                self.queued += 1;
            }
            Err(why) => {
                self.bad_line(n, &why);
                if self.strict {
                    self.summary.stopped_at_line = Some(n);
                    return Ok(Next::Stop);
                }
            }
        }
        if self.queued >= IMPORT_BATCH {
            self.flush().await?;
        }
        self.progress.set_position(n as u64);
        self.progress.set_message(format!(
            "{} stored, {} bad",
            self.summary.imported, self.summary.bad_lines
        ));
        Ok(Next::Read)
    }

    /// Stores everything queued.
    async fn flush(&mut self) -> Result<(), String> {
        for (topic, videos) in std::mem::take(&mut self.pending) {
            let o = self
                .store
                .upsert(&topic, &videos, Utc::now())
                .await
                .map_err(|e| format!("storing {} videos of {topic}: {e}", videos.len()))?;
            self.summary.add(videos.len(), o);
        }
        self.queued = 0;
        Ok(())
    }
}

pub async fn import(
    app: &App,
    file: &str,
    topic: Option<String>,
    strict: bool,
) -> Result<(), CliError> {
    let default_topic = topic
        .as_deref()
        .map(Topic::parse)
        .transpose()
        .map_err(|e| CliError::usage(format!("--topic: {e}")))?;
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| CliError::usage(format!("cannot read {file}: {e}")))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut importer = Importer::new(app, default_topic, strict);
    let mut stored = Ok(());
    for (i, line) in reader.lines().enumerate() {
        match importer.line(i + 1, line).await {
            Ok(Next::Read) => {}
            Ok(Next::Stop) => break,
            Err(e) => {
                stored = Err(e);
                break;
            }
        }
    }
    // With --strict the lines before the bad one are stored too: what was read and valid is
    // never dropped, and a re-run after fixing the line changes nothing for them.
    if stored.is_ok() {
        stored = importer.flush().await;
    }
    importer.progress.finish_and_clear();
    if let Err(e) = stored {
        eprintln!("tubefeed: import failed: {e}");
        print_summary(&importer.summary);
        return Err(CliError::Reported);
    }
    print_summary(&importer.summary);
    if importer.summary.bad_lines > 0 {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

fn print_summary(s: &ImportSummary) {
    match serde_json::to_string(s) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("tubefeed: could not print the summary: {e}"),
    }
}

pub async fn export(app: &App, topics: &[String], since: Option<String>) -> Result<(), CliError> {
    let topics = if topics.is_empty() {
        every_topic(app).await?
    } else {
        topics_or_all(topics, &app.config.topics)?
    };
    let since = since
        .map(|s| DateTime::parse_from_rfc3339(&s))
        .transpose()
        .map_err(|e| {
            CliError::usage(format!(
                "--since must be an RFC 3339 date-time with a zone: {e}"
            ))
        })?
        .map(|s| s.with_timezone(&Utc));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for topic in topics {
        match export_topic(app, &topic, since, &mut out).await {
            Ok(()) => {}
            // A closed pipe (`| head`) ends the export; it is not a failure of ours.
            Err(Written::Closed) => return Ok(()),
            Err(Written::Failed(e)) => {
                return Err(CliError::failed(format!("export {topic}: {e}")));
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::failed(format!("export: {e}")))
        }
        _ => Ok(()),
    }
}

/// The configured topics, then every other topic the table holds videos or a fetch state of
/// (a topic dropped from `SEARCH_QUERIES` keeps its videos; a backup must not miss them).
async fn every_topic(app: &App) -> Result<Vec<Topic>, CliError> {
    let stored = app
        .store
        .stored_topics()
        .await
        .map_err(|e| CliError::failed(format!("export: listing the table's topics: {e}")))?;
    let mut all = app.config.topics.clone();
    all.extend(
        stored
            .into_iter()
            .filter(|t| !app.config.topics.contains(t)),
    );
    Ok(all)
}

/// Why an export stopped early.
enum Written {
    Closed,
    Failed(String),
}

/// Every stored video of `topic` published at or after `since`, newest first, a line each.
async fn export_topic(
    app: &App,
    topic: &Topic,
    since: Option<DateTime<Utc>>,
    out: &mut impl Write,
) -> Result<(), Written> {
    let q = FeedQuery {
        topic: topic.clone(),
        order: Order::Desc,
        published_after: since,
        published_before: None,
        channel_id: None,
        terms: Vec::new(),
        limit: EXPORT_PAGE,
        filter: Default::default(),
        hidden_channels: Vec::new(),
    };
    let mut cursor = None;
    loop {
        let page = app
            .store
            .page(&q, cursor.as_ref())
            .await
            .map_err(|e| Written::Failed(e.to_string()))?;
        for v in &page.videos {
            let line = serde_json::to_string(&VideoLine::from_video(topic, v))
                .map_err(|e| Written::Failed(e.to_string()))?;
            writeln!(out, "{line}").map_err(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => Written::Closed,
                _ => Written::Failed(e.to_string()),
            })?;
        }
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}
