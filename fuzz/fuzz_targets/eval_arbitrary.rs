//! An arbitrary policy and arbitrary facts: input = 2-byte reference-date
//! selector + policy text + NUL + facts JSON. The policy is checked and
//! compiled (bundled policies available to `use`); when it compiles, the
//! facts are decoded and decided at every trace level, and the decisions
//! must be identical; with the trace off the compiled plan decides where it
//! can, and its decision must be the interpreter's (`Plan::decide_reference`,
//! asserted in `decide_every_level`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_fuzz::{decide_every_level, source, split_date, FuzzLoader};

fuzz_target!(|data: &[u8]| {
    let (date, rest) = split_date(data);
    let (policy, facts) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b"{}"[..]),
    };
    let src = source(policy);
    let loader = FuzzLoader::new(&src);
    let plan = match policy_eval::compile(&src, &loader) {
        Ok(plan) => plan,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = plan.warnings().len();
    let Ok(facts_text) = std::str::from_utf8(facts) else { return };
    match plan.facts_from_str(facts_text) {
        Ok(facts) => {
            decide_every_level(&plan, &facts, date);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    // Defaults only (no facts supplied) must decide too.
    decide_every_level(&plan, &policy_eval::Facts::empty(&plan), date);
});
