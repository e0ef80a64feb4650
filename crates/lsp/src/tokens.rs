//! Semantic tokens: a small lexer (comments, strings, numbers and dates,
//! words) with each word classed by the index: keyword, or the kind of the
//! declaration it names. A clause number's string is a namespace. Works on
//! broken text too: nothing here needs a parse.

use crate::index::{DefKind, Target, BUILTIN_TYPES, BUILTIN_UNITS};
use crate::workspace::Analysis;
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};

/// Token types, in legend order.
pub const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::ENUM,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::TYPE,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::STRUCT,
    SemanticTokenType::OPERATOR,
];
/// Token modifiers, in legend order.
pub const MODIFIERS: &[SemanticTokenModifier] = &[SemanticTokenModifier::DECLARATION, SemanticTokenModifier::READONLY];

/// The legend announced in the capabilities.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend { token_types: TYPES.to_vec(), token_modifiers: MODIFIERS.to_vec() }
}

fn ty(t: SemanticTokenType) -> u32 {
    TYPES.iter().position(|x| *x == t).unwrap_or(0) as u32
}

fn def_type(k: DefKind) -> (SemanticTokenType, u32) {
    match k {
        DefKind::Input => (SemanticTokenType::PARAMETER, 0),
        DefKind::External => (SemanticTokenType::PARAMETER, 2),
        DefKind::Param => (SemanticTokenType::VARIABLE, 2),
        DefKind::Let | DefKind::Local => (SemanticTokenType::VARIABLE, 0),
        DefKind::Table | DefKind::Record => (SemanticTokenType::STRUCT, 0),
        DefKind::Enum => (SemanticTokenType::ENUM, 0),
        DefKind::Variant => (SemanticTokenType::ENUM_MEMBER, 0),
        DefKind::Field | DefKind::Output => (SemanticTokenType::PROPERTY, 0),
        DefKind::Unit => (SemanticTokenType::TYPE, 0),
        DefKind::Benefit | DefKind::Condition | DefKind::Assert | DefKind::Function => (SemanticTokenType::FUNCTION, 0),
        DefKind::Alias | DefKind::Clause => (SemanticTokenType::NAMESPACE, 0),
    }
}

fn is_keyword(w: &str) -> bool {
    crate::complete::TOP.contains(&w)
        || crate::complete::HEADER.contains(&w)
        || crate::complete::BENEFIT.contains(&w)
        || crate::complete::EXPR.contains(&w)
        || w == "policy"
}

/// The document's tokens, delta-encoded as the protocol wants.
pub fn tokens(a: &Analysis) -> Vec<SemanticToken> {
    let f = &a.file;
    let text = &*f.text;
    let ix = &f.index;
    let mut raw: Vec<(usize, usize, u32, u32)> = Vec::new(); // start, end, type, modifiers
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '#' {
            let end = text.get(i..).and_then(|r| r.find('\n')).map(|n| i + n).unwrap_or(text.len());
            raw.push((i, end, ty(SemanticTokenType::COMMENT), 0));
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
        } else if c == '"' {
            let mut end = text.len();
            let mut escaped = false;
            for (j, d) in chars.by_ref() {
                if d == '\n' {
                    end = j;
                    break;
                }
                if d == '"' && !escaped {
                    end = j + 1;
                    break;
                }
                escaped = d == '\\' && !escaped;
            }
            let inner = (i + 1, end.saturating_sub(1));
            let clause = ix.refs.iter().any(|r| r.span.start == inner.0 && matches!(r.target, Target::Clause { .. }))
                || ix.defs.iter().any(|d| d.kind == DefKind::Clause && d.span.start == inner.0);
            raw.push((i, end, ty(if clause { SemanticTokenType::NAMESPACE } else { SemanticTokenType::STRING }), 0));
        } else if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some((j, d)) = chars.peek().copied() {
                if d.is_ascii_digit() || d == '.' || d == '-' || d == '%' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            raw.push((i, end, ty(SemanticTokenType::NUMBER), 0));
        } else if c.is_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some((j, d)) = chars.peek().copied() {
                if d.is_alphanumeric() || d == '_' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let w = text.get(i..end).unwrap_or("");
            let class = if let Some(d) = ix.defs.iter().find(|d| d.span.start == i && d.span.end == end) {
                let (t, m) = def_type(d.kind);
                Some((ty(t), m | 1))
            } else if let Some(r) = ix.refs.iter().find(|r| r.span.start <= i && end <= r.span.end) {
                match &r.target {
                    Target::Local(n) => ix.defs.get(*n).map(|d| {
                        let (t, m) = def_type(d.kind);
                        (ty(t), m)
                    }),
                    Target::Imported { .. } => Some((ty(SemanticTokenType::VARIABLE), 0)),
                    _ => None,
                }
            } else if BUILTIN_TYPES.contains(&w) || BUILTIN_UNITS.contains(&w) {
                Some((ty(SemanticTokenType::TYPE), 0))
            } else if is_keyword(w) {
                Some((ty(SemanticTokenType::KEYWORD), 0))
            } else {
                None
            };
            if let Some((t, m)) = class {
                raw.push((i, end, t, m));
            }
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    let (mut line, mut col) = (0u32, 0u32);
    for (s, e, t, m) in raw {
        let p = f.lines.position(text, s);
        let q = f.lines.position(text, e);
        let len = if q.line == p.line { q.character - p.character } else { continue };
        let delta_line = p.line - line;
        let delta_start = if delta_line == 0 { p.character - col } else { p.character };
        out.push(SemanticToken { delta_line, delta_start, length: len, token_type: t, token_modifiers_bitset: m });
        line = p.line;
        col = p.character;
    }
    out
}
