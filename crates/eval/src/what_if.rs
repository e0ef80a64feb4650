//! "What would make this eligible?": for each benefit an applicant does not
//! get, sets of fact changes that make it eligible, each verified by
//! deciding it, with the amount it would then get; and the facts still
//! needed, ranked by how many benefits they decide.
//!
//! The values tried are those of `policy diff`'s threshold exploration
//! ([`crate::diff`]): each constant a fact is compared against (directly,
//! through lets, parameters and table rows), one step either side, the
//! declared bounds, every enum variant and every date the policy decides by.
//!
//! - **One change.** Every value of every fact the benefit reads is tried
//!   alone; of those that make it eligible, each fact keeps the value
//!   nearest the applicant's (the nearest threshold, the nearest day inside
//!   the window; for a fact not given, the first in ascending order).
//! - **Several changes.** When no single change is enough (a benefit that
//!   needs three missing facts, an applicant failing two conditions), a
//!   greedy ascent makes at each step the change that brings the benefit
//!   closest (status, then fewer failed conditions and missing facts, then
//!   the smaller change), or, when no single change helps, the best pair
//!   of changes, until it is eligible or [`MAX_CHANGES`] facts changed; the
//!   set found is then pruned so that no change in it can be dropped. It is
//!   minimal in that sense, not proven the smallest.
//!
//! Every search is bounded: at most [`MAX_DECISIONS`] decisions per benefit.

use crate::decide::DecideOptions;
use crate::decision::Status;
use crate::error::EvalError;
use crate::plan::Plan;
use crate::trace::TraceLevel;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// Most decisions one benefit's search makes.
pub const MAX_DECISIONS: usize = 5_000;
/// Most facts changed in one option.
pub const MAX_CHANGES: usize = 6;
/// Most one-change options listed per benefit.
pub const MAX_OPTIONS: usize = 8;

/// The answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WhatIf {
    /// Per benefit not eligible now, in declaration order.
    pub benefits: Vec<BenefitWhatIf>,
    /// Facts not given that some benefit needs, the one deciding most
    /// benefits first.
    pub needed: Vec<NeededFact>,
    /// Decisions made to find all this.
    pub decisions: usize,
}

/// What would make one benefit eligible.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenefitWhatIf {
    /// Benefit id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// Its status now.
    pub status: Status,
    /// Sets of changes, fewest changes first; empty when none was found.
    pub options: Vec<Option_>,
}

/// One set of changes and what it gives.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Option_ {
    /// The changes, by fact name.
    pub changes: Vec<Change>,
    /// The amount the benefit would then be (money string), when exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// The range, when an authority sets the amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_range: Option<[String; 2]>,
}

/// One fact changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// The fact (`@as_of`: the reference date).
    pub fact: String,
    /// Its value now (`null`: not given).
    pub from: Json,
    /// The value that qualifies.
    pub to: Json,
}

/// A fact still needed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NeededFact {
    /// The fact.
    pub fact: String,
    /// The benefits that cannot be decided without it.
    pub benefits: Vec<String>,
}

/// The name of the reference date in [`Change::fact`].
pub const REFERENCE_DATE: &str = crate::diff::REFERENCE_DATE;

/// What would make each benefit that `opts` selects eligible, for the
/// applicant `facts` (a JSON object, read as [`Plan::facts_from_json`]
/// reads it).
pub fn what_if(plan: &Plan, facts: &Json, opts: &DecideOptions) -> Result<WhatIf, EvalError> {
    let checked = plan.facts_from_json(facts)?;
    let opts = DecideOptions { trace: TraceLevel::Off, ..opts.clone() };
    let now = plan.decide(&checked, &opts)?;
    let mut needed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &now.benefits {
        for m in &b.missing {
            needed.entry(m.to_string()).or_default().push(b.id.to_string());
        }
    }
    let mut needed: Vec<NeededFact> = needed.into_iter().map(|(fact, benefits)| NeededFact { fact, benefits }).collect();
    needed.sort_by(|a, b| b.benefits.len().cmp(&a.benefits.len()).then_with(|| a.fact.cmp(&b.fact)));

    let base: BTreeMap<String, Json> = match facts {
        Json::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => BTreeMap::new(),
    };
    let (vars, read_by) = crate::diff::exploration(plan, &base);
    let mut out = WhatIf { benefits: Vec::new(), needed, decisions: 1 };
    for b in now.benefits.iter().filter(|b| b.status != Status::Eligible) {
        let mut search = Search { plan, benefit: b.id.to_string(), decisions: 0 };
        let reads = read_by.get(&*b.id).cloned().unwrap_or_default();
        let vars: Vec<&(String, Vec<Json>)> = vars.iter().filter(|(name, _)| reads.contains(name) || name == REFERENCE_DATE).collect();
        let start = Cand { facts: base.clone(), as_of: opts.reference_date };
        let options = search.options(&start, &vars);
        out.decisions += search.decisions;
        out.benefits.push(BenefitWhatIf { id: b.id.to_string(), label: b.label.to_string(), status: b.status, options });
    }
    Ok(out)
}

