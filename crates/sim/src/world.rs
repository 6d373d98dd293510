//! The simulated state: clock, video store, generators, key budgets and call statistics.
//!
//! Everything lives behind one mutex (see [`crate::control::Shared`]); no operation awaits while
//! holding it, and every entry point first catches generation up with the clock.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use chrono_tz::America::Los_Angeles;
use fastrand::Rng;

use crate::channels::{self, Channel, ChannelIndex, Roster};
use crate::config::{ClockMode, FaultPlan, LiveState, NewVideo, SimConfig};
use crate::details::{self, Details};
use crate::generate;
use crate::hub::HubState;
use crate::ids;
use crate::stats::CallStats;

mod generation;
mod pushes;

use generation::TopicGen;

#[derive(Debug, Clone)]
pub(crate) struct Video {
    pub id: String,
    pub topic: String,
    pub published_at: DateTime<Utc>,
    pub indexed_at: DateTime<Utc>,
    pub title: String,
    pub description: String,
    pub channel_id: String,
    pub channel_title: String,
    pub live: LiveState,
    /// Lowercased topic, title and description, for `q` matching.
    pub haystack: String,
    /// What `videos.list` adds.
    pub details: Details,
    /// An upload about something else, posted by a planned channel: it counts for no topic and
    /// search never returns it, but its channel's feed and `videos.list` do.
    pub off_topic: bool,
}

enum Clock {
    Real { offset: Duration },
    Manual { now: DateTime<Utc> },
}

struct KeyBudget {
    /// The Pacific-time day the budget belongs to.
    day: NaiveDate,
    left: u32,
}

pub(crate) struct World {
    pub cfg: SimConfig,
    clock: Clock,
    /// Sorted ascending by `(published_at, id)`, so the newest-first order is a reverse scan and
    /// typical inserts (new uploads) land at the end.
    videos: Vec<Video>,
    ids: HashSet<String>,
    /// Publication time by id, to find a video in `videos` by binary search.
    published: HashMap<String, DateTime<Utc>>,
    per_topic: BTreeMap<String, usize>,
    /// Off-topic uploads by the topic whose stream generated them.
    off_topic: BTreeMap<String, usize>,
    roster: Option<Roster>,
    channels: ChannelIndex,
    /// Lowercased words of the configured topics, kept out of off-topic uploads.
    avoid_words: Vec<String>,
    gens: Vec<TopicGen>,
    manual_seq: u64,
    manual_rng: Rng,
    /// Search buckets by project (see [`World::project_of`]).
    buckets: HashMap<String, KeyBudget>,
    /// The 10,000-unit pools every other method draws on, by project.
    units: HashMap<String, KeyBudget>,
    /// Videos deleted or made private: gone from search and from `videos.list`.
    deleted: HashSet<String>,
    pub stats: CallStats,
    pub server_errors_given: u64,
    pub malformed_given: u64,
    /// The WebSub hub's subscriptions, scheduled announcements and queued pushes.
    pub hub: HubState,
}

impl World {
    pub(crate) fn new(cfg: SimConfig) -> World {
        let clock = match cfg.clock {
            ClockMode::Real => Clock::Real {
                offset: Duration::zero(),
            },
            ClockMode::Manual(start) => Clock::Manual { now: start },
        };
        let roster = cfg.channels.as_ref().and_then(Roster::new);
        let avoid_words = channels::topic_words(&cfg.topics);
        let mut world = World {
            manual_rng: Rng::with_seed(ids::hash64(&[b"manual", &cfg.seed.to_le_bytes()])),
            hub: HubState::new(cfg.seed),
            cfg,
            clock,
            videos: Vec::new(),
            ids: HashSet::new(),
            published: HashMap::new(),
            per_topic: BTreeMap::new(),
            off_topic: BTreeMap::new(),
            roster,
            channels: ChannelIndex::default(),
            avoid_words,
            gens: Vec::new(),
            manual_seq: 0,
            buckets: HashMap::new(),
            units: HashMap::new(),
            deleted: HashSet::new(),
            stats: CallStats::default(),
            server_errors_given: 0,
            malformed_given: 0,
        };
        if let Some(r) = &world.roster {
            for (id, title) in r.all() {
                world.channels.register(id, title);
            }
        }
        world.start_generators();
        world.catch_up();
        world
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        match &self.clock {
            Clock::Real { offset } => Utc::now() + *offset,
            Clock::Manual { now } => *now,
        }
    }

