//! A line diff (Myers' O(ND) algorithm) and its unified rendering, each hunk
//! headed by the trace rule its changed lines belong to. Written here rather
//! than taken from a crate so that `policy-eval` stays light.

/// Most edits the search looks for before giving up on a minimal diff: past
/// it, the differing middle of the two texts is shown as wholly removed and
/// wholly added (still a correct diff, only a longer one). Bounds the memory
/// of the search to about `2 × MAX_EDITS²` words (16 MB).
pub const MAX_EDITS: usize = 1000;

/// Lines of unchanged context around each change.
pub const CONTEXT: usize = 3;

/// One step of an edit script: indexes into the old and new lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Old line `.0` is new line `.1`.
    Same(usize, usize),
    /// Old line removed.
    Removed(usize),
    /// New line added.
    Added(usize),
}

/// An edit script turning `old` into `new`: minimal when the two differ by
/// at most [`MAX_EDITS`] lines (after their common head and tail).
pub fn diff<T: PartialEq>(old: &[T], new: &[T]) -> Vec<Edit> {
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let (old_rest, new_rest) = (old.get(head..).unwrap_or_default(), new.get(head..).unwrap_or_default());
    let tail = old_rest.iter().rev().zip(new_rest.iter().rev()).take_while(|(a, b)| a == b).count();
    let a = old_rest.get(..old_rest.len() - tail).unwrap_or_default();
    let b = new_rest.get(..new_rest.len() - tail).unwrap_or_default();
    let mut out: Vec<Edit> = (0..head).map(|i| Edit::Same(i, i)).collect();
    match myers(a, b) {
        Some(middle) => out.extend(middle.into_iter().map(|e| match e {
            Edit::Same(i, j) => Edit::Same(i + head, j + head),
            Edit::Removed(i) => Edit::Removed(i + head),
            Edit::Added(j) => Edit::Added(j + head),
        })),
        None => {
            out.extend((0..a.len()).map(|i| Edit::Removed(i + head)));
            out.extend((0..b.len()).map(|j| Edit::Added(j + head)));
        }
    }
    let (old_at, new_at) = (head + a.len(), head + b.len());
    out.extend((0..tail).map(|t| Edit::Same(old_at + t, new_at + t)));
    out
}

/// Myers' greedy forward search; `None` past [`MAX_EDITS`].
fn myers<T: PartialEq>(a: &[T], b: &[T]) -> Option<Vec<Edit>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (a.len() + b.len()).min(MAX_EDITS) as isize;
    let offset = max + 1;
    // v[k + offset]: the furthest x reached on diagonal k (y = x - k).
    let mut v = vec![0isize; (2 * max + 3) as usize];
    let get = |v: &[isize], k: isize| v.get((k + offset) as usize).copied().unwrap_or(0);
    let mut snapshots: Vec<Vec<isize>> = Vec::new();
    for d in 0..=max {
        snapshots.push(v.clone());
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && get(&v, k - 1) < get(&v, k + 1)) { get(&v, k + 1) } else { get(&v, k - 1) + 1 };
            let mut y = x - k;
            while x < n && y < m && a.get(x as usize).is_some_and(|p| b.get(y as usize) == Some(p)) {
                x += 1;
                y += 1;
            }
            if let Some(slot) = v.get_mut((k + offset) as usize) {
                *slot = x;
            }
            if x >= n && y >= m {
                return Some(backtrack(&snapshots, n, m, offset));
            }
            k += 2;
        }
    }
    None
}

fn backtrack(snapshots: &[Vec<isize>], n: isize, m: isize, offset: isize) -> Vec<Edit> {
    let get = |v: &[isize], k: isize| v.get((k + offset) as usize).copied().unwrap_or(0);
    let (mut x, mut y) = (n, m);
    let mut out = Vec::new();
    for (d, v) in snapshots.iter().enumerate().rev() {
        let d = d as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && get(v, k - 1) < get(v, k + 1)) { k + 1 } else { k - 1 };
        let prev_x = get(v, prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y && x > 0 && y > 0 {
            out.push(Edit::Same((x - 1) as usize, (y - 1) as usize));
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            if x == prev_x {
                out.push(Edit::Added((y - 1) as usize));
            } else {
                out.push(Edit::Removed((x - 1) as usize));
            }
            x = prev_x;
            y = prev_y;
        }
    }
    out.reverse();
    out
}

