//! Text to AST: limits and pre-scan, chunked pest parsing, lowering of pest
//! pairs into [`crate::ast`]. pest types never leave this module.

use crate::ast::*;
use crate::diag::{codes, Diagnostic};
use crate::limits;
use pest::iterators::Pair;
use pest::Parser as _;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;

mod grammar {
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "policy.pest"]
    pub(super) struct PolicyParser;
}
use grammar::{PolicyParser, Rule};

mod fast;

/// The result of parsing one file: the tree (absent when the header is
/// unusable) and every diagnostic found.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The tree, holding every item that parsed.
    pub file: Option<PolicyFile>,
    /// Syntax errors, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// Names declared by items that failed to parse (the checker stays quiet
    /// about uses of these, to avoid a cascade of follow-on errors).
    pub poisoned_names: Vec<String>,
}

/// Parses raw bytes, reporting malformed UTF-8 as a diagnostic.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Parsed {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(file, text),
        Err(e) => {
            let name: Arc<str> = Arc::from(file);
            let at = e.valid_up_to();
            Parsed {
                file: None,
                diagnostics: vec![Diagnostic::error(
                    codes::BAD_UTF8,
                    &name,
                    Span::new(0, 0),
                    format!("source is not valid UTF-8 (invalid byte at offset {at})"),
                )
                .with_help("save the file as UTF-8")],
                poisoned_names: Vec::new(),
            }
        }
    }
}

/// Parses one policy file.
///
/// Each chunk goes through the hand-written parser of `parse/fast.rs`
/// first; a chunk it does not accept cleanly (a syntax error, anything the
/// lowering would report) is parsed again by pest and lowered, which report
/// it. Both build the same tree (`tests/parse_fast.rs`).
pub fn parse(file: &str, text: &str) -> Parsed {
    parse_with(file, text, true)
}

/// [`parse`] through pest and the lowering only, without the fast path: the
/// reference the fast path is tested against.
#[doc(hidden)]
pub fn parse_reference(file: &str, text: &str) -> Parsed {
    parse_with(file, text, false)
}

/// The tree the hand-written parser alone builds, when it accepts every
/// chunk of the file (tests check that it does for the bundled policies, so
/// the fast path is taken, not silently bypassed).
#[doc(hidden)]
pub fn parse_fast_only(text: &str) -> Option<PolicyFile> {
    let chunks = prescan(&Arc::from(""), text).ok()?;
    let mut header = None;
    let mut items = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        let slice = text.get(chunk.start..chunk.end)?;
        if index == 0 {
            header = Some(fast::header(slice, chunk.start)?);
        } else {
            fast::items(slice, chunk.start, &mut items)?;
        }
    }
    Some(PolicyFile { header: header?, items })
}

fn parse_with(file: &str, text: &str, fast: bool) -> Parsed {
    let name: Arc<str> = Arc::from(file);
    let mut out = Parsed { file: None, diagnostics: Vec::new(), poisoned_names: Vec::new() };
    if text.len() > limits::MAX_SOURCE_BYTES {
        out.diagnostics.push(
            Diagnostic::error(
                codes::TOO_LARGE,
                &name,
                Span::new(0, 0),
                format!("source is {} bytes, more than the limit of {} bytes", text.len(), limits::MAX_SOURCE_BYTES),
            )
            .with_help("split the policy into several files joined by `use`"),
        );
        return out;
    }
    let chunks = match prescan(&name, text) {
        Ok(chunks) => chunks,
        Err(d) => {
            out.diagnostics.push(*d);
            return out;
        }
    };
    if chunks.len() > limits::MAX_ITEMS {
        out.diagnostics.push(Diagnostic::error(
            codes::TOO_MANY_ITEMS,
            &name,
            Span::new(0, 0),
            format!("the file declares {} items, more than the limit of {}", chunks.len(), limits::MAX_ITEMS),
        ));
        return out;
    }
    let lexical = crate::lexical::check(&name, text);
    let mut lower = Lower { file: name.clone(), base: 0, diags: Vec::new(), depth: 0 };
    let mut header = None;
    let mut items = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        let Some(slice) = text.get(chunk.start..chunk.end) else { continue };
        lower.base = chunk.start;
        if fast && index == 0 {
            if let Some(h) = fast::header(slice, chunk.start) {
                header = Some(h);
                continue;
            }
        } else if fast && fast::items(slice, chunk.start, &mut items).is_some() {
            continue;
        }
        if index == 0 {
            match PolicyParser::parse(Rule::header_only, slice) {
                Ok(mut pairs) => {
                    if let Some(h) = pairs.next().and_then(|p| p.into_inner().next()) {
                        header = lower.header(h);
                    }
                }
                Err(e) => lower.diags.push(syntax_error(&name, chunk.start, slice, e)),
            }
        } else {
            match PolicyParser::parse(Rule::items_only, slice) {
                Ok(mut pairs) => {
                    if let Some(all) = pairs.next() {
                        for p in all.into_inner() {
                            if p.as_rule() == Rule::EOI {
                                continue;
                            }
                            if let Some(item) = lower.item(p) {
                                items.push(item);
                            }
                        }
                    }
                }
                Err(e) => {
                    lower.diags.push(syntax_error(&name, chunk.start, slice, e));
                    if let Some(n) = declared_name(slice) {
                        out.poisoned_names.push(n);
                    }
                }
            }
        }
    }
    out.diagnostics = lower.diags;
    out.diagnostics.extend(lexical);
    out.file = header.map(|header| PolicyFile { header, items });
    out
}

/// Parses a standalone expression (used by tests and tools).
pub fn parse_expr(file: &str, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    let name: Arc<str> = Arc::from(file);
    prescan(&name, text).map_err(|d| vec![*d])?;
    let mut lower = Lower { file: name.clone(), base: 0, diags: Vec::new(), depth: 0 };
    match PolicyParser::parse(Rule::expr, text) {
        Ok(mut pairs) => {
            let consumed = pairs.peek().map(|p| p.as_span().end()).unwrap_or(0);
            if consumed != text.trim_end().len() {
                return Err(vec![Diagnostic::error(
                    codes::SYNTAX,
                    &name,
                    Span::new(consumed, text.len()),
                    "unexpected text after the expression",
                )]);
            }
            let e = pairs.next().and_then(|p| lower.expr(p));
            match e {
                Some(e) if lower.diags.is_empty() => Ok(e),
                _ => Err(lower.diags),
            }
        }
        Err(e) => Err(vec![syntax_error(&name, 0, text, e)]),
    }
}

// ------------------------------------------------------------------ pre-scan

#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: usize,
    end: usize,
}

const ITEM_KEYWORDS: &[&str] = &[
    "use", "unit", "convert", "enum", "record", "input", "param", "external", "table", "let", "fn", "assert", "clause", "benefit", "amend",
    "repeal",
];

