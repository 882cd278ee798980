//! YAML loading into a tree that keeps every node's position.
//!
//! The suite, catalogue and profile loaders decode this tree by hand rather
//! than through serde, so that they can report every problem of a file at
//! once, each at its own `file:line:col`. The tree is built from
//! saphyr-parser's event stream with hard bounds: nesting depth, node count
//! (which also defuses alias bombs), and duplicate keys are refused.

use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::{Diagnostic, Loc, SourceFile};

/// Largest YAML file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;
/// Most nodes one file may expand to, aliases included.
pub const MAX_NODES: usize = 250_000;

/// A YAML value with its position.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys keep their own positions, for "unknown key" diagnostics.
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A key's text: mapping keys are compared as text whatever their type.
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Seq(_) | Value::Map(_) => "<complex key>".into(),
        }
    }

    /// What kind of value this is, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The same value as JSON (mapping keys become strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parse one YAML document. Errors are final: a file that does not parse
/// cannot be decoded further.
pub fn parse(source: &SourceFile) -> Result<Node, Diagnostic> {
    if source.text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(format!(
            "file is {} bytes, larger than the {} bytes accepted",
            source.text.len(),
            MAX_FILE_BYTES
        ))
        .at(&Loc {
            file: source.name.clone(),
            line: 1,
            col: 1,
        }));
    }
    let widths = Widths::of(&source.text);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = cores.min(source.text.len() / PART_BYTES);
    if parts > 1
        && let Some(node) = parse_in_parts(source, &widths, parts)
    {
        return Ok(node);
    }
    let whole = Part {
        text: &source.text,
        lines_before: 0,
        depth_before: 0,
    };
    parse_part(source, &widths, &whole).map(|(node, _)| node)
}

/// Files at least twice this long are parsed in parts side by side, where
/// their shape allows it (see [`cut_points`]).
const PART_BYTES: usize = 64 * 1024;

/// A stretch of a file parsed as a document of its own.
struct Part<'a> {
    text: &'a str,
    /// Lines of the file before this part, to give positions in the file.
    lines_before: usize,
    /// Collections the part sits in within the file, to bound nesting alike.
    depth_before: usize,
}

/// A file whose last top-level key holds a block sequence (a suite's
/// `cases:`) parsed in about `parts` parts side by side: the head with the first items,
/// then runs of items, each parsed as a sequence of its own and appended.
///
/// Nothing here decides what the file means. Any part that does not parse
/// cleanly on its own (a quoted scalar or flow collection cut in two, an
/// alias to an anchor of another part, too many nodes) gives `None`, and the
/// file is parsed whole, so that a file gives the same tree, or the same
/// first error, either way.
fn parse_in_parts(source: &SourceFile, widths: &Widths, parts: usize) -> Option<Node> {
    let cuts = cut_points(&source.text, parts)?;
    let mut parts = Vec::with_capacity(cuts.len() + 1);
    let mut from = (0, 0);
    for &(at, line) in cuts.iter().chain([(source.text.len(), 0)].iter()) {
        parts.push(Part {
            text: &source.text[from.0..at],
            lines_before: from.1,
            depth_before: if from.0 == 0 { 0 } else { 1 },
        });
        from = (at, line);
    }
    let parsed = crate::parallel::in_parts(&parts, 1, |mine| {
        mine.iter()
            .map(|part| parse_part(source, widths, part).ok())
            .collect::<Vec<_>>()
    });
    let mut parsed = parsed.into_iter().flatten();
    let (mut root, mut nodes) = parsed.next()??;
    let Value::Map(entries) = &mut root.value else {
        return None;
    };
    let Value::Seq(items) = &mut entries.last_mut()?.1.value else {
        return None;
    };
    for part in parsed {
        let (
            Node {
                value: Value::Seq(more),
                ..
            },
            count,
        ) = part?
        else {
            return None;
        };
        items.extend(more);
        // The part's own sequence node is the one already counted.
        nodes += count - 1;
    }
    (nodes <= MAX_NODES).then_some(root)
}

