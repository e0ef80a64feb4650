//! Text to AST: limits and pre-scan, chunked pest parsing, lowering of pest
//! pairs into [`crate::ast`]. pest types never leave this module.
//!
//! Here: the entry points and the chunked parse; `prescan.rs` the pre-scan
//! and chunks, `errors.rs` pest's errors as diagnostics, `lower/` pest pairs
//! into the AST, `fast/` the hand-written fast path.

use crate::ast::*;
use crate::diag::{codes, Diagnostic};
use crate::limits;
use pest::Parser as _;
use std::sync::Arc;

mod grammar {
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "policy.pest"]
    pub(super) struct PolicyParser;
}
use grammar::{PolicyParser, Rule};

mod errors;
mod fast;
mod lower;
mod prescan;

use errors::{syntax_error, RESERVED};
use lower::{tree_height, Lower, MAX_TREE_HEIGHT};
use prescan::{declared_name, prescan};

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