/// A candidate applicant.
#[derive(Debug, Clone, PartialEq)]
struct Cand {
    facts: BTreeMap<String, Json>,
    as_of: Option<NaiveDate>,
}

impl Cand {
    fn get(&self, fact: &str) -> Json {
        if fact == REFERENCE_DATE {
            return self.as_of.map(|d| Json::String(d.to_string())).unwrap_or(Json::Null);
        }
        self.facts.get(fact).cloned().unwrap_or(Json::Null)
    }

    fn with(&self, fact: &str, value: &Json) -> Option<Cand> {
        let mut c = self.clone();
        if fact == REFERENCE_DATE {
            c.as_of = Some(value.as_str()?.parse().ok()?);
        } else if value.is_null() {
            c.facts.remove(fact);
        } else {
            c.facts.insert(fact.to_string(), value.clone());
        }
        Some(c)
    }
}

/// How close a candidate is: status rank, then fewer failed and missing.
type Score = (u8, i64);

/// A step of the ascent: the score it reaches, its distance from the
/// applicant, and the facts it sets.
type Move = (Score, Decimal, Vec<(String, Json)>);

/// What one decision of the benefit says.
struct Outcome {
    score: Score,
    amount: Option<String>,
    amount_range: Option<[String; 2]>,
}

struct Search<'a> {
    plan: &'a Plan,
    benefit: String,
    decisions: usize,
}

