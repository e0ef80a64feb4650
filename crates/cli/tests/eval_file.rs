//! `policy eval --input FILE --output FILE`: the same population as JSON
//! lines, CSV and Parquet gives, line for line, the decisions the library
//! gives for each applicant's JSON facts; Parquet output holds one row per
//! applicant with the kept id; the summary counts every status.

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
