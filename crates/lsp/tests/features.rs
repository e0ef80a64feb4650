//! Navigation, completion, rename, formatting, symbols, tokens, hints, code
//! lenses and quick fixes, driven over JSON-RPC on stdio; answers snapshotted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::{pos, redact, Client};
use serde_json::{json, Value};

const JINHUA: &str = "policies/jinhua/digital_engineer_2024.policy";
const DATONG: &str = "policies/datong/big_data_training_2022.policy";

fn at(uri: &str, p: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": p })
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn definition_and_references() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(JINHUA);
    c.diagnostics(&uri);
    // A use of a let goes to its declaration.
    let d = c.request("textDocument/definition", at(&uri, pos(&text, "insured_route", 1, 2)));
    assert_eq!(d[0]["range"]["start"], pos(&text, "let insured_route", 0, 4), "{d}");
    // A clause number in a cite: the clause declaration and the quoted sentence in the source text.
    let d = c.request("textDocument/definition", at(&uri, pos(&text, "cite \"二（一）\"", 0, 7)));
    insta::assert_snapshot!("definition_cite", redact(&d));
    assert!(d.as_array().unwrap().iter().any(|l| l["uri"].as_str().unwrap().ends_with("digital_engineer_2024.source.txt")));
    // An imported table: into the imported policy.
    let d = c.request("textDocument/definition", at(&uri, pos(&text, "zj.catalogue", 0, 4)));
    assert!(d[0]["uri"].as_str().unwrap().ends_with("zhejiang/digital_engineer_2023.policy"), "{d}");
    // References of an input: its declaration and every use.
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": pos(&text, "input insured_locally", 0, 7), "context": { "includeDeclaration": true } }),
    );
    insta::assert_snapshot!("references_input", redact(&refs));
    // References of an imported item from the importing side reach the imported policy's declaration.
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": pos(&text, "zj.catalogue", 0, 4), "context": { "includeDeclaration": true } }),
    );
    let uris: Vec<&str> = refs.as_array().unwrap().iter().map(|l| l["uri"].as_str().unwrap()).collect();
    assert!(uris.iter().any(|u| u.ends_with("zhejiang/digital_engineer_2023.policy")), "{refs}");
    assert!(uris.iter().any(|u| u.ends_with("jinhua/digital_engineer_2024.policy")), "{refs}");
    c.shutdown();
}

#[test]
fn hover_on_a_table_lookup_shows_the_row() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(DATONG);
    c.diagnostics(&uri);
    let h = c.request("textDocument/hover", at(&uri, pos(&text, "tasks[\"总计\"].order_training ==", 0, 1)));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("Row of `tasks`: `\"总计\" => 30000, 30000, 50000`"), "{md}");
    c.shutdown();
}

#[test]
fn completion_in_context() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(JINHUA);
    c.diagnostics(&uri);
    let complete = |c: &mut Client, edit_at: Value, typed: &str, version: i64| -> Vec<String> {
        c.change(&uri, version, json!({ "start": edit_at, "end": edit_at }), typed);
        let n = typed.chars().map(char::len_utf16).sum::<usize>() as u64;
        let after = json!({ "line": edit_at["line"], "character": edit_at["character"].as_u64().unwrap() + n });
        let r = c.request("textDocument/completion", at(&uri, after));
        let end = json!({ "line": edit_at["line"], "character": edit_at["character"].as_u64().unwrap() + n });
        c.change(&uri, version + 1, json!({ "start": edit_at, "end": end }), "");
        labels(&r)
    };
    let eol = |needle: &str| {
        let p = pos(&text, needle, 0, 0);
        let line = text.lines().nth(p["line"].as_u64().unwrap() as usize).unwrap();
        json!({ "line": p["line"], "character": line.chars().map(char::len_utf16).sum::<usize>() })
    };
    // Clause numbers inside `cite "`.
    let clauses = complete(&mut c, eol("let insured_route"), " cite \"", 2);
    assert!(clauses.contains(&"二（一）".to_string()), "{clauses:?}");
    // The imported policy's clauses inside `cite zj."`.
    let zj_clauses = complete(&mut c, eol("let insured_route"), " cite zj.\"", 4);
    assert!(zj_clauses.contains(&"四（四）".to_string()), "{zj_clauses:?}");
    // Items of an imported policy after `zj.`.
    let items = complete(&mut c, eol("let insured_route"), " and zj.", 6);
    assert!(items.contains(&"catalogue".to_string()), "{items:?}");
    // Variants after `==` on an input of an imported enum type.
    let vars = complete(&mut c, eol("let insured_route"), " and cert_level == ", 8);
    assert_eq!(vars, ["junior", "intermediate", "senior"], "the variants of zj.level, bare");
    // Units after a number.
    let units = complete(&mut c, eol("let insured_route"), " and completed_hours >= 3 ", 10);
    assert!(units.contains(&"zj.lesson_hour".to_string()) && units.contains(&"yuan".to_string()), "{units:?}");
    // Keywords at the start of a top-level line, and names in an expression.
    let top = complete(&mut c, json!({ "line": pos(&text, "let insured_route", 0, 0)["line"], "character": 0 }), "", 12);
    assert!(top.contains(&"benefit".to_string()) && top.contains(&"input".to_string()), "{top:?}");
    let names = complete(&mut c, eol("let insured_route"), " and ", 14);
    assert!(names.contains(&"local_hukou".to_string()) && names.contains(&"not".to_string()), "{names:?}");
    insta::assert_snapshot!(
        "completions",
        format!("cite: {clauses:?}\ncite zj: {zj_clauses:?}\nzj.: {items:?}\n==: {vars:?}\nunits: {units:?}\ntop: {top:?}")
    );
    c.shutdown();
}