    /// Moves the clock forward (negative durations are ignored: time never runs backwards, or
    /// generation and quota days would become inconsistent) and generates what was uploaded.
    pub(crate) fn advance(&mut self, d: Duration) {
        let d = d.max(Duration::zero());
        match &mut self.clock {
            Clock::Real { offset } => *offset += d,
            Clock::Manual { now } => *now += d,
        }
        self.catch_up();
    }

    pub(crate) fn set_faults(&mut self, f: FaultPlan) {
        self.cfg.faults = f;
        // A new plan starts its own fault counts, so "3 errors" means 3 from now.
        self.server_errors_given = 0;
        self.malformed_given = 0;
    }

    fn unique_id(&mut self, scope: &str, n: u64) -> String {
        let mut salt = 0;
        loop {
            let id = ids::video_id(self.cfg.seed, scope, n, salt);
            if !self.ids.contains(&id) {
                return id;
            }
            salt += 1;
        }
    }

    /// Stores an upload and tells the hub about it at `announce_at`: its publication for a
    /// generated upload, the later of publication and now for an injected one (the hub can
    /// only push what it has seen).
    fn insert(&mut self, v: Video, announce_at: DateTime<Utc>) {
        let key = (v.published_at, v.id.as_str());
        let pos = self
            .videos
            .partition_point(|x| (x.published_at, x.id.as_str()) < key);
        self.ids.insert(v.id.clone());
        self.published.insert(v.id.clone(), v.published_at);
        let counts = if v.off_topic {
            &mut self.off_topic
        } else {
            &mut self.per_topic
        };
        *counts.entry(v.topic.clone()).or_insert(0) += 1;
        self.channels
            .add_upload(&v.channel_id, &v.channel_title, v.published_at, &v.id);
        self.announce_or_schedule(&v, announce_at);
        self.videos.insert(pos, v);
    }

    pub(crate) fn add_video(&mut self, nv: NewVideo) -> String {
        // Injected videos are ordinary uploads unless the caller asks for a broadcast, so that
        // tests get predictable thumbnails; the generated stream supplies the live ones.
        let live = nv.live.unwrap_or(LiveState::None);
        let generated = generate::content(&mut self.manual_rng, &nv.topic, live);
        let published = nv.published_at.trunc_subsecs(0);
        let (channel_id, channel_title) = match (nv.channel_id, nv.channel_title) {
            (Some(id), Some(title)) => (id, title),
            (Some(id), None) => {
                let title = match self.roster.as_ref().and_then(|r| r.title_of(&id)) {
                    Some(t) => t.to_owned(),
                    None => generate::channel_title_for(&id),
                };
                (id, title)
            }
            (None, Some(title)) => (ids::channel_id(&title), title),
            (None, None) => (generated.channel_id, generated.channel_title),
        };
        let title = nv.title.unwrap_or(generated.title);
        let description = nv.description.unwrap_or(generated.description);
        let seq = self.manual_seq;
        self.manual_seq += 1;
        let id = self.unique_id("manual", seq);
        let announce_at = published.max(self.now());
        let details = details::draw(
            &id,
            &title,
            published,
            live,
            self.shorts_share(&nv.topic),
            &nv.details,
        );
        let video = Video {
            details,
            haystack: haystack(&nv.topic, &title, &description),
            id: id.clone(),
            topic: nv.topic,
            published_at: published,
            indexed_at: nv.indexed_at.unwrap_or(published),
            title,
            description,
            channel_id,
            channel_title,
            live,
            off_topic: false,
        };
        self.insert(video, announce_at);
        id
    }

