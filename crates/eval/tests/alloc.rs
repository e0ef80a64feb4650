//! Heap allocations of one decision with the trace off, counted by a
//! counting global allocator (the `allocation-counter` crate: the workspace
//! forbids `unsafe`, and a `GlobalAlloc` impl is `unsafe`; it counts per
//! thread, so other tests running at the same time do not disturb the count).
//!
//! A [`policy_eval::Decider`] reuses its decision's vectors and the
//! interpreter's buffers, and a decision shares every name, label and
//! citation with the plan (`Arc<str>`): deciding with the trace off
//! allocates nothing, whatever the status, once the decider has decided an
//! applicant like it (the first decisions grow the buffers). A stop (a
//! missing fact, an error) is boxed, but its box and list of names are
//! recycled (`src/halt.rs`), so the missing-fact cases allocate nothing
//! either; the last tests count every bundled policy (`ALLOWED`: none).
//!
//! `Plan::decide` (one call, nothing reused) allocates the decision's vectors
//! and the buffers: a few allocations, bounded below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use policy_eval::cases::CaseFile;
use policy_eval::decision::FailureKind;
use policy_eval::{DecideOptions, Engine, Facts, Plan, Status, TraceLevel};
use std::hint::black_box;
use std::path::Path;

fn jiaxing() -> (Engine, CaseFile) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let text = std::fs::read_to_string(root.join("jiaxing/digital_training_2021.cases.json")).unwrap();
    (engine, serde_json::from_str(&text).unwrap())
}

/// Allocations of one `decide` (the decision dropped inside the count too),
/// after a warm-up decision of the same applicant.
fn count(plan: &Plan, facts: &Facts, opts: &DecideOptions) -> (u64, u64) {
    black_box(plan.decide(facts, opts).unwrap());
    let info = allocation_counter::measure(|| {
        black_box(plan.decide(black_box(facts), black_box(opts)).unwrap());
    });
    assert_eq!(info.count_current, 0, "a decision leaked");
    (info.count_total, info.bytes_total)
}

/// (golden case, status, most allocations of one `Plan::decide` with the
/// trace off, allocations of a `Decider::decide` after warm-up). The first
/// four go the compiled plan's way (the decision's vectors and the let
/// slots); the missing fact deoptimises, so the interpreter's buffers are
/// allocated after the compiled plan's let slots.
const BOUNDS: [(&str, Status, u64, u64); 5] = [
    ("clock_24_is_exactly_32_lessons", Status::Eligible, 2, 0),
    ("clock_23_below_32", Status::Ineligible, 3, 0),
    ("ended_2022_01_01_out_of_force", Status::NotApplicable, 3, 0),
    ("county_jiashan_refers_only", Status::NotApplicable, 3, 0),
    ("attendance_missing", Status::Undetermined, 5, 0),
];

/// Allocations of one `Decider::decide` after deciding every case once.
fn count_decider(decider: &mut policy_eval::Decider<'_>, facts: &Facts, opts: &DecideOptions) -> (u64, u64) {
    let info = allocation_counter::measure(|| {
        black_box(decider.decide(black_box(facts), black_box(opts)).unwrap());
    });
    (info.count_total, info.bytes_total)
}

