//! The column kernels against the row interpreter, row by row, over
//! generated policies of the constructs the kernels cover, and over
//! generated populations of every bundled policy (`policies/` and
//! `examples/`): `policy sample`'s applicants, then cells replaced by
//! extremes (decimals near rust_decimal's and Decimal128's limits, many
//! decimal places, other scales, integer extremes, far dates, nulls). The
//! decisions batch with the kernels on equals the one with `row_only`; and
//! every row the kernels decided has exactly the interpreter's status,
//! amount (its text, so its scale too), failed ids in order and no missing
//! fact; the summaries (counts, exact totals) are equal. The kernels must decide a share of the rows, so the comparison is
//! never empty.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_array::{Array, ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use policy_arrow::sample::{Sampler, SplitMix64};
use policy_arrow::{BatchDecider, BatchOptions, STATUSES};
use policy_eval::{DecideOptions, Engine, Plan, TraceLevel};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::sync::Arc;

fn engines() -> Vec<Engine> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ["policies", "examples"].iter().map(|d| Engine::from_dir(root.join(d)).unwrap()).collect()
}

/// A reference date: inside the window mostly, on its edges, outside.
fn as_of(plan: &Plan, rng: &mut SplitMix64) -> Option<chrono::NaiveDate> {
    let m = &plan.policy().meta;
    let from = m.in_force_from.or(m.in_force_until)?;
    let until = m.in_force_until.unwrap_or(from);
    let span = (until - from).num_days().max(0);
    Some(match rng.below(6) {
        0 => from,
        1 => until,
        2 => from - chrono::Duration::days(1),
        3 => until + chrono::Duration::days(1),
        _ => from + chrono::Duration::days(i64::try_from(rng.below(u64::try_from(span).unwrap_or(0) + 1)).unwrap_or(0)),
    })
}

/// A decimal cell: an extreme (near 2^96, near 10^38, many places) or the
/// original value at another scale.
fn extreme_decimal(rng: &mut SplitMix64, old: i128, old_scale: i8, scale: i8) -> i128 {
    let big = [
        79_228_162_514_264_337_593_543_950_335i128,
        999_999_999_999_999_999_999_999_999,
        1_000_000_000_000_000_000_000_000,
        99_999_999_999_999_999_999_999_999_999_999_999_999,
        123_456_789_012_345_678_901_234_567,
        1,
        3,
        7,
        0,
    ];
    match rng.below(4) {
        0 => {
            let v = big[usize::try_from(rng.below(big.len() as u64)).unwrap_or(0)];
            if rng.below(2) == 0 {
                -v
            } else {
                v
            }
        }
        1 => i128::from(rng.next_u64() % 1_000_000_007) * if rng.below(2) == 0 { 1 } else { -1 },
        // The same value with more places (rescaled), or a nudge of one unit.
        _ => {
            let shift = i32::from(scale) - i32::from(old_scale);
            let v = if shift >= 0 {
                old.checked_mul(10i128.pow(shift.unsigned_abs())).unwrap_or(old)
            } else {
                old / 10i128.pow(shift.unsigned_abs())
            };
            v + i128::from(rng.below(3)) - 1
        }
    }
}

