//! Which rules the golden cases exercise, and on which side.
//!
//! [`Coverage::new`] lists every *side* a policy's rules have: each
//! condition passing and failing, each amount step computed (and, for a
//! `cap`, `uplift` or `override`, applied and not applied), each outcome
//! whose `when` can hold or not, each tier of every `tiers` form (and its
//! `else`), and each row of every table that a rule looks up. Then
//! [`Coverage::record`] marks what one decision's full trace shows, matching
//! trace nodes to rules by where they are written (file, line, column). The
//! clause map says, per clause of the source document, whether a rule citing
//! it was exercised, is cited but never exercised, or is not cited at all.
//!
//! Coverage reads only traces and the checked policy: it adds nothing to the
//! evaluator's hot path.

use crate::plan::Plan;
use crate::trace::{NodeKind, TraceNode, Verdict};
use crate::Decision;
use policy_core::ast::{ConditionKind, Span};
use policy_core::check::walk_mut;
use policy_core::checked::{AmountStepDef, CExpr, CKind, FileId, RuleSet};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One rule (or tier, or table row) and its sides.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rule {
    /// What it is: `scope`, `require`, `exclude`, `amount`, `cap`, `uplift`,
    /// `override`, `entitlement`, `document`, `deadline`, `output`, `tier`,
    /// `row`.
    pub kind: &'static str,
    /// The benefit it belongs to (none for tiers in lets and table rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benefit: Option<String>,
    /// A name for people: the condition id, the label, `tier 2`, `row 3`.
    pub name: String,
    /// `file:line:column` of the rule.
    pub at: String,
    /// Each side and how many decisions took it.
    pub sides: Vec<Side>,
}

/// One way a rule can come out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Side {
    /// `pass`, `fail`, `applied`, `not applied`, `computed`, `reached`.
    pub name: &'static str,
    /// How many decisions took it.
    pub hits: usize,
}

/// How a clause of the source document is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClauseState {
    /// A rule citing it appeared in a case's trace.
    Exercised,
    /// Rules cite it, but none appeared in a case's trace.
    CitedNotExercised,
    /// Computable, but no rule cites it.
    NotCited,
    /// Marked `not_computable`.
    NotComputable,
}

/// One clause and its state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClauseCoverage {
    /// Its number, as the document writes it.
    pub clause: String,
    /// Its state.
    pub state: ClauseState,
}

/// The coverage of one policy by its cases.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    /// The policy id.
    pub policy: String,
    /// How many decisions were recorded.
    pub decisions: usize,
    /// Sides taken, of all sides.
    pub covered: usize,
    /// All sides.
    pub total: usize,
    /// Every rule with its sides, in policy order.
    pub rules: Vec<Rule>,
    /// The clause map.
    pub clauses: Vec<ClauseCoverage>,
    #[serde(skip)]
    by_place: HashMap<(String, usize, usize, &'static str), Vec<usize>>,
    #[serde(skip)]
    rows: HashMap<String, usize>,
    #[serde(skip)]
    documents: Vec<String>,
    #[serde(skip)]
    exercised: BTreeSet<String>,
}

