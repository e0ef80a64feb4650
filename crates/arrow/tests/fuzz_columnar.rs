//! The `columnar` fuzz target's harness (`fuzz/src/columnar.rs`) as a
//! normal test, so `cargo test` needs no fuzzer: its committed seeds
//! (`fuzz/seeds/columnar/`), the corpus fuzzing grew (`fuzz/corpus/columnar/`)
//! and inputs from a fixed-seed generator, against every bundled policy the
//! kernels cover.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../../../fuzz/src/columnar.rs"]
mod columnar;

use policy_arrow::sample::SplitMix64;
use policy_eval::Engine;
use std::path::Path;

#[test]
fn the_columnar_harness_holds_on_seeds_and_generated_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let engine = Engine::from_dir(root.join("policies")).unwrap();
    let ids = columnar::covered(&engine);
    assert!(ids.iter().any(|i| i == "jiaxing.digital_training_2021"), "{ids:?}");
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut seeds: Vec<_> = std::fs::read_dir(root.join("fuzz/seeds/columnar")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!seeds.is_empty());
    if let Ok(dir) = std::fs::read_dir(root.join("fuzz/corpus/columnar")) {
        seeds.extend(dir.map(|e| e.unwrap().path()));
    }
    seeds.sort();
    for s in seeds {
        inputs.push(std::fs::read(s).unwrap());
    }
    let mut rng = SplitMix64::new(16);
    for i in 0..400u32 {
        let len = usize::try_from(rng.below(800)).unwrap();
        let mut bytes: Vec<u8> = (0..len).map(|_| u8::try_from(rng.below(256)).unwrap()).collect();
        if let Some(b) = bytes.first_mut() {
            *b = u8::try_from(i % 256).unwrap();
        }
        inputs.push(bytes);
    }
    let mut decided = 0;
    for data in &inputs {
        let Some((first, rest)) = data.split_first() else { continue };
        let plan = engine.plan(&ids[usize::from(*first) % ids.len()]).unwrap();
        decided += columnar::check(plan, rest);
    }
    assert!(decided > 100, "the kernels decided {decided} rows");
}
