//! Rendering diagnostics: for people through miette's graphical handler
//! (code, `file:line:col`, the source line with the span underlined, the
//! label and the help), or as JSON lines for tools.

use super::term::{Style, Term};
use crate::support::io::{err, errln, outln};
use clap::ValueEnum;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use policy_core::checked::SourceInfo;
use policy_core::diag::{Diagnostic, Severity};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ErrorFormat {
    /// Rendered for people, with the source line and the span underlined (stderr).
    #[default]
    Human,
    /// One line per diagnostic, `file:line:col: error[CODE]: message` (stderr), as compilers print for editors' quickfix lists.
    Short,
    /// One JSON object per diagnostic, one per line (stdout).
    Json,
}

/// Source texts by file name, for showing the lines a diagnostic points at.
#[derive(Debug, Default)]
pub struct Sources {
    map: HashMap<Arc<str>, Arc<SourceFile>>,
}

/// One source text with the byte offset of each line's start, so a
/// diagnostic finds its line in O(log lines) instead of counting from the
/// start of the file (a hostile file can carry tens of thousands of
/// diagnostics).
#[derive(Debug)]
struct SourceFile {
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceFile { text, line_starts }
    }

    /// 0-based line of byte offset `at`.
    fn line_of(&self, at: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    /// Byte range of line `line` (0-based), without its line break.
    fn line_range(&self, line: usize) -> (usize, usize) {
        let start = self.line_starts.get(line).copied().unwrap_or(self.text.len());
        let next = self.line_starts.get(line + 1).copied().unwrap_or(self.text.len());
        let line_text = self.text.get(start..next).unwrap_or("");
        let trimmed = line_text.trim_end_matches(['\n', '\r']).len();
        (start, start + trimmed)
    }

    /// 1-based line and column (in characters) of byte offset `at`.
    fn line_col(&self, at: usize) -> (usize, usize) {
        let at = floor_boundary(&self.text, at);
        let line = self.line_of(at);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self.text.get(start..at).map(|s| s.chars().count()).unwrap_or(0);
        (line + 1, col + 1)
    }
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds the files a check read.
    pub fn add_files(&mut self, files: &[SourceInfo]) {
        for f in files {
            self.map.entry(f.name.clone()).or_insert_with(|| Arc::new(SourceFile::new(f.text.clone())));
        }
    }
    /// Adds one text.
    pub fn add(&mut self, name: &str, text: &str) {
        self.map.entry(Arc::from(name)).or_insert_with(|| Arc::new(SourceFile::new(Arc::from(text))));
    }
    /// The text of `name`: known, or read from disk when it is a readable file.
    fn get(&mut self, name: &Arc<str>) -> Option<Arc<SourceFile>> {
        if let Some(t) = self.map.get(name) {
            return Some(t.clone());
        }
        let path = std::path::Path::new(name.as_ref());
        if !path.is_file() {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        let file = Arc::new(SourceFile::new(Arc::from(String::from_utf8_lossy(&bytes).as_ref())));
        self.map.insert(name.clone(), file.clone());
        Some(file)
    }
}

/// Counts and prints diagnostics, each once, at most `--max-errors` of them
/// in the human and short formats (JSON gets them all).
#[derive(Debug)]
pub struct Reporter {
    format: ErrorFormat,
    term: Term,
    /// Errors reported.
    pub errors: usize,
    /// Warnings reported.
    pub warnings: usize,
    /// Printed so far (or collected).
    shown: usize,
    /// Errors and warnings counted but not printed (past the limit).
    hidden: (usize, usize),
    /// When collecting instead of printing: the JSON form of each diagnostic.
    collected: Option<Vec<serde_json::Value>>,
    seen: HashSet<(String, &'static str, usize, usize, String)>,
}

impl Reporter {
    /// A reporter printing in `format`, within `term.max_errors`.
    pub fn new(format: ErrorFormat, term: Term) -> Self {
        Reporter { format, term, errors: 0, warnings: 0, shown: 0, hidden: (0, 0), collected: None, seen: HashSet::new() }
    }

    /// A reporter for a command whose output is one error object under
    /// `--error-format json`: people get the diagnostics printed as usual;
    /// with JSON they are kept for [`Reporter::take_json`] instead.
    pub fn for_error(term: Term) -> Self {
        let mut r = Reporter::new(term.errors, term);
        if term.errors == ErrorFormat::Json {
            r.collected = Some(Vec::new());
        }
        r
    }

    /// The diagnostics kept by a [`Reporter::for_error`] under JSON.
    pub fn take_json(&mut self) -> serde_json::Value {
        serde_json::Value::Array(self.collected.take().unwrap_or_default())
    }

    /// Prints every diagnostic (skipping any already printed: an imported
    /// policy's problems show up again in each file that imports it).
    pub fn report_all(&mut self, diagnostics: &[Diagnostic], sources: &mut Sources) {
        for d in diagnostics {
            self.report(d, sources);
        }
    }

    /// Whether one more diagnostic is past `--max-errors` (counted, not printed).
    fn past_limit(&mut self, error: bool) -> bool {
        let limited = self.format != ErrorFormat::Json && self.term.max_errors > 0;
        if limited && self.shown >= self.term.max_errors {
            if error {
                self.hidden.0 += 1;
            } else {
                self.hidden.1 += 1;
            }
            return true;
        }
        self.shown += 1;
        false
    }

    /// Prints one diagnostic.
    pub fn report(&mut self, d: &Diagnostic, sources: &mut Sources) {
        let key = (d.file.to_string(), d.code.id, d.span.start, d.span.end, d.message.clone());
        if !self.seen.insert(key) {
            return;
        }
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.past_limit(d.severity == Severity::Error) {
            return;
        }
        let file = sources.get(&d.file);
        if let Some(kept) = &mut self.collected {
            kept.push(serde_json::from_str(&render_json(d, file.as_deref())).unwrap_or_default());
            return;
        }
        match self.format {
            ErrorFormat::Human => err!("{}", render_human(d, file.as_deref(), self.term.stderr)),
            ErrorFormat::Short => errln!("{}", render_short(d, file.as_deref())),
            ErrorFormat::Json => outln!("{}", render_json(d, file.as_deref())),
        }
    }

    /// Prints an error that has no source position (a file that cannot be
    /// read): `message` for people, `file` and `message` in JSON.
    pub fn plain_error(&mut self, file: &str, message: &str) {
        self.errors += 1;
        if self.past_limit(true) {
            return;
        }
        match self.format {
            ErrorFormat::Human => errln!("{}: {message}\n", super::term::paint(self.term.stderr, Style::Error, "error")),
            ErrorFormat::Short if file.is_empty() => errln!("error: {}", one_line(message)),
            ErrorFormat::Short => errln!("{file}: error: {}", one_line(message)),
            ErrorFormat::Json => {
                let j = JsonDiagnostic {
                    code: None,
                    severity: Severity::Error,
                    file,
                    line: None,
                    column: None,
                    end_line: None,
                    end_column: None,
                    message,
                    label: None,
                    help: None,
                };
                let text = serde_json::to_string(&j).unwrap_or_default();
                match &mut self.collected {
                    Some(kept) => kept.push(serde_json::from_str(&text).unwrap_or_default()),
                    None => outln!("{text}"),
                }
            }
        }
    }

    /// Says how many diagnostics `--max-errors` left out (on stderr), if any:
    /// `… and 37 more errors`, `… and 3 more warnings`, or both.
    pub fn finish(&mut self) {
        if let Some(line) = more_line(self.hidden) {
            errln!("{line}");
        }
        self.hidden = (0, 0);
    }
}

/// `… and 37 more errors` (and warnings) for what the limit left out.
pub fn more_line((errors, warnings): (usize, usize)) -> Option<String> {
    let parts: Vec<String> = [(errors, "error", "errors"), (warnings, "warning", "warnings")]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| super::plural(n, &format!("more {one}"), &format!("more {many}")))
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(format!("… and {} (--max-errors to see more)", parts.join(" and ")))
    }
}

