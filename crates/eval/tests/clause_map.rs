//! The clause map of every bundled policy: each numbered clause of the source
//! document is declared in the policy, and each declared clause is either
//! cited by a rule or marked `not_computable` with a reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::Engine;

const NUMERALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"];

/// Numbered headings of a document: top-level `一、` and items `（一）` under them, as `三` and `三（一）`.
fn headings(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut top: Option<String> = None;
    for raw in source.lines() {
        let line = raw.trim().trim_start_matches(['#', '*', ' ']).trim();
        // Some documents number chapters `1、` (Hangzhou): read them as `一、`.
        let arabic: String = line.chars().take_while(char::is_ascii_digit).collect();
        let arabic_top = (!arabic.is_empty() && line[arabic.len()..].starts_with('、'))
            .then(|| arabic.parse::<usize>().ok().and_then(|n| NUMERALS.get(n.wrapping_sub(1))))
            .flatten();
        if let Some(n) = arabic_top.or_else(|| NUMERALS.iter().rev().find(|n| line.starts_with(&format!("{n}、")))) {
            top = Some(n.to_string());
            out.push(n.to_string());
            continue;
        }
        let item = NUMERALS.iter().rev().find(|n| line.starts_with(&format!("（{n}）")) || line.starts_with(&format!("({n})")));
        if let (Some(n), Some(t)) = (item, &top) {
            out.push(format!("{t}（{n}）"));
        }
    }
    out.dedup();
    out
}

#[test]
fn every_clause_is_cited_or_not_computable() {
    let engine = Engine::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let mut problems = Vec::new();
    let mut policies = 0;
    for id in engine.ids() {
        policies += 1;
        let p = engine.plan(id).unwrap().policy();
        assert!(!p.clauses.is_empty(), "{id}: no clause map");
        for c in &p.clauses {
            if !c.cited && c.not_computable.is_none() {
                problems.push(format!("{id}: clause {} is neither cited by a rule nor marked not_computable", c.number));
            }
            if c.not_computable.as_deref().is_some_and(|r| r.trim().is_empty()) {
                problems.push(format!("{id}: clause {} is not_computable without a reason", c.number));
            }
        }
        let Some(source) = p.files.first().and_then(|f| {
            let dir = std::path::Path::new(&*f.name).parent()?.to_path_buf();
            let name = std::fs::read_to_string(&*f.name).ok()?;
            let src = name.lines().find_map(|l| l.trim().strip_prefix("source \"").map(|s| s.trim_end_matches('"').to_string()))?;
            std::fs::read_to_string(dir.join(src)).ok()
        }) else {
            problems.push(format!("{id}: source text not found"));
            continue;
        };
        let found = headings(&source);
        assert!(found.len() >= 5, "{id}: only {} numbered clauses found in the source: {found:?}", found.len());
        eprintln!("{id}: {} numbered clauses in the source, {} declared", found.len(), p.clauses.len());
        for h in found {
            let declared = p.clauses.iter().any(|c| c.number == h || c.number.starts_with(&h));
            if !declared {
                problems.push(format!("{id}: the document's clause {h} is not in the clause map"));
            }
        }
    }
    assert_eq!(policies, 7, "expected the six bundled policies and the example amendment");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn headings_are_found() {
    let text = "1、 总则\n（一）甲\n一、总体要求\n（一）指导思想。\n（二）目标任务。\n二、对象\n## 三、措施\n**（一）申请**\n";
    assert_eq!(headings(text), ["一", "一（一）", "一", "一（一）", "一（二）", "二", "三", "三（一）"]);
}
