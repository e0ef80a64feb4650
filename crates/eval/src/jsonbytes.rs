//! Byte-level JSON string scanning shared by the decision encoder
//! (`encode`) and the facts reader's fast path (`facts/scan`): where the
//! first byte that a JSON string cannot hold as is (`"`, `\`, a control
//! character) lies, eight bytes at a time.

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
