//! Two paths that must agree, over the bundled policies: for each condition
//! with an id, an amendment that repeals it (and one that replaces it by its
//! negation) decides every golden case of the policy exactly as a copy of the
//! policy with that edit made to its syntax tree and printed by the formatter.
//! Citations are compared too: the inherited rules of the amendment cite the
//! bundled document, as the copy's do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::ast::*;
use policy_core::check::check_source;
use policy_core::loader::{DirLoader, LoadError, Loader, MemoryLoader, Source};
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Plan};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The bundled policies on disk, and two more in memory.
struct Overlay {
    disk: DirLoader,
    extra: MemoryLoader,
}

impl Loader for Overlay {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        self.extra.load_policy(id).or_else(|_| self.disk.load_policy(id))
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        self.disk.load_document(policy_name, path)
    }
}

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn plan(loader: &Overlay, name: &str, text: &str) -> Plan {
    let src = Source { name: Arc::from(name), bytes: Arc::from(text.as_bytes()) };
    let checked = check_source(&src, loader);
    let errors: Vec<String> = checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} {}", d.code.id, d.message)).collect();
    let Some(policy) = checked.policy else { panic!("{name} does not check: {errors:#?}\n{text}") };
    Plan::compile(policy, checked.diagnostics).unwrap()
}

fn header(id: &str) -> Header {
    let s = |v: &str| Str { value: v.into(), span: Span::default() };
    Header {
        id: Ident { name: id.into(), span: Span::default() },
        title: s("修订"),
        documents: Vec::new(),
        issuer: None,
        region: None,
        issued: None,
        in_force: None,
        source: None,
        version: None,
        amends: None,
        span: Span::default(),
    }
}

fn decisions(p: &Plan, cases: &CaseFile) -> Vec<String> {
    cases
        .cases
        .iter()
        .filter(|c| c.parameters.is_none())
        .map(|c| {
            let facts = p.facts_from_str(&c.facts.to_string()).unwrap();
            let opts = DecideOptions { reference_date: c.as_of, ..Default::default() };
            let d = p.decide(&facts, &opts).unwrap();
            format!("{}: {}", c.name, serde_json::to_string(&d.benefits).unwrap())
        })
        .collect()
}

#[test]
fn amending_a_bundled_policy_decides_as_editing_it() {
    let mut compared = 0;
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "policy") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let base = policy_core::parse::parse(&path.display().to_string(), &text).file.unwrap();
            if base.header.amends.is_some() {
                continue;
            }
            let cases_path = path.with_extension("cases.json");
            let cases = CaseFile::parse(&std::fs::read_to_string(&cases_path).unwrap()).unwrap();
            for (k, item) in base.items.iter().enumerate() {
                let Item::Benefit(b) = item else { continue };
                for (j, clause) in b.clauses.iter().enumerate() {
                    let BenefitClause::Condition(c) = clause else { continue };
                    let Some(id) = &c.id else { continue };
                    let negated = Condition {
                        expr: Expr { kind: ExprKind::Unary(UnOp::Not, Box::new(c.expr.clone())), span: Span::default() },
                        cite: None,
                        ..c.clone()
                    };
                    let edits: [(Change, Option<BenefitClause>); 2] = [
                        (Change::Repeal { id: id.clone(), cite: None, span: Span::default() }, None),
                        (
                            Change::Replace { clause: BenefitClause::Condition(negated.clone()), span: Span::default() },
                            Some(BenefitClause::Condition(negated)),
                        ),
                    ];
                    for (change, put) in edits {
                        let mut am_header = header("t.amendment");
                        am_header.amends = Some(base.header.id.clone());
                        let amendment = PolicyFile {
                            header: am_header,
                            items: vec![Item::Amend(AmendDecl::Benefit(AmendBenefit {
                                id: b.id.clone(),
                                label: None,
                                changes: vec![change],
                                span: Span::default(),
                            }))],
                        };
                        let mut hand = base.clone();
                        hand.header.id = Ident { name: "t.hand".into(), span: Span::default() };
                        if let Item::Benefit(hb) = &mut hand.items[k] {
                            match put {
                                Some(c) => hb.clauses[j] = c,
                                None => {
                                    hb.clauses.remove(j);
                                }
                            }
                        }
                        let am_text = policy_core::fmt::format(&amendment, "");
                        let hand_text = policy_core::fmt::format(&hand, "");
                        let mut extra = MemoryLoader::new();
                        extra.add_policy("amendment.policy", &am_text).unwrap();
                        let loader = Overlay { disk: DirLoader::new(&[policies_dir()]), extra };
                        let merged = plan(&loader, "amendment.policy", &am_text);
                        // The copy lives beside the original, so that its source document is found.
                        let hand_name = path.with_file_name("hand_copy.policy").display().to_string();
                        let copy = plan(&loader, &hand_name, &hand_text);
                        let (a, h) = (decisions(&merged, &cases), decisions(&copy, &cases));
                        assert_eq!(a, h, "{} {} {}:\n{am_text}", base.header.id.name, b.id.name, id.name);
                        compared += a.len();
                    }
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} decisions compared");
}
