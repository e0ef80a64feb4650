//! Structural changes: the in-force window, benefits, their conditions,
//! amount steps and dated versions (declarations are in `declarations`).

use super::*;

/// What the witness search needs to know about a change.
#[derive(Debug, Clone, Default)]
pub(super) struct Hints {
    /// Whether to search at all.
    pub(super) decisive: bool,
    /// Benefits whose decision the change may alter (empty: all in both).
    pub(super) benefits: Vec<String>,
    /// Facts the change reads, varied first.
    pub(super) focus: BTreeSet<String>,
    /// The change's own constants: values near them are tried first.
    pub(super) konsts: BTreeSet<K>,
    /// The changed expression, evaluated in both versions.
    pub(super) probe: Option<Probe>,
    /// Whether facts refused by one version count as a difference.
    pub(super) rejections: bool,
    /// Constants to give the facts together (a changed table row's keys).
    pub(super) pins: Vec<BTreeSet<K>>,
    /// How to take the change back alone (conditions and amount steps).
    pub(super) undo: Option<Undo>,
}

#[derive(Debug, Clone)]
pub(super) struct Probe {
    pub(super) benefit: String,
    pub(super) old: Option<ProbeExpr>,
    pub(super) new: Option<ProbeExpr>,
}

#[derive(Debug, Clone)]
pub(super) struct ProbeExpr {
    pub(super) expr: CExpr,
    /// A condition (its kind decides what "against" means), or a value.
    pub(super) condition: Option<ConditionKind>,
}

/// A table row as the diff compares it: key (joined), key shown, values
/// shown, every constant in the row, the constants of its keys.
pub(super) type Row = (String, String, Vec<String>, BTreeSet<K>, BTreeSet<K>);

pub(super) struct Differ<'a> {
    pub(super) o: &'a CheckedPolicy,
    pub(super) n: &'a CheckedPolicy,
    pub(super) out: Vec<(String, String, Hints)>,
    /// Per benefit (new version's, then old's): its id and what it reads.
    pub(super) o_refs: Vec<(String, Refs)>,
    pub(super) n_refs: Vec<(String, Refs)>,
    /// What each expression of each benefit reads, both versions.
    pub(super) expr_refs: Vec<Refs>,
}

pub(super) fn structural(o: &CheckedPolicy, n: &CheckedPolicy, oa: &Analysis, na: &Analysis) -> Vec<(String, String, Hints)> {
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

pub(super) fn kind_name(k: ConditionKind) -> &'static str {
    match k {
        ConditionKind::Applies => "applies_when",
        ConditionKind::Require => "require",
        ConditionKind::Exclude => "exclude",
    }
}

pub(super) fn show_bounds(p: &CheckedPolicy, b: Option<&Bounds>, ty: &Type) -> String {
    let show = |x: Option<Decimal>| x.map(|x| show_val(p, &Value::Num(x), ty)).unwrap_or_default();
    match b {
        Some(b) if b.low.is_some() || b.high.is_some() => format!("{} .. {}", show(b.low), show(b.high)).trim().to_string(),
        _ => "unbounded".into(),
    }
}

pub(super) fn window(from: Option<NaiveDate>, until: Option<NaiveDate>) -> String {
    format!("{} .. {}", from.map(|d| d.to_string()).unwrap_or_default(), until.map(|d| d.to_string()).unwrap_or_default())
        .trim()
        .to_string()
}

impl<'a> Differ<'a> {
    pub(super) fn push(&mut self, subject: impl Into<String>, what: impl Into<String>, hints: Hints) {
        self.out.push((subject.into(), what.into(), hints));
    }

