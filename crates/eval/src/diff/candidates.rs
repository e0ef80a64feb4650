//! The witness search's state and its candidate applicants: the values
//! each fact is tried with, built from the constants both versions compare
//! it against.

use super::*;

/// A fact's type, independent of either version's ids.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ty {
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

pub(super) fn ty_of(p: &CheckedPolicy, t: &Type, depth: usize) -> Ty {
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
pub(super) struct Var {
    pub(super) name: String,
    pub(super) ty: Ty,
    /// The type in the other version, when it differs.
    pub(super) alt: Option<Ty>,
    /// Candidate values (lists and records are built from the base instead).
    pub(super) values: Vec<Json>,
    pub(super) typical: Json,
    /// The constants it is compared against.
    pub(super) konsts: BTreeSet<K>,
}

/// A candidate applicant: fact name → JSON value (`null`: not given), plus
/// [`AS_OF`] for the reference date.
pub(super) type Cand = BTreeMap<String, Json>;

/// One version's decision on a candidate: per benefit, or why the facts were refused.
pub(super) type Side = Result<Vec<(String, Outcome)>, String>;

pub(super) struct Pair {
    pub(super) old: Side,
    pub(super) new: Side,
}

pub(super) type Score = (i32, i64, Decimal);

pub(super) enum Step {
    Found(Box<Witness>),
    Continue,
    Stop,
}

pub(super) struct Search<'a> {
    pub(super) old: &'a Plan,
    pub(super) new: &'a Plan,
    pub(super) vars: Vec<Var>,
    pub(super) typical_date: NaiveDate,
    /// Benefit ids in display order: the new version's, then old-only ones.
    pub(super) order: Vec<String>,
    /// Benefits present in both versions.
    pub(super) common: Vec<String>,
    pub(super) cache: HashMap<String, Rc<Pair>>,
    pub(super) decisions: usize,
    pub(super) bases: BTreeMap<String, Cand>,
    /// Every date either version decides by.
    pub(super) dates: BTreeSet<K>,
    pub(super) conversions: Vec<(String, Decimal, String, Decimal)>,
    /// Per benefit id: the facts it reads in either version.
    pub(super) read_by: BTreeMap<String, BTreeSet<String>>,
    /// Per benefit id: the facts its amount steps read, and how many
    /// versions have it.
    pub(super) amount_reads: BTreeMap<String, (BTreeSet<String>, i32)>,
    /// The new version with the change being searched taken back alone.
    pub(super) undo: Option<Plan>,
    /// A candidate on which undoing the change alone alters the decision
    /// but does not remove the difference (other changes also apply).
    pub(super) partial: Option<Witness>,
}

pub(super) fn delta(k: &NumKind) -> Decimal {
    match k {
        NumKind::Int => Decimal::ONE,
        NumKind::Percent => Decimal::new(1, 4),
        _ => Decimal::new(1, 2),
    }
}

pub(super) fn num_json(k: &NumKind, d: Decimal) -> Json {
    let d = d.normalize();
    match k {
        NumKind::Int => i64::try_from(d).map(Json::from).unwrap_or_else(|_| Json::String(d.to_string())),
        NumKind::Percent => Json::String(percent_string(d)),
        _ => Json::String(d.to_string()),
    }
}

/// At most [`CONSTANTS_PER_FACT`] constants of each kind, evenly spread.
pub(super) fn thin(konsts: BTreeSet<K>) -> BTreeSet<K> {
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
pub(super) fn spread(values: Vec<Json>, n: usize) -> Vec<Json> {
    let len = values.len();
    if len <= n || n < 2 {
        return values;
    }
    let picks: BTreeSet<usize> = (0..n).map(|k| k * (len - 1) / (n - 1)).collect();
    values.into_iter().enumerate().filter(|(i, _)| picks.contains(i)).map(|(_, v)| v).collect()
}

/// `d` moved by `days`, when that stays in the calendar.
pub(super) fn shift(d: NaiveDate, days: i64) -> Option<NaiveDate> {
    d.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

pub(super) fn within(b: Option<&Bounds>, d: Decimal) -> bool {
    b.is_none_or(|b| b.low.is_none_or(|l| d >= l) && b.high.is_none_or(|h| d <= h))
}

impl<'a> Search<'a> {
    pub(super) fn new(old: &'a Plan, new: &'a Plan, oa: &Analysis, na: &Analysis) -> Self {
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
                conversions.push((p.type_name(&Type::Quantity(c.from)), c.from_count, p.type_name(&Type::Quantity(c.to)), c.to_count));
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
            undo: None,
            partial: None,
        };
        s.vars = s.build_vars(&per_fact, age, days);
        s
    }

    pub(super) fn build_vars(&self, per_fact: &BTreeMap<String, BTreeSet<K>>, age: bool, days: bool) -> Vec<Var> {
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
    pub(super) fn values_for(
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
    pub(super) fn convert_const(&self, to: &NumKind, from: &NumKind, c: Decimal) -> Vec<Decimal> {
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
    pub(super) fn reads(&self, benefit: &str, fact: &str) -> bool {
        fact == AS_OF || self.read_by.get(benefit).is_some_and(|r| r.contains(fact))
    }

    pub(super) fn typical(&self) -> Cand {
        self.vars.iter().map(|v| (v.name.clone(), v.typical.clone())).collect()
    }

    /// A record matching the base: fields named like a fact take its value,
    /// other fields the base's value of a fact of the same type.
    pub(super) fn element(&self, fields: &[(String, Ty)], base: &Cand, depth: usize) -> Json {
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
    pub(super) fn vals(&self, var: &Var, base: &Cand) -> Vec<Json> {
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
    pub(super) fn near(&self, var: &Var, konsts: &BTreeSet<K>) -> Vec<Json> {
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

    pub(super) fn facts_for(plan: &Plan, cand: &Cand) -> Result<Facts, String> {
        let obj: serde_json::Map<String, Json> = cand
            .iter()
            .filter(|(k, _)| plan.input_slots.contains_key(k.as_str()) || plan.external_slots.contains_key(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        plan.facts_from_json(&Json::Object(obj)).map_err(|e| e.to_string())
    }

    pub(super) fn reference_for(&self, plan: &Plan, cand: &Cand) -> Option<NaiveDate> {
        if plan.application_date.is_some() {
            return None;
        }
        let date = |k: &str| cand.get(k).and_then(Json::as_str).and_then(|s| s.parse::<NaiveDate>().ok());
        Some(date(AS_OF).or_else(|| date("application_date")).unwrap_or(self.typical_date))
    }

    /// One version's decision on the given benefits (those it has).
    pub(super) fn decide_side(&self, plan: &Plan, cand: &Cand, benefits: &[String]) -> Side {
        let facts = Self::facts_for(plan, cand)?;
        let wanted: Vec<String> = benefits.iter().filter(|b| plan.policy().benefits.iter().any(|x| *x.id == **b)).cloned().collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let opts = DecideOptions { reference_date: self.reference_for(plan, cand), benefits: wanted, trace: TraceLevel::Off };
        let d = plan.decide(&facts, &opts).map_err(|e| e.to_string())?;
        Ok(d.benefits.iter().map(|b| (b.id.to_string(), Outcome::from_decision(b))).collect())
    }
}
