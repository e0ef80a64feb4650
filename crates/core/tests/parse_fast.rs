//! Differential test of the parser's fast path (`parse/fast.rs`, a
//! hand-written recursive-descent parser) against the reference (pest and
//! the lowering): on every input both must give the same `Parsed`, spans and
//! diagnostics included (compared through `Debug`, since `Span`'s `==`
//! ignores positions). Inputs: every `.policy` file in the repository, the
//! bundled policies cut after every line of every item and with every line
//! of an item left out, and the fuzz corpora when they exist (built by
//! `fuzz/seed.sh` and fuzzing; `.ci/run` builds them first). The generated
//! files of `tests/fmt.rs` go through both paths too (its `round_trip`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::parse;
use std::path::{Path, PathBuf};

fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn policy_files() -> Vec<PathBuf> {
    let mut all = Vec::new();
    files_under(&repo_dir().join("policies"), &mut all);
    files_under(&repo_dir().join("examples"), &mut all);
    files_under(&repo_dir().join("crates/core/tests/data"), &mut all);
    all.retain(|p| p.extension().is_some_and(|e| e == "policy"));
    all
}

fn bundled() -> Vec<(PathBuf, String)> {
    let mut all = Vec::new();
    files_under(&repo_dir().join("policies"), &mut all);
    files_under(&repo_dir().join("examples"), &mut all);
    all.retain(|p| p.extension().is_some_and(|e| e == "policy"));
    assert!(all.len() >= 10, "the bundled policies are missing");
    all.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

/// Both paths on raw bytes; returns whether the text parsed without a
/// diagnostic.
fn agree(name: &str, bytes: &[u8]) -> bool {
    let fast = match std::str::from_utf8(bytes) {
        Ok(text) => parse::parse(name, text),
        Err(_) => return false,
    };
    let text = std::str::from_utf8(bytes).unwrap();
    let reference = parse::parse_reference(name, text);
    let (f, r) = (format!("{fast:#?}"), format!("{reference:#?}"));
    if f != r {
        let line = f.lines().zip(r.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let show = |s: &str| s.lines().skip(line.saturating_sub(8)).take(16).collect::<Vec<_>>().join("\n");
        panic!("{name}: the fast path differs from the reference\n--- input\n{text}\n--- fast\n{}\n--- reference\n{}", show(&f), show(&r));
    }
    fast.diagnostics.is_empty()
}

#[test]
fn every_policy_file_agrees() {
    let files = policy_files();
    assert!(files.len() > 50, "found only {} policy files", files.len());
    for p in files {
        agree(&p.display().to_string(), &std::fs::read(&p).unwrap());
    }
}

#[test]
fn the_fast_path_takes_every_bundled_policy() {
    // Not a fallback: the hand-written parser alone accepts every chunk of
    // every bundled policy and builds the reference's tree.
    for (path, text) in bundled() {
        let fast = parse::parse_fast_only(&text).unwrap_or_else(|| panic!("{}: the fast path gave up", path.display()));
        let reference = parse::parse_reference("x", &text).file.expect("a tree");
        assert_eq!(format!("{fast:#?}"), format!("{reference:#?}"), "{}", path.display());
    }
}

/// Lines that start a top-level item (as the parser's pre-scan splits).
fn item_starts(lines: &[&str]) -> Vec<usize> {
    const ITEMS: &[&str] = &[
        "use", "unit", "convert", "enum", "record", "input", "param", "external", "table", "let", "fn", "assert", "clause", "benefit",
        "amend", "repeal",
    ];
    let mut starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| ITEMS.iter().any(|k| l.strip_prefix(k).is_some_and(|r| r.starts_with([' ', '\t']))))
        .map(|(i, _)| i)
        .collect();
    starts.push(lines.len());
    starts
}

#[test]
fn cut_and_gapped_items_agree() {
    let mut inputs = 0usize;
    let mut clean = 0usize;
    for (path, text) in bundled() {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let starts = item_starts(&lines);
        let header: String = lines[..starts[0]].concat();
        let name = path.display().to_string();
        for w in starts.windows(2) {
            let item = &lines[w[0]..w[1]];
            for cut in 1..=item.len() {
                let t = format!("{header}{}", item[..cut].concat());
                clean += usize::from(agree(&name, t.as_bytes()));
                inputs += 1;
            }
            for gap in 0..item.len() {
                let t = format!("{header}{}{}", item[..gap].concat(), item[gap + 1..].concat());
                clean += usize::from(agree(&name, t.as_bytes()));
                inputs += 1;
            }
            // The same item cut inside each line, just before its last
            // token (an item cut short mid-line).
            for (i, line) in item.iter().enumerate() {
                let code = line.trim_end();
                if let Some(sp) = code.rfind(' ') {
                    let t = format!("{header}{}{}", item[..i].concat(), &code[..sp]);
                    clean += usize::from(agree(&name, t.as_bytes()));
                    inputs += 1;
                }
            }
        }
    }
    // Both sides of the fallback are exercised.
    assert!(clean > 100 && inputs - clean > 100, "{clean} clean of {inputs}");
}

#[test]
fn fuzz_corpora_agree() {
    let mut n = 0;
    for target in ["parse", "check", "fmt_roundtrip"] {
        let mut files = Vec::new();
        files_under(&repo_dir().join("fuzz/corpus").join(target), &mut files);
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            agree(&f.display().to_string(), &bytes);
            n += 1;
        }
    }
    if n == 0 {
        assert!(std::env::var_os("CI").is_none(), "no fuzz corpus under fuzz/corpus: run fuzz/seed.sh first");
        eprintln!("skipped: no fuzz corpus under fuzz/corpus (run fuzz/seed.sh)");
    }
}
