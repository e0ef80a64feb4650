//! Throughput of the columnar path against the row path on the same
//! population: 8192 Jiaxing applicants (the golden cases repeated, and each
//! with one fact left out), one thread, trace off.
//!
//! - `row/decider`: facts already decoded, one `Decider` (the engine alone);
//! - `row/json`: JSON text decoded and decided (what `--facts-lines` does);
//! - `arrow/decide`: a record batch in, a record batch of decisions out.
//!
//! `cargo bench -p policy-arrow --bench batch`; figures in docs/scale.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use policy_arrow::encode::batch_from_json;
use policy_arrow::{BatchDecider, BatchOptions};
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine};
use std::hint::black_box;
use std::path::Path;

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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