/// One diagnostic as JSON (`--error-format json`), fields in this order.
#[derive(Debug, serde::Serialize)]
pub struct JsonDiagnostic<'a> {
    /// Stable code, e.g. `C101`; null for errors without one (unreadable files).
    pub code: Option<&'a str>,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The file.
    pub file: &'a str,
    /// 1-based line of the span's start.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the span's start.
    pub column: Option<usize>,
    /// 1-based line of the span's end.
    pub end_line: Option<usize>,
    /// 1-based column (in characters) just past the span's end.
    pub end_column: Option<usize>,
    /// What is wrong.
    pub message: &'a str,
    /// What was expected at the span.
    pub label: Option<&'a str>,
    /// How to fix it.
    pub help: Option<&'a str>,
}

/// One diagnostic on one line: `file:line:col: error[CODE]: message`
/// (line and column 1-based, the column in characters; `file: …` when the
/// file's text is not at hand).
fn render_short(d: &Diagnostic, file: Option<&SourceFile>) -> String {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let at = match file {
        Some(f) => {
            let (start, _) = display_span(&f.text, d.span.start, d.span.end);
            let (line, col) = f.line_col(start);
            format!("{}:{line}:{col}", d.file)
        }
        None => d.file.to_string(),
    };
    format!("{at}: {severity}[{}]: {}", d.code.id, one_line(&d.message))
}

