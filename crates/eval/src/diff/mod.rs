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

mod candidates;
mod cases;
mod declarations;
mod expr;
mod refs;
mod report;
mod search;
mod structural;
mod undo;

use candidates::*;
use cases::*;
use expr::*;
pub use refs::facts_read_by_benefit;
use refs::*;
pub use report::{BenefitPair, CaseChange, Change, DiffReport, Outcome, Witness};
use structural::*;
use undo::*;

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
            search.undo = if hints.decisive { hints.undo.as_ref().and_then(|u| u.plan(old, new)) } else { None };
            search.partial = None;
            let (witness, explored) = if hints.decisive { search.find(&hints) } else { (None, 0) };
            let witness = witness.or_else(|| search.partial.take());
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

/// What `policy diff`'s threshold exploration knows of one plan, for
/// drawing populations (`policy sample`).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundaries {
    /// The values tried for each fact: for a number, each constant it is
    /// compared against (in conditions, tiers, tables and its bounds) with
    /// the values just below and just above, plus 0, 1 and ten times the
    /// largest; for a date, every date the policy decides by ±1 day (and
    /// the typical date ± the durations and ages the policy compares);
    /// every variant of an enum; lists and records built from the typical
    /// applicant; `null` (absent) last. In name order.
    pub values: Vec<(String, Vec<Json>)>,
    /// Per benefit, the applicant the search starts from: coordinate
    /// ascent towards eligibility, then a larger amount (distinct ones
    /// only; `null` is a fact not given).
    pub bases: Vec<BTreeMap<String, Json>>,
    /// The date the bases are decided at when the policy has no
    /// `application_date` (the middle of its in-force window).
    pub typical_date: NaiveDate,
}

/// The threshold exploration of one plan (see [`Boundaries`]); the
/// reference date is not a fact and is left out.
pub fn boundaries(plan: &Plan) -> Boundaries {
    let analysis = analyse(plan.policy());
    let mut search = Search::new(plan, plan, &analysis, &analysis);
    let typical = search.typical();
    let values = search.vars.iter().filter(|v| v.name != AS_OF).map(|v| (v.name.clone(), search.vals(v, &typical))).collect();
    let mut bases: Vec<BTreeMap<String, Json>> = Vec::new();
    for id in search.order.clone() {
        let base: BTreeMap<String, Json> = search.base_for(&id).into_iter().filter(|(k, _)| k != AS_OF).collect();
        if !bases.contains(&base) {
            bases.push(base);
        }
    }
    Boundaries { values, bases, typical_date: search.typical_date }
}

/// The name [`exploration`] gives the reference date.
pub(crate) const REFERENCE_DATE: &str = AS_OF;
