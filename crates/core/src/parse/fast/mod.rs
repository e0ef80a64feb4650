//! The fast path of the parser: a hand-written recursive-descent parser of
//! `policy.pest`'s language that builds the AST directly, for chunks that
//! parse cleanly.
//!
//! It is a transcription of the grammar with PEG semantics (ordered choice,
//! greedy repetition, backtracking to the start of a failed alternative,
//! trivia skipped between the tokens of non-atomic rules) and of the lowering
//! in `parse.rs` (the same spans, the same trees). It answers only when the
//! chunk parses and lowers without a diagnostic: on a syntax error, a bad
//! escape, date or number, a duplicate header field, an expression too deep
//! or anything it does not handle (a byte-order mark inside the chunk), it
//! gives up and the chunk goes through pest and the lowering, which report
//! it. So diagnostics stay pest's, and the fast path can only be wrong by
//! building a different tree for text both accept: `tests/parse_fast.rs`
//! compares both paths, spans included, on every bundled and test policy,
//! every prefix of the bundled ones and the fuzz corpora.
//!
//! Recursion is bounded as in the reference: the pre-scan bounds bracket
//! nesting before either parser runs, and every nesting form here nests
//! inside brackets or a keyword's block.

mod expr;
mod items;

use crate::ast::*;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Words that cannot be names (the grammar's `keyword` rule).
fn reserved(word: &str) -> bool {
    word == "_" || super::RESERVED.contains(&word)
}

fn is_ident_start(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic() || c == '_'
    } else {
        pest::unicode::XID_START(c)
    }
}

fn is_ident_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        pest::unicode::XID_CONTINUE(c)
    }
}

/// Parses a header chunk (`header_only`): `None` sends it to pest.
pub(super) fn header(text: &str, base: usize) -> Option<Header> {
    let mut p = Fast::new(text, base)?;
    let h = p.header()?;
    p.skip();
    (p.at_end() && !p.bail).then_some(h)
}

/// Parses an item chunk (`items_only`): `None` sends it to pest.
pub(super) fn items(text: &str, base: usize, out: &mut Vec<Item>) -> Option<()> {
    let mut p = Fast::new(text, base)?;
    let mut items = Vec::new();
    loop {
        p.skip();
        if p.at_end() {
            break;
        }
        items.push(p.item()?);
    }
    if p.bail {
        return None;
    }
    out.append(&mut items);
    Some(())
}

struct Fast<'t> {
    text: &'t str,
    base: usize,
    pos: usize,
    /// End of the last token consumed (spans end there, as the lowering
    /// trims the trivia pest includes after a missing optional part).
    end: usize,
    /// Set when the lowering would report something: the caller falls back.
    bail: bool,
    /// Nesting of `expr` (the lowering's `nest`).
    depth: usize,
}

#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    end: usize,
}

impl<'t> Fast<'t> {
    fn new(text: &'t str, base: usize) -> Option<Self> {
        // A byte-order mark is trivia to pest but not whitespace to the
        // lowering's span trimming; leave such chunks to the reference.
        if text.contains('\u{FEFF}') {
            return None;
        }
        Some(Fast { text, base, pos: 0, end: 0, bail: false, depth: 0 })
    }

    // ------------------------------------------------------------ tokens

