//! `policy sample` and `policy impact` at the library level.
//!
//! - A sample is deterministic: the same seed gives the same bytes (Parquet,
//!   JSON lines, CSV), whatever the batch size; another seed differs.
//! - A sample reaches every tier of Jiaxing's subsidy in 10,000 applicants,
//!   and every bundled policy decides its own sample without a refused row.
//! - The impact of a raised figure, over a sampled population, is what
//!   deciding each applicant independently with both versions gives: the
//!   transition counts, the totals before and after, the histogram of the
//!   changes; streamed in small batches, from Parquet and JSON lines alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use policy_arrow::files::Format;
use policy_arrow::impact::{ImpactOptions, ImpactRun};
use policy_arrow::sample::{write_sample, Sampler};
use policy_arrow::{BatchDecider, BatchOptions};
use policy_eval::{DecideOptions, Engine, Plan, Status, TraceLevel};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const JIAXING: &str = "jiaxing.digital_training_2021";

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn engine() -> Engine {
    Engine::from_dir(policies()).unwrap()
}

/// A date every bundled policy is in force on (the middle of its window).
fn as_of(plan: &Plan) -> Option<chrono::NaiveDate> {
    let m = &plan.policy().meta;
    match (m.in_force_from, m.in_force_until) {
        (Some(f), Some(u)) => Some(f + (u - f) / 2),
        (Some(f), None) => Some(f),
        (None, u) => u,
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let engine = engine();
    let plan = engine.plan(JIAXING).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (ext, format) in [("parquet", Format::Parquet), ("jsonl", Format::Jsonl), ("csv", Format::Csv)] {
        let write = |name: &str, seed: u64, batch: usize| {
            let path = dir.path().join(format!("{name}.{ext}"));
            write_sample(plan, 5000, seed, (&path, format), batch, |_| {}).unwrap();
            std::fs::read(path).unwrap()
        };
        let a = write("a", 7, 8192);
        assert_eq!(a, write("b", 7, 8192), "{ext}");
        assert_ne!(a, write("c", 8, 8192), "{ext}");
        if format != Format::Parquet {
            // Row by row: the batch size does not change what is drawn.
            assert_eq!(a, write("d", 7, 333), "{ext}");
        }
    }
}

#[test]
fn every_tier_of_jiaxing_is_reached_in_ten_thousand() {
    let engine = engine();
    let plan = engine.plan(JIAXING).unwrap();
    let mut sampler = Sampler::new(plan, 1);
    let batch = sampler.batch(plan, 10_000).unwrap();
    let opts = BatchOptions {
        decide: DecideOptions { reference_date: as_of(plan), trace: TraceLevel::Off, ..Default::default() },
        ..Default::default()
    };
    let decider = BatchDecider::new(plan, opts).unwrap();
    let rows = decider.decide_facts(decider.facts(&batch).unwrap());
    let mut amounts: BTreeMap<String, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        let d = r.as_ref().unwrap();
        let b = &d.benefits[0];
        *statuses.entry(b.status.as_str()).or_default() += 1;
        if let Some(a) = b.amount {
            *amounts.entry(a.normalize().to_string()).or_default() += 1;
        }
    }
    assert_eq!(amounts.keys().collect::<Vec<_>>(), ["1000", "1200", "800"], "{amounts:?}");
    // Both sides of the boundaries: every status occurs.
    assert_eq!(statuses.len(), 4, "{statuses:?}");
}

#[test]
fn every_bundled_policy_decides_its_sample_without_a_refused_row() {
    let engine = engine();
    let mut ids: Vec<String> = engine.ids().map(str::to_string).collect();
    ids.sort();
    assert!(ids.len() >= 5, "{ids:?}");
    for id in ids {
        let plan = engine.plan(&id).unwrap();
        let mut sampler = Sampler::new(plan, 3);
        let batch = sampler.batch(plan, 2000).unwrap();
        let opts = BatchOptions {
            decide: DecideOptions { reference_date: as_of(plan), trace: TraceLevel::Off, ..Default::default() },
            ..Default::default()
        };
        let decider = BatchDecider::new(plan, opts).unwrap();
        let rows = decider.decide_facts(decider.facts(&batch).unwrap());
        let refused: Vec<&String> = rows.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(refused.is_empty(), "{id}: {} refused, first: {}", refused.len(), refused[0]);
        // The sample also decides as JSON facts, as `policy eval --facts` would.
        let json = Sampler::new(plan, 3).applicants(50);
        for j in json {
            plan.facts_from_json(&j).unwrap_or_else(|e| panic!("{id}: {j}: {e}"));
        }
        let eligible = rows.iter().filter(|r| r.as_ref().unwrap().benefits.iter().any(|b| b.status == Status::Eligible)).count();
        assert!(eligible > 0, "{id}: no applicant of 2000 is eligible for anything");
    }
}

/// A copy of the bundled policies with Jiaxing's 800 yuan tier raised to 900.
fn amended() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("jiaxing");
    std::fs::create_dir_all(&to).unwrap();
    for name in ["digital_training_2021.policy", "digital_training_2021.source.txt"] {
        let text = std::fs::read_to_string(policies().join("jiaxing").join(name)).unwrap();
        let text = if name.ends_with(".policy") {
            let raised = text.replace(">= 32 lesson_hour => 800 yuan", ">= 32 lesson_hour => 900 yuan");
            assert_ne!(raised, text, "the figure to raise is not in the policy any more");
            raised
        } else {
            text
        };
        std::fs::write(to.join(name), text).unwrap();
    }
    let engine = Engine::from_dir(dir.path()).unwrap();
    (dir, engine)
}

