//! `policy eval --input FILE --output FILE`: the same population as JSON
//! lines, CSV and Parquet gives, line for line, the decisions the library
//! gives for each applicant's JSON facts; Parquet output holds one row per
//! applicant with the kept id; the summary counts every status and totals
//! every amount exactly. `policy sample` and `policy impact` through the
//! binary, on a sampled population and an amended copy of a policy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const JIAXING: &str = "jiaxing.digital_training_2021";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn policy(args: &[&str]) -> (i32, String, String) {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("policy");
    cmd.current_dir(workspace()).args(args);
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn population() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(workspace().join("policies/jiaxing/digital_training_2021.cases.json")).unwrap();
    let cases: CaseFile = serde_json::from_str(&text).unwrap();
    let mut rows: Vec<serde_json::Value> = cases.cases.iter().map(|c| c.facts.clone()).collect();
    for c in &cases.cases {
        let mut less = c.facts.as_object().unwrap().clone();
        less.remove("attendance");
        rows.push(less.into());
    }
    rows
}

fn expected(rows: &[serde_json::Value]) -> Vec<String> {
    let engine = Engine::from_dir(workspace().join("policies")).unwrap();
    let plan = engine.plan(JIAXING).unwrap();
    let opts = DecideOptions { reference_date: "2021-10-15".parse().ok(), trace: policy_eval::TraceLevel::Off, ..Default::default() };
    rows.iter().map(|r| serde_json::to_string(&plan.decide(&plan.facts_from_json(r).unwrap(), &opts).unwrap()).unwrap()).collect()
}

