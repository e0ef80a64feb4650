//! The diff's report: its types and the text rendering.

use super::*;

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
    /// Whether the new version with this change alone taken back decides
    /// the applicant as the old one does (`true`), or only differently from
    /// the new one (`false`: other changes also apply). Absent when the
    /// change could not be taken back alone (not a condition or an amount
    /// step, or the versions declare different names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alone: Option<bool>,
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
    /// Entitlements, documents, deadlines and outputs, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// The benefit's date (not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Failed conditions, by id (compared: golden cases expect them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
    /// Missing facts and errors (compared: golden cases expect them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl Outcome {
    /// A benefit's decision as the diff compares it.
    pub fn from_decision(b: &BenefitDecision) -> Self {
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
            .chain(b.outputs.iter().map(|o| format!("output: {} = {}", o.id, o.value)))
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

    /// Whether two outcomes are the same decision: status, amount, payee,
    /// period, outcomes (entitlements, documents, deadlines), failed
    /// condition ids and missing facts — everything a golden case can
    /// expect. Only the benefit's date is not compared.
    pub fn same(&self, other: &Outcome) -> bool {
        self.status == other.status
            && self.amount == other.amount
            && self.payee == other.payee
            && self.period == other.period
            && self.outcomes == other.outcomes
            && self.failed == other.failed
            && self.missing == other.missing
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

    pub(super) fn amount_high(&self) -> Decimal {
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
        // Changes that could change a decision but showed no witness: the
        // search is not exhaustive, so "equivalent" would claim too much.
        let unshown = self.changes.iter().filter(|c| c.witness.is_none() && c.can_decide).count();
        if !self.equivalent() {
            out.push_str("not equivalent\n");
        } else if unshown == 0 {
            out.push_str("equivalent: no applicant found whose decision differs\n");
        } else {
            out.push_str(&format!(
                "no applicant found whose decision differs, but the search is not exhaustive: {unshown} change{} that could alter a decision {} no witness{}\n",
                plural(unshown),
                if unshown == 1 { "has" } else { "have" },
                if self.cases_compared == 0 { " (--cases DIR decides golden cases with both versions)" } else { "" }
            ));
        }
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

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn show_side(o: Option<&Outcome>) -> String {
    o.map(Outcome::summary).unwrap_or_else(|| "—".into())
}

/// For a pair whose summaries agree, the fields that differ.
pub(super) fn extra_differences(b: &BenefitPair) -> Vec<String> {
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
    if o.summary() == n.summary() {
        // The summary shows failed conditions, or else missing facts.
        for x in o.missing.iter().filter(|x| !n.missing.contains(x)) {
            out.push(format!("- missing: {x}"));
        }
        for x in n.missing.iter().filter(|x| !o.missing.contains(x)) {
            out.push(format!("+ missing: {x}"));
        }
    }
    for x in o.outcomes.iter().filter(|x| !n.outcomes.contains(x)) {
        out.push(format!("- {x}"));
    }
    for x in n.outcomes.iter().filter(|x| !o.outcomes.contains(x)) {
        out.push(format!("+ {x}"));
    }
    out
}

impl Witness {
    /// A witness from a real applicant (`policy impact`'s examples): the
    /// facts given and both versions' decisions of them (`Err`: why a
    /// version refused the facts). Benefits in the new version's order,
    /// then those only the old one has.
    pub fn from_decisions(
        facts: BTreeMap<String, Json>,
        as_of: Option<NaiveDate>,
        old: Result<&crate::decision::Decision, &str>,
        new: Result<&crate::decision::Decision, &str>,
    ) -> Witness {
        let outcomes = |d: Result<&crate::decision::Decision, &str>| -> Vec<(String, Outcome)> {
            d.map(|d| d.benefits.iter().map(|b| (b.id.to_string(), Outcome::from_decision(b))).collect()).unwrap_or_default()
        };
        let (o, n) = (outcomes(old), outcomes(new));
        let mut ids: Vec<String> = n.iter().map(|x| x.0.clone()).collect();
        ids.extend(o.iter().map(|x| x.0.clone()).filter(|id| !n.iter().any(|x| x.0 == *id)));
        let find = |side: &[(String, Outcome)], id: &str| side.iter().find(|x| x.0 == id).map(|x| x.1.clone());
        let benefits = ids
            .into_iter()
            .map(|id| {
                let (old, new) = (find(&o, &id), find(&n, &id));
                let differs = match (&old, &new) {
                    (Some(a), Some(b)) => !a.same(b),
                    (None, None) => false,
                    _ => true,
                };
                BenefitPair { benefit: id, old, new, differs }
            })
            .collect();
        Witness {
            facts,
            varied: Vec::new(),
            as_of,
            old_rejected: old.err().map(str::to_string),
            new_rejected: new.err().map(str::to_string),
            benefits,
            alone: None,
        }
    }

    /// The witness for people, as `policy diff` shows it: the facts, then
    /// each benefit's outcome in both versions side by side (`*` marks a
    /// difference); every line indented by five spaces.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        render_witness_body(&mut out, self);
        out
    }
}

pub(super) fn render_witness(out: &mut String, w: &Witness, explored: usize) {
    out.push_str(&format!("   applicant decided differently (found after {explored} candidate{}):\n", plural(explored)));
    render_witness_body(out, w);
}

fn render_witness_body(out: &mut String, w: &Witness) {
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
    if w.alone == Some(false) {
        out.push_str("     (undoing this change alone alters this decision but does not remove the difference: other changes apply too)\n");
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

pub(super) fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}
