//! What expressions read: facts, constants, and the policy's dates.

use super::*;

/// A constant some version compares against, plan-independent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum K {
    Num(NumKind, Decimal),
    Date(NaiveDate),
    Text(String),
    Variant(String, String),
    Dur(i64, u8),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum NumKind {
    Int,
    Decimal,
    Money,
    Percent,
    Quantity(String),
}

pub(super) fn num_kind(p: &CheckedPolicy, t: &Type) -> Option<NumKind> {
    Some(match t {
        Type::Int => NumKind::Int,
        Type::Decimal => NumKind::Decimal,
        Type::Money => NumKind::Money,
        Type::Percent => NumKind::Percent,
        Type::Quantity(_) => NumKind::Quantity(p.type_name(t)),
        _ => return None,
    })
}

pub(super) fn konsts_of_value(p: &CheckedPolicy, v: &Value, ty: &Type, out: &mut BTreeSet<K>, depth: usize) {
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
pub(super) struct Refs {
    /// Inputs and externals (fact names).
    pub(super) facts: BTreeSet<String>,
    pub(super) lets: BTreeSet<String>,
    pub(super) params: BTreeSet<String>,
    pub(super) tables: BTreeSet<String>,
    pub(super) konsts: BTreeSet<K>,
    /// `age(…)` or `days_between(…)` is used.
    pub(super) age: bool,
    pub(super) days: bool,
}

impl Refs {
    pub(super) fn of<'e>(p: &CheckedPolicy, exprs: impl IntoIterator<Item = &'e CExpr>) -> Refs {
        let mut r = Refs::default();
        let mut pending: Vec<&CExpr> = exprs.into_iter().collect();
        let mut seen_lets: HashSet<usize> = HashSet::new();
        let mut seen_params: HashSet<usize> = HashSet::new();
        let mut seen_fns: HashSet<usize> = HashSet::new();
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
                    CKind::Apply(f, _) => {
                        if let Some(d) = p.functions.get(f.index()) {
                            if seen_fns.insert(f.index()) {
                                pending.push(&d.body);
                            }
                        }
                    }
                    CKind::Call(policy_core::checked::Builtin::Age, _) => r.age = true,
                    CKind::Call(policy_core::checked::Builtin::DaysBetween, _) => r.days = true,
                    _ => {}
                }
                stack.extend(x.children());
            }
        }
        r
    }

    pub(super) fn merge(&mut self, o: Refs) {
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
pub(super) type Analysis = Vec<(String, Vec<Refs>)>;

pub(super) fn analyse(p: &CheckedPolicy) -> Analysis {
    p.benefits.iter().map(|b| (b.id.to_string(), benefit_exprs(b).into_iter().map(|e| Refs::of(p, [e])).collect())).collect()
}

/// The facts (inputs and externals) each benefit may read, transitively
/// through lets, parameters and functions, benefits in declaration order
/// (`policy schema` says it per benefit).
pub fn facts_read_by_benefit(p: &CheckedPolicy) -> Vec<(String, BTreeSet<String>)> {
    let own: Vec<(String, BTreeSet<String>)> =
        analyse(p).into_iter().map(|(id, refs)| (id, refs.into_iter().flat_map(|r| r.facts).collect())).collect();
    // A benefit that reads another's amount (`amount_of`) reads its facts too.
    let mut out = own.clone();
    for (i, (_, facts)) in out.iter_mut().enumerate() {
        let mut pending: Vec<usize> = p.benefits.get(i).map(|b| b.reads.iter().map(|&d| d as usize).collect()).unwrap_or_default();
        let mut seen = Vec::new();
        while let Some(d) = pending.pop() {
            if seen.contains(&d) {
                continue;
            }
            seen.push(d);
            if let Some((_, theirs)) = own.get(d) {
                facts.extend(theirs.iter().cloned());
            }
            pending.extend(p.benefits.get(d).map(|b| b.reads.iter().map(|&x| x as usize).collect::<Vec<_>>()).unwrap_or_default());
        }
    }
    out
}

/// Every expression of a benefit, its versions included.
pub(super) fn benefit_exprs(b: &BenefitDef) -> Vec<&CExpr> {
    let mut v: Vec<&CExpr> = b.dated_by.iter().collect();
    for rules in std::iter::once(&b.base).chain(b.versions.iter().map(|x| &x.rules)) {
        v.extend(rule_exprs(rules));
    }
    v.extend(b.outputs.iter().map(|o| &o.expr));
    v
}

pub(super) fn rule_exprs(r: &RuleSet) -> Vec<&CExpr> {
    let mut v: Vec<&CExpr> = r.conditions.iter().map(|c| &c.expr).collect();
    for s in &r.amount {
        v.extend(step_exprs(s));
    }
    v.extend(r.entitlements.iter().chain(r.documents.iter()).filter_map(|o| o.when.as_ref()));
    v.extend(r.deadlines.iter().map(|d| &d.expr));
    v
}

pub(super) fn step_exprs(s: &AmountStepDef) -> Vec<&CExpr> {
    match s {
        AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => vec![expr],
        AmountStepDef::Uplift { rate, when, .. } => vec![rate, when],
        AmountStepDef::Override { when, value, .. } => vec![when, value],
    }
}

/// Konsts of the rows of a table.
pub(super) fn table_konsts(p: &CheckedPolicy, name: &str, out: &mut BTreeSet<K>) {
    let Some(t) = p.tables.iter().find(|t| t.name == name) else { return };
    let Some(rec) = p.records.get(t.row_type.index()) else { return };
    for row in &t.rows {
        for (v, (_, ty, _)) in row.iter().zip(rec.fields.iter()) {
            konsts_of_value(p, v, ty, out, 0);
        }
    }
}

/// Every date either version decides by: in force, versions, uplift `until`.
pub(super) fn policy_dates(p: &CheckedPolicy, out: &mut BTreeSet<K>) {
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