/// Replaces some cells of `batch` by extremes and nulls.
fn mutate(batch: &RecordBatch, rng: &mut SplitMix64) -> RecordBatch {
    let schema = batch.schema();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        let touch = rng.below(3) == 0;
        let n = c.len();
        let pick = |rng: &mut SplitMix64| touch && rng.below(4) == 0;
        let (field, col): (Field, ArrayRef) = match c.data_type() {
            DataType::Decimal128(_, s) => {
                let a = c.as_primitive::<Decimal128Type>();
                let scale = if touch { i8::try_from(rng.below(21)).unwrap_or(10) } else { *s };
                let v: Decimal128Array = (0..n)
                    .map(|i| {
                        let old = a.is_valid(i).then(|| a.value(i));
                        if pick(rng) {
                            if rng.below(5) == 0 {
                                None
                            } else {
                                Some(extreme_decimal(rng, old.unwrap_or(0), *s, scale))
                            }
                        } else {
                            old.map(|o| extreme_decimal_rescale(o, *s, scale))
                        }
                    })
                    .collect();
                let v = v.with_precision_and_scale(38, scale).unwrap();
                (Field::new(f.name(), DataType::Decimal128(38, scale), true), Arc::new(v))
            }
            DataType::Int64 => {
                let a = c.as_primitive::<Int64Type>();
                let v: Int64Array = (0..n)
                    .map(|i| {
                        let old = a.is_valid(i).then(|| a.value(i));
                        if pick(rng) {
                            [None, Some(i64::MAX), Some(i64::MIN), Some(-1), Some(0), old.map(|o| o.saturating_add(1))]
                                [usize::try_from(rng.below(6)).unwrap_or(0)]
                        } else {
                            old
                        }
                    })
                    .collect();
                (f.as_ref().clone(), Arc::new(v))
            }
            DataType::Date32 => {
                let a = c.as_primitive::<Date32Type>();
                let v: Date32Array = (0..n)
                    .map(|i| {
                        let old = a.is_valid(i).then(|| a.value(i));
                        if pick(rng) {
                            [None, Some(i32::MAX), Some(-719_163), Some(2_932_897), old.map(|o| o + 1), old.map(|o| o - 1)]
                                [usize::try_from(rng.below(6)).unwrap_or(0)]
                        } else {
                            old
                        }
                    })
                    .collect();
                (f.as_ref().clone(), Arc::new(v))
            }
            _ => {
                // Nulls only: a null in any column.
                if touch && rng.below(2) == 0 {
                    let keep: arrow_array::BooleanArray = (0..n).map(|_| Some(rng.below(4) != 0)).collect();
                    let nulled = arrow_select_nullif(c, &keep);
                    (f.as_ref().clone(), nulled)
                } else {
                    (f.as_ref().clone(), c.clone())
                }
            }
        };
        fields.push(field);
        columns.push(col);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

/// The value `o` at scale `from` at scale `to` (truncated when fewer places).
fn extreme_decimal_rescale(o: i128, from: i8, to: i8) -> i128 {
    let shift = i32::from(to) - i32::from(from);
    if shift >= 0 {
        o.checked_mul(10i128.pow(shift.unsigned_abs())).unwrap_or(o)
    } else {
        o / 10i128.pow(shift.unsigned_abs())
    }
}

/// `c` with the rows where `keep` is false set to null.
fn arrow_select_nullif(c: &ArrayRef, keep: &arrow_array::BooleanArray) -> ArrayRef {
    let data = c.to_data();
    let old = c.logical_nulls();
    let nulls: arrow_buffer::NullBuffer =
        (0..c.len()).map(|i| keep.value(i) && old.as_ref().is_none_or(|n| n.is_valid(i))).collect::<Vec<bool>>().into();
    let data = data.into_builder().nulls(Some(nulls)).build().unwrap();
    arrow_array::make_array(data)
}

/// Compares the two paths on one population; returns the rows the kernels
/// decided.
fn compare(plan: &Plan, batch: &RecordBatch, as_of: Option<chrono::NaiveDate>) -> Result<usize, TestCaseError> {
    let decide = DecideOptions { reference_date: as_of, trace: TraceLevel::Off, ..Default::default() };
    let fast = BatchDecider::new(plan, BatchOptions { decide: decide.clone(), ..Default::default() }).unwrap();
    let slow = BatchDecider::new(plan, BatchOptions { decide: decide.clone(), row_only: true, ..Default::default() }).unwrap();
    let (mut sa, mut sb) = (policy_arrow::Summary::default(), policy_arrow::Summary::default());
    let (a, count) = fast.decide_counted(batch, Some(&mut sa)).unwrap();
    let b = slow.decide(batch, Some(&mut sb)).unwrap();
    prop_assert_eq!(&a, &b, "decisions batches differ for {}", plan.policy().meta.id);
    prop_assert_eq!(&sa, &sb, "summaries differ for {}", plan.policy().meta.id);
    prop_assert_eq!(sa.render(), sb.render());
    prop_assert_eq!(serde_json::to_string(&sa).unwrap(), serde_json::to_string(&sb).unwrap());
    let totals = |s: &policy_arrow::Summary| s.benefits.iter().map(|b| b.total.map(|t| t.to_string())).collect::<Vec<_>>();
    prop_assert_eq!(totals(&sa), totals(&sb), "totals (with their scales)");
    let Ok(kernels) = fast.kernels() else { return Ok(0) };
    let run = kernels.run(plan, batch);
    prop_assert_eq!(run.count, count);
    let facts = slow.facts(batch).unwrap();
    for (row, f) in facts.iter().enumerate() {
        if !run.decided[row] {
            continue;
        }
        let f = f.as_ref().map_err(|e| TestCaseError::fail(format!("row {row}: the kernels decided a row the reader refuses: {e}")))?;
        let d = plan.decide(f, &decide).unwrap();
        for (bi, id) in fast.benefits().iter().enumerate() {
            let want = d.benefits.iter().find(|x| x.id == *id).unwrap();
            let (status, amount, failed) = run.row(bi, row).unwrap();
            prop_assert_eq!(STATUSES[usize::from(status)], want.status, "{} row {}", id, row);
            prop_assert_eq!(amount.map(|x| x.to_string()), want.amount.map(|x| x.to_string()), "{} row {}", id, row);
            let want_failed: Vec<&str> = want.failed.iter().map(|x| &*x.id).collect();
            let got: Vec<&str> = failed.iter().map(|x| &**x).collect();
            prop_assert_eq!(got, want_failed, "{} row {}", id, row);
            prop_assert!(want.missing.is_empty(), "{} row {}: the interpreter misses {:?}", id, row, want.missing);
        }
    }
    Ok(count)
}

#[test]
fn kernels_decide_generated_populations_as_the_interpreter_does() {
    let engines = engines();
    let plans: Vec<&Plan> = engines.iter().flat_map(|e| e.ids().map(|id| e.plan(id).unwrap().as_ref()).collect::<Vec<_>>()).collect();
    assert!(plans.len() >= 8, "{} plans", plans.len());
    let decided = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config { cases: 96, failure_persistence: None, ..Config::default() });
    runner
        .run(&(0..plans.len(), any::<u64>(), 1usize..200, any::<bool>()), |(pi, seed, n, extreme)| {
            let plan = plans[pi];
            let mut rng = SplitMix64::new(seed);
            let batch = Sampler::new(plan, seed).batch(plan, n).unwrap();
            let batch = if extreme { mutate(&batch, &mut rng) } else { batch };
            let as_of = as_of(plan, &mut rng);
            decided.set(decided.get() + compare(plan, &batch, as_of)?);
            Ok(())
        })
        .unwrap();
    assert!(decided.get() > 500, "the kernels decided {} rows", decided.get());
}

