//! Throughput of the columnar path against the row path on the same
//! population: 8192 Jiaxing applicants (the golden cases repeated, and each
//! with one fact left out), one thread, trace off.
//!
//! - `row/decider`: facts already decoded, one `Decider` (the engine alone);
//! - `row/json`: JSON text decoded and decided (what `--facts-lines` does);
//! - `arrow/decide`: a record batch in, a record batch of decisions out
//!   (the column kernels decide the rows with every fact, the row
//!   interpreter the others);
//! - `arrow/row_only`: the same with the kernels off.
//!
//! `jiaxing_full_8192`: the golden cases that give every fact, repeated (every
//! row decides in the kernels), one thread:
//! - `baseline`: hand-written plain loops over the Arrow arrays computing
//!   Jiaxing 2021's status and exact amount (scaled integers), as status
//!   and Decimal128 columns;
//! - `kernels`: `BatchDecider::decide` (status, amount, failed ids and
//!   missing facts as columns);
//! - `kernels/sample`: the same on `policy sample`'s population (seed 7),
//!   which leaves facts out on purpose (those rows go to the row path).
//!
//! `jiaxing_parquet_262144`: Parquet in → Parquet out end to end (read,
//! decide, write snappy; `files::decide_file`, batches of 8192), the
//! golden cases with every fact repeated.
//!
//! `cargo bench -p policy-arrow --bench batch`; figures in docs/scale.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::cast_sign_loss, clippy::as_conversions)]

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int32Type};
use arrow_array::{Array, ArrayRef, Decimal128Array, DictionaryArray, Int8Array, RecordBatch, StringArray};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use policy_arrow::encode::batch_from_json;
use policy_arrow::files::{decide_file, Format};
use policy_arrow::sample::Sampler;
use policy_arrow::{BatchDecider, BatchOptions};
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

const ROWS: usize = 8192;

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let text = std::fs::read_to_string(root.join("jiaxing/digital_training_2021.cases.json")).unwrap();
    let cases: CaseFile = serde_json::from_str(&text).unwrap();
    let mut base = Vec::new();
    for case in &cases.cases {
        base.push(case.facts.clone());
        for key in case.facts.as_object().unwrap().keys() {
            let mut less = case.facts.as_object().unwrap().clone();
            less.remove(key);
            base.push(less.into());
        }
    }
    let rows: Vec<serde_json::Value> = base.iter().cycle().take(ROWS).cloned().collect();
    let texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    let facts: Vec<_> = rows.iter().map(|r| plan.facts_from_json(r).unwrap()).collect();
    let batch = batch_from_json(plan.policy(), &rows).unwrap();
    let opts = DecideOptions { reference_date: "2021-10-15".parse().ok(), ..Default::default() };
    let decider = BatchDecider::new(plan, BatchOptions { decide: opts.clone(), ..Default::default() }).unwrap();

    let mut g = c.benchmark_group("jiaxing_8192");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("row/decider", |b| {
        let mut d = plan.decider();
        b.iter(|| {
            for f in &facts {
                black_box(d.decide(f, &opts).unwrap().benefits.len());
            }
        })
    });
    g.bench_function("row/json", |b| {
        let mut d = plan.decider();
        b.iter(|| {
            for t in &texts {
                let f = plan.facts_from_str(t).unwrap();
                black_box(d.decide(&f, &opts).unwrap().benefits.len());
            }
        })
    });
    g.bench_function("arrow/decide", |b| b.iter(|| black_box(decider.decide(&batch, None).unwrap().num_rows())));
    let row_only = BatchDecider::new(plan, BatchOptions { decide: opts.clone(), row_only: true, ..Default::default() }).unwrap();
    g.bench_function("arrow/row_only", |b| b.iter(|| black_box(row_only.decide(&batch, None).unwrap().num_rows())));
    g.finish();

    // Every fact present: the golden cases repeated.
    let inputs = plan.policy().inputs.len();
    let full: Vec<serde_json::Value> = cases
        .cases
        .iter()
        .filter(|c| c.facts.as_object().is_some_and(|o| o.len() == inputs))
        .map(|c| c.facts.clone())
        .cycle()
        .take(ROWS)
        .collect();
    let full = batch_from_json(plan.policy(), &full).unwrap();
    let (out, decided) = decider.decide_counted(&full, None).unwrap();
    assert_eq!(decided, ROWS, "every row with all its facts decides in the kernels");
    assert_eq!(
        baseline(&full).1,
        out.column_by_name("training_subsidy").unwrap().as_struct().column(1).as_primitive::<Decimal128Type>().clone()
    );
    let sample = Sampler::new(plan, 7).batch(plan, ROWS).unwrap();
    let mut g = c.benchmark_group("jiaxing_full_8192");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("baseline", |b| b.iter(|| black_box(baseline(&full).0.len())));
    g.bench_function("kernels", |b| b.iter(|| black_box(decider.decide(&full, None).unwrap().num_rows())));
    g.bench_function("kernels/sample", |b| b.iter(|| black_box(decider.decide(&sample, None).unwrap().num_rows())));
    g.finish();

    // Parquet in, Parquet out.
    const FILE_ROWS: usize = 32 * ROWS;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("population.parquet");
    {
        let file = std::fs::File::create(&input).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, full.schema(), None).unwrap();
        for _ in 0..FILE_ROWS / ROWS {
            w.write(&full).unwrap();
        }
        w.close().unwrap();
    }
    let output = dir.path().join("decisions.parquet");
    let mut g = c.benchmark_group("jiaxing_parquet_262144");
    g.throughput(Throughput::Elements(FILE_ROWS as u64));
    g.sample_size(10);
    g.bench_function("decide_file", |b| {
        b.iter(|| {
            let s = decide_file(&decider, (&input, Format::Parquet), (&output, Format::Parquet), ROWS, |_| {}).unwrap();
            black_box(s.rows)
        })
    });
    g.finish();
}

