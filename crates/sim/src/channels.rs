//! Channels: the planned population that uploads generated videos, the per-channel upload index
//! that channel feeds read, and the off-topic uploads that make a feed more than a topic search.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use fastrand::Rng;

use crate::config::ChannelPlan;
use crate::ids;

/// The channels of a [`ChannelPlan`], in rank order, with the plan's numbers made safe to draw
/// from (no empty ranges, shares within 0..=1).
pub(crate) struct Roster {
    channels: Vec<(String, String)>,
    rank: HashMap<String, usize>,
    top: usize,
    top_share: f64,
    off_topic_per_on_topic: f64,
}

impl Roster {
    /// `None` for a plan without channels: generation then falls back to the built-in ones.
    pub(crate) fn new(plan: &ChannelPlan) -> Option<Roster> {
        if plan.count == 0 {
            return None;
        }
        let channels: Vec<(String, String)> = (0..plan.count)
            .map(|n| {
                let title = format!("Sim Channel {n}");
                (ids::channel_id(&title), title)
            })
            .collect();
        let rank = channels
            .iter()
            .enumerate()
            .map(|(n, (id, _))| (id.clone(), n))
            .collect();
        let finite_or_zero = |x: f64| if x.is_finite() { x } else { 0.0 };
        Some(Roster {
            channels,
            rank,
            top: plan.top.min(plan.count),
            top_share: finite_or_zero(plan.top_share).clamp(0.0, 1.0),
            off_topic_per_on_topic: finite_or_zero(plan.off_topic_per_on_topic).max(0.0),
        })
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|(id, _)| id.as_str())
    }

    pub(crate) fn all(&self) -> &[(String, String)] {
        &self.channels
    }

    pub(crate) fn title_of(&self, id: &str) -> Option<&str> {
        let n = *self.rank.get(id)?;
        self.channels.get(n).map(|(_, t)| t.as_str())
    }

    pub(crate) fn off_topic_per_on_topic(&self) -> f64 {
        self.off_topic_per_on_topic
    }

    /// Draws an uploader. Always consumes two random numbers, so a stream stays aligned
    /// whatever the plan's shares.
    pub(crate) fn pick(&self, rng: &mut Rng) -> (String, String) {
        let u = rng.f64();
        let v = rng.f64();
        let count = self.channels.len();
        let (lo, hi) = if self.top == 0 || (u >= self.top_share && self.top < count) {
            (self.top, count)
        } else {
            (0, self.top)
        };
        let n = (lo + (v * (hi - lo) as f64) as usize).min(hi - 1);
        self.channels[n].clone()
    }
}

/// One channel's uploads, for its feed.
pub(crate) struct Channel {
    pub title: String,
    /// When the channel was created (the feed's `<published>`): well before any simulated
    /// upload, and never after the channel's first upload.
    pub created: DateTime<Utc>,
    /// `(published_at, video id)`, ascending, so the newest uploads up to a given instant are a
    /// binary search and a short reverse walk.
    pub uploads: Vec<(DateTime<Utc>, String)>,
}

#[derive(Default)]
pub(crate) struct ChannelIndex {
    by_id: HashMap<String, Channel>,
}

impl ChannelIndex {
    /// Makes a channel known before it uploads anything (its feed is then empty, not a 404).
    pub(crate) fn register(&mut self, id: &str, title: &str) {
        self.entry(id, title);
    }

    pub(crate) fn add_upload(
        &mut self,
        id: &str,
        title: &str,
        published: DateTime<Utc>,
        video: &str,
    ) {
        let ch = self.entry(id, title);
        ch.created = ch.created.min(published);
        let key = (published, video);
        let pos = ch.uploads.partition_point(|(t, v)| (*t, v.as_str()) < key);
        ch.uploads.insert(pos, (published, video.to_owned()));
    }