/// Keywords that start a clause inside a benefit (for syntax errors).
const CLAUSE_KEYWORDS: &[&str] = &[
    "payee",
    "dated_by",
    "applies_when",
    "require",
    "exclude",
    "amount",
    "cap",
    "uplift",
    "override",
    "per",
    "entitle",
    "deadline",
    "needs",
    "output",
    "from",
];

/// One pass over the text: finds unterminated strings, rejects nesting
/// deeper than [`limits::MAX_NESTING`], and splits the file into chunks
/// at lines that start a top-level item outside any bracket.
fn prescan(name: &Arc<str>, text: &str) -> Result<Vec<Chunk>, Box<Diagnostic>> {
    let mut chunks = Vec::new();
    let mut chunk_start = 0usize;
    let mut depth = 0usize;
    let mut at_line_start = true;
    // Bytes, not chars: every byte this looks for is ASCII, and the bytes of
    // a multi-byte character are all ≥ 0x80.
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let mut j = i + 1;
                let mut closed = false;
                while let Some(&d) = bytes.get(j) {
                    match d {
                        b'\\' => j += 1,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\n' => break,
                        _ => {}
                    }
                    j += 1;
                }
                if !closed {
                    let end = text.get(i..).and_then(|t| t.find('\n')).map(|n| i + n).unwrap_or(text.len());
                    return Err(Box::new(
                        Diagnostic::error(codes::UNTERMINATED_STRING, name, Span::new(i, end), "unterminated string literal")
                            .with_label("this string has no closing `\"`")
                            .with_help("strings end on the line they start; add the closing quote"),
                    ));
                }
                at_line_start = false;
                i = j + 1;
                continue;
            }
            b'#' => {
                let rest = bytes.get(i..).unwrap_or(&[]);
                i += rest.iter().position(|&d| d == b'\n').unwrap_or(rest.len());
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limits::MAX_NESTING {
                    return Err(Box::new(
                        Diagnostic::error(
                            codes::TOO_DEEP,
                            name,
                            Span::new(i, i + 1),
                            format!("brackets nest deeper than the limit of {}", limits::MAX_NESTING),
                        )
                        .with_help("name intermediate values with `let`"),
                    ));
                }
                at_line_start = false;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                at_line_start = false;
            }
            b'\n' => at_line_start = true,
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {}
            _ => {
                let c = if b < 0x80 { char::from(b) } else { text.get(i..).and_then(|t| t.chars().next()).unwrap_or('\0') };
                if !c.is_whitespace() {
                    if at_line_start && depth == 0 && i > 0 {
                        let rest = text.get(i..).unwrap_or("");
                        let word = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(rest, |n| rest.get(..n).unwrap_or(""));
                        if ITEM_KEYWORDS.contains(&word) {
                            chunks.push(Chunk { start: chunk_start, end: i });
                            chunk_start = i;
                        }
                    }
                    at_line_start = false;
                }
                i += c.len_utf8();
                continue;
            }
        }
        i += 1;
    }
    chunks.push(Chunk { start: chunk_start, end: text.len() });
    Ok(chunks)
}

/// The name an item declares, read off its text (for poisoning).
fn declared_name(chunk: &str) -> Option<String> {
    let mut words = chunk.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
    let kw = words.next()?;
    if !ITEM_KEYWORDS.contains(&kw) || kw == "assert" || kw == "clause" || kw == "convert" || kw == "use" {
        return None;
    }
    words.next().map(str::to_string)
}