/// Jiaxing 2021's rules by hand over the canonical columns: status (index
/// into `STATUSES`, null where a fact is missing) and the amount (Decimal128
/// at scale 10), exactly (3 clock hours are 4 lesson hours: compared as
/// `4 × hours` against `3 × tier`, in integers).
fn baseline(batch: &RecordBatch) -> (Int8Array, Decimal128Array) {
    let col = |n: &str| batch.column_by_name(n).unwrap();
    let hours = col("clock_hours").as_primitive::<Decimal128Type>();
    let attendance = col("attendance").as_primitive::<Decimal128Type>();
    let certificate = col("has_certificate").as_boolean();
    let end = col("training_end").as_primitive::<Date32Type>();
    let district: &DictionaryArray<Int32Type> = col("institution_district").as_dictionary();
    let designated = col("designated_institution").as_boolean();
    let employee = col("enterprise_employee").as_boolean();
    // The districts bound by the standard, mapped once per batch.
    let names: &StringArray = district.values().as_string();
    let bound: Vec<bool> = (0..names.len()).map(|i| matches!(names.value(i), "nanhu" | "xiuzhou" | "jingkai")).collect();
    let keys = district.keys();
    let (from, until) = (18_628, 18_992); // 2021-01-01, 2021-12-31
    let unit = 10_000_000_000i128; // scale 10
    let n = batch.num_rows();
    let mut status = Vec::with_capacity(n);
    let mut amount = Vec::with_capacity(n);
    let columns: [&dyn Array; 7] = [hours, attendance, certificate, end, district, designated, employee];
    for i in 0..n {
        if columns.iter().any(|c| c.is_null(i)) {
            status.push(None);
            amount.push(None);
            continue;
        }
        let d = end.value(i);
        let (s, a) = if d < from || d > until || !employee.value(i) || !bound[keys.value(i) as usize] {
            (2, None)
        } else {
            let lessons4 = hours.value(i) * 4; // 3 × lessons, at scale 10
            let ok = designated.value(i) && certificate.value(i) && lessons4 >= 3 * 32 * unit && attendance.value(i) > 7 * unit / 10;
            if !ok {
                (1, None)
            } else if lessons4 >= 3 * 48 * unit {
                (0, Some(1200 * unit))
            } else if lessons4 >= 3 * 40 * unit {
                (0, Some(1000 * unit))
            } else {
                (0, Some(800 * unit))
            }
        };
        status.push(Some(s));
        amount.push(a);
    }
    let amount = Decimal128Array::from(amount).with_precision_and_scale(38, 10).unwrap();
    let _: ArrayRef = Arc::new(amount.clone());
    (Int8Array::from(status), amount)
}

criterion_group!(benches, bench);
criterion_main!(benches);