impl Coverage {
    /// Every side of `plan`'s rules, none taken yet.
    pub fn new(plan: &Plan) -> Coverage {
        let p = plan.policy();
        let mut c = Coverage {
            policy: p.meta.id.clone(),
            decisions: 0,
            covered: 0,
            total: 0,
            rules: Vec::new(),
            clauses: Vec::new(),
            by_place: HashMap::new(),
            rows: HashMap::new(),
            // A citation names the policy's documents joined, or its title.
            documents: p.meta.documents.iter().cloned().chain([p.meta.documents.join(" / "), format!("《{}》", p.meta.title)]).collect(),
            exercised: BTreeSet::new(),
        };
        let mut looked_up: BTreeSet<usize> = BTreeSet::new();
        for b in &p.benefits {
            let sets = std::iter::once(&b.base).chain(b.versions.iter().map(|v| &v.rules));
            for rules in sets {
                c.add_rules(plan, &b.id, rules, &mut looked_up);
            }
            for o in &b.outputs {
                let at = Self::place(plan, &o.expr).map(|(f, l, c)| format!("{f}:{l}:{c}")).unwrap_or_default();
                let rule = Rule {
                    kind: "output",
                    benefit: Some(b.id.to_string()),
                    name: o.id.to_string(),
                    at,
                    sides: vec![Side { name: "computed", hits: 0 }],
                };
                c.push(plan, &o.expr, "output", rule);
                c.add_forms(plan, Some(&b.id), &o.expr, &mut looked_up);
            }
        }
        for l in &p.lets {
            c.add_forms(plan, None, &l.value, &mut looked_up);
        }
        for t in looked_up {
            let Some(def) = p.tables.get(t) else { continue };
            c.rows.insert(def.name.clone(), c.rules.len());
            for i in 0..def.rows.len() {
                c.rules.push(Rule {
                    kind: "row",
                    benefit: None,
                    name: format!("{} row {}", def.name, i + 1),
                    at: def.name.clone(),
                    sides: vec![Side { name: "reached", hits: 0 }],
                });
            }
        }
        c.clauses = p
            .clauses
            .iter()
            .map(|cl| ClauseCoverage {
                clause: cl.number.clone(),
                state: if cl.not_computable.is_some() {
                    ClauseState::NotComputable
                } else if cl.cited {
                    ClauseState::CitedNotExercised
                } else {
                    ClauseState::NotCited
                },
            })
            .collect();
        c.tally();
        c
    }

    fn place(plan: &Plan, e: &CExpr) -> Option<(String, usize, usize)> {
        Self::place_at(plan, e.file, e.span)
    }

    fn place_at(plan: &Plan, file: FileId, span: Span) -> Option<(String, usize, usize)> {
        plan.make_source_ref(file, span).map(|r| (r.file, r.line, r.column))
    }

    fn push(&mut self, plan: &Plan, e: &CExpr, node: &'static str, rule: Rule) {
        self.push_at(plan, e.file, e.span, node, rule);
    }

    fn push_at(&mut self, plan: &Plan, file: FileId, span: Span, node: &'static str, rule: Rule) {
        if let Some((f, l, col)) = Self::place_at(plan, file, span) {
            self.by_place.entry((f, l, col, node)).or_default().push(self.rules.len());
        }
        self.rules.push(rule);
    }