#[test]
fn jiaxing_samples_decide_in_the_kernels() {
    let engines = engines();
    let plan = engines[0].plan("jiaxing.digital_training_2021").unwrap();
    let batch = Sampler::new(plan, 7).batch(plan, 4096).unwrap();
    let as_of = "2021-10-15".parse().ok();
    let count = compare(plan, &batch, as_of).unwrap();
    // The sample leaves facts out on purpose; the rows with them all go to
    // the kernels.
    let whole = (0..batch.num_rows()).filter(|r| batch.columns().iter().all(|c| c.is_valid(*r))).count();
    assert!(count >= whole && whole > 1000, "{count} decided in the kernels, {whole} rows have every fact");
}

#[test]
fn coverage_of_the_bundled_policies() {
    let engines = engines();
    let mut covered = Vec::new();
    for e in &engines {
        let mut ids: Vec<&str> = e.ids().collect();
        ids.sort_unstable();
        for id in ids {
            for (b, r) in policy_arrow::kernel::Kernels::coverage(e.plan(id).unwrap()) {
                eprintln!("{id} {b}: {}", r.as_ref().map_or_else(|e| format!("row path ({e})"), |()| "kernels".into()));
                if r.is_ok() {
                    covered.push(format!("{id} {b}"));
                }
            }
        }
    }
    assert!(covered.iter().any(|c| c == "jiaxing.digital_training_2021 training_subsidy"), "{covered:?}");
}

