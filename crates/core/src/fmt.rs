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
//!   `use`, `unit`, `input`, `let` and `clause` items of the same kind that
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
//!   unit is written `800 yuan .f`, since `800 yuan.f` reads `yuan.f` as a
//!   qualified unit.
//! - Numbers are printed from their decimal with its scale (`1200.00 yuan`);
//!   money is always suffixed `yuan` (never `元`); percentages are `70%`;
//!   dates `YYYY-MM-DD`. Strings are re-escaped (`\"`, `\\`, `\n`, `\t`).
//! - `tiers`, `scale`, `match`, `if`, set and list forms stay on one line
//!   when the line fits in [`MAX_WIDTH`] columns (counted in characters,
//!   comments excluded). Otherwise the outermost such form breaks: one entry
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

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::parse;
use std::collections::HashMap;

/// Lines longer than this many columns (characters) break their outermost
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
    let slots = attach(&tree, &comments, source);
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
        Item::Assert(d) => match &d.id {
            Some(id) => format!("assert {}", id.name),
            None => "assert".to_string(),
        },
        Item::Clause(d) => format!("clause {}", quote(&d.number.value)),
        Item::Benefit(d) => format!("benefit {}", d.id.name),
    }
}

// ================================================================= comments

/// A `# …` comment found in the source.
#[derive(Debug, Clone)]
struct Comment {
    /// Byte offset of the `#`.
    start: usize,
    /// Whether only whitespace precedes it on its line.
    own_line: bool,
    /// The text from `#` to the end of the line, trailing whitespace removed.
    text: String,
    /// Whether a blank line follows it.
    blank_after: bool,
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// Finds the comments of `source`: `#` to the end of the line, outside
/// string literals (which end at an unescaped `"` or at the end of the line).
fn scan_comments(source: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut blank = true;
    let mut it = source.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '\n' => blank = true,
            '"' => {
                blank = false;
                while let Some(&(_, d)) = it.peek() {
                    if d == '\n' {
                        break;
                    }
                    it.next();
                    if d == '\\' {
                        if it.peek().is_some_and(|&(_, e)| e != '\n') {
                            it.next();
                        }
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '#' => {
                let mut end = source.len();
                while let Some(&(j, d)) = it.peek() {
                    if d == '\n' {
                        end = j;
                        break;
                    }
                    it.next();
                }
                let text = source.get(i..end).unwrap_or("").trim_end_matches(is_space).to_string();
                let next_line = source.get(end..).unwrap_or("").split('\n').nth(1);
                let blank_after = next_line.is_some_and(|l| l.chars().all(is_space));
                out.push(Comment { start: i, own_line: blank, text, blank_after });
            }
            c if is_space(c) => {}
            _ => blank = false,
        }
    }
    out
}

/// Line starts of a text, for offset → line lookups.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }
}

/// Identifies an anchor structurally: `[]` is the file, `[0]` the header,
/// `[0, j]` its j-th field in canonical order, `[i + 1]` the i-th item and
/// `[i + 1, j, …]` entries nested in it.
type Key = Vec<usize>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The whole file.
    Root,
    /// The header: fields, no braces.
    Header,
    /// A braced body of entries.
    Block,
    /// A single entry.
    Leaf,
}

#[derive(Debug)]
struct Node {
    key: Key,
    span: Span,
    kind: Kind,
    /// Sorted by span start.
    children: Vec<Node>,
}

fn node(key: Key, span: Span, kind: Kind, mut children: Vec<Node>) -> Node {
    children.sort_by_key(|c| c.span.start);
    Node { key, span, kind, children }
}

fn keyed(key: &[usize], j: usize) -> Key {
    let mut k = key.to_vec();
    k.push(j);
    k
}

fn leaves<'a>(key: &[usize], spans: impl Iterator<Item = &'a Span>) -> Vec<Node> {
    spans.enumerate().map(|(j, s)| node(keyed(key, j), *s, Kind::Leaf, Vec::new())).collect()
}

fn anchor_tree(file: &PolicyFile) -> Node {
    let fields = header_fields(&file.header);
    let header = node(vec![0], file.header.span, Kind::Header, leaves(&[0], fields.iter().map(|(s, _)| s)));
    let mut children = vec![header];
    for (i, item) in file.items.iter().enumerate() {
        let key = vec![i + 1];
        let n = match item {
            Item::Enum(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.variants.iter().map(|v| &v.span))),
            Item::Record(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.fields.iter().map(|f| &f.span))),
            Item::Param(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.versions.iter().map(|v| &v.span))),
            Item::Table(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.rows.iter().map(|r| &r.span))),
            Item::Benefit(d) => clause_block(key, d.span, &d.clauses),
            _ => node(key, item.span(), Kind::Leaf, Vec::new()),
        };
        children.push(n);
    }
    node(Vec::new(), Span::new(0, usize::MAX), Kind::Root, children)
}

/// Moves span ends back over trailing whitespace and comments: a rule that
/// ends in an optional part (`let … "label"? cite?`) reaches past the
/// trivia after its last token.
struct Trimmer<'a> {
    source: &'a str,
    /// Comment end (trailing whitespace excluded) → comment start.
    comment_ends: HashMap<usize, usize>,
}

impl<'a> Trimmer<'a> {
    fn new(source: &'a str, comments: &[Comment]) -> Self {
        Trimmer { source, comment_ends: comments.iter().map(|c| (c.start + c.text.len(), c.start)).collect() }
    }