/// A message on one line (a line break would split a `--error-format short` record).
pub fn one_line(message: &str) -> String {
    message.split(['\n', '\r']).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ")
}

/// One diagnostic as a JSON line.
fn render_json(d: &Diagnostic, file: Option<&SourceFile>) -> String {
    let (start, end) = match file {
        Some(f) => {
            let (s, e) = display_span(&f.text, d.span.start, d.span.end);
            (Some(f.line_col(s)), Some(f.line_col(e)))
        }
        None => (None, None),
    };
    let j = JsonDiagnostic {
        code: Some(d.code.id),
        severity: d.severity,
        file: &d.file,
        line: start.map(|s| s.0),
        column: start.map(|s| s.1),
        end_line: end.map(|e| e.0),
        end_column: end.map(|e| e.1),
        message: &d.message,
        label: d.label.as_deref(),
        help: d.help.as_deref(),
    };
    serde_json::to_string(&j).unwrap_or_default()
}

/// The span clamped to the text, on character boundaries, without trailing
/// whitespace (an item's span runs to the next item).
fn display_span(t: &str, start: usize, end: usize) -> (usize, usize) {
    let start = floor_boundary(t, start);
    let mut end = floor_boundary(t, end.max(start));
    let trimmed = t.get(start..end).map(|s| s.trim_end().len()).unwrap_or(0);
    if trimmed > 0 {
        end = start + trimmed;
    }
    (start, end)
}

