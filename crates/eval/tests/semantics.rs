//! Evaluator semantics, one construct or status per test, on small policies
//! held in memory. `decide(policy, facts, as_of)` is the one helper.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::MemoryLoader;
use policy_eval::{BenefitDecision, DecideOptions, Engine, EvalError, Status, TraceLevel};

const HEADER: &str = "policy t.p \"测试\"\n  document \"测〔2024〕1号\"\n  in_force 2021-01-01 .. 2025-12-31\n";

fn engine(body: &str) -> Engine {
    let mut loader = MemoryLoader::new();
    loader.add_policy("t.policy", &format!("{HEADER}{body}"));
    match Engine::from_loader(&loader) {
        Ok(e) => e,
        Err(EvalError::Policy { diagnostics, .. }) => {
            panic!("policy does not compile: {:#?}", diagnostics.iter().map(|d| (&d.code.id, &d.message)).collect::<Vec<_>>())
        }
        Err(e) => panic!("{e}"),
    }
}

fn decide(body: &str, facts: &str, as_of: &str) -> Vec<BenefitDecision> {
    let e = engine(body);
    let opts = DecideOptions { reference_date: as_of.parse().ok(), trace: TraceLevel::Full, ..Default::default() };
    e.decide_json("t.p", facts, &opts).unwrap().benefits
}

fn one(body: &str, facts: &str, as_of: &str) -> BenefitDecision {
    decide(body, facts, as_of).into_iter().next().unwrap()
}

fn amount(b: &BenefitDecision) -> String {
    b.amount.map(policy_core::value::money_string).unwrap_or_else(|| format!("{:?}", b.status))
}

const TIERS: &str = r#"
unit clock_hour "小时"
unit lesson_hour "课时"
convert 3 clock_hour = 4 lesson_hour
input hours: clock_hour in 0 clock_hour .. "小时"
input attendance: percent in 0% .. 100% "出勤率"
let lessons = hours as lesson_hour
benefit b "补贴" {
  require enough: lessons >= 32 lesson_hour "达32课时"
  exclude low: attendance <= 70% "出勤率低于70%（含）"
  amount tiers lessons { >= 48 lesson_hour => 1200 yuan, >= 40 lesson_hour => 1000 yuan, >= 32 lesson_hour => 800 yuan }
}
"#;