    fn end(&self, span: Span) -> usize {
        let mut end = span.end;
        loop {
            let Some(before) = self.source.get(span.start..end) else { return end };
            end = span.start + before.trim_end_matches(is_space).len();
            match self.comment_ends.get(&end) {
                Some(&start) if start >= span.start => end = start,
                _ => return end,
            }
        }
    }
}

fn trim_spans(n: &mut Node, t: &Trimmer<'_>) {
    if n.kind != Kind::Root {
        n.span.end = t.end(n.span);
    }
    for c in &mut n.children {
        trim_spans(c, t);
    }
}

fn clause_block(key: Key, span: Span, clauses: &[BenefitClause]) -> Node {
    let children = clauses
        .iter()
        .enumerate()
        .map(|(j, c)| match c {
            BenefitClause::Version(v) => clause_block(keyed(&key, j), v.span, &v.clauses),
            _ => node(keyed(&key, j), c.span(), Kind::Leaf, Vec::new()),
        })
        .collect();
    node(key, span, Kind::Block, children)
}

/// A comment as attached: its text, and whether a blank line follows it
/// (kept for comments on their own lines, except the last of a block).
#[derive(Debug, Clone)]
struct Note {
    text: String,
    blank_after: bool,
}

/// The comments attached to one anchor.
#[derive(Debug, Default, Clone)]
struct Slots {
    /// On their own lines before the anchor.
    leading: Vec<Note>,
    /// After the anchor's first line.
    open: Vec<Note>,
    /// After the anchor's last line.
    close: Vec<Note>,
    /// At the end of a block's body (or of the file).
    dangling: Vec<Note>,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Leading,
    Open,
    Close,
    Dangling,
}

fn attach(root: &Node, comments: &[Comment], source: &str) -> HashMap<Key, Slots> {
    let lines = Lines::new(source);
    let mut flat: Vec<&Node> = Vec::new();
    fn walk<'a>(n: &'a Node, flat: &mut Vec<&'a Node>) {
        for c in &n.children {
            flat.push(c);
            walk(c, flat);
        }
    }
    walk(root, &mut flat);
    let mut starts_on: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut ends_on: HashMap<usize, Vec<usize>> = HashMap::new();
    for (idx, n) in flat.iter().enumerate() {
        starts_on.entry(lines.line(n.span.start)).or_default().push(idx);
        if n.span.end > n.span.start {
            ends_on.entry(lines.line(n.span.end - 1)).or_default().push(idx);
        }
    }
    let mut slots: HashMap<Key, Slots> = HashMap::new();
    for c in comments {
        // The innermost anchor containing the comment.
        let mut inner = root;
        loop {
            let at = inner.children.partition_point(|ch| ch.span.start <= c.start);
            match at.checked_sub(1).and_then(|k| inner.children.get(k)) {
                Some(ch) if c.start < ch.span.end => inner = ch,
                _ => break,
            }
        }
        let (key, slot) = if c.own_line {
            if inner.kind == Kind::Leaf {
                (&inner.key, Slot::Leading)
            } else {
                let next = inner.children.partition_point(|ch| ch.span.start < c.start);
                match inner.children.get(next) {
                    Some(ch) => (&ch.key, Slot::Leading),
                    None if inner.kind == Kind::Header => (&inner.key, Slot::Leading),
                    None => (&inner.key, Slot::Dangling),
                }
            }
        } else {
            let line = lines.line(c.start);
            let pick = |ids: Option<&Vec<usize>>, ok: &dyn Fn(&Node) -> bool| -> Option<usize> {
                ids?.iter()
                    .copied()
                    .filter(|&k| flat.get(k).is_some_and(|n| ok(n)))
                    .max_by_key(|&k| (flat.get(k).map_or(0, |n| n.span.start), k))
            };
            let starting = pick(starts_on.get(&line), &|n: &Node| n.span.start <= c.start);
            let ending = || pick(ends_on.get(&line), &|n: &Node| n.span.end <= c.start);
            match (starting.and_then(|k| flat.get(k)), ending().and_then(|k| flat.get(k))) {
                (Some(n), _) => (&n.key, Slot::Open),
                (None, Some(n)) => (&n.key, Slot::Close),
                (None, None) if inner.kind == Kind::Root => (&inner.key, Slot::Dangling),
                (None, None) => (&inner.key, Slot::Leading),
            }
        };
        let s = slots.entry(key.clone()).or_default();
        let text = Note { text: c.text.clone(), blank_after: c.blank_after };
        match slot {
            Slot::Leading => s.leading.push(text),
            Slot::Open => s.open.push(text),
            Slot::Close => s.close.push(text),
            Slot::Dangling => s.dangling.push(text),
        }
    }
    slots
}

// ================================================================ documents

