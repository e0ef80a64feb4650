//! Arbitrary bytes → a small population (any decimal scale, extremes,
//! nulls, invalid enum variants) for a bundled policy the column kernels
//! cover (first byte: which); the kernels and the row interpreter must give
//! the same decisions (`policy_fuzz::columnar`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_eval::Engine;
use policy_fuzz::columnar::{check, covered};
use policy_fuzz::policies_dir;
use std::sync::OnceLock;

fn engine() -> &'static (Engine, Vec<String>) {
    static ENGINE: OnceLock<(Engine, Vec<String>)> = OnceLock::new();
    ENGINE.get_or_init(|| match Engine::from_dir(policies_dir()) {
        Ok(e) => {
            let ids = covered(&e);
            assert!(!ids.is_empty(), "some bundled policy is covered by the kernels");
            (e, ids)
        }
        Err(e) => panic!("the bundled policies compile: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let (engine, ids) = engine();
    let Some((first, rest)) = data.split_first() else { return };
    let Some(plan) = ids.get(usize::from(*first) % ids.len()).and_then(|id| engine.plan(id)) else { return };
    check(plan, rest);
});
