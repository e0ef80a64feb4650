//! Amendments decide as written out by hand: an amended policy (the base
//! with an amendment's changes merged in) decides every applicant of a grid
//! exactly as a copy of the base edited by hand to say the same; the
//! inherited rules cite the base's document, the changed ones the
//! amendment's; and the example in docs/language.md runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::MemoryLoader;
use policy_eval::{DecideOptions, Engine, EvalError, TraceLevel};

const BASE: &str = r#"policy t.base "基础方案"
  document "基〔2020〕1号"
  in_force 2020-01-01 ..
clause "一" quote "年满18周岁"
clause "二" quote "课时达32"
input age: int in 0 .. 120 "年龄"
input hours: int in 0 .. 1000 "课时"
input veteran: bool "退役军人"
input day: date "申请日"
param rate: percent {
  from 2020-01-01 => 10%
  from 2023-01-01 => 15%
}
param base_amount: money {
  from 2020-01-01 => 1000 yuan
}
benefit grant "补贴" {
  dated_by day
  require adult: age >= 18 "年满18周岁" cite "一"
  require enough_hours: hours >= 32 "课时达32" cite "二"
  exclude too_old: age > 60 "超过60岁"
  amount tiers hours { >= 64 => base_amount * 2, >= 32 => base_amount } "按课时"
  uplift vet: rate when veteran "退役军人加成"
  cap 2500 yuan "最高2500元"
}
benefit other "其他" {
  dated_by day
  require older: age >= 30 "年满30周岁"
  amount 100 yuan
}
"#;

const AMENDMENT: &str = r#"policy t.amend "修订通知"
  amends t.base
  document "修〔2022〕2号"
clause "1" quote "年满16周岁"
input disabled: bool "残疾人"
amend param rate {
  from 2021-01-01 until 2021-06-30 => 12%
  from 2022-07-01 until 2022-12-31 => 20%
}
amend param base_amount {
  from 2024-01-01 => 1200 yuan
}
amend benefit grant {
  replace require adult: age >= 16 "年满16周岁" cite "1"
  repeal too_old
  replace cap 3000 yuan "最高3000元"
  override special: when disabled => 500 yuan "残疾人500元"
}
repeal benefit other
benefit extra "新增补贴" {
  dated_by day
  require fifty: age >= 50 "年满50周岁"
  amount 50 yuan
}
"#;

/// The same rules written out as one policy, by hand.
const HAND_MERGED: &str = r#"policy t.hand "手工合并"
  in_force 2020-01-01 ..
input age: int in 0 .. 120 "年龄"
input hours: int in 0 .. 1000 "课时"
input veteran: bool "退役军人"
input day: date "申请日"
input disabled: bool "残疾人"
param rate: percent {
  from 2020-01-01 until 2020-12-31 => 10%
  from 2021-01-01 until 2021-06-30 => 12%
  from 2021-07-01 until 2022-06-30 => 10%
  from 2022-07-01 until 2022-12-31 => 20%
  from 2023-01-01 => 15%
}
param base_amount: money {
  from 2020-01-01 => 1000 yuan
  from 2024-01-01 => 1200 yuan
}
benefit grant "补贴" {
  dated_by day
  require adult: age >= 16 "年满16周岁"
  require enough_hours: hours >= 32 "课时达32"
  amount tiers hours { >= 64 => base_amount * 2, >= 32 => base_amount } "按课时"
  uplift vet: rate when veteran "退役军人加成"
  cap 3000 yuan "最高3000元"
  override special: when disabled => 500 yuan "残疾人500元"
}
benefit extra "新增补贴" {
  dated_by day
  require fifty: age >= 50 "年满50周岁"
  amount 50 yuan
}
"#;

fn engine(files: &[(&str, &str)]) -> Engine {
    let mut loader = MemoryLoader::new();
    for (name, text) in files {
        loader.add_policy(name, text).expect("a policy header");
    }
    match Engine::from_loader(&loader) {
        Ok(e) => e,
        Err(EvalError::Policy { diagnostics, .. }) => {
            panic!("does not compile: {:#?}", diagnostics.iter().map(|d| (&d.code.id, &d.message)).collect::<Vec<_>>())
        }
        Err(e) => panic!("{e}"),
    }
}

