//! The canonical formatter: one layout per syntax tree, comments kept.
//!
//! [`format`] prints a [`PolicyFile`] in canonical form; [`format_source`]
//! parses text and formats it; [`check`] and [`format_checked`] re-parse the
//! output and verify that it means exactly what the input meant (same tree,
//! same comments, and formatting it again changes nothing).
//!
//! # Ordering
//!
//! Nothing is reordered except the header fields, which are written in the
//! fixed order `document` (each, in source order), `issuer`, `region`,
//! `issued`, `in_force`, `source`, `version`. Items, benefit clauses (whose
//! order is semantic), enum variants, record fields, table rows and parameter
//! versions keep their source order.
//!
//! # Layout
//!
//! - The header line `policy ID "title"` comes first, then one field per line
//!   indented 2 spaces, then one blank line.
//! - Top-level items are separated by one blank line, except that consecutive
//!   `use`, `unit`, `input`, `let`, `fn` and `clause` items of the same kind that
//!   each print on one line form a group with no blank lines between them. An
//!   item with comments on the lines before it starts a new group.
//! - `benefit`, `table`, `param`, `enum` and `record` items, and `from … { }`
//!   version blocks inside benefits, put their body between `{` (ending the
//!   first line) and `}` (on its own line), one entry per line, indented 2
//!   spaces per level. An empty body is written `{}`. Enum variants and
//!   record fields end with a comma; table rows end with `;` only when the
//!   next row starts with `-`, `(` or `[` (which would otherwise continue the
//!   row's last cell).
//! - Expressions use single spaces around binary operators and `=>`, none
//!   inside brackets: `a + b`, `f(a, b)`, `x.field`, `t[a, b]`, `{a, b}`,
//!   `[1, 2]`, `x as unit`, `-x`, `not x`, `- -x`. Parentheses are printed exactly
//!   where the tree has a [`ExprKind::Paren`] node (and, for trees built in
//!   memory, wherever precedence requires them). A field of a number with a
//!   unit (or of a conversion) is written `800 yuan .f` (`x as u .f`), since
//!   `800 yuan.f` reads `yuan.f` as a qualified unit.
//! - Numbers are printed from their decimal with its scale (`1200.00 yuan`);
//!   money is always suffixed `yuan` (never `元`); percentages are `70%`;
//!   dates `YYYY-MM-DD`. Strings are re-escaped (`\"`, `\\`, `\n`, `\t`).
//! - `tiers`, `scale`, `match`, `if`, set and list forms stay on one line
//!   when the line fits in [`MAX_WIDTH`] columns (display columns: an East
//!   Asian wide character such as 汉 counts two; comments excluded). Otherwise the outermost such form breaks: one entry
//!   per line, indented 2 more spaces, each ending with a comma, the closing
//!   bracket back on the form's indentation. Inner forms break only if they
//!   still do not fit. Other expressions never break.
//! - A declaration or clause ending in a label or citation (`let`, `assert`,
//!   `input`, `convert`, parameter versions, conditions, `amount`, `cap`,
//!   `uplift`, `override`, `dated_by`, `entitle`, `needs`, `deadline`) is
//!   written on one line when it fits. Otherwise its `"label" cite "…"` tail
//!   goes on a continuation line indented 2 more spaces if the code before it
//!   then fits on one line; if the code itself must break, the tail follows
//!   its last line when it fits there, else goes on a continuation line.
//! - An `external` that does not fit puts its `set_by`/`defined_in` part and
//!   its `cite` on continuation lines; a `table` head that does not fit puts
//!   its label and citation on a continuation line.
//! - An `input` whose upper bound is a bare number and that has a `default`
//!   writes `default …` on a continuation line: on the same line the grammar
//!   would read `100 default` as a quantity in unit `default`.
//!
//! # Comments
//!
//! The grammar treats `# …` as trivia, so comments are recovered from the
//! source text. The *anchors* a comment can attach to are: the header, each
//! header field, each top-level item, each benefit clause (also inside
//! version blocks), table row, enum variant, record field and parameter
//! version.
//!
//! - A comment alone on its line is a *leading* comment of the first anchor
//!   that starts after it within the innermost anchor containing it, printed
//!   on its own line just before that anchor at its indentation. When no
//!   anchor follows inside the enclosing block it is printed at the end of
//!   that block (before `}`), or at the end of the file. A comment on its own
//!   line in the middle of a one-entry construct (say inside a multi-line
//!   `let`) moves before that construct.
//! - Inside a rule that spans several lines, a comment after code on a line
//!   where no anchor starts or ends belongs to the *entry* of a breakable
//!   form that ends last on that line before it (a tier, band, match arm,
//!   `if` branch value, set or list element; an entry takes it before the
//!   entries nested in it). It is printed two spaces after that entry's
//!   comma, and the form breaks. When no entry ends there it moves before
//!   the rule.
//! - A comment after code is a *trailing* comment of the last anchor starting
//!   on that line, printed two spaces after the end of that anchor's first
//!   line; if no anchor starts on the line, of the innermost anchor ending on
//!   it, printed after its last line (after the `}` of a block). A trailing
//!   comment on a line where no anchor starts or ends moves before the
//!   innermost anchor containing it. When two trailing comments meet on one
//!   printed line the second moves to the lines before the anchor.
//! - Comment text is kept as written (trailing whitespace removed). A blank
//!   line after a comment on its own line is kept (several collapse to one),
//!   except after the last comment of a block or of the file.
//!
//! Every comment is printed exactly once, and formatting is idempotent.

