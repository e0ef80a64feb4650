//! The facts decoder's fast path: a flat JSON object of scalar facts read
//! straight from the bytes into the slots, without serde's visitor
//! machinery or a raw-value pass per fact.
//!
//! It answers only for text it reads exactly as the reference (serde_json
//! with `raw_value`, in `FactsSeed`) would: an object whose keys are plain
//! strings naming declared facts, each once, whose values are `null`,
//! `true`, `false`, numbers in JSON's grammar and strings without escapes
//! or control characters, with JSON whitespace between tokens and nothing
//! after the object. Anything else (an escape, a list or record, an unknown
//! or repeated key, any syntax error) and it declines: the caller resets
//! the facts and the reference path reads the text from the start, so
//! every error message is the reference's. Each fact it reads goes through
//! the same `Plan::store` as the reference, in the same order.
//! `tests/service_path.rs` and the `eval_bundled` fuzz target compare the
//! two on generated and mutated texts.

use super::slots::{Seen, Slot};
use super::{Facts, Raw};
use crate::error::FactError;
use crate::plan::Plan;
use std::borrow::Cow;

/// Reads `text` into `facts` (empty facts of `plan`), recording fact errors
/// in `errors`; `None` when the fast path declines (then `facts` and
/// `errors` are to be discarded).
pub(super) fn scan(plan: &Plan, text: &str, facts: &mut Facts, errors: &mut Vec<FactError>) -> Option<()> {
    let p = plan.policy();
    let mut s = Scanner { text, b: text.as_bytes(), at: 0 };
    let mut seen = Seen::new(p.inputs.len(), p.externals.len());
    let mut hints_left = super::MAX_FACT_HINTS;
    s.ws();
    s.eat(b'{')?;
    s.ws();
    if s.peek() == Some(b'}') {
        s.at += 1;
    } else {
        loop {
            let key = s.string()?;
            let slot = plan.slot_index.get(key);
            if slot == Slot::Unknown || seen.again(slot, key) {
                return None;
            }
            s.ws();
            s.eat(b':')?;
            s.ws();
            let value = s.value()?;
            plan.store(facts, key, slot, value, errors, &mut hints_left);
            s.ws();
            match s.next()? {
                b',' => s.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.ws();
    (s.at == s.b.len()).then_some(())
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    /// JSON whitespace: space, tab, line feed, carriage return.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// A string without escapes or control characters: its contents.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let end = start + crate::jsonbytes::plain_len(self.b.get(start..)?);
        self.at = end;
        self.eat(b'"')?;
        // The quotes are ASCII, so both ends are character boundaries.
        self.text.get(start..end)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at.checked_add(word.len())?;
        (self.b.get(self.at..end)? == word).then(|| self.at = end)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        self.text.get(start..self.at)
    }

    fn value(&mut self) -> Option<Raw<'a>> {
        Some(match self.peek()? {
            b'"' => Raw::Str(Cow::Borrowed(self.string()?)),
            b't' => self.literal(b"true").map(|()| Raw::Bool(true))?,
            b'f' => self.literal(b"false").map(|()| Raw::Bool(false))?,
            b'n' => self.literal(b"null").map(|()| Raw::Null)?,
            b'-' | b'0'..=b'9' => Raw::Num(self.number()?),
            _ => return None,
        })
    }
}
