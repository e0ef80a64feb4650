//! Diagnostics: one struct for every error and warning, with a stable code
//! from [`codes`], a file, a span, what was expected and an optional hint.
//!
//! The library never renders: it implements [`miette::Diagnostic`] so that a
//! front end attaches the source text and picks a renderer.

use crate::ast::Span;
use std::fmt;
use std::sync::Arc;

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look; the policy still compiles.
    Warning,
    /// The policy cannot be used.
    Error,
}

/// A stable diagnostic code with its one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The code, e.g. `P001`.
    pub id: &'static str,
    /// What it means, in one line.
    pub summary: &'static str,
}

/// Every diagnostic code, in one place. `docs/errors.md` explains each.
pub mod codes {
    use super::Code;
    macro_rules! codes {
        ($($name:ident = $id:literal, $summary:literal;)*) => {
            $(#[doc = $summary] pub const $name: Code = Code { id: $id, summary: $summary };)*
            /// All codes, in order.
            pub const ALL: &[Code] = &[$($name),*];
        };
    }
    codes! {
        SYNTAX = "P001", "syntax error";
        UNTERMINATED_STRING = "P002", "unterminated string literal";
        TOO_DEEP = "P003", "nesting deeper than the limit";
        TOO_LARGE = "P004", "source file larger than the limit";
        BAD_UTF8 = "P005", "source is not valid UTF-8";
        BAD_NUMBER = "P006", "number out of range or malformed";
        BAD_DATE = "P007", "not a calendar date";
        BAD_ESCAPE = "P008", "unknown escape in a string";
        TOO_MANY_ITEMS = "P009", "more declarations than the limit";
        DUPLICATE_HEADER = "P010", "header field given twice";
        BIDI_CONTROL = "P011", "bidirectional control character in the text";
        CONFUSABLE = "P012", "identifier mixes scripts or looks like another";
        UNKNOWN_NAME = "C101", "unknown name";
        DUPLICATE_NAME = "C102", "name declared twice";
        LET_CYCLE = "C103", "`let` definitions form a cycle";
        IMPORT_CYCLE = "C104", "`use` imports form a cycle";
        IMPORT_FAILED = "C105", "imported policy could not be loaded";
        UNKNOWN_CLAUSE = "C106", "citation of a clause the policy does not declare";
        QUOTE_NOT_IN_SOURCE = "C107", "quoted text is not in the source document";
        UNUSED_INPUT = "C108", "input is never used";
        UNCITED_CLAUSE = "C109", "clause is neither cited by a rule nor marked not computable";
        MISSING_SOURCE = "C110", "source document could not be read";
        BAD_BENEFIT = "C111", "benefit is malformed";
        AMBIGUOUS_QUOTE = "C112", "rules of different meanings inherit one clause's quote";
        SOURCE_REFUSED = "C113", "source document path is outside the policy's folder or not a regular file";
        BENEFIT_CYCLE = "C115", "benefits read each other's amounts in a cycle";
        TYPE_MISMATCH = "T201", "type mismatch";
        UNKNOWN_TYPE = "T202", "unknown type";
        UNIT_MISMATCH = "T203", "quantities in different units without a conversion";
        NOT_CONSTANT = "T204", "a constant is required here";
        BAD_CALL = "T205", "wrong function or arguments";
        BAD_TABLE = "T206", "table row does not fit its columns";
        BAD_RANGE = "T207", "range bounds do not fit";
        CONST_OVERFLOW = "T208", "constant arithmetic overflows or divides by zero";
        TIER_OVERLAP = "R301", "tiers overlap";
        TIER_GAP = "R302", "tiers leave a gap";
        TIER_UNREACHABLE = "R303", "tier can never be reached";
        PARAM_OVERLAP = "R304", "dated parameter periods overlap";
        ASSERT_FAILED = "R305", "policy assertion does not hold";
        VERSION_OVERLAP = "R306", "rule versions overlap";
        DUPLICATE_ROW = "R307", "table has two rows with the same key";
        CONST_EVAL = "R308", "constant could not be evaluated";
        IN_FORCE_EMPTY = "R309", "the in-force window ends before it starts";
        NOT_COVERED = "R310", "a parameter leaves days of the in-force window without a value, or no rule version falls in it";
        CAP_UNREACHABLE = "R311", "cap can never bind because the input ranges keep the amount below it";
        AMEND_UNKNOWN = "A401", "amendment names something the amended policy does not have";
        AMEND_NO_CHANGE = "A402", "amendment changes nothing";
        AMEND_CYCLE = "A403", "amendments form a cycle";
        AMEND_BASE_FAILED = "A404", "amended policy could not be loaded or does not check";
        AMEND_RESTATES = "A405", "amendment adds what the amended policy already has";
        AMEND_MISUSE = "A406", "amendment syntax where it cannot apply";
    }
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// The file it is in (path or in-memory name).
    pub file: Arc<str>,
    /// What is wrong, lower-case, no final period.
    pub message: String,
    /// The offending text.
    pub span: Span,
    /// Label under the span: what was expected there.
    pub label: Option<String>,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: Code, file: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { code, severity: Severity::Error, file: file.clone(), message: message.into(), span, label: None, help: None }
    }
    /// A warning.
    pub fn warning(code: Code, file: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Self::error(code, file, span, message) }
    }
    /// Adds the label shown under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    /// 1-based line and column (in characters) of the span's start in `text`.
    pub fn line_col(&self, text: &str) -> (usize, usize) {
        line_col(text, self.span.start)
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.id))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let len = self.span.end.saturating_sub(self.span.start);
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            self.label.clone().or_else(|| Some(self.code.summary.to_string())),
            self.span.start,
            len,
        ))))
    }
}

/// Collected diagnostics of one run.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
}