    fn rest(&self) -> &'t str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn mark(&self) -> Mark {
        Mark { pos: self.pos, end: self.end }
    }

    fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.end = m.end;
    }

    /// Runs `f`; when it fails, puts the position back (PEG backtracking).
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let m = self.mark();
        let r = f(self);
        if r.is_none() {
            self.reset(m);
        }
        r
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(self.base + start, self.base + self.end.max(start))
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.end = self.pos;
    }

    /// `(WHITESPACE | COMMENT)*`.
    fn skip(&mut self) {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.pos) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'#') => {
                    let rest = bytes.get(self.pos..).unwrap_or(&[]);
                    self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                }
                Some(0xE3) if self.rest().starts_with('\u{3000}') => self.pos += '\u{3000}'.len_utf8(),
                _ => return,
            }
        }
    }

    /// The run of identifier characters at the position (not consumed).
    fn word(&self) -> &'t str {
        let rest = self.rest();
        let ascii = rest.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(rest.len());
        let n = match rest.as_bytes().get(ascii) {
            Some(b) if *b >= 0x80 => rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len()),
            _ => ascii,
        };
        rest.get(..n).unwrap_or("")
    }

    /// A keyword (`k_…`, `kw_…`): the word, not followed by a name character.
    fn kw(&mut self, k: &str) -> bool {
        self.skip();
        if self.word() == k {
            self.advance(k.len());
            true
        } else {
            false
        }
    }

    /// A punctuation literal.
    fn lit(&mut self, s: &str) -> bool {
        self.skip();
        if self.rest().starts_with(s) {
            self.advance(s.len());
            true
        } else {
            false
        }
    }

    /// `ident` without skipping: a name that is not a reserved word.
    fn ident_raw(&self) -> Option<&'t str> {
        let c = self.peek()?;
        if !is_ident_start(c) {
            return None;
        }
        let w = self.word();
        (!reserved(w)).then_some(w)
    }

    fn ident(&mut self) -> Option<Ident> {
        self.skip();
        let w = self.ident_raw()?;
        let start = self.pos;
        self.advance(w.len());
        Some(Ident { name: w.to_string(), span: self.span_from(start) })
    }

    /// `ident_start ~ ident_char*` (reserved words allowed).
    fn name_part(&mut self) -> bool {
        match self.peek() {
            Some(c) if is_ident_start(c) => {
                let n = self.word().len();
                self.advance(n);
                true
            }
            _ => false,
        }
    }

    /// `qualified_name`: atomic, reserved words allowed.
    fn qualified_name(&mut self) -> Option<Ident> {
        self.skip();
        let start = self.pos;
        if !self.name_part() {
            return None;
        }
        loop {
            let m = self.mark();
            if self.rest().starts_with('.') {
                self.advance(1);
                if self.name_part() {
                    continue;
                }
            }
            self.reset(m);
            break;
        }
        Some(self.owned_ident(start))
    }

    fn owned_ident(&self, start: usize) -> Ident {
        Ident { name: self.text.get(start..self.pos).unwrap_or("").to_string(), span: self.span_from(start) }
    }

    /// `ident ~ ("." ~ ident){..max}` atomically (`named_type`, `callee`,
    /// `unit_name`).
    fn dotted_atomic(&mut self, max: usize) -> Option<Ident> {
        let start = self.pos;
        let w = self.ident_raw()?;
        self.advance(w.len());
        let mut n = 0;
        while n < max {
            let m = self.mark();
            if self.rest().starts_with('.') {
                self.advance(1);
                if let Some(w) = self.ident_raw() {
                    self.advance(w.len());
                    n += 1;
                    continue;
                }
            }
            self.reset(m);
            break;
        }
        Some(self.owned_ident(start))
    }

    fn string(&mut self) -> Option<Str> {
        self.skip();
        let rest = self.rest();
        let body = rest.strip_prefix('"')?;
        let start = self.pos;
        // The common string has no escape: copied whole.
        let plain = body.bytes().position(|b| b == b'"' || b == b'\\')?;
        if body.as_bytes().get(plain) == Some(&b'"') {
            let value = body.get(..plain)?.to_string();
            self.advance(1 + plain + 1);
            return Some(Str { value, span: self.span_from(start) });
        }
        let mut value = String::with_capacity(body.len().min(64));
        let mut chars = body.char_indices();
        loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => {
                    self.advance(1 + i + 1);
                    break;
                }
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        '"' => value.push('"'),
                        '\\' => value.push('\\'),
                        _ => self.bail = true,
                    }
                }
                c => value.push(c),
            }
        }
        Some(Str { value, span: self.span_from(start) })
    }

    fn date(&mut self) -> Option<DateLit> {
        self.skip();
        let b = self.rest().as_bytes();
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let shape = (0..4).all(digit)
            && b.get(4) == Some(&b'-')
            && digit(5)
            && digit(6)
            && b.get(7) == Some(&b'-')
            && digit(8)
            && digit(9)
            && !digit(10);
        if !shape {
            return None;
        }
        let start = self.pos;
        let s = self.rest().get(..10)?;
        self.advance(10);
        let span = self.span_from(start);
        match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(value) => Some(DateLit { value, span }),
            Err(_) => {
                self.bail = true;
                Some(DateLit { value: chrono::NaiveDate::MIN, span })
            }
        }
    }

    /// `quantity`: a number, then (spaces or tabs only) an optional unit.
    fn quantity(&mut self) -> Option<Expr> {
        self.skip();
        let start = self.pos;
        let b = self.rest().as_bytes();
        let mut n = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        if b.get(n) == Some(&b'.') {
            let frac = b.iter().skip(n + 1).take_while(|c| c.is_ascii_digit()).count();
            if frac > 0 {
                n += 1 + frac;
            }
        }
        let digits = self.rest().get(..n)?;
        self.advance(n);
        let value = match Decimal::from_str(digits) {
            Ok(v) => v,
            Err(_) => {
                self.bail = true;
                Decimal::ZERO
            }
        };
        let after_number = self.mark();
        let blanks = self.rest().bytes().take_while(|c| *c == b' ' || *c == b'\t').count();
        self.pos += blanks;
        let suffix = if self.rest().starts_with('%') {
            self.advance(1);
            Some(Suffix::Percent)
        } else if self.rest().strip_prefix('元').is_some_and(|after| {
            // `"元" ~ !(ident_char | "." ~ ident_start)`
            let mut cs = after.chars();
            match cs.next() {
                Some(c) if is_ident_char(c) => false,
                Some('.') => !cs.next().is_some_and(is_ident_start),
                _ => true,
            }
        }) {
            self.advance('元'.len_utf8());
            let end = self.base + self.end;
            Some(Suffix::Unit(Ident { name: "yuan".into(), span: Span::new(end - '元'.len_utf8(), end) }))
        } else if let Some(unit) = self.dotted_atomic(1) {
            let text = unit.name.as_str();
            if text.starts_with('e') && text.get(1..).is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit())) {
                self.bail = true;
            }
            let name = if text == "元" { "yuan".to_string() } else { unit.name };
            Some(Suffix::Unit(Ident { name, span: unit.span }))
        } else {
            self.reset(after_number);
            None
        };
        Some(Expr { kind: ExprKind::Number { value, suffix }, span: self.span_from(start) })
    }

    fn type_expr(&mut self) -> Option<TypeExpr> {
        let list = self.attempt(|p| {
            if !p.kw("list") {
                return None;
            }
            p.skip();
            p.dotted_atomic(usize::MAX)
        });
        if let Some(name) = list {
            return Some(TypeExpr::List(name));
        }
        self.skip();
        self.dotted_atomic(usize::MAX).map(TypeExpr::Named)
    }

    /// `("," ~ x)*` after a first `x`, with backtracking over a trailing
    /// comma that starts no `x`.
    fn comma_list<T>(&mut self, first: T, mut f: impl FnMut(&mut Self) -> Option<T>) -> Vec<T> {
        let mut out = vec![first];
        while let Some(x) = self.attempt(|p| {
            if !p.lit(",") {
                return None;
            }
            f(p)
        }) {
            out.push(x);
        }
        out
    }
}