/// Where a file can be cut into about `parts` parts: the starts (byte
/// offset, 0-based line) of items of the block sequence held by the last
/// top-level key, each part after the first beginning with an item.
///
/// Only a plain shape is cut: the last top-level key is a bare `key:` with
/// its sequence on the lines below, running to the end of the file; every
/// line at the sequence's indentation starts an item, and none is less
/// indented. No directives or document markers, and no block scalar that
/// keeps its trailing blank lines (`|+`): a part ends where such a scalar
/// may, and the parser's reading of what it keeps there is not worth a bet.
fn cut_points(text: &str, parts: usize) -> Option<Vec<(usize, usize)>> {
    // The item starts of the sequence under the latest top-level key, while
    // that key's value still has the plain shape.
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut indent: Option<usize> = None;
    let mut plain = false;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if body.starts_with(['%']) || body.starts_with("---") || body.starts_with("...") {
            return None;
        }
        let content = body.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let at = body.len() - content.len();
        let item = content == "-" || content.starts_with("- ");
        if at == 0 && !item {
            plain = bare_key(content);
            items.clear();
            indent = None;
            continue;
        }
        if !plain {
            continue;
        }
        if keeps_trailing_lines(content) {
            plain = false;
            continue;
        }
        match indent {
            None if item => indent = Some(at),
            Some(i) if at == i && item => items.push((start, index)),
            Some(i) if at > i => {}
            _ => plain = false,
        }
    }
    if !plain || items.is_empty() {
        return None;
    }
    let mut cuts = Vec::with_capacity(parts - 1);
    let mut next = items.iter().peekable();
    for k in 1..parts {
        let target = text.len() * k / parts;
        while next.next_if(|(at, _)| *at < target).is_some() {}
        cuts.extend(next.next());
    }
    (!cuts.is_empty()).then_some(cuts)
}

/// A top-level line that is only a plain key and its colon (and perhaps a
/// comment), so that its value is on the lines below.
fn bare_key(content: &str) -> bool {
    let content = content
        .split_once(" #")
        .map_or(content, |(before, _)| before)
        .trim_end();
    content.strip_suffix(':').is_some_and(|key| {
        key.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    })
}

/// Whether a line may open a block scalar that keeps its trailing line
/// breaks (`|+`, `>2+`, `|+2`); a false alarm only means a file is parsed whole.
fn keeps_trailing_lines(content: &str) -> bool {
    let bytes = content.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        matches!(b, b'|' | b'>') && {
            let rest = &bytes[i + 1..];
            match rest {
                [d, b'+', ..] if d.is_ascii_digit() => true,
                [first, ..] => *first == b'+',
                [] => false,
            }
        }
    })
}

/// One document from a part of a file, and how many nodes it holds.
fn parse_part(
    source: &SourceFile,
    widths: &Widths,
    part: &Part<'_>,
) -> Result<(Node, usize), Diagnostic> {
    // Each part's positions share a name of their own: parts built side by
    // side then count references on separate cache lines.
    let name: Arc<str> = if part.lines_before == 0 {
        source.name.clone()
    } else {
        Arc::from(&*source.name)
    };
    let at = |line: usize, col: usize| Loc {
        file: name.clone(),
        line: line as u32,
        col: col as u32 + 1,
    };
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        documents: 0,
        depth_before: part.depth_before,
    };
    for event in Parser::new_from_str(part.text) {
        let (event, span) = event.map_err(|e| {
            // The parser may mark the end of input past the last line: clamp to the text.
            let (line, mut col) =
                widths.clamp(part.lines_before + e.marker().line(), e.marker().col());
            let info = e.info();
            if info.contains("tab") {
                // The parser marks the character after the tab: point at the tab.
                if let Some(i) = source.line_text(line as u32).and_then(|l| {
                    l.chars()
                        .take(col + 1)
                        .collect::<Vec<_>>()
                        .iter()
                        .rposition(|c| *c == '\t')
                }) {
                    col = i;
                }
            }
            let info = if info.contains("recursion limit") {
                format!("nesting too deep for the parser ({info})")
            } else {
                info.to_string()
            };
            Diagnostic::new(format!("YAML syntax: {info}"))
                .at(&at(line, col))
                .quote(source)
        })?;
        builder
            .event(event, {
                let (line, col) =
                    widths.clamp(part.lines_before + span.start.line(), span.start.col());
                at(line, col)
            })
            .map_err(|d| d.quote(source))?;
    }
    let root = builder.root.unwrap_or(Node {
        value: Value::Null,
        loc: at(1, 0),
    });
    Ok((root, builder.nodes))
}

/// The width in characters of every line of a text, to keep parser
/// positions inside it (the parser may mark the end of input past the last line).
struct Widths(Vec<usize>);

impl Widths {
    fn of(text: &str) -> Widths {
        Widths(
            text.split('\n')
                .map(|l| l.trim_end_matches('\r').chars().count())
                .collect(),
        )
    }