/// A layout document (after Wadler's "prettier printer").
#[derive(Debug, Clone)]
enum Doc {
    Text(String),
    /// A space, or a newline when its group breaks.
    Line,
    /// Nothing, or a newline when its group breaks.
    SoftLine,
    /// Always a newline.
    HardLine,
    /// Text printed only when its group breaks (trailing commas).
    IfBreak(&'static str),
    /// Indents the lines inside by [`INDENT`].
    Nest(Box<Doc>),
    /// Printed flat when it fits, else broken.
    Group(Box<Doc>),
    Concat(Vec<Doc>),
}

fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}
fn cat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}
fn nest(d: Doc) -> Doc {
    Doc::Nest(Box::new(d))
}
fn group(d: Doc) -> Doc {
    Doc::Group(Box::new(d))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

fn width(s: &str) -> isize {
    isize::try_from(s.chars().count()).unwrap_or(isize::MAX)
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Renders `doc` starting at column `indent`; continuation lines carry their
/// indentation, the first line does not.
fn render(doc: &Doc, indent: usize) -> String {
    let mut out = String::new();
    let mut col = isize::try_from(indent).unwrap_or(0);
    let max = isize::try_from(MAX_WIDTH).unwrap_or(isize::MAX);
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(indent, Mode::Break, doc)];
    while let Some((ind, mode, d)) = stack.pop() {
        match d {
            Doc::Text(s) => {
                out.push_str(s);
                col += width(s);
            }
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|p| (ind, mode, p))),
            Doc::Nest(x) => stack.push((ind + INDENT, mode, x)),
            Doc::Group(x) => {
                let m = if mode == Mode::Flat || fits(x, &stack, max - col) { Mode::Flat } else { Mode::Break };
                stack.push((ind, m, x));
            }
            Doc::Line | Doc::SoftLine | Doc::HardLine => {
                if mode == Mode::Break || matches!(d, Doc::HardLine) {
                    newline(&mut out, ind);
                    col = isize::try_from(ind).unwrap_or(0);
                } else if matches!(d, Doc::Line) {
                    out.push(' ');
                    col += 1;
                }
            }
            Doc::IfBreak(s) => {
                if mode == Mode::Break {
                    out.push_str(s);
                    col += width(s);
                }
            }
        }
    }
    out
}

/// Whether `next`, printed flat, and what follows it up to the next line
/// break fit in `room` columns.
fn fits(next: &Doc, rest: &[(usize, Mode, &Doc)], mut room: isize) -> bool {
    let mut stack: Vec<(Mode, &Doc)> = vec![(Mode::Flat, next)];
    let mut rest = rest.iter().rev();
    loop {
        if room < 0 {
            return false;
        }
        let (mode, d) = match stack.pop() {
            Some(x) => x,
            None => match rest.next() {
                Some(&(_, m, d)) => (m, d),
                None => return true,
            },
        };
        match d {
            Doc::Text(s) => room -= width(s),
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|p| (mode, p))),
            Doc::Nest(x) | Doc::Group(x) => stack.push((mode, x)),
            Doc::Line | Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
                if matches!(d, Doc::Line) {
                    room -= 1;
                }
            }
            Doc::HardLine => return true,
            Doc::IfBreak(s) => {
                if mode == Mode::Break {
                    room -= width(s);
                }
            }
        }
    }
}

// ============================================================== expressions

/// A string literal, quoted and escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn date(d: &chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn number(value: &rust_decimal::Decimal, suffix: &Option<Suffix>) -> String {
    let digits = decimal_text(value);
    match suffix {
        None => digits,
        Some(Suffix::Percent) => format!("{digits}%"),
        Some(Suffix::Unit(u)) if u.name == "元" => format!("{digits} yuan"),
        Some(Suffix::Unit(u)) => format!("{digits} {}", u.name),
    }
}

fn path(p: &[Ident]) -> String {
    p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".")
}

fn is_binary(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Binary(..))
}

fn paren(d: Doc) -> Doc {
    cat(vec![text("("), d, text(")")])
}

/// An operand position (prefix operand, tier range end, band width): binary
/// expressions need parentheses there.
fn operand(e: &Expr) -> Doc {
    if is_binary(e) {
        paren(expr(e))
    } else {
        expr(e)
    }
}

/// The base of `.field`, `[keys]` or `as unit`.
fn postfix_base(e: &Expr) -> Doc {
    if matches!(e.kind, ExprKind::Binary(..) | ExprKind::Unary(..)) {
        paren(expr(e))
    } else {
        expr(e)
    }
}

/// `a, b, c` on one line.
fn commas(items: &[Expr]) -> Doc {
    let mut parts = Vec::new();
    for (k, e) in items.iter().enumerate() {
        if k > 0 {
            parts.push(text(", "));
        }
        parts.push(expr(e));
    }
    cat(parts)
}

/// `{a, b}` or `[a, b]`, breaking one element per line.
fn bracketed(open: &str, close: &str, items: &[Expr]) -> Doc {
    let mut inner = vec![Doc::SoftLine];
    for (k, e) in items.iter().enumerate() {
        if k > 0 {
            inner.push(text(","));
            inner.push(Doc::Line);
        }
        inner.push(expr(e));
    }
    inner.push(Doc::IfBreak(","));
    group(cat(vec![text(open), nest(cat(inner)), Doc::SoftLine, text(close)]))
}

/// `head { e1, e2 }`, breaking one entry per line.
fn braced(head: Doc, entries: Vec<Doc>) -> Doc {
    let mut inner = Vec::new();
    for (k, e) in entries.into_iter().enumerate() {
        if k > 0 {
            inner.push(text(","));
        }
        inner.push(Doc::Line);
        inner.push(e);
    }
    inner.push(Doc::IfBreak(","));
    group(cat(vec![head, text(" {"), nest(cat(inner)), Doc::Line, text("}")]))
}