/// Each benefit's decision as JSON, citations and trace left out (the hand
/// copy cites nothing).
fn outcome(e: &Engine, id: &str, facts: &str) -> Vec<serde_json::Value> {
    let opts = DecideOptions { trace: TraceLevel::Off, ..Default::default() };
    let d = e.decide_json(id, facts, &opts).unwrap();
    d.benefits
        .iter()
        .map(|b| {
            let mut v = serde_json::to_value(b).unwrap();
            strip_citations(&mut v);
            v
        })
        .collect()
}

fn strip_citations(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("citation");
            m.remove("cite");
            m.values_mut().for_each(strip_citations);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_citations),
        _ => {}
    }
}

#[test]
fn the_merged_policy_decides_as_the_hand_merged_copy() {
    let e = engine(&[("base.policy", BASE), ("amend.policy", AMENDMENT), ("hand.policy", HAND_MERGED)]);
    let days = [
        "2020-06-01",
        "2020-12-31",
        "2021-01-01",
        "2021-06-30",
        "2021-07-01",
        "2022-06-30",
        "2022-07-01",
        "2022-12-31",
        "2023-01-01",
        "2023-12-31",
        "2024-01-01",
        "2026-03-01",
    ];
    let mut compared = 0;
    for day in days {
        for age in [15, 16, 17, 18, 30, 50, 60, 61, 90] {
            for hours in [31, 32, 63, 64] {
                for veteran in [false, true] {
                    for disabled in [false, true] {
                        let facts =
                            format!(r#"{{"age": {age}, "hours": {hours}, "veteran": {veteran}, "disabled": {disabled}, "day": "{day}"}}"#);
                        let merged = outcome(&e, "t.amend", &facts);
                        let hand = outcome(&e, "t.hand", &facts);
                        assert_eq!(merged, hand, "facts {facts}");
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 12 * 9 * 4 * 2 * 2);
}

#[test]
fn the_amendment_changes_what_it_says() {
    let e = engine(&[("base.policy", BASE), ("amend.policy", AMENDMENT)]);
    let amount = |id: &str, facts: &str| {
        let d = e.decide_json(id, facts, &DecideOptions::default()).unwrap();
        d.benefits
            .iter()
            .map(|b| format!("{}={}", b.id, b.amount.map(policy_core::value::money_string).unwrap_or_else(|| b.status.as_str().into())))
            .collect::<Vec<_>>()
    };
    let facts = r#"{"age": 16, "hours": 64, "veteran": true, "day": "2022-08-01"}"#;
    // Base: 16 is not adult. Amendment: adult at 16; 2000 × 120% (rate 20% in 2022 H2) = 2400.
    assert_eq!(amount("t.base", facts), ["grant=ineligible", "other=ineligible"]);
    let facts = r#"{"age": 16, "hours": 64, "veteran": true, "disabled": false, "day": "2022-08-01"}"#;
    assert_eq!(amount("t.amend", facts), ["grant=2400.00", "extra=ineligible"]);
    // The exception the amendment adds, and the inherited rate after its temporary 20%.
    let facts = r#"{"age": 40, "hours": 64, "veteran": true, "disabled": true, "day": "2023-03-01"}"#;
    assert_eq!(amount("t.amend", facts), ["grant=500.00", "extra=ineligible"]);
    let facts = r#"{"age": 40, "hours": 64, "veteran": true, "disabled": false, "day": "2023-03-01"}"#;
    assert_eq!(amount("t.amend", facts), ["grant=2300.00", "extra=ineligible"]);
}

#[test]
fn inherited_rules_cite_the_base_and_changed_rules_the_amendment() {
    let e = engine(&[("base.policy", BASE), ("amend.policy", AMENDMENT)]);
    let opts = DecideOptions { trace: TraceLevel::Full, ..Default::default() };
    let d =
        e.decide_json("t.amend", r#"{"age": 40, "hours": 40, "veteran": false, "disabled": false, "day": "2022-08-01"}"#, &opts).unwrap();
    assert_eq!(d.policy.amends.as_deref(), Some("t.base"));
    let text = policy_eval::render_text(&d);
    let line =
        |id: &str| text.lines().find(|l| l.contains(&format!("require {id} "))).unwrap_or_else(|| panic!("{id} in\n{text}")).to_string();
    assert!(line("adult").ends_with("  1"), "the replaced rule cites the amendment's own clause: {}", line("adult"));
    assert!(line("enough_hours").ends_with("基〔2020〕1号 二"), "the inherited rule cites the base: {}", line("enough_hours"));
    assert!(text.contains("amends t.base"), "{text}");
    // Trace sources point into the file each rule was written in.
    let trace = serde_json::to_value(&d.trace).unwrap().to_string();
    assert!(trace.contains("base.policy") && trace.contains("amend.policy"), "{trace}");
}

/// The fenced `policy` blocks of docs/language.md's amendment section, and
/// the decisions its `json` blocks state.
#[test]
fn language_doc_amendment_example_runs() {
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md")).unwrap();
    let section = doc.split("\n## Amendments\n").nth(1).expect("an Amendments section").split("\n## ").next().unwrap();
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in section.lines() {
        match (&mut current, line.trim_start()) {
            (None, fence) if fence.starts_with("```") && fence.len() > 3 => current = Some((fence[3..].to_string(), String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, b)), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    let policies: Vec<&str> = blocks.iter().filter(|(k, b)| k == "policy" && b.starts_with("policy ")).map(|(_, b)| b.as_str()).collect();
    assert!(policies.len() >= 2, "the section shows a policy and its amendment");
    let files: Vec<(String, &str)> = policies.iter().enumerate().map(|(i, t)| (format!("doc{i}.policy"), *t)).collect();
    let e = engine(&files.iter().map(|(n, t)| (n.as_str(), *t)).collect::<Vec<_>>());
    let examples: Vec<serde_json::Value> =
        blocks.iter().filter(|(k, _)| k == "json").map(|(_, b)| serde_json::from_str(b).expect("a JSON example")).collect();
    assert!(!examples.is_empty(), "the section states a decision");
    for ex in examples {
        let id = ex["policy"].as_str().unwrap();
        let facts = ex["facts"].to_string();
        let opts = DecideOptions { reference_date: ex["as_of"].as_str().and_then(|d| d.parse().ok()), ..Default::default() };
        let d = e.decide_json(id, &facts, &opts).unwrap();
        for (benefit, want) in ex["expect"].as_object().unwrap() {
            let b = d.benefits.iter().find(|b| &*b.id == benefit.as_str()).unwrap();
            assert_eq!(b.status.as_str(), want["status"].as_str().unwrap(), "{id} {benefit}");
            if let Some(a) = want["amount"].as_str() {
                assert_eq!(b.amount.map(policy_core::value::money_string).as_deref(), Some(a), "{id} {benefit}");
            }
        }
    }
}

/// An amendment of an amendment: each rule still cites the document that
/// wrote it, and the changes of both apply.
const SECOND: &str = r#"policy t.amend2 "再修订通知"
  amends t.amend
  document "修〔2024〕3号"
clause "甲" quote "年满17周岁"
amend param rate {
  from 2025-01-01 => 25% cite "甲"
}
amend benefit grant {
  replace require adult: age >= 17 "年满17周岁" cite "甲"
  # A benefit with versions is not applicable on a day none covers, so the
  # earlier rule is kept by a version that adds nothing.
  from 2020-01-01 until 2025-05-31 {}
  from 2025-06-01 {
    require registered: hours >= 40 "课时达40"
  }
}
"#;

#[test]
fn a_chain_of_amendments_keeps_each_rule_with_its_document() {
    let e = engine(&[("base.policy", BASE), ("amend.policy", AMENDMENT), ("amend2.policy", SECOND)]);
    let opts = DecideOptions { trace: TraceLevel::Full, ..Default::default() };
    let decide = |facts: &str| e.decide_json("t.amend2", facts, &opts).unwrap();
    let d = decide(r#"{"age": 17, "hours": 40, "veteran": true, "disabled": false, "day": "2025-03-01"}"#);
    // 1200 (the first amendment's amount from 2024) × 125% (the second's rate from 2025) = 1500.
    assert_eq!(d.benefits[0].amount.map(policy_core::value::money_string).as_deref(), Some("1500.00"));
    let text = policy_eval::render_text(&d);
    let line = |id: &str| text.lines().find(|l| l.contains(&format!(" {id} "))).unwrap_or_else(|| panic!("{id} in\n{text}")).to_string();
    assert!(line("adult").ends_with("  甲"), "{}", line("adult"));
    assert!(line("enough_hours").ends_with("基〔2020〕1号 二"), "{}", line("enough_hours"));
    let sources = serde_json::to_value(&d.trace).unwrap().to_string();
    for f in ["base.policy", "amend.policy", "amend2.policy"] {
        assert!(sources.contains(f), "no rule from {f}: {sources}");
    }
    // 16 was adult under the first amendment, not under the second.
    let d = decide(r#"{"age": 16, "hours": 64, "veteran": false, "disabled": false, "day": "2025-03-01"}"#);
    assert_eq!(d.benefits[0].status.as_str(), "ineligible");
    // The dated version the second amendment adds.
    let d = decide(r#"{"age": 40, "hours": 36, "veteran": false, "disabled": false, "day": "2025-07-01"}"#);
    assert_eq!(d.benefits[0].status.as_str(), "ineligible");
    let d = decide(r#"{"age": 40, "hours": 36, "veteran": false, "disabled": false, "day": "2025-05-01"}"#);
    assert_eq!(d.benefits[0].amount.map(policy_core::value::money_string).as_deref(), Some("1200.00"));
}

mod dated_values {
    //! `amend param`: on every day the amended parameter has the amendment's
    //! value where one of its values is in force (settled as any
    //! parameter's), none after an open amendment value starts, and the
    //! inherited value everywhere else; checked on generated parameters by
    //! deciding a benefit that pays the parameter's value.
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    type Versions = Vec<(NaiveDate, Option<NaiveDate>, i64)>;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(n)
    }

    /// Disjoint periods: sorted starts, each open or ending before the next start.
    fn versions(max: usize) -> impl Strategy<Value = Versions> {
        prop::collection::btree_set(0i64..60, 1..=max)
            .prop_flat_map(|starts| {
                let starts: Vec<i64> = starts.into_iter().collect();
                let n = starts.len();
                (Just(starts), prop::collection::vec((any::<bool>(), 0i64..10, 1i64..1000), n))
            })
            .prop_map(|(starts, extra)| {
                starts
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| {
                        let (bounded, len, value) = extra[i];
                        let limit = starts.get(i + 1).map_or(s + 20, |n| n - 1);
                        let until = bounded.then(|| day((s + len).min(limit)));
                        (day(s), until, value)
                    })
                    .collect()
            })
    }

    /// The value in force on `t` among settled `vs` (an open value runs to
    /// the day before the next start).
    fn settled(vs: &Versions, t: NaiveDate) -> Option<i64> {
        let mut sorted = vs.clone();
        sorted.sort();
        sorted.iter().enumerate().find_map(|(i, (from, until, v))| {
            let end = until.or_else(|| sorted.get(i + 1).and_then(|n| n.0.pred_opt()));
            (*from <= t && end.is_none_or(|e| t <= e)).then_some(*v)
        })
    }

    fn expected(base: &Versions, own: &Versions, t: NaiveDate) -> Option<i64> {
        if let Some(v) = settled(own, t) {
            return Some(v);
        }
        if own.iter().any(|(from, until, _)| until.is_none() && *from <= t) {
            return None;
        }
        settled(base, t)
    }

    fn lines(vs: &Versions) -> String {
        vs.iter()
            .map(|(from, until, v)| match until {
                Some(u) => format!("  from {from} until {u} => {v}\n"),
                None => format!("  from {from} => {v}\n"),
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn amended_values_take_precedence_for_their_period(base in versions(4), own in versions(2)) {
            let base_text = format!(
                "policy p.base \"基\"\ninput day: date \"日\"\nparam rate: int {{\n{}}}\nbenefit b \"补贴\" {{\n  dated_by day\n  amount rate * 1 yuan\n}}\n",
                lines(&base)
            );
            let own_text = format!("policy p.amend \"修\"\n  amends p.base\namend param rate {{\n{}}}\n", lines(&own));
            let e = engine(&[("base.policy", &base_text), ("amend.policy", &own_text)]);
            for n in 0..90 {
                let t = day(n);
                let d = e.decide_json("p.amend", &format!(r#"{{"day": "{t}"}}"#), &DecideOptions::default()).unwrap();
                let got = d.benefits[0].amount.map(policy_core::value::money_string);
                let want = expected(&base, &own, t).map(|v| format!("{v}.00"));
                prop_assert_eq!(got, want, "day {}\n{}\n{}", t, base_text, own_text);
            }
        }
    }
}