#[test]
fn rename_reaches_the_golden_cases() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(DATONG);
    c.diagnostics(&uri);
    let p = pos(&text, "input daily_checkin", 0, 7);
    let prep = c.request("textDocument/prepareRename", at(&uri, p.clone()));
    assert_eq!(prep["start"], pos(&text, "input daily_checkin", 0, 6));
    let edit = c.request("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": p, "newName": "checked_in_daily" }));
    let changes = edit["changes"].as_object().unwrap();
    let cases_uri = common::uri("policies/datong/big_data_training_2022.cases.json");
    let cases_text = std::fs::read_to_string(common::workspace().join("policies/datong/big_data_training_2022.cases.json")).unwrap();
    let in_cases = changes[&cases_uri].as_array().unwrap().len();
    assert_eq!(in_cases, cases_text.matches("\"daily_checkin\"").count(), "every fact key in the cases is renamed");
    let in_policy = changes[&uri].as_array().unwrap().len();
    assert_eq!(in_policy, text.matches("daily_checkin").count(), "the declaration and every use in the policy");
    let summary: Vec<String> =
        changes.iter().map(|(u, e)| format!("{}: {} edits", redact(&json!(u)), e.as_array().unwrap().len())).collect();
    insta::assert_snapshot!("rename_input", summary.join("\n"));
    // Not a name: refused with a reason.
    let bad = c.request_raw("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": p, "newName": "9lives" }));
    assert!(bad["error"]["message"].as_str().unwrap().contains("not a name"), "{bad}");
    c.shutdown();
}

#[test]
fn formatting_symbols_tokens_hints() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(DATONG);
    c.diagnostics(&uri);
    // Format once (the whole document, or no edit when it is formatted), then
    // mangle the spacing of one line: formatting gives the same text back.
    let f =
        c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let formatted = f.get(0).map(|e| e["newText"].as_str().unwrap().to_string()).unwrap_or_else(|| text.clone());
    assert!(formatted.contains("policy datong.big_data_training_2022"));
    let p = pos(&text, "\ninput ", 0, 0);
    let line_start = json!({ "line": p["line"].as_u64().unwrap() + 1, "character": 5 });
    c.change(&uri, 2, json!({ "start": line_start, "end": line_start }), "   ");
    let f =
        c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(f[0]["newText"].as_str().unwrap(), formatted, "formatting restores the file");
    let end = json!({ "line": line_start["line"], "character": 8 });
    c.change(&uri, 3, json!({ "start": line_start, "end": end }), "");

    let syms = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let outline: Vec<String> = syms
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let kids = s["children"].as_array().map(|k| k.len()).unwrap_or(0);
            format!(
                "{} ({}){}",
                s["name"].as_str().unwrap(),
                s["detail"].as_str().unwrap_or(""),
                if kids > 0 { format!(" [{kids}]") } else { String::new() }
            )
        })
        .collect();
    insta::assert_snapshot!("outline_datong", outline.join("\n"));

    let ws = c.request("workspace/symbol", json!({ "query": "history" }));
    let found: Vec<String> = ws
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} in {}", s["name"].as_str().unwrap(), s["containerName"].as_str().unwrap()))
        .collect();
    insta::assert_snapshot!("workspace_symbols_history", found.join("\n"));

    let toks = c.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let data = toks["data"].as_array().unwrap();
    assert_eq!(data.len() % 5, 0);
    // Decode the first line's tokens: `policy` is a keyword, the id is not classed, the title a string.
    let decoded: Vec<(u64, u64, u64, u64)> = data
        .chunks(5)
        .scan((0u64, 0u64), |(line, col), t| {
            let dl = t[0].as_u64().unwrap();
            *line += dl;
            *col = if dl == 0 { *col + t[1].as_u64().unwrap() } else { t[1].as_u64().unwrap() };
            Some((*line, *col, t[2].as_u64().unwrap(), t[3].as_u64().unwrap()))
        })
        .take(12)
        .collect();
    insta::assert_snapshot!("tokens_datong_head", format!("{decoded:?}"));

    c.shutdown();
}

