//! A bounded YAML (and JSON, its subset) loader that keeps line numbers.
//!
//! Written on top of `saphyr-parser`'s event stream rather than a serde deserializer for two
//! reasons: findings must name the line of the offending field, and aliases must be
//! expanded under a budget. A "billion laughs" document is a few hundred bytes of anchors
//! that expand to gigabytes; the parser itself never expands aliases, so the only place the
//! blow-up can happen is here, where every expansion is charged against [`Bounds::max_nodes`].
//!
//! Scalars resolve the way Kubernetes reads them (sigs.k8s.io/yaml over go-yaml v2, a
//! YAML 1.1 resolver): `yes`/`no`/`on`/`off` are booleans, so `hostNetwork: yes` is caught.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Limits on one input file.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Bytes of YAML read from one file.
    pub max_bytes: usize,
    /// Nodes in one file, counting every alias expansion.
    pub max_nodes: usize,
    /// Nesting depth of collections.
    pub max_depth: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_nodes: 1_000_000,
            max_depth: 100,
        }
    }
}

/// Why a file could not be (fully) read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    #[error("line {line}: {message}")]
    /// A YAML syntax error at a line.
    Syntax {
        /// 1-based.
        line: u32,
        /// The parser's message.
        message: String,
    },
    #[error("larger than {0} bytes")]
    /// The input is larger than `Bounds::max_bytes`.
    TooLarge(usize),
    #[error("line {0}: more than the node budget after alias expansion (a YAML bomb?)")]
    /// Alias expansion went past `Bounds::max_nodes`, at a line.
    TooManyNodes(u32),
    #[error("line {0}: nested deeper than the bound")]
    /// Collections nest deeper than `Bounds::max_depth`, at a line.
    TooDeep(u32),
    #[error("line {0}: alias to an unknown anchor")]
    /// An alias names an anchor not defined before it, at a line.
    UnknownAnchor(u32),
    #[error("not UTF-8")]
    /// The bytes are not UTF-8.
    NotUtf8,
}

/// A YAML value with the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based.
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq)]
/// A YAML value as Kubernetes reads it.
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// A boolean, YAML 1.1 spellings included (`yes`, `on`).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// Keys in document order; a repeated key keeps its last value.
    Map(Vec<(String, Node)>),
}

static NULL: Node = Node {
    value: Value::Null,
    line: 0,
};

impl Node {
    /// The value under `key` of a mapping; a null node (line 0) otherwise, so lookups chain.
    pub fn get(&self, key: &str) -> &Node {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Follows a dotted path of mapping keys.
    pub fn at(&self, path: &str) -> &Node {
        path.split('.').fold(self, |n, k| n.get(k))
    }

    /// Whether the node is null (or missing: `get` of an absent key gives null).
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The string, if the node is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if the node is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if the node is one.
    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The items of a sequence; empty for anything else.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    /// The entries of a mapping; empty for anything else.
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// A scalar as text (strings as they are, numbers and booleans printed), as Kubernetes
    /// would see a string-typed field.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            _ => None,
        }
    }

    /// Nodes in this subtree (itself included).
    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(s) => s.iter().map(Node::size).sum(),
            Value::Map(m) => m.iter().map(|(_, v)| v.size()).sum(),
            _ => 0,
        }
    }
}

/// One document of a stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document's root node.
    pub root: Node,
}

