//! Computed outputs (`output`) and benefits that read other benefits'
//! amounts (`amount_of`): one semantic rule per test, on small policies held
//! in memory (`docs/language.md`, "Outputs" and "Reading another benefit's
//! amount").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::MemoryLoader;
use policy_eval::decision::OutputScalar;
use policy_eval::{BenefitDecision, DecideOptions, Decision, Engine, Status, TraceLevel};

const HEADER: &str = "policy t.p \"测试\"\n  document \"测〔2024〕1号\"\n  in_force 2021-01-01 .. 2025-12-31\n";

fn engine(body: &str) -> Engine {
    let mut loader = MemoryLoader::new();
    loader.add_policy("t.policy", &format!("{HEADER}{body}"));
    Engine::from_loader(&loader).unwrap_or_else(|e| panic!("{e}"))
}

fn decide_with(body: &str, facts: &str, benefits: &[&str], trace: TraceLevel) -> Decision {
    let opts =
        DecideOptions { reference_date: "2024-06-01".parse().ok(), benefits: benefits.iter().map(|b| b.to_string()).collect(), trace };
    engine(body).decide_json("t.p", facts, &opts).unwrap()
}

fn decide(body: &str, facts: &str) -> Vec<BenefitDecision> {
    decide_with(body, facts, &[], TraceLevel::Off).benefits
}

fn find<'a>(d: &'a [BenefitDecision], id: &str) -> &'a BenefitDecision {
    d.iter().find(|b| &*b.id == id).unwrap()
}

fn out(b: &BenefitDecision, id: &str) -> OutputScalar {
    b.outputs.iter().find(|o| &*o.id == id).unwrap_or_else(|| panic!("no output {id} in {b:?}")).value.clone()
}

fn text(s: &str) -> OutputScalar {
    OutputScalar::Text(s.into())
}

const OUTPUTS: &str = r#"
enum level "等级" { junior "初级", senior "高级" }
input birth: date "出生日期"
input income: money in 0 yuan .. "收入"
input grade: level "等级"
input hours: int in 0 .. "课时"
table rate(l: level) -> (r: percent) "比例" { junior => 10% }
benefit b "补贴" {
  require enough: hours >= 10 "课时"
  amount 100 yuan
  output age: int = age(birth, as_of) "年龄"
  output share: percent = 12.5% "比例"
  output pay = income "收入"
  output senior: bool = grade == senior "高级"
  output grade_out = grade "等级"
  output born: date = birth "出生"
  output note: text = "ok" "备注"
  output per_hour = income / hours "每课时"
}
"#;