fn all_hints(c: &mut Client, uri: &str, text: &str) -> String {
    let end_line = text.lines().count();
    let hints = c.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": end_line, "character": 0 } } }),
    );
    let hs: Vec<String> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let line = text.lines().nth(h["position"]["line"].as_u64().unwrap() as usize).unwrap();
            let col = h["position"]["character"].as_u64().unwrap() as usize;
            let before: String = line.encode_utf16().take(col).map(|u| char::from_u32(u as u32).unwrap_or('?')).collect();
            format!("{}⟨{}⟩", before.trim_start(), h["label"].as_str().unwrap())
        })
        .collect();
    hs.join("\n")
}

#[test]
fn inlay_hints_show_tier_ranges_and_period_ends() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open("policies/jiaxing/digital_training_2021.policy");
    c.diagnostics(&uri);
    let tiers = all_hints(&mut c, &uri, &text);
    assert!(!tiers.is_empty());
    // A parameter whose first value runs until the second starts.
    let text = "policy test.hints \"t\"\n\nparam rate: money \"r\" {\n  from 2020-01-01 => 100 yuan\n  from 2021-03-01 => 200 yuan\n}\n";
    let uri2 = common::uri("policies/test_hints.policy");
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri2, "languageId": "policy", "version": 1, "text": text } }));
    c.diagnostics(&uri2);
    let periods = all_hints(&mut c, &uri2, text);
    insta::assert_snapshot!("hints", format!("{tiers}\n---\n{periods}"));
    c.shutdown();
}

#[test]
fn code_lens_runs_the_golden_cases_and_the_quick_fix_applies() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(DATONG);
    c.diagnostics(&uri);
    let lenses = c.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let titles: Vec<&str> = lenses.as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    insta::assert_snapshot!("lenses_datong", titles.join("\n"));
    let run = &lenses[0]["command"];
    let result = c.request("workspace/executeCommand", json!({ "command": run["command"], "arguments": run["arguments"] }));
    let total = result["passed"].as_u64().unwrap() + result["failed"].as_u64().unwrap();
    assert_eq!(result["failed"], 0, "{result}");
    assert!(total > 0);
    let shown = c.notes.iter().find(|n| n["method"] == "window/showMessage").expect("a message with the counts");
    assert_eq!(shown["params"]["message"], format!("{total} passed, 0 failed"));
    // The lens now shows the last run's outcome.
    let lenses = c.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(lenses[0]["command"]["title"], format!("▶ Run {total} golden cases (last run: {total} passed, 0 failed)"));
    let example = c.request("workspace/executeCommand", json!({ "command": "policy.decideExample", "arguments": [uri] }));
    assert!(example["trace"].as_str().unwrap().len() > 20, "{example}");

    // A typo, then the quick fix offered for its diagnostic.
    let p = pos(&text, "training_days", 1, 0);
    let end = json!({ "line": p["line"], "character": p["character"].as_u64().unwrap() + 13 });
    c.change(&uri, 2, json!({ "start": p, "end": end }), "training_dys");
    let diags = c.diagnostics(&uri);
    let typo = diags.as_array().unwrap().iter().find(|d| d["code"] == "C101").expect("an unknown-name diagnostic").clone();
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": typo["range"], "context": { "diagnostics": [typo] } }),
    );
    insta::assert_snapshot!("quick_fix", redact(&actions));
    // The editor applies the edit: the diagnostic is gone.
    let e = &actions[0]["edit"]["changes"][&uri][0];
    c.change(&uri, 3, e["range"].clone(), e["newText"].as_str().unwrap());
    assert_eq!(c.diagnostics(&uri), json!([]));
    c.shutdown();
}

const JIAXING: &str = "policies/jiaxing/skills_upgrading_2019.policy";