impl Search<'_> {
    /// Decides the benefit for a candidate; `None` when the facts are
    /// refused or the budget is spent.
    fn decide(&mut self, c: &Cand) -> Option<Outcome> {
        if self.decisions >= MAX_DECISIONS {
            return None;
        }
        self.decisions += 1;
        let facts = self.plan.facts_from_json(&Json::Object(c.facts.clone().into_iter().collect())).ok()?;
        let opts = DecideOptions { reference_date: c.as_of, benefits: vec![self.benefit.clone()], trace: TraceLevel::Off };
        let d = self.plan.decide(&facts, &opts).ok()?;
        let b = d.benefits.first()?;
        let rank = match b.status {
            Status::Eligible => 3,
            Status::Undetermined => 2,
            Status::Ineligible => 1,
            Status::NotApplicable => 0,
        };
        let penalty = i64::try_from(b.failed.len() + b.missing.len() + b.errors.len()).unwrap_or(i64::MAX);
        Some(Outcome {
            score: (rank, -penalty),
            amount: b.amount.map(policy_core::value::money_string),
            amount_range: b
                .amount_range
                .as_ref()
                .map(|r| [policy_core::value::money_string(r.low), policy_core::value::money_string(r.high)]),
        })
    }

    fn options(&mut self, start: &Cand, vars: &[&(String, Vec<Json>)]) -> Vec<Option_> {
        // One change: per fact, the qualifying value nearest the applicant's.
        let mut singles: Vec<(Decimal, Option_)> = Vec::new();
        for (fact, values) in vars {
            let from = start.get(fact);
            let mut best: Option<(Decimal, Json, Outcome)> = None;
            for v in values.iter().filter(|v| **v != from) {
                let Some(c) = start.with(fact, v) else { continue };
                let Some(o) = self.decide(&c) else { continue };
                if o.score.0 == 3 {
                    let d = distance(&from, v);
                    if best.as_ref().is_none_or(|(bd, _, _)| d < *bd) {
                        best = Some((d, v.clone(), o));
                    }
                }
            }
            if let Some((d, to, o)) = best {
                let option =
                    Option_ { changes: vec![Change { fact: fact.to_string(), from, to }], amount: o.amount, amount_range: o.amount_range };
                singles.push((d, option));
            }
        }
        if !singles.is_empty() {
            singles.sort_by(|a, b| {
                a.0.cmp(&b.0).then_with(|| a.1.changes.first().map(|c| &c.fact).cmp(&b.1.changes.first().map(|c| &c.fact)))
            });
            return singles.into_iter().take(MAX_OPTIONS).map(|(_, o)| o).collect();
        }
        // Several: greedy ascent, then prune.
        let Some(now) = self.decide(start) else { return Vec::new() };
        let mut cur = start.clone();
        let mut score = now.score;
        let mut changed: BTreeSet<String> = BTreeSet::new();
        while changed.len() < MAX_CHANGES && score.0 < 3 {
            // The best single change (to any fact, one changed before too)…
            let mut best: Option<Move> = None;
            for (fact, values) in vars {
                let from = cur.get(fact);
                for v in values.iter().filter(|v| **v != from) {
                    let Some(c) = cur.with(fact, v) else { continue };
                    let Some(o) = self.decide(&c) else { continue };
                    let d = distance(&start.get(fact), v);
                    if improves(&best, score, o.score, d) {
                        best = Some((o.score, d, vec![(fact.to_string(), v.clone())]));
                    }
                }
            }
            // …or, when none helps, the best pair: a value that only counts
            // together with another (a number that passes once the date that
            // gates it is given).
            if best.is_none() {
                for (i, (fa, va)) in vars.iter().enumerate() {
                    for (fb, vb) in vars.iter().skip(i + 1) {
                        for a in va.iter().filter(|a| **a != cur.get(fa)) {
                            for b in vb.iter().filter(|b| **b != cur.get(fb)) {
                                let Some(c) = cur.with(fa, a).and_then(|c| c.with(fb, b)) else { continue };
                                let Some(o) = self.decide(&c) else { continue };
                                let d = distance(&start.get(fa), a).checked_add(distance(&start.get(fb), b)).unwrap_or(Decimal::MAX);
                                if improves(&best, score, o.score, d) {
                                    best = Some((o.score, d, vec![(fa.to_string(), a.clone()), (fb.to_string(), b.clone())]));
                                }
                            }
                        }
                    }
                }
            }
            let Some((s, _, moves)) = best else { break };
            for (fact, v) in moves {
                let Some(next) = cur.with(&fact, &v) else { break };
                cur = next;
                changed.insert(fact);
            }
            score = s;
        }
        if score.0 < 3 {
            return Vec::new();
        }
        // Drop every change the benefit stays eligible without.
        for fact in changed.clone() {
            let Some(without) = cur.with(&fact, &start.get(&fact)) else { continue };
            if self.decide(&without).is_some_and(|o| o.score.0 == 3) {
                cur = without;
                changed.remove(&fact);
            }
        }
        let Some(last) = self.decide(&cur) else { return Vec::new() };
        if last.score.0 < 3 {
            return Vec::new();
        }
        let changes = changed.iter().map(|f| Change { fact: f.clone(), from: start.get(f), to: cur.get(f) }).collect();
        vec![Option_ { changes, amount: last.amount, amount_range: last.amount_range }]
    }
}

/// Whether a move to `score` at distance `d` beats the best so far (and
/// the candidate it starts from).
fn improves(best: &Option<Move>, now: Score, score: Score, d: Decimal) -> bool {
    match best {
        None => score > now,
        Some((bs, bd, _)) => score > *bs || (score == *bs && d < *bd),
    }
}

/// How far `to` is from `from`: numeric difference (percent strings as
/// numbers), days between dates, 0 for a fact not given or not a number.
fn distance(from: &Json, to: &Json) -> Decimal {
    let num = |j: &Json| -> Option<Decimal> {
        match j {
            Json::Number(n) => Decimal::from_str(&n.to_string()).ok(),
            Json::String(s) => {
                let t = s.trim();
                match t.strip_suffix('%') {
                    Some(p) => Decimal::from_str(p.trim()).ok().and_then(|d| d.checked_div(Decimal::ONE_HUNDRED)),
                    None => Decimal::from_str(t).ok(),
                }
            }
            _ => None,
        }
    };
    let date = |j: &Json| j.as_str().and_then(|s| s.parse::<NaiveDate>().ok());
    if let (Some(a), Some(b)) = (date(from), date(to)) {
        return Decimal::from((b - a).num_days().unsigned_abs());
    }
    if let (Some(a), Some(b)) = (num(from), num(to)) {
        return a.checked_sub(b).map(|d| d.abs()).unwrap_or(Decimal::MAX);
    }
    Decimal::ZERO
}
