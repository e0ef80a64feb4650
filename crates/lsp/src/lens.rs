//! Code lenses on the policy header and the commands they run: the golden
//! cases beside the policy (`<stem>.cases.json`), with pass/fail, and the
//! example facts (`<stem>.example.json`) decided with the full trace. Both
//! compile the open text (imports from open buffers or disk).

use crate::nav::cases_path;
use crate::workspace::{Analysis, Workspace};
use lsp_types::{CodeLens, Command, Url};
use policy_eval::cases::{run_case, CaseFile};
use policy_eval::{render_text, DecideOptions, TraceLevel};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Runs the golden cases of a policy.
pub const RUN_CASES: &str = "policy.runCases";
/// Decides the example facts of a policy.
pub const DECIDE_EXAMPLE: &str = "policy.decideExample";

/// The example facts file beside a policy.
pub fn example_path(policy: &str) -> Option<PathBuf> {
    let p = Path::new(policy);
    let stem = p.file_stem()?.to_str()?;
    Some(p.with_file_name(format!("{stem}.example.json")))
}

/// The lenses of a document.
pub fn lenses(ws: &Workspace, a: &Analysis, uri: &Url) -> Vec<CodeLens> {
    let Some(ast) = &a.file.ast else { return Vec::new() };
    let range = a.file.lines.range(&a.file.text, ast.header.id.span.start, ast.header.id.span.end);
    let mut out = Vec::new();
    if let Some(cases) = cases_path(&a.file.name).and_then(|p| ws.read(&p)) {
        let n = serde_json::from_str::<CaseFile>(&cases).map(|c| c.cases.len()).unwrap_or(0);
        let last = ws.last_runs.get(uri).map(|r| format!(" (last run: {r})")).unwrap_or_default();
        out.push(CodeLens {
            range,
            command: Some(Command {
                title: format!("▶ Run {n} golden cases{last}"),
                command: RUN_CASES.into(),
                arguments: Some(vec![json!(uri)]),
            }),
            data: None,
        });
    }
    if example_path(&a.file.name).is_some_and(|p| p.is_file()) {
        out.push(CodeLens {
            range,
            command: Some(Command {
                title: "▶ Decide the example".into(),
                command: DECIDE_EXAMPLE.into(),
                arguments: Some(vec![json!(uri)]),
            }),
            data: None,
        });
    }
    out
}

/// Runs a lens command: a JSON result, and a one-line message for the editor.
pub fn execute(ws: &mut Workspace, command: &str, uri: &Url) -> Result<(Value, String), String> {
    let a = ws.analysis(uri).ok_or("the document is not open")?;
    let plan = ws.compile(uri).map_err(|n| format!("the policy has {n} error(s): fix them first"))?;
    match command {
        RUN_CASES => {
            let path = cases_path(&a.file.name).ok_or("no cases file")?;
            let text = ws.read(&path).ok_or_else(|| format!("no cases file `{}`", path.display()))?;
            let cases: CaseFile = serde_json::from_str(&text).map_err(|e| format!("`{}` is not a case file: {e}", path.display()))?;
            let mut results = Vec::new();
            let (mut passed, mut failed) = (0, 0);
            for case in &cases.cases {
                let o = run_case(&plan, case);
                if o.passed() {
                    passed += 1;
                } else {
                    failed += 1;
                }
                results.push(json!({ "name": case.name, "passed": o.passed(), "mismatches": o.mismatches }));
            }
            let msg = format!("{passed} passed, {failed} failed");
            ws.last_runs.insert(uri.clone(), msg.clone());
            Ok((json!({ "passed": passed, "failed": failed, "cases": results }), msg))
        }
        DECIDE_EXAMPLE => {
            let path = example_path(&a.file.name).ok_or("no example file")?;
            let text = ws.read(&path).ok_or_else(|| format!("no example facts `{}`", path.display()))?;
            let facts: Value = serde_json::from_str(&text).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))?;
            let facts = plan.facts_from_json(&facts).map_err(|e| format!("facts rejected: {e}"))?;
            let opts = DecideOptions { trace: TraceLevel::Full, ..Default::default() };
            let d = plan.decide(&facts, &opts).map_err(|e| format!("decision failed: {e}"))?;
            let summary: Vec<String> = d.benefits.iter().map(|b| format!("{}: {:?}", b.id, b.status)).collect();
            Ok((json!({ "decision": d, "trace": render_text(&d) }), summary.join("; ")))
        }
        other => Err(format!("unknown command `{other}`")),
    }
}
