//! A fixed amount of parsing and checking for instruction counts (not a
//! criterion benchmark; `parse_check/*` in `crates/eval/benches/engine.rs`
//! is): loads every bundled policy and source document into a
//! `MemoryLoader`, then runs `WHAT` on one policy `N` times.
//!
//! ```text
//! cargo build --release -p policy-core --example check_loop
//! valgrind --tool=callgrind target/release/examples/check_loop jiaxing/skills_upgrading_2019 check 0
//! valgrind --tool=callgrind target/release/examples/check_loop jiaxing/skills_upgrading_2019 check 20
//! ```
//!
//! (Ir with N = 20 − Ir with N = 0) / 20 is one run. `WHAT` is `check`
//! (`check_source`: parse, check, hash), `parse` (the parser as used) or
//! `reference` (pest and the lowering only, the fast path's reference).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use policy_core::check::check_source;
use policy_core::loader::{MemoryLoader, Source};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [policy, what, n] = args.as_slice() else {
        panic!("usage: check_loop <dir/stem> <check|parse|reference> <n>");
    };
    let n: usize = n.parse().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut loader = MemoryLoader::new();
    let mut target = None;
    for region in std::fs::read_dir(&root).unwrap() {
        let region = region.unwrap().path();
        for f in std::fs::read_dir(&region).unwrap() {
            let f = f.unwrap().path();
            let file = f.file_name().unwrap().to_string_lossy().to_string();
            let dir = region.file_name().unwrap().to_string_lossy().to_string();
            if let Some(stem) = file.strip_suffix(".policy") {
                let text = std::fs::read_to_string(&f).unwrap();
                let name = format!("{dir}/{file}");
                loader.add_policy(&name, &text);
                if format!("{dir}/{stem}") == *policy {
                    target = Some(Source { name: Arc::from(name.as_str()), bytes: Arc::from(text.as_bytes()) });
                }
            } else if file.ends_with(".source.txt") {
                loader.add_document(&file, &std::fs::read_to_string(&f).unwrap());
            }
        }
    }
    let src = target.expect("no such policy");
    let text = std::str::from_utf8(&src.bytes).unwrap();
    for _ in 0..n {
        match what.as_str() {
            "check" => {
                let checked = check_source(black_box(&src), &loader);
                assert!(checked.policy.is_some());
            }
            "parse" => assert!(black_box(policy_core::parse::parse(&src.name, black_box(text))).file.is_some()),
            "reference" => assert!(black_box(policy_core::parse::parse_reference(&src.name, black_box(text))).file.is_some()),
            other => panic!("`{other}`: check, parse or reference"),
        }
    }
}
