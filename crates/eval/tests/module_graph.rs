//! Arrows one way: in every crate of the workspace, no top-level module
//! depends on itself through others. A module is a file or folder under a
//! crate's `src/` (the crate root, `lib.rs` or `main.rs`, wires them and is
//! left out); it depends on another when its code (comments and the
//! `#[cfg(test)]` part at the end of a file left out) names `crate::other`,
//! directly or inside `use crate::{…}`. A cycle fails the test with the
//! modules that form it and the files that make each arrow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file that counts: up to its test module, without comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The modules `code` names through `crate::`.
fn named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::x, b::{y, z}, C}`: each first segment.
            let mut depth = 1;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if depth == 1 && item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident(&group[j..]);
                        if group[j + name.len()..].starts_with("::") {
                            out.insert(name);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if rest[name.len()..].starts_with("::") {
                out.insert(name);
            }
        }
    }
    out
}

/// Arrows between the top-level modules of the crate at `src`, each with
/// the files that make it.
fn graph(src: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module_of = |f: &Path| -> String {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        first.strip_suffix(".rs").unwrap_or(&first).to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let from = module_of(f);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for to in named(&code(&text)) {
            if to != from && modules.contains(&to) && to != "lib" && to != "main" {
                let rel = f.strip_prefix(src).unwrap().display().to_string();
                g.entry(from.clone()).or_default().entry(to).or_default().insert(rel);
            }
        }
    }
    g
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(g: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>, start: &str) -> Option<Vec<String>> {
    let mut stack: Vec<(String, Vec<String>)> = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in g.get(&at).map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if next == start {
                let mut p = path.clone();
                p.push(next);
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next, p));
            }
        }
    }
    None
}

#[test]
fn no_module_depends_on_itself_in_any_crate() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    let mut cycles = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&crates).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for krate in names {
        let src = krate.join("src");
        if !src.is_dir() {
            continue;
        }
        let g = graph(&src);
        checked += 1;
        for m in g.keys() {
            if let Some(c) = cycle_from(&g, m) {
                let arrows: Vec<String> = c
                    .windows(2)
                    .map(|w| format!("{} → {} ({})", w[0], w[1], g[&w[0]][&w[1]].iter().cloned().collect::<Vec<_>>().join(", ")))
                    .collect();
                cycles.push(format!("{}: {}", krate.file_name().unwrap().to_string_lossy(), arrows.join("; ")));
                break;
            }
        }
    }
    assert!(checked >= 5, "only {checked} crates found under {}", crates.display());
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_plain_and_grouped_paths() {
    let c = code("use crate::a::X;\nuse crate::{b::Y, c::{d, e}, Z};\n// crate::commented::x\nfn f() { crate::f::g(); }\n#[cfg(test)]\nmod tests { use crate::t::x; }");
    let n = named(&c);
    assert_eq!(n.into_iter().collect::<Vec<_>>(), ["a", "b", "c", "f"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeMap::from([("b".to_string(), BTreeSet::from(["a.rs".to_string()]))]));
    g.insert("b".to_string(), BTreeMap::from([("a".to_string(), BTreeSet::from(["b.rs".to_string()]))]));
    assert_eq!(cycle_from(&g, "a").unwrap(), ["a", "b", "a"]);
    g.remove("b");
    assert!(cycle_from(&g, "a").is_none());
}
