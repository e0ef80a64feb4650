//! Columns that do not fit the policy are errors naming the column; columns
//! of other types that hold the same facts (text, other integer widths,
//! decimals of any scale, plain Utf8 for enums) decide as the canonical ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use arrow_array::cast::AsArray;
use arrow_array::types::Int8Type;
use arrow_array::{Array, ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use policy_arrow::{BatchDecider, BatchOptions, Error};
use policy_core::loader::MemoryLoader;
use policy_eval::{DecideOptions, Engine};
use std::sync::Arc;

const POLICY: &str = r#"
policy demo.training "示例"
  in_force 2021-01-01 .. 2021-12-31
enum group { a "甲", b "乙" }
input days: int in 0 .. 365 "培训天数"
input fee: money in 0 yuan .. "学费"
input kind: group "类别"
input certified: bool "持证"
benefit training "培训补贴" {
  payee training_institution
  require days >= 3 "不少于3天"
  require certified "持证"
  amount fee * 50%
}
"#;

fn engine() -> Engine {
    let mut loader = MemoryLoader::new();
    loader.add_policy("demo.policy", POLICY);
    Engine::from_loader(&loader).expect("policy loads")
}

fn opts() -> BatchOptions {
    BatchOptions { decide: DecideOptions { reference_date: "2021-06-01".parse().ok(), ..Default::default() }, ..Default::default() }
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let schema = Schema::new(columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>());
    RecordBatch::try_new(Arc::new(schema), columns.into_iter().map(|(_, a)| a).collect()).unwrap()
}

#[test]
fn an_unknown_column_is_named() {
    let engine = engine();
    let plan = engine.plan("demo.training").unwrap();
    let b = batch(vec![("dayz", Arc::new(Int32Array::from(vec![3])))]);
    let err = BatchDecider::new(plan, opts()).unwrap().decide(&b, None).unwrap_err();
    let Error::Column { column, message } = &err else { panic!("{err}") };
    assert_eq!(column, "dayz");
    assert!(message.contains("days"), "{message}");
}

#[test]
fn a_float_money_column_is_refused_by_name() {
    let engine = engine();
    let plan = engine.plan("demo.training").unwrap();
    let b = batch(vec![("fee", Arc::new(Float64Array::from(vec![1.5])))]);
    let err = BatchDecider::new(plan, opts()).unwrap().decide(&b, None).unwrap_err();
    assert!(err.to_string().starts_with("column `fee`: expected Decimal128"), "{err}");
}

#[test]
fn kept_columns_pass_through_and_other_types_read_exactly() {
    let engine = engine();
    let plan = engine.plan("demo.training").unwrap();
    let fee = Decimal128Array::from(vec![Some(12345), Some(100000), Some(5)]).with_precision_and_scale(10, 2).unwrap();
    let b = batch(vec![
        ("id", Arc::new(StringArray::from(vec!["x", "y", "z"]))),
        ("days", Arc::new(Int32Array::from(vec![Some(3), Some(2), None]))),
        ("fee", Arc::new(fee)),
        ("kind", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
        ("certified", Arc::new(BooleanArray::from(vec![true, true, true]))),
    ]);
    let mut o = opts();
    o.keep = vec!["id".into()];
    let out = BatchDecider::new(plan, o).unwrap().decide(&b, None).unwrap();
    assert_eq!(out.column(0).as_string::<i32>().value(2), "z");
    let errors = out.column_by_name("error").unwrap().as_string::<i32>();
    assert!(errors.is_null(0) && errors.is_null(1));
    assert!(errors.value(2).contains("kind"), "{}", errors.value(2));
    let t = out.column_by_name("training").unwrap().as_struct();
    let status = t.column(0).as_dictionary::<Int8Type>();
    let status = |i: usize| status.values().as_string::<i32>().value(status.key(i).unwrap() as usize).to_string();
    assert_eq!(status(0), "eligible");
    assert_eq!(status(1), "ineligible");
    let amount = t.column(1).as_primitive::<arrow_array::types::Decimal128Type>();
    // 123.45 × 50% = 61.725, exact at scale 10.
    assert_eq!(amount.value_as_string(0), "61.7250000000");
    assert_eq!(out.schema().field(0).data_type(), &DataType::Utf8);
}