    /// A 1-based line and 0-based column moved inside the text: at most the
    /// last line, at most just past the end of its line.
    fn clamp(&self, line: usize, col: usize) -> (usize, usize) {
        let line = line.clamp(1, self.0.len());
        (line, col.min(self.0[line - 1]))
    }
}

enum Open {
    Seq {
        loc: Loc,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        loc: Loc,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
    /// Collections around the part being built, counted towards [`MAX_DEPTH`].
    depth_before: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, loc: Loc) -> Result<(), Diagnostic> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Diagnostic::new(
                        "a second YAML document; a file holds exactly one",
                    )
                    .at(&loc));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = if let Some(tag) = tag {
                    if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
                        match tag.suffix.as_str() {
                            "str" => Value::Str(text.into_owned()),
                            _ => resolve_plain(&text),
                        }
                    } else {
                        return Err(Diagnostic::new(format!(
                            "YAML tag `{}{}` is not supported",
                            tag.handle, tag.suffix
                        ))
                        .at(&loc));
                    }
                } else if style == ScalarStyle::Plain {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                let node = Node { value, loc };
                self.count(1, &node.loc)?;
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node)?;
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| Diagnostic::new("alias to an unknown anchor").at(&loc))?;
                let size = count_nodes(&node);
                self.count(size, &loc)?;
                self.add(node)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(Open::Seq {
                    loc,
                    anchor,
                    items: Vec::new(),
                })?;
            }
            Event::MappingStart(anchor, _) => {
                self.open(Open::Map {
                    loc,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                })?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Seq { loc, anchor, items }) => {
                        let n = Node {
                            value: Value::Seq(items),
                            loc,
                        };
                        (n, anchor)
                    }
                    Some(Open::Map {
                        loc,
                        anchor,
                        entries,
                        ..
                    }) => {
                        let n = Node {
                            value: Value::Map(entries),
                            loc,
                        };
                        (n, anchor)
                    }
                    None => return Ok(()),
                };
                let (node, anchor) = node;
                self.count(1, &node.loc)?;
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn count(&mut self, n: usize, loc: &Loc) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::new(format!(
                "the document expands to more than {MAX_NODES} nodes (an alias bomb?)"
            ))
            .at(loc));
        }
        Ok(())
    }

    fn open(&mut self, open: Open) -> Result<(), Diagnostic> {
        if self.depth_before + self.stack.len() >= MAX_DEPTH {
            let loc = match &open {
                Open::Seq { loc, .. } | Open::Map { loc, .. } => loc.clone(),
            };
            return Err(
                Diagnostic::new(format!("nesting deeper than {MAX_DEPTH} levels")).at(&loc),
            );
        }
        self.stack.push(open);
        Ok(())
    }

    fn add(&mut self, node: Node) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => {
                    if let Some((first, _)) = entries.iter().find(|(k, _)| same_key(k, &node)) {
                        return Err(Diagnostic::new(format!(
                            "duplicate key `{}` (first defined at line {})",
                            node.key_text(),
                            first.loc.line
                        ))
                        .at(&node.loc));
                    }
                    *key = Some(node);
                    Ok(())
                }
                Some(k) => {
                    entries.push((k, node));
                    Ok(())
                }
            },
        }
    }
}

/// Whether two mapping keys are the same key, as [`Node::key_text`] reads
/// them; string keys (nearly all) are compared without copying either.
fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => a.key_text() == b.key_text(),
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
        _ => 0,
    }
}

/// A command-line value (`--set k=v`) read as a plain YAML scalar.
pub fn scalar(text: &str) -> serde_json::Value {
    Node {
        value: resolve_plain(text),
        loc: Loc {
            file: "--set".into(),
            line: 1,
            col: 1,
        },
    }
    .to_json()
}

/// YAML 1.2 core schema resolution of a plain scalar. Dates stay strings.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        return Value::Str(text.to_string());
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    if looks_like_float(digits)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.to_string())
}