fn filter(f: &Option<Box<Expr>>) -> Doc {
    match f {
        Some(f) => cat(vec![text(" where "), expr(f)]),
        None => text(""),
    }
}

fn expr(e: &Expr) -> Doc {
    match &e.kind {
        ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
        ExprKind::Number { value, suffix } => text(number(value, suffix)),
        ExprKind::Date(d) => text(date(d)),
        ExprKind::Text(s) => text(quote(s)),
        ExprKind::Path(p) => text(path(p)),
        ExprKind::Field(base, f) => {
            // `800 yuan.f` would read `yuan.f` as a qualified unit name.
            let dot = if matches!(base.kind, ExprKind::Number { suffix: Some(Suffix::Unit(_)), .. }) { " ." } else { "." };
            cat(vec![postfix_base(base), text(format!("{dot}{}", f.name))])
        }
        ExprKind::Index(base, keys) => cat(vec![postfix_base(base), text("["), commas(keys), text("]")]),
        ExprKind::Convert(base, u) => cat(vec![postfix_base(base), text(format!(" as {}", u.name))]),
        ExprKind::Unary(op, x) => {
            let sign = match op {
                UnOp::Neg if matches!(x.kind, ExprKind::Unary(UnOp::Neg, _)) => "- ",
                UnOp::Neg => "-",
                UnOp::Not => "not ",
            };
            cat(vec![text(sign), operand(x)])
        }
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            let left = match &l.kind {
                ExprKind::Binary(lop, ..) if lop.precedence() < p => paren(expr(l)),
                _ => expr(l),
            };
            let right = match &r.kind {
                ExprKind::Binary(rop, ..) if rop.precedence() <= p => paren(expr(r)),
                _ => expr(r),
            };
            cat(vec![left, text(format!(" {} ", op.symbol())), right])
        }
        ExprKind::Paren(x) => paren(expr(x)),
        ExprKind::Set(items) => bracketed("{", "}", items),
        ExprKind::List(items) if items.is_empty() => text("[]"),
        ExprKind::List(items) => bracketed("[", "]", items),
        ExprKind::If { branches, otherwise } => {
            let mut parts = Vec::new();
            for (k, (cond, value)) in branches.iter().enumerate() {
                parts.push(text(if k == 0 { "if " } else { " else if " }));
                parts.push(expr(cond));
                parts.push(text(" {"));
                parts.push(nest(cat(vec![Doc::Line, expr(value)])));
                parts.push(Doc::Line);
                parts.push(text("}"));
            }
            parts.push(text(" else {"));
            parts.push(nest(cat(vec![Doc::Line, expr(otherwise)])));
            parts.push(Doc::Line);
            parts.push(text("}"));
            group(cat(parts))
        }
        ExprKind::Match { scrutinee, arms } => {
            let entries = arms
                .iter()
                .map(|arm| {
                    let pats = if arm.patterns.is_empty() {
                        "_".to_string()
                    } else {
                        arm.patterns
                            .iter()
                            .map(|p| match &p.kind {
                                ExprKind::Path(segs) => path(segs),
                                _ => render(&expr(p), 0),
                            })
                            .collect::<Vec<_>>()
                            .join(" | ")
                    };
                    cat(vec![text(pats), text(" => "), expr(&arm.value)])
                })
                .collect();
            braced(cat(vec![text("match "), expr(scrutinee)]), entries)
        }
        ExprKind::Tiers { subject, tiers, otherwise } => {
            let mut entries: Vec<Doc> = tiers
                .iter()
                .map(|t| {
                    let test = match &t.test {
                        TierTest::Cmp(op, x) => cat(vec![text(format!("{} ", op.symbol())), expr(x)]),
                        TierTest::Range(lo, hi) => cat(vec![operand(lo), text(" .. "), operand(hi)]),
                    };
                    cat(vec![test, text(" => "), expr(&t.value)])
                })
                .collect();
            if let Some(o) = otherwise {
                entries.push(cat(vec![text("else => "), expr(o)]));
            }
            braced(cat(vec![text("tiers "), expr(subject)]), entries)
        }
        ExprKind::Scale { subject, bands, rest } => {
            let mut entries: Vec<Doc> = bands
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let word = if k == 0 { "first " } else { "next " };
                    cat(vec![text(word), operand(&b.width), text(" at "), expr(&b.rate)])
                })
                .collect();
            if let Some(r) = rest {
                entries.push(cat(vec![text("then at "), expr(r)]));
            }
            braced(cat(vec![text("scale "), expr(subject)]), entries)
        }
        ExprKind::Quantifier { kind, var, list, filter: f } => {
            let name = match kind {
                QuantKind::Count => "count",
                QuantKind::Any => "any",
                QuantKind::All => "all",
            };
            cat(vec![text(format!("{name}({} in ", var.name)), expr(list), filter(f), text(")")])
        }
        ExprKind::Aggregate { kind, value, var, list, filter: f } => {
            let name = match kind {
                AggKind::Sum => "sum",
                AggKind::Min => "min",
                AggKind::Max => "max",
                AggKind::Avg => "avg",
            };
            cat(vec![text(format!("{name}(")), expr(value), text(format!(" for {} in ", var.name)), expr(list), filter(f), text(")")])
        }
        ExprKind::Call(f, args) => cat(vec![text(format!("{}(", f.name)), commas(args), text(")")]),
    }
}

// ==================================================================== items

