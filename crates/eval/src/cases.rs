//! Golden cases: the `<policy>.cases.json` format (`docs/cases-format.md`),
//! and running a case against a plan to compare expected and actual outcomes.

use crate::decide::DecideOptions;
use crate::decision::{BenefitDecision, Decision, Status};
use crate::plan::Plan;
use crate::trace::TraceLevel;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A case file.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct CaseFile {
    /// The policy id the cases are for.
    pub policy: String,
    /// The cases.
    pub cases: Vec<Case>,
}

impl CaseFile {
    /// Reads a case file: a key given twice anywhere (a benefit in `expect`,
    /// a fact, a field) is an error naming it and where it is, and each
    /// case's facts are kept as written (exact numbers) for [`run_case`].
    pub fn parse(text: &str) -> Result<CaseFile, String> {
        let exact = crate::facts::json::Json::parse(text).map_err(|e| e.to_string())?;
        let mut file: CaseFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if let Some(crate::facts::json::Json::Array(cases)) = exact.get("cases") {
            for (case, json) in file.cases.iter_mut().zip(cases) {
                case.exact_facts = json.get("facts").cloned();
            }
        }
        Ok(file)
    }
}

/// One golden case.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Case {
    /// Unique name.
    pub name: String,
    /// Why the case exists.
    #[serde(default)]
    pub note: Option<String>,
    /// Reference date.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// Facts (JSON object).
    pub facts: serde_json::Value,
    /// Parameters that take another value for this case only (a reform of
    /// one figure): name → value, read as a fact of the parameter's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
    /// The facts read exactly from the case file's text (numbers from their
    /// digits), when the file was read with [`CaseFile::parse`]; cases run
    /// with these rather than with `facts`, whose fractional numbers
    /// serde_json holds as binary floats.
    #[serde(skip)]
    pub exact_facts: Option<crate::facts::json::Json>,
    /// Expected outcome per benefit id.
    pub expect: BTreeMap<String, Expected>,
}

/// What a case expects of one benefit; absent fields are not compared.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// Status; may be left out only with `or_ineligible`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Exact amount.
    #[serde(default)]
    pub amount: Option<String>,
    /// With `amount`: the case also passes when the benefit is refused
    /// (`ineligible` or `not_applicable`), for a rule set that writes "no
    /// money" as a zero. A zero amount and a refusal are otherwise different
    /// answers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub or_ineligible: bool,
    /// With `amount`: the largest difference accepted (`"0.01"`), for a rule
    /// set that rounds differently from the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<String>,
    /// Amount range `[low, high]`.
    #[serde(default)]
    pub amount_range: Option<[String; 2]>,
    /// Failed condition ids (exact set).
    #[serde(default)]
    pub failed: Option<Vec<String>>,
    /// Missing facts (exact set).
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// Entitlements (exact list).
    #[serde(default)]
    pub entitlements: Option<Vec<String>>,
    /// Documents required (exact list).
    #[serde(default)]
    pub documents: Option<Vec<String>>,
    /// Deadlines by label.
    #[serde(default)]
    pub deadlines: Option<BTreeMap<String, NaiveDate>>,
    /// Outputs by id (those named; others are not compared): a JSON boolean
    /// for a `bool` output, otherwise the value as a string or number
    /// (numbers compare by value, `"2"` matches `2` and `"2.0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<BTreeMap<String, serde_json::Value>>,
}

/// The result of running one case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The decision (with full trace).
    pub decision: Option<Decision>,
    /// Each mismatch: "benefit: expected X, got Y".
    pub mismatches: Vec<String>,
}

impl CaseOutcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Runs one case against a plan.
pub fn run_case(plan: &Plan, case: &Case) -> CaseOutcome {
    let reformed;
    let plan = match &case.parameters {
        Some(p) if !p.is_empty() => match plan.with_parameters(p) {
            Ok(r) => {
                reformed = r;
                &reformed
            }
            Err(e) => return CaseOutcome { decision: None, mismatches: vec![format!("parameters rejected: {e}")] },
        },
        _ => plan,
    };
    let read = match &case.exact_facts {
        Some(exact) => plan.facts_from_exact(exact),
        None => plan.facts_from_json(&case.facts),
    };
    let facts = match read {
        Ok(f) => f,
        Err(e) => return CaseOutcome { decision: None, mismatches: vec![format!("facts rejected: {e}")] },
    };
    let opts = DecideOptions { reference_date: case.as_of, benefits: Vec::new(), trace: TraceLevel::Full };
    let decision = match plan.decide(&facts, &opts) {
        Ok(d) => d,
        Err(e) => return CaseOutcome { decision: None, mismatches: vec![format!("decision failed: {e}")] },
    };
    let mut mismatches = Vec::new();
    for (id, want) in &case.expect {
        match decision.benefits.iter().find(|b| *b.id == **id) {
            Some(got) => compare(id, want, got, &mut mismatches),
            None => mismatches.push(format!("{id}: no such benefit in the decision")),
        }
    }
    CaseOutcome { decision: Some(decision), mismatches }
}