fn syntax_error(name: &Arc<str>, base: usize, slice: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // An error at the end of a chunk (an item cut short) points just after
    // its last token, not at the next item's first.
    let pos = pos.min(slice.trim_end().len());
    let found: String = slice.get(pos..).unwrap_or("").trim_start().chars().take_while(|c| !c.is_whitespace()).take(20).collect();
    let found_len = slice.get(pos..).map(|s| {
        let s2 = s.trim_start();
        (s.len() - s2.len()) + s2.chars().take_while(|c| !c.is_whitespace()).take(20).map(char::len_utf8).sum::<usize>()
    });
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            // A few keywords are named; many are summed up by what they start.
            let many = positives.iter().filter(|r| is_keyword(**r)).count() > 3;
            let mut names: Vec<std::borrow::Cow<'static, str>> = positives
                .iter()
                .map(|r| match keyword_group(*r) {
                    Some(group) if many => std::borrow::Cow::Borrowed(group),
                    _ => rule_name(*r),
                })
                .collect();
            names.sort_unstable();
            names.dedup();
            match names.split_last() {
                None => "something else".to_string(),
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => {
                    let rest: Vec<&str> = rest.iter().map(|n| n.as_ref()).collect();
                    format!("{} or {}", rest.join(", "), last)
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    // An invisible or unexpected character is named by its code point
    // (a leading NUL once read "expected `policy`, found `policy`").
    let odd = found.chars().find_map(crate::lexical::describe);
    let found_text = match (&odd, found.is_empty()) {
        (_, true) => "end of input".to_string(),
        (Some(what), false) => format!("`{}`: the character {what}", crate::lexical::escape_unusual(&found)),
        (None, false) => format!("`{found}`"),
    };
    let start = base + pos;
    let end = start + found_len.unwrap_or(0).max(1);
    let mut d = Diagnostic::error(
        codes::SYNTAX,
        name,
        Span::new(start, end.min(base + slice.len()).max(start)),
        format!("expected {expected}, found {found_text}"),
    )
    .with_label(format!("expected {expected}"));
    if odd.is_some() {
        d = d.with_help("delete the character: most editors do not show it");
    }
    let word: String = found.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if !word.is_empty() && expected.contains("a name") && RESERVED.contains(&word.as_str()) {
        d = d.with_help(format!("`{word}` is a reserved word; choose another name"));
    }
    if found.starts_with('=')
        && !found.starts_with("==")
        && !found.starts_with("=>")
        && (expected.contains("`==`") || expected.contains("an operator"))
    {
        d = d.with_help("comparison is written `==`");
    }
    d
}

/// Words that cannot be names (the grammar's `keyword` rule).
const RESERVED: &[&str] = &[
    "not_computable",
    "default",
    "applies_when",
    "defined_in",
    "dated_by",
    "deadline",
    "override",
    "entitle",
    "exclude",
    "require",
    "assert",
    "policy",
    "set_by",
    "uplift",
    "false",
    "first",
    "match",
    "needs",
    "quote",
    "scale",
    "tiers",
    "until",
    "where",
    "cite",
    "else",
    "from",
    "next",
    "then",
    "true",
    "when",
    "and",
    "cap",
    "for",
    "let",
    "not",
    "use",
    "as",
    "at",
    "fn",
    "if",
    "in",
    "or",
];

fn rule_name(r: Rule) -> std::borrow::Cow<'static, str> {
    if let Some(word) = keyword_text(r) {
        return format!("`{word}`").into();
    }
    std::borrow::Cow::Borrowed(match r {
        Rule::EOI => "end of input",
        Rule::ident | Rule::path => "a name",
        Rule::qualified_name => "a dotted policy id",
        Rule::string => "a string",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::number | Rule::quantity | Rule::bound => "a number",
        Rule::expr | Rule::operand => "an expression",
        Rule::infix => "an operator",
        Rule::postfix | Rule::field_access | Rule::index_access | Rule::conversion => "`.`, `[` or `as`",
        Rule::type_expr | Rule::list_type | Rule::named_type => "a type",
        Rule::header_field
        | Rule::h_document
        | Rule::h_issuer
        | Rule::h_region
        | Rule::h_issued
        | Rule::h_in_force
        | Rule::h_source
        | Rule::h_version
        | Rule::h_amends => "a header field",
        Rule::header => "the `policy` header",
        Rule::use_decl
        | Rule::unit_decl
        | Rule::convert_decl
        | Rule::enum_decl
        | Rule::record_decl
        | Rule::input_decl
        | Rule::param_decl
        | Rule::external_decl
        | Rule::table_decl
        | Rule::let_decl
        | Rule::fn_decl
        | Rule::assert_decl
        | Rule::clause_decl
        | Rule::benefit_decl
        | Rule::amend_decl
        | Rule::repeal_decl => "a declaration",
        Rule::amend_param => "`param NAME { … }`",
        Rule::amend_benefit => "`benefit ID { … }`",
        Rule::replace_change | Rule::repeal_change => "a change",
        Rule::payee_clause
        | Rule::cite_clause
        | Rule::dated_by_clause
        | Rule::applies_clause
        | Rule::require_clause
        | Rule::exclude_clause
        | Rule::amount_clause
        | Rule::cap_clause
        | Rule::uplift_clause
        | Rule::override_clause
        | Rule::per_clause
        | Rule::entitle_clause
        | Rule::deadline_clause
        | Rule::needs_clause
        | Rule::output_clause
        | Rule::version_block => "a benefit clause",
        Rule::cite => "`cite`",
        Rule::cite_policy => "an imported policy's alias",
        Rule::range => "`in`",
        Rule::default_clause => "`default`",
        Rule::param_version => "`from DATE => value`",
        Rule::defined_in | Rule::set_by => "`defined_in` or `set_by`",
        Rule::row => "a table row",
        Rule::variant => "a variant",
        Rule::field_decl => "a field",
        Rule::column | Rule::columns => "a column",
        Rule::quote | Rule::not_computable => "`quote` or `not_computable`",
        Rule::tier | Rule::tier_test | Rule::tier_cmp | Rule::tier_range => "a tier",
        Rule::tier_else => "`else =>`",
        Rule::scale_band => "a band (`first N at RATE`)",
        Rule::scale_rest => "`then at RATE`",
        Rule::match_arm | Rule::match_pattern => "a match arm",
        Rule::block => "`{`",
        Rule::cond_id => "a condition id",
        Rule::op_ge => "`>=`",
        Rule::op_le => "`<=`",
        Rule::op_eq => "`==`",
        Rule::op_ne => "`!=`",
        Rule::op_gt => "`>`",
        Rule::op_lt => "`<`",
        Rule::unit_suffix | Rule::percent_sign => "a unit",
        _ => "more input",
    })
}

/// What a keyword starts, for summing up a long list of expected keywords.
fn keyword_group(r: Rule) -> Option<&'static str> {
    let word = keyword_text(r)?;
    if ITEM_KEYWORDS.contains(&word.as_str()) {
        Some("a declaration")
    } else if CLAUSE_KEYWORDS.contains(&word.as_str()) {
        Some("a benefit clause")
    } else {
        None
    }
}

/// The keyword a `k_…` rule matches (`k_else` is `else`, `k__` is `_`).
fn keyword_text(r: Rule) -> Option<String> {
    if !is_keyword(r) {
        return None;
    }
    let name = format!("{r:?}");
    Some(name.strip_prefix("k_").unwrap_or(&name).to_string())
}

fn is_keyword(r: Rule) -> bool {
    matches!(
        r,
        Rule::k__
            | Rule::k_all
            | Rule::k_amend
            | Rule::k_amends
            | Rule::k_repeal
            | Rule::k_replace
            | Rule::k_amount
            | Rule::k_any
            | Rule::k_applies_when
            | Rule::k_as
            | Rule::k_assert
            | Rule::k_at
            | Rule::k_avg
            | Rule::k_benefit
            | Rule::k_cap
            | Rule::k_cite
            | Rule::k_clause
            | Rule::k_convert
            | Rule::k_count
            | Rule::k_criteria
            | Rule::k_dated_by
            | Rule::k_deadline
            | Rule::k_default
            | Rule::k_defined_in
            | Rule::k_document
            | Rule::k_else
            | Rule::k_entitle
            | Rule::k_enum
            | Rule::k_exclude
            | Rule::k_external
            | Rule::k_first
            | Rule::k_for
            | Rule::k_from
            | Rule::k_if
            | Rule::k_in_force
            | Rule::k_input
            | Rule::k_issued
            | Rule::k_issuer
            | Rule::k_let
            | Rule::k_fn
            | Rule::k_list
            | Rule::k_match
            | Rule::k_max
            | Rule::k_min
            | Rule::k_needs
            | Rule::k_next
            | Rule::k_not_computable
            | Rule::k_output
            | Rule::k_override
            | Rule::k_param
            | Rule::k_payee
            | Rule::k_per
            | Rule::k_policy
            | Rule::k_quote
            | Rule::k_record
            | Rule::k_region
            | Rule::k_require
            | Rule::k_scale
            | Rule::k_set_by
            | Rule::k_source
            | Rule::k_sum
            | Rule::k_table
            | Rule::k_then
            | Rule::k_tiers
            | Rule::k_unit
            | Rule::k_until
            | Rule::k_uplift
            | Rule::k_use
            | Rule::k_version
            | Rule::k_when
            | Rule::k_where
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_in
    )
}

// ------------------------------------------------------------------ lowering

struct Lower {
    file: Arc<str>,
    base: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
}

type P<'i> = Pair<'i, Rule>;

