//! Past the search ceiling: one Pacific day, one key (100 searches), one topic at 10 videos a
//! minute from 300 channels whose 50 busiest post 80 % of it, with and without channel feeds.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{
    ApiKey, BudgetPolicy, FetchSettings, Fetcher, FollowSettings, FollowStore, Follower,
    PushSettings, StaticKeyRing, Subscriber, Topic, VideoId,
};
use tubefeed_youtube::{ClientSettings, FeedClient, FeedClientSettings, HubClient, YouTubeClient};
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

use super::{BoxError, midnight, push};

type DayFetcher = Fetcher<YouTubeClient, MemStore, MemStore, StaticKeyRing>;

const KEY: &str = "AIzaSy-bench-feeds-key-00000000000000";
const CHANNELS: usize = 300;
const TOP: usize = 50;

/// An on-topic upload: its channel's rank (0 = busiest) and when it was published.
struct Upload {
    id: VideoId,
    channel: String,
    at: DateTime<Utc>,
}

pub async fn table() -> Result<(), BoxError> {
    println!(
        "## Channel feeds: two Pacific days, 1 key (100 searches), 1 topic at 10 videos a minute from 300 channels (the busiest 50 post 80 %)"
    );
    println!();
    println!(
        "| feeds | day | searches | feed requests / min (304s) | followed at midnight (item, compressed) | stored / on-topic uploads | of followed channels' uploads | lag median / p95 | lag p95, followed channels | pushes | off-topic stored |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for mode in [Mode::Off, Mode::Feeds, Mode::Push] {
        row(mode).await?;
    }
    println!();
    println!(
        "Each channel also posts one off-topic upload for every two on-topic ones; a feed's \
         entries are stored only when they match the topic by the search rules. Day 1 starts \
         from nothing learnt; day 2 goes on with day 1's counts (the channels a topic lives on \
         are known from midnight). Lag: from publishedAt to the run that stored the video (runs \
         every minute, at its end); the day's uploads only. \"Of followed channels' uploads\": \
         on-topic uploads published while their channel was followed. Feeds are read every run \
         to every 5 minutes by each channel's rate (FEEDS_MAX_INTERVAL_MINUTES). Push: the \
         simulator's WebSub hub posts each upload of a subscribed channel, signed, to the API's \
         /websub at once; feeds are still read (the floor when the hub is down)."
    );
    Ok(())
}

fn channel_id(rank: usize) -> String {
    // 24 characters, as YouTube's are.
    format!("UCbenchchannel{rank:010}")
}

