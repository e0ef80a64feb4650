//! `policy_eval::coverage`: every side of every rule is listed, and a side is
//! covered exactly when some recorded decision took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::MemoryLoader;
use policy_eval::coverage::{ClauseState, Coverage};
use policy_eval::{DecideOptions, Engine, TraceLevel};

const POLICY: &str = r#"policy t.cov "覆盖"
  document "测〔2024〕1号"
  in_force 2021-01-01 .. 2025-12-31
  source "t.source.txt"
clause "一" "对象" quote "年满16周岁"
clause "二" "标准" quote "按天数分档"
clause "三" "上限" quote "最高2000元"
clause "四" "备注" quote "另行规定"
clause "五" "说明" not_computable "procedure"
input days: int in 0 .. 100 "天数"
input adult: bool "成年"
input kind: text "类别"
table bonus(kind: text) -> (extra: money) "附加" cite "二" {
  "a" => 10 yuan
  "b" => 20 yuan
}
benefit b "补贴" {
  require adult: adult "成年" cite "一"
  amount tiers days { < 10 => 100 yuan, < 20 => 200 yuan, else => 3000 yuan } "按天数" cite "二"
  cap 2000 yuan "上限" cite "三"
}
benefit c "附加补贴" {
  amount bonus[kind].extra "附加" cite "二"
}
"#;

fn engine() -> Engine {
    let mut loader = MemoryLoader::new();
    loader.add_policy("t.policy", POLICY);
    loader.add_document("t.source.txt", "一、年满16周岁。二、按天数分档。三、最高2000元。四、另行规定。五、说明。");
    Engine::from_loader(&loader).unwrap()
}

fn record(c: &mut Coverage, e: &Engine, facts: &str) {
    let opts = DecideOptions { reference_date: "2022-01-01".parse().ok(), trace: TraceLevel::Full, ..Default::default() };
    c.record(&e.decide_json("t.cov", facts, &opts).unwrap());
}

fn hits(c: &Coverage, kind: &str) -> Vec<usize> {
    c.rules.iter().filter(|r| r.kind == kind).flat_map(|r| r.sides.iter().map(|s| s.hits)).collect()
}

#[test]
fn sides_are_covered_exactly_when_a_decision_takes_them() {
    let e = engine();
    let mut c = Coverage::new(e.plan("t.cov").unwrap());
    // require (pass, fail), amount (computed), cap (applied, not), tiers (3), amount c, 2 rows.
    assert_eq!(c.total, 2 + 1 + 2 + 3 + 1 + 2, "{:#?}", c.rules);
    assert_eq!(c.covered, 0);
    record(&mut c, &e, r#"{"days": 5, "adult": true, "kind": "a"}"#);
    assert_eq!(hits(&c, "require"), [1, 0]);
    assert_eq!(hits(&c, "tier"), [1, 0, 0]);
    assert_eq!(hits(&c, "cap"), [0, 1], "a cap that does not bind is `not applied`");
    assert_eq!(hits(&c, "row"), [1, 0]);
    record(&mut c, &e, r#"{"days": 50, "adult": false, "kind": "b"}"#);
    assert_eq!(hits(&c, "require"), [1, 1]);
    // Ineligible: the amount of b never ran, so the else tier was not reached.
    assert_eq!(hits(&c, "tier"), [1, 0, 0]);
    record(&mut c, &e, r#"{"days": 50, "adult": true, "kind": "b"}"#);
    assert_eq!(hits(&c, "tier"), [1, 0, 1]);
    assert_eq!(hits(&c, "cap"), [1, 1]);
    assert_eq!(hits(&c, "row"), [1, 2], "benefit c looked up row b in both later decisions");
    assert_eq!(c.covered, c.total - 1, "only the middle tier is left");
    let text = c.render_text(false);
    assert!(text.contains("never branch 2"), "{text}");
    record(&mut c, &e, r#"{"days": 15, "adult": true, "kind": "a"}"#);
    assert_eq!(c.covered, c.total);
    assert!((c.percent() - 100.0).abs() < f64::EPSILON);
}

#[test]
fn the_clause_map_says_what_was_exercised() {
    let e = engine();
    let mut c = Coverage::new(e.plan("t.cov").unwrap());
    let state = |c: &Coverage, n: &str| c.clauses.iter().find(|x| x.clause == n).unwrap().state;
    assert_eq!(state(&c, "一"), ClauseState::CitedNotExercised);
    assert_eq!(state(&c, "四"), ClauseState::NotCited);
    assert_eq!(state(&c, "五"), ClauseState::NotComputable);
    record(&mut c, &e, r#"{"days": 5, "adult": false, "kind": "a"}"#);
    assert_eq!(state(&c, "一"), ClauseState::Exercised);
    // The JSON report carries the same.
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["clauses"][0]["state"], "exercised");
    assert_eq!(json["policy"], "t.cov");
}