#[test]
fn a_decider_allocates_nothing_with_the_trace_off() {
    let (engine, cases) = jiaxing();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let inputs: Vec<(&str, Status, u64, Facts, DecideOptions)> = BOUNDS
        .iter()
        .map(|&(name, status, _, bound)| {
            let case = cases.cases.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no golden case {name}"));
            let facts = plan.facts_from_json(&case.facts).unwrap();
            (name, status, bound, facts, DecideOptions { reference_date: case.as_of, trace: TraceLevel::Off, ..Default::default() })
        })
        .collect();
    let mut decider = plan.decider();
    // Warm up on every case, so the buffers have grown to their largest.
    for (name, status, _, facts, opts) in &inputs {
        assert_eq!(decider.decide(facts, opts).unwrap().benefits[0].status, *status, "{name}");
    }
    let mut report = Vec::new();
    let mut over = false;
    // Every case after every other: the reused decision held a different status before.
    for round in 0..2 {
        for (name, status, bound, facts, opts) in &inputs {
            let (n, bytes) = count_decider(&mut decider, facts, opts);
            assert_eq!(decider.decide(facts, opts).unwrap().benefits[0].status, *status);
            if round == 1 {
                report.push(format!("{name} ({status:?}): {n} allocations, {bytes} bytes (bound {bound})"));
            }
            over |= n > *bound;
        }
    }
    assert!(!over, "a decider allocates more than its bound:\n{}", report.join("\n"));
    // The reused decision is the one a fresh `decide` gives.
    for (name, _, _, facts, opts) in &inputs {
        assert_eq!(decider.decide(facts, opts).unwrap(), &plan.decide(facts, opts).unwrap(), "{name}");
    }
    println!("{}", report.join("\n"));
}

#[test]
fn allocations_per_decision_trace_off_jiaxing() {
    let (engine, cases) = jiaxing();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let mut report = Vec::new();
    let mut over = false;
    for (name, status, bound, _) in BOUNDS {
        let case = cases.cases.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no golden case {name}"));
        let facts = plan.facts_from_json(&case.facts).unwrap();
        let opts = DecideOptions { reference_date: case.as_of, trace: TraceLevel::Off, ..Default::default() };
        assert_eq!(plan.decide(&facts, &opts).unwrap().benefits[0].status, status, "{name}");
        let (n, bytes) = count(plan, &facts, &opts);
        report.push(format!("{name} ({status:?}): {n} allocations, {bytes} bytes (bound {bound})"));
        over |= n > bound;
    }
    assert!(!over, "a decision allocates more than its bound:\n{}", report.join("\n"));
    println!("{}", report.join("\n"));
}

/// Every bundled policy, every golden case (but those that change a
/// parameter) and, for each, the case with each of its facts left out in
/// turn (the missing-fact paths): one `Decider` per policy decides them all
/// twice to grow its buffers, then each is counted after a different one.
/// Counts per policy are printed (`-- --nocapture`); `ALLOWED` is what each
/// policy may allocate per decision at most (nothing).
#[test]
fn every_bundled_policy_allocates_nothing_with_the_trace_off() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let mut files = Vec::new();
    support::case_files(&root, &mut files);
    assert!(files.len() >= 6, "the bundled case files are missing");
    let mut report = Vec::new();
    let mut over = Vec::new();
    for file in files {
        let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let plan = engine.plan(&cases.policy).unwrap();
        let mut inputs: Vec<(String, Facts, DecideOptions)> = Vec::new();
        for case in cases.cases.iter().filter(|c| c.parameters.is_none()) {
            let opts = DecideOptions { reference_date: case.as_of, trace: TraceLevel::Off, ..Default::default() };
            let Ok(facts) = plan.facts_from_json(&case.facts) else { continue };
            inputs.push((case.name.clone(), facts, opts.clone()));
            let Some(all) = case.facts.as_object() else { continue };
            for left_out in all.keys() {
                let some: serde_json::Map<String, serde_json::Value> =
                    all.iter().filter(|(k, _)| *k != left_out).map(|(k, v)| (k.clone(), v.clone())).collect();
                if let Ok(facts) = plan.facts_from_json(&serde_json::Value::Object(some)) {
                    inputs.push((format!("{} without {left_out}", case.name), facts, opts.clone()));
                }
            }
        }
        let mut decider = plan.decider();
        for _ in 0..2 {
            for (_, facts, opts) in &inputs {
                decider.decide(facts, opts).unwrap();
            }
        }
        let (mut total, mut worst, mut worst_name, mut undetermined) = (0u64, 0u64, String::new(), 0usize);
        let (mut golden_worst, mut golden_name) = (0u64, String::new());
        let (mut decided_worst, mut decided_name) = (0u64, String::new());
        for (name, facts, opts) in &inputs {
            let (n, _) = count_decider(&mut decider, facts, opts);
            let d = decider.decide(facts, opts).unwrap();
            let open = d.benefits.iter().any(|b| b.status == Status::Undetermined);
            undetermined += usize::from(open);
            if !open && n > decided_worst {
                (decided_worst, decided_name) = (n, name.clone());
            }
            total += n;
            if n > worst {
                (worst, worst_name) = (n, name.clone());
            }
            if n > golden_worst && !name.contains(" without ") {
                (golden_worst, golden_name) = (n, name.clone());
            }
        }
        let allowed = ALLOWED.iter().find(|(p, _)| *p == cases.policy).map_or(0, |(_, n)| *n);
        report.push(format!(
            "{}: {} decisions ({undetermined} with a benefit undetermined), {total} allocations, at most {worst} ({worst_name}); golden cases as written at most {golden_worst} ({golden_name}); with no benefit undetermined at most {decided_worst} ({decided_name}); allowed {allowed}",
            cases.policy,
            inputs.len()
        ));
        if worst > allowed {
            over.push(cases.policy.clone());
        }
    }
    println!("{}", report.join("\n"));
    assert!(over.is_empty(), "allocating with the trace off: {over:?}\n{}", report.join("\n"));
}