mod comments;
mod doc;
mod expr;
mod items;
mod printer;

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::parse;
use comments::*;
use doc::*;
use expr::*;
use items::*;
use printer::*;
use std::collections::HashMap;

/// Lines longer than this many display columns break their outermost
/// breakable form (`tiers`, `scale`, `match`, `if`, sets, lists).
pub const MAX_WIDTH: usize = 100;

/// Indentation step.
const INDENT: usize = 2;

// ====================================================================== API

/// Formats a parsed file in canonical form.
///
/// `source` is the text `file` was parsed from; it is read only to recover
/// comments (pass `""` for a tree built in memory). The result ends with a
/// newline. `file` must come from a parse without errors: items that
/// failed to parse are missing from the tree and would be dropped
/// ([`format_source`] refuses such text).
pub fn format(file: &PolicyFile, source: &str) -> String {
    let comments = scan_comments(source);
    let mut tree = anchor_tree(file);
    trim_spans(&mut tree, &Trimmer::new(source, &comments));
    let (slots, floating) = attach(&tree, &comments, source);
    let _floats = install(source, &comments, floating);
    let mut p = Printer { out: String::new(), slots };
    p.file(file);
    p.finish()
}

/// Parses `source` (named `name` in diagnostics) and formats it.
///
/// Returns the parser's errors when the text does not parse cleanly: a file
/// with syntax errors is never formatted, since items that failed to parse
/// would be lost.
pub fn format_source(name: &str, source: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = parse::parse(name, source);
    let errors: Vec<Diagnostic> = parsed.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
    match parsed.file {
        Some(file) if errors.is_empty() => Ok(format(&file, source)),
        _ => Err(errors),
    }
}

/// Formats one expression as it is written at the start of a line (long
/// forms break as in [`format`]). Comments are not part of expressions.
pub fn format_expr(e: &Expr) -> String {
    render(&expr(e), 0)
}

/// Why formatted text cannot be trusted (see [`check`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unsound {
    /// The formatted text does not parse.
    #[error("the formatted text does not parse: {}", first_message(.0))]
    Reparse(Vec<Diagnostic>),
    /// The formatted text parses to a different tree.
    #[error("the formatted text parses to a different tree: {0}")]
    TreeChanged(String),
    /// Comments were lost or duplicated.
    #[error("comments changed: lost {lost:?}, gained {gained:?}")]
    Comments {
        /// Comments of the source missing from the output.
        lost: Vec<String>,
        /// Comments of the output not in the source (or there more often).
        gained: Vec<String>,
    },
    /// Formatting the formatted text changes it again.
    #[error("formatting is not idempotent: a second pass changes the text")]
    NotIdempotent,
}

fn first_message(diags: &[Diagnostic]) -> String {
    diags.first().map(|d| format!("{} [{}]", d.message, d.code.id)).unwrap_or_else(|| "no tree".to_string())
}

