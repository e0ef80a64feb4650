//! The examples of `docs/language.md` that run: every complete policy (a
//! fenced `policy` block starting with its header) followed by a fenced
//! `json` case (`{"as_of", "facts", "expect"}`, as in a case file) is
//! compiled and the case is run; its expectations must hold. A test that
//! fails when the documentation says something the engine does not do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::MemoryLoader;
use policy_eval::cases::{run_case, Case};
use policy_eval::Engine;

/// Fenced blocks in order: (language, text).
fn blocks(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        let trimmed = line.trim_start();
        if current.is_none() {
            if let Some(lang) = trimmed.strip_prefix("```") {
                current = Some((lang.trim().to_string(), String::new()));
            }
        } else if trimmed == "```" {
            out.extend(current.take());
        } else if let Some((_, text)) = &mut current {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

#[test]
fn runnable_examples_decide_as_documented() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let blocks = blocks(&doc);
    let mut ran = Vec::new();
    // Every complete policy of the page by its id, so that an amendment's
    // example is loaded with the policy it amends (and that one's, …).
    let by_id: std::collections::HashMap<String, &String> = blocks
        .iter()
        .filter(|(lang, text)| lang == "policy" && text.trim_start().starts_with("policy "))
        .map(|(_, text)| (text.split_whitespace().nth(1).unwrap().to_string(), text))
        .collect();
    let amends = |text: &str| text.lines().find_map(|l| l.trim().strip_prefix("amends ").map(|id| id.trim().to_string()));
    for pair in blocks.windows(2) {
        let [(lang, policy), (next, case)] = pair else { continue };
        if lang != "policy" || next != "json" || !policy.trim_start().starts_with("policy ") {
            continue;
        }
        let id = policy.split_whitespace().nth(1).unwrap().to_string();
        let mut loader = MemoryLoader::new();
        loader.add_policy("example.policy", policy);
        let mut base = amends(policy);
        let mut n = 0;
        while let Some(b) = base.take() {
            let text = by_id.get(&b).unwrap_or_else(|| panic!("example `{id}` amends `{b}`, which the page does not show"));
            n += 1;
            loader.add_policy(&format!("amended{n}.policy"), text);
            base = amends(text).filter(|_| n < 16);
        }
        let engine = Engine::from_loader(&loader).unwrap_or_else(|e| panic!("example `{id}` does not compile: {e}\n{policy}"));
        let mut value: serde_json::Value = serde_json::from_str(case).unwrap_or_else(|e| panic!("the case after `{id}`: {e}"));
        value["name"] = serde_json::Value::String(id.clone());
        let case: Case = serde_json::from_value(value).unwrap();
        let outcome = run_case(engine.plan(&id).unwrap(), &case);
        assert!(outcome.passed(), "example `{id}`: {:?}", outcome.mismatches);
        ran.push(id);
    }
    // The constructs documented with a runnable example.
    for id in ["doc.outputs", "doc.amount_of", "demo.grant_2020", "demo.grant_2022"] {
        assert!(ran.iter().any(|r| r == id), "no runnable example `{id}` in docs/language.md (ran {ran:?})");
    }
}