/// Children of a pair, without keyword tokens.
fn kids(p: P<'_>) -> impl Iterator<Item = P<'_>> {
    p.into_inner().filter(|c| !is_keyword(c.as_rule()))
}

impl Lower {
    /// The pair's span without trailing whitespace and comments (pest
    /// includes the trivia it skipped before a missing optional part).
    fn span(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        let text = p.as_str();
        let len = if text.ends_with(char::is_whitespace) || text.contains('#') { code_len(text) } else { text.len() };
        Span::new(self.base + s.start(), self.base + s.start() + len)
    }

    fn err(&mut self, code: crate::diag::Code, span: Span, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, &self.file, span, msg)
    }

    fn ident(&self, p: P<'_>) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(&p) }
    }

    fn string(&mut self, p: P<'_>) -> Str {
        let span = self.span(&p);
        let raw = p.into_inner().next().map(|b| b.as_str()).unwrap_or("");
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                other => {
                    let d = self
                        .err(
                            codes::BAD_ESCAPE,
                            span,
                            format!("unknown escape `\\{}` in a string", other.map(String::from).unwrap_or_default()),
                        )
                        .with_help("the escapes are \\n, \\t, \\\" and \\\\");
                    self.diags.push(d);
                }
            }
        }
        Str { value, span }
    }

    fn date(&mut self, p: P<'_>) -> Option<DateLit> {
        let span = self.span(&p);
        match chrono::NaiveDate::parse_from_str(p.as_str(), "%Y-%m-%d") {
            Ok(value) => Some(DateLit { value, span }),
            Err(_) => {
                let d = self
                    .err(codes::BAD_DATE, span, format!("`{}` is not a calendar date", p.as_str()))
                    .with_help("dates are written YYYY-MM-DD");
                self.diags.push(d);
                None
            }
        }
    }

    fn header(&mut self, p: P<'_>) -> Option<Header> {
        let span = self.span(&p);
        let mut it = kids(p);
        let id = self.ident(it.next()?);
        let title = it.next().map(|s| self.string(s))?;
        let mut h = Header {
            id,
            title,
            documents: Vec::new(),
            issuer: None,
            region: None,
            issued: None,
            in_force: None,
            source: None,
            version: None,
            amends: None,
            span,
        };
        for field in it {
            let Some(f) = kids(field).next() else { continue };
            let fspan = self.span(&f);
            let fspan_text = f.as_str().to_string();
            let rule = f.as_rule();
            let mut inner = kids(f);
            let dup = match rule {
                Rule::h_document => {
                    if let Some(s) = inner.next() {
                        let s = self.string(s);
                        h.documents.push(s);
                    }
                    false
                }
                Rule::h_issuer => set_once(&mut h.issuer, inner.next().map(|s| self.string(s))),
                Rule::h_region => set_once(&mut h.region, inner.next().map(|s| self.string(s))),
                Rule::h_source => set_once(&mut h.source, inner.next().map(|s| self.string(s))),
                Rule::h_version => set_once(&mut h.version, inner.next().map(|s| self.string(s))),
                Rule::h_amends => set_once(&mut h.amends, inner.next().map(|s| self.ident(s))),
                Rule::h_issued => {
                    let d = inner.next().and_then(|d| self.date(d));
                    set_once(&mut h.issued, d)
                }
                Rule::h_in_force => {
                    let dots = fspan.start + fspan_text.find("..").unwrap_or(0);
                    let (mut from, mut until) = (None, None);
                    for d in inner {
                        let starts_before = self.span(&d).start < dots;
                        let lit = self.date(d);
                        if starts_before {
                            from = lit;
                        } else {
                            until = lit;
                        }
                    }
                    set_once(&mut h.in_force, Some(InForce { from, until, span: fspan }))
                }
                _ => false,
            };
            if dup {
                let d = self.err(codes::DUPLICATE_HEADER, fspan, "header field given twice").with_help("keep one of them");
                self.diags.push(d);
            }
        }
        Some(h)
    }
}

/// Length of `text` up to the end of its last character of code (not
/// whitespace, not inside a `#` comment).
fn code_len(text: &str) -> usize {
    let mut end = 0;
    let mut in_string = false;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            end = i + c.len_utf8();
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                end = i + 1;
            }
            '#' => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => {}
            c => end = i + c.len_utf8(),
        }
    }
    end
}

fn set_once<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    match (slot.is_some(), value) {
        (true, Some(_)) => true,
        (false, v) => {
            *slot = v;
            false
        }
        (true, None) => false,
    }
}