/// A policy of the constructs the kernels cover, drawn from `rng`: inputs
/// of every scalar type with and without bounds and defaults, a unit
/// conversion, a dated parameter, lets, and benefits dated by an input or
/// the reference date with scopes, requirements and exclusions over
/// comparisons, arithmetic, enum sets, `if` and `min`/`max`, and
/// amounts from tiers, arithmetic or a parameter, some capped.
fn generated_policy(rng: &mut SplitMix64, n: u64) -> String {
    let pick = |rng: &mut SplitMix64, xs: &[&str]| xs[usize::try_from(rng.below(xs.len() as u64)).unwrap()].to_string();
    let mut t = format!(
        "policy gen.p{n} \"generated\"\n  in_force 2024-01-01 .. 2025-12-31\n\n\
         unit hour \"h\"\nunit lesson \"l\"\nconvert 3 hour = 4 lesson\n\
         enum kind \"k\" {{ a \"A\", b \"B\", c \"C\" }}\n\n"
    );
    let money_bound = if rng.below(2) == 0 { " in 0 yuan .. 100000 yuan" } else { "" };
    let default = if rng.below(3) == 0 { " default 10 yuan" } else { "" };
    t.push_str(&format!("input m0: money{money_bound}{default} \"m0\"\n"));
    t.push_str("input m1: money in 0 yuan .. \"m1\"\n");
    t.push_str("input p0: percent in 0% .. 100% \"p0\"\n");
    t.push_str(&format!("input i0: int{} \"i0\"\n", if rng.below(2) == 0 { " in 0 .. 1000" } else { "" }));
    t.push_str(&format!("input b0: bool{} \"b0\"\n", if rng.below(3) == 0 { " default true" } else { "" }));
    t.push_str("input e0: kind \"e0\"\n");
    t.push_str("input d0: date \"d0\"\n");
    t.push_str("input h0: hour in 0 hour .. \"h0\"\n\n");
    t.push_str("param rate: money \"rate\" {\n  from 2024-01-01 => 100 yuan\n  from 2025-01-01 => 125.5 yuan\n}\n");
    t.push_str("param share: percent \"share\" {\n  from 2024-01-01 => 12.5%\n  from 2025-07-01 => 15%\n}\n\n");
    t.push_str("let l0 = h0 as lesson \"l0\"\n");
    t.push_str(&format!("let s0: money = {} \"s0\"\n", pick(rng, &["m0 + m1", "m0 - m1", "m0 * share", "min(m0, m1)", "max(m0, m1 * 2)"])));
    t.push_str(&format!(
        "let k0: int = {} \"k0\"\n\n",
        pick(rng, &["i0 + 1", "i0 * 3", "if b0 { i0 } else { 0 }", "if e0 == a { 1 } else { i0 - 7 }"])
    ));
    let conditions = [
        "b0",
        "not b0",
        "e0 in {a, b}",
        "e0 == c",
        "m0 >= 500 yuan",
        "m0 > m1",
        "s0 <= 2000 yuan",
        "p0 <= 70%",
        "p0 > 33.33%",
        "i0 >= 3 and b0",
        "k0 < 50 or e0 != b",
        "l0 >= 32 lesson",
        "h0 > 10.5 hour",
        "d0 >= 2024-06-01",
        "m0 * p0 >= 100 yuan",
        "m1 / 3 > 10 yuan",
    ];
    let amounts = [
        "amount tiers l0 {\n    >= 48 lesson => 1200 yuan,\n    >= 40 lesson => 1000 yuan,\n    >= 32 lesson => 800 yuan,\n  }",
        "amount tiers p0 {\n    > 90% => 3 * rate,\n    >= 50% => rate,\n    else => 0 yuan,\n  }",
        "amount m0 * share",
        "amount rate * i0",
        "amount min(s0, 5000 yuan)",
        "amount m1 / 3",
        "amount if b0 { m0 } else { m1 }",
    ];
    for b in 0..1 + rng.below(3) {
        t.push_str(&format!("benefit x{b} \"x{b}\" {{\n"));
        if rng.below(2) == 0 {
            t.push_str("  dated_by d0\n");
        }
        for (k, kind) in ["applies_when", "require", "exclude"].iter().enumerate() {
            for c in 0..rng.below(3) {
                t.push_str(&format!("  {kind} c{k}_{c}: {} \"c{k}_{c}\"\n", pick(rng, &conditions)));
            }
        }
        t.push_str(&format!("  {} \"amount\"\n", pick(rng, &amounts)));
        if rng.below(3) == 0 {
            t.push_str("  cap 2500 yuan \"cap\"\n");
        }
        t.push_str("}\n\n");
    }
    t
}

/// The kernels against the row interpreter over generated policies (each
/// must be covered by the kernels whole, so that it exercises them) and
/// their sampled populations, with extreme cells half the time.
#[test]
fn kernels_decide_generated_policies_as_the_interpreter_does() {
    let decided = std::cell::Cell::new(0usize);
    let compiled = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    runner
        .run(&(any::<u64>(), 1usize..200, any::<bool>()), |(seed, n, extreme)| {
            let mut rng = SplitMix64::new(seed);
            let text = generated_policy(&mut rng, seed % 1000);
            let mut loader = policy_core::loader::MemoryLoader::new();
            let id = loader.add_policy("gen.policy", &text).unwrap();
            let source = policy_core::loader::Loader::load_policy(&loader, &id).unwrap();
            let plan = match policy_eval::compile(&source, &loader) {
                Ok(p) => p,
                Err(policy_eval::EvalError::Policy { diagnostics, .. }) => {
                    let errors: Vec<String> =
                        diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} {}", d.code.id, d.message)).collect();
                    return Err(TestCaseError::fail(format!("a generated policy does not compile: {errors:?}\n{text}")));
                }
                Err(e) => return Err(TestCaseError::fail(format!("a generated policy does not compile: {e}\n{text}"))),
            };
            for (b, r) in policy_arrow::kernel::Kernels::coverage(&plan) {
                prop_assert!(r.is_ok(), "benefit {} is not covered by the kernels: {:?}\n{}", b, r, text);
            }
            compiled.set(compiled.get() + 1);
            let batch = Sampler::new(&plan, seed).batch(&plan, n).unwrap();
            let batch = if extreme { mutate(&batch, &mut rng) } else { batch };
            let as_of = as_of(&plan, &mut rng);
            decided.set(decided.get() + compare(&plan, &batch, as_of).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?);
            Ok(())
        })
        .unwrap();
    assert_eq!(compiled.get(), 64);
    assert!(decided.get() > 500, "the kernels decided {} rows", decided.get());
}