    fn add_rules(&mut self, plan: &Plan, benefit: &str, rules: &RuleSet, looked_up: &mut BTreeSet<usize>) {
        let at = |e: &CExpr| Self::place(plan, e).map(|(f, l, c)| format!("{f}:{l}:{c}")).unwrap_or_default();
        let two = |a: &'static str, b: &'static str| vec![Side { name: a, hits: 0 }, Side { name: b, hits: 0 }];
        let bid = Some(benefit.to_string());
        for cond in &rules.conditions {
            let (kind, node) = match cond.kind {
                ConditionKind::Applies => ("scope", "scope"),
                ConditionKind::Require => ("require", "require"),
                ConditionKind::Exclude => ("exclude", "exclude"),
            };
            let rule = Rule { kind, benefit: bid.clone(), name: cond.id.to_string(), at: at(&cond.expr), sides: two("pass", "fail") };
            self.push(plan, &cond.expr, node, rule);
            self.add_forms(plan, bid.as_deref(), &cond.expr, looked_up);
        }
        for step in &rules.amount {
            let (kind, node, e, name, sides) = match step {
                AmountStepDef::Base { expr, label, .. } => {
                    ("amount", "amount", expr, label.as_deref().unwrap_or("amount").to_string(), vec![Side { name: "computed", hits: 0 }])
                }
                AmountStepDef::Cap { expr, label, .. } => {
                    ("cap", "cap", expr, label.as_deref().unwrap_or("cap").to_string(), two("applied", "not applied"))
                }
                AmountStepDef::Uplift { id, when, .. } => ("uplift", "uplift", when, id.to_string(), two("applied", "not applied")),
                AmountStepDef::Override { id, when, .. } => ("override", "exception", when, id.to_string(), two("applied", "not applied")),
            };
            let rule = Rule { kind, benefit: bid.clone(), name, at: at(e), sides };
            self.push(plan, e, node, rule);
            match step {
                AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => self.add_forms(plan, bid.as_deref(), expr, looked_up),
                AmountStepDef::Uplift { rate, when, .. } => {
                    self.add_forms(plan, bid.as_deref(), when, looked_up);
                    self.add_forms(plan, bid.as_deref(), rate, looked_up);
                }
                AmountStepDef::Override { when, value, .. } => {
                    self.add_forms(plan, bid.as_deref(), when, looked_up);
                    self.add_forms(plan, bid.as_deref(), value, looked_up);
                }
            }
        }
        for (kind, outcomes) in [("entitlement", &rules.entitlements), ("document", &rules.documents)] {
            for o in outcomes {
                if let Some(w) = &o.when {
                    let rule = Rule { kind, benefit: bid.clone(), name: o.label.to_string(), at: at(w), sides: two("pass", "fail") };
                    self.push(plan, w, kind, rule);
                    self.add_forms(plan, bid.as_deref(), w, looked_up);
                }
            }
        }
    }

    /// The `tiers` forms and table lookups inside `e`.
    fn add_forms(&mut self, plan: &Plan, benefit: Option<&str>, e: &CExpr, looked_up: &mut BTreeSet<usize>) {
        let mut found: Vec<(FileId, Span, usize)> = Vec::new();
        let mut copy = e.clone();
        walk_mut(&mut copy, &mut |x| match &x.kind {
            CKind::Tiers { tiers, otherwise, .. } => {
                let n = tiers.len() + usize::from(otherwise.is_some());
                found.push((x.file, x.span, n));
            }
            CKind::Lookup(t, _) => {
                looked_up.insert(t.index());
            }
            _ => {}
        });
        for (file, span, n) in found {
            let key = Self::place_at(plan, file, span);
            if key.as_ref().is_some_and(|(f, l, c)| self.by_place.contains_key(&(f.clone(), *l, *c, "tier"))) {
                continue; // the same form reached from two rules
            }
            let at = key.map(|(f, l, c)| format!("{f}:{l}:{c}")).unwrap_or_default();
            let sides = (0..n).map(|_| Side { name: "reached", hits: 0 }).collect();
            let rule = Rule { kind: "tier", benefit: benefit.map(str::to_string), name: format!("tiers ({n} branches)"), at, sides };
            self.push_at(plan, file, span, "tier", rule);
        }
    }

    /// Marks the sides `decision`'s full trace took.
    pub fn record(&mut self, decision: &Decision) {
        self.decisions += 1;
        if let Some(trace) = &decision.trace {
            for n in &trace.benefits {
                self.visit(n);
            }
        }
        self.tally();
    }