fn ty(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(i) => i.name.clone(),
        TypeExpr::List(i) => format!("list {}", i.name),
    }
}

/// ` cite "…" [quote "…"]`, or nothing.
fn cite_suffix(c: &Option<Cite>) -> String {
    c.as_ref().map(|c| format!(" {}", cite(c))).unwrap_or_default()
}

fn cite(c: &Cite) -> String {
    let policy = c.policy.as_ref().map(|p| format!("{}.", p.name)).unwrap_or_default();
    match &c.quote {
        Some(q) => format!("cite {policy}{} quote {}", quote(&c.clause.value), quote(&q.value)),
        None => format!("cite {policy}{}", quote(&c.clause.value)),
    }
}

/// ` "label"`, or nothing.
fn label_suffix(l: &Option<Str>) -> String {
    l.as_ref().map(|l| format!(" {}", quote(&l.value))).unwrap_or_default()
}

fn id_prefix(id: &Option<Ident>) -> String {
    id.as_ref().map(|i| format!("{}: ", i.name)).unwrap_or_default()
}

/// The header fields in canonical order, with the span that anchors their
/// comments.
fn header_fields(h: &Header) -> Vec<(Span, String)> {
    let mut out: Vec<(Span, String)> = h.documents.iter().map(|d| (d.span, format!("document {}", quote(&d.value)))).collect();
    let mut string_field = |name: &str, s: &Option<Str>| {
        if let Some(s) = s {
            out.push((s.span, format!("{name} {}", quote(&s.value))));
        }
    };
    string_field("issuer", &h.issuer);
    string_field("region", &h.region);
    if let Some(d) = &h.issued {
        out.push((d.span, format!("issued {}", date(&d.value))));
    }
    if let Some(f) = &h.in_force {
        let mut s = "in_force".to_string();
        if let Some(d) = &f.from {
            s.push(' ');
            s.push_str(&date(&d.value));
        }
        s.push_str(" ..");
        if let Some(d) = &f.until {
            s.push(' ');
            s.push_str(&date(&d.value));
        }
        out.push((f.span, s));
    }
    let mut string_field = |name: &str, s: &Option<Str>| {
        if let Some(s) = s {
            out.push((s.span, format!("{name} {}", quote(&s.value))));
        }
    };
    string_field("source", &h.source);
    string_field("version", &h.version);
    out
}

fn range(r: &RangeDecl) -> Doc {
    let mut parts = vec![text("in")];
    if let Some(lo) = &r.low {
        parts.push(text(" "));
        parts.push(expr(lo));
    }
    parts.push(text(" .."));
    if let Some(hi) = &r.high {
        parts.push(text(" "));
        parts.push(expr(hi));
    }
    cat(parts)
}

/// Whether the expression ends in a number without a suffix, which would
/// take a following word on the same line as its unit.
fn ends_in_bare_number(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number { suffix: None, .. } => true,
        ExprKind::Unary(_, x) => ends_in_bare_number(x),
        _ => false,
    }
}

/// The group an item may share without blank lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    Use,
    Unit,
    Input,
    Let,
    Clause,
}

fn group_kind(item: &Item) -> Option<GroupKind> {
    match item {
        Item::Use(_) => Some(GroupKind::Use),
        Item::Unit(_) => Some(GroupKind::Unit),
        Item::Input(_) => Some(GroupKind::Input),
        Item::Let(_) => Some(GroupKind::Let),
        Item::Clause(_) => Some(GroupKind::Clause),
        _ => None,
    }
}

/// A one-line construct: its code, and a tail (`"label" cite …`) that moves
/// to a continuation line when the line is too long.
struct Entry {
    body: Doc,
    tail: String,
}

/// `a b c` for the non-empty parts.
fn words(parts: &[String]) -> String {
    parts.iter().filter(|p| !p.is_empty()).map(String::as_str).collect::<Vec<_>>().join(" ")
}

fn entry(body: Doc, tail: &[String]) -> Entry {
    Entry { body, tail: words(tail) }
}

fn label_text(l: &Option<Str>) -> String {
    l.as_ref().map(|l| quote(&l.value)).unwrap_or_default()
}

fn cite_text(c: &Option<Cite>) -> String {
    c.as_ref().map(cite).unwrap_or_default()
}

/// The width of `doc` printed flat, `None` if it holds a hard line break.
fn flat_width(doc: &Doc) -> Option<usize> {
    match doc {
        Doc::Text(s) => Some(s.chars().count()),
        Doc::Line => Some(1),
        Doc::SoftLine | Doc::IfBreak(_) => Some(0),
        Doc::HardLine => None,
        Doc::Nest(d) | Doc::Group(d) => flat_width(d),
        Doc::Concat(parts) => parts.iter().map(flat_width).sum(),
    }
}

/// Renders an entry at `indent`: on one line if it fits; else with the tail
/// on a continuation line (indented 2 more) if the code then fits on one
/// line; else with the code broken and the tail after its last line if it
/// fits there, or on a continuation line.
fn render_entry(e: &Entry, indent: usize) -> String {
    if e.tail.is_empty() {
        return render(&e.body, indent);
    }
    let tail = e.tail.chars().count();
    let continuation = |body: String| format!("{body}\n{}{}", " ".repeat(indent + INDENT), e.tail);
    if let Some(w) = flat_width(&e.body) {
        if indent + w + 1 + tail <= MAX_WIDTH {
            return format!("{} {}", render(&e.body, indent), e.tail);
        }
        if indent + w <= MAX_WIDTH {
            return continuation(render(&e.body, indent));
        }
    }
    let body = render(&e.body, indent);
    let last = match body.rsplit_once('\n') {
        Some((_, l)) => l.chars().count(),
        None => indent + body.chars().count(),
    };
    if last + 1 + tail <= MAX_WIDTH {
        format!("{body} {}", e.tail)
    } else {
        continuation(body)
    }
}

