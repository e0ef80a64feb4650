//! The pre-scan before parsing: size and nesting bounds, unterminated
//! strings, and the chunks a file is parsed in (one per top-level item, so
//! that one syntax error does not hide the next).

use crate::ast::Span;
use crate::diag::{codes, Diagnostic};
use crate::limits;
use std::sync::Arc;

#[derive(Debug, Clone, Copy)]
pub(super) struct Chunk {
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) const ITEM_KEYWORDS: &[&str] = &[
    "use", "unit", "convert", "enum", "record", "input", "param", "external", "table", "let", "fn", "assert", "clause", "benefit", "amend",
    "repeal",
];

/// Keywords that start a clause inside a benefit (for syntax errors).
pub(super) const CLAUSE_KEYWORDS: &[&str] = &[
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
pub(super) fn prescan(name: &Arc<str>, text: &str) -> Result<Vec<Chunk>, Box<Diagnostic>> {
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
pub(super) fn declared_name(chunk: &str) -> Option<String> {
    let mut words = chunk.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
    let kw = words.next()?;
    if !ITEM_KEYWORDS.contains(&kw) || kw == "assert" || kw == "clause" || kw == "convert" || kw == "use" {
        return None;
    }
    words.next().map(str::to_string)
}
