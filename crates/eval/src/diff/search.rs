//! The witness search: deciding candidates with both versions, the base
//! applicant per benefit (coordinate ascent), and the search per change.

use super::*;

impl<'a> Search<'a> {
    /// Both decisions on a candidate, for the given benefits; `None` once
    /// the budget is spent.
    pub(super) fn eval(&mut self, cand: &Cand, benefits: &[String]) -> Option<Rc<Pair>> {
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

    pub(super) fn score(&mut self, cand: &Cand, benefit: &str) -> Option<Score> {
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
    pub(super) fn base_for(&mut self, benefit: &str) -> Cand {
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
    pub(super) fn pinned_base(&mut self, benefit: &str, pins: &BTreeSet<K>, focus: &BTreeSet<String>) -> Option<Cand> {
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
    pub(super) fn ascend(&mut self, benefit: &str, start: Cand, pinned: &BTreeSet<String>) -> Cand {
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

    pub(super) fn differs(pair: &Pair, benefits: &[String], rejections: bool) -> bool {
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
    pub(super) fn probe_differs(&self, probe: &Probe, cand: &Cand, pair: &Pair) -> bool {
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

    pub(super) fn witness(&self, cand: &Cand, base: &Cand, pair: &Pair) -> Witness {
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
            alone: None,
        }
    }

    pub(super) fn attempt(
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
        // Undoing the change alone must remove the difference; when it only
        // alters the decision, the candidate is kept in case nothing better
        // is found.
        let mut alone = None;
        if let Some(hybrid) = &self.undo {
            let undone: Side = self.decide_side(hybrid, &cand, benefits);
            self.decisions += 1;
            let removes = !Self::differs(&Pair { old: pair.old.clone(), new: undone.clone() }, benefits, h.rejections);
            let matters = Self::differs(&Pair { old: undone, new: pair.new.clone() }, benefits, h.rejections);
            if !matters {
                return Step::Continue;
            }
            if !removes {
                if self.partial.is_none() {
                    let order = self.order.clone();
                    let full = self.eval(&cand, &order).unwrap_or(pair);
                    let mut w = self.witness(&cand, base, &full);
                    w.alone = Some(false);
                    self.partial = Some(w);
                }
                return Step::Continue;
            }
            alone = Some(true);
        }
        // Every benefit, for the side-by-side view.
        let order = self.order.clone();
        let full = self.eval(&cand, &order).unwrap_or(pair);
        let mut w = self.witness(&cand, base, &full);
        w.alone = alone;
        Step::Found(Box::new(w))
    }

    /// For a date fact set to `v`: every date of the base moved by the same
    /// number of days, so that relations between dates (a training within
    /// 12 months of hiring) still hold.
    pub(super) fn shift_dates(&self, base: &Cand, var: &Var, v: &Json) -> Option<Cand> {
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
    pub(super) fn find(&mut self, h: &Hints) -> (Option<Witness>, usize) {
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