/// The entry of an item without a body, `None` for items with one.
fn leaf_item(item: &Item) -> Option<Entry> {
    Some(match item {
        Item::Use(d) => {
            let alias = d.alias.as_ref().map(|a| format!(" as {}", a.name)).unwrap_or_default();
            entry(text(format!("use {}{alias}", d.policy.name)), &[])
        }
        Item::Unit(d) => entry(text(format!("unit {} {}", d.name.name, quote(&d.label.value))), &[]),
        Item::Convert(d) => entry(cat(vec![text("convert "), expr(&d.from), text(" = "), expr(&d.to)]), &[cite_text(&d.cite)]),
        Item::Input(d) => {
            let mut parts = vec![text(format!("input {}: {}", d.name.name, ty(&d.ty)))];
            if let Some(r) = &d.range {
                parts.push(text(" "));
                parts.push(range(r));
            }
            if let Some(def) = &d.default {
                let bare_high = d.range.as_ref().and_then(|r| r.high.as_ref()).is_some_and(ends_in_bare_number);
                let lead = if bare_high { Doc::HardLine } else { text(" ") };
                parts.push(nest(cat(vec![lead, text("default "), expr(def)])));
            }
            entry(cat(parts), &[label_text(&d.label)])
        }
        Item::External(d) => {
            let mut head = vec![text(format!("external {}: {}", d.name.name, ty(&d.ty)))];
            if let Some(r) = &d.range {
                head.push(text(" "));
                head.push(range(r));
            }
            head.push(text(format!(" {}", quote(&d.label.value))));
            let source = match &d.source {
                ExternalSource::DefinedIn(s) => format!("defined_in {}", quote(&s.value)),
                ExternalSource::SetBy { authority, criteria } => {
                    let mut s = format!("set_by {}", quote(&authority.value));
                    if !criteria.is_empty() {
                        let list: Vec<String> = criteria.iter().map(|c| quote(&c.value)).collect();
                        s.push_str(" criteria ");
                        s.push_str(&list.join(", "));
                    }
                    s
                }
            };
            let mut tail = vec![Doc::Line, text(source)];
            if let Some(c) = &d.cite {
                tail.push(Doc::Line);
                tail.push(text(cite(c)));
            }
            head.push(nest(cat(tail)));
            entry(group(cat(head)), &[])
        }
        Item::Let(d) => {
            let annot = d.ty.as_ref().map(|t| format!(": {}", ty(t))).unwrap_or_default();
            entry(cat(vec![text(format!("let {}{annot} = ", d.name.name)), expr(&d.value)]), &[label_text(&d.label), cite_text(&d.cite)])
        }
        Item::Assert(d) => {
            entry(cat(vec![text(format!("assert {}", id_prefix(&d.id))), expr(&d.expr)]), &[quote(&d.label.value), cite_text(&d.cite)])
        }
        Item::Clause(d) => {
            let body = match &d.body {
                ClauseBody::Quote(q) => format!("quote {}", quote(&q.value)),
                ClauseBody::NotComputable(r) => format!("not_computable {}", quote(&r.value)),
            };
            entry(text(format!("clause {}{} {body}", quote(&d.number.value), label_suffix(&d.title))), &[])
        }
        Item::Enum(_) | Item::Record(_) | Item::Param(_) | Item::Table(_) | Item::Benefit(_) => return None,
    })
}

fn clause_entry(c: &BenefitClause) -> Entry {
    match c {
        BenefitClause::Payee(i) => entry(text(format!("payee {}", i.name)), &[]),
        BenefitClause::Per(i) => entry(text(format!("per {}", i.name)), &[]),
        BenefitClause::Cite(c) => entry(text(cite(c)), &[]),
        BenefitClause::DatedBy { expr: e, label, .. } => entry(cat(vec![text("dated_by "), expr(e)]), &[label_text(label)]),
        BenefitClause::Condition(c) => {
            let kw = match c.kind {
                ConditionKind::Applies => "applies_when",
                ConditionKind::Require => "require",
                ConditionKind::Exclude => "exclude",
            };
            entry(cat(vec![text(format!("{kw} {}", id_prefix(&c.id))), expr(&c.expr)]), &[quote(&c.label.value), cite_text(&c.cite)])
        }
        BenefitClause::Amount(a) | BenefitClause::Cap(a) => {
            let kw = if matches!(c, BenefitClause::Amount(_)) { "amount " } else { "cap " };
            entry(cat(vec![text(kw), expr(&a.expr)]), &[label_text(&a.label), cite_text(&a.cite)])
        }
        BenefitClause::Uplift(u) => {
            let until = u.until.as_ref().map(|d| format!(" until {}", date(&d.value))).unwrap_or_default();
            entry(
                cat(vec![text(format!("uplift {}", id_prefix(&u.id))), expr(&u.rate), text(" when "), expr(&u.when), text(until)]),
                &[quote(&u.label.value), cite_text(&u.cite)],
            )
        }
        BenefitClause::Override(o) => entry(
            cat(vec![text(format!("override {}when ", id_prefix(&o.id))), expr(&o.when), text(" => "), expr(&o.value)]),
            &[quote(&o.label.value), cite_text(&o.cite)],
        ),
        BenefitClause::Entitle(o) | BenefitClause::Needs(o) => {
            let kw = if matches!(c, BenefitClause::Entitle(_)) { "entitle" } else { "needs" };
            let mut parts = vec![text(format!("{kw} {}", quote(&o.label.value)))];
            if let Some(w) = &o.when {
                parts.push(text(" when "));
                parts.push(expr(w));
            }
            entry(cat(parts), &[cite_text(&o.cite)])
        }
        BenefitClause::Deadline { label, expr: e, cite: c, .. } => {
            entry(cat(vec![text(format!("deadline {} ", quote(&label.value))), expr(e)]), &[cite_text(c)])
        }
        BenefitClause::Version(v) => entry(text(version_head(v)), &[]),
    }
}