/// Parses every document of a YAML stream. On an error the documents before it are
/// returned with it, so one broken document in a Helm render does not hide the others.
pub fn parse_stream(bytes: &[u8], bounds: &Bounds) -> (Vec<Document>, Option<YamlError>) {
    if bytes.len() > bounds.max_bytes {
        return (vec![], Some(YamlError::TooLarge(bounds.max_bytes)));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (vec![], Some(YamlError::NotUtf8));
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut b = Builder {
        bounds: *bounds,
        nodes: 0,
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
    };
    for item in Parser::new_from_str(text) {
        match item {
            Ok((ev, span)) => {
                let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
                if let Err(e) = b.event(ev, line) {
                    return (b.docs, Some(e));
                }
            }
            Err(e) => {
                let line = u32::try_from(e.marker().line()).unwrap_or(u32::MAX);
                return (
                    b.docs,
                    Some(YamlError::Syntax {
                        line,
                        message: e.info().to_string(),
                    }),
                );
            }
        }
    }
    (b.docs, None)
}

enum Frame {
    Seq {
        anchor: usize,
        line: u32,
        items: Vec<Node>,
    },
    Map {
        anchor: usize,
        line: u32,
        entries: Vec<(String, Node)>,
        key: Option<String>,
    },
}

struct Builder {
    bounds: Bounds,
    nodes: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    docs: Vec<Document>,
}

impl Builder {
    fn charge(&mut self, n: usize, line: u32) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.bounds.max_nodes {
            return Err(YamlError::TooManyNodes(line));
        }
        Ok(())
    }

    fn event(&mut self, ev: Event<'_>, line: u32) -> Result<(), YamlError> {
        match ev {
            Event::Scalar(v, style, anchor, tag) => {
                self.charge(1, line)?;
                // Keys stay text as written (a label key `on` is "on", not a boolean).
                let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                let plain = matches!(style, ScalarStyle::Plain) && tag.is_none() && !is_key;
                let node = Node {
                    value: if plain {
                        resolve_plain(&v)
                    } else {
                        Value::Str(v.into_owned())
                    },
                    line,
                };
                self.finish(node, anchor)
            }
            Event::Alias(id) => {
                let size = self
                    .anchors
                    .get(&id)
                    .ok_or(YamlError::UnknownAnchor(line))?
                    .1;
                // Charge before cloning: the clone is the expensive part.
                self.charge(size, line)?;
                let node = self.anchors[&id].0.clone();
                self.finish(node, 0)
            }
            Event::SequenceStart(anchor, _) => {
                self.charge(1, line)?;
                self.push(
                    Frame::Seq {
                        anchor,
                        line,
                        items: Vec::new(),
                    },
                    line,
                )
            }
            Event::MappingStart(anchor, _) => {
                self.charge(1, line)?;
                self.push(
                    Frame::Map {
                        anchor,
                        line,
                        entries: Vec::new(),
                        key: None,
                    },
                    line,
                )
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        anchor,
                        line,
                        items,
                    } => (
                        Node {
                            value: Value::Seq(items),
                            line,
                        },
                        anchor,
                    ),
                    Frame::Map {
                        anchor,
                        line,
                        entries,
                        ..
                    } => (
                        Node {
                            value: Value::Map(merge_keys(entries)),
                            line,
                        },
                        anchor,
                    ),
                };
                self.finish(node, anchor)
            }
            Event::DocumentStart(_) => {
                self.stack.clear();
                Ok(())
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(()),
        }
    }

    fn push(&mut self, frame: Frame, line: u32) -> Result<(), YamlError> {
        if self.stack.len() >= self.bounds.max_depth {
            return Err(YamlError::TooDeep(line));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// A complete node: remember its anchor, then hand it to the enclosing collection (or
    /// make it the document's root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.docs.push(Document { root: node }),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    *key = Some(match node.text() {
                        Some(t) => t.into_owned(),
                        None if node.is_null() => String::new(),
                        // A collection as a key: Kubernetes cannot use it; keep a marker.
                        None => "?".to_string(),
                    });
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// Applies `<<` merge keys (go-yaml supports them): merged entries never override the
/// mapping's own keys.
fn merge_keys(entries: Vec<(String, Node)>) -> Vec<(String, Node)> {
    if !entries.iter().any(|(k, _)| k == "<<") {
        return entries;
    }
    let mut own = Vec::new();
    let mut merged = Vec::new();
    for (k, v) in entries {
        if k == "<<" {
            let sources: Vec<Node> = match v.value {
                Value::Seq(items) => items,
                other => vec![Node {
                    value: other,
                    line: v.line,
                }],
            };
            for s in sources {
                if let Value::Map(m) = s.value {
                    merged.extend(m);
                }
            }
        } else {
            own.push((k, v));
        }
    }
    for (k, v) in merged {
        if !own.iter().any(|(o, _)| *o == k) {
            own.push((k, v));
        }
    }
    own
}

/// Resolves a plain scalar as go-yaml v2 does (YAML 1.1 booleans, 1.2-style numbers).
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let unsigned = s.trim_start_matches(['+', '-']);
    let negative = s.starts_with('-');
    let int = if let Some(h) = unsigned.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = unsigned.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'_') && !unsigned.is_empty() {
        unsigned.replace('_', "").parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Value::Int(if negative { -i } else { i });
    }
    if s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Node {
        let (docs, err) = parse_stream(s.as_bytes(), &Bounds::default());
        assert_eq!(err, None);
        docs.into_iter().next().unwrap().root
    }

    #[test]
    fn lines_and_types() {
        let n = one("a: 1\nb:\n  c: yes\n  d: \"yes\"\n  e: [x, 2]\n");
        assert_eq!(n.get("a").as_int(), Some(1));
        assert_eq!(n.at("b.c").as_bool(), Some(true));
        assert_eq!(n.at("b.c").line, 3);
        assert_eq!(n.at("b.d").as_str(), Some("yes"));
        assert_eq!(n.at("b.e").items().len(), 2);
        assert!(n.at("b.zz.y").is_null());
    }

    #[test]
    fn multi_document_and_json() {
        let (docs, err) = parse_stream(b"---\na: 1\n---\n{\"b\": [1, 2]}\n", &Bounds::default());
        assert_eq!(err, None);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].root.get("b").items()[1].as_int(), Some(2));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let n = one("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        assert_eq!(n.at("use.x").as_int(), Some(1));
        assert_eq!(n.at("use.y").as_int(), Some(3));
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            s.push_str(&format!(
                "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = n;
        }
        let (_, err) = parse_stream(s.as_bytes(), &Bounds::default());
        assert!(matches!(err, Some(YamlError::TooManyNodes(_))), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = "[".repeat(150);
        let (_, err) = parse_stream(s.as_bytes(), &Bounds::default());
        assert!(matches!(err, Some(YamlError::TooDeep(_))), "{err:?}");
        // Far deeper input stops in the parser's own recursion limit, also as an error.
        let s = "[".repeat(100_000);
        let (_, err) = parse_stream(s.as_bytes(), &Bounds::default());
        assert!(err.is_some());
    }

    #[test]
    fn errors_keep_earlier_documents() {
        let (docs, err) = parse_stream(b"a: 1\n---\nb: [\n", &Bounds::default());
        assert_eq!(docs.len(), 1);
        assert!(matches!(err, Some(YamlError::Syntax { .. })));
    }
}