    fn entry(&mut self, id: &str, title: &str) -> &mut Channel {
        self.by_id.entry(id.to_owned()).or_insert_with(|| Channel {
            title: title.to_owned(),
            created: creation_date(id),
            uploads: Vec::new(),
        })
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Channel> {
        self.by_id.get(id)
    }
}

impl Channel {
    /// Uploads published at or before `now`, newest first (ties: higher id first).
    pub(crate) fn published_by(&self, now: DateTime<Utc>) -> impl Iterator<Item = &str> {
        let end = self.uploads.partition_point(|(t, _)| *t <= now);
        self.uploads[..end].iter().rev().map(|(_, v)| v.as_str())
    }
}

/// A plausible creation instant between 2006 and 2020, fixed per channel id.
fn creation_date(id: &str) -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(2006, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let span_s: u64 = 15 * 365 * 24 * 3600;
    let offset = ids::hash64(&[b"channel-created", id.as_bytes()]) % span_s;
    start + Duration::seconds(offset as i64)
}

const OFF_TITLES: &[&str] = &[
    "Easy {D} in 20 minutes 🍳 | weeknight dinner",
    "My grandmother's \"secret\" {D} recipe",
    "{C} on a budget: 3 days, 100 € & a backpack ✈️",
    "Street food tour of {C} 🌮 (we ate everything!)",
    "Vlog #{n}: moving to {C} & first impressions",
    "Lo-fi beats to study/relax to 🎧 — {C} nights",
    "Piano cover: \"{M}\" <slow version>",
    "Unboxing the new phone & 7 things nobody tells you",
    "Morning routine in {C} ☕ | productive day",
    "I tried {D} from every café in {C}",
    "{C} के स्ट्रीट फूड | {D} रेसिपी",
    "【料理】かんたん{D}の作り方｜{C}",
    "وصفة {D} سهلة | مطبخ {C}",
    "{C} 旅行 Vlog | 第{n}天",
];

const OFF_DESCRIPTIONS: &[&str] = &[
    "Ingredients & full recipe below 👇 Thanks for watching, see you next week!",
    "Filmed in {C}. Music: \"{M}\" (licensed). Gear list & links in the pinned comment.",
    "",
    "Subscribe for more vlogs & don't forget to turn on notifications 🔔",
    "Today's {D} turned out great — let me know in the comments if you try it <3",
];

const DISHES: &[&str] = &[
    "pasta",
    "ramen",
    "biryani",
    "tacos",
    "shakshuka",
    "pho",
    "paella",
    "dumplings",
    "curry",
];

const CITIES: &[&str] = &[
    "Lisbon",
    "Hanoi",
    "Marrakesh",
    "Kyoto",
    "Oaxaca",
    "Tbilisi",
    "Reykjavík",
    "Penang",
    "Cusco",
];

const MELODIES: &[&str] = &[
    "Clair de Lune",
    "Gymnopédie No. 1",
    "Moonlight Sonata",
    "River Flows in You",
    "Nocturne Op. 9",
];

/// Title and description of an off-topic upload. No word of `avoid` (lowercased topic words)
/// occurs in either, even inside another word, because search matches substrings and a client
/// that recognises a topic in a feed entry must never recognise one here. Consumes a fixed
/// number of random draws.
pub(crate) fn off_topic_content(rng: &mut Rng, avoid: &[String]) -> (String, String) {
    let t = rng.usize(..OFF_TITLES.len());
    let d = rng.usize(..OFF_DESCRIPTIONS.len());
    let dish = DISHES[rng.usize(..DISHES.len())];
    let city = CITIES[rng.usize(..CITIES.len())];
    let melody = MELODIES[rng.usize(..MELODIES.len())];
    let n = rng.u32(1..=300);
    let fill = |template: &str| {
        template
            .replace("{D}", dish)
            .replace("{C}", city)
            .replace("{M}", melody)
            .replace("{n}", &n.to_string())
    };
    let clean = |s: &String| {
        let lower = s.to_lowercase();
        !avoid.iter().any(|w| lower.contains(w.as_str()))
    };
    // Walk on from the drawn template when a topic word slips in (a topic named "pasta").
    let title = (0..OFF_TITLES.len())
        .map(|i| fill(OFF_TITLES[(t + i) % OFF_TITLES.len()]))
        .find(clean)
        .unwrap_or_else(|| "📹".to_owned());
    let description = (0..OFF_DESCRIPTIONS.len())
        .map(|i| fill(OFF_DESCRIPTIONS[(d + i) % OFF_DESCRIPTIONS.len()]))
        .find(clean)
        .unwrap_or_default();
    (title, description)
}

/// Lowercased words of the topics, which off-topic uploads must not contain.
pub(crate) fn topic_words(topics: &[String]) -> Vec<String> {
    let mut words: Vec<String> = topics
        .iter()
        .flat_map(|t| {
            t.to_lowercase()
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_ids_look_real_and_picks_follow_the_shares() {
        let r = Roster::new(&ChannelPlan::default()).unwrap();
        let ids: Vec<&str> = r.ids().collect();
        assert_eq!(ids.len(), 300);
        assert!(ids.iter().all(|id| id.len() == 24 && id.starts_with("UC")));
        assert_eq!(r.title_of(ids[17]), Some("Sim Channel 17"));
        let mut rng = Rng::with_seed(4);
        let top: usize = (0..10_000)
            .filter(|_| {
                r.title_of(&r.pick(&mut rng).0)
                    .is_some_and(|t| t["Sim Channel ".len()..].parse::<usize>().unwrap() < 50)
            })
            .count();
        assert!((7_700..=8_300).contains(&top), "{top}");
    }

    #[test]
    fn degenerate_plans_still_draw() {
        let mut rng = Rng::with_seed(1);
        for (count, top, share) in [(1, 0, 0.8), (5, 9, 0.8), (5, 2, f64::NAN), (5, 5, 0.0)] {
            let r = Roster::new(&ChannelPlan {
                count,
                top,
                top_share: share,
                off_topic_per_on_topic: 0.0,
            })
            .unwrap();
            for _ in 0..100 {
                assert!(r.title_of(&r.pick(&mut rng).0).is_some());
            }
        }
        assert!(
            Roster::new(&ChannelPlan {
                count: 0,
                ..ChannelPlan::default()
            })
            .is_none()
        );
    }

    #[test]
    fn off_topic_text_avoids_topic_words() {
        let mut rng = Rng::with_seed(2);
        let avoid = topic_words(&[
            "Pasta night".to_owned(),
            "lisbon".to_owned(),
            "a".to_owned(),
        ]);
        for _ in 0..500 {
            let (t, d) = off_topic_content(&mut rng, &avoid);
            for w in &avoid {
                assert!(!t.to_lowercase().contains(w.as_str()), "{t}");
                assert!(!d.to_lowercase().contains(w.as_str()), "{d}");
            }
        }
    }

    #[test]
    fn index_keeps_uploads_sorted() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let mut ix = ChannelIndex::default();
        ix.add_upload("UCx", "X", t + Duration::seconds(5), "b");
        ix.add_upload("UCx", "X", t, "a");
        ix.add_upload("UCx", "X", t + Duration::seconds(9), "c");
        let ch = ix.get("UCx").unwrap();
        let got: Vec<&str> = ch.published_by(t + Duration::seconds(5)).collect();
        assert_eq!(got, vec!["b", "a"]);
        assert!(ch.created <= t);
    }
}
