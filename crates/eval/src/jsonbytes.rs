//! Byte-level JSON string scanning shared by the decision encoder
//! (`encode`) and the facts reader's fast path (`facts/scan`): where the
//! first byte that a JSON string cannot hold as is (`"`, `\`, a control
//! character) lies, eight bytes at a time. And the writers of a string, a
//! number and a citation that `encode` and `tracelog` share.

use policy_core::checked::Citation;
use std::fmt::Write as _;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is below `n` (`n` ≤ 128); exact
/// for the lowest such byte (borrows run only towards higher bytes), which
/// is all [`plain_len`] reads.
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// The high bit of each byte of `x` equal to `b` (exact for the lowest).
fn equal(x: u64, b: u8) -> u64 {
    below(x ^ (ONES * u64::from(b)), 1)
}

/// How many bytes at the start of `s` a JSON string holds as they are:
/// the index of the first `"`, `\` or byte below 0x20, or `s.len()`.
pub(crate) fn plain_len(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let x = u64::from_le_bytes(word);
        let special = equal(x, b'"') | equal(x, b'\\') | below(x, 0x20);
        if special != 0 {
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    for &b in chunks.remainder() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return at;
        }
        at += 1;
    }
    at
}

// JSON writers shared by `encode` (a decision) and `tracelog` (a trace
// written from its event log), byte for byte what serde_json writes.

/// A JSON string: what serde_json writes (`"` and `\` escaped, control
/// characters as `\b \t \n \f \r` or `\u00XX`, everything else as is).
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    if plain_len(s.as_bytes()) == s.len() {
        out.push_str(s);
    } else {
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            let esc: &str = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                0x08 => "\\b",
                0x0c => "\\f",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f => "",
                _ => continue,
            };
            out.push_str(s.get(start..i).unwrap_or_default());
            if esc.is_empty() {
                let _ = write!(out, "\\u{:04x}", b);
            } else {
                out.push_str(esc);
            }
            start = i + 1;
        }
        out.push_str(s.get(start..).unwrap_or_default());
    }
    out.push('"');
}

/// A number's digits, without a formatter.
pub(crate) fn uint(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// `,"citation":{…}` when there is one (serde's field order).
pub(crate) fn citation(out: &mut String, c: &Option<Citation>) {
    if let Some(c) = c {
        out.push_str(",\"citation\":{\"document\":");
        string(out, &c.document);
        out.push_str(",\"clause\":");
        string(out, &c.clause);
        if let Some(q) = &c.quote {
            out.push_str(",\"quote\":");
            string(out, q);
        }
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::plain_len;

    fn reference(s: &[u8]) -> usize {
        s.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(s.len())
    }

    #[test]
    fn finds_the_first_special_byte_at_every_position() {
        let base: Vec<u8> = "abcdefgh中文ijklmnopq\u{7f}\u{80}xyz0123456789".bytes().collect();
        for len in 0..base.len() {
            let s = &base[..len];
            assert_eq!(plain_len(s), reference(s));
            for at in 0..len {
                for special in [b'"', b'\\', 0, 0x1f, b'\n', 0x08] {
                    let mut t = s.to_vec();
                    t[at] = special;
                    assert_eq!(plain_len(&t), reference(&t), "{t:?}");
                    // A second special byte after the first changes nothing.
                    if at + 1 < len {
                        t[at + 1] = b'"';
                        assert_eq!(plain_len(&t), at);
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_byte_loop(s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            proptest::prop_assert_eq!(plain_len(&s), reference(&s));
        }
    }
}
