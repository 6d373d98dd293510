//! How often a topic is worth a call: pure arithmetic on its recent pace.
//!
//! While calls are rationed, a topic that fills little of a page waits until it would fill
//! [`FILL_FRACTION`] of one (or until the early sweep's delay), and a separate late sweep waits
//! until its window would fill [`SWEEP_FILL_FRACTION`] of one (or has waited a whole delay more).
//! Both waits shrink in proportion to how much the rationing applies, to none when the pool is
//! ample (see [`crate::budget`]).

use chrono::{DateTime, Duration, Utc};

use super::FetchSettings;
use crate::store::SweepCut;

/// A rationed topic is polled once it would fill this much of a page, and the head folds the
/// sweep in when the window fits in this much of one.
const FILL_FRACTION: f64 = 0.6;

/// A separate sweep waits until its window would fill this much of a page.
const SWEEP_FILL_FRACTION: f64 = 0.8;

/// Expected videos in `span` at `videos_per_hour`.
fn estimate(videos_per_hour: u32, span: Duration) -> f64 {
    f64::from(videos_per_hour) * span.num_seconds().max(0) as f64 / 3600.0
}

/// `videos` over `span`, per hour (saturating).
pub(super) fn per_hour(videos: usize, span: Duration) -> u32 {
    let secs = span.num_seconds().max(1) as f64;
    let v = videos as f64 * 3600.0 / secs;
    v.round().min(f64::from(u32::MAX)) as u32
}

/// `d` shortened in proportion to how much the rationing rules apply.
pub(super) fn scale(d: Duration, rationing: f64) -> Duration {
    Duration::milliseconds((d.num_milliseconds() as f64 * rationing.clamp(0.0, 1.0)) as i64)
}

/// The shortest wait between two polls of a topic when calls are rationed in full: the time
/// it takes to fill [`FILL_FRACTION`] of a page at its recent pace, and never more than the
/// early sweep's delay (so a quiet topic is still looked at every few minutes when the pool
/// affords it).
pub(super) fn min_interval(s: &FetchSettings, videos_per_hour: Option<u32>) -> Duration {
    let cap = s.lookback / 3;
    match videos_per_hour {
        Some(v) if v > 0 => {
            let fill = f64::from(s.page_size) * FILL_FRACTION;
            let secs = fill / f64::from(v) * 3600.0;
            Duration::seconds(secs as i64).min(cap)
        }
        _ => cap,
    }
}

/// Whether a sweep of `[from, to]` is worth its call now: it would fill most of a page, or its
/// oldest slice has waited a whole delay beyond its own. Both waits shrink with the rationing:
/// an ample pool sweeps whatever has aged, every run.
pub(super) fn sweep_due(
    s: &FetchSettings,
    videos_per_hour: Option<u32>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    delay: Duration,
    rationing: f64,
) -> bool {
    if to - from >= scale(delay, rationing) {
        return true;
    }
    let Some(v) = videos_per_hour else {
        return true;
    };
    estimate(v, to - from) >= f64::from(s.page_size) * SWEEP_FILL_FRACTION * rationing
}

/// Whether everything from `from` to now likely fits in one page, so the head can re-read the
/// unswept window for free.
pub(super) fn fits_one_page(
    s: &FetchSettings,
    videos_per_hour: Option<u32>,
    span: Duration,
) -> bool {
    match videos_per_hour {
        None => true,
        Some(v) => estimate(v, span) <= f64::from(s.page_size) * FILL_FRACTION,
    }
}

/// Where a sweep of `[mark, c.end]`, whose part above `c.before` was read earlier, stands after
/// a run read down to `oldest` and was cut short again.
pub(super) fn cut_short(
    mark: DateTime<Utc>,
    c: SweepCut,
    oldest: Option<DateTime<Utc>>,
) -> SweepCut {
    let before = oldest.map_or(c.before, |o| o.max(mark).min(c.before));
    SweepCut { before, ..c }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_topic_waits_less_and_an_ample_pool_not_at_all() {
        let s = FetchSettings::default();
        // 30 videos (60 % of 50) at 600 an hour: 3 minutes; a quiet topic: lookback / 3.
        assert_eq!(min_interval(&s, Some(600)), Duration::minutes(3));
        assert_eq!(min_interval(&s, Some(1)), Duration::minutes(5));
        assert_eq!(min_interval(&s, None), Duration::minutes(5));
        assert_eq!(scale(Duration::minutes(3), 0.0), Duration::zero());
        assert_eq!(scale(Duration::minutes(3), 0.5), Duration::seconds(90));
        let t = DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let window = (t, t + Duration::seconds(10));
        assert!(!sweep_due(&s, Some(60), window, Duration::minutes(5), 1.0));
        assert!(sweep_due(&s, Some(60), window, Duration::minutes(5), 0.0));
    }
}