#[test]
fn tiers_and_exact_unit_conversion() {
    let at = |h: &str| amount(&one(TIERS, &format!(r#"{{"hours": {h}, "attendance": "90%"}}"#), "2021-06-01"));
    assert_eq!(at("24"), "800.00"); // exactly 32 lesson hours
    assert_eq!(at("25"), "800.00"); // 33.33… reaches the 32 tier
    assert_eq!(at("30"), "1000.00");
    assert_eq!(at("36"), "1200.00");
    assert_eq!(one(TIERS, r#"{"hours": 23.9, "attendance": "90%"}"#, "2021-06-01").status, Status::Ineligible);
}

#[test]
fn boundaries_follow_the_words() {
    let b = one(TIERS, r#"{"hours": 30, "attendance": "70%"}"#, "2021-06-01");
    assert_eq!((b.status, &*b.failed[0].id), (Status::Ineligible, "low"));
    assert_eq!(one(TIERS, r#"{"hours": 30, "attendance": "70.01%"}"#, "2021-06-01").status, Status::Eligible);
}

#[test]
fn every_failed_condition_is_listed() {
    let b = one(TIERS, r#"{"hours": 3, "attendance": "10%"}"#, "2021-06-01");
    let ids: Vec<_> = b.failed.iter().map(|f| &*f.id).collect();
    assert_eq!(ids, ["enough", "low"]);
}

#[test]
fn missing_facts_make_only_dependent_benefits_undetermined() {
    let body = format!("{TIERS}\ninput other: bool \"其他\"\nbenefit c \"其他补贴\" {{\n  require other \"x\"\n  amount 10 yuan\n}}\n");
    let all = decide(&body, r#"{"other": true}"#, "2021-06-01");
    assert_eq!(all[0].status, Status::Undetermined);
    assert_eq!(all[0].missing.iter().map(|m| &**m).collect::<Vec<_>>(), ["hours", "attendance"]);
    assert_eq!(all[1].status, Status::Eligible);
}

#[test]
fn a_decisive_failure_beats_a_missing_fact() {
    let b = one(TIERS, r#"{"attendance": "50%"}"#, "2021-06-01");
    assert_eq!(b.status, Status::Ineligible);
}

#[test]
fn three_valued_logic() {
    let body = "input a: bool \"a\"\ninput b: bool \"b\"\nbenefit x \"x\" {\n  require a and b \"both\"\n  amount 1 yuan\n}\nbenefit y \"y\" {\n  require a or b \"either\"\n  amount 1 yuan\n}\n";
    let r = decide(body, r#"{"a": false}"#, "2021-06-01");
    assert_eq!(r[0].status, Status::Ineligible); // false and ? = false
    assert_eq!(r[1].status, Status::Undetermined); // false or ? = ?
    let r = decide(body, r#"{"a": true}"#, "2021-06-01");
    assert_eq!(r[0].status, Status::Undetermined);
    assert_eq!(r[1].status, Status::Eligible); // true or ? = true
}

const SCHEDULE: &str = r#"
input days: int in 0 .. "天数"
input rate: percent in 0% .. 100% "就业率"
benefit b "补贴" {
  amount scale days { first 10 at 150 yuan, then at 100 yuan }
  cap 4000 yuan
  override low: when rate < 80% => min(amount, 1000 yuan) "就业率不足"
}
"#;

#[test]
fn per_day_schedule_cap_and_exception() {
    let at = |d: u32, r: &str| amount(&one(SCHEDULE, &format!(r#"{{"days": {d}, "rate": "{r}"}}"#), "2021-06-01"));
    assert_eq!(at(10, "90%"), "1500.00");
    assert_eq!(at(11, "90%"), "1600.00");
    assert_eq!(at(35, "90%"), "4000.00");
    assert_eq!(at(36, "90%"), "4000.00");
    assert_eq!(at(36, "80%"), "4000.00");
    assert_eq!(at(36, "79.99%"), "1000.00");
    assert_eq!(at(5, "10%"), "750.00");
}

#[test]
fn uplift_until_its_last_day() {
    let body = "input d: date \"培训日期\"\ninput friction: bool \"经贸摩擦\"\nbenefit b \"补贴\" {\n  dated_by d\n  amount 1000 yuan\n  uplift 30% when friction until 2021-12-31 \"上浮30%\"\n}\n";
    let at = |d: &str| amount(&one(body, &format!(r#"{{"d": "{d}", "friction": true}}"#), "2021-06-01"));
    assert_eq!(at("2021-12-31"), "1300.00");
    assert_eq!(at("2022-01-01"), "1000.00");
}

#[test]
fn in_force_window_and_rule_versions() {
    let body =
        "input issued: date \"发证日期\"\nbenefit b \"鉴定补贴\" {\n  dated_by issued\n  from 2022-01-01 {\n    amount 120 yuan\n  }\n}\n";
    let at = |d: &str| one(body, &format!(r#"{{"issued": "{d}"}}"#), "2023-01-01");
    assert_eq!(at("2021-12-31").status, Status::NotApplicable);
    assert_eq!(amount(&at("2022-01-01")), "120.00");
    assert_eq!(at("2026-01-01").status, Status::NotApplicable); // after in_force
    assert_eq!(&*at("2020-12-31").failed[0].id, "in_force");
}

#[test]
fn dated_parameters_pick_by_the_benefits_date() {
    let body = "param standard: money \"标准\" {\n  from 2021-01-01 => 800 yuan\n  from 2022-07-01 => 1000 yuan\n}\nbenefit b \"补贴\" {\n  amount standard\n}\n";
    assert_eq!(amount(&one(body, "{}", "2022-06-30")), "800.00");
    assert_eq!(amount(&one(body, "{}", "2022-07-01")), "1000.00");
}

#[test]
fn month_arithmetic_at_month_ends_and_leap_days() {
    let body = "input issued: date \"发证\"\ninput applied: date \"申请\"\nbenefit b \"补贴\" {\n  require applied <= issued + 12 months \"12个月内\"\n  amount 1 yuan\n  deadline \"申请期限\" issued + 12 months\n}\n";
    let at = |i: &str, a: &str| one(body, &format!(r#"{{"issued": "{i}", "applied": "{a}"}}"#), "2024-06-01");
    let b = at("2024-02-29", "2025-02-28");
    assert_eq!(b.status, Status::Eligible);
    assert_eq!(b.deadlines[0].date.to_string(), "2025-02-28");
    assert_eq!(at("2024-02-29", "2025-03-01").status, Status::Ineligible);
    assert_eq!(at("2024-01-31", "2025-01-31").status, Status::Eligible);
    let body2 = "input d: date \"d\"\nlet following = d + 1 month\nbenefit b \"b\" {\n  require following == 2024-02-29 \"x\"\n  amount 1 yuan\n}\n";
    assert_eq!(one(body2, r#"{"d": "2024-01-31"}"#, "2024-06-01").status, Status::Eligible);
}

#[test]
fn age_in_full_years_on_leap_birthdays() {
    let body = "input birth: date \"出生\"\ninput applied: date \"申请\"\nbenefit b \"补贴\" {\n  exclude young: age(birth, applied) < 16 \"未满十六周岁\"\n  amount 1 yuan\n}\n";
    let at = |b: &str, a: &str| one(body, &format!(r#"{{"birth": "{b}", "applied": "{a}"}}"#), "2024-06-01").status;
    assert_eq!(at("2008-02-29", "2024-02-28"), Status::Ineligible);
    assert_eq!(at("2008-02-29", "2024-02-29"), Status::Eligible);
    assert_eq!(at("2008-05-10", "2024-05-09"), Status::Ineligible);
    assert_eq!(at("2008-05-10", "2024-05-10"), Status::Eligible);
}

#[test]
fn frequency_limits_from_history() {
    let body = "enum level { junior, senior }\nrecord claim { year: int, occupation: text, level: level }\ninput history: list claim default [] \"历史\"\ninput occupation: text \"职业\"\ninput lvl: level \"等级\"\ninput year: int \"年度\"\nbenefit b \"补贴\" {\n  exclude too_many: count(c in history where c.year == year) >= 3 \"每年不超过3次\"\n  exclude repeat: any(c in history where c.occupation == occupation and c.level == lvl) \"同一职业同一等级不可重复\"\n  amount 1 yuan\n}\n";
    let claim = |y: u32, o: &str| format!(r#"{{"year": {y}, "occupation": "{o}", "level": "junior"}}"#);
    let facts = |h: Vec<String>| format!(r#"{{"history": [{}], "occupation": "电工", "lvl": "senior", "year": 2021}}"#, h.join(","));
    assert_eq!(one(body, &facts(vec![claim(2021, "a"), claim(2021, "b")]), "2021-06-01").status, Status::Eligible);
    let b = one(body, &facts(vec![claim(2021, "a"), claim(2021, "b"), claim(2021, "c")]), "2021-06-01");
    assert_eq!(&*b.failed[0].id, "too_many");
    assert_eq!(one(body, &facts(vec![claim(2020, "a"), claim(2020, "b"), claim(2020, "c")]), "2021-06-01").status, Status::Eligible);
    let same =
        r#"{"history": [{"year": 2019, "occupation": "电工", "level": "senior"}], "occupation": "电工", "lvl": "senior", "year": 2021}"#;
    assert_eq!(&*one(body, same, "2021-06-01").failed[0].id, "repeat");
}

#[test]
fn table_lookup_and_no_row() {
    let body = "enum level { junior, intermediate, senior }\ntable t(level: level) -> (amount: money) {\n  junior => 400 yuan\n  intermediate => 600 yuan\n}\ninput lvl: level \"等级\"\nbenefit b \"补贴\" {\n  amount t[lvl].amount\n}\n";
    assert_eq!(amount(&one(body, r#"{"lvl": "intermediate"}"#, "2021-06-01")), "600.00");
    let b = one(body, r#"{"lvl": "senior"}"#, "2021-06-01");
    assert_eq!(b.status, Status::Ineligible);
    assert_eq!(&*b.failed[0].id, "no_row:t");
}

#[test]
fn authority_set_amounts_are_ranges_until_given() {
    let body = "external figure: money in 4000 yuan .. 10000 yuan \"企业补贴\" set_by \"人社部门\" criteria \"产业急需程度\", \"学徒类型\"\nbenefit b \"学徒补贴\" {\n  amount figure\n  per year\n}\n";
    let b = one(body, "{}", "2021-06-01");
    assert_eq!(b.status, Status::Eligible);
    let r = b.amount_range.clone().unwrap();
    assert_eq!((r.low.to_string(), r.high.to_string()), ("4000".into(), "10000".into()));
    assert_eq!(r.criteria.iter().map(|c| &**c).collect::<Vec<_>>(), ["产业急需程度", "学徒类型"]);
    // Money is money in JSON too: the bounds are money strings, as an amount is.
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["amount_range"]["low"], "4000.00", "{json}");
    assert_eq!(json["amount_range"]["high"], "10000.00", "{json}");
    assert_eq!(b.period.as_deref(), Some("year"));
    assert_eq!(amount(&one(body, r#"{"figure": "5000"}"#, "2021-06-01")), "5000.00");
    let e = engine(body);
    let err = e.decide_json("t.p", r#"{"figure": "12000"}"#, &DecideOptions::default()).unwrap_err();
    assert!(err.to_string().contains("figure"), "{err}");
}

#[test]
fn instrument_defined_externals_are_undetermined_when_absent() {
    let body =
        "external junior_standard: money \"初级工标准\" defined_in \"补贴目录\"\nbenefit b \"补贴\" {\n  amount junior_standard\n}\n";
    let b = one(body, "{}", "2021-06-01");
    assert_eq!((b.status, b.missing.clone()), (Status::Undetermined, vec![std::sync::Arc::<str>::from("junior_standard")]));
}

#[test]
fn overflow_and_division_by_zero_are_errors_not_panics() {
    let body = "input x: decimal \"x\"\ninput y: decimal \"y\"\nbenefit b \"b\" {\n  amount x * y * 1 yuan\n}\nbenefit c \"c\" {\n  amount x / y * 1 yuan\n}\n";
    // The largest fact accepted (28 digits, docs/trace.md, Facts).
    let r = decide(body, r#"{"x": "9999999999999999999999999999", "y": "0"}"#, "2021-06-01");
    assert_eq!(r[0].status, Status::Eligible);
    assert_eq!(r[1].status, Status::Undetermined);
    assert!(r[1].errors[0].contains("division by zero"));
    let r = decide(body, r#"{"x": "9999999999999999999999999999", "y": "10"}"#, "2021-06-01");
    assert_eq!(r[0].status, Status::Undetermined);
    assert!(r[0].errors[0].contains("overflow"));
}

#[test]
fn outcomes_entitlements_documents() {
    let body = "enum level { junior, intermediate }\ninput lvl: level \"等级\"\ninput insured: bool \"参保\"\nbenefit b \"职称\" {\n  entitle \"助理工程师\" when lvl == junior\n  entitle \"工程师\" when lvl == intermediate\n  needs \"户籍材料\" when not insured\n}\n";
    let b = one(body, r#"{"lvl": "junior", "insured": false}"#, "2021-06-01");
    assert_eq!(b.entitlements.iter().map(|e| &*e.label).collect::<Vec<_>>(), ["助理工程师"]);
    assert_eq!(&*b.documents[0].label, "户籍材料");
    assert_eq!(b.amount, None);
}

#[test]
fn not_applicable_is_not_ineligible() {
    let body = "input local: bool \"本地\"\ninput ok: bool \"ok\"\nbenefit b \"b\" {\n  applies_when local \"本地\"\n  require ok \"ok\"\n  amount 1 yuan\n}\n";
    let b = one(body, r#"{"local": false, "ok": false}"#, "2021-06-01");
    assert_eq!(b.status, Status::NotApplicable);
    assert_eq!(b.failed.len(), 1);
}

#[test]
fn facts_are_validated() {
    let e = engine(TIERS);
    let err = e.decide_json("t.p", r#"{"hours": "many", "attendance": "120%", "hourz": 3}"#, &DecideOptions::default()).unwrap_err();
    let EvalError::Facts(errors) = err else { panic!("expected fact errors") };
    let facts: Vec<_> = errors.iter().map(|e| e.fact.as_str()).collect();
    // In the order the facts are written.
    assert_eq!(facts, ["hours", "attendance", "hourz"]);
    assert!(errors[1].expected.contains("100%"), "{}", errors[1].expected);
    assert!(errors[2].expected.contains("did you mean `hours`"), "{}", errors[2].expected);
}

#[test]
fn typed_builder() {
    let e = engine(TIERS);
    let plan = e.plan("t.p").unwrap();
    let facts = plan.facts().set("hours", rust_decimal::Decimal::from(36)).set("attendance", "95%").build().unwrap();
    let d = plan.decide(&facts, &DecideOptions { reference_date: "2021-06-01".parse().ok(), ..Default::default() }).unwrap();
    assert_eq!(amount(&d.benefits[0]), "1200.00");
}

#[test]
fn decision_round_trips_through_json_with_money_as_strings() {
    let e = engine(SCHEDULE);
    let opts = DecideOptions { reference_date: "2021-06-01".parse().ok(), trace: TraceLevel::Full, ..Default::default() };
    let d = e.decide_json("t.p", r#"{"days": 12, "rate": "90%"}"#, &opts).unwrap();
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""amount":"1700.00""#), "{json}");
    let back: policy_eval::Decision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}

#[test]
fn failing_assertions_stop_compilation() {
    let mut loader = MemoryLoader::new();
    loader.add_policy("t.policy", &format!("{HEADER}table q(region: text) -> (n: int) {{\n  \"a\" => 1\n  \"b\" => 2\n}}\nassert total: sum(r.n for r in q) == 4 \"合计\"\n"));
    let err = Engine::from_loader(&loader).unwrap_err();
    let EvalError::Policy { diagnostics, .. } = err else { panic!() };
    assert_eq!(diagnostics[0].code.id, "R305");
    assert!(diagnostics[0].label.as_deref().unwrap_or("").contains("left side is 3, right side is 4"));
}

#[test]
fn long_let_chains_do_not_deepen_the_stack() {
    let mut body = String::from("input x: int \"x\"\nlet v0 = x\n");
    for i in 1..2000 {
        body.push_str(&format!("let v{i} = v{} + 1\n", i - 1));
    }
    body.push_str("benefit b \"b\" {\n  require v1999 > 0 \"positive\"\n  amount v1999 * 1 yuan\n}\n");
    let b =
        std::thread::Builder::new().stack_size(256 * 1024).spawn(move || one(&body, r#"{"x": 1}"#, "2021-06-01")).unwrap().join().unwrap();
    assert_eq!(amount(&b), "2000.00");
}

#[test]
fn deepest_accepted_expressions_fit_a_small_stack() {
    let depth = policy_core::limits::MAX_NESTING - 2;
    let parens = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
    let nots = "not ".repeat(policy_core::limits::MAX_EXPR_DEPTH - 4);
    let body = format!(
        "input x: int \"x\"\ninput f: bool \"f\"\nbenefit b \"b\" {{\n  require {nots}f \"nots\"\n  amount {parens} * 1 yuan\n}}\n"
    );
    let b = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || one(&body, r#"{"x": 7, "f": true}"#, "2021-06-01"))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(amount(&b), "7.00");
}

const DATED: &str = r#"
enum category "类别" { a "甲", b "乙" }
input kind: category "类别"
input ended: date "结束日期"
input hours: int "课时"
param rate: money "标准" {
  from 2021-01-01 => 100 yuan
}
benefit plain "补贴" {
  dated_by ended
  applies_when is_a: kind == a "甲类" cite "一"
  require enough: hours >= 32 "达32课时"
  amount 800 yuan
}
benefit priced "按标准补贴" {
  dated_by ended
  applies_when priced_a: kind == a and rate > 50 yuan "甲类且标准高于50元"
  amount rate
}
"#;

#[test]
fn scope_decides_without_the_date() {
    // Out of scope whatever the date: not applicable, not undetermined.
    let b = one(DATED, r#"{"kind": "b", "hours": 40}"#, "2022-01-01");
    assert_eq!(b.status, Status::NotApplicable);
    assert_eq!(b.failed.iter().map(|f| &*f.id).collect::<Vec<_>>(), ["is_a"]);
    assert!(b.missing.is_empty());
    // In scope: the date is what is missing.
    let b = one(DATED, r#"{"kind": "a", "hours": 40}"#, "2022-01-01");
    assert_eq!((b.status, b.missing.iter().map(|m| &**m).collect::<Vec<_>>()), (Status::Undetermined, vec!["ended"]));
    // Scope unknown without the date (a parameter needs it; `false and ?` is false).
    let both = decide(DATED, r#"{"kind": "a", "hours": 40}"#, "2022-01-01");
    assert_eq!(both[1].status, Status::Undetermined);
    let both = decide(DATED, r#"{"kind": "b", "hours": 40}"#, "2022-01-01");
    assert_eq!(both[1].status, Status::NotApplicable);
    // The same decisions at every trace level; the scope is traced only when it decides.
    let e = engine(DATED);
    for facts in [r#"{"kind": "b"}"#, r#"{"kind": "a"}"#] {
        let at = |trace| {
            let opts = DecideOptions { reference_date: "2022-01-01".parse().ok(), trace, ..Default::default() };
            e.decide_json("t.p", facts, &opts).unwrap()
        };
        let (off, full) = (at(TraceLevel::Off), at(TraceLevel::Full));
        assert_eq!(off.benefits, full.benefits);
        let text = serde_json::to_string(&full.trace).unwrap();
        assert_eq!(text.contains("is_a"), facts.contains("\"b\""), "{text}");
    }
}

/// Imported units are first-class: a literal (`40 zj.lesson_hour`) and a
/// conversion (`hours as zj.lesson_hour`) name the scheme's unit through its
/// alias, and the conversion declared there applies.
#[test]
fn imported_units_in_literals_and_conversions() {
    let mut loader = MemoryLoader::new();
    loader.add_policy(
        "zj.policy",
        &format!(
            "{}unit clock_hour \"小时\"\nunit lesson_hour \"课时\"\nconvert 3 clock_hour = 4 lesson_hour\n",
            HEADER.replace("policy t.p", "policy zj.scheme")
        ),
    );
    loader.add_policy(
        "t.policy",
        &format!(
            "{HEADER}use zj.scheme as zj\ninput hours: zj.clock_hour in 0 zj.clock_hour .. \"小时\"\n\
             let lessons = hours as zj.lesson_hour\n\
             benefit b \"补贴\" {{\n  require enough: lessons >= 40 zj.lesson_hour \"达40课时\"\n  amount 100 yuan\n}}\n"
        ),
    );
    let engine = match Engine::from_loader(&loader) {
        Ok(e) => e,
        Err(EvalError::Policy { diagnostics, .. }) => {
            panic!("{:#?}", diagnostics.iter().map(|d| (&d.code.id, &d.message)).collect::<Vec<_>>())
        }
        Err(e) => panic!("{e}"),
    };
    let opts = DecideOptions { reference_date: "2021-06-01".parse().ok(), trace: TraceLevel::Full, ..Default::default() };
    let at = |h: &str| engine.decide_json("t.p", &format!(r#"{{"hours": {h}}}"#), &opts).unwrap().benefits.remove(0);
    assert_eq!(at("30").status, Status::Eligible, "30 clock hours are exactly 40 lesson hours");
    assert_eq!(at("29.9").status, Status::Ineligible);
}

/// `as_of` is the date the benefit is decided for: its `dated_by`, else the
/// decision's reference date. It needs no invented fact, is traced as a value
/// read, and without any date the benefit is undetermined, saying why.
#[test]
fn as_of_is_the_benefits_date() {
    let body = "input birth_date: date \"出生日期\"\ninput applied: date \"申请日期\"\n\
                benefit by_reference \"按参考日\" {\n  require adult: age(birth_date, as_of) >= 16 \"年满16周岁\"\n  amount 100 yuan\n}\n\
                benefit by_application \"按申请日\" {\n  dated_by applied \"申请日\"\n  require adult: age(birth_date, as_of) >= 16 \"年满16周岁\"\n  amount 100 yuan\n}\n";
    let facts = r#"{"birth_date": "2005-06-01", "applied": "2021-05-31"}"#;
    // Reference date: the 16th birthday, inclusive.
    let d = decide(body, facts, "2021-06-01");
    assert_eq!(d[0].status, Status::Eligible, "{:?}", d[0]);
    // Its dated_by: the day before the 16th birthday.
    assert_eq!(d[1].status, Status::Ineligible, "{:?}", d[1]);
    assert_eq!(decide(body, facts, "2021-05-31")[0].status, Status::Ineligible);
    // Traced as a value read.
    let e = engine(body);
    let opts = DecideOptions { reference_date: "2021-06-01".parse().ok(), trace: TraceLevel::Full, ..Default::default() };
    let text = policy_eval::render_text(&e.decide_json("t.p", facts, &opts).unwrap());
    assert!(text.contains("as_of 2021-06-01"), "{text}");
    // No date at all: undetermined with the reason.
    let none = e.decide_json("t.p", facts, &DecideOptions { trace: TraceLevel::Full, ..Default::default() }).unwrap();
    assert_eq!(none.benefits[0].status, Status::Undetermined);
    // A declared `as_of` is that declaration (as with `amount`).
    let own = "input as_of: date \"自报日期\"\ninput birth_date: date \"出生日期\"\nbenefit b \"补贴\" {\n  require adult: age(birth_date, as_of) >= 16 \"年满16周岁\"\n  amount 100 yuan\n}\n";
    assert_eq!(one(own, r#"{"birth_date": "2005-06-01", "as_of": "2000-01-01"}"#, "2021-06-01").status, Status::Ineligible);
}

/// A marginal scale whose thresholds changed in 2014 and whose rates changed
/// in 2016: band widths and rates are dated parameters (widths may be
/// arithmetic over parameters, never over facts), each picked by the date.
#[test]
fn dated_thresholds_and_rates_in_a_marginal_scale() {
    let policy = "policy t.tax \"税\"\n  document \"测〔2024〕2号\"\n  in_force 2010-01-01 ..\n\
        input income: money in 0 yuan .. \"收入\"\n\
        param upper_1: money \"第一档上限\" {\n  from 2010-01-01 => 10000 yuan\n  from 2014-01-01 => 12000 yuan\n}\n\
        param upper_2: money \"第二档上限\" {\n  from 2010-01-01 => 30000 yuan\n}\n\
        param rate_1: percent \"第一档税率\" {\n  from 2010-01-01 => 10%\n  from 2016-01-01 => 8%\n}\n\
        benefit tax \"应纳税额\" {\n  amount scale income { first upper_1 at rate_1, next (upper_2 - upper_1) at 20%, then at 30% }\n}\n";
    let mut loader = MemoryLoader::new();
    loader.add_policy("tax.policy", policy);
    let e = match Engine::from_loader(&loader) {
        Ok(e) => e,
        Err(EvalError::Policy { diagnostics, .. }) => panic!("{:#?}", diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()),
        Err(x) => panic!("{x}"),
    };
    let at = |date: &str| {
        let opts = DecideOptions { reference_date: date.parse().ok(), ..Default::default() };
        amount(&e.decide_json("t.tax", r#"{"income": "40000"}"#, &opts).unwrap().benefits.remove(0))
    };
    // 2013: 10000 × 10% + 20000 × 20% + 10000 × 30% = 1000 + 4000 + 3000.
    assert_eq!(at("2013-12-31"), "8000.00");
    // 2014: 12000 × 10% + 18000 × 20% + 10000 × 30% = 1200 + 3600 + 3000.
    assert_eq!(at("2014-01-01"), "7800.00");
    // 2016: 12000 × 8% + 18000 × 20% + 10000 × 30% = 960 + 3600 + 3000.
    assert_eq!(at("2016-01-01"), "7560.00");
    // A width read from a fact is refused.
    let mut bad = MemoryLoader::new();
    bad.add_policy("bad.policy", &policy.replace("first upper_1 at", "first income at"));
    let Err(EvalError::Policy { diagnostics, .. }) = Engine::from_loader(&bad) else { panic!("a fact as a band width was accepted") };
    assert!(diagnostics.iter().any(|d| d.code.id == "T204" && d.message.contains("must not depend on the facts")));
}

/// Functions: a per-person rule written once and applied to each member of a
/// household, reading a dated parameter and a table; an imported policy's
/// function called through its alias.
#[test]
fn functions_are_written_once_and_mapped_over_a_household() {
    let lib = "policy t.lib \"共用\"\n  document \"测〔2024〕3号\"\nparam allowance: money \"每人标准\" {\n  from 2021-01-01 => 300 yuan\n  from 2023-01-01 => 350 yuan\n}\n\
               fn capped(x: money, limit: money): money = min(x, limit) \"封顶\"\n";
    let body = "use t.lib as lib\n\
        record member \"成员\" { age: int \"年龄\", income: money \"收入\" }\n\
        input members: list member \"家庭成员\"\n\
        table weight(adult: bool) -> (factor: decimal) \"折算\" {\n  true => 1\n  false => 0.5\n}\n\
        fn share(m: member): money = lib.allowance * weight[m.age >= 18].factor \"每人补助\"\n\
        fn top_up(m: member): money = lib.capped(max(0 yuan, share(m) - m.income), 200 yuan) \"补差\"\n\
        benefit household \"家庭补助\" {\n  amount sum(top_up(m) for m in members) \"按人补差\"\n}\n";
    let mut loader = MemoryLoader::new();
    loader.add_policy("lib.policy", lib);
    loader.add_policy("t.policy", &format!("{HEADER}{body}"));
    let e = match Engine::from_loader(&loader) {
        Ok(e) => e,
        Err(EvalError::Policy { diagnostics, .. }) => panic!("{:#?}", diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()),
        Err(x) => panic!("{x}"),
    };
    let facts = r#"{"members": [{"age": 40, "income": "100"}, {"age": 10, "income": "0"}, {"age": 70, "income": "500"}]}"#;
    let at = |date: &str| {
        let opts = DecideOptions { reference_date: date.parse().ok(), trace: TraceLevel::Full, ..Default::default() };
        amount(&e.decide_json("t.p", facts, &opts).unwrap().benefits.remove(0))
    };
    // 2022: adult 300 − 100 = 200 (capped at 200); child 150 − 0 = 150; 300 − 500 → 0.
    assert_eq!(at("2022-06-01"), "350.00");
    // 2023: 350 − 100 = 250 → capped 200; child 175; 0.
    assert_eq!(at("2023-06-01"), "375.00");
}

#[test]
fn functions_are_pure_and_never_recurse() {
    let bad = |body: &str, needle: &str| {
        let mut loader = MemoryLoader::new();
        loader.add_policy("t.policy", &format!("{HEADER}{body}"));
        let Err(EvalError::Policy { diagnostics, .. }) = Engine::from_loader(&loader) else { panic!("accepted: {body}") };
        assert!(
            diagnostics.iter().any(|d| d.message.contains(needle)),
            "{needle}: {:#?}",
            diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
    };
    bad("fn f(x: int): int = g(x)\nfn g(x: int): int = x + 1\n", "functions call only functions declared before them");
    bad("fn f(x: int): int = if x > 0 { f(x - 1) } else { 0 }\n", "functions call only functions declared before them");
    bad("input days: int \"天数\"\nfn f(x: int): int = x + days\n", "a function reads only its parameters");
    bad("fn f(x: date): int = year(as_of)\n", "does not read `as_of`");
    bad("fn min(x: int): int = x\n", "is a built-in function");
    bad("fn f(x: int): int = x\nlet y = f(1, 2)\n", "takes 1 argument(s), found 2");
    bad("fn f(x: int): int = x\nlet y = f(\"a\")\n", "parameter `x` of `f`");
    bad("fn f(x: int): money = x\n", "the function's declared type");
    bad("fn f(x: int, x: int): int = x\n", "declared twice");
}
