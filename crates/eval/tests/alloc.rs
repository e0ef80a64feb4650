//! Heap allocations of one decision with the trace off, counted by a
//! counting global allocator (the `allocation-counter` crate: the workspace
//! forbids `unsafe`, and a `GlobalAlloc` impl is `unsafe`; it counts per
//! thread, so other tests running at the same time do not disturb the count).
//!
//! The target is zero; today a decision allocates. The bounds below are the
//! counts measured when this test was written, so any change that allocates
//! more fails here; `docs/performance.md` says where the allocations come
//! from and what would remove them. When a change allocates *less*, lower the
//! bound to the new count (the failure message of `prints_counts` shows it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::cases::CaseFile;
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

/// (golden case, status, most allocations per decision with the trace off).
const BOUNDS: [(&str, Status, u64); 5] = [
    ("clock_24_is_exactly_32_lessons", Status::Eligible, 18),
    ("clock_23_below_32", Status::Ineligible, 24),
    ("ended_2022_01_01_out_of_force", Status::NotApplicable, 27),
    ("county_jiashan_refers_only", Status::NotApplicable, 24),
    ("attendance_missing", Status::Undetermined, 21),
];

#[test]
fn allocations_per_decision_trace_off_jiaxing() {
    let (engine, cases) = jiaxing();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let mut report = Vec::new();
    let mut over = false;
    for (name, status, bound) in BOUNDS {
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
