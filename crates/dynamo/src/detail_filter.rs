//! A detail filter (`shorts`, `duration`, `lang`) and the blocked channels as a DynamoDB
//! `FilterExpression` on video items, which carry their details as the map `details` (see
//! `VideoItem`).

use aws_sdk_dynamodb::types::AttributeValue;
use tubefeed_core::{FeedQuery, ShortsFilter};

/// A filter expression and the names and values it uses.
#[derive(Debug, Default, Clone)]
pub(crate) struct Expression {
    pub expr: String,
    pub names: Vec<(String, String)>,
    pub values: Vec<(String, AttributeValue)>,
}

/// `None` when the query filters nothing. `LANGUAGE` is a reserved word: every name goes
/// through `#`.
pub(crate) fn item_filter(q: &FeedQuery) -> Option<Expression> {
    let f = &q.filter;
    if f.is_empty() && q.hidden_channels.is_empty() {
        return None;
    }
    let mut e = Expression::default();
    let mut parts: Vec<String> = Vec::new();
    if let Some(hidden) = hidden_channels(q, &mut e) {
        parts.push(hidden);
    }
    // Every name is declared only when a part uses it: DynamoDB refuses unused names.
    if !f.is_empty() {
        e.names.push(("#det".into(), "details".into()));
    }
    let name = |e: &mut Expression, n: &str, attr: &str| {
        if !e.names.iter().any(|(k, _)| k == n) {
            e.names.push((n.into(), attr.into()));
        }
    };
    match f.shorts {
        None => {}
        Some(ShortsFilter::Exclude) => {
            name(&mut e, "#short", "is_short");
            e.values.push((":no".into(), AttributeValue::Bool(false)));
            // Not known yet: shown until its details say it is a Short.
            parts.push("(attribute_not_exists(#det) OR #det.#short = :no)".into());
        }
        Some(ShortsFilter::Only) => {
            name(&mut e, "#short", "is_short");
            e.values.push((":yes".into(), AttributeValue::Bool(true)));
            parts.push("#det.#short = :yes".into());
        }
    }
    if let Some(min) = f.min_duration {
        name(&mut e, "#dur", "duration_seconds");
        e.values
            .push((":dmin".into(), AttributeValue::N(min.to_string())));
        parts.push("#det.#dur >= :dmin".into());
    }
    if let Some(max) = f.max_duration {
        name(&mut e, "#dur", "duration_seconds");
        e.values
            .push((":dmax".into(), AttributeValue::N(max.to_string())));
        parts.push("#det.#dur <= :dmax".into());
    }
    if !f.languages.is_empty() {
        name(&mut e, "#lang", "language");
        let mut list = Vec::new();
        for (i, l) in f.languages.iter().enumerate() {
            e.values
                .push((format!(":l{i}"), AttributeValue::S(l.to_string())));
            list.push(format!(":l{i}"));
        }
        parts.push(format!("#det.#lang IN ({})", list.join(", ")));
    }
    e.expr = parts.join(" AND ");
    Some(e)
}

/// `NOT (channel_id IN (…))` over the blocked channels, its values added to `e`.
pub(crate) fn hidden_channels(q: &FeedQuery, e: &mut Expression) -> Option<String> {
    if q.hidden_channels.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for (i, c) in q.hidden_channels.iter().enumerate() {
        e.values
            .push((format!(":h{i}"), AttributeValue::S(c.to_string())));
        list.push(format!(":h{i}"));
    }
    Some(format!("NOT (channel_id IN ({}))", list.join(", ")))
}
