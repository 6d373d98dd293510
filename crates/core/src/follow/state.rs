//! A topic's channels: how many on-topic videos each posted lately, which ones are followed,
//! and where each followed channel's feed stands. Pure: the clock is passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::FeedValidators;
use super::settings::FollowSettings;
use crate::video::{ChannelId, VideoId};

/// Channels tracked per topic at most, so the topic's item stays far below DynamoDB's 400 KB
/// (each costs about 100 bytes): beyond it the least active unfollowed channel is forgotten.
pub const MAX_TRACKED_CHANNELS: usize = 1_000;

/// An on-topic video stored for a topic, whatever brought it (search, a feed, an import).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub channel_id: ChannelId,
    pub channel_title: String,
    pub published_at: DateTime<Utc>,
}

/// Where a channel's feed stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedMemo {
    #[serde(default, skip_serializing_if = "FeedValidators::is_empty")]
    pub validators: FeedValidators,
    /// The entries of the last answer: the next answer's other entries are the new ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<VideoId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<DateTime<Utc>>,
    /// Failures in a row (errors, 404s): the back-off grows with them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl FeedMemo {
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.retry_at.is_none_or(|t| t <= now)
    }

    /// A failed read: retried after 1, 2, 4 … minutes, at most an hour; a missing channel
    /// (404) after 6 hours — YouTube's feeds answer 404 now and then for live channels too,
    /// so it is not dropped.
    pub fn failed(&mut self, now: DateTime<Utc>, error: String, not_found: bool) {
        self.failures = self.failures.saturating_add(1);
        let wait = if not_found {
            Duration::hours(6)
        } else {
            Duration::minutes(1i64 << self.failures.saturating_sub(1).min(6))
                .min(Duration::hours(1))
        };
        self.retry_at = Some(now + wait);
        self.last_error = Some(error);
    }

    pub fn succeeded(&mut self, now: DateTime<Utc>) {
        self.failures = 0;
        self.retry_at = None;
        self.last_error = None;
        self.last_read_at = Some(now);
    }
}

/// One channel a topic has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRecord {
    pub title: String,
    /// On-topic videos by UTC day (days since 1970), the last `window` days only.
    #[serde(default)]
    pub days: BTreeMap<i64, u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followed_since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub feed: FeedMemo,
}

impl ChannelRecord {
    pub fn recent(&self) -> u32 {
        self.days.values().fold(0u32, |a, b| a.saturating_add(*b))
    }
    /// How often its feed is read: often enough that about one read in ten finds an on-topic
    /// upload — so a busy channel is read every run and waits at most a tenth of its usual gap
    /// — and at least every `max_read_interval`, which bounds the lag of a quiet channel's
    /// upload. The rate is its on-topic videos over the time they were counted in (a channel
    /// first seen this morning has not been quiet for the whole window).
    pub fn read_interval(&self, s: &FollowSettings, now: DateTime<Utc>) -> Duration {
        let n = self.recent();
        let Some(first) = self.days.keys().next() else {
            return s.max_read_interval;
        };
        let counted_from = (now - s.window).max(start_of_day(*first));
        let span = (now - counted_from).max(Duration::hours(1));
        let per_read = i32::try_from(n.saturating_mul(READS_PER_UPLOAD)).unwrap_or(i32::MAX);
        (span / per_read.max(1)).min(s.max_read_interval)
    }

    /// Whether the feed is read in a run at `now`: not backing off, and its interval passed
    /// (less half a scheduled minute, as runs do not start on the second).
    pub fn read_due(&self, s: &FollowSettings, now: DateTime<Utc>) -> bool {
        self.feed.due(now)
            && self.feed.last_read_at.is_none_or(|t| {
                now - t + Duration::seconds(READ_SLACK_SECONDS) >= self.read_interval(s, now)
            })
    }

    fn newest_day(&self) -> i64 {
        self.days.keys().next_back().copied().unwrap_or(i64::MIN)
    }
}

/// A topic's channels, as stored between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowState {
    #[serde(default)]
    pub channels: BTreeMap<ChannelId, ChannelRecord>,
}

/// Reads per on-topic upload a channel's feed is read at, up to the longest interval.
const READS_PER_UPLOAD: u32 = 10;
const READ_SLACK_SECONDS: i64 = 30;

fn day_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

