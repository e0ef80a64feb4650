//! The server driven over JSON-RPC on stdio, as an editor drives it; each
//! answer snapshotted (paths shown as `$ROOT`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::{pos, redact, Client};
use serde_json::json;

const JINHUA: &str = "policies/jinhua/digital_engineer_2024.policy";

fn hover(c: &mut Client, uri: &str, p: serde_json::Value) -> serde_json::Value {
    c.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": p }))
}

#[test]
fn diagnostics_as_you_type_and_hover() {
    let mut c = Client::start("policies");
    let (uri, text) = c.open(JINHUA);
    let first = c.diagnostics(&uri);
    assert_eq!(first, json!([]), "a bundled policy checks clean");

    // Hover a let: its type, label and the quoted sentence of its citation.
    let h = hover(&mut c, &uri, pos(&text, "let listed", 0, 5));
    insta::assert_snapshot!("hover_let", redact(&h));
    // Hover a clause number inside `cite "…"`: the clause and its sentence in the source document.
    let h = hover(&mut c, &uri, pos(&text, "cite \"二（一）\"", 0, 7));
    insta::assert_snapshot!("hover_cite", redact(&h));
    // Hover an imported table: its declaration in the imported policy.
    let h = hover(&mut c, &uri, pos(&text, "zj.catalogue", 0, 4));
    insta::assert_snapshot!("hover_imported", redact(&h));

    // Introduce a misspelling: the diagnostic names it, links its code, and carries the fix.
    let p = pos(&text, "let insured_route: bool = insured_locally", 0, 26);
    let end = json!({ "line": p["line"], "character": p["character"].as_u64().unwrap() + "insured_locally".len() as u64 });
    c.change(&uri, 2, json!({ "start": p, "end": end }), "insured_localy");
    let diags = c.diagnostics(&uri);
    insta::assert_snapshot!("diagnostic_typo", redact(&diags));
    assert_eq!(diags[0]["code"], "C101");
    assert_eq!(diags[0]["data"]["replace"], "insured_locally");

    // Fix it again: diagnostics clear.
    let end2 = json!({ "line": p["line"], "character": p["character"].as_u64().unwrap() + "insured_localy".len() as u64 });
    c.change(&uri, 3, json!({ "start": p, "end": end2 }), "insured_locally");
    assert_eq!(c.diagnostics(&uri), json!([]));
    c.shutdown();
}

#[test]
fn hover_on_a_parameter_shows_its_dated_values() {
    let root = common::workspace();
    let params: Vec<_> = std::fs::read_dir(root.join("policies"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("\nparam "))
        .collect();
    let mut params = params;
    params.sort();
    let path = params.first().expect("a bundled policy with a param");
    let rel = path.strip_prefix(&root).unwrap().display().to_string();
    let mut c = Client::start("policies");
    let (uri, text) = c.open(&rel);
    c.diagnostics(&uri);
    let h = hover(&mut c, &uri, common::pos_of(&text, text.find("\nparam ").unwrap() + 8));
    let value = h["contents"]["value"].as_str().unwrap().to_string();
    assert!(value.contains("| from | until | value |"), "{value}");
    insta::assert_snapshot!("hover_param", redact(&h));
    c.shutdown();
}

#[test]
fn changes_are_debounced_per_document_and_flushed_before_a_request() {
    // A debounce delay no test waits for: diagnostics come only when a
    // request needs the latest text, once, for the latest version.
    // (An absurd delay is clamped to an hour, not an overflow.)
    let mut c = Client::start_with("policies", json!({ "debounceMs": u64::MAX }));
    let (uri, text) = c.open(JINHUA);
    assert_eq!(c.diagnostics(&uri), json!([]), "opening publishes at once");
    let p = pos(&text, "let insured_route: bool = insured_locally", 0, 26);
    for (v, typed) in ["x", "y", "z"].iter().enumerate() {
        c.change(&uri, v as i64 + 2, json!({ "start": p, "end": p }), typed);
    }
    assert!(c.notes.iter().all(|n| n["method"] != "textDocument/publishDiagnostics"));
    c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let published: Vec<_> = c.notes.iter().filter(|n| n["method"] == "textDocument/publishDiagnostics").cloned().collect();
    assert_eq!(published.len(), 1, "one check for three changes: {published:?}");
    assert_eq!(published[0]["params"]["version"], 4);
    let msg = published[0]["params"]["diagnostics"][0]["message"].as_str().unwrap();
    assert!(msg.starts_with("unknown name `zyxinsured_locally`"), "{msg}");
    c.shutdown();
}

#[test]
fn a_duplicate_declaration_points_at_the_other_one() {
    let mut c = Client::start("policies");
    let text = "policy test.dup \"t\"\n\ninput age: int \"a\"\ninput age: int \"b\"\n";
    let uri = common::uri("policies/test_dup.policy");
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "policy", "version": 1, "text": text } }));
    let diags = c.diagnostics(&uri);
    let dup = diags.as_array().unwrap().iter().find(|d| d["code"] == "C102").expect("a C102").clone();
    let related = &dup["relatedInformation"];
    insta::assert_snapshot!("duplicate_related", redact(&json!({ "range": dup["range"], "related": related })));
    assert_ne!(related[0]["location"]["range"], dup["range"]);
    c.shutdown();
}
