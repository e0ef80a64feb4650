//! Where a fact's name goes: a slot index built once per plan, looked up
//! for every key of every applicant's JSON. An open-addressing table keyed
//! by a hash of the name's length and its first and last eight bytes (the std `HashMap`'s SipHash, which
//! resists hash flooding, cost ~100 instructions per key here; the names
//! are the policy's own, fixed at compile time, and a key not among them
//! costs one probe sequence bounded by the table's load of at most 1/2).

/// Where a fact name goes: an input's slot, an external's, or nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Input(usize),
    External(usize),
    Unknown,
}

/// Names of a plan's inputs and externals → their slots.
#[derive(Debug, Default)]
pub(crate) struct SlotIndex {
    /// Power-of-two table of (hash, index into `entries` + 1; 0 is empty).
    table: Vec<(u64, u32)>,
    entries: Vec<(Box<str>, Slot)>,
}

/// A hash of a name from its length and its first and last eight bytes
/// (names that agree there are told apart by the comparison that follows
/// every hit), mixed so that the low bits index the table.
fn hash(s: &str) -> u64 {
    let b = s.as_bytes();
    let load = |part: &[u8]| {
        let mut w = [0u8; 8];
        let n = part.len().min(8);
        if let (Some(dst), Some(src)) = (w.get_mut(..n), part.get(..n)) {
            dst.copy_from_slice(src);
        }
        u64::from_le_bytes(w)
    };
    let head = load(b);
    let tail = load(b.get(b.len().saturating_sub(8)..).unwrap_or_default());
    let mut h = (b.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ head.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ tail.rotate_left(31);
    h ^= h >> 31;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 29)
}

impl SlotIndex {
    /// The index of `inputs` then `externals` (an input wins a name both
    /// declare, as the checker never lets happen).
    pub(crate) fn new<'a>(inputs: impl Iterator<Item = &'a str>, externals: impl Iterator<Item = &'a str>) -> Self {
        let entries: Vec<(Box<str>, Slot)> = inputs
            .enumerate()
            .map(|(i, n)| (Box::from(n), Slot::Input(i)))
            .chain(externals.enumerate().map(|(i, n)| (Box::from(n), Slot::External(i))))
            .collect();
        let size = (entries.len() * 2).next_power_of_two().max(4);
        let mut index = SlotIndex { table: vec![(0, 0); size], entries: Vec::with_capacity(entries.len()) };
        for (name, slot) in entries {
            if index.get(&name) != Slot::Unknown {
                continue;
            }
            let h = hash(&name);
            let mask = index.table.len() - 1;
            let mut at = (h as usize) & mask;
            while index.table.get(at).is_some_and(|e| e.1 != 0) {
                at = (at + 1) & mask;
            }
            index.entries.push((name, slot));
            if let (Some(e), Ok(n)) = (index.table.get_mut(at), u32::try_from(index.entries.len())) {
                *e = (h, n);
            }
        }
        index
    }

    /// The slot of `name`.
    pub(crate) fn get(&self, name: &str) -> Slot {
        if self.table.is_empty() {
            return Slot::Unknown;
        }
        let h = hash(name);
        let mask = self.table.len() - 1;
        let mut at = (h as usize) & mask;
        // At most half full: the walk meets an empty entry.
        while let Some(&(eh, n)) = self.table.get(at) {
            if n == 0 {
                break;
            }
            if eh == h {
                if let Some((k, slot)) = self.entries.get(n as usize - 1) {
                    if **k == *name {
                        return *slot;
                    }
                }
            }
            at = (at + 1) & mask;
        }
        Slot::Unknown
    }
}

/// The slots seen so far in one facts object, to refuse a key given twice:
/// a bit per slot, inline for up to 128 slots (no allocation per
/// applicant), and the unknown keys (rare, and errors anyway).
pub(crate) struct Seen {
    inputs: usize,
    small: [u64; 2],
    large: Vec<bool>,
    unknown: std::collections::HashSet<String>,
}

impl Seen {
    pub(crate) fn new(inputs: usize, externals: usize) -> Self {
        let n = inputs + externals;
        Seen { inputs, small: [0; 2], large: if n > 128 { vec![false; n] } else { Vec::new() }, unknown: Default::default() }
    }

    /// Marks `key` (at `slot`) seen; true when it was seen before.
    pub(crate) fn again(&mut self, slot: Slot, key: &str) -> bool {
        let i = match slot {
            Slot::Input(i) => i,
            Slot::External(i) => self.inputs + i,
            Slot::Unknown => return !self.unknown.insert(key.to_string()),
        };
        if self.large.is_empty() {
            let (word, bit) = (i / 64, 1u64 << (i % 64));
            match self.small.get_mut(word) {
                Some(w) => {
                    let before = *w & bit != 0;
                    *w |= bit;
                    before
                }
                None => false,
            }
        } else {
            self.large.get_mut(i).map(|f| std::mem::replace(f, true)).unwrap_or(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_name_and_nothing_else() {
        let inputs: Vec<String> = (0..300).map(|i| format!("fact_{i}")).collect();
        let externals = ["amount", "rate", "fact_7"];
        let index = SlotIndex::new(inputs.iter().map(String::as_str), externals.iter().copied());
        for (i, n) in inputs.iter().enumerate() {
            assert_eq!(index.get(n), Slot::Input(i));
        }
        assert_eq!(index.get("amount"), Slot::External(0));
        assert_eq!(index.get("rate"), Slot::External(1));
        assert_eq!(index.get("fact_7"), Slot::Input(7), "an input wins a name both declare");
        for n in ["", "fact_300", "fact_", "Amount", "amount ", "事实"] {
            assert_eq!(index.get(n), Slot::Unknown, "{n}");
        }
        assert_eq!(SlotIndex::default().get("x"), Slot::Unknown);
        assert_eq!(SlotIndex::new(std::iter::empty(), std::iter::empty()).get("x"), Slot::Unknown);
    }

    #[test]
    fn seen_small_and_large() {
        for (inputs, externals) in [(3, 2), (100, 28), (200, 5)] {
            let mut seen = Seen::new(inputs, externals);
            for i in 0..inputs {
                assert!(!seen.again(Slot::Input(i), ""));
                assert!(seen.again(Slot::Input(i), ""));
            }
            for i in 0..externals {
                assert!(!seen.again(Slot::External(i), ""));
                assert!(seen.again(Slot::External(i), ""));
            }
            assert!(!seen.again(Slot::Unknown, "x"));
            assert!(seen.again(Slot::Unknown, "x"));
        }
    }
}
