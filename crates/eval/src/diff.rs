//! The semantic diff of two versions of a policy (`policy diff OLD NEW`).
//!
//! Not a text diff: both versions are compared as checked policies, so
//! reformatting and reordering show nothing. The diff has three parts:
//!
//! 1. **Structural changes**: benefits added or removed; per benefit, its
//!    conditions (matched by stable id), amount steps, outcomes, payee,
//!    period, `dated_by` and dated versions; table rows (by key); parameter
//!    versions; inputs, externals, lets, enums, records, conversions; the
//!    in-force window. Expressions are compared structurally, with every name
//!    resolved and spans ignored, and shown by their source text.
//! 2. **Witnesses**: for each change, a concrete applicant whose decision
//!    differs between the versions, found by exploring the thresholds both
//!    versions compare inputs against (see [`diff`]).
//! 3. **Cases**: golden cases whose outcome changes.

use crate::cases::CaseFile;
use crate::decide::DecideOptions;
use crate::decision::{BenefitDecision, Status};
use crate::facts::Facts;
use crate::interp::Ctx;
use crate::plan::Plan;
use crate::trace::TraceLevel;
use chrono::{Datelike, NaiveDate};
use policy_core::ast::{ConditionKind, UnOp};
use policy_core::checked::{AmountStepDef, BenefitDef, Bounds, CExpr, CKind, CTierTest, CheckedPolicy, Payee, RuleSet, Type};
use policy_core::value::{money_string, percent_string, DurationUnit, Value};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// Most candidate applicants explored for one change.
pub const MAX_CANDIDATES_PER_CHANGE: usize = 5000;
/// Most applicants decided (with both versions) over a whole diff, base
/// searches included.
pub const MAX_DECISIONS: usize = 60_000;
/// Passes of the coordinate ascent that builds a base applicant per benefit.
const ASCENT_PASSES: usize = 3;
/// Values of one fact the ascent tries (evenly spread over its candidates).
const ASCENT_VALUES: usize = 48;
/// Most decisions one ascent makes.
const ASCENT_DECISIONS: usize = 3000;
/// Most constants of one kind a fact's candidate values are built from
/// (evenly spread when there are more).
const CONSTANTS_PER_FACT: usize = 64;
/// The pseudo-fact carrying the decision's reference date in a candidate.
const AS_OF: &str = "@as_of";

// ------------------------------------------------------------------ report

/// The semantic difference between two versions of a policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiffReport {
    /// Id of the old version.
    pub old_policy: String,
    /// Id of the new version.
    pub new_policy: String,
    /// Structural changes, in a stable order, each with its witness if found.
    pub changes: Vec<Change>,
    /// Golden cases whose outcome differs between the versions.
    pub case_changes: Vec<CaseChange>,
    /// How many golden cases were decided with both versions.
    pub cases_compared: usize,
    /// Applicants decided with both versions during the witness search.
    pub applicants_decided: usize,
}

/// One structural change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// What changed: `benefit order_training`, `table cert_standard`, `policy`…
    pub subject: String,
    /// How, e.g. `condition rate_ok changed: a >= 80% → a > 80%`.
    pub what: String,
    /// Whether the change can alter a decision by itself (a label, or a
    /// declaration nothing reads, cannot; no witness is searched for those).
    pub can_decide: bool,
    /// An applicant whose decision differs, when one was found.
    pub witness: Option<Witness>,
    /// Candidate applicants explored for this change.
    pub explored: usize,
    /// Whether the search stopped because the diff's budget
    /// ([`MAX_DECISIONS`]) was spent, rather than having run out of candidates.
    pub budget_spent: bool,
}

impl Change {
    /// `subject: what`.
    pub fn description(&self) -> String {
        format!("{}: {}", self.subject, self.what)
    }
}

/// A concrete applicant decided differently by the two versions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Witness {
    /// The facts given (to each version, those it declares); `null` is absent.
    pub facts: BTreeMap<String, Json>,
    /// Facts that differ from the base applicant the search started from.
    pub varied: Vec<String>,
    /// The reference date, when the policy reads one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    /// Why the old version refused the facts, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_rejected: Option<String>,
    /// Why the new version refused the facts, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_rejected: Option<String>,
    /// Every benefit's outcome in both versions.
    pub benefits: Vec<BenefitPair>,
}

/// One benefit decided by both versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BenefitPair {
    /// Benefit id.
    pub benefit: String,
    /// Outcome under the old version (`None`: no such benefit, or facts refused).
    pub old: Option<Outcome>,
    /// Outcome under the new version.
    pub new: Option<Outcome>,
    /// Whether the two outcomes differ.
    pub differs: bool,
}

/// A benefit's outcome, as compared by the diff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Status.
    pub status: Status,
    /// Amount (`1500.00`), or range (`4000.00..10000.00`), when eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Who is paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<Payee>,
    /// `per year` etc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Entitlements, documents and deadlines, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// The benefit's date (not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Failed conditions (not compared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
    /// Missing facts and errors (not compared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl Outcome {
    fn from_decision(b: &BenefitDecision) -> Self {
        let amount = match (&b.amount, &b.amount_range) {
            (Some(a), _) => Some(money_string(*a)),
            (None, Some(r)) => Some(format!("{}..{}", money_string(r.low), money_string(r.high))),
            _ => None,
        };
        let mut outcomes: Vec<String> = b
            .entitlements
            .iter()
            .map(|e| format!("entitled: {}", e.label))
            .chain(b.documents.iter().map(|d| format!("needs: {}", d.label)))
            .chain(b.deadlines.iter().map(|d| format!("deadline: {} {}", d.label, d.date)))
            .collect();
        outcomes.sort();
        outcomes.dedup();
        Outcome {
            status: b.status,
            amount,
            payee: b.payee,
            period: b.period.as_deref().map(str::to_string),
            outcomes,
            date: b.date.as_ref().map(|d| d.date),
            failed: b.failed.iter().map(|f| f.id.to_string()).collect(),
            missing: b.missing.iter().map(|m| m.to_string()).chain(b.errors.iter().cloned()).collect(),
        }
    }

    /// Whether two outcomes are the same decision (status, amount, payee,
    /// period and outcomes; reasons and dates are not compared).
    pub fn same(&self, other: &Outcome) -> bool {
        self.status == other.status
            && self.amount == other.amount
            && self.payee == other.payee
            && self.period == other.period
            && self.outcomes == other.outcomes
    }

    /// `eligible 1500.00`, `ineligible (failed: rate_ok)`, …
    pub fn summary(&self) -> String {
        let mut s = self.status.as_str().to_string();
        if let Some(a) = &self.amount {
            s.push(' ');
            s.push_str(a);
        }
        if !self.failed.is_empty() {
            s.push_str(&format!(" (failed: {})", self.failed.join(", ")));
        } else if !self.missing.is_empty() {
            s.push_str(&format!(" (missing: {})", self.missing.join(", ")));
        }
        s
    }

    fn amount_high(&self) -> Decimal {
        self.amount.as_deref().and_then(|a| a.rsplit("..").next()).and_then(|a| a.parse().ok()).unwrap_or(Decimal::ZERO)
    }
}

/// A golden case whose outcome differs between the versions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseChange {
    /// The case file (as named by the caller).
    pub file: String,
    /// The case's name.
    pub case: String,
    /// Why the old version refused the case's facts, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_rejected: Option<String>,
    /// Why the new version refused the case's facts, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_rejected: Option<String>,
    /// The benefits whose outcome differs.
    pub benefits: Vec<BenefitPair>,
}

impl DiffReport {
    /// True when no change has a witness and no golden case changes.
    pub fn equivalent(&self) -> bool {
        self.changes.iter().all(|c| c.witness.is_none()) && self.case_changes.is_empty()
    }