#[test]
fn the_impact_of_a_raised_figure_is_what_deciding_each_applicant_gives() {
    let base_engine = engine();
    let (_dir, new_engine) = amended();
    let base = base_engine.plan(JIAXING).unwrap();
    let new = new_engine.plan(JIAXING).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("p.parquet");
    let jsonl = dir.path().join("p.jsonl");
    write_sample(base, 6000, 11, (&pq, Format::Parquet), 1000, |_| {}).unwrap();
    write_sample(base, 6000, 11, (&jsonl, Format::Jsonl), 1000, |_| {}).unwrap();
    let reference = as_of(base);

    // Every applicant decided on its own, with both versions.
    let opts = DecideOptions { reference_date: reference, trace: TraceLevel::Off, ..Default::default() };
    let mut transitions: BTreeMap<(String, String), u64> = BTreeMap::new();
    let (mut before, mut after) = (Decimal::ZERO, Decimal::ZERO);
    let mut deltas: BTreeMap<Decimal, u64> = BTreeMap::new();
    let lines = std::fs::read_to_string(&jsonl).unwrap();
    for line in lines.lines() {
        let b = base.decide(&base.facts_from_str(line).unwrap(), &opts).unwrap();
        let n = new.decide(&new.facts_from_str(line).unwrap(), &opts).unwrap();
        let (b, n) = (&b.benefits[0], &n.benefits[0]);
        *transitions.entry((b.status.as_str().into(), n.status.as_str().into())).or_default() += 1;
        before += b.amount.unwrap_or_default();
        after += n.amount.unwrap_or_default();
        if b.amount != n.amount {
            *deltas.entry((n.amount.unwrap_or_default() - b.amount.unwrap_or_default()).normalize()).or_default() += 1;
        }
    }
    assert!(deltas.get(&Decimal::from(100)).copied().unwrap_or(0) > 0, "the sample never meets the raised tier: {deltas:?}");
    assert!(after > before);

    for (path, format, batch) in [(&pq, Format::Parquet, 777), (&jsonl, Format::Jsonl, 500), (&pq, Format::Parquet, 8192)] {
        let opts = ImpactOptions { reference_date: reference, examples: 2, parallel: true, ..Default::default() };
        let run = ImpactRun::new(base, new, opts).unwrap();
        let out = dir.path().join("pairs.parquet");
        let impact = policy_arrow::impact::file::impact_file(run, (path, format), Some(&out), batch, |_| {}).unwrap();
        assert_eq!(impact.applicants, 6000);
        assert_eq!((impact.base_errors, impact.new_errors), (0, 0));
        let b = &impact.benefits[0];
        let got: BTreeMap<(String, String), u64> = b.transitions.iter().map(|t| ((t.from.into(), t.to.into()), t.count)).collect();
        assert_eq!(got, transitions, "{format:?}");
        assert_eq!((b.total_before, b.total_after), (Some(before), Some(after)));
        assert_eq!(b.total_change, Some(after - before));
        let hist: BTreeMap<Decimal, u64> = b.changes.buckets.iter().map(|k| (k.low, k.count)).collect();
        assert_eq!(hist, deltas);
        assert_eq!(b.changes.width, None);
        assert_eq!(b.amount_changed, deltas.values().sum::<u64>());
        assert_eq!(b.status_changed, 0);
        // The examples: at most two per kind, each an applicant the two
        // versions decide differently, as the witness shows.
        assert!(!b.examples.is_empty());
        for e in &b.examples {
            assert_eq!(e.kind, "eligible: amount up");
            let w = &e.witness.benefits[0];
            assert!(w.differs);
            assert_eq!(w.old.as_ref().unwrap().amount.as_deref(), Some("800.00"));
            assert_eq!(w.new.as_ref().unwrap().amount.as_deref(), Some("900.00"));
            assert!(e.witness.render_text().contains("eligible 800.00  eligible 900.00"), "{}", e.witness.render_text());
        }
        assert!(b.examples.len() <= 2);
        // The per-applicant output: one row per applicant, the changed ones
        // adding up to the change in total.
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let (mut rows, mut changed, mut sum) = (0usize, 0usize, Decimal::ZERO);
        for batch in reader {
            use arrow_array::cast::AsArray;
            let batch = batch.unwrap();
            let b = batch.column_by_name("training_subsidy").unwrap().as_struct();
            let delta = b.column_by_name("delta").unwrap().as_primitive::<arrow_array::types::Decimal128Type>();
            let flag = b.column_by_name("changed").unwrap().as_boolean();
            let row = batch.column_by_name("row").unwrap().as_primitive::<arrow_array::types::UInt64Type>();
            for i in 0..batch.num_rows() {
                assert_eq!(row.value(i), rows as u64);
                rows += 1;
                if flag.value(i) {
                    changed += 1;
                    sum += policy_arrow::read::decimal_of(delta.value(i), 10).unwrap();
                }
            }
        }
        assert_eq!(rows, 6000);
        assert_eq!(changed as u64, b.amount_changed + b.status_changed);
        assert_eq!(sum, after - before);
    }
}

#[test]
fn an_impact_of_identical_versions_changes_nothing() {
    let engine = engine();
    let plan = engine.plan(JIAXING).unwrap();
    let batch = Sampler::new(plan, 5).batch(plan, 3000).unwrap();
    let opts = ImpactOptions { reference_date: as_of(plan), examples: 3, ..Default::default() };
    let mut run = ImpactRun::new(plan, plan, opts).unwrap();
    run.add_batch(&batch).unwrap();
    let impact = run.finish();
    let b = &impact.benefits[0];
    assert_eq!((b.status_changed, b.amount_changed, b.unchanged), (0, 0, 3000));
    assert_eq!(b.total_before, b.total_after);
    assert!(b.examples.is_empty() && b.changes.buckets.is_empty());
}
