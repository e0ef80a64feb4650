//! The facts contract (issue 17, "Silent wrong decisions"): each test here
//! failed before the fix. Duplicate keys, inexact numbers, loose dates and
//! bare percents were accepted and decided silently; now each is an error
//! naming the fact (or, for a bare percent of 1 or more, a warning in the
//! decision).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::{Loader, MemoryLoader};
use policy_eval::cases::{run_case, CaseFile};
use policy_eval::{DecideOptions, Engine, EvalError, FactError, Plan, Status};
use std::path::Path;

fn engine() -> Engine {
    Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap()
}

/// Datong's order training with every fact but the employment rate.
fn datong(rate: &str) -> String {
    format!(
        r#"{{"project_for_big_data": true, "trainee_group": "rural_migrant", "class_start_date": "2023-03-01",
            "training_days": 10, "daily_checkin": true, "class_employment_rate": {rate}}}"#
    )
}

fn errors(plan: &Plan, text: &str) -> Vec<FactError> {
    match plan.facts_from_str(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(EvalError::Facts(e)) => e,
        Err(e) => panic!("{e}"),
    }
}

fn order_amount(plan: &Plan, text: &str) -> String {
    let facts = plan.facts_from_str(text).unwrap();
    let opts = DecideOptions { benefits: vec!["order_training".into()], ..Default::default() };
    let d = plan.decide(&facts, &opts).unwrap();
    assert_eq!(d.benefits[0].status, Status::Eligible, "{text}");
    policy_core::value::money_string(d.benefits[0].amount.unwrap())
}

#[test]
fn a_fact_given_twice_is_an_error_naming_it() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    for text in [
        r#"{"class_employment_rate": "85%", "class_employment_rate": "50%"}"#,
        r#"{"class_employment_rate": "50%", "class_employment_rate": "85%"}"#,
        r#"{"class_employment_rate": null, "class_employment_rate": "85%"}"#,
    ] {
        let e = errors(plan, text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].fact, "class_employment_rate");
        assert_eq!(e[0].received, "\"class_employment_rate\" twice");
        // The exact tree reader says the same.
        let parsed = policy_eval::Json::parse(text).unwrap_err();
        assert_eq!(parsed.duplicate.as_deref(), Some("class_employment_rate"));
    }
    // An unknown key twice is named too.
    let e = errors(plan, r#"{"x": 1, "x": 2}"#);
    assert!(e.iter().any(|e| e.fact == "x" && e.received.contains("twice")), "{e:?}");
}

#[test]
fn a_field_given_twice_inside_a_record_is_an_error_naming_it() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    let text = r#"{"prior_certs": [{"level": "senior", "occupation": "x", "occupation": "y"}]}"#;
    let e = errors(plan, text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].fact, "prior_certs[0].occupation");
    assert!(e[0].received.contains("twice"), "{e:?}");
}

#[test]
fn a_benefit_given_twice_in_expect_is_an_error_naming_it() {
    let text = r#"{"policy": "p", "cases": [{"name": "c", "facts": {},
        "expect": {"training": {"status": "eligible"}, "training": {"status": "ineligible"}}}]}"#;
    let e = CaseFile::parse(text).unwrap_err();
    assert!(e.contains("cases[0].expect.training") && e.contains("duplicate key \"training\""), "{e}");
    // serde_json alone kept the last, silently.
    let lenient: CaseFile = serde_json::from_str(text).unwrap();
    assert_eq!(lenient.cases[0].expect.len(), 1);
    let e = CaseFile::parse(r#"{"policy": "p", "cases": [{"name": "c", "facts": {"a": 1, "a": 2}, "expect": {}}]}"#).unwrap_err();
    assert!(e.contains("cases[0].facts.a"), "{e}");
}

#[test]
fn numbers_are_decoded_from_their_digits() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    // Below 80 %: at most 1000 yuan. Through f64 this was 0.8 and paid 1500.
    assert_eq!(order_amount(plan, &datong("0.79999999999999999999")), "1000.00");
    assert_eq!(order_amount(plan, &datong("0.8")), "1500.00");
    assert_eq!(order_amount(plan, &datong("8e-1")), "1500.00");
    // Case files too: the case runs on the facts as written.
    let case = format!(
        r#"{{"policy": "datong.big_data_training_2022", "cases": [{{"name": "c", "facts": {},
            "expect": {{"order_training": {{"status": "eligible", "amount": "1000.00"}}}}}}]}}"#,
        datong("0.79999999999999999999")
    );
    let cf = CaseFile::parse(&case).unwrap();
    let outcome = run_case(plan, &cf.cases[0]);
    assert!(outcome.passed(), "{:?}", outcome.mismatches);
}

#[test]
fn digits_beyond_the_limit_are_an_error_not_a_rounding() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    for (rate, limit) in [
        ("\"79.99999999999999999999999999999%\"", "28 significant digits"),
        ("0.79999999999999999999999999999", "28 significant digits"),
        ("-1e-29", "28 digits after the decimal point"),
        ("\"0.000000000000000000000000001%\"", "28 digits after the decimal point"),
        ("1e400", "less than 10^28"),
    ] {
        let e = errors(plan, &datong(rate));
        assert_eq!(e.len(), 1, "{rate}: {e:?}");
        assert_eq!(e[0].fact, "class_employment_rate");
        assert!(e[0].expected.contains(limit), "{rate}: {e:?}");
    }
    let e = errors(plan, r#"{"training_days": 10000000000000000000000000000000}"#);
    assert!(e[0].expected.contains("10^28"), "{e:?}");
}