#[test]
fn outputs_of_every_scalar_type_are_reported_as_written() {
    let d = decide(OUTPUTS, r#"{"birth": "2000-06-02", "income": "1000", "grade": "junior", "hours": 8}"#);
    assert_eq!(d[0].status, Status::Ineligible);
    assert!(d[0].outputs.is_empty(), "outputs belong to an eligible benefit only");
    let d = decide(OUTPUTS, r#"{"birth": "2000-06-01", "income": "1000", "grade": "senior", "hours": 16}"#);
    let b = &d[0];
    assert_eq!(b.status, Status::Eligible);
    assert_eq!(out(b, "age"), text("24"));
    assert_eq!(out(b, "share"), text("0.125"));
    assert_eq!(out(b, "pay"), text("1000.00"));
    assert_eq!(out(b, "senior"), OutputScalar::Bool(true));
    assert_eq!(out(b, "grade_out"), text("senior"));
    assert_eq!(out(b, "born"), text("2000-06-01"));
    assert_eq!(out(b, "note"), text("ok"));
    assert_eq!(out(b, "per_hour"), text("62.50"));
    let types: Vec<&str> = b.outputs.iter().map(|o| &*o.ty).collect();
    assert_eq!(types, ["int", "percent", "money", "bool", "level", "date", "text", "money"]);
    // The JSON: a boolean, or a string.
    let json = serde_json::to_value(b).unwrap();
    assert_eq!(json["outputs"][3]["value"], serde_json::json!(true));
    assert_eq!(json["outputs"][0]["value"], serde_json::json!("24"));
}

#[test]
fn a_missing_fact_in_an_output_leaves_the_benefit_undetermined_naming_it() {
    let d = decide(OUTPUTS, r#"{"birth": "2000-06-01", "grade": "junior", "hours": 16}"#);
    assert_eq!(d[0].status, Status::Undetermined);
    assert_eq!(d[0].missing.iter().map(|m| &**m).collect::<Vec<_>>(), ["income"]);
    assert!(d[0].outputs.is_empty());
    // Undetermined for another reason: the outputs' facts are named too.
    let d = decide(OUTPUTS, r#"{"birth": "2000-06-01", "grade": "junior"}"#);
    let mut missing: Vec<&str> = d[0].missing.iter().map(|m| &**m).collect();
    missing.sort_unstable();
    assert_eq!(missing, ["hours", "income"]);
}

#[test]
fn an_output_that_divides_by_zero_is_an_error_and_one_with_no_row_refuses() {
    let d = decide(OUTPUTS, r#"{"birth": "2000-06-01", "income": "10", "grade": "junior", "hours": 0}"#);
    assert_eq!(d[0].status, Status::Ineligible, "hours 0 fails `enough` first");
    let body = "enum level \"等级\" { junior \"初级\", senior \"高级\" }\ninput grade: level \"等级\"\n\
        table rate(l: level) -> (r: percent) \"比例\" { junior => 10% }\n\
        benefit b \"补贴\" {\n  amount 100 yuan\n  output r = rate[grade].r \"比例\"\n}\n";
    let d = decide(body, r#"{"grade": "senior"}"#);
    assert_eq!(d[0].status, Status::Ineligible);
    assert_eq!(d[0].failed[0].id.as_ref(), "no_row:rate");
    let d = decide(body, r#"{"grade": "junior"}"#);
    assert_eq!(out(&d[0], "r"), text("0.1"));
}

const READS: &str = r#"
input income: money in 0 yuan .. "收入"
input renting: bool "租房"
input kids: int in 0 .. "子女"
let net = income - amount_of(tax) "税后"
benefit housing "住房补贴" {
  require renting: renting "租房"
  amount max(0 yuan, 6000 yuan - 5% * net)
  output reads_tax = amount_of(tax) "所得税"
}
benefit child "子女补贴" {
  require has_kids: kids > 0 "有子女"
  amount kids * 1000 yuan
}
benefit total "合计" {
  amount amount_of(housing) + amount_of(child)
}
benefit tax "所得税" {
  amount max(0 yuan, income - 60000 yuan) * 10%
}
"#;

#[test]
fn a_benefit_reads_the_amounts_of_benefits_declared_after_it() {
    let d = decide(READS, r#"{"income": "70000", "renting": true, "kids": 2}"#);
    // Reported in declaration order, decided tax first.
    let ids: Vec<&str> = d.iter().map(|b| &*b.id).collect();
    assert_eq!(ids, ["housing", "child", "total", "tax"]);
    assert_eq!(find(&d, "tax").amount.map(policy_core::value::money_string).unwrap(), "1000.00");
    // 6000 - 5% × 69000 = 2550
    assert_eq!(find(&d, "housing").amount.map(policy_core::value::money_string).unwrap(), "2550.00");
    assert_eq!(out(find(&d, "housing"), "reads_tax"), text("1000.00"));
    assert_eq!(find(&d, "total").amount.map(policy_core::value::money_string).unwrap(), "4550.00");
}

#[test]
fn a_refused_benefit_reads_as_zero() {
    let d = decide(READS, r#"{"income": "70000", "renting": false, "kids": 0}"#);
    assert_eq!(find(&d, "housing").status, Status::Ineligible);
    assert_eq!(find(&d, "child").status, Status::Ineligible);
    let total = find(&d, "total");
    assert_eq!(total.status, Status::Eligible);
    assert!(total.amount.unwrap().is_zero());
}

#[test]
fn an_undetermined_benefit_passes_on_its_missing_facts() {
    let d = decide(READS, r#"{"renting": true, "kids": 1}"#);
    assert_eq!(find(&d, "tax").status, Status::Undetermined);
    let housing = find(&d, "housing");
    assert_eq!(housing.status, Status::Undetermined);
    assert_eq!(housing.missing.iter().map(|m| &**m).collect::<Vec<_>>(), ["income"]);
    let total = find(&d, "total");
    assert_eq!(total.status, Status::Undetermined);
    assert_eq!(total.missing.iter().map(|m| &**m).collect::<Vec<_>>(), ["income"]);
    // A refusal still decides: not renting, the housing allowance is refused
    // whatever the income, and reads as zero in the total... which still
    // needs `kids`' benefit only.
    let d = decide(READS, r#"{"renting": false, "kids": 1}"#);
    assert_eq!(find(&d, "housing").status, Status::Ineligible);
    assert_eq!(find(&d, "total").amount.map(policy_core::value::money_string).unwrap(), "1000.00");
}

#[test]
fn deciding_one_benefit_decides_the_benefits_it_reads_without_reporting_them() {
    let facts = r#"{"income": "70000", "renting": true, "kids": 2}"#;
    let whole = decide(READS, facts);
    let alone = decide_with(READS, facts, &["total"], TraceLevel::Full);
    assert_eq!(alone.benefits.len(), 1);
    assert_eq!(alone.benefits[0], *find(&whole, "total"));
    assert_eq!(alone.trace.as_ref().unwrap().benefits.len(), 1, "only the benefit asked for is traced");
}

#[test]
fn the_trace_shows_the_amount_read_and_where_it_came_from() {
    let d = decide_with(READS, r#"{"income": "70000", "renting": true, "kids": 0}"#, &[], TraceLevel::Full);
    let text = policy_eval::render_text(&d);
    assert!(text.contains("amount_of(tax) 1000.00 (tax: 所得税, eligible)"), "{text}");
    assert!(text.contains("amount_of(housing) 2550.00 (housing: 住房补贴, eligible)"), "{text}");
    assert!(text.contains("amount_of(child) 0.00 (child: 子女补贴, ineligible)"), "{text}");
    // Benefits in the trace are in declaration order, as in the decision.
    let order: Vec<&str> = d.trace.as_ref().unwrap().benefits.iter().map(|n| n.id.as_deref().unwrap()).collect();
    assert_eq!(order, ["housing", "child", "total", "tax"]);
}

#[test]
fn an_amount_an_authority_fixes_cannot_be_read_until_it_is_given() {
    let body = "external grant: money in 1000 yuan .. 5000 yuan \"资助\" set_by \"人社部门\" criteria \"规模\"\n\
        benefit a \"资助\" {\n  amount grant\n}\n\
        benefit b \"配套\" {\n  amount amount_of(a) * 50%\n}\n";
    let d = decide(body, "{}");
    assert_eq!(find(&d, "a").status, Status::Eligible);
    assert!(find(&d, "a").amount_range.is_some());
    let b = find(&d, "b");
    assert_eq!(b.status, Status::Undetermined);
    assert!(b.errors[0].contains("a range an authority fixes"), "{:?}", b.errors);
    let d = decide(body, r#"{"grant": "3000"}"#);
    assert_eq!(find(&d, "b").amount.map(policy_core::value::money_string).unwrap(), "1500.00");
}

/// A long chain (each benefit reads the next one's amount, declared after
/// it) is ordered and decided without recursion: the last is decided first.
#[test]
fn a_long_chain_of_benefits_is_decided_last_first() {
    let n = 3000;
    let mut body = String::from("input base: money in 0 yuan .. \"基数\"\n");
    for i in 0..n {
        if i + 1 < n {
            body.push_str(&format!("benefit b{i} \"补贴{i}\" {{\n  amount amount_of(b{}) + 1 yuan\n}}\n", i + 1));
        } else {
            body.push_str(&format!("benefit b{i} \"补贴{i}\" {{\n  amount base\n}}\n"));
        }
    }
    let d = decide(&body, r#"{"base": "10"}"#);
    assert_eq!(d.len(), n);
    assert_eq!(d[0].amount.map(policy_core::value::money_string).unwrap(), format!("{}.00", 10 + n - 1));
    let d = decide(&body, "{}");
    assert_eq!(d[0].status, Status::Undetermined);
    assert_eq!(d[0].missing.iter().map(|m| &**m).collect::<Vec<_>>(), ["base"]);
}

/// The same chain closed into a cycle is one `C115`, found without
/// recursion.
#[test]
fn a_long_cycle_of_benefits_is_one_error() {
    let n = 3000;
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!("benefit b{i} \"补贴{i}\" {{\n  amount amount_of(b{}) + 1 yuan\n}}\n", (i + 1) % n));
    }
    let mut loader = MemoryLoader::new();
    loader.add_policy("t.policy", &format!("{HEADER}{body}"));
    match Engine::from_loader(&loader) {
        Err(policy_eval::EvalError::Policy { diagnostics, .. }) => {
            let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
            assert_eq!(codes, ["C115"]);
        }
        other => panic!("expected C115, got {:?}", other.map(|_| "a plan")),
    }
}