fn compare(id: &str, want: &Expected, got: &BenefitDecision, out: &mut Vec<String>) {
    if want.or_ineligible {
        if want.amount.is_none() {
            out.push(format!("{id}: `or_ineligible` needs an `amount`"));
            return;
        }
        if matches!(got.status, Status::Ineligible | Status::NotApplicable) && want.status.is_none_or(|s| s == got.status) {
            return;
        }
    }
    let Some(status) = want.status.or(want.or_ineligible.then_some(Status::Eligible)) else {
        out.push(format!("{id}: the case gives no `status`"));
        return;
    };
    if status != got.status {
        let why = if !got.failed.is_empty() {
            format!(" (failed: {})", got.failed.iter().map(|f| &*f.id).collect::<Vec<_>>().join(", "))
        } else if !got.missing.is_empty() {
            format!(" (missing: {})", got.missing.join(", "))
        } else if !got.errors.is_empty() {
            format!(" (errors: {})", got.errors.join("; "))
        } else {
            String::new()
        };
        let or = if want.or_ineligible { " (or a refusal)" } else { "" };
        out.push(format!("{id}: expected status {}{or}, got {}{why}", status.as_str(), got.status.as_str()));
    }
    if let Some(a) = &want.amount {
        let tolerance = match want.tolerance.as_deref().map(Decimal::from_str) {
            None => Ok(Decimal::ZERO),
            Some(Ok(t)) if t >= Decimal::ZERO => Ok(t),
            Some(_) => Err(()),
        };
        let Ok(tolerance) = tolerance else {
            out.push(format!("{id}: `tolerance` must be a non-negative number"));
            return;
        };
        let ok = match (Decimal::from_str(a), got.amount) {
            (Ok(w), Some(g)) => w.checked_sub(g).is_some_and(|d| d.abs() <= tolerance),
            _ => false,
        };
        if !ok {
            out.push(format!(
                "{id}: expected amount {a}{}, got {}",
                want.tolerance.as_ref().map(|t| format!(" (± {t})")).unwrap_or_default(),
                got.amount.map(policy_core::value::money_string).unwrap_or_else(|| "none".into())
            ));
        }
    }
    if let Some([lo, hi]) = &want.amount_range {
        let ok = match (&got.amount_range, Decimal::from_str(lo), Decimal::from_str(hi)) {
            (Some(r), Ok(l), Ok(h)) => r.low == l && r.high == h,
            _ => false,
        };
        if !ok {
            let shown = got.amount_range.as_ref().map(|r| format!("{}..{}", r.low, r.high)).unwrap_or_else(|| "none".into());
            out.push(format!("{id}: expected amount range {lo}..{hi}, got {shown}"));
        }
    }
    let set_eq = |w: &[String], g: Vec<String>| {
        let mut w = w.to_vec();
        let mut g = g;
        w.sort();
        g.sort();
        w == g
    };
    if let Some(w) = &want.failed {
        let g: Vec<String> = got.failed.iter().map(|f| f.id.to_string()).collect();
        if !set_eq(w, g.clone()) {
            out.push(format!("{id}: expected failed {w:?}, got {g:?}"));
        }
    }
    if let Some(w) = &want.missing {
        if !set_eq(w, got.missing.iter().map(|m| m.to_string()).collect()) {
            out.push(format!("{id}: expected missing {w:?}, got {:?}", got.missing));
        }
    }
    if let Some(w) = &want.entitlements {
        let g: Vec<String> = got.entitlements.iter().map(|e| e.label.to_string()).collect();
        if *w != g {
            out.push(format!("{id}: expected entitlements {w:?}, got {g:?}"));
        }
    }
    if let Some(w) = &want.documents {
        let g: Vec<String> = got.documents.iter().map(|e| e.label.to_string()).collect();
        if *w != g {
            out.push(format!("{id}: expected documents {w:?}, got {g:?}"));
        }
    }
    if let Some(w) = &want.deadlines {
        let g: BTreeMap<String, NaiveDate> = got.deadlines.iter().map(|d| (d.label.to_string(), d.date)).collect();
        if *w != g {
            out.push(format!("{id}: expected deadlines {w:?}, got {g:?}"));
        }
    }
    if let Some(w) = &want.outputs {
        for (name, value) in w {
            match got.outputs.iter().find(|o| *o.id == **name) {
                Some(o) if output_matches(value, &o.value) => {}
                Some(o) => out.push(format!("{id}: expected output {name} = {}, got {}", shown(value), o.value)),
                None => out.push(format!("{id}: expected output {name} = {}, got none", shown(value))),
            }
        }
    }
}

/// Whether a case's expected output value matches the decision's: booleans
/// exactly, numbers by value, anything else as text.
fn output_matches(want: &serde_json::Value, got: &crate::decision::OutputScalar) -> bool {
    use crate::decision::OutputScalar;
    let text = match want {
        serde_json::Value::Bool(b) => return matches!(got, OutputScalar::Bool(g) if g == b),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return false,
    };
    let OutputScalar::Text(g) = got else { return false };
    match (Decimal::from_str(&text), Decimal::from_str(g)) {
        (Ok(a), Ok(b)) => a == b,
        _ => text == *g,
    }
}

fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
