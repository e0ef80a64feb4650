//! Every rule quotes its own sentence (issue 12).
//!
//! Runs every golden case of every bundled policy with the full trace and
//! walks every trace node. For each node with a citation that carries a
//! quote:
//!
//! 1. the quote occurs in the cited document's source text (whitespace
//!    removed on both sides) and lies within the section of the cited clause
//!    (a clause's section runs from its heading to the next heading of the
//!    same or a higher level; a top-level clause's section includes its
//!    items; the cited document is the citation's own, so Jinhua's citations
//!    of the Zhejiang scheme are checked against the Zhejiang text);
//! 2. within one benefit, a clause's own quote (inherited by a `cite`
//!    without `quote`) is shown by rules of one meaning only (one kind and
//!    id / label): otherwise each of them is explained by a sentence that is
//!    not (only) theirs. This is the checker's rule, seen from the trace.
//!
//! The test fails with the list of every offending (policy, case, benefit,
//! node, clause, quote).
#![allow(clippy::type_complexity, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
use support::case_files;

use policy_eval::cases::{run_case, CaseFile};
use policy_eval::trace::{NodeKind, TraceNode};
use policy_eval::Engine;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

const NUMERALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"];

/// The bundled policies, or another copy of them named by `POLICIES_DIR`
/// (to run the test against an older tree: `git archive main policies`).
fn policies_dir() -> PathBuf {
    std::env::var_os("POLICIES_DIR").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies"), PathBuf::from)
}

