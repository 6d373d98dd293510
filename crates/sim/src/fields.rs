//! The `fields=` partial-response parameter.
//!
//! Grammar (Google's, minus a few rarities): a comma list of selectors; a selector is a
//! `/`-separated path, optionally followed by a parenthesised sub-list that applies under it.
//! `items(id,snippet(title,thumbnails/default))` keeps `items[].id` whole and, from each snippet,
//! `title` and `thumbnails.default`. Selections on an array apply to each element.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::json::Node;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mask {
    /// The whole value.
    All,
    /// Only these members (of an object, or of each object in an array).
    Some(BTreeMap<String, Mask>),
}

/// Every field a search.list response can have; anything else is an invalid selection.
const SCHEMA: &str = "kind,etag,nextPageToken,prevPageToken,regionCode,\
    pageInfo(totalResults,resultsPerPage),\
    items(kind,etag,id(kind,videoId,channelId,playlistId),\
    snippet(publishedAt,channelId,title,description,\
    thumbnails(default(url,width,height),medium(url,width,height),high(url,width,height),\
    standard(url,width,height),maxres(url,width,height)),\
    channelTitle,liveBroadcastContent,publishTime))";

fn schema() -> &'static Mask {
    static SCHEMA_MASK: OnceLock<Mask> = OnceLock::new();
    // The schema string is a constant known to parse (see the unit test); fall back to "all".
    SCHEMA_MASK.get_or_init(|| Parser::new(SCHEMA).parse_all().unwrap_or(Mask::All))
}

impl Mask {
    /// Parses a `fields` value and checks every name against the search.list schema. The error
    /// is the offending selection, for the 400 message.
    pub(crate) fn parse(input: &str) -> Result<Mask, String> {
        let mask = Parser::new(input).parse_all()?;
        mask.check(schema())?;
        Ok(mask)
    }

    fn check(&self, schema: &Mask) -> Result<(), String> {
        let (Mask::Some(mine), Mask::Some(known)) = (self, schema) else {
            return match (self, schema) {
                (Mask::Some(mine), Mask::All) => {
                    Err(mine.keys().next().cloned().unwrap_or_default())
                }
                _ => Ok(()),
            };
        };
        for (name, sub) in mine {
            match known.get(name) {
                Some(k) => sub.check(k).map_err(|e| format!("{name}/{e}"))?,
                None => return Err(name.clone()),
            }
        }
        Ok(())
    }

    fn merge(self, other: Mask) -> Mask {
        match (self, other) {
            (Mask::Some(mut a), Mask::Some(b)) => {
                for (k, v) in b {
                    let merged = match a.remove(&k) {
                        Some(existing) => existing.merge(v),
                        None => v,
                    };
                    a.insert(k, merged);
                }
                Mask::Some(a)
            }
            _ => Mask::All,
        }
    }

    /// Trims `node` in place, keeping member order.
    pub(crate) fn apply(&self, node: &mut Node) {
        let Mask::Some(keep) = self else { return };
        match node {
            Node::Obj(members) => {
                members.retain(|(k, _)| keep.contains_key(k));
                for (k, v) in members.iter_mut() {
                    if let Some(sub) = keep.get(k) {
                        sub.apply(v);
                    }
                }
            }
            Node::Arr(items) => {
                for i in items {
                    self.apply(i);
                }
            }
            Node::Bool(_) | Node::Int(_) | Node::Str(_) => {}
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    input: &'a str,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser {
            s: input.as_bytes(),
            pos: 0,
            input,
        }
    }

    fn parse_all(mut self) -> Result<Mask, String> {
        let m = self.list()?;
        self.ws();
        if self.pos != self.s.len() {
            return Err(self.input.to_owned());
        }
        Ok(m)
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn list(&mut self) -> Result<Mask, String> {
        let mut acc = self.selector()?;
        while self.eat(b',') {
            acc = acc.merge(self.selector()?);
        }
        Ok(acc)
    }

    fn selector(&mut self) -> Result<Mask, String> {
        let mut path = vec![self.name()?];
        while self.eat(b'/') {
            path.push(self.name()?);
        }
        let mut inner = Mask::All;
        if self.eat(b'(') {
            inner = self.list()?;
            if !self.eat(b')') {
                return Err(self.input.to_owned());
            }
        }
        Ok(path.into_iter().rev().fold(inner, |acc, name| {
            if name == "*" {
                Mask::All
            } else {
                Mask::Some(BTreeMap::from([(name, acc)]))
            }
        }))
    }

    fn name(&mut self) -> Result<String, String> {
        self.ws();
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || matches!(self.s[self.pos], b'_' | b'*'))
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.input.to_owned());
        }
        Ok(self.input[start..self.pos].to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_parses() {
        assert!(matches!(Parser::new(SCHEMA).parse_all(), Ok(Mask::Some(_))));
    }

    #[test]
    fn parses_the_mopidy_selection_with_spaces() {
        let m =
            Mask::parse("items(id, snippet(title, thumbnails(default), channelTitle))").unwrap();
        let n = Mask::parse("items(id,snippet(title,thumbnails/default,channelTitle))").unwrap();
        assert_eq!(m, n);
    }

    #[test]
    fn rejects_unknown_names_and_bad_syntax() {
        assert_eq!(Mask::parse("items(foo)"), Err("items/foo".to_owned()));
        assert_eq!(Mask::parse("kind/x"), Err("kind/x".to_owned()));
        assert!(Mask::parse("items(id").is_err());
        assert!(Mask::parse("").is_err());
        assert!(Mask::parse("items,,kind").is_err());
    }

    #[test]
    fn applies_in_order() {
        let mut n = Node::obj()
            .with("kind", "k")
            .with(
                "items",
                vec![
                    Node::obj()
                        .with("kind", "x")
                        .with("id", Node::obj().with("videoId", "a").with("kind", "v")),
                ],
            )
            .with("etag", "e");
        Mask::parse("etag,items/id/videoId").unwrap().apply(&mut n);
        let expected = Node::obj()
            .with(
                "items",
                vec![Node::obj().with("id", Node::obj().with("videoId", "a"))],
            )
            .with("etag", "e");
        assert_eq!(n, expected);
    }
}
