//! Arbitrary JSON facts against every bundled policy: input = 2-byte
//! reference-date selector (see `policy_fuzz::split_date`) + facts JSON.
//! Facts decoding never panics, and its fast path (`facts/scan.rs`) gives
//! what the reference reader gives, facts or errors; deciding never panics
//! and gives the same decision at trace levels full, summary and off.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_eval::Engine;
use policy_fuzz::{decide_every_level, policies_dir, split_date};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| match Engine::from_dir(policies_dir()) {
        Ok(e) => e,
        Err(e) => panic!("the bundled policies compile: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    let (date, json) = split_date(data);
    let Ok(json) = std::str::from_utf8(json) else { return };
    for id in engine.ids() {
        let Some(plan) = engine.plan(id) else { continue };
        match (plan.facts_from_str(json), plan.facts_from_str_reference(json)) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{id}: the fast path read other facts"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{id}: the fast path gave other errors"),
            (a, b) => panic!("{id}: fast path {a:?}, reference {b:?}"),
        }
    }
    // Parse once; every plan decodes the same value.
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(_) => {
            if let Some(plan) = engine.ids().next().and_then(|id| engine.plan(id)) {
                assert!(plan.facts_from_str(json).is_err());
            }
            return;
        }
    };
    for id in engine.ids() {
        let Some(plan) = engine.plan(id) else { continue };
        match plan.facts_from_json(&value) {
            Ok(facts) => {
                decide_every_level(plan, &facts, date);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