fn version_head(v: &VersionBlock) -> String {
    let until = v.until.as_ref().map(|d| format!(" until {}", date(&d.value))).unwrap_or_default();
    format!("from {}{until} {{", date(&v.from.value))
}

// ================================================================== printer

struct Printer {
    out: String,
    slots: HashMap<Key, Slots>,
}

impl Printer {
    fn take(&mut self, key: &[usize]) -> Slots {
        self.slots.remove(key).unwrap_or_default()
    }

    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// Comments on their own lines; a blank line follows each that had one
    /// in the source, except the last when `last_blank` is false.
    fn comment_lines(&mut self, indent: usize, notes: &[Note], last_blank: bool) {
        for (k, n) in notes.iter().enumerate() {
            self.indent(indent);
            self.out.push_str(&n.text);
            self.out.push('\n');
            if n.blank_after && (last_blank || k + 1 < notes.len()) {
                self.out.push('\n');
            }
        }
    }

    fn trail(&mut self, note: Option<&Note>) {
        if let Some(n) = note {
            self.out.push_str("  ");
            self.out.push_str(&n.text);
        }
    }

    /// Writes rendered `text` at `indent`, with `first` after its first line
    /// and `last` after its last.
    fn text_lines(&mut self, indent: usize, text: &str, first: Option<&Note>, last: Option<&Note>) {
        let count = text.split('\n').count();
        for (k, line) in text.split('\n').enumerate() {
            if k == 0 {
                self.indent(indent);
            }
            self.out.push_str(line);
            if k == 0 {
                self.trail(first);
            }
            if k + 1 == count {
                self.trail(last);
            }
            self.out.push('\n');
        }
    }

    /// Leading comments, then trailing comments that found no place at a
    /// line end (they become leading comments too).
    fn leading(&mut self, indent: usize, leading: &[Note], extra: Vec<Note>) {
        let extra: Vec<Note> = extra.into_iter().map(|n| Note { blank_after: false, ..n }).collect();
        self.comment_lines(indent, leading, true);
        self.comment_lines(indent, &extra, true);
    }

    /// An anchor printed as `text` (no body).
    fn leaf(&mut self, key: &[usize], indent: usize, text: &str) {
        let slots = self.take(key);
        self.leaf_with(slots, indent, text);
    }

    fn leaf_with(&mut self, slots: Slots, indent: usize, text: &str) {
        let Slots { leading, open, close, dangling } = slots;
        let mut extra = Vec::new();
        let (first, last) = if text.contains('\n') {
            let (mut o, mut c) = (open.into_iter(), close.into_iter());
            let pair = (o.next(), c.next());
            extra.extend(o);
            extra.extend(c);
            pair
        } else {
            let mut all = open.into_iter().chain(close);
            let f = all.next();
            extra.extend(all);
            (f, None)
        };
        extra.extend(dangling);
        self.leading(indent, &leading, extra);
        self.text_lines(indent, text, first.as_ref(), last.as_ref());
    }

    /// An anchor with a braced body: `head` ends with `{`; `body` prints the
    /// entries one level deeper.
    fn block(&mut self, key: &[usize], indent: usize, head: &str, entries: usize, body: impl FnOnce(&mut Self)) {
        let slots = self.take(key);
        if entries == 0 && slots.dangling.is_empty() {
            self.leaf_with(slots, indent, &format!("{head}}}"));
            return;
        }
        let Slots { leading, open, close, dangling } = slots;
        let (mut o, mut c) = (open.into_iter(), close.into_iter());
        let (first, last) = (o.next(), c.next());
        self.leading(indent, &leading, o.chain(c).collect());
        self.text_lines(indent, head, first.as_ref(), None);
        body(self);
        self.comment_lines(indent + INDENT, &dangling, false);
        self.indent(indent);
        self.out.push('}');
        self.trail(last.as_ref());
        self.out.push('\n');
    }

    fn has_leading(&self, key: &[usize], single_line: bool) -> bool {
        self.slots.get(key).is_some_and(|s| !s.leading.is_empty() || (single_line && s.open.len() + s.close.len() > 1))
    }