/// What each policy may allocate per decision with the trace off, at most:
/// nothing, on every bundled policy, the missing-fact and refusal paths
/// included. Missing facts: their stops are recycled with their lists of
/// names (`src/halt.rs`), and the probes that name every fact a step needs
/// stop on a missing row, tier or date without spelling out why
/// (`Ctx::probing`). Errors: their text is written into parked strings, and
/// a reused decision parks its errors' (and outputs') text again. An outcome
/// that depends on missing facts lists them in a parked list. Text that
/// shows the applicant's values (a table's keys with no row, the subject no
/// tier matched, the date no rule version covers) is shared with the last
/// 32 such texts on the thread (`halt::shared_text`): an applicant whose
/// keys a recent one had allocates nothing; one with new keys allocates
/// their text once (here every input has been decided before it is counted).
const ALLOWED: &[(&str, u64)] = &[
    ("datong.big_data_training_2022", 0),
    ("hangzhou.skills_upgrading_2020", 0),
    ("jiaxing.digital_training_2021", 0),
    ("jiaxing.digital_training_2022_example", 0),
    ("jiaxing.skills_upgrading_2019", 0),
    ("jinhua.digital_engineer_2024", 0),
    ("zhejiang.digital_engineer_2023", 0),
];

/// Every decision the compiled plan makes allocates nothing once warm
/// (but the text of an output that is not a bool):
/// every bundled policy's golden cases, each with one fact left out, each
/// benefit alone and all together; each decision the fast path took is
/// counted (`Decider::decided_compiled`) and must allocate nothing. The
/// report says how many went through the interpreter, and why: benefits
/// never compiled (`Plan::compiled_coverage`), or a deopt at run time (a
/// missing fact, an error, no row or no tier).
#[test]
fn the_compiled_plan_allocates_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let mut files = Vec::new();
    support::case_files(&root, &mut files);
    let mut report = Vec::new();
    let mut allocating = Vec::new();
    for file in files {
        let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let plan = engine.plan(&cases.policy).unwrap();
        let mut inputs: Vec<(String, Facts, DecideOptions)> = Vec::new();
        for case in cases.cases.iter().filter(|c| c.parameters.is_none()) {
            let all = DecideOptions { reference_date: case.as_of, trace: TraceLevel::Off, ..Default::default() };
            let mut sets = Vec::new();
            if let Ok(facts) = plan.facts_from_json(&case.facts) {
                sets.push((case.name.clone(), facts));
            }
            if let Some(obj) = case.facts.as_object() {
                for left_out in obj.keys() {
                    let some: serde_json::Map<String, serde_json::Value> =
                        obj.iter().filter(|(k, _)| *k != left_out).map(|(k, v)| (k.clone(), v.clone())).collect();
                    if let Ok(facts) = plan.facts_from_json(&serde_json::Value::Object(some)) {
                        sets.push((format!("{} without {left_out}", case.name), facts));
                    }
                }
            }
            for (name, facts) in sets {
                inputs.push((name.clone(), facts.clone(), all.clone()));
                for b in &plan.policy().benefits {
                    inputs.push((
                        format!("{name} [{}]", b.id),
                        facts.clone(),
                        DecideOptions { benefits: vec![b.id.to_string()], ..all.clone() },
                    ));
                }
            }
        }
        // One decider per choice of benefits (all, or each alone), as a
        // service deciding one kind of request would keep.
        let (mut fast, mut slow) = (0usize, 0usize);
        let mut why: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        let mut choices: Vec<&Vec<String>> = Vec::new();
        for (_, _, o) in &inputs {
            if !choices.contains(&&o.benefits) {
                choices.push(&o.benefits);
            }
        }
        for choice in choices {
            let these: Vec<&(String, Facts, DecideOptions)> = inputs.iter().filter(|(_, _, o)| o.benefits == *choice).collect();
            let mut decider = plan.decider();
            for _ in 0..2 {
                for (_, facts, opts) in &these {
                    decider.decide(facts, opts).unwrap();
                }
            }
            for (name, facts, opts) in these {
                let (n, bytes) = count_decider(&mut decider, facts, opts);
                // An output other than a bool is text in the decision: one
                // allocation each (on either path).
                let texts = decider
                    .decide(facts, opts)
                    .unwrap()
                    .benefits
                    .iter()
                    .flat_map(|b| &b.outputs)
                    .filter(|o| matches!(o.value, policy_eval::OutputScalar::Text(_)))
                    .count() as u64;
                if decider.decided_compiled() {
                    fast += 1;
                    if n > texts {
                        allocating.push(format!("{}: {name}: {n} allocations, {bytes} bytes", cases.policy));
                    }
                } else {
                    slow += 1;
                    // Why the interpreter decided: what the decision holds
                    // that the compiled plan leaves to it.
                    let d = decider.decide(facts, opts).unwrap();
                    let coverage = plan.compiled_coverage();
                    let reason = if d.benefits.iter().any(|b| coverage.iter().any(|(id, w)| *id == b.id && w.is_some())) {
                        "a benefit not compiled"
                    } else if d.benefits.iter().any(|b| !b.missing.is_empty()) {
                        "a missing fact"
                    } else if d.benefits.iter().any(|b| !b.errors.is_empty()) {
                        "an evaluation error"
                    } else if d
                        .benefits
                        .iter()
                        .flat_map(|b| &b.failed)
                        .any(|f| matches!(f.kind, FailureKind::NoRow | FailureKind::NoTier | FailureKind::NoVersion))
                    {
                        "no row, no tier or no version"
                    } else if d.benefits.iter().any(|b| b.amount_range.is_some()) {
                        "an amount range"
                    } else {
                        "a fact not given but not needed (a failure decided first, or an outcome depending on it)"
                    };
                    *why.entry(reason).or_default() += 1;
                }
            }
        }
        let never: Vec<String> = plan.compiled_coverage().into_iter().filter_map(|(b, why)| why.map(|w| format!("{b} ({w})"))).collect();
        report.push(format!(
            "{}: {fast} decisions on the compiled plan, {slow} through the interpreter ({why:?}); benefits never compiled: {}",
            cases.policy,
            if never.is_empty() { "none".to_string() } else { never.join(", ") }
        ));
        assert!(fast > 0, "{}: no decision took the compiled plan", cases.policy);
    }
    println!("{}", report.join("\n"));
    assert!(allocating.is_empty(), "the compiled plan allocated:\n{}", allocating.join("\n"));
}
