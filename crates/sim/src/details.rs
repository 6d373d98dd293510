//! What `videos.list` knows about a simulated video beyond its search snippet: length, shape,
//! language, counts and broadcast times.
//!
//! Drawn from a hash of the video id (never from a topic's random stream, so adding details
//! changed no generated video), with the title's script choosing the language, and overridable
//! per injected video ([`crate::NewVideo`]).

use crate::config::{DetailsOverride, LiveState, Shape};
use crate::ids;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Details {
    /// 0 for live and upcoming broadcasts (`P0D`).
    pub duration_s: u32,
    pub shape: Shape,
    pub default_language: Option<String>,
    pub audio_language: Option<String>,
    /// Views the video levels off at; the count grows towards it over its first days.
    pub views_plateau: u64,
    pub likes_hidden: bool,
    pub comments_disabled: bool,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
}

struct Draw<'a> {
    id: &'a str,
}

impl Draw<'_> {
    fn unit(&self, what: &str) -> f64 {
        let h = ids::hash64(&[b"details", what.as_bytes(), self.id.as_bytes()]);
        (h >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&self, what: &str, lo: u32, hi: u32) -> u32 {
        lo + ((self.unit(what) * f64::from(hi - lo + 1)) as u32).min(hi - lo)
    }
}

pub(crate) fn draw(
    id: &str,
    title: &str,
    published_at: DateTime<Utc>,
    live: LiveState,
    shorts_share: f64,
    over: &DetailsOverride,
) -> Details {
    let d = Draw { id };
    let short = live == LiveState::None && d.unit("short") < shorts_share;
    let past_stream = live == LiveState::None && !short && d.unit("past-stream") < 0.03;
    let duration_s = match live {
        LiveState::Live | LiveState::Upcoming => 0,
        LiveState::None if short => d.range("len", 8, 180),
        LiveState::None if past_stream => d.range("len", 1800, 4 * 3600),
        LiveState::None => ordinary_length(&d),
    };
    let shape = if short {
        if d.unit("square") < 0.1 {
            Shape::Square
        } else {
            Shape::Portrait
        }
    } else {
        Shape::Landscape
    };
    let (default_language, audio_language) = languages(&d, title);
    let (scheduled_start, actual_start, actual_end) = match live {
        LiveState::Upcoming => (
            Some(published_at + Duration::minutes(i64::from(d.range("wait", 10, 48 * 60)))),
            None,
            None,
        ),
        LiveState::Live => (
            Some(published_at - Duration::minutes(i64::from(d.range("early", 0, 15)))),
            Some(published_at),
            None,
        ),
        LiveState::None if past_stream => (
            Some(published_at),
            Some(published_at),
            Some(published_at + Duration::seconds(i64::from(duration_s))),
        ),
        LiveState::None => (None, None, None),
    };
    let mut out = Details {
        duration_s,
        shape,
        default_language,
        audio_language,
        // 10 to 10 million, log-uniform: most videos are seen little, a few a lot.
        views_plateau: 10f64.powf(1.0 + 6.0 * d.unit("views")) as u64,
        likes_hidden: d.unit("likes-hidden") < 0.05,
        comments_disabled: d.unit("comments-off") < 0.05,
        scheduled_start,
        actual_start,
        actual_end,
    };
    apply(&mut out, live, over);
    out
}

fn apply(out: &mut Details, live: LiveState, over: &DetailsOverride) {
    if let Some(s) = over.duration_seconds
        && live == LiveState::None
    {
        out.duration_s = s;
    }
    if let Some(s) = over.shape {
        out.shape = s;
    }
    if let Some(lang) = &over.audio_language {
        out.audio_language = (!lang.is_empty()).then(|| lang.clone());
        out.default_language = None;
    }
}

/// Under 4 minutes, 4 to 20, or longer, about 35/45/20.
fn ordinary_length(d: &Draw<'_>) -> u32 {
    let u = d.unit("bucket");
    if u < 0.35 {
        d.range("len", 30, 239)
    } else if u < 0.8 {
        d.range("len", 240, 1200)
    } else {
        d.range("len", 1201, 3 * 3600)
    }
}