/// One diagnostic rendered for people, ending with a blank line.
fn render_human(d: &Diagnostic, file: Option<&SourceFile>, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_width(120);
    let wrapped = Wrapped::new(d, file);
    let mut out = String::new();
    if handler.render_report(&mut out, &wrapped).is_err() {
        out = format!("{}: {}\n", wrapped.header, wrapped.message);
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    out
}

/// Lines longer than this (in characters) are not shown whole: the line the
/// span starts on is cut to a window around the span, and long context lines
/// are left out. (miette's renderer also cannot place an underline past
/// column 65,535.)
const MAX_SHOWN_LINE: usize = 300;
/// Characters of a cut line shown before the span's start.
const CUT_LEAD: usize = 60;
/// A span covering more lines than this is shown by its first line only.
const MAX_SHOWN_LINES: usize = 40;

/// The few lines a diagnostic shows, copied out of the file, with where they
/// sit in it: miette reads only these, so rendering costs the size of the
/// excerpt, not of the file.
#[derive(Debug)]
struct Excerpt {
    name: String,
    /// The lines shown (a cut line carries `…` where it was cut).
    text: String,
    /// 0-based line number of the excerpt's first line in the file.
    first_line: usize,
    /// When the excerpt is one cut line: how many characters of the real
    /// line precede the excerpt's first character (the leading `…` stands
    /// for them, so columns shift by this minus one).
    cut_chars: Option<usize>,
}

impl Excerpt {
    /// The excerpt for the span `start..end` of `file` and the span's place
    /// inside the excerpt.
    fn new(name: &str, file: &SourceFile, start: usize, end: usize) -> (Excerpt, (usize, usize)) {
        let text = &*file.text;
        let l0 = file.line_of(start);
        let mut l1 = file.line_of(end.saturating_sub(1).max(start));
        let mut end = end;
        if l1 > l0 + MAX_SHOWN_LINES {
            l1 = l0;
            end = end.min(file.line_range(l0).1).max(start);
        }
        let long = |l: usize| {
            let (a, b) = file.line_range(l);
            text.get(a..b).map(|s| s.len() > MAX_SHOWN_LINE && s.chars().count() > MAX_SHOWN_LINE).unwrap_or(false)
        };
        if (l0..=l1).any(long) {
            return Self::cut(name, file, l0, start, end);
        }
        let first = if l0 > 0 && !long(l0 - 1) { l0 - 1 } else { l0 };
        let last = if l1 + 1 < file.line_starts.len() && !long(l1 + 1) { l1 + 1 } else { l1 };
        let from = file.line_range(first).0;
        // Through the last line's break, as miette would read the file.
        let to = file.line_starts.get(last + 1).copied().unwrap_or(text.len());
        let excerpt =
            Excerpt { name: name.to_string(), text: text.get(from..to).unwrap_or("").to_string(), first_line: first, cut_chars: None };
        (excerpt, (start.saturating_sub(from), end.saturating_sub(start)))
    }

    /// One long line cut to a window around the span's start.
    fn cut(name: &str, file: &SourceFile, line: usize, start: usize, end: usize) -> (Excerpt, (usize, usize)) {
        let (line_start, line_end) = file.line_range(line);
        let line_text = file.text.get(line_start..line_end).unwrap_or("");
        let at = start.saturating_sub(line_start).min(line_text.len());
        let before: Vec<(usize, char)> = line_text.get(..at).unwrap_or("").char_indices().rev().take(CUT_LEAD + 1).collect();
        let (window_start, cut_front) = match before.get(CUT_LEAD) {
            Some(_) => (before.get(CUT_LEAD - 1).map(|c| c.0).unwrap_or(0), true),
            None => (0, false),
        };
        let rest = line_text.get(window_start..).unwrap_or("");
        let window_len = rest.char_indices().nth(MAX_SHOWN_LINE - CUT_LEAD).map(|c| c.0).unwrap_or(rest.len());
        let cut_back = window_len < rest.len();
        let window = rest.get(..window_len).unwrap_or("");
        let mut text = String::with_capacity(window.len() + 8);
        if cut_front {
            text.push('…');
        }
        let offset_in_text = text.len();
        text.push_str(window);
        if cut_back {
            text.push('…');
        }
        let span_start = offset_in_text + (at - window_start.min(at));
        let span_end = (offset_in_text + end.saturating_sub(line_start).saturating_sub(window_start)).min(offset_in_text + window.len());
        let skipped = line_text.get(..window_start).map(|s| s.chars().count()).unwrap_or(0);
        let excerpt = Excerpt { name: name.to_string(), text, first_line: line, cut_chars: if cut_front { Some(skipped) } else { None } };
        (excerpt, (span_start, span_end.saturating_sub(span_start)))
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // The excerpt already holds the context wanted; read within it the
        // way miette reads a whole file, then put the lines and columns back
        // where they are in the file.
        let inner = self.text.as_str().read_span(span, context_lines_before, context_lines_after)?;
        let mut column = inner.column();
        if context_lines_before == 0 {
            // miette counts bytes; people (and `--error-format json`) count characters.
            let line_start = self.text.get(..span.offset()).and_then(|s| s.rfind('\n')).map(|i| i + 1).unwrap_or(0);
            column = self.text.get(line_start..span.offset()).map(|s| s.chars().count()).unwrap_or(column);
            if let (Some(skipped), 0) = (self.cut_chars, line_start) {
                column = (column + skipped).saturating_sub(1);
            }
        }
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// A diagnostic with its source excerpt attached, as miette wants it.
struct Wrapped<'a> {
    d: &'a Diagnostic,
    header: String,
    message: String,
    src: Option<Excerpt>,
    span: (usize, usize),
}

impl<'a> Wrapped<'a> {
    fn new(d: &'a Diagnostic, file: Option<&SourceFile>) -> Self {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let header = format!("{kind}[{}]", d.code.id);
        match file {
            Some(f) => {
                let (start, end) = display_span(&f.text, d.span.start, d.span.end);
                let (excerpt, span) = Excerpt::new(&d.file, f, start, end);
                Wrapped { d, header, message: d.message.clone(), src: Some(excerpt), span }
            }
            None => {
                let message = if d.file.is_empty() { d.message.clone() } else { format!("{}: {}", d.file, d.message) };
                Wrapped { d, header, message, src: None, span: (0, 0) }
            }
        }
    }
}

fn floor_boundary(t: &str, at: usize) -> usize {
    let mut at = at.min(t.len());
    while at > 0 && !t.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl fmt::Debug for Wrapped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Wrapped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Wrapped<'_> {}

impl miette::Diagnostic for Wrapped<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.header.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        miette::Diagnostic::severity(self.d)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d.help.as_ref().map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.src.as_ref()?;
        let label = self.d.label.clone().unwrap_or_else(|| self.d.code.summary.to_string());
        Some(Box::new(std::iter::once(LabeledSpan::new(Some(label), self.span.0, self.span.1))))
    }
}