    fn file(&mut self, f: &PolicyFile) {
        let h = &f.header;
        self.leaf(&[0], 0, &format!("policy {} {}", h.id.name, quote(&h.title.value)));
        for (j, (_, field)) in header_fields(h).iter().enumerate() {
            self.leaf(&[0, j], INDENT, field);
        }
        let mut prev: Option<(GroupKind, bool)> = None;
        for (i, item) in f.items.iter().enumerate() {
            let key = [i + 1];
            let rendered = leaf_item(item).map(|e| render_entry(&e, 0));
            let single = rendered.as_ref().is_some_and(|t| !t.contains('\n'));
            let kind = group_kind(item);
            let grouped = match (prev, kind) {
                (Some((pk, psingle)), Some(k)) => pk == k && psingle && single && !self.has_leading(&key, single),
                _ => false,
            };
            if !grouped {
                self.out.push('\n');
            }
            prev = kind.map(|k| (k, single));
            match rendered {
                Some(t) => self.leaf(&key, 0, &t),
                None => self.body_item(&key, item),
            }
        }
    }

    fn body_item(&mut self, key: &[usize], item: &Item) {
        match item {
            Item::Enum(d) => {
                let head = format!("enum {}{} {{", d.name.name, label_suffix(&d.label));
                self.block(key, 0, &head, d.variants.len(), |p| {
                    for (j, v) in d.variants.iter().enumerate() {
                        p.leaf(&keyed(key, j), INDENT, &format!("{}{},", v.name.name, label_suffix(&v.label)));
                    }
                });
            }
            Item::Record(d) => {
                let head = format!("record {}{} {{", d.name.name, label_suffix(&d.label));
                self.block(key, 0, &head, d.fields.len(), |p| {
                    for (j, f) in d.fields.iter().enumerate() {
                        let t = format!("{}: {}{},", f.name.name, ty(&f.ty), label_suffix(&f.label));
                        p.leaf(&keyed(key, j), INDENT, &t);
                    }
                });
            }
            Item::Param(d) => {
                let head = format!("param {}: {}{}{} {{", d.name.name, ty(&d.ty), label_suffix(&d.label), cite_suffix(&d.cite));
                self.block(key, 0, &head, d.versions.len(), |p| {
                    for (j, v) in d.versions.iter().enumerate() {
                        let until = v.until.as_ref().map(|u| format!(" until {}", date(&u.value))).unwrap_or_default();
                        let e = entry(
                            cat(vec![text(format!("from {}{until} => ", date(&v.from.value))), expr(&v.value)]),
                            &[cite_text(&v.cite)],
                        );
                        p.leaf(&keyed(key, j), INDENT, &render_entry(&e, INDENT));
                    }
                });
            }
            Item::Table(d) => {
                let cols = |cs: &[Column]| cs.iter().map(|c| format!("{}: {}", c.name.name, ty(&c.ty))).collect::<Vec<_>>().join(", ");
                let first = format!("table {}({}) -> ({})", d.name.name, cols(&d.keys), cols(&d.values));
                let tail = format!("{}{}", label_suffix(&d.label), cite_suffix(&d.cite));
                let head = match tail.strip_prefix(' ') {
                    Some(t) => render(&cat(vec![group(cat(vec![text(first), nest(cat(vec![Doc::Line, text(t)]))])), text(" {")]), 0),
                    None => format!("{first} {{"),
                };
                let rows: Vec<String> =
                    d.rows.iter().map(|r| render(&cat(vec![commas(&r.keys), text(" => "), commas(&r.values)]), INDENT)).collect();
                self.block(key, 0, &head, rows.len(), |p| {
                    let mut it = rows.iter().enumerate().peekable();
                    while let Some((j, row)) = it.next() {
                        let continues = it.peek().is_some_and(|(_, next)| next.starts_with(['-', '(', '[']));
                        let row = if continues { format!("{row};") } else { row.clone() };
                        p.leaf(&keyed(key, j), INDENT, &row);
                    }
                });
            }
            Item::Benefit(d) => {
                let head = format!("benefit {} {} {{", d.id.name, quote(&d.label.value));
                self.block(key, 0, &head, d.clauses.len(), |p| p.clauses(key, INDENT, &d.clauses));
            }
            _ => {
                if let Some(e) = leaf_item(item) {
                    self.leaf(key, 0, &render_entry(&e, 0));
                }
            }
        }
    }

    fn clauses(&mut self, key: &[usize], indent: usize, clauses: &[BenefitClause]) {
        for (j, c) in clauses.iter().enumerate() {
            let k = keyed(key, j);
            match c {
                BenefitClause::Version(v) => {
                    self.block(&k, indent, &version_head(v), v.clauses.len(), |p| p.clauses(&k, indent + INDENT, &v.clauses));
                }
                _ => self.leaf(&k, indent, &render_entry(&clause_entry(c), indent)),
            }
        }
    }

    /// The file's own dangling comments, then any whose anchor was not
    /// printed (a tree that does not match its source): never drop one.
    fn finish(mut self) -> String {
        let mut rest: Vec<(Key, Slots)> = self.slots.drain().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        let notes: Vec<Note> = rest
            .into_iter()
            .flat_map(|(key, s)| {
                let Slots { leading, open, close, dangling } = s;
                let own = key.is_empty();
                leading.into_iter().chain(open).chain(close).chain(dangling).map(move |n| Note { blank_after: own && n.blank_after, ..n })
            })
            .collect();
        if !notes.is_empty() {
            self.out.push('\n');
            self.comment_lines(0, &notes, false);
        }
        self.out
    }
}
