//! The trace's event log against the tree built at once: every golden case
//! of every policy in `policies/` and `examples/`, each also with one fact
//! left out in turn, at the summary and full levels, with the case's date
//! and with none, all benefits and each alone. One `Decider` records every
//! decision with `decide_logged` (its buffers reused from one applicant to
//! the next, across policies' cases) and builds the trace with `trace()`;
//! it must equal the trace `Plan::decide` puts in the decision, and the
//! decision without its trace must be the same, and `Decider::write_json`
//! (the trace written straight from the log) must give serde's bytes for
//! the decision with that trace. After a decision with the trace off,
//! `trace()` is `None`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine, Facts, Plan, TraceLevel};
use std::path::Path;

fn compare(plan: &Plan, facts: &Facts, opts: &DecideOptions, what: &str) -> usize {
    let want = plan.decide(facts, opts);
    let mut decider = plan.decider();
    // A trace-off decision first: the log must not keep anything of it.
    let _ = decider.decide(facts, &DecideOptions { trace: TraceLevel::Off, ..opts.clone() });
    assert!(decider.trace().is_none(), "{what}: a trace after a decision without one");
    let got = decider.decide_logged(facts, opts).cloned();
    match (want, got) {
        (Ok(mut want), Ok(got)) => {
            assert!(got.trace.is_none(), "{what}: decide_logged built the tree");
            let trace = want.trace.take();
            assert_eq!(got, want, "{what}: the decision differs");
            let built = decider.trace();
            assert_eq!(built, trace, "{what}: the trace built from the log differs");
            assert_eq!(serde_json::to_string(&built).unwrap(), serde_json::to_string(&trace).unwrap(), "{what}: the trace's JSON differs");
            // Written straight from the log, the bytes serde writes for
            // the decision with the built trace.
            let mut whole = got.clone();
            whole.trace = built.clone();
            let mut direct = String::new();
            decider.write_json(&mut direct);
            assert_eq!(direct, serde_json::to_string(&whole).unwrap(), "{what}: the JSON written from the log differs");
            // Built twice, the same.
            assert_eq!(decider.trace(), built, "{what}: a second build differs");
            // And the tree from `decide` on the same decider.
            let direct = decider.decide(facts, opts).unwrap().trace.clone();
            assert_eq!(direct, built, "{what}: decide's trace on a reused decider differs");
            built.map_or(0, |t| t.benefits.len())
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{what}: the errors differ");
            0
        }
        (a, b) => panic!("{what}: {a:?}\nagainst the log's\n{b:?}"),
    }
}

fn walk(root: &Path) -> (usize, usize) {
    let engine = Engine::from_dir(root).unwrap();
    let mut files = Vec::new();
    support::case_files(root, &mut files);
    assert!(!files.is_empty(), "no case files under {}", root.display());
    let (mut decisions, mut roots) = (0, 0);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cf = CaseFile::parse(&text).unwrap();
        let base = engine.plan(&cf.policy).unwrap();
        for case in &cf.cases {
            let reformed;
            let plan: &Plan = match &case.parameters {
                Some(ps) => {
                    reformed = base.with_parameters(ps).unwrap();
                    &reformed
                }
                None => base,
            };
            let sets = support::fact_sets(plan, &case.facts);
            if sets.is_empty() {
                continue;
            }
            let ids: Vec<String> = plan.policy().benefits.iter().map(|b| b.id.to_string()).collect();
            let mut choices = vec![Vec::new()];
            if ids.len() > 1 {
                choices.extend(ids.iter().map(|id| vec![id.clone()]));
            }
            for level in [TraceLevel::Summary, TraceLevel::Full] {
                for date in [case.as_of, None] {
                    for (suffix, facts) in &sets {
                        for benefits in &choices {
                            let what = format!("{} {}{suffix} (as of {date:?}, {level:?}, {benefits:?})", cf.policy, case.name);
                            let opts = DecideOptions { reference_date: date, trace: level, benefits: benefits.clone() };
                            roots += compare(plan, facts, &opts, &what);
                            decisions += 1;
                        }
                    }
                }
            }
        }
    }
    (decisions, roots)
}

#[test]
fn the_log_builds_the_trace_decide_gives() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (a, ra) = walk(&root.join("policies"));
    let (b, rb) = walk(&root.join("examples"));
    eprintln!("{} decisions compared, {} benefit traces", a + b, ra + rb);
    assert!(a > 1000 && b > 50, "too few decisions compared: {a} and {b}");
    assert!(ra + rb > a + b, "too few traces built: {}", ra + rb);
}

/// One decider, reused across applicants of different shapes, keeps no
/// event of one decision in the next one's trace.
#[test]
fn a_reused_log_keeps_nothing_of_the_last_decision() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let full = r#"{"clock_hours": 24, "attendance": "85%", "has_certificate": true, "training_end": "2021-09-30",
                   "institution_district": "nanhu", "designated_institution": true, "enterprise_employee": true}"#;
    let small = r#"{"clock_hours": 3}"#;
    let opts = DecideOptions { trace: TraceLevel::Full, ..Default::default() };
    let mut decider = plan.decider();
    for facts in [full, small, full, small] {
        let facts = plan.facts_from_str(facts).unwrap();
        decider.decide_logged(&facts, &opts).unwrap();
        let want = plan.decide(&facts, &opts).unwrap().trace;
        assert_eq!(decider.trace(), want);
    }
}
