//! The compiled plan against the interpreter (the reference): every golden
//! case of every policy in `policies/` and `examples/`, each also with one
//! fact left out in turn, with the case's reference date and with none,
//! decided by a `Decider` (the compiled plan with the trace off, the
//! interpreter where it deoptimises) and by `Decider::decide_interpreted`:
//! the decisions must be equal, in their JSON too (amounts as strings,
//! where the scale shows), and the number of decisions the fast path took
//! is reported and checked, so that it cannot silently stop being used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use policy_core::loader::MemoryLoader;
use policy_eval::cases::CaseFile;
use policy_eval::decision::FailureKind;
use policy_eval::{DecideOptions, Engine, Facts, Plan, Status, TraceLevel};
use std::collections::BTreeMap;
use std::path::Path;

/// Decides with both paths and compares; returns whether the fast path decided.
fn differ(plan: &Plan, facts: &Facts, opts: &DecideOptions, what: &str) -> bool {
    let mut decider = plan.decider();
    let mut reference = plan.decider();
    let fast = decider.decide(facts, opts).cloned();
    let took = decider.decided_compiled();
    let slow = reference.decide_interpreted(facts, opts).cloned();
    assert!(!reference.decided_compiled(), "{what}: the reference took the fast path");
    match (fast, slow) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{what}: the compiled plan and the interpreter disagree");
            assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap(), "{what}: the JSON differs");
            for (x, y) in a.benefits.iter().zip(&b.benefits) {
                assert_eq!(x.amount.map(|d| d.to_string()), y.amount.map(|d| d.to_string()), "{what}: {} amount's scale", x.id);
            }
            // A decider reused after another decision gives the same.
            let again = decider.decide(facts, opts).unwrap();
            assert_eq!(again, &a, "{what}: a reused decider differs");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}: the errors differ"),
        (a, b) => panic!("{what}: {a:?}\nagainst the interpreter's\n{b:?}"),
    }
    took
}

/// Per policy: (decisions, decided by the compiled plan).
type Counts = BTreeMap<String, (usize, usize)>;