fn start_of_day(day: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(day.saturating_mul(86_400), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl FollowState {
    /// Counts on-topic videos per channel and day; older than the window they do not count.
    pub fn tally(&mut self, sightings: &[Sighting], s: &FollowSettings, now: DateTime<Utc>) {
        let oldest = day_of(now) - s.window_days() + 1;
        for x in sightings {
            let day = day_of(x.published_at);
            if day < oldest || day > day_of(now) {
                continue;
            }
            let rec = self.channels.entry(x.channel_id.clone()).or_default();
            if !x.channel_title.is_empty() {
                rec.title.clone_from(&x.channel_title);
            }
            *rec.days.entry(day).or_insert(0) += 1;
        }
        for rec in self.channels.values_mut() {
            rec.days.retain(|d, _| *d >= oldest);
        }
        self.channels
            .retain(|_, r| !r.days.is_empty() || r.followed_since.is_some());
        self.forget_beyond_cap();
    }

    /// Decides who is followed: the most active channels with at least `min_videos` on-topic
    /// videos in the window, at most `max_channels`, blocked channels never. A channel keeps its
    /// place on a tie, so the set does not flap. Returns the followed channels, busiest first.
    pub fn choose(
        &mut self,
        s: &FollowSettings,
        blocked: &[ChannelId],
        now: DateTime<Utc>,
    ) -> Vec<ChannelId> {
        let mut ranked: Vec<(&ChannelId, u32, bool)> = self
            .channels
            .iter()
            .filter(|(id, r)| r.recent() >= s.min_videos.max(1) && !blocked.contains(id))
            .map(|(id, r)| (id, r.recent(), r.followed_since.is_some()))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
        let chosen: Vec<ChannelId> = ranked
            .into_iter()
            .take(s.max_channels)
            .map(|(id, _, _)| id.clone())
            .collect();
        for (id, rec) in &mut self.channels {
            let follow = chosen.contains(id);
            match (follow, rec.followed_since) {
                (true, None) => rec.followed_since = Some(now),
                (false, Some(_)) => {
                    rec.followed_since = None;
                    rec.feed = FeedMemo::default();
                }
                _ => {}
            }
        }
        self.channels
            .retain(|_, r| !r.days.is_empty() || r.followed_since.is_some());
        chosen
    }

    /// The followed channels, busiest first (as `choose` left them).
    pub fn followed(&self) -> Vec<(&ChannelId, &ChannelRecord)> {
        let mut out: Vec<_> = self
            .channels
            .iter()
            .filter(|(_, r)| r.followed_since.is_some())
            .collect();
        out.sort_by(|a, b| b.1.recent().cmp(&a.1.recent()).then(a.0.cmp(b.0)));
        out
    }

    fn forget_beyond_cap(&mut self) {
        let excess = self.channels.len().saturating_sub(MAX_TRACKED_CHANNELS);
        if excess == 0 {
            return;
        }
        let mut idle: Vec<(ChannelId, u32, i64)> = self
            .channels
            .iter()
            .filter(|(_, r)| r.followed_since.is_none())
            .map(|(id, r)| (id.clone(), r.recent(), r.newest_day()))
            .collect();
        idle.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
        for (id, _, _) in idle.into_iter().take(excess) {
            self.channels.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn seen(channel: &str, at: &str) -> Sighting {
        Sighting {
            channel_id: ChannelId::parse(channel).unwrap(),
            channel_title: format!("{channel} title"),
            published_at: t(at),
        }
    }
    fn ids(v: &[ChannelId]) -> Vec<&str> {
        v.iter().map(ChannelId::as_str).collect()
    }

    #[test]
    fn follows_the_busiest_above_the_threshold_up_to_the_cap() {
        let s = FollowSettings {
            max_channels: 2,
            min_videos: 2,
            ..FollowSettings::default()
        };
        let now = t("2026-12-01T12:00:00Z");
        let mut st = FollowState::default();
        let mut sightings = Vec::new();
        for (c, n) in [("UCa", 5), ("UCb", 3), ("UCc", 4), ("UCd", 1)] {
            sightings.extend((0..n).map(|_| seen(c, "2026-12-01T10:00:00Z")));
        }
        st.tally(&sightings, &s, now);
        assert_eq!(ids(&st.choose(&s, &[], now)), ["UCa", "UCc"]);
        let blocked = [ChannelId::parse("UCa").unwrap()];
        assert_eq!(ids(&st.choose(&s, &blocked, now)), ["UCc", "UCb"]);
        assert_eq!(st.channels[&blocked[0]].followed_since, None, "unfollowed");
    }

    #[test]
    fn counts_only_the_window_and_forgets_what_aged_out() {
        let s = FollowSettings {
            window: Duration::days(2),
            min_videos: 1,
            ..FollowSettings::default()
        };
        let mut st = FollowState::default();
        let now = t("2026-12-05T12:00:00Z");
        st.tally(
            &[
                seen("UCold", "2026-12-01T10:00:00Z"),
                seen("UCnew", "2026-12-04T23:00:00Z"),
                seen("UCnew", "2026-12-05T01:00:00Z"),
            ],
            &s,
            now,
        );
        assert_eq!(
            st.channels.len(),
            1,
            "a video older than the window never counts"
        );
        assert_eq!(st.channels[&ChannelId::parse("UCnew").unwrap()].recent(), 2);
        st.tally(&[], &s, t("2026-12-06T12:00:00Z"));
        assert_eq!(st.channels[&ChannelId::parse("UCnew").unwrap()].recent(), 1);
        st.tally(&[], &s, t("2026-12-08T00:00:00Z"));
        assert!(st.channels.is_empty());
    }

    #[test]
    fn the_tracked_set_is_capped_keeping_followed_and_busy_channels() {
        let s = FollowSettings {
            min_videos: 2,
            max_channels: 1,
            ..FollowSettings::default()
        };
        let now = t("2026-12-01T12:00:00Z");
        let mut st = FollowState::default();
        st.tally(
            &[
                seen("UCbusy", "2026-12-01T01:00:00Z"),
                seen("UCbusy", "2026-12-01T02:00:00Z"),
            ],
            &s,
            now,
        );
        st.choose(&s, &[], now);
        let many: Vec<Sighting> = (0..MAX_TRACKED_CHANNELS + 10)
            .map(|i| seen(&format!("UC{i:05}"), "2026-12-01T03:00:00Z"))
            .collect();
        st.tally(&many, &s, now);
        assert_eq!(st.channels.len(), MAX_TRACKED_CHANNELS);
        assert!(
            st.channels
                .contains_key(&ChannelId::parse("UCbusy").unwrap())
        );
    }

    #[test]
    fn a_busy_channel_is_read_every_run_and_a_quiet_one_at_the_longest_interval() {
        let s = FollowSettings::default();
        let now = t("2026-12-01T12:00:00Z");
        let mut st = FollowState::default();
        // Since midnight: 120 on-topic videos (one in 6 minutes), and 12 (one an hour).
        let mut sightings: Vec<Sighting> = (0..120)
            .map(|_| seen("UCbusy", "2026-12-01T01:00:00Z"))
            .collect();
        sightings.extend((0..12).map(|_| seen("UCquiet", "2026-12-01T01:00:00Z")));
        st.tally(&sightings, &s, now);
        st.choose(&s, &[], now);
        let busy = &st.channels[&ChannelId::parse("UCbusy").unwrap()];
        let quiet = &st.channels[&ChannelId::parse("UCquiet").unwrap()];
        assert_eq!(busy.read_interval(&s, now), Duration::seconds(36));
        assert_eq!(quiet.read_interval(&s, now), Duration::minutes(5));
        let mut quiet = quiet.clone();
        assert!(quiet.read_due(&s, now), "never read: due");
        quiet.feed.succeeded(now - Duration::seconds(250));
        assert!(!quiet.read_due(&s, now), "read 4 min 10 s ago: rests");
        quiet.feed.succeeded(now - Duration::seconds(275));
        assert!(
            quiet.read_due(&s, now),
            "a run a few seconds early still reads it"
        );
        quiet.feed.failed(now, "500".into(), false);
        assert!(!quiet.read_due(&s, now), "backing off");
    }

    #[test]
    fn failures_back_off_and_a_success_clears_them() {
        let now = t("2026-12-01T12:00:00Z");
        let mut m = FeedMemo::default();
        m.failed(now, "500".into(), false);
        assert_eq!(m.retry_at, Some(now + Duration::minutes(1)));
        m.failed(now, "500".into(), false);
        m.failed(now, "500".into(), false);
        assert_eq!(m.retry_at, Some(now + Duration::minutes(4)));
        assert!(!m.due(now + Duration::minutes(3)));
        for _ in 0..20 {
            m.failed(now, "500".into(), false);
        }
        assert_eq!(m.retry_at, Some(now + Duration::hours(1)));
        m.failed(now, "404".into(), true);
        assert_eq!(m.retry_at, Some(now + Duration::hours(6)));
        m.succeeded(now);
        assert!(m.due(now) && m.failures == 0 && m.last_error.is_none());
    }
}
