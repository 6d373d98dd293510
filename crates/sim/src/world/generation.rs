//! Continuous generation of uploads at `rate_per_minute`, on-topic and (with a channel plan)
//! off-topic.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use fastrand::Rng;

use super::{Video, World, haystack};
use crate::channels;
use crate::config::{DetailsOverride, LiveState};
use crate::details;
use crate::generate;
use crate::ids;

/// Continuous generation for one topic. Each topic has its own random streams, so what one topic
/// generates never depends on the others or on how time was advanced (one hour at once or in
/// sixty steps gives the same videos). The uploader and the off-topic uploads have streams of
/// their own, so turning a channel plan on leaves every on-topic title, time and id unchanged.
pub(crate) struct TopicGen {
    topic: String,
    rng: Rng,
    next_at: DateTime<Utc>,
    seq: u64,
    channel_rng: Rng,
    off: Option<OffTopicGen>,
}

struct OffTopicGen {
    rate_per_minute: f64,
    rng: Rng,
    next_at: DateTime<Utc>,
    seq: u64,
}

fn stream(seed: u64, what: &[u8], topic: &str) -> Rng {
    Rng::with_seed(ids::hash64(&[what, &seed.to_le_bytes(), topic.as_bytes()]))
}

/// Exponential inter-arrival times: a Poisson process at `rate` per minute.
fn interval(rate: f64, rng: &mut Rng) -> Duration {
    if rate <= 0.0 || !rate.is_finite() {
        return Duration::MAX;
    }
    let mean_ms = 60_000.0 / rate;
    let ms = -(1.0 - rng.f64()).ln() * mean_ms;
    Duration::milliseconds((ms as i64).max(1))
}

fn after(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl World {
    /// One generator per distinct topic, starting `backfill` before now.
    pub(super) fn start_generators(&mut self) {
        let backfill = Duration::from_std(self.cfg.backfill).unwrap_or_else(|_| Duration::zero());
        let origin = self.now() - backfill;
        let seed = self.cfg.seed;
        let rate = self.cfg.rate_per_minute;
        let off_rate = self
            .roster
            .as_ref()
            .map_or(0.0, |r| rate * r.off_topic_per_on_topic());
        let mut topics: Vec<String> = Vec::new();
        for t in &self.cfg.topics {
            if !topics.contains(t) {
                topics.push(t.clone());
            }
        }
        for topic in topics {
            let mut rng = stream(seed, b"topic", &topic);
            let first = interval(rate, &mut rng);
            let off = (off_rate > 0.0).then(|| {
                let mut rng = stream(seed, b"offtopic", &topic);
                let first = interval(off_rate, &mut rng);
                OffTopicGen {
                    rate_per_minute: off_rate,
                    rng,
                    next_at: after(origin, first),
                    seq: 0,
                }
            });
            self.gens.push(TopicGen {
                channel_rng: stream(seed, b"channels", &topic),
                topic,
                rng,
                next_at: after(origin, first),
                seq: 0,
                off,
            });
        }
    }

    /// Generates every video whose arrival time has passed, and announces to the hub the
    /// injected uploads whose publication time has come.
    pub(crate) fn catch_up(&mut self) {
        self.release_scheduled();
        if self.cfg.rate_per_minute <= 0.0 {
            return;
        }
        let now = self.now();
        let mut gens = std::mem::take(&mut self.gens);
        for g in &mut gens {
            while g.next_at <= now {
                self.generate_on_topic(g);
            }
            if let Some(off) = &mut g.off {
                while off.next_at <= now {
                    self.generate_off_topic(&g.topic, off);
                }
            }
        }
        self.gens = gens;
    }

    fn generate_on_topic(&mut self, g: &mut TopicGen) {
        let published = g.next_at.trunc_subsecs(0);
        let live = generate::live_state(&mut g.rng);
        let content = generate::content(&mut g.rng, &g.topic, live);
        let late = g.rng.f64() < self.cfg.late_fraction;
        let index_delay_ms = g.rng.i64(0..=30_000);
        let indexed_at = if late {
            published + Duration::from_std(self.cfg.late_delay).unwrap_or(Duration::zero())
        } else {
            published + Duration::milliseconds(index_delay_ms)
        };
        let (channel_id, channel_title) = match &self.roster {
            Some(r) => r.pick(&mut g.channel_rng),
            None => (content.channel_id, content.channel_title),
        };
        let id = self.unique_id(&g.topic, g.seq);
        g.seq += 1;
        let details = details::draw(
            &id,
            &content.title,
            published,
            content.live,
            self.shorts_share(&g.topic),
            &DetailsOverride::default(),
        );
        let video = Video {
            details,
            haystack: haystack(&g.topic, &content.title, &content.description),
            id,
            topic: g.topic.clone(),
            published_at: published,
            indexed_at,
            title: content.title,
            description: content.description,
            channel_id,
            channel_title,
            live: content.live,
            off_topic: false,
        };
        self.insert(video, published);
        let step = interval(self.cfg.rate_per_minute, &mut g.rng);
        g.next_at = after(g.next_at, step);
    }

    fn generate_off_topic(&mut self, topic: &str, off: &mut OffTopicGen) {
        let published = off.next_at.trunc_subsecs(0);
        let (title, description) = channels::off_topic_content(&mut off.rng, &self.avoid_words);
        let index_delay_ms = off.rng.i64(0..=30_000);
        let Some((channel_id, channel_title)) = self.roster.as_ref().map(|r| r.pick(&mut off.rng))
        else {
            // Off-topic streams exist only with a roster; without one there is nobody to post.
            off.next_at = DateTime::<Utc>::MAX_UTC;
            return;
        };
        // A scope of its own, so the on-topic stream's ids stay those of a run without a plan.
        let id = self.unique_id(&format!("{topic}\0off-topic"), off.seq);
        off.seq += 1;
        let details = details::draw(
            &id,
            &title,
            published,
            LiveState::None,
            self.shorts_share(topic),
            &DetailsOverride::default(),
        );
        let video = Video {
            details,
            // Search never looks at off-topic uploads (see `Video::off_topic`), so nothing here
            // can match a query.
            haystack: String::new(),
            id,
            topic: topic.to_owned(),
            published_at: published,
            indexed_at: published + Duration::milliseconds(index_delay_ms),
            title,
            description,
            channel_id,
            channel_title,
            live: LiveState::None,
            off_topic: true,
        };
        self.insert(video, published);
        let step = interval(off.rate_per_minute, &mut off.rng);
        off.next_at = after(off.next_at, step);
    }
}