/// What was uploaded in the minute before `now`: 10 on-topic videos, 5 off-topic ones.
fn uploads(ctl: &SimControl, now: DateTime<Utc>, rng: &mut fastrand::Rng, out: &mut Vec<Upload>) {
    let pick = |rng: &mut fastrand::Rng| {
        if rng.f64() < 0.8 {
            rng.usize(..TOP)
        } else {
            rng.usize(TOP..CHANNELS)
        }
    };
    for k in 0..15i64 {
        let at = now - Duration::seconds(60) + Duration::seconds(4 * k + rng.i64(0..4));
        let channel = channel_id(pick(rng));
        let on_topic = k % 3 != 2;
        let mut v = NewVideo::new(if on_topic { "cricket" } else { "cooking" }, at);
        v.channel_id = Some(channel.clone());
        v.channel_title = Some(format!("Bench channel {channel}"));
        if !on_topic {
            v.title = Some(format!("Pasta night {k}"));
            v.description = Some("A family recipe".into());
        }
        let id = ctl.add_video(v);
        if on_topic {
            let id = VideoId::parse(&id).map_err(|e| e.to_string());
            if let Ok(id) = id {
                out.push(Upload { id, channel, at });
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Feeds,
    Push,
}

/// What the sim had counted when a day ended.
#[derive(Clone, Copy, Default)]
struct Counters {
    searches: u64,
    feed_requests: u64,
    not_modified: u64,
    pushes: u64,
}

impl Counters {
    fn of(ctl: &SimControl) -> Self {
        let feeds = ctl.feed_stats();
        Self {
            searches: ctl.calls().total,
            feed_requests: feeds.requests,
            not_modified: feeds.not_modified,
            pushes: ctl.hub_stats().pushes_delivered,
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            searches: self.searches - before.searches,
            feed_requests: self.feed_requests - before.feed_requests,
            not_modified: self.not_modified - before.not_modified,
            pushes: self.pushes - before.pushes,
        }
    }
}

/// One mode's two days: the first from nothing learnt, the second with the first's counts.
struct Run {
    sim: SimHandle,
    fetcher: DayFetcher,
    feeds: FeedClient,
    store: MemStore,
    hub: Option<HubClient>,
    follow: FollowSettings,
    topic: Topic,
    rng: fastrand::Rng,
}

async fn row(mode: Mode) -> Result<(), BoxError> {
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(midnight()),
        valid_keys: vec![KEY.to_owned()],
        ..SimConfig::default()
    })
    .await?;
    let store = MemStore::default();
    let fetcher: DayFetcher = Fetcher::new(
        YouTubeClient::new(ClientSettings {
            base_url: sim.base_url.clone(),
            ..Default::default()
        })?,
        store.clone(),
        StaticKeyRing::new(vec![ApiKey::new(KEY)], 100)
            .with_budget(BudgetPolicy::new(100).with_schedule(Duration::minutes(1))),
        FetchSettings::default(),
    );
    let origin = sim
        .base_url
        .split("/youtube")
        .next()
        .unwrap_or(&sim.base_url);
    let feeds = FeedClient::new(FeedClientSettings {
        base_url: origin.to_owned(),
        ..Default::default()
    })?;
    let hub = match mode {
        Mode::Push => Some(push::hub(&sim, &store).await?),
        _ => None,
    };
    let mut run = Run {
        fetcher,
        feeds,
        store,
        hub,
        follow: FollowSettings::default(),
        topic: Topic::parse("cricket")?,
        rng: fastrand::Rng::with_seed(21),
        sim,
    };
    let mut start = midnight();
    let mut before = Counters::default();
    for day in 1..=2 {
        let published = run.day(mode, start).await?;
        let after = Counters::of(&run.sim.control());
        run.report(mode, day, after.since(before), &published)
            .await?;
        before = after;
        start = next_pacific_midnight(start);
    }
    run.sim.shutdown().await;
    Ok(())
}

impl Run {
    /// A run every minute from `start` to the next Pacific midnight; the day's on-topic uploads.
    async fn day(&mut self, mode: Mode, start: DateTime<Utc>) -> Result<Vec<Upload>, BoxError> {
        let ctl = self.sim.control();
        let every = Duration::minutes(1);
        let topics = [(self.topic.clone(), 1)];
        let mut published = Vec::new();
        let mut now = start;
        while now + every <= next_pacific_midnight(start) {
            // The minute's uploads, published through it; the clock walks it in 10-second
            // steps, so a push lands within seconds of its upload, and the run comes at its end.
            uploads(&ctl, now + every, &mut self.rng, &mut published);
            for _ in 0..6 {
                ctl.advance(Duration::seconds(10));
                ctl.flush_pushes().await;
            }
            now += every;
            let mut s = self.fetcher.run_weighted(&topics, now).await;
            let sightings = s.take_sightings(&topics);
            if mode != Mode::Off {
                self.follow_step(&sightings, now).await?;
            }
            if !s.ok {
                return Err(format!("run at {now} failed: {s:?}").into());
            }
        }
        Ok(published)
    }

    async fn follow_step(
        &self,
        sightings: &[(Topic, Vec<tubefeed_core::Sighting>)],
        now: DateTime<Utc>,
    ) -> Result<(), BoxError> {
        let follower = Follower {
            feeds: &self.feeds,
            videos: &self.store,
            state: &self.store,
            settings: &self.follow,
            blocked: &[],
        };
        let f = follower.run(sightings, now).await;
        if let Some(e) = f.topics.iter().find_map(|t| t.error.clone()) {
            return Err(format!("feeds step at {now}: {e}").into());
        }
        if let Some(hub) = &self.hub {
            let subscriber = Subscriber {
                hub,
                store: &self.store,
                settings: PushSettings::default(),
            };
            subscriber.run(&f.followed(), now).await;
        }
        Ok(())
    }

    async fn report(
        &self,
        mode: Mode,
        day: u32,
        counted: Counters,
        published: &[Upload],
    ) -> Result<(), BoxError> {
        let first: HashMap<VideoId, DateTime<Utc>> = self.store.first_stored(&self.topic);
        let (st, _) = self.store.load_follow(&self.topic).await?;
        let since: HashMap<&str, DateTime<Utc>> = st
            .followed()
            .into_iter()
            .filter_map(|(id, r)| r.followed_since.map(|t| (id.as_str(), t)))
            .collect();
        let (mut lags, mut followed_lags) = (Vec::new(), Vec::new());
        let (mut of_followed, mut of_followed_stored) = (0usize, 0usize);
        for u in published {
            let stored = first.get(&u.id);
            let lag = stored.map(|t| (*t - u.at).num_seconds());
            lags.extend(lag);
            if since.get(u.channel.as_str()).is_some_and(|s| u.at >= *s) {
                of_followed += 1;
                of_followed_stored += usize::from(stored.is_some());
                followed_lags.extend(lag);
            }
        }
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        let (p50, p95) = (quantile(&mut lags, 0.5), quantile(&mut lags, 0.95));
        let followed_p95 = quantile(&mut followed_lags, 0.95);
        assert!(
            counted.searches <= 100,
            "above quota: {} searches",
            counted.searches
        );
        let off_topic = self
            .store
            .videos(&self.topic)
            .iter()
            .filter(|v| v.title.starts_with("Pasta night"))
            .count();
        let state_kb = tubefeed_dynamo::compress_follow_state(&st)?.len() as f64 / 1024.0;
        println!(
            "| {} | {day} | {} | {:.1} ({:.0} %) | {} ({state_kb:.0} KB) | {} / {} ({:.1} %) | {} / {} ({:.1} %) | {:.1} / {:.1} min | {:.1} min | {} | {off_topic} |",
            match mode {
                Mode::Off => "off",
                Mode::Feeds => "on",
                Mode::Push => "on + push",
            },
            counted.searches,
            counted.feed_requests as f64 / 1440.0,
            pct(
                counted.not_modified as usize,
                counted.feed_requests as usize
            ),
            since.len(),
            lags.len(),
            published.len(),
            pct(lags.len(), published.len()),
            of_followed_stored,
            of_followed,
            pct(of_followed_stored, of_followed),
            p50 as f64 / 60.0,
            p95 as f64 / 60.0,
            followed_p95 as f64 / 60.0,
            counted.pushes,
        );
        Ok(())
    }
}

fn quantile(v: &mut [i64], p: f64) -> i64 {
    v.sort_unstable();
    v.get(((v.len() as f64 - 1.0) * p) as usize)
        .copied()
        .unwrap_or(0)
}