fn looks_like_float(s: &str) -> bool {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = {
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        (mantissa.contains('.') || exp.is_some())
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(int.is_empty() && frac.is_empty())
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node, Diagnostic> {
        parse(&SourceFile::new("t.yaml", text))
    }

    #[test]
    fn keeps_positions_and_types() {
        let node = load("a: 1\nb:\n  - x\n  - 2.5\n  - true\n  - '3'\nc: 2027-01-01\n").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        assert_eq!(entries[1].0.loc.line, 2);
        let Value::Seq(items) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!((items[0].loc.line, items[0].loc.col), (3, 5));
        assert!(matches!(items[1].value, Value::Float(f) if f == 2.5));
        assert!(matches!(items[2].value, Value::Bool(true)));
        assert!(matches!(&items[3].value, Value::Str(s) if s == "3"));
        assert!(matches!(&entries[2].1.value, Value::Str(s) if s == "2027-01-01"));
    }

    #[test]
    fn refuses_duplicate_keys_at_the_second() {
        let err = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
        assert_eq!(err.loc.unwrap().line, 3);
    }

    #[test]
    fn defuses_alias_bombs() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h'] {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        let err = load(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{}", err.message);
    }

    #[test]
    fn bounds_nesting() {
        let text = "[".repeat(200) + &"]".repeat(200);
        assert!(load(&text).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("YAML syntax"));
        assert!(err.loc.is_some());
    }

    #[test]
    fn a_tab_as_indentation_is_pointed_at() {
        let err = load("a:\n\tb: 1\n").unwrap_err();
        assert!(err.message.contains("tab"), "{}", err.message);
        let loc = err.loc.unwrap();
        assert_eq!((loc.line, loc.col), (2, 1));
    }

    /// Found by the property test: the parser marks the end of input on the
    /// line after the last one; diagnostics point inside the text instead.
    #[test]
    fn errors_at_the_end_of_input_point_inside_the_text() {
        for text in ["%\u{a8f}", "- \n{{ profile.x }}"] {
            let loc = load(text).unwrap_err().loc.unwrap();
            let lines: Vec<&str> = text.split('\n').collect();
            assert!(loc.line as usize <= lines.len(), "{text:?}: {loc}");
            let width = lines[loc.line as usize - 1].chars().count() as u32;
            assert!(loc.col <= width + 1, "{text:?}: {loc}");
        }
        let node = load("? ").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        assert_eq!(entries[0].0.loc.line, 1);
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        assert!(matches!(resolve_plain("1e3"), Value::Float(_)));
        assert!(matches!(resolve_plain("0x1F"), Value::Int(31)));
        assert!(matches!(resolve_plain("1.2.3"), Value::Str(_)));
        assert!(matches!(resolve_plain("2xx"), Value::Str(_)));
        assert!(matches!(resolve_plain("~"), Value::Null));
    }

    /// The whole parse and the parse in `k` parts of a text, as debug text
    /// (positions included) to compare.
    fn both_ways(text: &str, k: usize) -> (Result<String, String>, Option<String>) {
        let source = SourceFile::new("t.yaml", text);
        let widths = Widths::of(text);
        let whole = Part {
            text,
            lines_before: 0,
            depth_before: 0,
        };
        let whole = parse_part(&source, &widths, &whole)
            .map(|(node, _)| format!("{node:?}"))
            .map_err(|d| d.message);
        let parts = parse_in_parts(&source, &widths, k).map(|node| format!("{node:?}"));
        (whole, parts)
    }

    fn suite_like(items: usize) -> String {
        let mut text = String::from("# a suite\nsuite: s\nvars:\n  x: 1\ncases:\n");
        for i in 0..items {
            text.push_str(&format!(
                "  - id: c{i}\n    request:\n      path: /services/{i}.json\n    expect:\n      status: 200\n      body: |\n        line\n\n        more\n\n"
            ));
        }
        text
    }

    #[test]
    fn a_suite_parsed_in_parts_is_the_suite_parsed_whole() {
        let text = suite_like(40);
        for k in 2..=5 {
            let (whole, parts) = both_ways(&text, k);
            assert_eq!(
                parts.expect("this shape is cut"),
                whole.unwrap(),
                "{k} parts"
            );
        }
    }

    #[test]
    fn shapes_a_cut_could_change_are_parsed_whole() {
        let head = "suite: s\ncases:\n  - a\n";
        for (why, rest) in [
            (
                "a quoted scalar across a cut",
                "  - \"b\n  - c\"\n  - d\n  - e\n",
            ),
            (
                "a flow collection across a cut",
                "  - [b,\n  - c]\n  - d\n  - e\n",
            ),
            (
                "an alias to an earlier part",
                "  - &x b\n  - c\n  - d\n  - *x\n",
            ),
            ("kept trailing lines", "  - |+\n    b\n\n  - c\n  - d\n"),
            (
                "a key after the sequence",
                "  - b\n  - c\n  - d\nafter: 1\n",
            ),
            ("a second document", "  - b\n  - c\n---\n- d\n"),
            ("a less indented line", "  - b\n - c\n  - d\n"),
        ] {
            // Some cut lands on the shape and steps aside; cuts elsewhere
            // must agree with the whole parse.
            let text = format!("{head}{rest}");
            let mut stepped_aside = false;
            for k in 2..=4 {
                let (whole, parts) = both_ways(&text, k);
                match parts {
                    None => stepped_aside = true,
                    Some(parts) => assert_eq!(Ok(parts), whole, "{why}, {k} parts"),
                }
            }
            assert!(stepped_aside, "{why}");
        }
        for flow in [
            "suite: s\ncases: [a,\n  b, c, d]\n",
            "%YAML 1.2\n---\ncases:\n  - a\n  - b\n",
        ] {
            assert_eq!(both_ways(flow, 2).1, None, "{flow:?}");
        }
    }

    #[test]
    fn errors_in_a_part_are_the_whole_files_errors() {
        // The part fails, the file is parsed whole, and the error points
        // where it would have anyway.
        let text = suite_like(10) + "  - id: x\n    a: 1\n    a: 2\n";
        let err = load(&text).unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
        assert_eq!(err.loc.unwrap().line as usize, text.lines().count());
        let (whole, parts) = both_ways(&text, 3);
        assert!(whole.is_err() && parts.is_none());
    }

    #[test]
    fn every_shipped_yaml_file_parses_the_same_in_parts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pending: Vec<_> = ["suites", "countries", "fixtures"]
            .iter()
            .map(|d| root.join(d))
            .collect();
        let mut seen = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    seen += 1;
                    for k in 2..=4 {
                        let (whole, parts) = both_ways(&text, k);
                        match (whole, parts) {
                            (Ok(whole), Some(parts)) => {
                                assert_eq!(parts, whole, "{}", path.display())
                            }
                            (Err(_), Some(_)) => {
                                panic!("{} errs whole but not in parts", path.display())
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        assert!(seen > 20, "only {seen} YAML files found");
    }

    mod cut {
        use super::*;
        use proptest::prelude::*;

        /// Items of a case list, in shapes a cut might get wrong: `{i}` is
        /// the sequence's indentation, `{n}` a number.
        const ITEMS: &[&str] = &[
            "{i}- id: c{n}\n{i}  request: {path: /x/{n}}\n",
            "{i}- plain\n{i}  continued {n}\n",
            "{i}- body: |\n{i}    line {n}\n\n{i}    more\n\n",
            "{i}- body: >-\n{i}    folded\n\n",
            "{i}- body: |+\n{i}    kept\n\n",
            "{i}- \"quoted\n{i}- across {n}\"\n",
            "{i}- 'single\n\n{i}  quoted'\n",
            "{i}- [a, {n},\n{i}- b]\n",
            "{i}- {k: v,\n{i}   w: {n}}\n",
            "{i}- &a{n} anchored\n",
            "{i}- *a{n}\n",
            "{i}- *a0\n",
            "# column 0 comment\n",
            "\n",
            "{i}  # indented comment\n",
            "{i}-\n{i}  - nested {n}\n",
            "{i}- x: 1\n{i}  x: 2\n",
            "{i}-\tx\n",
            "{i}- ? complex\n{i}  : key\n",
            "{i}- !!str {n}\n",
            "{i}- \"unterminated\n",
            "{i}- - a\n{i}  - b\n",
        ];

        fn item() -> impl Strategy<Value = (usize, u8)> {
            (0..ITEMS.len(), 0u8..4)
        }

        proptest! {
            #[test]
            fn parts_agree_with_the_whole_or_step_aside(
                indent in prop::sample::select(vec![0usize, 2, 4]),
                items in prop::collection::vec(item(), 1..24),
                trailing in prop::sample::select(vec!["", "after: 1\n", "# end\n", "  - last\n"]),
                k in 2usize..6,
            ) {
                let pad = " ".repeat(indent);
                let mut text = String::from("suite: s\ncases:\n");
                for (which, n) in items {
                    text.push_str(&ITEMS[which].replace("{i}", &pad).replace("{n}", &n.to_string()));
                }
                text.push_str(trailing);
                let (whole, parts) = both_ways(&text, k);
                match (whole, parts) {
                    (Ok(whole), Some(parts)) => prop_assert_eq!(parts, whole, "{:?}", text),
                    (Err(e), Some(_)) => prop_assert!(false, "{:?} errs whole ({}) but not in parts", text, e),
                    _ => {}
                }
            }
        }
    }
}
