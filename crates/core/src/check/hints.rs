//! "Did you mean" hints: the closest declared name within edit distance
//! 2, bounded in name length and candidates.

use super::*;

/// Names longer than this (in characters) get no "did you mean" hint: the
/// edit distance is quadratic in the length.
const MAX_HINT_NAME_CHARS: usize = 64;

/// A hint compares the name with at most this many names of about its
/// length; when there are more, it gives none (deterministically), so that
/// a hint costs at most this many comparisons.
const MAX_HINT_CANDIDATES: usize = 1_000;

/// "did you mean `x`?" for the closest name within edit distance 2.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut best: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    let len = name.chars().count();
    if len > MAX_HINT_NAME_CHARS {
        return None;
    }
    let mut near = Vec::new();
    for c in candidates {
        // Edit distance is at least the difference in length: skip the far ones cheaply.
        if c.len().abs_diff(name.len()) > 8 || c.chars().count().abs_diff(len) > 2 {
            continue;
        }
        if near.len() == MAX_HINT_CANDIDATES {
            return None;
        }
        near.push(c);
    }
    for c in near {
        let d = edit_distance(name, c);
        let limit = if name.chars().count() <= 3 { 1 } else { 2 };
        if d <= limit && d > 0 {
            best.entry(d).or_default().push(c);
        }
    }
    let (_, mut names) = best.into_iter().next()?;
    names.sort_unstable();
    names.first().map(|n| format!("did you mean `{n}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(0)
}