    fn visit(&mut self, n: &TraceNode) {
        if let Some(c) = &n.citation {
            if self.documents.iter().any(|d| **d == *c.document) {
                self.exercised.insert(c.clause.to_string());
            }
        }
        let kind = match n.kind {
            NodeKind::Scope => Some("scope"),
            NodeKind::Require => Some("require"),
            NodeKind::Exclude => Some("exclude"),
            NodeKind::Amount => Some("amount"),
            NodeKind::Cap => Some("cap"),
            NodeKind::Uplift => Some("uplift"),
            NodeKind::Exception => Some("exception"),
            NodeKind::Entitlement => Some("entitlement"),
            NodeKind::Document => Some("document"),
            NodeKind::Tier => Some("tier"),
            NodeKind::Output => Some("output"),
            _ => None,
        };
        if let (Some(kind), Some(src)) = (kind, &n.source) {
            let key = (src.file.clone(), src.line, src.column, kind);
            let ids = self.by_place.get(&key).cloned().unwrap_or_default();
            for i in ids {
                let Some(rule) = self.rules.get_mut(i) else { continue };
                let side = match (rule.kind, n.verdict) {
                    ("tier", _) => n.branch,
                    ("amount" | "output", Verdict::Unknown) => None,
                    ("amount" | "output", _) => Some(0),
                    (_, Verdict::Pass) => Some(0),
                    (_, Verdict::Fail) => Some(1),
                    // A cap that leaves the amount as it is reports `info`.
                    ("cap", Verdict::Info) => Some(1),
                    _ => None,
                };
                if let Some(s) = side.and_then(|s| rule.sides.get_mut(s)) {
                    s.hits += 1;
                }
            }
        }
        if n.kind == NodeKind::TableLookup {
            if let (Some(table), Some(row)) = (&n.id, n.branch) {
                if let Some(first) = self.rows.get(&**table) {
                    if let Some(s) = self.rules.get_mut(first + row).and_then(|r| r.sides.first_mut()) {
                        s.hits += 1;
                    }
                }
            }
        }
        for c in &n.children {
            self.visit(c);
        }
    }

    fn tally(&mut self) {
        self.total = self.rules.iter().map(|r| r.sides.len()).sum();
        self.covered = self.rules.iter().map(|r| r.sides.iter().filter(|s| s.hits > 0).count()).sum();
        for cl in &mut self.clauses {
            if cl.state == ClauseState::CitedNotExercised && self.exercised.contains(&cl.clause) {
                cl.state = ClauseState::Exercised;
            }
        }
    }

    /// Covered sides as a percentage of all sides (100 when there are none).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            return 100.0;
        }
        // Display only: the count itself is exact.
        #[allow(clippy::cast_precision_loss)]
        let p = self.covered as f64 * 100.0 / self.total as f64;
        p
    }

    /// The sides never taken, one line each, and the clause map's gaps.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut out = format!(
            "{}: {} of {} sides covered ({:.1}%) by {} decisions\n",
            self.policy,
            self.covered,
            self.total,
            self.percent(),
            self.decisions
        );
        for r in &self.rules {
            let missed: Vec<&str> = r.sides.iter().enumerate().filter(|(_, s)| s.hits == 0).map(|(i, s)| side_name(r, i, s)).collect();
            if missed.is_empty() && !verbose {
                continue;
            }
            let whose = r.benefit.as_deref().map(|b| format!("{b}: ")).unwrap_or_default();
            let state = if missed.is_empty() { "covered".to_string() } else { format!("never {}", missed.join(", ")) };
            out.push_str(&format!("  {whose}{} {} ({}): {state}\n", r.kind, r.name, r.at));
        }
        let mut by_state: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for cl in &self.clauses {
            let s = match cl.state {
                ClauseState::Exercised => "exercised",
                ClauseState::CitedNotExercised => "cited, never exercised",
                ClauseState::NotCited => "not cited",
                ClauseState::NotComputable => "not computable",
            };
            by_state.entry(s).or_default().push(&cl.clause);
        }
        for (s, cls) in by_state {
            out.push_str(&format!("  clauses {s} ({}): {}\n", cls.len(), cls.join(", ")));
        }
        out
    }
}

fn side_name(r: &Rule, i: usize, s: &Side) -> &'static str {
    if r.kind == "tier" {
        // Tiers are named by position in the text rendering.
        return TIER_NAMES.get(i).copied().unwrap_or("a later branch");
    }
    s.name
}

const TIER_NAMES: &[&str] =
    &["branch 1", "branch 2", "branch 3", "branch 4", "branch 5", "branch 6", "branch 7", "branch 8", "branch 9", "branch 10"];