/// A unified diff (`--- old` / `+++ new`, hunks with [`CONTEXT`] lines) of
/// two texts, compared line by line. `rule_of(j)` names what new line `j`
/// belongs to; each hunk header carries the rule of its first changed line
/// (or, for a hunk that only removes lines, of the new line before them).
/// Returns the diff and the rules named, in order, without repeats; empty
/// when the texts are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, rule_of: &dyn Fn(usize) -> Option<String>) -> (String, Vec<String>) {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let edits = diff(&a, &b);
    let changed: Vec<usize> = edits.iter().enumerate().filter(|(_, e)| !matches!(e, Edit::Same(..))).map(|(i, _)| i).collect();
    let mut out = String::new();
    let mut rules: Vec<String> = Vec::new();
    if changed.is_empty() {
        return (out, rules);
    }
    out.push_str(&format!("--- {old_name}\n+++ {new_name}\n"));
    // Group changes into hunks: a gap of more than twice the context splits.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &c in &changed {
        match groups.last_mut() {
            Some((_, end)) if c <= *end + 2 * CONTEXT + 1 => *end = c,
            _ => groups.push((c, c)),
        }
    }
    // Old and new positions before each edit.
    let mut before: Vec<(usize, usize)> = Vec::with_capacity(edits.len() + 1);
    let (mut i, mut j) = (0usize, 0usize);
    for e in &edits {
        before.push((i, j));
        match e {
            Edit::Same(..) => {
                i += 1;
                j += 1;
            }
            Edit::Removed(_) => i += 1,
            Edit::Added(_) => j += 1,
        }
    }
    before.push((i, j));
    for (first, last) in groups {
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(edits.len());
        let hunk = edits.get(start..end).unwrap_or_default();
        let (old_from, new_from) = before.get(start).copied().unwrap_or((0, 0));
        let old_count = hunk.iter().filter(|e| !matches!(e, Edit::Added(_))).count();
        let new_count = hunk.iter().filter(|e| !matches!(e, Edit::Removed(_))).count();
        let at = |from: usize, count: usize| if count == 0 { format!("{from},0") } else { format!("{},{count}", from + 1) };
        // The rule: of the first added line, else of the new line before the removal.
        let first_added = hunk.iter().find_map(|e| if let Edit::Added(j) = e { Some(*j) } else { None });
        let new_line = first_added.or_else(|| before.get(first).map(|&(_, j)| j.saturating_sub(1)));
        let rule = new_line.and_then(rule_of);
        let heading = rule.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
        out.push_str(&format!("@@ -{} +{} @@{heading}\n", at(old_from, old_count), at(new_from, new_count)));
        for e in hunk {
            let (mark, line) = match e {
                Edit::Same(i, _) => (' ', a.get(*i)),
                Edit::Removed(i) => ('-', a.get(*i)),
                Edit::Added(j) => ('+', b.get(*j)),
            };
            let line = line.copied().unwrap_or_default();
            out.push(mark);
            match line.strip_suffix('\n') {
                Some(l) => {
                    out.push_str(l);
                    out.push('\n');
                }
                None => {
                    out.push_str(line);
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
        for e in hunk {
            if let Edit::Added(j) = e {
                if let Some(r) = rule_of(*j) {
                    if !rules.contains(&r) {
                        rules.push(r);
                    }
                }
            }
        }
        if let Some(r) = rule {
            if !rules.contains(&r) {
                rules.push(r);
            }
        }
    }
    (out, rules)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Applying the script to `old` gives `new`, and every `Same` pairs equal lines.
    fn apply(old: &[u8], new: &[u8], edits: &[Edit]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        for e in edits {
            match *e {
                Edit::Same(a, b) => {
                    assert_eq!((a, b), (i, j));
                    assert_eq!(old[a], new[b]);
                    out.push(old[a]);
                    i += 1;
                    j += 1;
                }
                Edit::Removed(a) => {
                    assert_eq!(a, i);
                    i += 1;
                }
                Edit::Added(b) => {
                    assert_eq!(b, j);
                    out.push(new[b]);
                    j += 1;
                }
            }
        }
        assert_eq!((i, j), (old.len(), new.len()));
        out
    }

    /// Length of a longest common subsequence, by dynamic programming.
    fn lcs(a: &[u8], b: &[u8]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                t[i][j] = if a[i] == b[j] { t[i + 1][j + 1] + 1 } else { t[i + 1][j].max(t[i][j + 1]) };
            }
        }
        t[0][0]
    }

    proptest! {
        /// The script is correct and minimal: it keeps a longest common subsequence.
        #[test]
        fn diff_is_correct_and_minimal(old in proptest::collection::vec(0u8..4, 0..40), new in proptest::collection::vec(0u8..4, 0..40)) {
            let edits = diff(&old, &new);
            prop_assert_eq!(apply(&old, &new, &edits), new.clone());
            let same = edits.iter().filter(|e| matches!(e, Edit::Same(..))).count();
            prop_assert_eq!(same, lcs(&old, &new));
        }
    }

    #[test]
    fn past_the_edit_bound_the_middle_is_replaced() {
        let old: Vec<usize> = (0..3000).collect();
        let new: Vec<usize> = (0..3000).map(|i| if i == 0 || i == 2999 { i } else { i + 10_000 }).collect();
        let edits = diff(&old, &new);
        let new_again: Vec<usize> = edits
            .iter()
            .filter_map(|e| match *e {
                Edit::Same(a, _) => Some(old[a]),
                Edit::Added(b) => Some(new[b]),
                Edit::Removed(_) => None,
            })
            .collect();
        assert_eq!(new_again, new);
        assert_eq!(edits.iter().filter(|e| matches!(e, Edit::Same(..))).count(), 2);
    }

    #[test]
    fn unified_hunks_name_the_rule() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\nl\n";
        let (text, rules) = unified(old, new, "old", "new", &|j| Some(format!("rule{j}")));
        assert_eq!(
            text,
            "--- old\n+++ new\n@@ -1,7 +1,7 @@ rule3\n a\n b\n c\n-d\n+D\n e\n f\n g\n@@ -10,4 +10,3 @@ rule11\n j\n k\n l\n-m\n"
        );
        assert_eq!(rules, ["rule3", "rule11"]);
        assert_eq!(unified(old, old, "old", "new", &|_| None), (String::new(), vec![]));
    }

    #[test]
    fn unified_marks_a_missing_final_newline() {
        let (text, _) = unified("a\nb", "a\nb\n", "old", "new", &|_| None);
        assert_eq!(text, "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    }

    #[test]
    fn unified_counts_empty_sides() {
        let (text, _) = unified("", "x\n", "old", "new", &|_| None);
        assert_eq!(text, "--- old\n+++ new\n@@ -0,0 +1,1 @@\n+x\n");
        let (text, _) = unified("x\n", "", "old", "new", &|_| None);
        assert_eq!(text, "--- old\n+++ new\n@@ -1,1 +0,0 @@\n-x\n");
    }
}
