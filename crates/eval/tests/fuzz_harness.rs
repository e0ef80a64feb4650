//! The harness logic of the `eval_many_benefits` and `dir_loader` fuzz
//! targets as normal tests (cargo-fuzz needs a nightly-capable toolchain
//! and is not always installed): the shared modules of `fuzz/src/` are
//! compiled in here, run on the committed seeds (`fuzz/seeds/<target>/`)
//! and on inputs generated from a fixed-seed generator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../../../fuzz/src/many.rs"]
mod many;
#[cfg(unix)]
#[path = "../../../fuzz/src/tree.rs"]
mod tree;

use policy_core::loader::{Loader, MemoryLoader};
use policy_eval::{DecideOptions, TraceLevel};
use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

/// The target's body, with the fuzz crate's bundled-policy loader replaced
/// by a loader holding the policy alone.
fn many_benefits(data: &[u8]) -> Option<usize> {
    let (copies, policy, facts) = many::split(data)?;
    let text = many::replicate_last_benefit(policy, copies)?;
    let mut loader = MemoryLoader::new();
    let id = loader.add_policy("fuzz.policy", &text)?;
    let plan = policy_eval::compile(&loader.load_policy(&id).ok()?, &loader).ok()?;
    let facts = plan.facts_from_str(facts).ok()?;
    let decide = |trace| {
        let mut d = plan.decide(&facts, &DecideOptions { reference_date: "2024-06-01".parse().ok(), trace, ..Default::default() });
        if let Ok(d) = &mut d {
            d.trace = None;
        }
        d.map_err(|e| e.to_string())
    };
    let off = decide(TraceLevel::Off);
    assert_eq!(decide(TraceLevel::Full), off, "trace levels disagree");
    Some(off.ok()?.benefits.len())
}

#[test]
fn many_benefit_seeds_decide_within_the_decision_budget() {
    for seed in seeds("eval_many_benefits") {
        let data = std::fs::read(&seed).unwrap();
        let n = many_benefits(&data).unwrap_or_else(|| panic!("{}: the seed does not decide", seed.display()));
        assert_eq!(n, 1 + many::split(&data).unwrap().0, "{}", seed.display());
    }
}

#[test]
fn replicate_renames_each_copy() {
    let text = "policy p.q \"p\"\nbenefit b \"b\" {\n  payee person\n  amount 1 yuan\n}\n";
    let out = many::replicate_last_benefit(text, 3).unwrap();
    assert_eq!(out.matches("\nbenefit b").count(), 4);
    for k in 0..3 {
        assert!(out.contains(&format!("benefit b_{k} \"b\"")), "{out}");
    }
    assert!(many::replicate_last_benefit("policy p.q \"p\"\n", 3).is_none());
    assert_eq!(many::split(&[255, b'x']).unwrap().0, many::MAX_COPIES);
}

/// A small deterministic generator (xorshift), so the test needs no crate.
#[cfg(unix)]
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn dir_loader_seeds_and_generated_trees_stay_in_the_sandbox() {
    let mut indexed = 0;
    for seed in seeds("dir_loader") {
        let data = std::fs::read(&seed).unwrap();
        let s = tree::scratch().unwrap();
        tree::build(&s, &data);
        let (ids, problems) = tree::check(&s);
        indexed += ids;
        assert!(problems > 0, "{}: the seed's links, FIFO, socket and big file are problems", seed.display());
    }
    assert!(indexed > 0, "the seeds index policies");
    for i in 0..200 {
        let s = tree::scratch().unwrap();
        // Opcodes 0..8 only: FIFOs come from the seeds (mkfifo per input is slow).
        let data: Vec<u8> = bytes(i, 96).chunks(3).flat_map(|c| [c[0] % 9, *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)]).collect();
        tree::build(&s, &data);
        tree::check(&s);
    }
}
