//! Many-benefit blow-ups from small inputs: input = copies byte + policy
//! text + NUL + facts JSON (see `policy_fuzz::many`). The policy's last
//! benefit is copied up to 511 times; the policy is checked and compiled
//! (within the compile budget) and the facts decided at every trace level
//! (within the per-decision budget): no panic, no hang (libFuzzer's
//! `-timeout`), identical decisions at every level. No reference-date
//! selector: the `application_date` fact decides, if declared.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_fuzz::many::{replicate_last_benefit, split};
use policy_fuzz::{decide_every_level, source, FuzzLoader};

fuzz_target!(|data: &[u8]| {
    let Some((copies, policy, facts)) = split(data) else { return };
    let Some(text) = replicate_last_benefit(policy, copies) else { return };
    let src = source(text.as_bytes());
    let loader = FuzzLoader::new(&src);
    let Ok(plan) = policy_eval::compile(&src, &loader) else { return };
    if let Ok(facts) = plan.facts_from_str(facts) {
        decide_every_level(&plan, &facts, None);
    }
    decide_every_level(&plan, &policy_eval::Facts::empty(&plan), None);
});