    fn shorts_share(&self, topic: &str) -> f64 {
        self.cfg
            .shorts_share_by_topic
            .get(topic)
            .copied()
            .unwrap_or(self.cfg.shorts_share)
    }

    /// Deletes a video (or makes it private): search and `videos.list` no longer return it.
    /// False when no such video exists.
    pub(crate) fn delete_video(&mut self, id: &str) -> bool {
        self.ids.contains(id) && self.deleted.insert(id.to_owned())
    }

    pub(crate) fn is_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    /// A video by id, unless deleted.
    pub(crate) fn video(&self, id: &str) -> Option<&Video> {
        if self.deleted.contains(id) {
            return None;
        }
        self.find(id)
    }

    fn find(&self, id: &str) -> Option<&Video> {
        let at = *self.published.get(id)?;
        let pos = self
            .videos
            .partition_point(|x| (x.published_at, x.id.as_str()) < (at, id));
        self.videos.get(pos).filter(|v| v.id == id)
    }

    pub(crate) fn video_count(&self, topic: &str) -> usize {
        self.per_topic.get(topic).copied().unwrap_or(0)
    }

    pub(crate) fn topic_counts(&self) -> BTreeMap<String, (usize, usize)> {
        let now = self.now();
        let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for t in &self.cfg.topics {
            out.insert(t.clone(), (0, 0));
        }
        for v in self.videos.iter().filter(|v| !v.off_topic) {
            let e = out.entry(v.topic.clone()).or_insert((0, 0));
            e.0 += 1;
            if v.indexed_at <= now {
                e.1 += 1;
            }
        }
        out
    }

    /// Off-topic uploads by the topic whose stream generated them.
    pub(crate) fn off_topic_counts(&self) -> BTreeMap<String, usize> {
        self.off_topic.clone()
    }

    /// The planned channels' ids, busiest first (empty without a plan).
    pub(crate) fn plan_channel_ids(&self) -> Vec<String> {
        self.roster
            .as_ref()
            .map(|r| r.ids().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The uploader of a video, deleted or not.
    pub(crate) fn uploader(&self, id: &str) -> Option<String> {
        self.find(id).map(|v| v.channel_id.clone())
    }

    pub(crate) fn topic_videos_by_channel(&self, topic: &str) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for v in self
            .videos
            .iter()
            .filter(|v| !v.off_topic && v.topic == topic)
        {
            *out.entry(v.channel_id.clone()).or_insert(0) += 1;
        }
        out
    }

    /// A channel that exists: planned, or the uploader of some video.
    pub(crate) fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.get(id)
    }

    /// Videos published within `[after, before]`, newest first (ties: higher id first).
    pub(crate) fn in_range(
        &self,
        after: Option<DateTime<Utc>>,
        before: Option<DateTime<Utc>>,
    ) -> impl Iterator<Item = &Video> {
        let lo = after.map_or(0, |a| self.videos.partition_point(|v| v.published_at < a));
        let hi = before.map_or(self.videos.len(), |b| {
            self.videos.partition_point(|v| v.published_at <= b)
        });
        let slice = if lo < hi {
            &self.videos[lo..hi]
        } else {
            &[][..]
        };
        slice.iter().rev()
    }

    /// The project a key bills: its named project, or a project of its own.
    pub(crate) fn project_of(&self, key: &str) -> String {
        match self.cfg.projects.get(key) {
            Some(p) => format!("project:{p}"),
            None => format!("key:{key}"),
        }
    }

    /// The name Google's error bodies give the project (a number derived from it).
    pub(crate) fn project_number_of(&self, key: &str) -> u64 {
        ids::project_number(self.cfg.projects.get(key).map_or(key, String::as_str))
    }

    fn daily_calls_of(&self, key: &str) -> u32 {
        self.cfg
            .projects
            .get(key)
            .and_then(|p| self.cfg.project_daily_calls.get(p))
            .copied()
            .unwrap_or(self.cfg.daily_calls_per_key)
    }