#[test]
fn dates_are_exactly_yyyy_mm_dd() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    assert!(plan.facts_from_str(r#"{"class_start_date": "2021-06-01"}"#).is_ok());
    for date in ["2021-6-1", " 2021-06-01", "2021-06-01 ", "+10000-01-01", "2021-06-1", "02021-06-01"] {
        let e = errors(plan, &format!(r#"{{"class_start_date": "{date}"}}"#));
        assert_eq!(e[0].expected, "a date \"YYYY-MM-DD\"", "{date}");
    }
}

#[test]
fn a_percent_string_needs_its_percent_sign_and_a_bare_number_is_a_fraction() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    // "85" as a string was read as the fraction 85 (8500 %).
    let e = errors(plan, &datong("\"85\""));
    assert!(e[0].expected.contains("\"70%\"") && e[0].expected.contains("bare number is the fraction"), "{e:?}");
    // A bare 85 is out of range, and the error says how a bare number reads.
    let e = errors(plan, &datong("85"));
    assert!(e[0].expected.contains("a bare number is the fraction"), "{e:?}");
    // A bare 1 is 100 %: accepted, with a warning carried into the decision.
    let facts = plan.facts_from_str(&datong("1")).unwrap();
    assert_eq!(facts.warnings().len(), 1);
    let d = plan.decide(&facts, &DecideOptions::default()).unwrap();
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].fact.as_deref(), Some("class_employment_rate"));
    assert!(d.warnings[0].message.contains("read as a fraction, 100%"), "{:?}", d.warnings);
    assert!(serde_json::to_string(&d).unwrap().contains("\"warnings\""));
    // A fraction below 1 and a percent string give none.
    for rate in ["0.85", "\"85%\"", "\"100%\""] {
        let d = plan.decide(&plan.facts_from_str(&datong(rate)).unwrap(), &DecideOptions::default()).unwrap();
        assert!(d.warnings.is_empty(), "{rate}");
        assert!(!serde_json::to_string(&d).unwrap().contains("\"warnings\""));
    }
}

#[test]
fn a_quantity_may_carry_its_unit_where_the_policy_declares_the_conversion() {
    let engine = engine();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let hours = |v: &str| plan.facts_from_str(&format!(r#"{{"clock_hours": {v}}}"#));
    let plain = hours("24").unwrap();
    assert_eq!(hours("\"24 clock_hour\"").unwrap(), plain);
    // 3 clock_hour = 4 lesson_hour.
    assert_eq!(hours("\"32 lesson_hour\"").unwrap(), plain);
    assert_eq!(hours("\" 32 lesson_hour \"").unwrap(), plain);
    for bad in ["\"32 lessons\"", "\"32 day\"", "\"lesson_hour\"", "\"1e3 lesson_hour\"", "\"32  lesson_hour x\""] {
        let e = match hours(bad) {
            Err(EvalError::Facts(e)) => e,
            other => panic!("{bad}: {other:?}"),
        };
        assert!(e[0].expected.contains("\"N lesson_hour\""), "{bad}: {e:?}");
    }
    // A conversion that is not exact is refused, not rounded: 1 lesson_hour = 0.75 clock_hour is exact,
    // but a policy converting 3 to 7 is not (see the in-memory policy below).
    assert!(hours("\"1 lesson_hour\"").is_ok());
    let mut loader = MemoryLoader::new();
    loader.add_policy(
        "u.policy",
        "policy u.units \"单位\"\nunit a \"甲\"\nunit b \"乙\"\nconvert 3 a = 7 b\ninput q: a \"量\"\nbenefit x \"补贴\" {\n  payee person\n  require q >= 0 a \"非负\"\n  amount 1 yuan\n}\n",
    );
    let src = loader.load_policy("u.units").unwrap();
    let plan = policy_eval::compile(&src, &loader).unwrap();
    assert!(plan.facts_from_str(r#"{"q": "7 b"}"#).is_ok());
    let Err(EvalError::Facts(e)) = plan.facts_from_str(r#"{"q": "1 b"}"#) else { panic!("1 b accepted") };
    assert!(e[0].expected.contains("not a whole number"), "{e:?}");
}

#[test]
fn a_reference_date_no_benefit_uses_is_a_warning() {
    let engine = engine();
    // Every Jiaxing benefit is dated by its own fact.
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let opts = DecideOptions { reference_date: "2021-10-15".parse().ok(), ..Default::default() };
    let w = plan.option_warnings(&opts);
    assert_eq!(w.len(), 1);
    assert!(w[0].message.contains("2021-10-15 is used by no benefit"), "{w:?}");
    assert!(plan.option_warnings(&DecideOptions::default()).is_empty());
    // Datong's benefits are dated too; Zhejiang's are not all.
    let zj = engine.plan("zhejiang.digital_engineer_2023").unwrap();
    let uses = zj.policy().benefits.iter().any(|b| b.dated_by.is_none());
    assert_eq!(zj.option_warnings(&opts).is_empty(), uses);
}
