//! YouTube's quota day: it ends at midnight in America/Los_Angeles, whatever the caller's zone.

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;

/// The next midnight in America/Los_Angeles strictly after `now`, when YouTube resets quotas.
/// Computed on the local calendar so it is right on both daylight-saving change days (23- and
/// 25-hour days).
pub fn next_pacific_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let local_date = now.with_timezone(&Los_Angeles).date_naive();
    let next_date = local_date
        .checked_add_days(Days::new(1))
        .unwrap_or(local_date);
    let midnight = next_date.and_time(NaiveTime::MIN);
    // Midnight exists on every US DST change day (changes happen at 02:00), but stay total.
    Los_Angeles
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| now + chrono::Duration::hours(24))
}

/// The Pacific calendar day a call is counted in, as `YYYY-MM-DD`.
pub fn pacific_day(now: DateTime<Utc>) -> String {
    now.with_timezone(&Los_Angeles)
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reset_is_next_la_midnight_across_dst() {
        // Ordinary winter day: PST = UTC-8.
        assert_eq!(
            next_pacific_midnight(utc("2026-01-15T12:00:00Z")),
            utc("2026-01-16T08:00:00Z")
        );
        // Spring forward (2026-03-08, a 23-hour day): midnight of the 9th is PDT = UTC-7.
        assert_eq!(
            next_pacific_midnight(utc("2026-03-08T09:30:00Z")),
            utc("2026-03-09T07:00:00Z")
        );
        // Just before the local midnight that starts the change day (still PST).
        assert_eq!(
            next_pacific_midnight(utc("2026-03-08T07:59:59Z")),
            utc("2026-03-08T08:00:00Z")
        );
        // Fall back (2026-11-01, a 25-hour day): midnight of the 2nd is PST = UTC-8.
        assert_eq!(
            next_pacific_midnight(utc("2026-11-01T08:00:00Z")),
            utc("2026-11-02T08:00:00Z")
        );
        assert_eq!(
            next_pacific_midnight(utc("2026-11-01T06:59:59Z")),
            utc("2026-11-01T07:00:00Z")
        );
        // Exactly at midnight the next reset is a day later.
        assert_eq!(
            next_pacific_midnight(utc("2026-07-01T07:00:00Z")),
            utc("2026-07-02T07:00:00Z")
        );
    }
}