    fn budget(&mut self, key: &str) -> &mut KeyBudget {
        let today = pacific_day(self.now());
        let daily = self.daily_calls_of(key);
        let b = self
            .buckets
            .entry(self.project_of(key))
            .or_insert(KeyBudget {
                day: today,
                left: daily,
            });
        if b.day != today {
            // Quotas reset at midnight Pacific Time, whatever the caller's zone.
            b.day = today;
            b.left = daily;
        }
        b
    }

    /// Calls left today in the bucket of the key's project.
    pub(crate) fn calls_left(&mut self, key: &str) -> u32 {
        self.budget(key).left
    }

    pub(crate) fn set_calls_left(&mut self, key: &str, n: u32) {
        self.budget(key).left = n;
    }

    /// Takes one call from the bucket of the key's project; false when nothing is left.
    pub(crate) fn spend(&mut self, key: &str) -> bool {
        let b = self.budget(key);
        if b.left == 0 {
            return false;
        }
        b.left -= 1;
        true
    }

    fn unit_pool(&mut self, key: &str) -> &mut KeyBudget {
        let today = pacific_day(self.now());
        let daily = self.cfg.daily_units_per_project;
        let b = self.units.entry(self.project_of(key)).or_insert(KeyBudget {
            day: today,
            left: daily,
        });
        if b.day != today {
            b.day = today;
            b.left = daily;
        }
        b
    }

    /// Units left today in the pool of the key's project.
    pub(crate) fn units_left(&mut self, key: &str) -> u32 {
        self.unit_pool(key).left
    }

    pub(crate) fn set_units_left(&mut self, key: &str, n: u32) {
        self.unit_pool(key).left = n;
    }

    /// Takes `n` units from the pool of the key's project; false (and nothing taken) when fewer
    /// are left.
    pub(crate) fn spend_units(&mut self, key: &str, n: u32) -> bool {
        let b = self.unit_pool(key);
        if b.left < n {
            return false;
        }
        b.left -= n;
        true
    }

    pub(crate) fn known_keys(&mut self) -> BTreeMap<String, u32> {
        let mut names: Vec<String> = self.cfg.valid_keys.clone();
        names.extend(self.cfg.projects.keys().cloned());
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|k| {
                let left = self.calls_left(&k);
                (k, left)
            })
            .collect()
    }
}

fn haystack(topic: &str, title: &str, description: &str) -> String {
    format!("{topic}\n{title}\n{description}").to_lowercase()
}

pub(crate) fn pacific_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Los_Angeles).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn manual(seed: u64, rate: f64) -> World {
        World::new(SimConfig {
            seed,
            rate_per_minute: rate,
            topics: vec!["cricket".into(), "football".into()],
            clock: ClockMode::Manual(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()),
            ..SimConfig::default()
        })
    }

    fn ids(w: &World) -> Vec<String> {
        w.in_range(None, None).map(|v| v.id.clone()).collect()
    }

    #[test]
    fn generation_is_independent_of_step_size() {
        let mut a = manual(5, 6.0);
        let mut b = manual(5, 6.0);
        a.advance(Duration::minutes(60));
        for _ in 0..60 {
            b.advance(Duration::minutes(1));
        }
        assert_eq!(ids(&a), ids(&b));
        let n = a.video_count("cricket");
        assert!((250..=470).contains(&n), "{n}");
        assert!(a.in_range(None, None).all(|v| v.published_at <= a.now()));
        let mut c = manual(6, 6.0);
        c.advance(Duration::minutes(60));
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn pacific_midnight() {
        // 07:59 UTC on 2026-03-10 is 00:59 PDT; 06:59 UTC is still the 9th in Los Angeles.
        let t = Utc.with_ymd_and_hms(2026, 3, 10, 6, 59, 0).unwrap();
        assert_eq!(pacific_day(t), NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        let t = Utc.with_ymd_and_hms(2026, 3, 10, 7, 0, 0).unwrap();
        assert_eq!(
            pacific_day(t),
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
    }
}
