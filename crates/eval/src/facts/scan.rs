//! The facts decoder's fast path: JSON facts read straight from the bytes
//! into the slots, without serde's visitor machinery, a raw-value pass per
//! fact, or (for lists and records) a `Json` tree and a path string per
//! element.
//!
//! It answers only for text it reads exactly as the reference (serde_json
//! with `raw_value`, in `FactsSeed`, then `Plan::decode` over a `Json`
//! tree) would: an object whose keys are plain strings naming declared
//! facts, each once, with JSON whitespace between tokens and nothing after
//! the object. A scalar fact's value is `null`, `true`, `false`, a number
//! in JSON's grammar or a string without escapes or control characters,
//! and goes through the same `Plan::store` as the reference (so a scalar's
//! error is recorded and reading goes on). A list or record fact is read
//! against its declared type, recursively: a list of such values, a
//! record as an object holding each declared field once (any order,
//! nothing else), each leaf converted by the reference's own
//! `Plan::decode_scalar` (numbers from their text, `facts/scalar.rs`); the
//! value is then stored through `Plan::store` as already decoded.
//!
//! Inside a list or record, anything the reference would not accept
//! silently declines instead: a leaf's error or warning (whose message
//! names a path such as `history[3].year`, which is never built here), a
//! `null`, a missing, unknown or repeated field, a value of the wrong
//! shape, nesting past [`super::MAX_FACT_DEPTH`], a list longer than
//! [`super::MAX_LIST_LEN`], a record of more than 64 fields. At the top, an
//! escape, an unknown or repeated key or any syntax error declines too.
//! On a decline the caller resets the facts and the reference path reads
//! the text from the start, so every error message is the reference's.
//! The elements of the lists and records being read sit on one stack of
//! values, reused for the whole text; each finished list or record is
//! moved from it into its `Arc<[Value]>` (one allocation each).
//! `tests/service_path.rs` and the `eval_bundled` fuzz target compare the
//! two readers on generated and mutated texts.

use super::{Facts, Raw, MAX_FACT_DEPTH, MAX_LIST_LEN};
use crate::decision::Warning;
use crate::error::FactError;
use crate::plan::Plan;
use crate::slots::{Seen, Slot};
use policy_core::checked::Type;
use policy_core::value::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// Reads `text` into `facts` (empty facts of `plan`), recording fact errors
/// in `errors`; `None` when the fast path declines (then `facts` and
/// `errors` are to be discarded).
pub(super) fn scan(plan: &Plan, text: &str, facts: &mut Facts, errors: &mut Vec<FactError>) -> Option<()> {
    let p = plan.policy();
    let mut s = Scanner { text, b: text.as_bytes(), at: 0, stack: Vec::new() };
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
            let value = match s.peek() {
                Some(b'[' | b'{') => Raw::Decoded(s.structured(plan, slot, &mut facts.warnings)?),
                _ => s.value()?,
            };
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
    /// Elements of the lists and fields of the records being read, the
    /// innermost last.
    stack: Vec<Value>,
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

    #[inline]
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

    /// A list or record fact's value, read against the declared type of
    /// its slot (out of the scalar facts' loop, which stays as small as it
    /// was).
    #[inline(never)]
    fn structured(&mut self, plan: &Plan, slot: Slot, warnings: &mut Vec<Warning>) -> Option<Value> {
        let p = plan.policy();
        let ty = match slot {
            Slot::Input(i) => &p.inputs.get(i)?.ty,
            Slot::External(i) => &p.externals.get(i)?.ty,
            Slot::Unknown => return None,
        };
        self.typed(plan, ty, 0, warnings)
    }

    /// A value of a list or record type (or, inside one, of any type) read
    /// as the reference's `Plan::decode` would read it at `depth` without
    /// an error or a warning; `None` for anything else.
    fn typed(&mut self, plan: &Plan, ty: &Type, depth: usize, warnings: &mut Vec<Warning>) -> Option<Value> {
        if depth > MAX_FACT_DEPTH {
            return None;
        }
        match ty {
            Type::List(elem) => {
                self.eat(b'[')?;
                self.ws();
                let base = self.stack.len();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        if self.stack.len() - base == MAX_LIST_LEN {
                            return None;
                        }
                        let x = self.typed(plan, elem, depth + 1, warnings)?;
                        self.stack.push(x);
                        self.ws();
                        match self.next()? {
                            b',' => self.ws(),
                            b']' => break,
                            _ => return None,
                        }
                    }
                }
                Some(Value::List(Arc::from_iter(self.stack.drain(base..))))
            }
            Type::Record(r) => {
                let fields = &plan.policy().records.get(r.index())?.fields;
                let n = fields.len();
                if n > 64 {
                    return None;
                }
                let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                self.eat(b'{')?;
                self.ws();
                let base = self.stack.len();
                // Placeholders, each written over once by its field (`filled`).
                self.stack.extend((0..n).map(|_| Value::Bool(false)));
                let mut filled = 0u64;
                if self.peek() == Some(b'}') {
                    self.at += 1;
                } else {
                    loop {
                        let key = self.string()?;
                        let i = fields.iter().position(|f| f.0 == key)?;
                        let bit = 1u64 << i;
                        if filled & bit != 0 {
                            return None;
                        }
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                        let x = self.typed(plan, &fields.get(i)?.1, depth + 1, warnings)?;
                        *self.stack.get_mut(base + i)? = x;
                        filled |= bit;
                        self.ws();
                        match self.next()? {
                            b',' => self.ws(),
                            b'}' => break,
                            _ => return None,
                        }
                    }
                }
                (filled == all).then(|| Value::Record(Arc::from_iter(self.stack.drain(base..))))
            }
            _ => {
                // A leaf: a scalar, converted by the reference's own code.
                let raw = match self.peek()? {
                    b'n' | b'[' | b'{' => return None,
                    _ => self.value()?,
                };
                let before = warnings.len();
                let value = plan.decode_scalar("", &raw, ty, None, warnings)?.ok()?;
                (warnings.len() == before).then_some(value)
            }
        }
    }
}