    /// The report for people: each change with its witness side by side,
    /// then the golden cases that change.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        if self.old_policy == self.new_policy {
            out.push_str(&format!("policy diff {}\n", self.new_policy));
        } else {
            out.push_str(&format!("policy diff {} → {}\n", self.old_policy, self.new_policy));
        }
        let witnessed = self.changes.iter().filter(|c| c.witness.is_some()).count();
        out.push_str(&format!(
            "{} change{}, {} with an applicant decided differently",
            self.changes.len(),
            plural(self.changes.len()),
            witnessed
        ));
        if self.cases_compared > 0 {
            out.push_str(&format!(
                "; {} of {} case{} change{}",
                self.case_changes.len(),
                self.cases_compared,
                plural(self.cases_compared),
                if self.case_changes.len() == 1 { "s" } else { "" }
            ));
        }
        out.push('\n');
        out.push_str(if self.equivalent() { "equivalent: no applicant found whose decision differs\n" } else { "not equivalent\n" });
        for (i, c) in self.changes.iter().enumerate() {
            out.push('\n');
            out.push_str(&format!("{}. {}\n", i + 1, c.description()));
            match &c.witness {
                Some(w) => render_witness(&mut out, w, c.explored),
                None if !c.can_decide => out.push_str("   cannot change a decision by itself\n"),
                None => out.push_str(&format!(
                    "   no applicant found whose decision differs (explored {} candidate{}{})\n",
                    c.explored,
                    plural(c.explored),
                    if c.budget_spent { "; the search budget is spent" } else { "" }
                )),
            }
        }
        if !self.case_changes.is_empty() {
            out.push_str("\ncases that change:\n");
            for cc in &self.case_changes {
                out.push_str(&format!("  {} / {}\n", cc.file, cc.case));
                if let Some(r) = &cc.old_rejected {
                    out.push_str(&format!("    old version refuses the facts: {r}\n"));
                }
                if let Some(r) = &cc.new_rejected {
                    out.push_str(&format!("    new version refuses the facts: {r}\n"));
                }
                for b in &cc.benefits {
                    out.push_str(&format!("    {}: {} → {}\n", b.benefit, show_side(b.old.as_ref()), show_side(b.new.as_ref())));
                    for extra in extra_differences(b) {
                        out.push_str(&format!("      {extra}\n"));
                    }
                }
            }
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn show_side(o: Option<&Outcome>) -> String {
    o.map(Outcome::summary).unwrap_or_else(|| "—".into())
}

/// For a pair whose summaries agree, the fields that differ.
fn extra_differences(b: &BenefitPair) -> Vec<String> {
    let (Some(o), Some(n)) = (&b.old, &b.new) else { return Vec::new() };
    let mut out = Vec::new();
    if o.payee != n.payee {
        let show = |p: Option<Payee>| {
            p.map(|p| serde_json::to_string(&p).unwrap_or_default().trim_matches('"').to_string()).unwrap_or_else(|| "none".into())
        };
        out.push(format!("payee {} → {}", show(o.payee), show(n.payee)));
    }
    if o.period != n.period {
        out.push(format!("period {} → {}", o.period.as_deref().unwrap_or("none"), n.period.as_deref().unwrap_or("none")));
    }
    for x in o.outcomes.iter().filter(|x| !n.outcomes.contains(x)) {
        out.push(format!("- {x}"));
    }
    for x in n.outcomes.iter().filter(|x| !o.outcomes.contains(x)) {
        out.push(format!("+ {x}"));
    }
    out
}

fn render_witness(out: &mut String, w: &Witness, explored: usize) {
    out.push_str(&format!("   applicant decided differently (found after {explored} candidate{}):\n", plural(explored)));
    if let Some(d) = w.as_of {
        out.push_str(&format!("     as of {d}\n"));
    }
    for (k, v) in &w.facts {
        let shown = if v.is_null() { "(not given)".to_string() } else { v.to_string() };
        let mark = if w.varied.contains(k) { "   ← varied" } else { "" };
        out.push_str(&format!("     {k}: {shown}{mark}\n"));
    }
    if let Some(r) = &w.old_rejected {
        out.push_str(&format!("     old version refuses the facts: {r}\n"));
    }
    if let Some(r) = &w.new_rejected {
        out.push_str(&format!("     new version refuses the facts: {r}\n"));
    }
    let rows: Vec<(String, String, String, Vec<String>, bool)> = w
        .benefits
        .iter()
        .map(|b| (b.benefit.clone(), show_side(b.old.as_ref()), show_side(b.new.as_ref()), extra_differences(b), b.differs))
        .collect();
    let w0 = rows.iter().map(|r| r.0.chars().count()).chain(std::iter::once(7)).max().unwrap_or(7);
    let w1 = rows.iter().map(|r| r.1.chars().count()).chain(std::iter::once(3)).max().unwrap_or(3);
    out.push_str(&format!("     {}  {}  new\n", pad("benefit", w0), pad("old", w1)));
    for (id, o, n, extra, differs) in rows {
        let mark = if differs { "   * " } else { "     " };
        out.push_str(&format!("{mark}{}  {}  {n}\n", pad(&id, w0), pad(&o, w1)));
        for e in extra {
            out.push_str(&format!("       {e}\n"));
        }
    }
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

// ------------------------------------------------------------------ entry point

/// Compares two versions of a policy: structural changes, a witness per
/// change, and the golden cases whose outcome changes.
///
/// Witnesses are searched by exploring thresholds, deterministically.
///
/// - **Candidate values per fact.** Each fact gets the constants of every
///   expression that reads it in either version (comparison operands, tier
///   bounds, scale widths, set members, its tables' keys and values), its
///   bounds, and every date either version decides by (`in_force`, parameter
///   and rule versions, uplift `until`, date literals). Numbers give t−δ, t,
///   t+δ (δ = 1 for int, 0.01 for money, decimals and quantities, 0.01 % for
///   percents; constants in other units are converted), plus 0, 1 and ten
///   times the largest constant; dates give ±1 day, and the typical date ±
///   each duration the policy adds; enums every variant; lists 0 to a dozen
///   records matching the base applicant (one field altered or not); any
///   fact may also be absent.
/// - **A base applicant per benefit**, by coordinate ascent from typical
///   values (inside the ranges, dates in the middle of the in-force window):
///   each fact the benefit reads in turn takes the value that gets the
///   benefit furthest in both versions (eligible, then fewest failed
///   conditions, then the largest amount).
/// - **Per change**, in order: on each base (first with a changed table
///   row's keys applied together), the facts the change reads set just
///   around its constants, then the base itself; then one fact varied over
///   all its values (the change's facts first; a date moves every date of
///   the base with it, keeping their relations); then two facts varied. The
///   first candidate that decides a benefit the change touches differently
///   (and, for a condition or an amount, on which the changed expression
///   itself comes out differently, so that one change's witness is not
///   credited to another) is the witness.
///
/// At most [`MAX_CANDIDATES_PER_CHANGE`] candidates per change and
/// [`MAX_DECISIONS`] decisions in all.
pub fn diff(old: &Plan, new: &Plan, cases: &[(String, CaseFile)]) -> DiffReport {
    let (oa, na) = (analyse(old.policy()), analyse(new.policy()));
    let found = structural(old.policy(), new.policy(), &oa, &na);
    let mut search = Search::new(old, new, &oa, &na);
    let changes = found
        .into_iter()
        .map(|(subject, what, hints)| {
            let (witness, explored) = if hints.decisive { search.find(&hints) } else { (None, 0) };
            let budget_spent = hints.decisive && witness.is_none() && search.decisions >= MAX_DECISIONS;
            Change { subject, what, can_decide: hints.decisive, witness, explored, budget_spent }
        })
        .collect();
    let (case_changes, cases_compared) = compare_cases(&search, cases);
    DiffReport {
        old_policy: old.policy().meta.id.clone(),
        new_policy: new.policy().meta.id.clone(),
        changes,
        case_changes,
        cases_compared,
        applicants_decided: search.decisions,
    }
}

// ------------------------------------------------------------------ expressions

/// The direct sub-expressions of an expression.
fn children(e: &CExpr) -> Vec<&CExpr> {
    let mut v: Vec<&CExpr> = Vec::new();
    match &e.kind {
        CKind::Const(_)
        | CKind::Input(_)
        | CKind::Let(_)
        | CKind::Param(_)
        | CKind::External(_)
        | CKind::Local(_)
        | CKind::Amount
        | CKind::AsOf
        | CKind::Table(_)
        | CKind::Present(_) => {}
        CKind::Lookup(_, keys) | CKind::Exists(_, keys) => v.extend(keys.iter()),
        CKind::Field(b, _) | CKind::Convert(b, _, _) | CKind::Unary(_, b) => v.push(b),
        CKind::Binary(_, a, b) | CKind::InList(a, b) => {
            v.push(a);
            v.push(b);
        }
        CKind::InSet(x, items) => {
            v.push(x);
            v.extend(items.iter());
        }
        CKind::List(items) | CKind::Call(_, items) => v.extend(items.iter()),
        CKind::If(branches, other) => {
            for (c, x) in branches {
                v.push(c);
                v.push(x);
            }
            v.push(other);
        }
        CKind::Match(s, arms) => {
            v.push(s);
            v.extend(arms.iter().map(|(_, x)| x));
        }
        CKind::Tiers { subject, tiers, otherwise } => {
            v.push(subject);
            for t in tiers {
                match &t.test {
                    CTierTest::Cmp(_, b) => v.push(b),
                    CTierTest::Range(a, b) => {
                        v.push(a);
                        v.push(b);
                    }
                }
                v.push(&t.value);
            }
            v.extend(otherwise.as_deref());
        }
        CKind::Scale { subject, bands, rest } => {
            v.push(subject);
            for (w, r) in bands {
                v.push(w);
                v.push(r);
            }
            v.extend(rest.as_deref());
        }
        CKind::Quant(_, l, f) => {
            v.push(l);
            v.extend(f.as_deref());
        }
        CKind::Agg(_, l, x, f) => {
            v.push(l);
            v.push(x);
            v.extend(f.as_deref());
        }
    }
    v
}

fn type_name(p: &CheckedPolicy, t: &Type) -> String {
    match t {
        Type::Bool => "bool".into(),
        Type::Int => "int".into(),
        Type::Decimal => "decimal".into(),
        Type::Money => "money".into(),
        Type::Percent => "percent".into(),
        Type::Date => "date".into(),
        Type::Duration => "duration".into(),
        Type::Text => "text".into(),
        Type::Quantity(u) => p.units.get(u.index()).map(|u| u.name.clone()).unwrap_or_else(|| "?unit".into()),
        Type::Enum(e) => p.enums.get(e.index()).map(|e| e.name.clone()).unwrap_or_else(|| "?enum".into()),
        Type::Record(r) => p.records.get(r.index()).map(|r| r.name.clone()).unwrap_or_else(|| "?record".into()),
        Type::List(t) => format!("list {}", type_name(p, t)),
        Type::EmptyList => "list".into(),
        Type::Error => "?".into(),
    }
}

fn duration_unit(u: DurationUnit) -> &'static str {
    match u {
        DurationUnit::Days => "days",
        DurationUnit::Months => "months",
        DurationUnit::Years => "years",
    }
}

/// A value as the policy would write it (`600 yuan`, `80%`, `junior`).
fn show_val(p: &CheckedPolicy, v: &Value, ty: &Type) -> String {
    match (v, ty) {
        (Value::Num(d), Type::Money) => format!("{} yuan", d.normalize()),
        (Value::Num(d), Type::Percent) => percent_string(*d),
        (Value::Num(d), Type::Quantity(_)) => format!("{} {}", d.normalize(), type_name(p, ty)),
        (Value::Num(d), _) => d.normalize().to_string(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Date(d), _) => d.to_string(),
        (Value::Duration(d), _) => format!("{} {}", d.amount, duration_unit(d.unit)),
        (Value::Text(s), _) => format!("{s:?}"),
        (Value::Enum(i), Type::Enum(e)) => {
            p.enums.get(e.index()).and_then(|e| e.variants.get(*i as usize)).map(|v| v.0.clone()).unwrap_or_else(|| format!("#{i}"))
        }
        (Value::Enum(i), _) => format!("#{i}"),
        (Value::Record(fields), Type::Record(r)) => {
            let def = p.records.get(r.index());
            let parts: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| match def.and_then(|d| d.fields.get(i)) {
                    Some((name, fty, _)) => format!("{name}: {}", show_val(p, f, fty)),
                    None => show_val(p, f, &Type::Error),
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        (Value::Record(fields), _) => format!("{{{} fields}}", fields.len()),
        (Value::List(xs), Type::List(elem)) => format!("[{}]", xs.iter().map(|x| show_val(p, x, elem)).collect::<Vec<_>>().join(", ")),
        (Value::List(xs), _) => format!("[{} items]", xs.len()),
    }
}

/// A canonical rendering of an expression: names resolved, spans and ids
/// ignored, set members and match arms sorted. Equal renderings mean the
/// same computation.
fn canon(p: &CheckedPolicy, e: &CExpr) -> String {
    let mut s = String::new();
    canon_into(p, e, &mut s);
    s
}

fn canon_into(p: &CheckedPolicy, e: &CExpr, out: &mut String) {
    let name_of = |x: Option<&String>| x.cloned().unwrap_or_else(|| "?".into());
    let list = |items: &[CExpr]| items.iter().map(|x| canon(p, x)).collect::<Vec<_>>().join(", ");
    match &e.kind {
        CKind::Const(v) => out.push_str(&format!("{}:{}", show_val(p, v, &e.ty), type_name(p, &e.ty))),
        CKind::Input(id) => out.push_str(&format!("input {}", name_of(p.inputs.get(id.index()).map(|d| &d.name)))),
        CKind::Let(id) => out.push_str(&format!("let {}", name_of(p.lets.get(id.index()).map(|d| &d.name)))),
        CKind::Param(id) => out.push_str(&format!("param {}", name_of(p.params.get(id.index()).map(|d| &d.name)))),
        CKind::External(id) => out.push_str(&format!("external {}", name_of(p.externals.get(id.index()).map(|d| &d.name)))),
        CKind::Local(i) => out.push_str(&format!("${i}")),
        CKind::Amount => out.push_str("amount"),
        CKind::AsOf => out.push_str("as_of"),
        CKind::Table(t) => out.push_str(&format!("table {}", name_of(p.tables.get(t.index()).map(|d| &d.name)))),
        CKind::Lookup(t, keys) => out.push_str(&format!("{}[{}]", name_of(p.tables.get(t.index()).map(|d| &d.name)), list(keys))),
        CKind::Exists(t, keys) => out.push_str(&format!("exists({}[{}])", name_of(p.tables.get(t.index()).map(|d| &d.name)), list(keys))),
        CKind::Present(id) => out.push_str(&format!("present({})", name_of(p.inputs.get(id.index()).map(|d| &d.name)))),
        CKind::Field(b, i) => {
            let field = match &b.ty {
                Type::Record(r) => p.records.get(r.index()).and_then(|r| r.fields.get(*i as usize)).map(|f| f.0.clone()),
                _ => None,
            };
            out.push_str(&format!("({}).{}", canon(p, b), field.unwrap_or_else(|| format!("#{i}"))));
        }
        CKind::Convert(b, fc, tc) => {
            out.push_str(&format!("({} as {} ×{}/{})", canon(p, b), type_name(p, &e.ty), tc.normalize(), fc.normalize()))
        }
        CKind::Unary(op, x) => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "not ",
            };
            out.push_str(&format!("{o}({})", canon(p, x)));
        }
        CKind::Binary(op, a, b) => out.push_str(&format!("({} {} {})", canon(p, a), op.symbol(), canon(p, b))),
        CKind::InSet(x, items) => {
            let mut members: Vec<String> = items.iter().map(|i| canon(p, i)).collect();
            members.sort();
            members.dedup();
            out.push_str(&format!("({} in {{{}}})", canon(p, x), members.join(", ")));
        }
        CKind::InList(x, l) => out.push_str(&format!("({} in {})", canon(p, x), canon(p, l))),
        CKind::List(items) => out.push_str(&format!("[{}]", list(items))),
        CKind::If(branches, other) => {
            out.push_str("if(");
            for (c, x) in branches {
                out.push_str(&format!("{} => {}; ", canon(p, c), canon(p, x)));
            }
            out.push_str(&format!("else => {})", canon(p, other)));
        }
        CKind::Match(s, arms) => {
            let variants: Vec<String> = match &s.ty {
                Type::Enum(en) => p.enums.get(en.index()).map(|d| d.variants.iter().map(|v| v.0.clone()).collect()).unwrap_or_default(),
                _ => Vec::new(),
            };
            let mut explicit: Vec<String> = Vec::new();
            let mut rest: Option<String> = None;
            for (pats, x) in arms {
                match pats {
                    Some(ps) => {
                        let mut names: Vec<String> =
                            ps.iter().map(|i| variants.get(*i as usize).cloned().unwrap_or_else(|| format!("#{i}"))).collect();
                        names.sort();
                        explicit.push(format!("{} => {}", names.join(" | "), canon(p, x)));
                    }
                    None => {
                        if rest.is_none() {
                            rest = Some(canon(p, x));
                        }
                    }
                }
            }
            explicit.sort();
            out.push_str(&format!("match({}; {}", canon(p, s), explicit.join("; ")));
            if let Some(r) = rest {
                out.push_str(&format!("; _ => {r}"));
            }
            out.push(')');
        }
        CKind::Tiers { subject, tiers, otherwise } => {
            out.push_str(&format!("tiers({}", canon(p, subject)));
            for t in tiers {
                let test = match &t.test {
                    CTierTest::Cmp(op, b) => format!("{} {}", op.symbol(), canon(p, b)),
                    CTierTest::Range(a, b) => format!("{} .. {}", canon(p, a), canon(p, b)),
                };
                out.push_str(&format!("; {test} => {}", canon(p, &t.value)));
            }
            if let Some(o) = otherwise {
                out.push_str(&format!("; else => {}", canon(p, o)));
            }
            out.push(')');
        }
        CKind::Scale { subject, bands, rest } => {
            out.push_str(&format!("scale({}", canon(p, subject)));
            for (w, r) in bands {
                out.push_str(&format!("; {} at {}", canon(p, w), canon(p, r)));
            }
            if let Some(r) = rest {
                out.push_str(&format!("; then at {}", canon(p, r)));
            }
            out.push(')');
        }
        CKind::Quant(k, l, f) => {
            out.push_str(&format!("{k:?}({}", canon(p, l)));
            if let Some(f) = f {
                out.push_str(&format!(" where {}", canon(p, f)));
            }
            out.push(')');
        }
        CKind::Agg(k, l, x, f) => {
            out.push_str(&format!("{k:?}({} for {}", canon(p, x), canon(p, l)));
            if let Some(f) = f {
                out.push_str(&format!(" where {}", canon(p, f)));
            }
            out.push(')');
        }
        CKind::Call(f, args) => out.push_str(&format!("{f:?}({})", list(args))),
    }
}

/// The expression's source text with whitespace runs collapsed, or its
/// canonical rendering when the text is not available.
fn text(p: &CheckedPolicy, e: &CExpr) -> String {
    p.files
        .get(e.file.index())
        .and_then(|f| f.text.get(e.span.start..e.span.end))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| canon(p, e))
}

/// `old → new` for two expressions, falling back to their canonical forms
/// when the source texts happen to read the same.
fn arrow(o: &CheckedPolicy, oe: &CExpr, n: &CheckedPolicy, ne: &CExpr) -> String {
    let (a, b) = (text(o, oe), text(n, ne));
    if a == b {
        format!("{} → {}", canon(o, oe), canon(n, ne))
    } else {
        format!("{a} → {b}")
    }
}

// ------------------------------------------------------------------ references and constants

/// A constant some version compares against, plan-independent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum K {
    Num(NumKind, Decimal),
    Date(NaiveDate),
    Text(String),
    Variant(String, String),
    Dur(i64, u8),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum NumKind {
    Int,
    Decimal,
    Money,
    Percent,
    Quantity(String),
}

fn num_kind(p: &CheckedPolicy, t: &Type) -> Option<NumKind> {
    Some(match t {
        Type::Int => NumKind::Int,
        Type::Decimal => NumKind::Decimal,
        Type::Money => NumKind::Money,
        Type::Percent => NumKind::Percent,
        Type::Quantity(_) => NumKind::Quantity(type_name(p, t)),
        _ => return None,
    })
}

