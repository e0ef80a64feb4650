//! A file mid-edit never crashes or hangs the server: every prefix of every
//! bundled policy, at every line end (and, by proptest, at any character),
//! is analysed and asked for every feature at several positions. The
//! analysis is the one the server runs; the stdio test at the end feeds
//! prefixes to the real server process and checks it still answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use lsp_types::{Position, Url};
use policy_lsp::workspace::Workspace;
use policy_lsp::{complete, diagnostics, hints, hover, nav, symbols, tokens};
use proptest::prelude::*;
use serde_json::json;
use std::path::PathBuf;

fn policies() -> Vec<(PathBuf, String)> {
    let root = common::workspace().join("policies");
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&root)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    out.sort();
    out
}

/// Analyses `text` as the document at `path` and runs every feature at a few offsets.
fn exercise(ws: &mut Workspace, path: &PathBuf, text: &str, probes: &[usize]) {
    let uri = Url::from_file_path(path).unwrap();
    ws.open(uri.clone(), text.to_string(), 1);
    let a = ws.analyze(&uri).unwrap();
    let _ = diagnostics::to_lsp(&a, &uri);
    let _ = tokens::tokens(&a);
    let _ = symbols::document_symbols(&a.file);
    let _ = hints::hints(&a.file, 0, text.len());
    for &p in probes {
        let at = p.min(text.len());
        let _ = complete::complete(&a, at);
        let _ = nav::definition(&a, &uri, at);
        let _ = nav::prepare_rename(&a, at);
        if let Some((_, t)) = a.file.index.target_at(at) {
            if let Some((f, d)) = hover::resolve(&a, &t) {
                let _ = hover::def_markdown(&a, f, d);
            }
        }
        let pos = a.file.lines.position(&a.file.text, at);
        assert_eq!(a.file.lines.offset(&a.file.text, pos), snap(text, at));
    }
    let _ = nav::offset(&a, Position { line: u32::MAX, character: u32::MAX });
}

fn snap(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[test]
fn every_line_prefix_of_every_bundled_policy() {
    let all = policies();
    let mut ws = Workspace::new(vec![common::workspace().join("policies")]);
    let mut n = 0;
    for (path, text) in &all {
        // Every line end; the proptest below covers arbitrary cut points.
        for (end, _) in text.match_indices('\n') {
            let prefix = &text[..end];
            exercise(&mut ws, path, prefix, &[prefix.len(), prefix.len() / 2, prefix.len().saturating_sub(7)]);
            n += 1;
        }
    }
    assert!(n > 100, "{n} prefixes");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn any_prefix_any_position(which in 0usize..64, cut in 0.0f64..1.0, probe in 0.0f64..1.0) {
        let all = policies();
        let (path, text) = &all[which % all.len()];
        let end = snap(text, (text.len() as f64 * cut) as usize);
        let prefix = &text[..end];
        let mut ws = Workspace::new(vec![common::workspace().join("policies")]);
        exercise(&mut ws, path, prefix, &[(end as f64 * probe) as usize, end]);
    }
}

#[test]
fn the_server_process_survives_prefixes_of_a_policy() {
    let mut c = common::Client::start("policies");
    let (uri, text) = c.open("policies/jinhua/digital_engineer_2024.policy");
    c.diagnostics(&uri);
    let ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).step_by(7).collect();
    for (v, end) in ends.iter().enumerate() {
        let prefix = &text[..*end];
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": v + 2 }, "contentChanges": [ { "text": prefix } ] }),
        );
        let lines = prefix.matches('\n').count();
        let p = json!({ "line": lines, "character": 0 });
        c.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": p }));
        c.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": p }));
        c.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    }
    c.shutdown();
}
