//! The `columnar` target's harness: arbitrary bytes become a small
//! population (a record batch in the policy's fact columns, with any
//! decimal scale, extreme values and nulls) for a bundled policy the column
//! kernels cover; the batch is decided with the kernels and with the row
//! interpreter alone, and the two must agree: the decisions batches are
//! equal, and every row the kernels decided has the interpreter's status,
//! amount (as text, so its scale too) and failed ids in order. Shared with
//! `crates/arrow/tests/fuzz_columnar.rs`, which runs it without a fuzzer.

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use policy_arrow::read::days_of;
use policy_arrow::schema::facts_of;
use policy_arrow::{BatchDecider, BatchOptions, STATUSES};
use policy_core::checked::Type;
use policy_eval::{DecideOptions, Plan, TraceLevel};
use std::sync::Arc;

/// Reads bytes, zero when they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn i16(&mut self) -> i16 {
        i16::from_le_bytes([self.u8(), self.u8()])
    }
    fn i128(&mut self) -> i128 {
        let mut b = [0u8; 16];
        for x in &mut b {
            *x = self.u8();
        }
        i128::from_le_bytes(b)
    }
}

/// The population the bytes describe: a reference date and a batch of up
/// to 32 rows.
pub fn population(plan: &Plan, data: &[u8]) -> Option<(Option<NaiveDate>, RecordBatch)> {
    let p = plan.policy();
    let mut b = Bytes(data);
    let n = usize::from(b.u8() % 32) + 1;
    let start = p.meta.in_force_from.or(p.meta.in_force_until)?;
    let shift = |d: i16| start.checked_add_signed(chrono::Duration::days(i64::from(d)));
    let as_of = match b.u8() % 4 {
        0 => None,
        _ => shift(b.i16() % 800),
    };
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (name, ty) in facts_of(p) {
        let (dt, col): (DataType, ArrayRef) = match ty {
            Type::Bool => {
                let v: BooleanArray = (0..n).map(|_| Some(b.u8()).filter(|t| t % 4 != 0).map(|t| t % 2 == 1)).collect();
                (DataType::Boolean, Arc::new(v))
            }
            Type::Int => {
                let v: Int64Array = (0..n)
                    .map(|_| match b.u8() % 4 {
                        0 => None,
                        1 => Some(i64::from(b.u8())),
                        2 => Some(i64::from(b.i16())),
                        _ => Some(i64::try_from(b.i128() % i128::from(i64::MAX)).unwrap_or(0)),
                    })
                    .collect();
                (DataType::Int64, Arc::new(v))
            }
            Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_) => {
                let scale = i8::try_from(b.u8() % 21).unwrap_or(10);
                let unit = 10i128.pow(u32::from(scale.unsigned_abs()));
                let v: Decimal128Array = (0..n)
                    .map(|_| match b.u8() % 5 {
                        0 => None,
                        1 => Some(i128::from(b.u8()) * unit),
                        2 => Some(i128::from(b.i16()) * unit / 100),
                        3 => Some(i128::from(b.i16())),
                        _ => Some(b.i128() % 10i128.pow(38)),
                    })
                    .collect();
                (DataType::Decimal128(38, scale), Arc::new(v.with_precision_and_scale(38, scale).ok()?))
            }
            Type::Date => {
                let v: Date32Array = (0..n)
                    .map(|_| match b.u8() % 4 {
                        0 => None,
                        1 => Some(i32::from(b.i16()).saturating_mul(1000)),
                        _ => shift(b.i16() % 800).map(days_of),
                    })
                    .collect();
                (DataType::Date32, Arc::new(v))
            }
            Type::Enum(e) => {
                let mut names: Vec<&str> = p.enums.get(e.index())?.variants.iter().map(|v| v.0.as_str()).collect();
                names.push("not_a_variant");
                let len = i32::try_from(names.len()).ok()?;
                let keys: arrow_array::Int32Array =
                    (0..n).map(|_| Some(b.u8()).filter(|t| t % 5 != 0).map(|t| i32::from(t) % len)).collect();
                let values: ArrayRef = Arc::new(StringArray::from(names));
                let d = DictionaryArray::<Int32Type>::try_new(keys, values).ok()?;
                (DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), Arc::new(d))
            }
            // Text, durations, records and lists: left out (absent).
            _ => continue,
        };
        fields.push(Field::new(name, dt, true));
        columns.push(col);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).ok()?;
    Some((as_of, batch))
}

/// Decides the population both ways and panics where they differ; returns
/// how many rows the kernels decided.
pub fn check(plan: &Plan, data: &[u8]) -> usize {
    let Some((as_of, batch)) = population(plan, data) else { return 0 };
    let decide = DecideOptions { reference_date: as_of, trace: TraceLevel::Off, ..Default::default() };
    let (Ok(fast), Ok(slow)) = (
        BatchDecider::new(plan, BatchOptions { decide: decide.clone(), ..Default::default() }),
        BatchDecider::new(plan, BatchOptions { decide: decide.clone(), row_only: true, ..Default::default() }),
    ) else {
        panic!("a decider for {}", plan.policy().meta.id)
    };
    let (Ok((a, count)), Ok(b)) = (fast.decide_counted(&batch, None), slow.decide(&batch, None)) else {
        panic!("both paths decide the batch")
    };
    assert_eq!(a, b, "the kernels and the row path differ on {}", plan.policy().meta.id);
    let Ok(kernels) = fast.kernels() else { return 0 };
    let run = kernels.run(plan, &batch);
    assert_eq!(run.count, count);
    let Ok(facts) = slow.facts(&batch) else { panic!("facts") };
    for (row, f) in facts.iter().enumerate() {
        if !run.decided.get(row).copied().unwrap_or(false) {
            continue;
        }
        let Ok(f) = f else { panic!("row {row}: the kernels decided a row the reader refuses") };
        let Ok(d) = plan.decide(f, &decide) else { panic!("row {row} decides") };
        for (bi, id) in fast.benefits().iter().enumerate() {
            let Some(want) = d.benefits.iter().find(|x| x.id == *id) else { panic!("{id} decided") };
            let Some((status, amount, failed)) = run.row(bi, row) else { panic!("{id} row {row} in the kernels") };
            assert_eq!(STATUSES.get(usize::from(status)), Some(&want.status), "{id} row {row}");
            assert_eq!(amount.map(|x| x.to_string()), want.amount.map(|x| x.to_string()), "{id} row {row}");
            let want_failed: Vec<&str> = want.failed.iter().map(|x| &*x.id).collect();
            let got: Vec<&str> = failed.iter().map(|x| &**x).collect();
            assert_eq!(got, want_failed, "{id} row {row}");
            assert!(want.missing.is_empty(), "{id} row {row}");
        }
    }
    count
}

/// The bundled policies whose every benefit the kernels cover, by id.
pub fn covered(engine: &policy_eval::Engine) -> Vec<String> {
    let mut ids: Vec<String> = engine
        .ids()
        .filter(|id| engine.plan(id).is_some_and(|p| policy_arrow::kernel::Kernels::coverage(p).iter().all(|(_, r)| r.is_ok())))
        .map(str::to_string)
        .collect();
    ids.sort();
    ids
}
