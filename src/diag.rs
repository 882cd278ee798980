//! Diagnostics for bad input: every problem keeps its `file:line:col`, and is
//! rendered once, at the edge, with the offending line and a caret under it.

use std::fmt;
use std::sync::Arc;

/// A loaded text file, kept so that diagnostics can quote it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user sees it (relative to the root, or `<embedded>/…`).
    pub name: Arc<str>,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The 1-based line `line` of the file, without its line break.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)? as usize)
    }
}

/// A position in a file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One problem found in the input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub loc: Option<Loc>,
    /// A suggestion ("did you mean `status`?") or an explanation.
    pub help: Option<String>,
    /// The quoted line, filled in when the diagnostic is attached to its file.
    pub snippet: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            loc: None,
            help: None,
            snippet: None,
        }
    }

    pub fn at(mut self, loc: &Loc) -> Self {
        self.loc = Some(loc.clone());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Quote the line of `source` that the diagnostic points at.
    pub fn quote(mut self, source: &SourceFile) -> Self {
        if let Some(loc) = &self.loc
            && let Some(text) = source.line_text(loc.line)
        {
            self.snippet = Some(text.to_string());
        }
        self
    }

    /// Plain-text rendering, as printed on stderr.
    pub fn render(&self) -> String {
        let mut out = String::new();
        match &self.loc {
            Some(loc) => out.push_str(&format!("error: {loc}: {}\n", self.message)),
            None => out.push_str(&format!("error: {}\n", self.message)),
        }
        if let (Some(loc), Some(snippet)) = (&self.loc, &self.snippet) {
            let gutter = loc.line.to_string().len();
            // A window of the line around the column, so that a caret far
            // into a long line (a minified or hostile file) stays under it.
            let chars: Vec<char> = snippet.chars().collect();
            let col = (loc.col.saturating_sub(1) as usize).min(chars.len());
            let start = if col > 150 { col - 80 } else { 0 };
            let end = (start + 200).min(chars.len());
            let mut shown: String = chars[start..end].iter().collect();
            let mut pad = col - start;
            if start > 0 {
                shown.insert(0, '…');
                pad += 1;
            }
            if end < chars.len() {
                shown.push('…');
            }
            out.push_str(&format!("{:gutter$} |\n", ""));
            out.push_str(&format!("{} | {}\n", loc.line, shown.replace('\t', " ")));
            out.push_str(&format!("{:gutter$} | {:pad$}^\n", "", ""));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Every problem found while loading, in file order.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    /// Sort by file and position so that output is stable.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.loc.cmp(&b.loc));
    }
    pub fn render(&self) -> String {
        let mut out: String = self.0.iter().map(|d| d.render() + "\n").collect();
        out.push_str(&format!(
            "{} problem{} found\n",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        ));
        out
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to
/// be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions,
/// and swaps of neighbouring letters (the commonest typo) each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["status", "header", "json", "schema"];
        assert_eq!(did_you_mean("stauts", keys), Some("status"));
        assert_eq!(did_you_mean("headr", keys), Some("header"));
        assert_eq!(did_you_mean("titel", ["title", "tags"]), Some("title"));
        assert_eq!(did_you_mean("completely-else", keys), None);
    }

    #[test]
    fn renders_caret_under_column() {
        let src = SourceFile::new("s.yaml", "a: 1\nstauts: 200\n");
        let loc = Loc {
            file: src.name.clone(),
            line: 2,
            col: 1,
        };
        let text = Diagnostic::new("unknown key `stauts`")
            .at(&loc)
            .quote(&src)
            .render();
        assert!(text.contains("s.yaml:2:1"), "{text}");
        assert!(text.contains("2 | stauts: 200\n  | ^"), "{text}");
    }
}
