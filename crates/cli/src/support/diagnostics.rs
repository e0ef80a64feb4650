//! Rendering diagnostics: for people through miette's graphical handler
//! (code, `file:line:col`, the source line with the span underlined, the
//! label and the help), or as JSON lines for tools.

use super::term::{Style, Term};
use crate::support::io::{err, errln, outln};
use clap::ValueEnum;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use policy_core::checked::SourceInfo;
use policy_core::diag::{line_col, Diagnostic, Severity};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ErrorFormat {
    /// Rendered for people, with the source line and the span underlined (stderr).
    #[default]
    Human,
    /// One JSON object per diagnostic, one per line (stdout).
    Json,
}

/// Source texts by file name, for showing the lines a diagnostic points at.
#[derive(Debug, Default)]
pub struct Sources {
    map: HashMap<Arc<str>, Arc<str>>,
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds the files a check read.
    pub fn add_files(&mut self, files: &[SourceInfo]) {
        for f in files {
            self.map.entry(f.name.clone()).or_insert_with(|| f.text.clone());
        }
    }
    /// Adds one text.
    pub fn add(&mut self, name: &str, text: &str) {
        self.map.entry(Arc::from(name)).or_insert_with(|| Arc::from(text));
    }
    /// The text of `name`: known, or read from disk when it is a readable file.
    fn get(&mut self, name: &Arc<str>) -> Option<Arc<str>> {
        if let Some(t) = self.map.get(name) {
            return Some(t.clone());
        }
        let path = std::path::Path::new(name.as_ref());
        if !path.is_file() {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        let text: Arc<str> = Arc::from(String::from_utf8_lossy(&bytes).as_ref());
        self.map.insert(name.clone(), text.clone());
        Some(text)
    }
}

/// Counts and prints diagnostics, each once.
#[derive(Debug)]
pub struct Reporter {
    format: ErrorFormat,
    term: Term,
    /// Errors reported.
    pub errors: usize,
    /// Warnings reported.
    pub warnings: usize,
    seen: HashSet<(String, &'static str, usize, usize, String)>,
}

impl Reporter {
    /// A reporter writing in `format`.
    pub fn new(format: ErrorFormat, term: Term) -> Self {
        Reporter { format, term, errors: 0, warnings: 0, seen: HashSet::new() }
    }

    /// Prints every diagnostic (skipping any already printed: an imported
    /// policy's problems show up again in each file that imports it).
    pub fn report_all(&mut self, diagnostics: &[Diagnostic], sources: &mut Sources) {
        for d in diagnostics {
            self.report(d, sources);
        }
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
        let text = sources.get(&d.file);
        match self.format {
            ErrorFormat::Human => err!("{}", render_human(d, text.as_deref(), self.term.stderr)),
            ErrorFormat::Json => outln!("{}", render_json(d, text.as_deref())),
        }
    }

    /// Prints an error that has no source position (a file that cannot be
    /// read): `message` for people, `file` and `message` in JSON.
    pub fn plain_error(&mut self, file: &str, message: &str) {
        self.errors += 1;
        match self.format {
            ErrorFormat::Human => errln!("{}: {message}\n", super::term::paint(self.term.stderr, Style::Error, "error")),
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
                outln!("{}", serde_json::to_string(&j).unwrap_or_default());
            }
        }
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

/// One diagnostic as a JSON line.
pub fn render_json(d: &Diagnostic, text: Option<&str>) -> String {
    let (start, end) = match text {
        Some(t) => {
            let (s, e) = display_span(t, d.span.start, d.span.end);
            (Some(line_col(t, s)), Some(line_col(t, e)))
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
pub fn render_human(d: &Diagnostic, text: Option<&str>, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_width(120);
    let wrapped = Wrapped::new(d, text);
    let mut out = String::new();
    if handler.render_report(&mut out, &wrapped).is_err() {
        out = format!("{}: {}\n", wrapped.header, wrapped.message);
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    out
}

/// A diagnostic with its source attached, as miette wants it.
struct Wrapped<'a> {
    d: &'a Diagnostic,
    header: String,
    message: String,
    src: Option<NamedSource<String>>,
    span: (usize, usize),
}

impl<'a> Wrapped<'a> {
    fn new(d: &'a Diagnostic, text: Option<&str>) -> Self {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let header = format!("{kind}[{}]", d.code.id);
        match text {
            Some(t) => {
                let (start, end) = display_span(t, d.span.start, d.span.end);
                Wrapped {
                    d,
                    header,
                    message: d.message.clone(),
                    src: Some(NamedSource::new(d.file.as_ref(), t.to_string())),
                    span: (start, end.saturating_sub(start)),
                }
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