    /// Benefit ids (new order, then old-only) whose references match.
    pub(super) fn benefits_where(&self, pred: impl Fn(&Refs) -> bool) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for (id, r) in self.n_refs.iter().chain(self.o_refs.iter()) {
            if pred(r) && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Facts read by those expressions of either version whose references match.
    pub(super) fn focus_where(&self, pred: impl Fn(&Refs) -> bool) -> BTreeSet<String> {
        self.expr_refs.iter().filter(|r| pred(r)).flat_map(|r| r.facts.iter().cloned()).collect()
    }

    /// The facts that date the given benefits (and the reference date).
    pub(super) fn date_focus(&self, ids: &[String]) -> BTreeSet<String> {
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

    pub(super) fn in_force(&mut self) {
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

    pub(super) fn benefits(&mut self) {
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

    pub(super) fn benefit(&mut self, ob: &BenefitDef, nb: &BenefitDef) {
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
        self.rules(&subject, "", &nb.id, None, &ob.base, &nb.base);
        // Outputs, by id.
        let hints_for = |oe: &[&CExpr], ne: &[&CExpr]| {
            let mut r = Refs::of(o, oe.iter().copied());
            r.merge(Refs::of(n, ne.iter().copied()));
            Hints { decisive: true, benefits: vec![nb.id.to_string()], focus: r.facts, konsts: r.konsts, ..Hints::default() }
        };
        for no in &nb.outputs {
            match ob.outputs.iter().find(|x| x.id == no.id) {
                None => self.push(&subject, format!("output {} added: {}", no.id, text(n, &no.expr)), hints_for(&[], &[&no.expr])),
                Some(oo) if canon(o, &oo.expr) != canon(n, &no.expr) => self.push(
                    &subject,
                    format!("output {} changed: {} → {}", no.id, text(o, &oo.expr), text(n, &no.expr)),
                    hints_for(&[&oo.expr], &[&no.expr]),
                ),
                Some(_) => {}
            }
        }
        for oo in ob.outputs.iter().filter(|x| !nb.outputs.iter().any(|y| y.id == x.id)) {
            self.push(&subject, format!("output {} removed: {}", oo.id, text(o, &oo.expr)), hints_for(&[&oo.expr], &[]));
        }
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
                    self.rules(&subject, &prefix, &nb.id, Some(nv.from), &ov.rules, &nv.rules);
                }
                (None, Some(nv)) => self.push(&subject, format!("version added: {}", window(Some(nv.from), nv.until)), just(focus, konsts)),
                (Some(ov), None) => {
                    self.push(&subject, format!("version removed: {}", window(Some(ov.from), ov.until)), just(focus, konsts))
                }
                (None, None) => {}
            }
        }
    }

    pub(super) fn rules(
        &mut self,
        subject: &str,
        prefix: &str,
        benefit: &str,
        version: Option<NaiveDate>,
        orules: &RuleSet,
        nrules: &RuleSet,
    ) {
        let cond_undo = |new_id: Option<&str>, old: Option<&policy_core::checked::ConditionDef>| {
            Some(Undo::Condition { benefit: benefit.to_string(), version, new_id: new_id.map(str::to_string), old: old.cloned() })
        };
        let step_undo = |key: &str, old: Option<(usize, &AmountStepDef)>| {
            Some(Undo::Step { benefit: benefit.to_string(), version, key: key.to_string(), old: old.map(|(i, s)| (i, s.clone())) })
        };
        let old_at = |key: &str| step_keys(&orules.amount).iter().position(|(k, _)| k == key).unwrap_or(0);
        let (o, n) = (self.o, self.n);
        let hints_for = |oe: &[&CExpr], ne: &[&CExpr]| {
            let mut r = Refs::of(o, oe.iter().copied());
            r.merge(Refs::of(n, ne.iter().copied()));
            Hints { decisive: true, benefits: vec![benefit.to_string()], focus: r.facts, konsts: r.konsts, ..Hints::default() }
        };
        // Conditions, by id; one removed and one added alike but for the id
        // is a rename (golden cases name failed conditions by id, so a
        // rename changes decisions: no probe, the outcome itself differs).
        let same_cond = |oc: &policy_core::checked::ConditionDef, nc: &policy_core::checked::ConditionDef| {
            oc.kind == nc.kind && canon(o, &oc.expr) == canon(n, &nc.expr)
        };
        let mut renamed: Vec<(&str, &str)> = Vec::new();
        for nc in nrules.conditions.iter().filter(|c| !orules.conditions.iter().any(|x| x.id == c.id)) {
            let from = orules.conditions.iter().find(|oc| {
                !nrules.conditions.iter().any(|x| x.id == oc.id) && !renamed.iter().any(|(f, _)| *f == &*oc.id) && same_cond(oc, nc)
            });
            if let Some(oc) = from {
                renamed.push((&oc.id, &nc.id));
                let mut h = hints_for(&[&oc.expr], &[&nc.expr]);
                h.undo = cond_undo(Some(&nc.id), Some(oc));
                self.push(
                    subject,
                    format!("{prefix}condition {} renamed {}: {} {}", oc.id, nc.id, kind_name(nc.kind), text(n, &nc.expr)),
                    h,
                );
            }
        }
        for nc in &nrules.conditions {
            if renamed.iter().any(|(_, t)| *t == &*nc.id) {
                continue;
            }
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
                        h.undo = cond_undo(Some(&nc.id), Some(oc));
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
                    h.undo = cond_undo(Some(&nc.id), None);
                    h.probe = Some(Probe {
                        benefit: benefit.into(),
                        old: None,
                        new: Some(ProbeExpr { expr: nc.expr.clone(), condition: Some(nc.kind) }),
                    });
                    self.push(subject, format!("{prefix}condition {} added: {} {}", nc.id, kind_name(nc.kind), text(n, &nc.expr)), h);
                }
            }
        }
        for oc in orules
            .conditions
            .iter()
            .filter(|c| !nrules.conditions.iter().any(|x| x.id == c.id) && !renamed.iter().any(|(f, _)| *f == &*c.id))
        {
            let mut h = hints_for(&[&oc.expr], &[]);
            h.undo = cond_undo(None, Some(oc));
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
                        h.undo = step_undo(key, Some((old_at(key), os)));
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
                    h.undo = step_undo(key, None);
                    add_step_dates(ns, &mut h.konsts);
                    self.push(subject, format!("{prefix}{} added: {}", key_name(key), step_text(n, ns)), h);
                }
            }
        }
        for (key, os) in okeys.iter().filter(|(k, _)| !nkeys.iter().any(|(x, _)| x == k)) {
            let mut h = hints_for(&step_exprs(os), &[]);
            h.undo = step_undo(key, Some((old_at(key), os)));
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
}