impl Lower {
    fn item(&mut self, p: P<'_>) -> Option<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        Some(match rule {
            Rule::use_decl => {
                let mut it = kids(p);
                let policy = self.ident(it.next()?);
                let alias = it.next().map(|a| self.ident(a));
                Item::Use(UseDecl { policy, alias, span })
            }
            Rule::unit_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let label = self.string(it.next()?);
                Item::Unit(UnitDecl { name, label, span })
            }
            Rule::convert_decl => {
                let mut it = kids(p);
                let from = self.quantity(it.next()?)?;
                let to = self.quantity(it.next()?)?;
                let cite = it.next().map(|c| self.cite(c));
                Item::Convert(ConvertDecl { from, to, cite, span })
            }
            Rule::enum_decl => {
                let mut name = None;
                let mut label = None;
                let mut variants = Vec::new();
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::string => label = Some(self.string(c)),
                        Rule::variant => {
                            let vspan = self.span(&c);
                            let mut vi = kids(c);
                            let Some(vn) = vi.next() else { continue };
                            let vname = self.ident(vn);
                            let vlabel = vi.next().map(|s| self.string(s));
                            variants.push(Variant { name: vname, label: vlabel, span: vspan });
                        }
                        _ => {}
                    }
                }
                Item::Enum(EnumDecl { name: name?, label, variants, span })
            }
            Rule::record_decl => {
                let mut name = None;
                let mut label = None;
                let mut fields = Vec::new();
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::string => label = Some(self.string(c)),
                        Rule::field_decl => {
                            if let Some(f) = self.field(c) {
                                fields.push(f);
                            }
                        }
                        _ => {}
                    }
                }
                Item::Record(RecordDecl { name: name?, label, fields, span })
            }
            Rule::input_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let (mut range, mut default, mut label) = (None, None, None);
                for c in it {
                    match c.as_rule() {
                        Rule::range => range = self.range(c),
                        Rule::default_clause => default = kids(c).next().and_then(|e| self.expr(e)),
                        Rule::string => label = Some(self.string(c)),
                        _ => {}
                    }
                }
                Item::Input(InputDecl { name, ty, range, default, label, span })
            }
            Rule::param_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let (mut label, mut cite, mut versions) = (None, None, Vec::new());
                for c in it {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        Rule::param_version => versions.extend(self.param_version(c)),
                        _ => {}
                    }
                }
                Item::Param(ParamDecl { name, ty, label, cite, versions, span })
            }
            Rule::external_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let (mut range, mut label, mut source, mut cite) = (None, None, None, None);
                for c in it {
                    match c.as_rule() {
                        Rule::range => range = self.range(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::defined_in => source = kids(c).next().map(|s| ExternalSource::DefinedIn(self.string(s))),
                        Rule::set_by => {
                            let mut strings = kids(c).map(|s| self.string(s)).collect::<Vec<_>>().into_iter();
                            let authority = strings.next()?;
                            source = Some(ExternalSource::SetBy { authority, criteria: strings.collect() });
                        }
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::External(ExternalDecl { name, ty, range, label: label?, source: source?, cite, span })
            }
            Rule::table_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let keys = self.columns(it.next()?);
                let values = self.columns(it.next()?);
                let (mut label, mut cite, mut rows) = (None, None, Vec::new());
                for c in it {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        Rule::row => {
                            let rspan = self.span(&c);
                            let mut cells = kids(c);
                            let k = cells.next().map(|k| kids(k).filter_map(|e| self.expr(e)).collect()).unwrap_or_default();
                            let v = cells.next().map(|v| kids(v).filter_map(|e| self.expr(e)).collect()).unwrap_or_default();
                            rows.push(Row { keys: k, values: v, span: rspan });
                        }
                        _ => {}
                    }
                }
                Item::Table(TableDecl { name, keys, values, label, cite, rows, span })
            }
            Rule::let_decl => {
                let (mut name, mut ty, mut value, mut label, mut cite) = (None, None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::type_expr => ty = self.type_expr(c),
                        Rule::expr => value = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::Let(LetDecl { name: name?, ty, value: value?, label, cite, span })
            }
            Rule::fn_decl => {
                let (mut name, mut params, mut ty, mut body, mut label, mut cite) = (None, Vec::new(), None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::fn_param => {
                            let mut it = kids(c);
                            let (Some(n), Some(t)) = (it.next(), it.next()) else { continue };
                            let n = self.ident(n);
                            if let Some(t) = self.type_expr(t) {
                                params.push((n, t));
                            }
                        }
                        Rule::type_expr => ty = self.type_expr(c),
                        Rule::expr => body = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::Fn(FnDecl { name: name?, params, ty: ty?, body: body?, label, cite, span })
            }
            Rule::assert_decl => {
                let (mut id, mut expr, mut label, mut cite) = (None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::expr => expr = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::Assert(AssertDecl { id, expr: expr?, label: label?, cite, span })
            }
            Rule::clause_decl => {
                let mut strings = Vec::new();
                let mut body = None;
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::string => strings.push(self.string(c)),
                        Rule::quote => body = kids(c).next().map(|s| ClauseBody::Quote(self.string(s))),
                        Rule::not_computable => body = kids(c).next().map(|s| ClauseBody::NotComputable(self.string(s))),
                        _ => {}
                    }
                }
                let mut strings = strings.into_iter();
                Item::Clause(ClauseDecl { number: strings.next()?, title: strings.next(), body: body?, span })
            }
            Rule::benefit_decl => {
                let mut it = kids(p);
                let id = self.ident(it.next()?);
                let label = self.string(it.next()?);
                let clauses = it.filter_map(|c| self.benefit_clause(c)).collect();
                Item::Benefit(BenefitDecl { id, label, clauses, span })
            }
            Rule::amend_decl => {
                let inner = kids(p).next()?;
                let ispan = self.span(&inner);
                match inner.as_rule() {
                    Rule::amend_param => {
                        let mut it = kids(inner);
                        let name = self.ident(it.next()?);
                        let versions = it.filter_map(|v| self.param_version(v)).collect();
                        Item::Amend(AmendDecl::Param(AmendParam { name, versions, span: ispan.join(span) }))
                    }
                    Rule::amend_benefit => {
                        let (mut id, mut label, mut changes) = (None, None, Vec::new());
                        for c in kids(inner) {
                            match c.as_rule() {
                                Rule::ident => id = Some(self.ident(c)),
                                Rule::string => label = Some(self.string(c)),
                                Rule::replace_change => {
                                    let cspan = self.span(&c);
                                    if let Some(clause) = kids(c).next().and_then(|k| self.benefit_clause(k)) {
                                        changes.push(Change::Replace { clause, span: cspan });
                                    }
                                }
                                Rule::repeal_change => {
                                    let cspan = self.span(&c);
                                    let mut it = kids(c);
                                    let Some(i) = it.next() else { continue };
                                    let id = self.ident(i);
                                    let cite = it.next().map(|k| self.cite(k));
                                    changes.push(Change::Repeal { id, cite, span: cspan });
                                }
                                _ => changes.extend(self.benefit_clause(c).map(Change::Add)),
                            }
                        }
                        Item::Amend(AmendDecl::Benefit(AmendBenefit { id: id?, label, changes, span }))
                    }
                    _ => return None,
                }
            }
            Rule::repeal_decl => {
                let mut it = kids(p);
                let benefit = self.ident(it.next()?);
                let cite = it.next().map(|k| self.cite(k));
                Item::Repeal(RepealDecl { benefit, cite, span })
            }
            _ => return None,
        })
    }

    fn param_version(&mut self, c: P<'_>) -> Option<ParamVersion> {
        let vspan = self.span(&c);
        let (mut dates, mut value, mut vcite) = (Vec::new(), None, None);
        for v in kids(c) {
            match v.as_rule() {
                Rule::date => dates.extend(self.date(v)),
                Rule::expr => value = self.expr(v),
                Rule::cite => vcite = Some(self.cite(v)),
                _ => {}
            }
        }
        let mut dates = dates.into_iter();
        Some(ParamVersion { from: dates.next()?, until: dates.next(), value: value?, cite: vcite, span: vspan })
    }

    fn field(&mut self, p: P<'_>) -> Option<FieldDecl> {
        let span = self.span(&p);
        let mut it = kids(p);
        let name = self.ident(it.next()?);
        let ty = self.type_expr(it.next()?)?;
        let label = it.next().map(|s| self.string(s));
        Some(FieldDecl { name, ty, label, span })
    }

    fn columns(&mut self, p: P<'_>) -> Vec<Column> {
        kids(p)
            .filter_map(|c| {
                let mut it = kids(c);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                Some(Column { name, ty })
            })
            .collect()
    }

    fn type_expr(&mut self, p: P<'_>) -> Option<TypeExpr> {
        let inner = kids(p).next()?;
        let rule = inner.as_rule();
        let named = if rule == Rule::list_type { kids(inner).next()? } else { inner };
        let name = Ident { name: named.as_str().to_string(), span: self.span(&named) };
        Some(if rule == Rule::list_type { TypeExpr::List(name) } else { TypeExpr::Named(name) })
    }

    fn range(&mut self, p: P<'_>) -> Option<RangeDecl> {
        let span = self.span(&p);
        let text = p.as_str().to_string();
        let dots = span.start + text.find("..").unwrap_or(0);
        let (mut low, mut high) = (None, None);
        for b in kids(p) {
            let bspan = self.span(&b);
            let mut neg = false;
            let mut value = None;
            for c in kids(b) {
                match c.as_rule() {
                    Rule::neg_sign => neg = true,
                    Rule::quantity => value = self.quantity(c),
                    _ => {}
                }
            }
            let Some(mut v) = value else { continue };
            if neg {
                v = Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(v)), span: bspan };
            }
            if bspan.start < dots {
                low = Some(v);
            } else {
                high = Some(v);
            }
        }
        Some(RangeDecl { low, high, span })
    }

    fn cite(&mut self, p: P<'_>) -> Cite {
        let span = self.span(&p);
        let mut policy = None;
        let mut strings = Vec::new();
        for k in kids(p) {
            match k.as_rule() {
                Rule::cite_policy => policy = kids(k).next().map(|i| self.ident(i)),
                _ => strings.push(self.string(k)),
            }
        }
        let mut strings = strings.into_iter();
        let clause = strings.next().unwrap_or(Str { value: String::new(), span });
        Cite { policy, clause, quote: strings.next(), span }
    }

    fn benefit_clause(&mut self, p: P<'_>) -> Option<BenefitClause> {
        let span = self.span(&p);
        let rule = p.as_rule();
        Some(match rule {
            Rule::payee_clause => BenefitClause::Payee(self.ident(kids(p).next()?)),
            Rule::per_clause => BenefitClause::Per(self.ident(kids(p).next()?)),
            Rule::cite_clause => BenefitClause::Cite(self.cite(kids(p).next()?)),
            Rule::dated_by_clause => {
                let mut it = kids(p);
                let expr = self.expr(it.next()?)?;
                let label = it.next().map(|s| self.string(s));
                BenefitClause::DatedBy { expr, label, span }
            }
            Rule::applies_clause | Rule::require_clause | Rule::exclude_clause => {
                let kind = match rule {
                    Rule::applies_clause => ConditionKind::Applies,
                    Rule::require_clause => ConditionKind::Require,
                    _ => ConditionKind::Exclude,
                };
                let (mut id, mut expr, mut label, mut cite) = (None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::cond_id => id = kids(c).next().map(|i| self.ident(i)),
                        Rule::expr => expr = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                BenefitClause::Condition(Condition { kind, id, expr: expr?, label: label?, cite, span })
            }
            Rule::amount_clause | Rule::cap_clause => {
                let (mut expr, mut label, mut cite) = (None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::expr => expr = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let step = AmountStep { expr: expr?, label, cite, span };
                if rule == Rule::amount_clause {
                    BenefitClause::Amount(step)
                } else {
                    BenefitClause::Cap(step)
                }
            }
            Rule::uplift_clause => {
                let (mut id, mut exprs, mut until, mut label, mut cite) = (None, Vec::new(), None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::cond_id => id = kids(c).next().map(|i| self.ident(i)),
                        Rule::expr => exprs.extend(self.expr(c)),
                        Rule::date => until = self.date(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let mut exprs = exprs.into_iter();
                BenefitClause::Uplift(Uplift { id, rate: exprs.next()?, when: exprs.next()?, until, label: label?, cite, span })
            }
            Rule::override_clause => {
                let (mut id, mut exprs, mut label, mut cite) = (None, Vec::new(), None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::cond_id => id = kids(c).next().map(|i| self.ident(i)),
                        Rule::expr => exprs.extend(self.expr(c)),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let mut exprs = exprs.into_iter();
                BenefitClause::Override(Override { id, when: exprs.next()?, value: exprs.next()?, label: label?, cite, span })
            }
            Rule::entitle_clause | Rule::needs_clause => {
                let (mut label, mut when, mut cite) = (None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::expr => when = self.expr(c),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let o = Outcome { label: label?, when, cite, span };
                if rule == Rule::entitle_clause {
                    BenefitClause::Entitle(o)
                } else {
                    BenefitClause::Needs(o)
                }
            }
            Rule::deadline_clause => {
                let (mut label, mut expr, mut cite) = (None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::expr => expr = self.expr(c),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                BenefitClause::Deadline { label: label?, expr: expr?, cite, span }
            }
            Rule::output_clause => {
                let (mut id, mut ty, mut value, mut label, mut cite) = (None, None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::type_expr => ty = self.type_expr(c),
                        Rule::expr => value = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                BenefitClause::Output(OutputDecl { id: id?, ty, value: value?, label, cite, span })
            }
            Rule::version_block => {
                let (mut dates, mut clauses) = (Vec::new(), Vec::new());
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::date => dates.extend(self.date(c)),
                        _ => clauses.extend(self.benefit_clause(c)),
                    }
                }
                let mut dates = dates.into_iter();
                BenefitClause::Version(VersionBlock { from: dates.next()?, until: dates.next(), clauses, span })
            }
            _ => return None,
        })
    }

    // -------------------------------------------------------------- expressions

    fn quantity(&mut self, p: P<'_>) -> Option<Expr> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let num = it.next()?;
        let digits = num.as_str();
        let value = match Decimal::from_str(digits) {
            Ok(v) => v,
            Err(_) => {
                let d = self
                    .err(codes::BAD_NUMBER, span, format!("number `{digits}` is out of range"))
                    .with_label("at most 28 significant digits")
                    .with_help("amounts are exact decimals of up to 28 digits");
                self.diags.push(d);
                return None;
            }
        };
        let suffix_pair = it.next();
        let yuan_sign = suffix_pair.as_ref().is_some_and(|u| u.as_str() == "元");
        let suffix = match suffix_pair.and_then(|u| u.into_inner().next()) {
            None if yuan_sign => Some(Suffix::Unit(Ident { name: "yuan".into(), span: Span::new(span.end - "元".len(), span.end) })),
            None => None,
            Some(u) if u.as_rule() == Rule::percent_sign => Some(Suffix::Percent),
            Some(u) => {
                let text = u.as_str();
                if text.starts_with('e') && text.get(1..).is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit())) {
                    let d = self
                        .err(codes::BAD_NUMBER, span, format!("exponent notation `{}` is not supported", p_text(digits, text)))
                        .with_help("write the number out in full; amounts are exact decimals of up to 28 digits");
                    self.diags.push(d);
                    return None;
                }
                if text == "元" {
                    Some(Suffix::Unit(Ident { name: "yuan".into(), span: Span::new(span.end - text.len(), span.end) }))
                } else {
                    Some(Suffix::Unit(Ident { name: text.to_string(), span: Span::new(span.end - text.len(), span.end) }))
                }
            }
        };
        Some(Expr { kind: ExprKind::Number { value, suffix }, span })
    }

    fn nest<T>(&mut self, span: Span, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        self.depth += 1;
        if self.depth > crate::limits::MAX_EXPR_DEPTH {
            self.depth -= 1;
            let d = self
                .err(codes::TOO_DEEP, span, format!("expression nests deeper than the limit of {}", crate::limits::MAX_EXPR_DEPTH))
                .with_help("name intermediate values with `let`");
            self.diags.push(d);
            return None;
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expr(&mut self, p: P<'_>) -> Option<Expr> {
        let span = self.span(&p);
        self.nest(span, |this| this.expr_inner(p))
    }

    /// Folds `operand (op operand)*` by precedence with an explicit stack
    /// (shunting-yard), so long operator chains never recurse.
    fn expr_inner(&mut self, p: P<'_>) -> Option<Expr> {
        let whole = self.span(&p);
        let mut operands: Vec<Expr> = Vec::new();
        // Height of each operand's tree: a long chain folds into a deep tree,
        // which the checker and evaluator walk recursively, so it is bounded
        // while folding (before a too-deep tree exists to be dropped).
        let mut heights: Vec<usize> = Vec::new();
        let mut ops: Vec<BinOp> = Vec::new();
        fn reduce(operands: &mut Vec<Expr>, heights: &mut Vec<usize>, ops: &mut Vec<BinOp>) -> Option<usize> {
            let op = ops.pop()?;
            let rhs = operands.pop()?;
            let lhs = operands.pop()?;
            let h = heights.pop()?.max(heights.pop()?) + 1;
            heights.push(h);
            let span = lhs.span.join(rhs.span);
            operands.push(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span });
            Some(h)
        }
        for c in kids(p) {
            match c.as_rule() {
                Rule::operand => {
                    let e = self.operand(c)?;
                    heights.push(tree_height(&e));
                    operands.push(e);
                }
                Rule::infix => {
                    let infix_text = c.as_str().trim().to_string();
                    let op = match kids(c).next().map(|o| o.as_rule()) {
                        Some(Rule::op_ge) => BinOp::Ge,
                        Some(Rule::op_le) => BinOp::Le,
                        Some(Rule::op_eq) => BinOp::Eq,
                        Some(Rule::op_ne) => BinOp::Ne,
                        Some(Rule::op_gt) => BinOp::Gt,
                        Some(Rule::op_lt) => BinOp::Lt,
                        Some(Rule::op_add) => BinOp::Add,
                        Some(Rule::op_sub) => BinOp::Sub,
                        Some(Rule::op_mul) => BinOp::Mul,
                        Some(Rule::op_div) => BinOp::Div,
                        _ => match infix_text.as_str() {
                            "and" => BinOp::And,
                            "or" => BinOp::Or,
                            _ => BinOp::In,
                        },
                    };
                    while ops.last().is_some_and(|top| top.precedence() >= op.precedence()) {
                        let h = reduce(&mut operands, &mut heights, &mut ops)?;
                        if h > MAX_TREE_HEIGHT {
                            return self.too_tall(whole);
                        }
                    }
                    ops.push(op);
                }
                _ => {}
            }
        }
        while !ops.is_empty() {
            let h = reduce(&mut operands, &mut heights, &mut ops)?;
            if h > MAX_TREE_HEIGHT {
                return self.too_tall(whole);
            }
        }
        operands.pop()
    }

    fn too_tall(&mut self, span: Span) -> Option<Expr> {
        let d = self
            .err(codes::TOO_DEEP, span, format!("expression is deeper than the limit of {MAX_TREE_HEIGHT} (operator and `.` chains count)"))
            .with_help("name intermediate values with `let`");
        self.diags.push(d);
        None
    }

    fn operand(&mut self, p: P<'_>) -> Option<Expr> {
        let mut height = 0usize;
        let mut prefixes = Vec::new();
        let mut current: Option<Expr> = None;
        for c in kids(p) {
            match c.as_rule() {
                Rule::prefix => {
                    let span = self.span(&c);
                    let op = if c.as_str().trim() == "-" { UnOp::Neg } else { UnOp::Not };
                    prefixes.push((op, span));
                }
                Rule::postfix => {
                    let base = current.take()?;
                    height += 1;
                    if height > MAX_TREE_HEIGHT {
                        let span = base.span;
                        return self.too_tall(span);
                    }
                    let inner = kids(c).next()?;
                    let pspan = self.span(&inner);
                    let span = base.span.join(pspan);
                    current = Some(match inner.as_rule() {
                        Rule::field_access => Expr { kind: ExprKind::Field(Box::new(base), self.ident(kids(inner).next()?)), span },
                        Rule::conversion => Expr { kind: ExprKind::Convert(Box::new(base), self.ident(kids(inner).next()?)), span },
                        _ => {
                            let args: Vec<Expr> = kids(inner).filter_map(|e| self.expr(e)).collect();
                            height = height.max(args.iter().map(tree_height).max().unwrap_or(0) + 1);
                            Expr { kind: ExprKind::Index(Box::new(base), args), span }
                        }
                    });
                }
                _ => {
                    let e = self.primary(c)?;
                    height = tree_height(&e);
                    current = Some(e);
                }
            }
        }
        let mut e = current?;
        if prefixes.len() > crate::limits::MAX_EXPR_DEPTH {
            let d = self.err(codes::TOO_DEEP, e.span, format!("more than {} prefix operators in a row", crate::limits::MAX_EXPR_DEPTH));
            self.diags.push(d);
            return None;
        }
        if height + prefixes.len() > MAX_TREE_HEIGHT {
            return self.too_tall(e.span);
        }
        for (op, span) in prefixes.into_iter().rev() {
            let span = span.join(e.span);
            e = Expr { kind: ExprKind::Unary(op, Box::new(e)), span };
        }
        Some(e)
    }

    fn primary(&mut self, p: P<'_>) -> Option<Expr> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let kind = match rule {
            Rule::date => ExprKind::Date(self.date(p)?.value),
            Rule::quantity => return self.quantity(p),
            Rule::bool_lit => ExprKind::Bool(p.as_str() == "true"),
            Rule::string => ExprKind::Text(self.string(p).value),
            Rule::paren => ExprKind::Paren(Box::new(self.expr(kids(p).next()?)?)),
            Rule::set_lit => ExprKind::Set(kids(p).filter_map(|e| self.expr(e)).collect()),
            Rule::list_lit => ExprKind::List(kids(p).filter_map(|e| self.expr(e)).collect()),
            Rule::path => ExprKind::Path(kids(p).map(|i| self.ident(i)).collect()),
            Rule::call => {
                let mut it = kids(p);
                let f = self.ident(it.next()?);
                ExprKind::Call(f, it.filter_map(|e| self.expr(e)).collect())
            }
            Rule::if_expr => {
                let mut parts = Vec::new();
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::expr => parts.push(self.expr(c)?),
                        Rule::block => parts.push(self.expr(kids(c).next()?)?),
                        _ => {}
                    }
                }
                let otherwise = parts.pop()?;
                let mut branches = Vec::new();
                let mut it = parts.into_iter();
                while let (Some(c), Some(v)) = (it.next(), it.next()) {
                    branches.push((c, v));
                }
                ExprKind::If { branches, otherwise: Box::new(otherwise) }
            }
            Rule::match_expr => {
                let mut it = kids(p);
                let scrutinee = Box::new(self.expr(it.next()?)?);
                let mut arms = Vec::new();
                for arm in it {
                    let aspan = self.span(&arm);
                    let mut ai = kids(arm);
                    let pat = ai.next()?;
                    let patterns = kids(pat).filter(|x| x.as_rule() == Rule::path).filter_map(|x| self.primary(x)).collect();
                    let value = self.expr(ai.next()?)?;
                    arms.push(MatchArm { patterns, value, span: aspan });
                }
                ExprKind::Match { scrutinee, arms }
            }
            Rule::tiers_expr => {
                let mut it = kids(p);
                let subject = Box::new(self.expr(it.next()?)?);
                let (mut tiers, mut otherwise) = (Vec::new(), None);
                for t in it {
                    let tspan = self.span(&t);
                    match t.as_rule() {
                        Rule::tier => {
                            let mut ti = kids(t);
                            let test = kids(ti.next()?).next()?;
                            let test = if test.as_rule() == Rule::tier_cmp {
                                let mut ci = kids(test);
                                let op = match ci.next()?.as_rule() {
                                    Rule::op_ge => BinOp::Ge,
                                    Rule::op_gt => BinOp::Gt,
                                    Rule::op_le => BinOp::Le,
                                    _ => BinOp::Lt,
                                };
                                TierTest::Cmp(op, self.expr(ci.next()?)?)
                            } else {
                                let mut ri = kids(test);
                                let lo = self.operand(ri.next()?)?;
                                let hi = self.operand(ri.next()?)?;
                                TierTest::Range(lo, hi)
                            };
                            let value = self.expr(ti.next()?)?;
                            tiers.push(Tier { test, value, span: tspan });
                        }
                        Rule::tier_else => otherwise = Some(Box::new(self.expr(kids(t).next()?)?)),
                        _ => {}
                    }
                }
                ExprKind::Tiers { subject, tiers, otherwise }
            }
            Rule::scale_expr => {
                let mut it = kids(p);
                let subject = Box::new(self.expr(it.next()?)?);
                let (mut bands, mut rest) = (Vec::new(), None);
                for b in it {
                    let bspan = self.span(&b);
                    match b.as_rule() {
                        Rule::scale_band => {
                            let mut bi = kids(b);
                            let width = self.operand(bi.next()?)?;
                            let rate = self.expr(bi.next()?)?;
                            bands.push(Band { width, rate, span: bspan });
                        }
                        Rule::scale_rest => rest = Some(Box::new(self.expr(kids(b).next()?)?)),
                        _ => {}
                    }
                }
                ExprKind::Scale { subject, bands, rest }
            }
            Rule::quantifier => {
                let mut it = kids(p);
                let kind = match kids(it.next()?).next()?.as_rule() {
                    Rule::q_count => QuantKind::Count,
                    Rule::q_any => QuantKind::Any,
                    _ => QuantKind::All,
                };
                let var = self.ident(it.next()?);
                let list = Box::new(self.expr(it.next()?)?);
                let filter = match it.next() {
                    Some(f) => Some(Box::new(self.expr(f)?)),
                    None => None,
                };
                ExprKind::Quantifier { kind, var, list, filter }
            }
            Rule::comprehension => {
                let mut it = kids(p);
                let kind = match kids(it.next()?).next()?.as_rule() {
                    Rule::a_sum => AggKind::Sum,
                    Rule::a_min => AggKind::Min,
                    Rule::a_max => AggKind::Max,
                    _ => AggKind::Avg,
                };
                let value = Box::new(self.expr(it.next()?)?);
                let var = self.ident(it.next()?);
                let list = Box::new(self.expr(it.next()?)?);
                let filter = match it.next() {
                    Some(f) => Some(Box::new(self.expr(f)?)),
                    None => None,
                };
                ExprKind::Aggregate { kind, value, var, list, filter }
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }
}

/// Tallest expression tree accepted, counting every node: operator chains
/// and `.` chains fold into nested nodes, which the checker and the evaluator
/// walk recursively (about 10 KiB of stack per level in a debug build), so
/// they count towards [`limits::MAX_EXPR_DEPTH`] too. Real policies stay
/// below 10.
const MAX_TREE_HEIGHT: usize = limits::MAX_EXPR_DEPTH;

/// Height of a tree built by the lowering: every sub-expression was bounded
/// when it was built, so this recursion is bounded too. A path `a.b.c`
/// counts one level per segment (the checker turns it into field accesses).
fn tree_height(e: &Expr) -> usize {
    let h = |x: &Expr| tree_height(x);
    let max = |xs: &[Expr]| xs.iter().map(tree_height).max().unwrap_or(0);
    1 + match &e.kind {
        ExprKind::Bool(_) | ExprKind::Number { .. } | ExprKind::Date(_) | ExprKind::Text(_) => 0,
        ExprKind::Path(segs) => segs.len().saturating_sub(1),
        ExprKind::Field(b, _) | ExprKind::Convert(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => h(b),
        ExprKind::Index(b, ks) => h(b).max(max(ks)),
        ExprKind::Binary(_, a, b) => h(a).max(h(b)),
        ExprKind::Set(xs) | ExprKind::List(xs) | ExprKind::Call(_, xs) => max(xs),
        ExprKind::If { branches, otherwise } => branches.iter().map(|(c, v)| h(c).max(h(v))).max().unwrap_or(0).max(h(otherwise)),
        ExprKind::Match { scrutinee, arms } => arms.iter().map(|a| h(&a.value).max(max(&a.patterns))).max().unwrap_or(0).max(h(scrutinee)),
        ExprKind::Tiers { subject, tiers, otherwise } => tiers
            .iter()
            .map(|t| {
                let test = match &t.test {
                    TierTest::Cmp(_, b) => h(b),
                    TierTest::Range(a, b) => h(a).max(h(b)),
                };
                test.max(h(&t.value))
            })
            .max()
            .unwrap_or(0)
            .max(h(subject))
            .max(otherwise.as_deref().map(h).unwrap_or(0)),
        ExprKind::Scale { subject, bands, rest } => {
            bands.iter().map(|b| h(&b.width).max(h(&b.rate))).max().unwrap_or(0).max(h(subject)).max(rest.as_deref().map(h).unwrap_or(0))
        }
        ExprKind::Quantifier { list, filter, .. } => h(list).max(filter.as_deref().map(h).unwrap_or(0)),
        ExprKind::Aggregate { value, list, filter, .. } => h(value).max(h(list)).max(filter.as_deref().map(h).unwrap_or(0)),
    }
}

fn p_text(digits: &str, suffix: &str) -> String {
    format!("{digits}{suffix}")
}