fn decide_to_jsonl(input: &Path, extra: &[&str]) -> (Vec<String>, String) {
    let out = input.with_extension("out.jsonl");
    let mut args = vec!["eval", JIAXING, "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap(), "--as-of", "2021-10-15"];
    args.extend_from_slice(extra);
    let (code, _, stderr) = policy(&args);
    assert_eq!(code, 0, "{stderr}");
    (std::fs::read_to_string(out).unwrap().lines().map(str::to_string).collect(), stderr)
}

#[test]
fn jsonl_csv_and_parquet_inputs_decide_as_the_library_does() {
    let dir = tempfile::tempdir().unwrap();
    let rows = population();
    let want = expected(&rows);

    let jsonl = dir.path().join("p.jsonl");
    std::fs::write(&jsonl, rows.iter().map(|r| format!("{r}\n")).collect::<String>()).unwrap();
    let (got, stderr) = decide_to_jsonl(&jsonl, &[]);
    assert_eq!(got, want);
    assert!(stderr.contains(&format!("{} applicants decided", rows.len())), "{stderr}");
    assert!(stderr.contains("training_subsidy: eligible "), "{stderr}");

    // CSV: every cell is text, as JSON facts would carry it.
    let names = [
        "clock_hours",
        "attendance",
        "has_certificate",
        "training_end",
        "institution_district",
        "designated_institution",
        "enterprise_employee",
    ];
    let mut csv = names.join(",") + "\n";
    for r in &rows {
        let cells: Vec<String> = names
            .iter()
            .map(|n| match r.get(n) {
                None => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            })
            .collect();
        csv += &(cells.join(",") + "\n");
    }
    let csv_path = dir.path().join("p.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let (got, _) = decide_to_jsonl(&csv_path, &[]);
    assert_eq!(got, want);

    // Parquet in the canonical schema, with an id column kept.
    let engine = Engine::from_dir(workspace().join("policies")).unwrap();
    let plan = engine.plan(JIAXING).unwrap();
    let facts = policy_arrow::encode::batch_from_json(plan.policy(), &rows).unwrap();
    let ids: ArrayRef = Arc::new((0..rows.len()).map(|i| Some(format!("a{i}"))).collect::<StringArray>());
    let mut columns = vec![("id".to_string(), ids)];
    for (f, c) in facts.schema().fields().iter().zip(facts.columns()) {
        columns.push((f.name().clone(), c.clone()));
    }
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let pq = dir.path().join("p.parquet");
    let mut w = ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let (got, _) = decide_to_jsonl(&pq, &["--keep", "id", "--batch-size", "7"]);
    assert_eq!(got, want);

    // Parquet out: one row per applicant, the id kept, a status per row.
    let out = dir.path().join("d.parquet");
    let (code, _, stderr) = policy(&[
        "eval",
        JIAXING,
        "--input",
        pq.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--as-of",
        "2021-10-15",
        "--keep",
        "id",
        "--batch-size",
        "5",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap()).unwrap().build().unwrap();
    let mut n = 0;
    for b in reader {
        let b = b.unwrap();
        let id = b.column_by_name("id").unwrap().as_string::<i32>();
        let status = b.column_by_name("training_subsidy").unwrap().as_struct().column_by_name("status").unwrap();
        for i in 0..b.num_rows() {
            assert_eq!(id.value(i), format!("a{}", n + i));
            assert!(arrow_array::Array::is_valid(status.as_ref(), i));
            let decision: serde_json::Value = serde_json::from_str(&want[n + i]).unwrap();
            let s = status.as_dictionary::<arrow_array::types::Int8Type>();
            let text = s.values().as_string::<i32>().value(s.key(i).unwrap());
            assert_eq!(text, decision["benefits"][0]["status"].as_str().unwrap());
        }
        n += b.num_rows();
    }
    assert_eq!(n, rows.len());
}

#[test]
fn a_column_that_is_not_a_fact_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "clock_hours,clock_hourz\n3,4\n").unwrap();
    let out = dir.path().join("d.jsonl");
    let (code, _, stderr) = policy(&["eval", JIAXING, "--input", csv.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("column `clock_hourz`: not an input or external"), "{stderr}");
}

/// The summary on stderr: per benefit, the count of each status and the
/// exact total, as deciding every applicant with the library gives them;
/// a sampled population of a three-benefit policy (no progress bar: stderr
/// is not a terminal here).
#[test]
fn the_summary_counts_statuses_and_totals_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let id = "datong.big_data_training_2022";
    let pop = dir.path().join("p.jsonl");
    let (code, _, stderr) = policy(&["sample", id, "--n", "3000", "--seed", "5", "-o", pop.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let out = dir.path().join("d.parquet");
    let (code, stdout, stderr) =
        policy(&["eval", id, "--input", pop.to_str().unwrap(), "--output", out.to_str().unwrap(), "--as-of", "2022-06-01"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(!stderr.contains('\r'), "a progress bar off a terminal: {stderr:?}");

    let engine = Engine::from_dir(workspace().join("policies")).unwrap();
    let plan = engine.plan(id).unwrap();
    let opts = DecideOptions { reference_date: "2022-06-01".parse().ok(), trace: policy_eval::TraceLevel::Off, ..Default::default() };
    let mut want: Vec<(String, std::collections::BTreeMap<&str, u64>, rust_decimal::Decimal)> = Vec::new();
    for line in std::fs::read_to_string(&pop).unwrap().lines() {
        let d = plan.decide(&plan.facts_from_str(line).unwrap(), &opts).unwrap();
        for b in &d.benefits {
            if !want.iter().any(|w| *w.0 == *b.id) {
                want.push((b.id.to_string(), Default::default(), Default::default()));
            }
            let w = want.iter_mut().find(|w| *w.0 == *b.id).unwrap();
            *w.1.entry(b.status.as_str()).or_default() += 1;
            w.2 += b.amount.unwrap_or_default();
        }
    }
    assert_eq!(want.len(), 3);
    let mut expected = "3000 applicants decided\n".to_string();
    for (id, counts, total) in &want {
        let order = ["eligible", "ineligible", "not_applicable", "undetermined"];
        let parts: Vec<String> = order.iter().filter_map(|s| counts.get(s).map(|n| format!("{s} {n}"))).collect();
        expected += &format!("  {id}: {}; total {} yuan\n", parts.join(", "), total.normalize());
    }
    assert!(stderr.starts_with(&expected), "want:\n{expected}\ngot:\n{stderr}");
    assert!(want.iter().all(|w| w.1.get("eligible").copied().unwrap_or(0) > 0));
}

/// `policy sample` then `policy impact` through the binary: an amended copy
/// (the 800 yuan tier raised to 900) over a sampled population; the text
/// report and the JSON report agree with deciding every applicant.
#[test]
fn sample_then_impact_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let pop = dir.path().join("p.parquet");
    let (code, _, stderr) = policy(&["sample", JIAXING, "--n", "4000", "--seed", "9", "-o", pop.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("4000 applicants drawn"), "{stderr}");
    // The same seed, the same bytes, through the binary too.
    let again = dir.path().join("again.parquet");
    let (code, _, stderr) = policy(&["sample", JIAXING, "--n", "4000", "--seed", "9", "-o", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&pop).unwrap(), std::fs::read(&again).unwrap());
    let amended = dir.path().join("policies/jiaxing");
    std::fs::create_dir_all(&amended).unwrap();
    let src = workspace().join("policies/jiaxing");
    let text = std::fs::read_to_string(src.join("digital_training_2021.policy")).unwrap();
    std::fs::write(amended.join("digital_training_2021.policy"), text.replace("=> 800 yuan", "=> 900 yuan")).unwrap();
    std::fs::copy(src.join("digital_training_2021.source.txt"), amended.join("digital_training_2021.source.txt")).unwrap();
    let new = amended.join("digital_training_2021.policy");
    let pairs = dir.path().join("impact.parquet");
    let args = ["impact", JIAXING, new.to_str().unwrap(), "--population", pop.to_str().unwrap(), "--as-of", "2021-10-15"];
    let (code, json, stderr) = policy(&[&args[..], &["--format", "json", "-o", pairs.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();

    // Every applicant decided with both versions.
    let engine = Engine::from_dir(workspace().join("policies")).unwrap();
    let base = engine.plan(JIAXING).unwrap();
    let new_engine = Engine::from_dir(dir.path().join("policies")).unwrap();
    let newp = new_engine.plan(JIAXING).unwrap();
    let opts = DecideOptions { reference_date: "2021-10-15".parse().ok(), trace: policy_eval::TraceLevel::Off, ..Default::default() };
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&pop).unwrap()).unwrap().build().unwrap();
    let (mut before, mut after, mut up) = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO, 0u64);
    for b in reader {
        let b = b.unwrap();
        let old_facts = policy_arrow::BatchDecider::new(base, Default::default()).unwrap().facts(&b).unwrap();
        let new_facts = policy_arrow::BatchDecider::new(newp, Default::default()).unwrap().facts(&b).unwrap();
        for (f, g) in old_facts.into_iter().zip(new_facts) {
            let x = base.decide(&f.unwrap(), &opts).unwrap();
            let y = newp.decide(&g.unwrap(), &opts).unwrap();
            before += x.benefits[0].amount.unwrap_or_default();
            after += y.benefits[0].amount.unwrap_or_default();
            up += u64::from(x.benefits[0].amount != y.benefits[0].amount);
        }
    }
    let b = &report["benefits"][0];
    assert_eq!(report["applicants"], 4000);
    assert_eq!(b["id"], "training_subsidy");
    assert_eq!(b["total_before"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), before);
    assert_eq!(b["total_after"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), after);
    assert_eq!(b["amount_changed"], up);
    assert!(up > 0);
    assert_eq!(b["changes"]["buckets"], serde_json::json!([{"low": "100.00", "count": up}]));
    assert!(pairs.exists());

    let (code, text, stderr) = policy(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.contains(&format!("0 changed status, {up} changed amount only")), "{text}");
    assert!(text.contains("example: eligible: amount up"), "{text}");
    assert!(text.contains("* training_subsidy  eligible 800.00  eligible 900.00"), "{text}");
}