#[test]
fn outputs_and_amount_of() {
    let mut c = Client::start("policies");
    // The bundled policy, plus a let that reads two benefits' amounts.
    let mut text = std::fs::read_to_string(common::workspace().join(JIAXING)).unwrap();
    // The first `subsidy_year` without its type: the hover shows the checker's.
    assert!(text.contains("output subsidy_year: int = application_year\n"));
    text = text.replacen("output subsidy_year: int = application_year\n", "output subsidy_year = application_year\n", 1);
    text.push_str("\nlet apprentices = amount_of(employee_apprentice) + amount_of(student_apprentice) \"学徒补贴合计\"\n");
    let uri = common::uri(JIAXING);
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "policy", "version": 1, "text": text } }));
    let diags = c.diagnostics(&uri);
    assert!(diags.as_array().unwrap().iter().all(|d| d["severity"] != 1), "{diags}");

    let h = c.request("textDocument/hover", at(&uri, pos(&text, "output subsidy_year", 0, 8)));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("```policy\noutput subsidy_year: int = application_year\n```"), "{md}");
    assert!(md.ends_with("Reported by benefit `employee_apprentice`."), "{md}");
    // Hover on an output: its declaration (type), label, citation and benefit.
    let h = c.request("textDocument/hover", at(&uri, pos(&text, "output subsidy_year", 1, 8)));
    let md = h["contents"]["value"].as_str().unwrap();
    insta::assert_snapshot!("hover_output", md);
    assert!(md.contains("output subsidy_year: int = application_year"), "{md}");
    assert!(md.contains("补贴年度") && md.contains("**cite 三（一）二是**") && md.contains("`student_apprentice`"), "{md}");

    // The outline lists each benefit's outputs under it.
    let syms = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let student = syms.as_array().unwrap().iter().find(|s| s["name"] == "student_apprentice").unwrap();
    let outputs: Vec<&Value> = student["children"].as_array().unwrap().iter().filter(|k| k["detail"] == "output").collect();
    assert_eq!(outputs.len(), 1, "{student}");
    assert_eq!(outputs[0]["name"], "subsidy_year");
    assert_eq!(outputs[0]["selectionRange"]["start"], pos(&text, "output subsidy_year", 1, 7));

    // `amount_of(b)`: definition and hover reach the benefit.
    let d = c.request("textDocument/definition", at(&uri, pos(&text, "amount_of(student_apprentice)", 0, 12)));
    assert_eq!(d[0]["range"]["start"], pos(&text, "benefit student_apprentice", 0, 8), "{d}");
    let h = c.request("textDocument/hover", at(&uri, pos(&text, "amount_of(employee_apprentice)", 0, 12)));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("```policy\nbenefit employee_apprentice\n```\n\n职工学徒企业补贴"), "{md}");

    // Inside `amount_of(`: the benefits of the policy, and nothing else.
    let last = text.lines().count() as u64 - 1;
    let end = text.lines().last().unwrap().chars().map(char::len_utf16).sum::<usize>() as u64;
    let edit = json!({ "line": last, "character": end });
    c.change(&uri, 2, json!({ "start": edit, "end": edit }), " + amount_of(liv");
    let r = c.request("textDocument/completion", at(&uri, json!({ "line": last, "character": end + 16 })));
    let benefits: Vec<String> =
        text.lines().filter_map(|l| l.strip_prefix("benefit ")).map(|l| l.split(' ').next().unwrap().to_string()).collect();
    assert!(benefits.len() > 5 && benefits.contains(&"living_allowance".to_string()), "{benefits:?}");
    assert_eq!(labels(&r), benefits);
    assert!(r.as_array().unwrap().iter().any(|i| i["detail"] == "培训期间生活费补贴"), "{r}");
    c.shutdown();
}

#[test]
fn an_amendment_is_checked_and_its_amended_names_navigate_to_the_base() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open("policies/jiaxing/digital_training_2022_example.policy");
    let diags = c.diagnostics(&uri);
    assert!(diags.as_array().is_some_and(|d| d.is_empty()), "{diags}");
    // `amend benefit training_subsidy`: the base's benefit.
    let d = c.request("textDocument/definition", at(&uri, pos(&text, "amend benefit training_subsidy", 0, 16)));
    assert!(d[0]["uri"].as_str().unwrap().ends_with("jiaxing/digital_training_2021.policy"), "{d}");
    // An inherited input read by a replaced condition: hover shows the base's declaration.
    let h = c.request("textDocument/hover", at(&uri, pos(&text, "attendance <= 80%", 0, 2)));
    let md = h["contents"]["value"].as_str().unwrap_or_default();
    assert!(md.contains("attendance"), "{h}");
    // `repeal bound_district`: hover shows the base's scope condition and
    // definition goes to it.
    let h = c.request("textDocument/hover", at(&uri, pos(&text, "repeal bound_district", 0, 9)));
    let md = h["contents"]["value"].as_str().unwrap_or_default();
    assert!(md.contains("南湖、秀洲、经开区按上述补贴标准执行"), "{h}");
    let d = c.request("textDocument/definition", at(&uri, pos(&text, "repeal bound_district", 0, 9)));
    assert!(d[0]["uri"].as_str().unwrap().ends_with("jiaxing/digital_training_2021.policy"), "{d}");
    // `replace exclude low_attendance`: the condition it takes the place of.
    let h = c.request("textDocument/hover", at(&uri, pos(&text, "replace exclude low_attendance", 0, 18)));
    let md = h["contents"]["value"].as_str().unwrap_or_default();
    assert!(md.contains("班级平均出勤率低于70%（含）的，不予补贴"), "{h}");
    c.shutdown();
}
