//! A tiny insertion-ordered JSON tree.
//!
//! Google writes keys in a fixed order that differs between the legacy and the current error
//! format (`errors, code, message` versus `code, message, errors, status`), and `fields=` trims
//! objects in place. `serde_json::Value` sorts keys unless the workspace-wide `preserve_order`
//! feature is switched on, which would change other crates' output, so this crate keeps its own.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
}

impl Node {
    pub(crate) fn obj() -> Node {
        Node::Obj(Vec::new())
    }

    /// Appends a member; only meaningful on objects.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Node>) -> Node {
        if let Node::Obj(members) = &mut self {
            members.push((key.to_owned(), value.into()));
        }
        self
    }

    pub(crate) fn with_opt(self, key: &str, value: Option<impl Into<Node>>) -> Node {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// Serializes like Google's front end: pretty-printed with the given indent, a trailing
    /// newline, and `<`/`>` written as `\u003c`/`\u003e` (see the raw `quotaExceeded` capture).
    pub(crate) fn to_wire(&self, indent: &[u8]) -> String {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        if self.serialize(&mut ser).is_err() {
            // Serializing this tree into memory cannot fail; an empty object keeps the answer JSON.
            return "{}\n".to_owned();
        }
        let text = String::from_utf8_lossy(&out);
        // `<` and `>` can only occur inside JSON strings, so this rewrite cannot break structure.
        let mut s = text.replace('<', "\\u003c").replace('>', "\\u003e");
        s.push('\n');
        s
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_owned())
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}

impl From<bool> for Node {
    fn from(b: bool) -> Node {
        Node::Bool(b)
    }
}

impl From<i64> for Node {
    fn from(n: i64) -> Node {
        Node::Int(n)
    }
}

impl From<Vec<Node>> for Node {
    fn from(v: Vec<Node>) -> Node {
        Node::Arr(v)
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Int(n) => s.serialize_i64(*n),
            Node::Str(v) => s.serialize_str(v),
            Node::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Node::Obj(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_escapes_angle_brackets() {
        let n = Node::obj().with("z", 1).with("a", "<a href=\"x\">q</a>");
        let w = n.to_wire(b"  ");
        assert_eq!(
            w,
            "{\n  \"z\": 1,\n  \"a\": \"\\u003ca href=\\\"x\\\"\\u003eq\\u003c/a\\u003e\"\n}\n"
        );
        let v: serde_json::Value = serde_json::from_str(&w).unwrap();
        assert_eq!(v["a"], "<a href=\"x\">q</a>");
    }
}