/// Checks that `formatted` (the output of [`format`] for `file`, parsed from
/// `source`) is sound: it re-parses without errors to a tree equal to `file`
/// (spans aside), it holds the same comments as `source`, and formatting it
/// again gives the same text.
pub fn check(file: &PolicyFile, source: &str, formatted: &str) -> Result<(), Unsound> {
    let parsed = parse::parse("<formatted>", formatted);
    let errors: Vec<Diagnostic> = parsed.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
    let again = match parsed.file {
        Some(f) if errors.is_empty() => f,
        _ => return Err(Unsound::Reparse(errors)),
    };
    if &again != file {
        return Err(Unsound::TreeChanged(describe_difference(file, &again)));
    }
    let mut before: Vec<String> = scan_comments(source).into_iter().map(|c| c.text).collect();
    let mut after: Vec<String> = scan_comments(formatted).into_iter().map(|c| c.text).collect();
    before.sort();
    after.sort();
    if before != after {
        let (lost, gained) = multiset_difference(&before, &after);
        return Err(Unsound::Comments { lost, gained });
    }
    if format(&again, formatted) != formatted {
        return Err(Unsound::NotIdempotent);
    }
    Ok(())
}

/// Formats `file` and [`check`]s the result before returning it.
pub fn format_checked(file: &PolicyFile, source: &str) -> Result<String, Unsound> {
    let out = format(file, source);
    check(file, source, &out)?;
    Ok(out)
}

fn multiset_difference(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut i, mut j) = (a.iter().peekable(), b.iter().peekable());
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    loop {
        match (i.peek(), j.peek()) {
            (Some(x), Some(y)) if x == y => {
                i.next();
                j.next();
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push((*x).clone());
                i.next();
            }
            (Some(_), Some(y)) => {
                only_b.push((*y).clone());
                j.next();
            }
            (Some(x), None) => {
                only_a.push((*x).clone());
                i.next();
            }
            (None, Some(y)) => {
                only_b.push((*y).clone());
                j.next();
            }
            (None, None) => break,
        }
    }
    (only_a, only_b)
}

fn describe_difference(a: &PolicyFile, b: &PolicyFile) -> String {
    if a.header != b.header {
        return "the header differs".to_string();
    }
    if a.items.len() != b.items.len() {
        return format!("{} items became {}", a.items.len(), b.items.len());
    }
    for (n, (x, y)) in a.items.iter().zip(&b.items).enumerate() {
        if x == y {
            continue;
        }
        let mut what = format!("item {} (`{}`) differs", n + 1, item_title(x));
        if let (Item::Benefit(bx), Item::Benefit(by)) = (x, y) {
            if bx.clauses.len() != by.clauses.len() {
                what.push_str(&format!(": {} clauses became {}", bx.clauses.len(), by.clauses.len()));
            } else if let Some(k) = bx.clauses.iter().zip(&by.clauses).position(|(p, q)| p != q) {
                what.push_str(&format!(" in clause {}", k + 1));
            }
        }
        return what;
    }
    "the trees differ".to_string()
}

fn item_title(item: &Item) -> String {
    match item {
        Item::Use(d) => format!("use {}", d.policy.name),
        Item::Unit(d) => format!("unit {}", d.name.name),
        Item::Convert(_) => "convert".to_string(),
        Item::Enum(d) => format!("enum {}", d.name.name),
        Item::Record(d) => format!("record {}", d.name.name),
        Item::Input(d) => format!("input {}", d.name.name),
        Item::Param(d) => format!("param {}", d.name.name),
        Item::External(d) => format!("external {}", d.name.name),
        Item::Table(d) => format!("table {}", d.name.name),
        Item::Let(d) => format!("let {}", d.name.name),
        Item::Fn(d) => format!("fn {}", d.name.name),
        Item::Assert(d) => match &d.id {
            Some(id) => format!("assert {}", id.name),
            None => "assert".to_string(),
        },
        Item::Clause(d) => format!("clause {}", quote(&d.number.value)),
        Item::Benefit(d) => format!("benefit {}", d.id.name),
        Item::Amend(AmendDecl::Param(d)) => format!("amend param {}", d.name.name),
        Item::Amend(AmendDecl::Benefit(d)) => format!("amend benefit {}", d.id.name),
        Item::Repeal(d) => format!("repeal benefit {}", d.benefit.name),
    }
}