fn konsts_of_value(p: &CheckedPolicy, v: &Value, ty: &Type, out: &mut BTreeSet<K>, depth: usize) {
    if depth > 8 {
        return;
    }
    match (v, ty) {
        (Value::Num(d), t) => {
            if let Some(k) = num_kind(p, t) {
                out.insert(K::Num(k, d.normalize()));
            }
        }
        (Value::Date(d), _) => {
            out.insert(K::Date(*d));
        }
        (Value::Text(s), _) => {
            out.insert(K::Text(s.to_string()));
        }
        (Value::Enum(i), Type::Enum(e)) => {
            if let Some(def) = p.enums.get(e.index()) {
                if let Some((name, _)) = def.variants.get(*i as usize) {
                    out.insert(K::Variant(def.name.clone(), name.clone()));
                }
            }
        }
        (Value::Duration(d), _) => {
            let u = match d.unit {
                DurationUnit::Days => 0,
                DurationUnit::Months => 1,
                DurationUnit::Years => 2,
            };
            out.insert(K::Dur(d.amount, u));
        }
        (Value::List(xs), Type::List(elem)) => {
            for x in xs.iter() {
                konsts_of_value(p, x, elem, out, depth + 1);
            }
        }
        (Value::Record(fields), Type::Record(r)) => {
            if let Some(def) = p.records.get(r.index()) {
                for (f, (_, fty, _)) in fields.iter().zip(def.fields.iter()) {
                    konsts_of_value(p, f, fty, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// What a set of expressions reads (transitively through lets and
/// parameters) and the constants it holds.
#[derive(Debug, Default, Clone)]
struct Refs {
    /// Inputs and externals (fact names).
    facts: BTreeSet<String>,
    lets: BTreeSet<String>,
    params: BTreeSet<String>,
    tables: BTreeSet<String>,
    konsts: BTreeSet<K>,
    /// `age(…)` or `days_between(…)` is used.
    age: bool,
    days: bool,
}

impl Refs {
    fn of<'e>(p: &CheckedPolicy, exprs: impl IntoIterator<Item = &'e CExpr>) -> Refs {
        let mut r = Refs::default();
        let mut pending: Vec<&CExpr> = exprs.into_iter().collect();
        let mut seen_lets: HashSet<usize> = HashSet::new();
        let mut seen_params: HashSet<usize> = HashSet::new();
        while let Some(e) = pending.pop() {
            let mut stack = vec![e];
            while let Some(x) = stack.pop() {
                match &x.kind {
                    CKind::Const(v) => konsts_of_value(p, v, &x.ty, &mut r.konsts, 0),
                    CKind::Input(id) | CKind::Present(id) => {
                        if let Some(d) = p.inputs.get(id.index()) {
                            r.facts.insert(d.name.clone());
                        }
                    }
                    CKind::External(id) => {
                        if let Some(d) = p.externals.get(id.index()) {
                            r.facts.insert(d.name.clone());
                        }
                    }
                    CKind::Let(id) => {
                        if let Some(d) = p.lets.get(id.index()) {
                            r.lets.insert(d.name.clone());
                            if seen_lets.insert(id.index()) {
                                pending.push(&d.value);
                            }
                        }
                    }
                    CKind::Param(id) => {
                        if let Some(d) = p.params.get(id.index()) {
                            r.params.insert(d.name.clone());
                            if seen_params.insert(id.index()) {
                                for v in &d.versions {
                                    r.konsts.insert(K::Date(v.from));
                                    if let Some(u) = v.until {
                                        r.konsts.insert(K::Date(u));
                                    }
                                    pending.push(&v.value);
                                }
                            }
                        }
                    }
                    CKind::Table(t) | CKind::Lookup(t, _) | CKind::Exists(t, _) => {
                        if let Some(d) = p.tables.get(t.index()) {
                            r.tables.insert(d.name.clone());
                        }
                    }
                    CKind::Call(policy_core::checked::Builtin::Age, _) => r.age = true,
                    CKind::Call(policy_core::checked::Builtin::DaysBetween, _) => r.days = true,
                    _ => {}
                }
                stack.extend(children(x));
            }
        }
        r
    }

    fn merge(&mut self, o: Refs) {
        self.facts.extend(o.facts);
        self.lets.extend(o.lets);
        self.params.extend(o.params);
        self.tables.extend(o.tables);
        self.konsts.extend(o.konsts);
        self.age |= o.age;
        self.days |= o.days;
    }
}

/// Per benefit: its id and what each of its expressions reads (in the order
/// of [`benefit_exprs`]). Computed once per version and shared.
type Analysis = Vec<(String, Vec<Refs>)>;

fn analyse(p: &CheckedPolicy) -> Analysis {
    p.benefits.iter().map(|b| (b.id.to_string(), benefit_exprs(b).into_iter().map(|e| Refs::of(p, [e])).collect())).collect()
}

/// Every expression of a benefit, its versions included.
fn benefit_exprs(b: &BenefitDef) -> Vec<&CExpr> {
    let mut v: Vec<&CExpr> = b.dated_by.iter().collect();
    for rules in std::iter::once(&b.base).chain(b.versions.iter().map(|x| &x.rules)) {
        v.extend(rule_exprs(rules));
    }
    v
}

fn rule_exprs(r: &RuleSet) -> Vec<&CExpr> {
    let mut v: Vec<&CExpr> = r.conditions.iter().map(|c| &c.expr).collect();
    for s in &r.amount {
        v.extend(step_exprs(s));
    }
    v.extend(r.entitlements.iter().chain(r.documents.iter()).filter_map(|o| o.when.as_ref()));
    v.extend(r.deadlines.iter().map(|d| &d.expr));
    v
}

fn step_exprs(s: &AmountStepDef) -> Vec<&CExpr> {
    match s {
        AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => vec![expr],
        AmountStepDef::Uplift { rate, when, .. } => vec![rate, when],
        AmountStepDef::Override { when, value, .. } => vec![when, value],
    }
}

/// Konsts of the rows of a table.
fn table_konsts(p: &CheckedPolicy, name: &str, out: &mut BTreeSet<K>) {
    let Some(t) = p.tables.iter().find(|t| t.name == name) else { return };
    let Some(rec) = p.records.get(t.row_type.index()) else { return };
    for row in &t.rows {
        for (v, (_, ty, _)) in row.iter().zip(rec.fields.iter()) {
            konsts_of_value(p, v, ty, out, 0);
        }
    }
}

/// Every date either version decides by: in force, versions, uplift `until`.
fn policy_dates(p: &CheckedPolicy, out: &mut BTreeSet<K>) {
    out.extend(p.meta.in_force_from.into_iter().chain(p.meta.in_force_until).map(K::Date));
    for b in &p.benefits {
        for v in &b.versions {
            out.insert(K::Date(v.from));
            out.extend(v.until.map(K::Date));
        }
        for rules in std::iter::once(&b.base).chain(b.versions.iter().map(|x| &x.rules)) {
            for s in &rules.amount {
                if let AmountStepDef::Uplift { until: Some(u), .. } = s {
                    out.insert(K::Date(*u));
                }
            }
        }
    }
}

// ------------------------------------------------------------------ structural diff

/// What the witness search needs to know about a change.
#[derive(Debug, Clone, Default)]
struct Hints {
    /// Whether to search at all.
    decisive: bool,
    /// Benefits whose decision the change may alter (empty: all in both).
    benefits: Vec<String>,
    /// Facts the change reads, varied first.
    focus: BTreeSet<String>,
    /// The change's own constants: values near them are tried first.
    konsts: BTreeSet<K>,
    /// The changed expression, evaluated in both versions.
    probe: Option<Probe>,
    /// Whether facts refused by one version count as a difference.
    rejections: bool,
    /// Constants to give the facts together (a changed table row's keys).
    pins: Vec<BTreeSet<K>>,
}

#[derive(Debug, Clone)]
struct Probe {
    benefit: String,
    old: Option<ProbeExpr>,
    new: Option<ProbeExpr>,
}

#[derive(Debug, Clone)]
struct ProbeExpr {
    expr: CExpr,
    /// A condition (its kind decides what "against" means), or a value.
    condition: Option<ConditionKind>,
}

/// A table row as the diff compares it: key (joined), key shown, values
/// shown, every constant in the row, the constants of its keys.
type Row = (String, String, Vec<String>, BTreeSet<K>, BTreeSet<K>);

struct Differ<'a> {
    o: &'a CheckedPolicy,
    n: &'a CheckedPolicy,
    out: Vec<(String, String, Hints)>,
    /// Per benefit (new version's, then old's): its id and what it reads.
    o_refs: Vec<(String, Refs)>,
    n_refs: Vec<(String, Refs)>,
    /// What each expression of each benefit reads, both versions.
    expr_refs: Vec<Refs>,
}

fn structural(o: &CheckedPolicy, n: &CheckedPolicy, oa: &Analysis, na: &Analysis) -> Vec<(String, String, Hints)> {
    let merged = |a: &Analysis| -> Vec<(String, Refs)> {
        a.iter()
            .map(|(id, exprs)| {
                let mut all = Refs::default();
                for r in exprs {
                    all.merge(r.clone());
                }
                (id.clone(), all)
            })
            .collect()
    };
    let (o_refs, n_refs) = (merged(oa), merged(na));
    let expr_refs: Vec<Refs> = oa.iter().chain(na.iter()).flat_map(|(_, exprs)| exprs.iter().cloned()).collect();
    let mut d = Differ { o, n, out: Vec::new(), o_refs, n_refs, expr_refs };
    d.in_force();
    d.benefits();
    d.params();
    d.tables();
    d.lets();
    d.inputs();
    d.externals();
    d.enums();
    d.records();
    d.conversions();
    d.out
}

fn kind_name(k: ConditionKind) -> &'static str {
    match k {
        ConditionKind::Applies => "applies_when",
        ConditionKind::Require => "require",
        ConditionKind::Exclude => "exclude",
    }
}

fn show_bounds(p: &CheckedPolicy, b: Option<&Bounds>, ty: &Type) -> String {
    let show = |x: Option<Decimal>| x.map(|x| show_val(p, &Value::Num(x), ty)).unwrap_or_default();
    match b {
        Some(b) if b.low.is_some() || b.high.is_some() => format!("{} .. {}", show(b.low), show(b.high)).trim().to_string(),
        _ => "unbounded".into(),
    }
}

fn window(from: Option<NaiveDate>, until: Option<NaiveDate>) -> String {
    format!("{} .. {}", from.map(|d| d.to_string()).unwrap_or_default(), until.map(|d| d.to_string()).unwrap_or_default())
        .trim()
        .to_string()
}

impl<'a> Differ<'a> {
    fn push(&mut self, subject: impl Into<String>, what: impl Into<String>, hints: Hints) {
        self.out.push((subject.into(), what.into(), hints));
    }

    /// Benefit ids (new order, then old-only) whose references match.
    fn benefits_where(&self, pred: impl Fn(&Refs) -> bool) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for (id, r) in self.n_refs.iter().chain(self.o_refs.iter()) {
            if pred(r) && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Facts read by those expressions of either version whose references match.
    fn focus_where(&self, pred: impl Fn(&Refs) -> bool) -> BTreeSet<String> {
        self.expr_refs.iter().filter(|r| pred(r)).flat_map(|r| r.facts.iter().cloned()).collect()
    }

    /// The facts that date the given benefits (and the reference date).
    fn date_focus(&self, ids: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for p in [self.o, self.n] {
            for b in p.benefits.iter().filter(|b| ids.is_empty() || ids.iter().any(|i| **i == *b.id)) {
                match &b.dated_by {
                    Some(e) => out.extend(Refs::of(p, [e]).facts),
                    None => {
                        out.insert(AS_OF.to_string());
                        if p.inputs.iter().any(|i| i.name == "application_date") {
                            out.insert("application_date".into());
                        }
                    }
                }
            }
        }
        out
    }

    fn in_force(&mut self) {
        let (o, n) = (&self.o.meta, &self.n.meta);
        if (o.in_force_from, o.in_force_until) != (n.in_force_from, n.in_force_until) {
            let mut konsts = BTreeSet::new();
            konsts.extend([o.in_force_from, o.in_force_until, n.in_force_from, n.in_force_until].into_iter().flatten().map(K::Date));
            let hints = Hints { decisive: true, focus: self.date_focus(&[]), konsts, ..Hints::default() };
            self.push(
                "policy",
                format!("in force changed: {} → {}", window(o.in_force_from, o.in_force_until), window(n.in_force_from, n.in_force_until)),
                hints,
            );
        }
    }

    fn benefits(&mut self) {
        let (o, n) = (self.o, self.n);
        for nb in &n.benefits {
            match o.benefits.iter().find(|b| b.id == nb.id) {
                Some(ob) => self.benefit(ob, nb),
                None => {
                    let r = Refs::of(n, benefit_exprs(nb));
                    let hints =
                        Hints { decisive: true, benefits: vec![nb.id.to_string()], focus: r.facts, konsts: r.konsts, ..Hints::default() };
                    self.push(format!("benefit {}", nb.id), format!("added: {}", nb.label), hints);
                }
            }
        }
        for ob in o.benefits.iter().filter(|b| !n.benefits.iter().any(|x| x.id == b.id)) {
            let r = Refs::of(o, benefit_exprs(ob));
            let hints = Hints { decisive: true, benefits: vec![ob.id.to_string()], focus: r.facts, konsts: r.konsts, ..Hints::default() };
            self.push(format!("benefit {}", ob.id), format!("removed: {}", ob.label), hints);
        }
    }

    fn benefit(&mut self, ob: &BenefitDef, nb: &BenefitDef) {
        let (o, n) = (self.o, self.n);
        let subject = format!("benefit {}", nb.id);
        let just = |focus: BTreeSet<String>, konsts: BTreeSet<K>| Hints {
            decisive: true,
            benefits: vec![nb.id.to_string()],
            focus,
            konsts,
            ..Hints::default()
        };
        if ob.label != nb.label {
            self.push(&subject, format!("label changed: {} → {}", ob.label, nb.label), Hints::default());
        }
        if ob.payee != nb.payee {
            let show = |p: Option<Payee>| {
                p.map(|p| serde_json::to_string(&p).unwrap_or_default().trim_matches('"').to_string()).unwrap_or_else(|| "none".into())
            };
            self.push(&subject, format!("payee changed: {} → {}", show(ob.payee), show(nb.payee)), just(BTreeSet::new(), BTreeSet::new()));
        }
        if ob.period != nb.period {
            let show = |p: &Option<String>| p.as_ref().map(|p| format!("per {p}")).unwrap_or_else(|| "none".into());
            self.push(
                &subject,
                format!(
                    "period changed: {} → {}",
                    show(&ob.period.as_deref().map(str::to_string)),
                    show(&nb.period.as_deref().map(str::to_string))
                ),
                just(BTreeSet::new(), BTreeSet::new()),
            );
        }
        let dated = |p: &CheckedPolicy, e: &Option<CExpr>| e.as_ref().map(|e| canon(p, e));
        if dated(o, &ob.dated_by) != dated(n, &nb.dated_by) {
            let show = |p: &CheckedPolicy, e: &Option<CExpr>| e.as_ref().map(|e| text(p, e)).unwrap_or_else(|| "the reference date".into());
            let mut konsts = BTreeSet::new();
            policy_dates(o, &mut konsts);
            policy_dates(n, &mut konsts);
            let mut focus = self.date_focus(&[nb.id.to_string()]);
            focus.insert(AS_OF.into());
            self.push(&subject, format!("dated by changed: {} → {}", show(o, &ob.dated_by), show(n, &nb.dated_by)), just(focus, konsts));
        }
        self.rules(&subject, "", &nb.id, &ob.base, &nb.base);
        // Versions: by position when their number is unchanged, else by first day.
        let pairs: Vec<(Option<usize>, Option<usize>)> = if ob.versions.len() == nb.versions.len() {
            (0..nb.versions.len()).map(|i| (Some(i), Some(i))).collect()
        } else {
            let mut v: Vec<(Option<usize>, Option<usize>)> =
                nb.versions.iter().enumerate().map(|(i, x)| (ob.versions.iter().position(|y| y.from == x.from), Some(i))).collect();
            v.extend(
                ob.versions.iter().enumerate().filter(|(_, y)| !nb.versions.iter().any(|x| x.from == y.from)).map(|(i, _)| (Some(i), None)),
            );
            v
        };
        for (oi, ni) in pairs {
            let ov = oi.and_then(|i| ob.versions.get(i));
            let nv = ni.and_then(|i| nb.versions.get(i));
            let mut konsts = BTreeSet::new();
            for v in ov.iter().chain(nv.iter()) {
                konsts.insert(K::Date(v.from));
                konsts.extend(v.until.map(K::Date));
            }
            let focus = self.date_focus(&[nb.id.to_string()]);
            match (ov, nv) {
                (Some(ov), Some(nv)) => {
                    if (ov.from, ov.until) != (nv.from, nv.until) {
                        self.push(
                            &subject,
                            format!(
                                "version from {}: dates changed: {} → {}",
                                ov.from,
                                window(Some(ov.from), ov.until),
                                window(Some(nv.from), nv.until)
                            ),
                            just(focus, konsts),
                        );
                    }
                    let prefix = format!("version from {}: ", nv.from);
                    self.rules(&subject, &prefix, &nb.id, &ov.rules, &nv.rules);
                }
                (None, Some(nv)) => self.push(&subject, format!("version added: {}", window(Some(nv.from), nv.until)), just(focus, konsts)),
                (Some(ov), None) => {
                    self.push(&subject, format!("version removed: {}", window(Some(ov.from), ov.until)), just(focus, konsts))
                }
                (None, None) => {}
            }
        }
    }

    fn rules(&mut self, subject: &str, prefix: &str, benefit: &str, orules: &RuleSet, nrules: &RuleSet) {
        let (o, n) = (self.o, self.n);
        let hints_for = |oe: &[&CExpr], ne: &[&CExpr]| {
            let mut r = Refs::of(o, oe.iter().copied());
            r.merge(Refs::of(n, ne.iter().copied()));
            Hints { decisive: true, benefits: vec![benefit.to_string()], focus: r.facts, konsts: r.konsts, ..Hints::default() }
        };
        // Conditions, by id.
        for nc in &nrules.conditions {
            match orules.conditions.iter().find(|c| c.id == nc.id) {
                Some(oc) => {
                    let changed = oc.kind != nc.kind || canon(o, &oc.expr) != canon(n, &nc.expr);
                    if changed {
                        let what = if oc.kind != nc.kind {
                            format!(
                                "condition {} changed: {} {} → {} {}",
                                nc.id,
                                kind_name(oc.kind),
                                text(o, &oc.expr),
                                kind_name(nc.kind),
                                text(n, &nc.expr)
                            )
                        } else {
                            format!("condition {} changed: {}", nc.id, arrow(o, &oc.expr, n, &nc.expr))
                        };
                        let mut h = hints_for(&[&oc.expr], &[&nc.expr]);
                        h.probe = Some(Probe {
                            benefit: benefit.into(),
                            old: Some(ProbeExpr { expr: oc.expr.clone(), condition: Some(oc.kind) }),
                            new: Some(ProbeExpr { expr: nc.expr.clone(), condition: Some(nc.kind) }),
                        });
                        self.push(subject, format!("{prefix}{what}"), h);
                    } else if oc.label != nc.label {
                        self.push(
                            subject,
                            format!("{prefix}condition {}: label changed: {} → {}", nc.id, oc.label, nc.label),
                            Hints::default(),
                        );
                    }
                }
                None => {
                    let mut h = hints_for(&[], &[&nc.expr]);
                    h.probe = Some(Probe {
                        benefit: benefit.into(),
                        old: None,
                        new: Some(ProbeExpr { expr: nc.expr.clone(), condition: Some(nc.kind) }),
                    });
                    self.push(subject, format!("{prefix}condition {} added: {} {}", nc.id, kind_name(nc.kind), text(n, &nc.expr)), h);
                }
            }
        }
        for oc in orules.conditions.iter().filter(|c| !nrules.conditions.iter().any(|x| x.id == c.id)) {
            let mut h = hints_for(&[&oc.expr], &[]);
            h.probe = Some(Probe {
                benefit: benefit.into(),
                old: Some(ProbeExpr { expr: oc.expr.clone(), condition: Some(oc.kind) }),
                new: None,
            });
            self.push(subject, format!("{prefix}condition {} removed: {} {}", oc.id, kind_name(oc.kind), text(o, &oc.expr)), h);
        }
        // Amount steps, keyed by kind and id (or position among their kind).
        let okeys = step_keys(&orules.amount);
        let nkeys = step_keys(&nrules.amount);
        for (key, ns) in &nkeys {
            match okeys.iter().find(|(k, _)| k == key) {
                Some((_, os)) => {
                    if step_canon(o, os) != step_canon(n, ns) {
                        let mut h = hints_for(&step_exprs(os), &step_exprs(ns));
                        add_step_dates(os, &mut h.konsts);
                        add_step_dates(ns, &mut h.konsts);
                        if let (AmountStepDef::Uplift { until: a, .. }, AmountStepDef::Uplift { until: b, .. }) = (os, ns) {
                            if a != b {
                                h.focus.extend(self.date_focus(&[benefit.to_string()]));
                            }
                        }
                        if let (AmountStepDef::Base { expr: oe, .. }, AmountStepDef::Base { expr: ne, .. })
                        | (AmountStepDef::Cap { expr: oe, .. }, AmountStepDef::Cap { expr: ne, .. }) = (os, ns)
                        {
                            h.probe = Some(Probe {
                                benefit: benefit.into(),
                                old: Some(ProbeExpr { expr: oe.clone(), condition: None }),
                                new: Some(ProbeExpr { expr: ne.clone(), condition: None }),
                            });
                        }
                        self.push(subject, format!("{prefix}{}", step_change(o, os, n, ns, key)), h);
                    }
                }
                None => {
                    let mut h = hints_for(&[], &step_exprs(ns));
                    add_step_dates(ns, &mut h.konsts);
                    self.push(subject, format!("{prefix}{} added: {}", key_name(key), step_text(n, ns)), h);
                }
            }
        }
        for (key, os) in okeys.iter().filter(|(k, _)| !nkeys.iter().any(|(x, _)| x == k)) {
            let mut h = hints_for(&step_exprs(os), &[]);
            add_step_dates(os, &mut h.konsts);
            self.push(subject, format!("{prefix}{} removed: {}", key_name(key), step_text(o, os)), h);
        }
        let common_o: Vec<&String> = okeys.iter().map(|(k, _)| k).filter(|k| nkeys.iter().any(|(x, _)| x == *k)).collect();
        let common_n: Vec<&String> = nkeys.iter().map(|(k, _)| k).filter(|k| okeys.iter().any(|(x, _)| x == *k)).collect();
        if common_o != common_n {
            let names = |ks: &[&String]| ks.iter().map(|k| key_name(k)).collect::<Vec<_>>().join(", ");
            let all: Vec<&CExpr> = nrules.amount.iter().flat_map(step_exprs).collect();
            let allo: Vec<&CExpr> = orules.amount.iter().flat_map(step_exprs).collect();
            self.push(
                subject,
                format!("{prefix}amount steps reordered: {} → {}", names(&common_o), names(&common_n)),
                hints_for(&allo, &all),
            );
        }
        // Entitlements, documents and deadlines, as sets.
        let outs = |p: &CheckedPolicy, r: &RuleSet| -> Vec<(String, String, Option<CExpr>)> {
            let mut v: Vec<(String, String, Option<CExpr>)> = Vec::new();
            for (what, list) in [("entitle", &r.entitlements), ("needs", &r.documents)] {
                for x in list {
                    let shown = match &x.when {
                        Some(w) => format!("{what} {:?} when {}", x.label, text(p, w)),
                        None => format!("{what} {:?}", x.label),
                    };
                    v.push((
                        format!("{what}|{}|{}", x.label, x.when.as_ref().map(|w| canon(p, w)).unwrap_or_default()),
                        shown,
                        x.when.clone(),
                    ));
                }
            }
            for d in &r.deadlines {
                v.push((
                    format!("deadline|{}|{}", d.label, canon(p, &d.expr)),
                    format!("deadline {:?} {}", d.label, text(p, &d.expr)),
                    Some(d.expr.clone()),
                ));
            }
            v
        };
        let (oo, no) = (outs(o, orules), outs(n, nrules));
        for (k, shown, e) in &no {
            if !oo.iter().any(|(x, _, _)| x == k) {
                self.push(subject, format!("{prefix}{shown} added"), hints_for(&[], &e.iter().collect::<Vec<_>>()));
            }
        }
        for (k, shown, e) in &oo {
            if !no.iter().any(|(x, _, _)| x == k) {
                self.push(subject, format!("{prefix}{shown} removed"), hints_for(&e.iter().collect::<Vec<_>>(), &[]));
            }
        }
    }

    fn params(&mut self) {
        let (o, n) = (self.o, self.n);
        for np in &n.params {
            let subject = format!("param {}", np.name);
            let Some(op) = o.params.iter().find(|p| p.name == np.name) else {
                self.push(&subject, "added", Hints::default());
                continue;
            };
            let benefits = self.benefits_where(|r| r.params.contains(&np.name));
            let mut focus = self.focus_where(|r| r.params.contains(&np.name));
            focus.extend(self.date_focus(&benefits));
            let base_hints = |konsts: BTreeSet<K>| Hints {
                decisive: true,
                benefits: benefits.clone(),
                focus: focus.clone(),
                konsts,
                ..Hints::default()
            };
            if type_name(o, &op.ty) != type_name(n, &np.ty) {
                self.push(
                    &subject,
                    format!("type changed: {} → {}", type_name(o, &op.ty), type_name(n, &np.ty)),
                    base_hints(BTreeSet::new()),
                );
            }
            let pairs: Vec<(Option<usize>, Option<usize>)> = if op.versions.len() == np.versions.len() {
                (0..np.versions.len()).map(|i| (Some(i), Some(i))).collect()
            } else {
                let mut v: Vec<(Option<usize>, Option<usize>)> =
                    np.versions.iter().enumerate().map(|(i, x)| (op.versions.iter().position(|y| y.from == x.from), Some(i))).collect();
                v.extend(
                    op.versions
                        .iter()
                        .enumerate()
                        .filter(|(_, y)| !np.versions.iter().any(|x| x.from == y.from))
                        .map(|(i, _)| (Some(i), None)),
                );
                v
            };
            for (oi, ni) in pairs {
                let ov = oi.and_then(|i| op.versions.get(i));
                let nv = ni.and_then(|i| np.versions.get(i));
                let mut konsts = BTreeSet::new();
                for (p, v) in ov.map(|v| (o, v)).into_iter().chain(nv.map(|v| (n, v))) {
                    konsts.insert(K::Date(v.from));
                    konsts.extend(v.until.map(K::Date));
                    konsts.extend(Refs::of(p, [&v.value]).konsts);
                }
                match (ov, nv) {
                    (Some(ov), Some(nv)) => {
                        let mut parts = Vec::new();
                        if (ov.from, ov.until) != (nv.from, nv.until) {
                            parts.push(format!("dates {} → {}", window(Some(ov.from), ov.until), window(Some(nv.from), nv.until)));
                        }
                        if canon(o, &ov.value) != canon(n, &nv.value) {
                            parts.push(format!("value {}", arrow(o, &ov.value, n, &nv.value)));
                        }
                        if !parts.is_empty() {
                            self.push(&subject, format!("version from {} changed: {}", ov.from, parts.join("; ")), base_hints(konsts));
                        }
                    }
                    (None, Some(nv)) => self.push(
                        &subject,
                        format!("version added: {} => {}", window(Some(nv.from), nv.until), text(n, &nv.value)),
                        base_hints(konsts),
                    ),
                    (Some(ov), None) => self.push(
                        &subject,
                        format!("version removed: {} => {}", window(Some(ov.from), ov.until), text(o, &ov.value)),
                        base_hints(konsts),
                    ),
                    (None, None) => {}
                }
            }
        }
        for op in o.params.iter().filter(|p| !n.params.iter().any(|x| x.name == p.name)) {
            self.push(format!("param {}", op.name), "removed", Hints::default());
        }
    }

    fn tables(&mut self) {
        let (o, n) = (self.o, self.n);
        for nt in &n.tables {
            let subject = format!("table {}", nt.name);
            let Some(ot) = o.tables.iter().find(|t| t.name == nt.name) else {
                self.push(&subject, "added", Hints::default());
                continue;
            };
            let benefits = self.benefits_where(|r| r.tables.contains(&nt.name));
            let focus = self.focus_where(|r| r.tables.contains(&nt.name));
            let decisive = !benefits.is_empty();
            let cols = |p: &CheckedPolicy, t: &policy_core::checked::TableDef| -> Vec<(String, Type)> {
                p.records.get(t.row_type.index()).map(|r| r.fields.iter().map(|f| (f.0.clone(), f.1.clone())).collect()).unwrap_or_default()
            };
            let (oc, nc) = (cols(o, ot), cols(n, nt));
            let sig = |p: &CheckedPolicy, c: &[(String, Type)], kc: usize| {
                let show =
                    |xs: &[(String, Type)]| xs.iter().map(|(f, t)| format!("{f}: {}", type_name(p, t))).collect::<Vec<_>>().join(", ");
                format!("({}) -> ({})", show(c.get(..kc).unwrap_or(&[])), show(c.get(kc..).unwrap_or(&[])))
            };
            let (osig, nsig) = (sig(o, &oc, ot.key_count), sig(n, &nc, nt.key_count));
            if osig != nsig {
                let mut konsts = BTreeSet::new();
                table_konsts(o, &ot.name, &mut konsts);
                table_konsts(n, &nt.name, &mut konsts);
                self.push(
                    &subject,
                    format!("columns changed: {osig} → {nsig}"),
                    Hints { decisive, benefits, focus, konsts, ..Hints::default() },
                );
                continue;
            }
            // Rows by key.
            let rows = |p: &CheckedPolicy, t: &policy_core::checked::TableDef, c: &[(String, Type)]| -> Vec<Row> {
                t.rows
                    .iter()
                    .map(|r| {
                        let keys: Vec<String> = r.iter().zip(c.iter()).take(t.key_count).map(|(v, (_, ty))| show_val(p, v, ty)).collect();
                        let values: Vec<String> = r.iter().zip(c.iter()).skip(t.key_count).map(|(v, (_, ty))| show_val(p, v, ty)).collect();
                        let mut ks = BTreeSet::new();
                        for (v, (_, ty)) in r.iter().zip(c.iter()) {
                            konsts_of_value(p, v, ty, &mut ks, 0);
                        }
                        let mut key_konsts = BTreeSet::new();
                        for (v, (_, ty)) in r.iter().zip(c.iter()).take(t.key_count) {
                            konsts_of_value(p, v, ty, &mut key_konsts, 0);
                        }
                        let shown = format!("({})", keys.join(", "));
                        (keys.join("\u{1f}"), shown, values, ks, key_konsts)
                    })
                    .collect()
            };
            let (orows, nrows) = (rows(o, ot, &oc), rows(n, nt, &nc));
            let value_cols: Vec<String> = nc.iter().skip(nt.key_count).map(|c| c.0.clone()).collect();
            let show_values =
                |vs: &[String]| vs.iter().zip(value_cols.iter()).map(|(v, c)| format!("{c} {v}")).collect::<Vec<_>>().join(", ");
            for (key, shown, nv, nk, keys) in &nrows {
                let hints = |konsts: BTreeSet<K>| Hints {
                    decisive,
                    benefits: benefits.clone(),
                    focus: focus.clone(),
                    konsts,
                    pins: vec![keys.clone()],
                    ..Hints::default()
                };
                match orows.iter().find(|r| r.0 == *key) {
                    Some((_, _, ov, ok, _)) => {
                        if ov != nv {
                            let parts: Vec<String> = ov
                                .iter()
                                .zip(nv.iter())
                                .zip(value_cols.iter())
                                .filter(|((a, b), _)| a != b)
                                .map(|((a, b), c)| format!("{c} {a} → {b}"))
                                .collect();
                            let mut k = ok.clone();
                            k.extend(nk.iter().cloned());
                            self.push(&subject, format!("row {shown} changed: {}", parts.join("; ")), hints(k));
                        }
                    }
                    None => self.push(&subject, format!("row {shown} added: {}", show_values(nv)), hints(nk.clone())),
                }
            }
            for (key, shown, ov, ok, keys) in &orows {
                if !nrows.iter().any(|r| r.0 == *key) {
                    let hints = Hints {
                        decisive,
                        benefits: benefits.clone(),
                        focus: focus.clone(),
                        konsts: ok.clone(),
                        pins: vec![keys.clone()],
                        ..Hints::default()
                    };
                    self.push(&subject, format!("row {shown} removed: {}", show_values(ov)), hints);
                }
            }
        }
        for ot in o.tables.iter().filter(|t| !n.tables.iter().any(|x| x.name == t.name)) {
            self.push(format!("table {}", ot.name), "removed", Hints::default());
        }
    }

    fn lets(&mut self) {
        let (o, n) = (self.o, self.n);
        for nl in &n.lets {
            let subject = format!("let {}", nl.name);
            let Some(ol) = o.lets.iter().find(|l| l.name == nl.name) else {
                self.push(&subject, "added", Hints::default());
                continue;
            };
            if canon(o, &ol.value) != canon(n, &nl.value) || type_name(o, &ol.ty) != type_name(n, &nl.ty) {
                let mut r = Refs::of(o, [&ol.value]);
                r.merge(Refs::of(n, [&nl.value]));
                let benefits = self.benefits_where(|x| x.lets.contains(&nl.name));
                let hints = Hints { decisive: !benefits.is_empty(), benefits, focus: r.facts, konsts: r.konsts, ..Hints::default() };
                self.push(&subject, format!("changed: {}", arrow(o, &ol.value, n, &nl.value)), hints);
            }
        }
        for ol in o.lets.iter().filter(|l| !n.lets.iter().any(|x| x.name == l.name)) {
            self.push(format!("let {}", ol.name), "removed", Hints::default());
        }
    }

    fn fact_hints(&self, name: &str, konsts: BTreeSet<K>) -> Hints {
        let benefits = self.benefits_where(|r| r.facts.contains(name));
        let mut focus = BTreeSet::new();
        focus.insert(name.to_string());
        Hints { decisive: !benefits.is_empty(), benefits, focus, konsts, probe: None, rejections: true, pins: Vec::new() }
    }

    fn inputs(&mut self) {
        let (o, n) = (self.o, self.n);
        for ni in &n.inputs {
            let subject = format!("input {}", ni.name);
            let Some(oi) = o.inputs.iter().find(|i| i.name == ni.name) else {
                self.push(&subject, format!("added: {}", type_name(n, &ni.ty)), Hints::default());
                continue;
            };
            let mut konsts = BTreeSet::new();
            for (p, b, ty) in [(o, &oi.bounds, &oi.ty), (n, &ni.bounds, &ni.ty)] {
                if let (Some(b), Some(k)) = (b, num_kind(p, ty)) {
                    konsts.extend(b.low.iter().chain(b.high.iter()).map(|x| K::Num(k.clone(), x.normalize())));
                }
            }
            let (ot, nt) = (type_name(o, &oi.ty), type_name(n, &ni.ty));
            if ot != nt {
                self.push(&subject, format!("type changed: {ot} → {nt}"), self.fact_hints(&ni.name, konsts.clone()));
            }
            let (ob, nb) = (show_bounds(o, oi.bounds.as_ref(), &oi.ty), show_bounds(n, ni.bounds.as_ref(), &ni.ty));
            if ob != nb {
                self.push(&subject, format!("range changed: {ob} → {nb}"), self.fact_hints(&ni.name, konsts.clone()));
            }
            let show = |p: &CheckedPolicy, d: &Option<Value>, ty: &Type| {
                d.as_ref().map(|v| show_val(p, v, ty)).unwrap_or_else(|| "none (required)".into())
            };
            let (od, nd) = (show(o, &oi.default, &oi.ty), show(n, &ni.default, &ni.ty));
            if od != nd {
                self.push(&subject, format!("default changed: {od} → {nd}"), self.fact_hints(&ni.name, konsts));
            }
        }
        for oi in o.inputs.iter().filter(|i| !n.inputs.iter().any(|x| x.name == i.name)) {
            self.push(format!("input {}", oi.name), format!("removed: {}", type_name(o, &oi.ty)), Hints::default());
        }
    }

    fn externals(&mut self) {
        let (o, n) = (self.o, self.n);
        for nx in &n.externals {
            let subject = format!("external {}", nx.name);
            let Some(ox) = o.externals.iter().find(|x| x.name == nx.name) else {
                self.push(&subject, format!("added: {}", type_name(n, &nx.ty)), Hints::default());
                continue;
            };
            let mut konsts = BTreeSet::new();
            for (p, b, ty) in [(o, &ox.bounds, &ox.ty), (n, &nx.bounds, &nx.ty)] {
                if let (Some(b), Some(k)) = (b, num_kind(p, ty)) {
                    konsts.extend(b.low.iter().chain(b.high.iter()).map(|x| K::Num(k.clone(), x.normalize())));
                }
            }
            let (ot, nt) = (type_name(o, &ox.ty), type_name(n, &nx.ty));
            if ot != nt {
                self.push(&subject, format!("type changed: {ot} → {nt}"), self.fact_hints(&nx.name, konsts.clone()));
            }
            let (ob, nb) = (show_bounds(o, ox.bounds.as_ref(), &ox.ty), show_bounds(n, nx.bounds.as_ref(), &nx.ty));
            if ob != nb {
                self.push(&subject, format!("range changed: {ob} → {nb}"), self.fact_hints(&nx.name, konsts.clone()));
            }
            let how = |x: &policy_core::checked::ExternalDef| match (&x.set_by, &x.defined_in) {
                (Some((a, c)), _) => format!("set by {a} (criteria: {})", c.join(", ")),
                (None, Some(i)) => format!("defined in {i}"),
                (None, None) => "given by the caller".into(),
            };
            if how(ox) != how(nx) {
                self.push(&subject, format!("source changed: {} → {}", how(ox), how(nx)), self.fact_hints(&nx.name, konsts));
            }
        }
        for ox in o.externals.iter().filter(|x| !n.externals.iter().any(|y| y.name == x.name)) {
            self.push(format!("external {}", ox.name), format!("removed: {}", type_name(o, &ox.ty)), Hints::default());
        }
    }

    /// Facts (either version) whose type mentions `name` (an enum, record or unit).
    fn facts_of_type(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for p in [self.o, self.n] {
            let mentions = |t: &Type| {
                let mut t = t;
                while let Type::List(inner) = t {
                    t = inner;
                }
                type_name(p, t) == name
                    || matches!(t, Type::Record(r) if p.records.get(r.index()).is_some_and(|r| r.fields.iter().any(|f| type_name(p, &f.1) == name)))
            };
            out.extend(p.inputs.iter().filter(|i| mentions(&i.ty)).map(|i| i.name.clone()));
            out.extend(p.externals.iter().filter(|x| mentions(&x.ty)).map(|x| x.name.clone()));
        }
        out
    }

    fn type_hints(&self, name: &str, konsts: BTreeSet<K>) -> Hints {
        let focus = self.facts_of_type(name);
        let benefits = self.benefits_where(|r| {
            r.facts.iter().any(|f| focus.contains(f)) || r.konsts.iter().any(|k| matches!(k, K::Variant(e, _) if e == name))
        });
        Hints { decisive: !benefits.is_empty(), benefits, focus, konsts, probe: None, rejections: true, pins: Vec::new() }
    }

    fn enums(&mut self) {
        let (o, n) = (self.o, self.n);
        for ne in &n.enums {
            let Some(oe) = o.enums.iter().find(|e| e.name == ne.name) else { continue };
            let names = |e: &policy_core::checked::EnumDef| e.variants.iter().map(|v| v.0.clone()).collect::<Vec<_>>();
            let (ov, nv) = (names(oe), names(ne));
            for v in nv.iter().filter(|v| !ov.contains(v)) {
                let konsts = std::iter::once(K::Variant(ne.name.clone(), v.clone())).collect();
                self.push(format!("enum {}", ne.name), format!("variant {v} added"), self.type_hints(&ne.name, konsts));
            }
            for v in ov.iter().filter(|v| !nv.contains(v)) {
                let konsts = std::iter::once(K::Variant(ne.name.clone(), v.clone())).collect();
                self.push(format!("enum {}", ne.name), format!("variant {v} removed"), self.type_hints(&ne.name, konsts));
            }
        }
    }

    fn records(&mut self) {
        let (o, n) = (self.o, self.n);
        for nr in &n.records {
            // Tables have a record each; their columns are compared with the table.
            if n.tables.iter().any(|t| n.records.get(t.row_type.index()).is_some_and(|r| r.name == nr.name)) {
                continue;
            }
            let Some(or) = o.records.iter().find(|r| r.name == nr.name) else { continue };
            let show = |p: &CheckedPolicy, r: &policy_core::checked::RecordDef| {
                let mut fs: Vec<String> = r.fields.iter().map(|f| format!("{}: {}", f.0, type_name(p, &f.1))).collect();
                fs.sort();
                fs.join(", ")
            };
            let (a, b) = (show(o, or), show(n, nr));
            if a != b {
                self.push(format!("record {}", nr.name), format!("fields changed: {a} → {b}"), self.type_hints(&nr.name, BTreeSet::new()));
            }
        }
    }

    fn conversions(&mut self) {
        let (o, n) = (self.o, self.n);
        let list = |p: &CheckedPolicy| -> Vec<(String, String, String)> {
            p.conversions
                .iter()
                .map(|c| {
                    let (a, b) = (type_name(p, &Type::Quantity(c.from)), type_name(p, &Type::Quantity(c.to)));
                    (format!("{} {a} = {} {b}", c.from_count.normalize(), c.to_count.normalize()), a, b)
                })
                .collect()
        };
        let (oc, nc) = (list(o), list(n));
        for (shown, a, b) in nc.iter().filter(|c| !oc.iter().any(|x| x.0 == c.0)) {
            let mut h = self.type_hints(a, BTreeSet::new());
            h.focus.extend(self.facts_of_type(b));
            self.push("conversion", format!("{shown} added"), h);
        }
        for (shown, a, b) in oc.iter().filter(|c| !nc.iter().any(|x| x.0 == c.0)) {
            let mut h = self.type_hints(a, BTreeSet::new());
            h.focus.extend(self.facts_of_type(b));
            self.push("conversion", format!("{shown} removed"), h);
        }
    }
}

fn step_keys(steps: &[AmountStepDef]) -> Vec<(String, &AmountStepDef)> {
    let (mut bases, mut caps) = (0, 0);
    steps
        .iter()
        .map(|s| {
            let key = match s {
                AmountStepDef::Base { .. } => {
                    bases += 1;
                    format!("amount#{bases}")
                }
                AmountStepDef::Cap { .. } => {
                    caps += 1;
                    format!("cap#{caps}")
                }
                AmountStepDef::Uplift { id, .. } => format!("uplift {id}"),
                AmountStepDef::Override { id, .. } => format!("override {id}"),
            };
            (key, s)
        })
        .collect()
}

fn key_name(key: &str) -> String {
    key.strip_suffix("#1").unwrap_or(key).to_string()
}

fn step_canon(p: &CheckedPolicy, s: &AmountStepDef) -> String {
    match s {
        AmountStepDef::Base { expr, .. } => format!("amount {}", canon(p, expr)),
        AmountStepDef::Cap { expr, .. } => format!("cap {}", canon(p, expr)),
        AmountStepDef::Uplift { rate, when, until, .. } => format!("uplift {} when {} until {until:?}", canon(p, rate), canon(p, when)),
        AmountStepDef::Override { when, value, .. } => format!("override when {} => {}", canon(p, when), canon(p, value)),
    }
}

fn step_text(p: &CheckedPolicy, s: &AmountStepDef) -> String {
    match s {
        AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => text(p, expr),
        AmountStepDef::Uplift { rate, when, until, .. } => {
            format!("{} when {}{}", text(p, rate), text(p, when), until.map(|u| format!(" until {u}")).unwrap_or_default())
        }
        AmountStepDef::Override { when, value, .. } => format!("when {} => {}", text(p, when), text(p, value)),
    }
}

/// `amount changed: 800 yuan → 900 yuan`, `uplift x changed: until A → B`.
fn step_change(o: &CheckedPolicy, os: &AmountStepDef, n: &CheckedPolicy, ns: &AmountStepDef, key: &str) -> String {
    let name = key_name(key);
    let part = |label: &str, a: &CExpr, b: &CExpr| (canon(o, a) != canon(n, b)).then(|| format!("{label}{}", arrow(o, a, n, b)));
    let parts: Vec<String> = match (os, ns) {
        (AmountStepDef::Base { expr: a, .. }, AmountStepDef::Base { expr: b, .. })
        | (AmountStepDef::Cap { expr: a, .. }, AmountStepDef::Cap { expr: b, .. }) => {
            return format!("{name} changed: {}", arrow(o, a, n, b));
        }
        (AmountStepDef::Uplift { rate: ra, when: wa, until: ua, .. }, AmountStepDef::Uplift { rate: rb, when: wb, until: ub, .. }) => {
            let mut v: Vec<String> = [part("rate ", ra, rb), part("when ", wa, wb)].into_iter().flatten().collect();
            if ua != ub {
                let show = |u: &Option<NaiveDate>| u.map(|u| u.to_string()).unwrap_or_else(|| "none".into());
                v.push(format!("until {} → {}", show(ua), show(ub)));
            }
            v
        }
        (AmountStepDef::Override { when: wa, value: va, .. }, AmountStepDef::Override { when: wb, value: vb, .. }) => {
            [part("when ", wa, wb), part("value ", va, vb)].into_iter().flatten().collect()
        }
        _ => vec![format!("{} → {}", step_text(o, os), step_text(n, ns))],
    };
    format!("{name} changed: {}", parts.join("; "))
}

fn add_step_dates(s: &AmountStepDef, out: &mut BTreeSet<K>) {
    if let AmountStepDef::Uplift { until: Some(u), .. } = s {
        out.insert(K::Date(*u));
    }
}

// ------------------------------------------------------------------ witness search

/// A fact's type, independent of either version's ids.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Bool,
    Num(NumKind),
    Date,
    Duration,
    Text,
    Enum(String, Vec<String>),
    Record(Vec<(String, Ty)>),
    List(Box<Ty>),
    Other,
}

fn ty_of(p: &CheckedPolicy, t: &Type, depth: usize) -> Ty {
    if depth > 8 {
        return Ty::Other;
    }
    if let Some(k) = num_kind(p, t) {
        return Ty::Num(k);
    }
    match t {
        Type::Bool => Ty::Bool,
        Type::Date => Ty::Date,
        Type::Duration => Ty::Duration,
        Type::Text => Ty::Text,
        Type::Enum(e) => {
            p.enums.get(e.index()).map(|d| Ty::Enum(d.name.clone(), d.variants.iter().map(|v| v.0.clone()).collect())).unwrap_or(Ty::Other)
        }
        Type::Record(r) => p
            .records
            .get(r.index())
            .map(|d| Ty::Record(d.fields.iter().map(|f| (f.0.clone(), ty_of(p, &f.1, depth + 1))).collect()))
            .unwrap_or(Ty::Other),
        Type::List(inner) => Ty::List(Box::new(ty_of(p, inner, depth + 1))),
        _ => Ty::Other,
    }
}

/// One dimension of a candidate applicant: an input, an external, or the
/// reference date.
#[derive(Debug, Clone)]
struct Var {
    name: String,
    ty: Ty,
    /// The type in the other version, when it differs.
    alt: Option<Ty>,
    /// Candidate values (lists and records are built from the base instead).
    values: Vec<Json>,
    typical: Json,
    /// The constants it is compared against.
    konsts: BTreeSet<K>,
}

/// A candidate applicant: fact name → JSON value (`null`: not given), plus
/// [`AS_OF`] for the reference date.
type Cand = BTreeMap<String, Json>;

/// One version's decision on a candidate: per benefit, or why the facts were refused.
type Side = Result<Vec<(String, Outcome)>, String>;

struct Pair {
    old: Side,
    new: Side,
}

type Score = (i32, i64, Decimal);

enum Step {
    Found(Box<Witness>),
    Continue,
    Stop,
}

struct Search<'a> {
    old: &'a Plan,
    new: &'a Plan,
    vars: Vec<Var>,
    typical_date: NaiveDate,
    /// Benefit ids in display order: the new version's, then old-only ones.
    order: Vec<String>,
    /// Benefits present in both versions.
    common: Vec<String>,
    cache: HashMap<String, Rc<Pair>>,
    decisions: usize,
    bases: BTreeMap<String, Cand>,
    /// Every date either version decides by.
    dates: BTreeSet<K>,
    conversions: Vec<(String, Decimal, String, Decimal)>,
    /// Per benefit id: the facts it reads in either version.
    read_by: BTreeMap<String, BTreeSet<String>>,
    /// Per benefit id: the facts its amount steps read, and how many
    /// versions have it.
    amount_reads: BTreeMap<String, (BTreeSet<String>, i32)>,
}

fn delta(k: &NumKind) -> Decimal {
    match k {
        NumKind::Int => Decimal::ONE,
        NumKind::Percent => Decimal::new(1, 4),
        _ => Decimal::new(1, 2),
    }
}

fn num_json(k: &NumKind, d: Decimal) -> Json {
    let d = d.normalize();
    match k {
        NumKind::Int => i64::try_from(d).map(Json::from).unwrap_or_else(|_| Json::String(d.to_string())),
        NumKind::Percent => Json::String(percent_string(d)),
        _ => Json::String(d.to_string()),
    }
}

/// At most [`CONSTANTS_PER_FACT`] constants of each kind, evenly spread.
fn thin(konsts: BTreeSet<K>) -> BTreeSet<K> {
    let mut groups: BTreeMap<String, Vec<K>> = BTreeMap::new();
    for k in konsts {
        let kind = match &k {
            K::Num(n, _) => format!("n {n:?}"),
            K::Date(_) => "d".into(),
            K::Text(_) => "t".into(),
            K::Variant(e, _) => format!("v {e}"),
            K::Dur(..) => "u".into(),
        };
        groups.entry(kind).or_default().push(k);
    }
    let mut out = BTreeSet::new();
    for (_, ks) in groups {
        let len = ks.len();
        if len <= CONSTANTS_PER_FACT {
            out.extend(ks);
        } else {
            let picks: BTreeSet<usize> = (0..CONSTANTS_PER_FACT).map(|i| i * (len - 1) / (CONSTANTS_PER_FACT - 1)).collect();
            out.extend(ks.into_iter().enumerate().filter(|(i, _)| picks.contains(i)).map(|(_, k)| k));
        }
    }
    out
}

/// At most `n` of the values, evenly spread, the first and last included.
fn spread(values: Vec<Json>, n: usize) -> Vec<Json> {
    let len = values.len();
    if len <= n || n < 2 {
        return values;
    }
    let picks: BTreeSet<usize> = (0..n).map(|k| k * (len - 1) / (n - 1)).collect();
    values.into_iter().enumerate().filter(|(i, _)| picks.contains(i)).map(|(_, v)| v).collect()
}

/// `d` moved by `days`, when that stays in the calendar.
fn shift(d: NaiveDate, days: i64) -> Option<NaiveDate> {
    d.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

fn within(b: Option<&Bounds>, d: Decimal) -> bool {
    b.is_none_or(|b| b.low.is_none_or(|l| d >= l) && b.high.is_none_or(|h| d <= h))
}

impl<'a> Search<'a> {
    fn new(old: &'a Plan, new: &'a Plan, oa: &Analysis, na: &Analysis) -> Self {
        let (o, n) = (old.policy(), new.policy());
        // The constants each fact is compared against: those of every
        // expression that reads it (its tables' rows included) and its
        // bounds. Dates are compared against the benefit's date wherever
        // they appear, so every date constant goes to every date fact.
        let mut per_fact: BTreeMap<String, BTreeSet<K>> = BTreeMap::new();
        let mut dates = BTreeSet::new();
        let mut age = false;
        let mut days = false;
        let mut read_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut amount_reads: BTreeMap<String, (BTreeSet<String>, i32)> = BTreeMap::new();
        for (p, analysis) in [(o, oa), (n, na)] {
            for (id, exprs) in analysis {
                for r in exprs {
                    read_by.entry(id.clone()).or_default().extend(r.facts.iter().cloned());
                    let mut ks = r.konsts.clone();
                    for t in &r.tables {
                        table_konsts(p, t, &mut ks);
                    }
                    dates.extend(ks.iter().filter(|k| matches!(k, K::Date(_))).cloned());
                    for f in &r.facts {
                        per_fact.entry(f.clone()).or_default().extend(ks.iter().filter(|k| !matches!(k, K::Date(_))).cloned());
                    }
                    age |= r.age;
                    days |= r.days;
                }
            }
            for b in &p.benefits {
                let steps =
                    std::iter::once(&b.base).chain(b.versions.iter().map(|v| &v.rules)).flat_map(|r| r.amount.iter().flat_map(step_exprs));
                let entry = amount_reads.entry(b.id.to_string()).or_default();
                entry.0.extend(Refs::of(p, steps).facts);
                entry.1 += 1;
            }
            policy_dates(p, &mut dates);
            let declared =
                p.inputs.iter().map(|i| (&i.name, &i.bounds, &i.ty)).chain(p.externals.iter().map(|x| (&x.name, &x.bounds, &x.ty)));
            for (name, b, ty) in declared {
                if let (Some(b), Some(k)) = (b, num_kind(p, ty)) {
                    per_fact
                        .entry(name.clone())
                        .or_default()
                        .extend(b.low.iter().chain(b.high.iter()).map(|x| K::Num(k.clone(), x.normalize())));
                }
            }
        }
        let mut conversions = Vec::new();
        for p in [n, o] {
            for c in &p.conversions {
                conversions.push((type_name(p, &Type::Quantity(c.from)), c.from_count, type_name(p, &Type::Quantity(c.to)), c.to_count));
            }
        }
        let meta = &n.meta;
        let typical_date = match (meta.in_force_from, meta.in_force_until) {
            (Some(f), Some(u)) => shift(f, (u - f).num_days() / 2).unwrap_or(f),
            (Some(f), None) => shift(f, 180).unwrap_or(f),
            (None, Some(u)) => shift(u, -180).unwrap_or(u),
            (None, None) => dates
                .iter()
                .filter_map(|k| match k {
                    K::Date(d) => Some(*d),
                    _ => None,
                })
                .next()
                .unwrap_or_else(|| NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()),
        };
        let mut order: Vec<String> = n.benefits.iter().map(|b| b.id.to_string()).collect();
        order.extend(o.benefits.iter().filter(|b| !n.benefits.iter().any(|x| x.id == b.id)).map(|b| b.id.to_string()));
        let common = n.benefits.iter().filter(|b| o.benefits.iter().any(|x| x.id == b.id)).map(|b| b.id.to_string()).collect();
        let mut s = Search {
            old,
            new,
            vars: Vec::new(),
            typical_date,
            order,
            common,
            cache: HashMap::new(),
            decisions: 0,
            bases: BTreeMap::new(),
            dates,
            conversions,
            read_by,
            amount_reads,
        };
        s.vars = s.build_vars(&per_fact, age, days);
        s
    }

    fn build_vars(&self, per_fact: &BTreeMap<String, BTreeSet<K>>, age: bool, days: bool) -> Vec<Var> {
        let (o, n) = (self.old.policy(), self.new.policy());
        // name → (type per version, bounds per version).
        let mut decl: BTreeMap<String, Vec<(Ty, Option<Bounds>)>> = BTreeMap::new();
        for p in [n, o] {
            for i in &p.inputs {
                decl.entry(i.name.clone()).or_default().push((ty_of(p, &i.ty, 0), i.bounds.clone()));
            }
            for x in &p.externals {
                decl.entry(x.name.clone()).or_default().push((ty_of(p, &x.ty, 0), x.bounds.clone()));
            }
        }
        let mut vars = Vec::new();
        for (name, versions) in decl {
            let Some((ty, _)) = versions.first() else { continue };
            let ty = ty.clone();
            let alt = versions.iter().map(|v| v.0.clone()).find(|t| *t != ty);
            let bounds: Vec<Option<&Bounds>> = versions.iter().map(|v| v.1.as_ref()).collect();
            let mut konsts = thin(per_fact.get(&name).cloned().unwrap_or_default());
            konsts.extend(self.dates.iter().cloned());
            let mut values = Vec::new();
            let mut seen = HashSet::new();
            let mut typical = Json::Null;
            for t in std::iter::once(&ty).chain(alt.iter()) {
                let (vals, typ) = self.values_for(t, &bounds, &konsts, true, age, days, name.contains("year"));
                if typical.is_null() {
                    typical = typ;
                }
                values.extend(vals.into_iter().filter(|v| seen.insert(v.to_string())));
            }
            values.push(Json::Null);
            vars.push(Var { name, ty, alt, values, typical, konsts });
        }
        let dated_by_reference = [o, n].iter().any(|p| p.benefits.iter().any(|b| b.dated_by.is_none()));
        let application_date = [o, n].iter().any(|p| p.inputs.iter().any(|i| i.name == "application_date"));
        if dated_by_reference && !application_date {
            let (values, typical) = self.values_for(&Ty::Date, &[], &self.dates, true, false, false, false);
            vars.push(Var { name: AS_OF.into(), ty: Ty::Date, alt: None, values, typical, konsts: self.dates.clone() });
        }
        vars
    }

    /// Candidate values of a type from constants; `extras` adds bounds,
    /// small numbers and the typical date's neighbours. Returns the values
    /// and a typical one.
    #[allow(clippy::too_many_arguments)]
    fn values_for(
        &self,
        ty: &Ty,
        bounds: &[Option<&Bounds>],
        konsts: &BTreeSet<K>,
        extras: bool,
        age: bool,
        days: bool,
        year_like: bool,
    ) -> (Vec<Json>, Json) {
        match ty {
            Ty::Bool if !extras => (Vec::new(), Json::Bool(true)),
            Ty::Bool => (vec![Json::Bool(true), Json::Bool(false)], Json::Bool(true)),
            Ty::Num(kind) => {
                let d = delta(kind);
                let mut set: BTreeSet<Decimal> = BTreeSet::new();
                let mut add = |c: Decimal| {
                    if *kind == NumKind::Int {
                        let (f, c) = (c.floor(), c.ceil());
                        set.extend([f.checked_sub(Decimal::ONE), Some(f), Some(c), c.checked_add(Decimal::ONE)].into_iter().flatten());
                    } else {
                        set.extend([c.checked_sub(d), Some(c), c.checked_add(d)].into_iter().flatten());
                    }
                };
                for k in konsts {
                    if let K::Num(kk, c) = k {
                        for c in self.convert_const(kind, kk, *c) {
                            add(c);
                        }
                    }
                }
                if extras {
                    add(Decimal::ZERO);
                    add(Decimal::ONE);
                    // Well past every constant, where caps bind.
                    let largest = konsts
                        .iter()
                        .filter_map(|k| match k {
                            K::Num(kk, c) if *kind != NumKind::Percent => self.convert_const(kind, kk, *c).into_iter().max(),
                            _ => None,
                        })
                        .max();
                    if let Some(big) = largest.and_then(|l| l.checked_mul(Decimal::TEN)).filter(|b| *b > Decimal::ONE) {
                        add(big);
                    }
                    if *kind == NumKind::Int && year_like {
                        add(Decimal::from(self.typical_date.year()));
                    }
                }
                let accepted = |x: &Decimal| bounds.is_empty() || bounds.iter().any(|b| within(*b, *x));
                let all_accept = |x: &Decimal| bounds.iter().all(|b| within(*b, *x));
                let vals: Vec<Decimal> = set.into_iter().filter(|x| accepted(x)).collect();
                let pool: Vec<&Decimal> = vals.iter().filter(|x| all_accept(x)).collect();
                let typical = pool.get(pool.len() / 2).copied().or(vals.first()).map(|x| num_json(kind, *x)).unwrap_or(Json::Null);
                (vals.into_iter().map(|x| num_json(kind, x)).collect(), typical)
            }
            Ty::Date => {
                let mut set: BTreeSet<NaiveDate> = BTreeSet::new();
                let around = |x: NaiveDate| [shift(x, -1), Some(x), shift(x, 1)].into_iter().flatten();
                for k in konsts {
                    if let K::Date(x) = k {
                        set.extend(around(*x));
                    }
                }
                if extras {
                    let t = self.typical_date;
                    set.insert(t);
                    for k in konsts {
                        match k {
                            K::Dur(a, u) => {
                                let dur = policy_core::value::Duration {
                                    amount: *a,
                                    unit: match u {
                                        0 => DurationUnit::Days,
                                        1 => DurationUnit::Months,
                                        _ => DurationUnit::Years,
                                    },
                                };
                                for neg in [false, true] {
                                    if let Ok(x) = policy_core::value::date_add(t, dur, neg) {
                                        set.extend(around(x));
                                    }
                                }
                            }
                            K::Num(NumKind::Int, c) if age && *c >= Decimal::ONE && *c <= Decimal::from(120) => {
                                if let Ok(years) = i64::try_from(*c) {
                                    if let Some(x) = policy_core::value::add_months(t, -12 * years) {
                                        set.extend(around(x));
                                    }
                                }
                            }
                            K::Num(NumKind::Int, c) if days && c.abs() <= Decimal::from(3650) => {
                                if let Ok(n) = i64::try_from(*c) {
                                    for x in [shift(t, -n), shift(t, n)].into_iter().flatten() {
                                        set.extend(around(x));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                let vals: Vec<Json> =
                    set.into_iter().filter(|d| (1900..=2200).contains(&d.year())).map(|d| Json::String(d.to_string())).collect();
                (vals, Json::String(self.typical_date.to_string()))
            }
            Ty::Duration => {
                let mut vals: Vec<Json> = konsts
                    .iter()
                    .filter_map(|k| match k {
                        K::Dur(a, u) => Some(Json::String(format!(
                            "{a} {}",
                            ["days", "months", "years"].get(usize::from(*u)).copied().unwrap_or("days")
                        ))),
                        _ => None,
                    })
                    .collect();
                if extras {
                    vals.push(Json::String("0 days".into()));
                }
                let typical = vals.first().cloned().unwrap_or(Json::Null);
                (vals, typical)
            }
            Ty::Text => {
                let mut vals: Vec<Json> = if extras { vec![Json::String("x".into())] } else { Vec::new() };
                vals.extend(konsts.iter().filter_map(|k| match k {
                    K::Text(s) => Some(Json::String(s.clone())),
                    _ => None,
                }));
                (vals, Json::String("x".into()))
            }
            Ty::Enum(name, variants) => {
                let vals: Vec<Json> = if extras {
                    variants.iter().map(|v| Json::String(v.clone())).collect()
                } else {
                    konsts
                        .iter()
                        .filter_map(|k| match k {
                            K::Variant(e, v) if e == name => Some(Json::String(v.clone())),
                            _ => None,
                        })
                        .collect()
                };
                let typical = variants.first().map(|v| Json::String(v.clone())).unwrap_or(Json::Null);
                (vals, typical)
            }
            Ty::List(_) => (Vec::new(), Json::Array(Vec::new())),
            Ty::Record(_) | Ty::Other => (Vec::new(), Json::Null),
        }
    }

    /// A constant of kind `from` as values of kind `to` (units converted).
    fn convert_const(&self, to: &NumKind, from: &NumKind, c: Decimal) -> Vec<Decimal> {
        match (to, from) {
            (a, b) if a == b => vec![c],
            (NumKind::Int | NumKind::Decimal, NumKind::Int | NumKind::Decimal) => vec![c],
            (NumKind::Quantity(u), NumKind::Quantity(v)) => self
                .conversions
                .iter()
                .filter_map(|(f, fc, t, tc)| {
                    // fc f = tc t
                    if f == u && t == v {
                        c.checked_mul(*fc).and_then(|x| x.checked_div(*tc))
                    } else if f == v && t == u {
                        c.checked_mul(*tc).and_then(|x| x.checked_div(*fc))
                    } else {
                        None
                    }
                })
                .map(|x| x.round_dp(6))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the benefit (in either version) reads the fact; the
    /// reference date is read by all.
    fn reads(&self, benefit: &str, fact: &str) -> bool {
        fact == AS_OF || self.read_by.get(benefit).is_some_and(|r| r.contains(fact))
    }

    fn typical(&self) -> Cand {
        self.vars.iter().map(|v| (v.name.clone(), v.typical.clone())).collect()
    }

    /// A record matching the base: fields named like a fact take its value,
    /// other fields the base's value of a fact of the same type.
    fn element(&self, fields: &[(String, Ty)], base: &Cand, depth: usize) -> Json {
        let mut obj = serde_json::Map::new();
        for (f, t) in fields {
            let same_name = self.vars.iter().find(|v| v.name == *f && v.ty == *t).and_then(|v| base.get(&v.name)).filter(|v| !v.is_null());
            let same_type = || self.vars.iter().filter(|v| v.ty == *t).filter_map(|v| base.get(&v.name)).find(|v| !v.is_null());
            let date_year = || {
                self.vars
                    .iter()
                    .filter(|v| v.ty == Ty::Date)
                    .filter_map(|v| base.get(&v.name))
                    .filter_map(|v| v.as_str().and_then(|s| s.parse::<NaiveDate>().ok()))
                    .next()
                    .unwrap_or(self.typical_date)
                    .year()
            };
            let v = match same_name {
                Some(v) => v.clone(),
                None => match t {
                    Ty::Num(NumKind::Int) if f.contains("year") => Json::from(date_year()),
                    Ty::Record(inner) if depth < 4 => self.element(inner, base, depth + 1),
                    Ty::List(_) => Json::Array(Vec::new()),
                    _ => match same_type() {
                        Some(v) => v.clone(),
                        None => match t {
                            Ty::Bool => Json::Bool(true),
                            Ty::Num(k) => num_json(k, Decimal::ONE),
                            Ty::Date => Json::String(self.typical_date.to_string()),
                            Ty::Duration => Json::String("1 years".into()),
                            Ty::Text => Json::String("x".into()),
                            Ty::Enum(_, vs) => vs.first().map(|v| Json::String(v.clone())).unwrap_or(Json::Null),
                            _ => Json::Null,
                        },
                    },
                },
            };
            obj.insert(f.clone(), v);
        }
        Json::Object(obj)
    }

    /// Candidate values of a variable, given the base (lists are built from it).
    fn vals(&self, var: &Var, base: &Cand) -> Vec<Json> {
        let mut out = var.values.clone();
        for t in std::iter::once(&var.ty).chain(var.alt.iter()) {
            match t {
                Ty::List(elem) => {
                    let mut lists: Vec<Json> = vec![Json::Array(Vec::new())];
                    match &**elem {
                        Ty::Record(fields) => {
                            let e = self.element(fields, base, 0);
                            let mut counts: BTreeSet<usize> = [1usize].into_iter().collect();
                            for k in &var.konsts {
                                if let K::Num(NumKind::Int, c) = k {
                                    if let Ok(c) = usize::try_from(*c) {
                                        if (2..=12).contains(&c) {
                                            counts.extend([c - 1, c, c + 1]);
                                        }
                                    }
                                }
                            }
                            for c in &counts {
                                lists.push(Json::Array(vec![e.clone(); *c]));
                            }
                            let Json::Object(obj) = &e else { continue };
                            let mut variants: Vec<Json> = Vec::new();
                            for (f, ft) in fields {
                                let alts: Vec<Json> = match ft {
                                    Ty::Enum(_, vs) => vs.iter().map(|v| Json::String(v.clone())).collect(),
                                    Ty::Text => vec![Json::String("y".into())],
                                    Ty::Bool => vec![Json::Bool(false), Json::Bool(true)],
                                    Ty::Num(NumKind::Int) if f.contains("year") => obj
                                        .get(f)
                                        .and_then(Json::as_i64)
                                        .map(|y| vec![Json::from(y.saturating_sub(1)), Json::from(y.saturating_add(1))])
                                        .unwrap_or_default(),
                                    _ => Vec::new(),
                                };
                                for a in alts {
                                    if obj.get(f) != Some(&a) {
                                        let mut x = obj.clone();
                                        x.insert(f.clone(), a);
                                        variants.push(Json::Object(x));
                                    }
                                }
                            }
                            // Each element altered in one field, singly and
                            // in the counts the policy compares against.
                            for x in variants {
                                for c in &counts {
                                    lists.push(Json::Array(vec![x.clone(); *c]));
                                }
                            }
                        }
                        other => {
                            let (vs, _) = self.values_for(other, &[], &var.konsts, true, false, false, false);
                            lists.extend(vs.into_iter().take(8).map(|v| Json::Array(vec![v])));
                        }
                    }
                    out.extend(lists);
                }
                Ty::Record(fields) => out.push(self.element(fields, base, 0)),
                _ => {}
            }
        }
        let mut seen = HashSet::new();
        out.retain(|v| seen.insert(v.to_string()));
        out
    }

    /// Values near a change's constants, for the variable.
    fn near(&self, var: &Var, konsts: &BTreeSet<K>) -> Vec<Json> {
        if konsts.is_empty() || (var.name == AS_OF && !konsts.iter().any(|k| matches!(k, K::Date(_)))) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for t in std::iter::once(&var.ty).chain(var.alt.iter()) {
            out.extend(self.values_for(t, &[], konsts, false, false, false, false).0);
        }
        // Only values the version(s) would consider at all.
        out.retain(|v| var.values.contains(v));
        out
    }

    // -------------------------------------------------------------- evaluation

    fn facts_for(plan: &Plan, cand: &Cand) -> Result<Facts, String> {
        let obj: serde_json::Map<String, Json> = cand
            .iter()
            .filter(|(k, _)| plan.input_slots.contains_key(k.as_str()) || plan.external_slots.contains_key(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        plan.facts_from_json(&Json::Object(obj)).map_err(|e| e.to_string())
    }

    fn reference_for(&self, plan: &Plan, cand: &Cand) -> Option<NaiveDate> {
        if plan.application_date.is_some() {
            return None;
        }
        let date = |k: &str| cand.get(k).and_then(Json::as_str).and_then(|s| s.parse::<NaiveDate>().ok());
        Some(date(AS_OF).or_else(|| date("application_date")).unwrap_or(self.typical_date))
    }

    /// One version's decision on the given benefits (those it has).
    fn decide_side(&self, plan: &Plan, cand: &Cand, benefits: &[String]) -> Side {
        let facts = Self::facts_for(plan, cand)?;
        let wanted: Vec<String> = benefits.iter().filter(|b| plan.policy().benefits.iter().any(|x| *x.id == **b)).cloned().collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let opts = DecideOptions { reference_date: self.reference_for(plan, cand), benefits: wanted, trace: TraceLevel::Off };
        let d = plan.decide(&facts, &opts).map_err(|e| e.to_string())?;
        Ok(d.benefits.iter().map(|b| (b.id.to_string(), Outcome::from_decision(b))).collect())
    }

    /// Both decisions on a candidate, for the given benefits; `None` once
    /// the budget is spent.
    fn eval(&mut self, cand: &Cand, benefits: &[String]) -> Option<Rc<Pair>> {
        let key = format!("{}\u{1f}{}", benefits.join("\u{1e}"), serde_json::to_string(cand).unwrap_or_default());
        if let Some(p) = self.cache.get(&key) {
            return Some(p.clone());
        }
        if self.decisions >= MAX_DECISIONS {
            return None;
        }
        self.decisions += 1;
        let pair = Rc::new(Pair { old: self.decide_side(self.old, cand, benefits), new: self.decide_side(self.new, cand, benefits) });
        if self.cache.len() >= 20_000 {
            self.cache.clear();
        }
        self.cache.insert(key, pair.clone());
        Some(pair)
    }

    fn score(&mut self, cand: &Cand, benefit: &str) -> Option<Score> {
        let pair = self.eval(cand, &[benefit.to_string()])?;
        let mut s: Score = (0, 0, Decimal::ZERO);
        for side in [&pair.old, &pair.new] {
            match side {
                Err(_) => s.0 -= 1,
                Ok(list) => {
                    if let Some((_, o)) = list.iter().find(|(id, _)| id == benefit) {
                        // Undetermined: no condition failed, something is unknown.
                        s.0 += match o.status {
                            Status::Eligible => 3,
                            Status::Undetermined => 2,
                            Status::Ineligible => 1,
                            Status::NotApplicable => 0,
                        };
                        s.1 -= i64::try_from(o.failed.len() + o.missing.len()).unwrap_or(i64::MAX);
                        s.2 = s.2.checked_add(o.amount_high()).unwrap_or(s.2);
                    }
                }
            }
        }
        Some(s)
    }

    /// The base applicant for a benefit: coordinate ascent from the typical
    /// applicant towards eligibility in both versions, then a larger amount.
    fn base_for(&mut self, benefit: &str) -> Cand {
        if let Some(b) = self.bases.get(benefit) {
            return b.clone();
        }
        let base = self.ascend(benefit, self.typical(), &BTreeSet::new());
        self.bases.insert(benefit.to_string(), base.clone());
        base
    }

    /// The base for a benefit with some facts fixed to the given constants
    /// (a changed table row's keys, applied together), the other facts
    /// ascended again; `None` when no fact can take the constants.
    fn pinned_base(&mut self, benefit: &str, pins: &BTreeSet<K>, focus: &BTreeSet<String>) -> Option<Cand> {
        let key = format!("{benefit}\u{1f}{pins:?}");
        if let Some(b) = self.bases.get(&key) {
            return Some(b.clone());
        }
        let mut start = self.base_for(benefit);
        let mut pinned: BTreeSet<String> = BTreeSet::new();
        for k in pins {
            let fits = |v: &Var| match (k, &v.ty) {
                (K::Variant(e, _), Ty::Enum(name, _)) => e == name,
                (K::Text(_), Ty::Text) | (K::Date(_), Ty::Date) => true,
                (K::Num(a, _), Ty::Num(b)) => {
                    a == b || matches!((a, b), (NumKind::Int | NumKind::Decimal, NumKind::Int | NumKind::Decimal))
                }
                _ => false,
            };
            let candidates = self.vars.iter().filter(|v| !pinned.contains(&v.name) && v.name != AS_OF && fits(v));
            let Some(var) = candidates.clone().find(|v| focus.contains(&v.name)).or_else(|| candidates.clone().next()) else { continue };
            let value = match (k, &var.ty) {
                (K::Variant(_, v), _) | (K::Text(v), _) => Json::String(v.clone()),
                (K::Date(d), _) => Json::String(d.to_string()),
                (K::Num(_, d), Ty::Num(kind)) => num_json(kind, *d),
                _ => continue,
            };
            let name = var.name.clone();
            start.insert(name.clone(), value);
            pinned.insert(name);
        }
        if pinned.is_empty() {
            return None;
        }
        let base = self.ascend(benefit, start, &pinned);
        self.bases.insert(key, base.clone());
        Some(base)
    }

    /// Coordinate ascent from `start` towards the benefit's eligibility in
    /// both versions, then a larger amount; `pinned` facts are not moved.
    fn ascend(&mut self, benefit: &str, start: Cand, pinned: &BTreeSet<String>) -> Cand {
        let mut base = start;
        let Some(mut best) = self.score(&base, benefit) else { return base };
        let mut spent = 0usize;
        'passes: for _ in 0..ASCENT_PASSES {
            let mut improved = false;
            for vi in 0..self.vars.len() {
                let Some(var) = self.vars.get(vi).cloned() else { continue };
                if pinned.contains(&var.name) || !self.reads(benefit, &var.name) {
                    continue;
                }
                // Eligible in every version with nothing failing: only the
                // amount can still grow.
                if let Some((amount_facts, versions)) = self.amount_reads.get(benefit) {
                    if best.0 == 3 * versions && best.1 == 0 && !amount_facts.contains(&var.name) {
                        continue;
                    }
                }
                // An absent fact can hide a failing condition (an
                // ineligible decision lists no missing facts): the ascent
                // never picks one.
                let values: Vec<Json> = self.vals(&var, &base).into_iter().filter(|v| !v.is_null()).collect();
                for v in spread(values, ASCENT_VALUES) {
                    if base.get(&var.name) == Some(&v) {
                        continue;
                    }
                    if spent >= ASCENT_DECISIONS {
                        break 'passes;
                    }
                    spent += 1;
                    let mut c = base.clone();
                    c.insert(var.name.clone(), v);
                    let Some(s) = self.score(&c, benefit) else { break 'passes };
                    if s > best {
                        best = s;
                        base = c;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
        base
    }

    fn differs(pair: &Pair, benefits: &[String], rejections: bool) -> bool {
        match (&pair.old, &pair.new) {
            (Err(_), Err(_)) => false,
            (Err(_), Ok(_)) | (Ok(_), Err(_)) => rejections,
            (Ok(o), Ok(n)) => benefits.iter().any(|b| {
                let x = o.iter().find(|(id, _)| id == b).map(|x| &x.1);
                let y = n.iter().find(|(id, _)| id == b).map(|x| &x.1);
                match (x, y) {
                    (Some(a), Some(c)) => !a.same(c),
                    (None, None) => false,
                    _ => true,
                }
            }),
        }
    }

    /// Whether the changed expression itself comes out differently.
    fn probe_differs(&self, probe: &Probe, cand: &Cand, pair: &Pair) -> bool {
        let date = |side: &Side| side.as_ref().ok().and_then(|l| l.iter().find(|(id, _)| *id == probe.benefit)).and_then(|(_, o)| o.date);
        let kind = probe.old.as_ref().or(probe.new.as_ref()).and_then(|p| p.condition);
        let value = |plan: &Plan, pe: Option<&ProbeExpr>, date: Option<NaiveDate>| -> Option<String> {
            let Some(pe) = pe else {
                // An absent condition never decides against.
                return kind.map(|_| "for".to_string());
            };
            let facts = Self::facts_for(plan, cand).ok()?;
            let mut scratch = crate::interp::Scratch::default();
            let mut ctx = Ctx::new(plan, &facts, date, None, &mut scratch);
            let v = ctx.eval(&pe.expr).ok()?;
            match (pe.condition, v) {
                (Some(k), Value::Bool(b)) => {
                    let against = if k == ConditionKind::Exclude { b } else { !b };
                    Some(if against { "against" } else { "for" }.to_string())
                }
                (_, Value::Num(d)) => Some(d.normalize().to_string()),
                (_, v) => Some(format!("{v:?}")),
            }
        };
        value(self.old, probe.old.as_ref(), date(&pair.old)) != value(self.new, probe.new.as_ref(), date(&pair.new))
    }

    fn witness(&self, cand: &Cand, base: &Cand, pair: &Pair) -> Witness {
        let (o, n) = (self.old.policy(), self.new.policy());
        let facts: BTreeMap<String, Json> = cand.iter().filter(|(k, _)| k.as_str() != AS_OF).map(|(k, v)| (k.clone(), v.clone())).collect();
        let varied = cand
            .iter()
            .filter(|(k, v)| base.get(*k) != Some(*v))
            .map(|(k, _)| if k == AS_OF { "as of".to_string() } else { k.clone() })
            .collect();
        let undated = [o, n].iter().any(|p| p.benefits.iter().any(|b| b.dated_by.is_none()));
        let as_of = if undated { self.reference_for(self.new, cand).or_else(|| self.reference_for(self.old, cand)) } else { None };
        let find = |side: &Side, id: &str| side.as_ref().ok().and_then(|l| l.iter().find(|(x, _)| x == id)).map(|x| x.1.clone());
        let benefits = self
            .order
            .iter()
            .map(|id| {
                let (a, b) = (find(&pair.old, id), find(&pair.new, id));
                let differs = match (&a, &b) {
                    (Some(x), Some(y)) => !x.same(y),
                    (None, None) => false,
                    _ => true,
                };
                BenefitPair { benefit: id.clone(), old: a, new: b, differs }
            })
            .collect();
        Witness {
            facts,
            varied,
            as_of,
            old_rejected: pair.old.as_ref().err().cloned(),
            new_rejected: pair.new.as_ref().err().cloned(),
            benefits,
        }
    }

    fn attempt(
        &mut self,
        h: &Hints,
        benefits: &[String],
        base: &Cand,
        cand: Cand,
        seen: &mut HashSet<String>,
        explored: &mut usize,
    ) -> Step {
        if *explored >= MAX_CANDIDATES_PER_CHANGE {
            return Step::Stop;
        }
        let key = serde_json::to_string(&cand).unwrap_or_default();
        if !seen.insert(key) {
            return Step::Continue;
        }
        *explored += 1;
        let Some(pair) = self.eval(&cand, benefits) else { return Step::Stop };
        if !Self::differs(&pair, benefits, h.rejections) {
            return Step::Continue;
        }
        if let Some(probe) = &h.probe {
            if pair.old.is_ok() && pair.new.is_ok() && !self.probe_differs(probe, &cand, &pair) {
                return Step::Continue;
            }
        }
        // Every benefit, for the side-by-side view.
        let order = self.order.clone();
        let full = self.eval(&cand, &order).unwrap_or(pair);
        Step::Found(Box::new(self.witness(&cand, base, &full)))
    }

    /// For a date fact set to `v`: every date of the base moved by the same
    /// number of days, so that relations between dates (a training within
    /// 12 months of hiring) still hold.
    fn shift_dates(&self, base: &Cand, var: &Var, v: &Json) -> Option<Cand> {
        if var.ty != Ty::Date {
            return None;
        }
        let date = |j: &Json| j.as_str().and_then(|s| s.parse::<NaiveDate>().ok());
        let days = (date(v)? - date(base.get(&var.name)?)?).num_days();
        let mut c = base.clone();
        let mut moved = 0;
        for w in self.vars.iter().filter(|w| w.ty == Ty::Date) {
            if let Some(d) = base.get(&w.name).and_then(date).and_then(|d| shift(d, days)) {
                c.insert(w.name.clone(), Json::String(d.to_string()));
                moved += 1;
            }
        }
        (moved > 1).then_some(c)
    }

    /// Searches for a witness of one change; returns it and the number of
    /// candidates explored.
    fn find(&mut self, h: &Hints) -> (Option<Witness>, usize) {
        let benefits: Vec<String> = if h.benefits.is_empty() { self.common.clone() } else { h.benefits.clone() };
        // Only facts the change or the benefits read can alter their decisions.
        let vars: Vec<Var> =
            self.vars.iter().filter(|v| h.focus.contains(&v.name) || benefits.iter().any(|b| self.reads(b, &v.name))).cloned().collect();
        let (focus, others): (Vec<&Var>, Vec<&Var>) = vars.iter().partition(|v| h.focus.contains(&v.name));
        let mut seen = HashSet::new();
        let mut explored = 0usize;
        macro_rules! attempt {
            ($base:expr, $cand:expr) => {
                match self.attempt(h, &benefits, $base, $cand, &mut seen, &mut explored) {
                    Step::Found(w) => return (Some(*w), explored),
                    Step::Stop => return (None, explored),
                    Step::Continue => {}
                }
            };
        }
        // 1. The bases, built one benefit at a time (a changed row's keys
        // applied together first); on each, the facts the change reads set
        // just around its constants (so that a witness sits on the
        // threshold when one does), then the base itself.
        let mut bases: Vec<Cand> = Vec::new();
        let mut built: Vec<(Cand, Cand)> = Vec::new();
        for b in &benefits {
            let plain = self.base_for(b);
            for pins in &h.pins {
                if let Some(base) = self.pinned_base(b, pins, &h.focus) {
                    built.push((plain.clone(), base));
                }
            }
            built.push((plain.clone(), plain));
        }
        for (plain, base) in built {
            if bases.contains(&base) {
                continue;
            }
            for var in &focus {
                for v in self.near(var, &h.konsts) {
                    if base.get(&var.name) == Some(&v) {
                        continue;
                    }
                    if let Some(c) = self.shift_dates(&base, var, &v) {
                        attempt!(&plain, c);
                    }
                    let mut c = base.clone();
                    c.insert(var.name.clone(), v);
                    attempt!(&plain, c);
                }
            }
            attempt!(&plain, base.clone());
            bases.push(base);
        }
        // 2. One fact varied: the change's facts first, near its constants first.
        for group in [&focus, &others] {
            for base in &bases {
                for var in group.iter() {
                    let near = self.near(var, &h.konsts);
                    for v in near.into_iter().chain(self.vals(var, base)) {
                        if let Some(c) = self.shift_dates(base, var, &v) {
                            attempt!(base, c);
                        }
                        let mut c = base.clone();
                        c.insert(var.name.clone(), v);
                        attempt!(base, c);
                    }
                }
            }
        }
        // 3. Two facts varied: a focus fact (or any, without one) and any other.
        let firsts: Vec<&Var> = if focus.is_empty() { vars.iter().collect() } else { focus.clone() };
        for base in &bases {
            for a in &firsts {
                let avals = {
                    let mut v = self.near(a, &h.konsts);
                    v.extend(self.vals(a, base));
                    v
                };
                for av in avals {
                    let mut with_a = base.clone();
                    with_a.insert(a.name.clone(), av);
                    for b in vars.iter().filter(|b| b.name != a.name) {
                        for bv in self.vals(b, &with_a) {
                            let mut c = with_a.clone();
                            c.insert(b.name.clone(), bv);
                            attempt!(base, c);
                        }
                    }
                }
            }
        }
        (None, explored)
    }
}

// ------------------------------------------------------------------ cases

fn compare_cases(search: &Search<'_>, cases: &[(String, CaseFile)]) -> (Vec<CaseChange>, usize) {
    let mut out = Vec::new();
    let mut compared = 0;
    for (file, cf) in cases {
        for case in &cf.cases {
            compared += 1;
            let side = |plan: &Plan| -> Side {
                let obj: serde_json::Map<String, Json> = case
                    .facts
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(k, _)| plan.input_slots.contains_key(k.as_str()) || plan.external_slots.contains_key(k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let facts = plan.facts_from_json(&Json::Object(obj)).map_err(|e| e.to_string())?;
                let opts = DecideOptions { reference_date: case.as_of, benefits: Vec::new(), trace: TraceLevel::Off };
                let d = plan.decide(&facts, &opts).map_err(|e| e.to_string())?;
                Ok(d.benefits.iter().map(|b| (b.id.to_string(), Outcome::from_decision(b))).collect())
            };
            let pair = Pair { old: side(search.old), new: side(search.new) };
            let find = |s: &Side, id: &str| s.as_ref().ok().and_then(|l| l.iter().find(|(x, _)| x == id)).map(|x| x.1.clone());
            let benefits: Vec<BenefitPair> = search
                .order
                .iter()
                .filter_map(|id| {
                    let (a, b) = (find(&pair.old, id), find(&pair.new, id));
                    let differs = match (&a, &b) {
                        (Some(x), Some(y)) => !x.same(y),
                        (None, None) => false,
                        _ => pair.old.is_ok() && pair.new.is_ok(),
                    };
                    differs.then(|| BenefitPair { benefit: id.clone(), old: a, new: b, differs })
                })
                .collect();
            let rejected_differs = pair.old.is_err() != pair.new.is_err();
            if !benefits.is_empty() || rejected_differs {
                out.push(CaseChange {
                    file: file.clone(),
                    case: case.name.clone(),
                    old_rejected: pair.old.as_ref().err().cloned(),
                    new_rejected: pair.new.as_ref().err().cloned(),
                    benefits,
                });
            }
        }
    }
    (out, compared)
}

// ------------------------------------------------------------------ for what-if

/// The threshold exploration of one plan, for [`crate::what_if`]: per fact
/// (and [`AS_OF`] for the reference date, when the policy decides by it),
/// the values the diff's search would try, given `base` (the applicant's
/// facts, which lists and records are built from); and per benefit id the
/// facts it reads.
#[allow(clippy::type_complexity)]
pub(crate) fn exploration(plan: &Plan, base: &BTreeMap<String, Json>) -> (Vec<(String, Vec<Json>)>, BTreeMap<String, BTreeSet<String>>) {
    let analysis = analyse(plan.policy());
    let search = Search::new(plan, plan, &analysis, &analysis);
    let vars = search.vars.iter().map(|v| (v.name.clone(), search.vals(v, base))).collect();
    (vars, search.read_by.clone())
}

/// The name [`exploration`] gives the reference date.
pub(crate) const REFERENCE_DATE: &str = AS_OF;