/// The languages a channel declares: what the title's script suggests, sometimes with a region,
/// sometimes only the metadata language, sometimes nothing.
fn languages(d: &Draw<'_>, title: &str) -> (Option<String>, Option<String>) {
    let base = script_language(title);
    let tag = match base {
        "en" if d.unit("region") < 0.3 => "en-US",
        "en" if d.unit("region") < 0.45 => "en-GB",
        "zh" => "zh-Hans",
        other => other,
    };
    let u = d.unit("declared");
    if u < 0.6 {
        (Some(tag.to_owned()), Some(tag.to_owned()))
    } else if u < 0.75 {
        (None, Some(tag.to_owned()))
    } else if u < 0.85 {
        (Some(tag.to_owned()), None)
    } else {
        (None, None)
    }
}

fn script_language(title: &str) -> &'static str {
    for c in title.chars() {
        match c {
            '\u{0900}'..='\u{097F}' => return "hi",
            '\u{0D00}'..='\u{0D7F}' => return "ml",
            '\u{0600}'..='\u{06FF}' => return "ar",
            '\u{3040}'..='\u{30FF}' => return "ja",
            _ => {}
        }
    }
    if title
        .chars()
        .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
    {
        // Han without kana: the Chinese titles (the Japanese ones all carry kana or 【】).
        if title.contains('【') { "ja" } else { "zh" }
    } else {
        "en"
    }
}

impl Details {
    /// Views as of `now`: none before publication, most of the plateau after a few days.
    pub(crate) fn views_at(&self, published_at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
        let hours = (now - published_at).num_seconds().max(0) as f64 / 3600.0;
        (self.views_plateau as f64 * (1.0 - (-hours / 36.0).exp())) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn shorts_share_and_shapes() {
        let mut shorts = 0;
        for i in 0..2000 {
            let id = format!("vid{i}");
            let d = draw(
                &id,
                "cricket",
                t0(),
                LiveState::None,
                0.9,
                &DetailsOverride::default(),
            );
            if d.duration_s <= 180 && d.shape != Shape::Landscape {
                shorts += 1;
            }
            assert!(d.duration_s > 0);
        }
        assert!((1700..=1900).contains(&shorts), "{shorts} of 2000 at 90 %");
    }

    #[test]
    fn broadcasts_have_no_length_and_their_times() {
        let up = draw(
            "a",
            "x",
            t0(),
            LiveState::Upcoming,
            0.3,
            &DetailsOverride::default(),
        );
        assert_eq!(up.duration_s, 0);
        assert!(up.scheduled_start.unwrap() > t0() && up.actual_start.is_none());
        let live = draw(
            "b",
            "x",
            t0(),
            LiveState::Live,
            0.3,
            &DetailsOverride::default(),
        );
        assert_eq!((live.duration_s, live.actual_start), (0, Some(t0())));
    }

    #[test]
    fn overrides_win_and_languages_follow_the_script() {
        let over = DetailsOverride {
            duration_seconds: Some(45),
            shape: Some(Shape::Landscape),
            audio_language: Some("pt-BR".into()),
        };
        let d = draw("c", "x", t0(), LiveState::None, 1.0, &over);
        assert_eq!((d.duration_s, d.shape), (45, Shape::Landscape));
        assert_eq!(d.audio_language.as_deref(), Some("pt-BR"));
        assert_eq!(script_language("क्रिकेट हाइलाइट्स"), "hi");
        assert_eq!(script_language("【cricket】ハイライト"), "ja");
        assert_eq!(script_language("cricket 精彩集锦"), "zh");
        assert_eq!(script_language("Can't stop"), "en");
    }

    #[test]
    fn views_grow_towards_the_plateau() {
        let d = draw(
            "d",
            "x",
            t0(),
            LiveState::None,
            0.3,
            &DetailsOverride::default(),
        );
        assert_eq!(d.views_at(t0(), t0()), 0);
        let day = d.views_at(t0(), t0() + Duration::days(1));
        let week = d.views_at(t0(), t0() + Duration::days(7));
        assert!(day <= week && week <= d.views_plateau);
    }
}