pub(super) fn step_keys(steps: &[AmountStepDef]) -> Vec<(String, &AmountStepDef)> {
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

pub(super) fn key_name(key: &str) -> String {
    key.strip_suffix("#1").unwrap_or(key).to_string()
}

pub(super) fn step_canon(p: &CheckedPolicy, s: &AmountStepDef) -> String {
    match s {
        AmountStepDef::Base { expr, .. } => format!("amount {}", canon(p, expr)),
        AmountStepDef::Cap { expr, .. } => format!("cap {}", canon(p, expr)),
        AmountStepDef::Uplift { rate, when, until, .. } => format!("uplift {} when {} until {until:?}", canon(p, rate), canon(p, when)),
        AmountStepDef::Override { when, value, .. } => format!("override when {} => {}", canon(p, when), canon(p, value)),
    }
}

pub(super) fn step_text(p: &CheckedPolicy, s: &AmountStepDef) -> String {
    match s {
        AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => text(p, expr),
        AmountStepDef::Uplift { rate, when, until, .. } => {
            format!("{} when {}{}", text(p, rate), text(p, when), until.map(|u| format!(" until {u}")).unwrap_or_default())
        }
        AmountStepDef::Override { when, value, .. } => format!("when {} => {}", text(p, when), text(p, value)),
    }
}

/// `amount changed: 800 yuan → 900 yuan`, `uplift x changed: until A → B`.
pub(super) fn step_change(o: &CheckedPolicy, os: &AmountStepDef, n: &CheckedPolicy, ns: &AmountStepDef, key: &str) -> String {
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

pub(super) fn add_step_dates(s: &AmountStepDef, out: &mut BTreeSet<K>) {
    if let AmountStepDef::Uplift { until: Some(u), .. } = s {
        out.insert(K::Date(*u));
    }
}
