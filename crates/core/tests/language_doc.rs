//! Every fenced `policy` example in `docs/language.md` parses (examples are
//! fragments, so a header is added where a block has none).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::parse::parse;

#[test]
fn language_reference_examples_parse() {
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```policy") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    assert!(blocks.len() >= 15, "found only {} examples", blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let text = if block.trim_start().starts_with("policy ") { block.clone() } else { format!("policy doc.example \"例\"\n{block}") };
        let parsed = parse(&format!("example {}", i + 1), &text);
        let errors: Vec<String> = parsed.diagnostics.iter().map(|d| format!("{} at {:?}", d.message, d.line_col(&text))).collect();
        assert!(errors.is_empty(), "example {} does not parse:\n{text}\n{errors:#?}", i + 1);
        assert!(parsed.file.is_some());
    }
}
