//! The detail filters of list requests: `shorts`, `duration`, `min_duration`, `max_duration`
//! and `lang`, each a 400 naming the parameter when malformed.

use tubefeed_core::{DurationBucket, Language, ShortsFilter, VideoFilter};

use crate::error::ApiError;

/// Languages one request may name.
pub const MAX_LANGUAGES: usize = 10;
/// Longest duration bound accepted (a week of seconds; YouTube's longest uploads are 12 h).
const MAX_DURATION_SECONDS: u32 = 7 * 24 * 3600;

/// The raw values, in the order they are checked.
pub struct FilterParams {
    pub shorts: Option<String>,
    pub duration: Option<String>,
    pub min_duration: Option<String>,
    pub max_duration: Option<String>,
    pub lang: Option<String>,
}

pub fn parse_filter(p: FilterParams) -> Result<VideoFilter, ApiError> {
    let shorts = match p.shorts.as_deref().map(str::trim) {
        None => None,
        Some("exclude") => Some(ShortsFilter::Exclude),
        Some("only") => Some(ShortsFilter::Only),
        Some(_) => return Err(ApiError::bad("shorts", "must be 'exclude' or 'only'")),
    };
    let (bucket_min, bucket_max) = match p.duration.as_deref().map(str::trim) {
        None => (None, None),
        Some(b) => bucket_bounds(b)?,
    };
    let min = seconds("min_duration", p.min_duration)?;
    let max = seconds("max_duration", p.max_duration)?;
    Ok(VideoFilter {
        shorts,
        // Both kinds of bound at once: the videos within both.
        min_duration: [bucket_min, min].into_iter().flatten().max(),
        max_duration: [bucket_max, max].into_iter().flatten().min(),
        languages: languages(p.lang)?,
    })
}

/// YouTube's buckets: under 4 minutes, 4 to 20 minutes, over 20 minutes.
fn bucket_bounds(b: &str) -> Result<(Option<u32>, Option<u32>), ApiError> {
    let bucket = match b {
        "short" => DurationBucket::Short,
        "medium" => DurationBucket::Medium,
        "long" => DurationBucket::Long,
        _ => {
            return Err(ApiError::bad(
                "duration",
                "must be 'short' (under 4 minutes), 'medium' (4 to 20) or 'long' (over 20)",
            ));
        }
    };
    Ok(match bucket {
        DurationBucket::Short => (None, Some(4 * 60 - 1)),
        DurationBucket::Medium => (Some(4 * 60), Some(20 * 60)),
        DurationBucket::Long => (Some(20 * 60 + 1), None),
    })
}

fn seconds(param: &'static str, raw: Option<String>) -> Result<Option<u32>, ApiError> {
    raw.map(|s| match s.trim().parse::<u32>() {
        Ok(n) if n <= MAX_DURATION_SECONDS => Ok(n),
        _ => Err(ApiError::bad(
            param,
            format!("must be a whole number of seconds from 0 to {MAX_DURATION_SECONDS}"),
        )),
    })
    .transpose()
}

fn languages(raw: Option<String>) -> Result<Vec<Language>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let mut out: Vec<Language> = Vec::new();
    for part in raw.split(',') {
        let l = Language::parse(part).map_err(|_| {
            ApiError::bad(
                "lang",
                "must be language codes separated by commas, each 2 or 3 letters (en,pt)",
            )
        })?;
        if !out.contains(&l) {
            out.push(l);
        }
    }
    if out.len() > MAX_LANGUAGES {
        return Err(ApiError::bad(
            "lang",
            format!("may name at most {MAX_LANGUAGES} languages"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> FilterParams {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        };
        FilterParams {
            shorts: get("shorts"),
            duration: get("duration"),
            min_duration: get("min_duration"),
            max_duration: get("max_duration"),
            lang: get("lang"),
        }
    }

    fn bad(pairs: &[(&str, &str)]) -> String {
        match parse_filter(p(pairs)) {
            Err(ApiError::BadParam { param, .. }) => param.to_owned(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn buckets_and_bounds_intersect() {
        let f = parse_filter(p(&[("duration", "medium"), ("max_duration", "600")])).unwrap();
        assert_eq!((f.min_duration, f.max_duration), (Some(240), Some(600)));
        let f = parse_filter(p(&[("duration", "short"), ("min_duration", "300")])).unwrap();
        assert!(f.is_unsatisfiable());
        let f = parse_filter(p(&[("duration", "long")])).unwrap();
        assert_eq!((f.min_duration, f.max_duration), (Some(1201), None));
        let f = parse_filter(p(&[("shorts", "exclude"), ("lang", "EN,pt,en")])).unwrap();
        assert_eq!(f.shorts, Some(ShortsFilter::Exclude));
        let langs: Vec<&str> = f.languages.iter().map(Language::as_str).collect();
        assert_eq!(langs, ["en", "pt"]);
        assert!(parse_filter(p(&[])).unwrap().is_empty());
    }

    #[test]
    fn every_malformed_value_names_its_parameter() {
        assert_eq!(bad(&[("shorts", "hide")]), "shorts");
        assert_eq!(bad(&[("duration", "tiny")]), "duration");
        assert_eq!(bad(&[("min_duration", "-1")]), "min_duration");
        assert_eq!(bad(&[("max_duration", "1e3")]), "max_duration");
        assert_eq!(bad(&[("max_duration", "604801")]), "max_duration");
        assert_eq!(bad(&[("lang", "english")]), "lang");
        assert_eq!(bad(&[("lang", "en,,pt")]), "lang");
        let many = "aa,ab,ac,ad,ae,af,ag,ah,ai,aj,ak";
        assert_eq!(bad(&[("lang", many)]), "lang");
    }
}