fn walk(root: &Path, counts: &mut Counts, must_be_fast: &[&str], fast_checked: &mut usize) {
    let engine = Engine::from_dir(root).unwrap();
    let mut files = Vec::new();
    support::case_files(root, &mut files);
    assert!(!files.is_empty(), "no case files under {}", root.display());
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
            for date in [case.as_of, None] {
                for (suffix, facts) in &sets {
                    let what = format!("{} {}{suffix} (as of {date:?})", cf.policy, case.name);
                    let opts = DecideOptions { reference_date: date, trace: TraceLevel::Off, ..Default::default() };
                    let took = differ(plan, facts, &opts, &what);
                    let c = counts.entry(cf.policy.clone()).or_default();
                    c.0 += 1;
                    c.1 += usize::from(took);
                    // One benefit at a time too.
                    for b in &plan.policy().benefits {
                        let one = DecideOptions { benefits: vec![b.id.to_string()], ..opts.clone() };
                        let took = differ(plan, facts, &one, &format!("{what} [{}]", b.id));
                        let c = counts.entry(format!("{} (one benefit at a time)", cf.policy)).or_default();
                        c.0 += 1;
                        c.1 += usize::from(took);
                    }
                    // The common case must go fast: each benefit of the case
                    // as written, at its date, with every fact it may read
                    // given, decided without an error, no row or no tier.
                    if suffix.is_empty() && date == case.as_of && must_be_fast.contains(&cf.policy.as_str()) {
                        for (b, reads) in policy_eval::diff::facts_read_by_benefit(plan.policy()) {
                            let given = reads.iter().all(|f| case.facts.get(f).is_some_and(|v| !v.is_null()));
                            let one = DecideOptions { benefits: vec![b.clone()], ..opts.clone() };
                            let d = plan.decide_reference(facts, &one).unwrap();
                            let common = d.benefits.iter().all(|b| {
                                b.status != Status::Undetermined
                                    && !b.failed.iter().any(|f| matches!(f.kind, FailureKind::NoRow | FailureKind::NoTier))
                            });
                            let mut decider = plan.decider();
                            decider.decide(facts, &one).unwrap();
                            if given && common {
                                assert!(decider.decided_compiled(), "{what} [{b}]: the common case did not take the fast path");
                                *fast_checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_compiled_plan_decides_every_golden_case_as_the_interpreter() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut counts = Counts::new();
    let mut checked = 0;
    walk(&here.join("../../policies"), &mut counts, &["jiaxing.digital_training_2021", "datong.big_data_training_2022"], &mut checked);
    walk(&here.join("../../examples"), &mut counts, &[], &mut checked);
    println!("{checked} golden benefit decisions of Jiaxing 2021 and Datong checked to take the fast path");
    assert!(checked >= 40, "only {checked} common cases checked for the fast path");
    let report: Vec<String> = counts.iter().map(|(p, (n, fast))| format!("{p}: {fast} of {n} decisions on the compiled plan")).collect();
    println!("{}", report.join("\n"));
    // Every policy's coverage, for the report.
    let engine = Engine::from_dir(here.join("../../policies")).unwrap();
    for id in engine.ids() {
        for (b, why) in engine.plan(id).unwrap().compiled_coverage() {
            println!("{id} {b}: {}", why.as_deref().unwrap_or("compiled"));
        }
    }
    for (p, (n, fast)) in &counts {
        // The examples' benefits report outputs or read other benefits'
        // amounts (not compiled); every bundled policy has compiled benefits.
        if p.ends_with("(one benefit at a time)") && !p.starts_with("example.") {
            assert!(*fast > 0, "{p}: none of {n} decisions took the compiled plan");
        }
    }
}

/// A policy no date can change (no in-force window, versions, dated
/// parameters or date expressions) decides without a reference date, on
/// both paths; one with an in-force window still needs the date.
#[test]
fn a_policy_that_cannot_depend_on_a_date_decides_without_one() {
    let policy = |header: &str| {
        format!(
            "policy demo.p \"示例\"\n{header}input days: int in 0 .. 365 \"天数\"\nbenefit b \"补贴\" {{\n  payee person\n  require days >= 3 \"不少于3天\"\n  amount days * 100 yuan\n  cap 1000 yuan\n}}\n"
        )
    };
    for (header, want) in [("", Status::Eligible), ("  in_force 2021-01-01 .. 2021-12-31\n", Status::Undetermined)] {
        let mut loader = MemoryLoader::new();
        loader.add_policy("demo.policy", &policy(header));
        let engine = Engine::from_loader(&loader).unwrap();
        let plan = engine.plan("demo.p").unwrap();
        let facts = plan.facts_from_str(r#"{"days": 12}"#).unwrap();
        let opts = DecideOptions::default();
        let reference = plan.decide_reference(&facts, &opts).unwrap();
        assert_eq!(reference.benefits[0].status, want, "{header}: {reference:?}");
        let mut decider = plan.decider();
        assert_eq!(decider.decide(&facts, &opts).unwrap(), &reference);
        assert_eq!(decider.decided_compiled(), want == Status::Eligible);
        if want == Status::Eligible {
            assert_eq!(reference.benefits[0].amount.map(|a| a.to_string()), Some("1000".into()));
            assert_eq!(reference.benefits[0].date, None);
            // The full trace says why no date was needed.
            let full = plan.decide(&facts, &DecideOptions { trace: TraceLevel::Full, ..opts.clone() }).unwrap();
            assert_eq!(full.benefits, reference.benefits);
            let text = policy_eval::render_text(&full);
            assert!(text.contains("none is needed"), "{text}");
        }
    }
}

/// One decider per policy decides every golden case after every other
/// (with each fact left out in turn, all benefits and each alone, with the
/// case's date and with none), the interpreter deciding into the same
/// decision now and then: each decision equals a fresh interpreter's. The
/// fast path refills the reused decision's lists in place and keeps the
/// entries it takes out for the next decisions (`compiled/run.rs`,
/// `refill`): this walks it across statuses, benefits, slots and a decision
/// last written by the interpreter.
#[test]
fn a_reused_decider_decides_every_case_as_a_fresh_interpreter() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut fast = 0usize;
    let mut total = 0usize;
    for root in ["../../policies", "../../examples"] {
        let root = here.join(root);
        let engine = Engine::from_dir(&root).unwrap();
        let mut files = Vec::new();
        support::case_files(&root, &mut files);
        for file in files {
            let cf = CaseFile::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let plan = engine.plan(&cf.policy).unwrap();
            let mut runs: Vec<(Facts, DecideOptions)> = Vec::new();
            for case in cf.cases.iter().filter(|c| c.parameters.is_none()) {
                let Some(all) = case.facts.as_object() else { continue };
                let mut sets = vec![case.facts.clone()];
                for left_out in all.keys() {
                    sets.push(serde_json::Value::Object(
                        all.iter().filter(|(k, _)| *k != left_out).map(|(k, v)| (k.clone(), v.clone())).collect(),
                    ));
                }
                for facts in sets.iter().filter_map(|f| plan.facts_from_json(f).ok()) {
                    for date in [case.as_of, None] {
                        let opts = DecideOptions { reference_date: date, trace: TraceLevel::Off, ..Default::default() };
                        for b in &plan.policy().benefits {
                            runs.push((facts.clone(), DecideOptions { benefits: vec![b.id.to_string()], ..opts.clone() }));
                        }
                        runs.push((facts.clone(), opts));
                    }
                }
            }
            let mut decider = plan.decider();
            // In order, then every other one backwards (other neighbours).
            let order = (0..runs.len()).chain((0..runs.len()).rev().step_by(2));
            for (n, k) in order.enumerate() {
                let (facts, opts) = &runs[k];
                let reference = plan.decide_reference(facts, opts);
                let got = if n % 7 == 6 { decider.decide_interpreted(facts, opts) } else { decider.decide(facts, opts) }.cloned();
                total += 1;
                fast += usize::from(decider.decided_compiled());
                match (got, reference) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{} run {k}: a reused decider differs from the interpreter", cf.policy),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("{} run {k}: {a:?}\nagainst the interpreter's\n{b:?}", cf.policy),
                }
            }
        }
    }
    println!("{fast} of {total} decisions of reused deciders on the compiled plan");
    assert!(fast * 4 > total, "only {fast} of {total} reused decisions took the compiled plan");
}

/// List literals (`[a, b, 10]`: in a condition's `in`, under an aggregate
/// and a quantifier, folded when they read no fact) decide on the compiled
/// plan as the interpreter decides them, facts missing or not.
#[test]
fn list_literals_decide_as_the_interpreter() {
    let src = "policy demo.l \"示例\"\n\
        input a: int in 0 .. 100 \"甲\"\n\
        input b: int in 0 .. 100 \"乙\"\n\
        benefit x \"补贴\" {\n  payee person\n  require a in [3, 5, b, 7] \"在列\"\n  \
        require any(v in [a, b] where v > 4) \"有大于4\"\n  \
        amount max(v for v in [a, b, 10]) * 10 yuan + sum(v for v in [1, 2, 3]) * 1 yuan\n}\n";
    let mut loader = MemoryLoader::new();
    loader.add_policy("demo.policy", src);
    let engine = Engine::from_loader(&loader).unwrap_or_else(|e| panic!("{e:?}"));
    let plan = engine.plan("demo.l").unwrap();
    assert!(plan.compiled_coverage().iter().all(|(_, why)| why.is_none()), "{:?}", plan.compiled_coverage());
    let mut decider = plan.decider();
    let mut fast = 0;
    let mut eligible = 0;
    for a in [None, Some(0), Some(3), Some(5), Some(6), Some(7), Some(40)] {
        for b in [None, Some(1), Some(3), Some(6), Some(40)] {
            let mut facts = serde_json::Map::new();
            if let Some(a) = a {
                facts.insert("a".into(), a.into());
            }
            if let Some(b) = b {
                facts.insert("b".into(), b.into());
            }
            let facts = plan.facts_from_json(&serde_json::Value::Object(facts)).unwrap();
            let opts = DecideOptions::default();
            let reference = plan.decide_reference(&facts, &opts).unwrap();
            let got = decider.decide(&facts, &opts).unwrap();
            assert_eq!(got, &reference, "a = {a:?}, b = {b:?}");
            fast += usize::from(decider.decided_compiled());
            eligible += usize::from(reference.benefits[0].status == Status::Eligible);
            if a.is_some() && b.is_some() {
                assert!(decider.decided_compiled(), "a = {a:?}, b = {b:?}: every fact given, the compiled plan decides");
            }
        }
    }
    assert!(eligible > 3 && fast >= 24, "{eligible} eligible, {fast} on the compiled plan");
}

/// `==`, `!=` and `in` on records and lists (record facts with a nested
/// record and a list field, lists of records, of money and of text, table
/// rows, list literals and `[]`) decide on the compiled plan as the
/// interpreter decides them: equal and unequal values, money at different
/// scales (equal by value), other enum variants and texts, and each fact
/// missing.
#[test]
fn records_and_lists_compare_as_the_interpreter() {
    let src = r#"policy demo.eq "示例"
enum level "等级" { junior "初级", senior "高级" }
record cert "证书" { level: level "等级", fee: money "费用", name: text "名称" }
record claim "补贴" { year: int "年度", cert: cert "证书", fees: list money "费用" }
table prices(level: level) -> (fee: money) "价目" { junior => 100 yuan
  senior => 200.00 yuan }
input a: claim "甲"
input b: claim "乙"
input xs: list cert "甲单"
input ys: list cert "乙单"
input ms: list money "金额"
input ns: list money "金额二"
input names: list text "名单"
benefit records "记录相同" {
  payee person
  require a == b "甲乙相同"
  amount if a.cert != b.cert { 50 yuan } else { 100 yuan }
}
benefit lists_of_records "记录单相同" {
  payee person
  require xs == ys "两单相同"
  require xs != [] "非空"
  amount 100 yuan
}
benefit lists_of_money "金额单" {
  payee person
  require ms != ns "金额不同"
  require ms == [100 yuan, b.cert.fee] or ns == a.fees "金额相符"
  amount 100 yuan
}
benefit members "在单" {
  payee person
  require a.cert in xs "甲在单"
  require any(x in ys where x == b.cert and x != a.cert) "乙证书在乙单"
  amount 100 yuan
}
benefit rows "价目" {
  payee person
  require prices[a.cert.level] != prices[b.cert.level] "价目不同"
  require [a.cert.level, b.cert.level] == [junior, senior] or names == ["张三"] "等级"
  amount 100 yuan
}
"#;
    let mut loader = MemoryLoader::new();
    loader.add_policy("demo.policy", src);
    let engine = Engine::from_loader(&loader).unwrap_or_else(|e| panic!("{e:?}"));
    let plan = engine.plan("demo.eq").unwrap();
    assert!(plan.compiled_coverage().iter().all(|(_, why)| why.is_none()), "{:?}", plan.compiled_coverage());
    let cert = |level: &str, fee: &str, name: &str| format!(r#"{{"level": "{level}", "fee": {fee}, "name": "{name}"}}"#);
    // Certificates: equal ones written at other scales, and ones differing
    // in one field each (an enum, a text, money).
    let certs = [
        cert("junior", "100", "甲"),
        cert("junior", "100.00", "甲"),
        cert("senior", "100", "甲"),
        cert("junior", "100", "乙"),
        cert("junior", "300", "甲"),
        cert("senior", "200.0", "乙"),
    ];
    let claim = |year: u32, cert: &str, fees: &str| format!(r#"{{"year": {year}, "cert": {cert}, "fees": [{fees}]}}"#);
    let claims = [
        claim(2021, &certs[0], "100"),
        claim(2021, &certs[1], "100.0"),
        claim(2022, &certs[0], "100"),
        claim(2021, &certs[2], "100"),
        claim(2021, &certs[3], "100"),
        claim(2021, &certs[4], "100"),
        claim(2021, &certs[0], "100, 200"),
        claim(2021, &certs[5], ""),
    ];
    let lists = [
        String::new(),
        certs[0].clone(),
        certs[1].clone(),
        format!("{}, {}", certs[0], certs[2]),
        format!("{}, {}", certs[2], certs[1]),
        format!("{}, {}", certs[1], certs[5]),
    ];
    let moneys = ["", "100", "100.00, 200", "100, 200.0", "200, 100", "100, 300"];
    let names = ["", r#""张三""#, r#""张三", "李四""#];
    let mut rng = support::Rng(18);
    let mut decider = plan.decider();
    let (mut total, mut fast, mut statuses) = (0usize, 0usize, BTreeMap::<String, usize>::new());
    for round in 0..600 {
        // Each fact given (one of its values) or, after the first rounds,
        // now and then left out.
        let mut fields = Vec::new();
        let mut all = true;
        let mut give = |name: &str, value: String, rng: &mut support::Rng| {
            if round >= 40 && rng.chance(1, 10) {
                all = false;
            } else {
                fields.push(format!(r#""{name}": {value}"#));
            }
        };
        give("a", rng.pick(&claims).clone(), &mut rng);
        give("b", rng.pick(&claims).clone(), &mut rng);
        give("xs", format!("[{}]", rng.pick(&lists)), &mut rng);
        give("ys", format!("[{}]", rng.pick(&lists)), &mut rng);
        give("ms", format!("[{}]", rng.pick(&moneys)), &mut rng);
        give("ns", format!("[{}]", rng.pick(&moneys)), &mut rng);
        give("names", format!("[{}]", rng.pick(&names)), &mut rng);
        let text = format!("{{{}}}", fields.join(", "));
        let facts = plan.facts_from_str(&text).unwrap();
        let opts = DecideOptions::default();
        let reference = plan.decide_reference(&facts, &opts).unwrap();
        let got = decider.decide(&facts, &opts).unwrap();
        assert_eq!(got, &reference, "{text}");
        total += 1;
        fast += usize::from(decider.decided_compiled());
        if all {
            assert!(decider.decided_compiled(), "{text}: every fact given, the compiled plan decides");
        }
        for b in &reference.benefits {
            *statuses.entry(format!("{} {:?}", b.id, b.status)).or_default() += 1;
        }
        // Each benefit alone too (`differ` also compares the JSON and a
        // reused decider).
        for b in &plan.policy().benefits {
            let one = DecideOptions { benefits: vec![b.id.to_string()], ..Default::default() };
            let took = differ(plan, &facts, &one, &format!("{text} [{}]", b.id));
            assert!(took || !all, "{text} [{}]: every fact given, the compiled plan decides", b.id);
        }
    }
    println!("{fast} of {total} decisions on the compiled plan; statuses {statuses:?}");
    // Every benefit eligible, ineligible and undetermined, each more than once.
    for b in &plan.policy().benefits {
        for status in [Status::Eligible, Status::Ineligible, Status::Undetermined] {
            let n = statuses.get(&format!("{} {status:?}", b.id)).copied().unwrap_or(0);
            assert!(n >= 3, "{} {status:?}: {n} decisions ({statuses:?})", b.id);
        }
    }
    assert!(fast * 2 > total, "only {fast} of {total} on the compiled plan");
}

/// A comparison that facts can make larger than the interpreter's step
/// budget (lists of records that hold lists: 100,000 elements of 100,000
/// each) is not compiled, and says so; the decision is the interpreter's.
#[test]
fn a_comparison_facts_can_make_too_large_is_interpreted() {
    let src = "policy demo.big \"示例\"\n\
        record payslip \"工资单\" { items: list money \"明细\" }\n\
        input xs: list payslip \"甲\"\n\
        input ys: list payslip \"乙\"\n\
        benefit b \"补贴\" {\n  payee person\n  require xs == ys \"相同\"\n  amount 100 yuan\n}\n\
        benefit c \"补贴二\" {\n  payee person\n  require any(x in xs where x.items == [100 yuan]) \"有\"\n  amount 100 yuan\n}\n\
        benefit d \"补贴三\" {\n  payee person\n  require xs != [] \"非空\"\n  amount 100 yuan\n}\n";
    let mut loader = MemoryLoader::new();
    loader.add_policy("demo.policy", src);
    let engine = Engine::from_loader(&loader).unwrap_or_else(|e| panic!("{e:?}"));
    let plan = engine.plan("demo.big").unwrap();
    // Each compares values holding lists inside a list: `xs != []` too
    // (the interpreter charges both values' whole weight, as for any `==`).
    for (b, why) in plan.compiled_coverage() {
        assert!(why.as_deref().is_some_and(|w| w.contains("steps")), "{b}: {why:?}");
    }
    for text in [r#"{"xs": [], "ys": []}"#, r#"{"xs": [{"items": [100]}], "ys": [{"items": ["100.00"]}]}"#, r#"{"xs": [{"items": [1]}]}"#] {
        let facts = plan.facts_from_str(text).unwrap();
        assert!(!differ(plan, &facts, &DecideOptions::default(), text));
    }
}