fn strip(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A numbered heading: its clause label, its level (0 attachment, 1 chapter
/// `一、`, 2 item `（一）`, 3 sub-item `1．`) and where it starts in the text
/// with whitespace removed.
#[derive(Debug, Clone)]
struct Heading {
    label: String,
    level: u8,
    at: usize,
}

/// The headings of a document, with the logic of `clause_map.rs` (top-level
/// `一、`, Hangzhou's `1、` read as `一、`, items `（一）`), plus numbered
/// sub-items (`1．` / `1.` under an item: `三（三）1`; under a chapter
/// without items: `三.1`) and attachments (`附件`, `附件1`, `附件 2`; the
/// list `附件：…` in the body is not a heading).
fn headings(source: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut top: Option<String> = None;
    let mut item: Option<String> = None;
    let mut at = 0usize;
    for raw in source.lines() {
        let start = at;
        at += strip(raw).len();
        let line = raw.trim().trim_start_matches(['#', '*', ' ']).trim();
        if let Some(rest) = line.strip_prefix("附件") {
            let rest = rest.trim().trim_end_matches(['*', ' ']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if rest.len() == digits.len() {
                out.push(Heading { label: format!("附件{digits}"), level: 0, at: start });
                top = None;
                item = None;
                continue;
            }
        }
        let arabic: String = line.chars().take_while(char::is_ascii_digit).collect();
        let after = &line[arabic.len()..];
        let arabic_top = (!arabic.is_empty() && after.starts_with('、'))
            .then(|| arabic.parse::<usize>().ok().and_then(|n| NUMERALS.get(n.wrapping_sub(1))))
            .flatten();
        if let Some(n) = arabic_top.or_else(|| NUMERALS.iter().rev().find(|n| line.starts_with(&format!("{n}、")))) {
            top = Some(n.to_string());
            item = None;
            out.push(Heading { label: n.to_string(), level: 1, at: start });
            continue;
        }
        let it = NUMERALS.iter().rev().find(|n| line.starts_with(&format!("（{n}）")) || line.starts_with(&format!("({n})")));
        if let (Some(n), Some(t)) = (it, &top) {
            let label = format!("{t}（{n}）");
            item = Some(label.clone());
            out.push(Heading { label, level: 2, at: start });
            continue;
        }
        if !arabic.is_empty() && (after.starts_with('．') || after.starts_with('.')) {
            let label = match (&item, &top) {
                (Some(i), _) => format!("{i}{arabic}"),
                (None, Some(t)) => format!("{t}.{arabic}"),
                (None, None) => continue,
            };
            out.push(Heading { label, level: 3, at: start });
        }
    }
    out
}

/// The section of a clause, as a byte range of the text with whitespace
/// removed; `None` when the clause is not located by a heading (an
/// unnumbered clause such as `末段` or `施行`: then only the quote's
/// occurrence in the document is checked).
fn section(clause: &str, heads: &[Heading], text: &str) -> Option<(usize, usize)> {
    let range_of = |i: usize| {
        let h = &heads[i];
        let end = heads[i + 1..].iter().find(|n| n.level <= h.level).map_or(text.len(), |n| n.at);
        (h.at, end)
    };
    if let Some(i) = heads.iter().position(|h| h.label == clause) {
        return Some(range_of(i));
    }
    if clause == "导语" {
        return Some((0, heads.first().map_or(text.len(), |h| h.at)));
    }
    // A sentence-level clause id under a heading (`三（一）一是`,
    // `五（十一）鉴定`): within its heading's section; an `N是` item runs from
    // its `N是` to the next `M是`.
    let (i, parent) = heads.iter().enumerate().filter(|(_, h)| clause.starts_with(&h.label)).max_by_key(|(_, h)| h.label.len())?;
    let (from, to) = range_of(i);
    let suffix = &clause[parent.label.len()..];
    if let Some(n) = suffix.strip_suffix('是').and_then(|n| NUMERALS.iter().position(|x| *x == n)) {
        let body = &text[from..to];
        let Some(s) = body.find(suffix) else { return Some((from, to)) };
        let next = NUMERALS.get(n + 1).map(|m| format!("{m}是"));
        let e = next.and_then(|m| body[s..].find(&m).map(|e| s + e)).unwrap_or(body.len());
        return Some((from + s, from + e));
    }
    Some((from, to))
}

struct Doc {
    policy: String,
    text: String,
    heads: Vec<Heading>,
    /// clause number → the clause's own quote
    clause_quotes: HashMap<String, Option<String>>,
}

fn source_of(p: &policy_core::checked::CheckedPolicy) -> String {
    let f = p.files.first().expect("a policy file");
    let dir = Path::new(&*f.name).parent().unwrap().to_path_buf();
    let name = f.text.lines().find_map(|l| l.trim().strip_prefix("source \"").map(|s| s.trim_end_matches('"').to_string())).unwrap();
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn document_name(p: &policy_core::checked::CheckedPolicy) -> String {
    if p.meta.documents.is_empty() {
        format!("《{}》", p.meta.title)
    } else {
        p.meta.documents.join(" / ")
    }
}

fn walk<'a>(node: &'a TraceNode, out: &mut Vec<&'a TraceNode>) {
    out.push(node);
    for c in &node.children {
        walk(c, out);
    }
}

fn meaning(n: &TraceNode) -> String {
    let kind = match n.kind {
        NodeKind::Benefit => "benefit",
        NodeKind::DateCheck => "date_check",
        NodeKind::Version => "version",
        NodeKind::Scope => "applies_when",
        NodeKind::Require => "require",
        NodeKind::Exclude => "exclude",
        NodeKind::Let => "let",
        NodeKind::Param => "param",
        NodeKind::TableLookup => "table",
        NodeKind::Tier => "tier",
        NodeKind::Schedule => "scale",
        NodeKind::Amount => "amount",
        NodeKind::Cap => "cap",
        NodeKind::Uplift => "uplift",
        NodeKind::Exception => "override",
        NodeKind::Entitlement => "entitlement",
        NodeKind::Document => "needs",
        NodeKind::Deadline => "deadline",
        NodeKind::Output => "output",
        NodeKind::Call => "call",
    };
    let name = n.label.as_deref().or(n.id.as_deref()).unwrap_or("");
    format!("{kind} {name}")
}

#[test]
fn every_rule_quotes_its_own_sentence() {
    let engine = Engine::from_dir(policies_dir()).expect("the bundled policies compile");
    let mut docs: HashMap<String, Doc> = HashMap::new();
    for id in engine.ids() {
        let p = engine.plan(id).unwrap().policy();
        let text = strip(&source_of(p));
        let heads = headings(&source_of(p));
        let clause_quotes = p.clauses.iter().map(|c| (c.number.clone(), c.quote.clone())).collect();
        docs.insert(document_name(p), Doc { policy: id.to_string(), text, heads, clause_quotes });
    }

    let mut files = Vec::new();
    case_files(&policies_dir(), &mut files);
    // (policy, benefit, node, clause, quote) → (problem, first case, cases)
    let mut problems: BTreeMap<(String, String, String, String, String), (String, String, usize)> = BTreeMap::new();
    let mut unlocated: BTreeSet<String> = BTreeSet::new();
    let mut nodes_checked = 0usize;
    for file in files {
        let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let plan = engine.plan(&cases.policy).unwrap();
        for case in &cases.cases {
            let Some(decision) = run_case(plan, case).decision else { continue };
            for root in &decision.trace.as_ref().expect("a full trace").benefits {
                let benefit = root.id.as_deref().unwrap_or_default().to_string();
                let mut nodes = Vec::new();
                walk(root, &mut nodes);
                // clause → meanings showing the clause's own quote
                let mut inherited: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
                let mut report = |node: &TraceNode, clause: &str, quote: &str, problem: String| {
                    let key = (cases.policy.clone(), benefit.clone(), meaning(node), clause.to_string(), quote.to_string());
                    let e = problems.entry(key).or_insert_with(|| (problem, case.name.clone(), 0));
                    e.2 += 1;
                };
                for node in &nodes {
                    let Some(c) = &node.citation else { continue };
                    let Some(q) = c.quote.as_deref() else { continue };
                    nodes_checked += 1;
                    let Some(doc) = docs.get(&*c.document) else {
                        report(node, &c.clause, q, format!("cites document {} of no bundled policy", c.document));
                        continue;
                    };
                    let sq = strip(q);
                    match section(&c.clause, &doc.heads, &doc.text) {
                        _ if !doc.text.contains(&sq) => report(node, &c.clause, q, format!("quote not in the source of {}", doc.policy)),
                        Some((from, to)) => {
                            let body = &doc.text[from..to];
                            if !body.contains(&sq) {
                                report(node, &c.clause, q, format!("quote outside the section of clause {}", c.clause));
                            }
                        }
                        None => {
                            unlocated.insert(format!("{} {}", doc.policy, c.clause));
                        }
                    }
                    if doc.clause_quotes.get(&*c.clause).cloned().flatten().is_some_and(|own| strip(&own) == sq) {
                        inherited.entry((c.document.to_string(), c.clause.to_string())).or_default().insert(meaning(node));
                    }
                }
                for ((_, clause), meanings) in &inherited {
                    if meanings.len() < 2 {
                        continue;
                    }
                    for node in &nodes {
                        let Some(c) = &node.citation else { continue };
                        if *c.clause == **clause && meanings.contains(&meaning(node)) {
                            let q = c.quote.as_deref().unwrap_or_default();
                            let others: Vec<&str> = meanings.iter().filter(|m| **m != meaning(node)).map(String::as_str).collect();
                            report(
                                node,
                                clause,
                                q,
                                format!("the clause's quote is shown by rules of different meaning too: {}", others.join("; ")),
                            );
                        }
                    }
                }
            }
        }
    }
    eprintln!("{nodes_checked} quoted citations checked");
    for u in &unlocated {
        eprintln!("not located by a heading (occurrence checked only): {u}");
    }
    let list: Vec<String> = problems
        .iter()
        .map(|((policy, benefit, node, clause, quote), (problem, case, n))| {
            format!("{policy} / {case} (+{} more cases) / {benefit} / {node} / {clause} / “{quote}”: {problem}", n - 1)
        })
        .collect();
    assert!(list.is_empty(), "{} offending trace nodes:\n{}", list.len(), list.join("\n"));
}

#[test]
fn sections_are_found() {
    let text = "导语。\n1、 总则\n（一）甲\n一、总体要求\n（一）指导思想。一是甲。二是乙。\n（二）目标任务。\n1．项目\n2．流程\n二、对象\n## 三、措施\n**（一）申请**\n附件：1.表\n附件 1\n表\n";
    let heads = headings(text);
    let labels: Vec<&str> = heads.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(labels, ["一", "一（一）", "一", "一（一）", "一（二）", "一（二）1", "一（二）2", "二", "三", "三（一）", "附件1"]);
    let t = strip(text);
    let sec = |c: &str| section(c, &heads, &t).map(|(a, b)| t[a..b].to_string());
    assert_eq!(sec("二").as_deref(), Some("二、对象"));
    assert_eq!(sec("一（二）1").as_deref(), Some("1．项目"));
    assert_eq!(sec("导语").as_deref(), Some("导语。"));
    assert_eq!(sec("一（一）一是").as_deref(), Some("一是甲。"));
    assert_eq!(sec("附件1").as_deref(), Some("附件1表"));
    assert!(sec("三").unwrap().contains("附件：1.表"));
    assert_eq!(sec("末段"), None);
}
