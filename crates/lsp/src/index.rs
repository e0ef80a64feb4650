//! What a policy file declares and where each name is used, read off the
//! syntax tree: the table behind hover, go to definition, references,
//! rename, symbols and semantic tokens. Resolution follows the checker's
//! rules closely enough for navigation (bare variants, `alias.item`,
//! `enum.variant`, bound names of `count(c in …)`), without types.

use policy_core::ast::{self, BenefitClause, Cite, Expr, ExprKind, Item, PolicyFile, Span, Suffix, TypeExpr};
use std::collections::HashMap;

/// What a declaration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefKind {
    /// `use x as alias`
    Alias,
    /// `unit`
    Unit,
    /// `enum`
    Enum,
    /// A variant of an enum.
    Variant,
    /// `record`
    Record,
    /// A record's field.
    Field,
    /// `input`
    Input,
    /// `param`
    Param,
    /// `external`
    External,
    /// `table`
    Table,
    /// `let`
    Let,
    /// `fn`
    Function,
    /// `assert id: …`
    Assert,
    /// `clause "…"`
    Clause,
    /// `benefit`
    Benefit,
    /// `require id: …` and other named conditions, uplifts, overrides.
    Condition,
    /// `output id: type = …`, a value a benefit's decision reports.
    Output,
    /// The bound name of `count(c in …)`, `sum(… for c in …)`.
    Local,
}

/// One declaration.
#[derive(Debug, Clone)]
pub struct Def {
    /// The name (a clause's number for clauses).
    pub name: String,
    /// What it is.
    pub kind: DefKind,
    /// Where the name is written.
    pub span: Span,
    /// Index of the top-level item in [`PolicyFile::items`].
    pub item: usize,
    /// The enum of a variant, the record of a field, the benefit of a
    /// condition or an output.
    pub parent: Option<String>,
}

/// What a use of a name points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A declaration of this file (index into [`Index::defs`]).
    Local(usize),
    /// `alias.name`: an item of an imported policy.
    Imported {
        /// The `use` alias.
        alias: String,
        /// The item's name in that policy.
        name: String,
    },
    /// A clause number inside `cite "…"` (of an imported policy when `alias` is set).
    Clause {
        /// The `use` alias of `cite alias."…"`.
        alias: Option<String>,
        /// The clause number.
        number: String,
    },
    /// Not declared (the checker reports it).
    Unresolved(String),
}

/// One use of a name.
#[derive(Debug, Clone)]
pub struct Ref {
    /// Where it is written.
    pub span: Span,
    /// What it points at.
    pub target: Target,
}

/// Declarations and uses of one file.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Declarations in source order.
    pub defs: Vec<Def>,
    /// Uses in source order of the walk.
    pub refs: Vec<Ref>,
    /// Top-level names (not variants, fields, conditions, locals) to their definition.
    scope: HashMap<String, usize>,
    /// Variant name to its first definition.
    variants: HashMap<String, usize>,
    /// `use` alias to the imported policy id.
    pub aliases: HashMap<String, String>,
    /// The policy this file amends (`amends …`): a name it does not declare
    /// is the amended policy's (its id doubles as an alias in `aliases`).
    pub amends: Option<String>,
}

impl Index {
    /// Indexes a parsed file.
    pub fn build(file: &PolicyFile) -> Self {
        let mut ix = Index::default();
        if let Some(base) = &file.header.amends {
            ix.aliases.insert(base.name.clone(), base.name.clone());
            ix.amends = Some(base.name.clone());
        }
        for (i, item) in file.items.iter().enumerate() {
            ix.declare(i, item);
        }
        for (i, item) in file.items.iter().enumerate() {
            ix.walk_item(i, item);
        }
        ix.refs.sort_by_key(|r| r.span.start);
        ix
    }

    /// The top-level declaration (or first variant) named `name`.
    pub fn lookup(&self, name: &str) -> Option<&Def> {
        self.scope.get(name).or_else(|| self.variants.get(name)).and_then(|&i| self.defs.get(i)).or_else(|| self.condition(name))
    }

    /// `benefit.id`: the condition, uplift, exception or output `id` of
    /// `benefit` (what an amendment's `replace` and `repeal` name).
    fn condition(&self, qualified: &str) -> Option<&Def> {
        let (benefit, id) = qualified.split_once('.')?;
        self.defs
            .iter()
            .find(|d| matches!(d.kind, DefKind::Condition | DefKind::Output) && d.name == id && d.parent.as_deref() == Some(benefit))
    }

    /// The clause declaring `number`.
    pub fn clause(&self, number: &str) -> Option<&Def> {
        self.defs.iter().find(|d| d.kind == DefKind::Clause && d.name == number)
    }

    /// The declaration whose name covers byte `at`.
    pub fn def_at(&self, at: usize) -> Option<(usize, &Def)> {
        self.defs.iter().enumerate().find(|(_, d)| d.span.start <= at && at <= d.span.end && d.span.end > d.span.start)
    }

    /// The use covering byte `at`.
    pub fn ref_at(&self, at: usize) -> Option<&Ref> {
        self.refs.iter().find(|r| r.span.start <= at && at <= r.span.end && r.span.end > r.span.start)
    }

    /// The target at byte `at`: a use, or a declaration (as a local target).
    pub fn target_at(&self, at: usize) -> Option<(Span, Target)> {
        if let Some(r) = self.ref_at(at) {
            return Some((r.span, r.target.clone()));
        }
        let (i, d) = self.def_at(at)?;
        Some((d.span, if d.kind == DefKind::Clause { Target::Clause { alias: None, number: d.name.clone() } } else { Target::Local(i) }))
    }

    fn def(&mut self, name: &str, kind: DefKind, span: Span, item: usize, parent: Option<&str>) -> usize {
        let i = self.defs.len();
        self.defs.push(Def { name: name.to_string(), kind, span, item, parent: parent.map(str::to_string) });
        i
    }

    fn top(&mut self, id: &ast::Ident, kind: DefKind, item: usize) {
        let i = self.def(&id.name, kind, id.span, item, None);
        self.scope.entry(id.name.clone()).or_insert(i);
    }

    fn declare(&mut self, i: usize, item: &Item) {
        match item {
            Item::Use(u) => {
                let alias = match &u.alias {
                    Some(a) => a.clone(),
                    None => {
                        let last = u.policy.name.rsplit('.').next().unwrap_or(&u.policy.name).to_string();
                        ast::Ident { name: last, span: u.policy.span }
                    }
                };
                self.aliases.insert(alias.name.clone(), u.policy.name.clone());
                self.top(&alias, DefKind::Alias, i);
            }
            Item::Unit(d) => self.top(&d.name, DefKind::Unit, i),
            Item::Enum(d) => {
                self.top(&d.name, DefKind::Enum, i);
                for v in &d.variants {
                    let vi = self.def(&v.name.name, DefKind::Variant, v.name.span, i, Some(&d.name.name));
                    self.variants.entry(v.name.name.clone()).or_insert(vi);
                }
            }
            Item::Record(d) => {
                self.top(&d.name, DefKind::Record, i);
                for f in &d.fields {
                    self.def(&f.name.name, DefKind::Field, f.name.span, i, Some(&d.name.name));
                }
            }
            Item::Input(d) => self.top(&d.name, DefKind::Input, i),
            Item::Param(d) => self.top(&d.name, DefKind::Param, i),
            Item::External(d) => self.top(&d.name, DefKind::External, i),
            Item::Table(d) => self.top(&d.name, DefKind::Table, i),
            Item::Let(d) => self.top(&d.name, DefKind::Let, i),
            Item::Fn(d) => self.top(&d.name, DefKind::Function, i),
            Item::Assert(d) => {
                if let Some(id) = &d.id {
                    self.def(&id.name, DefKind::Assert, id.span, i, None);
                }
            }
            Item::Clause(d) => {
                let span = inner(d.number.span);
                self.def(&d.number.value, DefKind::Clause, span, i, None);
            }
            Item::Benefit(d) => {
                self.top(&d.id, DefKind::Benefit, i);
                self.declare_conditions(i, &d.id.name, &d.clauses);
            }
            Item::Convert(_) | Item::Repeal(_) => {}
            Item::Amend(ast::AmendDecl::Param(_)) => {}
            Item::Amend(ast::AmendDecl::Benefit(d)) => {
                let clauses = change_clauses(&d.changes);
                self.declare_conditions(i, &d.id.name, &clauses);
            }
        }
    }

    fn declare_conditions(&mut self, i: usize, benefit: &str, clauses: &[BenefitClause]) {
        for c in clauses {
            let id = match c {
                BenefitClause::Condition(c) => c.id.as_ref(),
                BenefitClause::Uplift(u) => u.id.as_ref(),
                BenefitClause::Override(o) => o.id.as_ref(),
                BenefitClause::Output(o) => {
                    self.def(&o.id.name, DefKind::Output, o.id.span, i, Some(benefit));
                    None
                }
                BenefitClause::Version(v) => {
                    self.declare_conditions(i, benefit, &v.clauses);
                    None
                }
                _ => None,
            };
            if let Some(id) = id {
                self.def(&id.name, DefKind::Condition, id.span, i, Some(benefit));
            }
        }
    }

    fn walk_item(&mut self, i: usize, item: &Item) {
        let mut w = Walker { ix: self, item: i, locals: Vec::new() };
        match item {
            Item::Use(_) | Item::Unit(_) | Item::Enum(_) | Item::Clause(_) => {}
            Item::Convert(d) => {
                w.expr(&d.from);
                w.expr(&d.to);
                w.cite(d.cite.as_ref());
            }
            Item::Record(d) => d.fields.iter().for_each(|f| w.ty(&f.ty)),
            Item::Input(d) => {
                w.ty(&d.ty);
                w.range(d.range.as_ref());
                w.opt(d.default.as_ref());
            }
            Item::Param(d) => {
                w.ty(&d.ty);
                w.cite(d.cite.as_ref());
                for v in &d.versions {
                    w.expr(&v.value);
                    w.cite(v.cite.as_ref());
                }
            }
            Item::External(d) => {
                w.ty(&d.ty);
                w.range(d.range.as_ref());
                w.cite(d.cite.as_ref());
            }
            Item::Table(d) => {
                d.keys.iter().chain(&d.values).for_each(|c| w.ty(&c.ty));
                w.cite(d.cite.as_ref());
                for r in &d.rows {
                    r.keys.iter().chain(&r.values).for_each(|e| w.expr(e));
                }
            }
            Item::Let(d) => {
                if let Some(t) = &d.ty {
                    w.ty(t);
                }
                w.expr(&d.value);
                w.cite(d.cite.as_ref());
            }
            Item::Fn(d) => {
                for (n, t) in &d.params {
                    w.ty(t);
                    w.bind(n);
                }
                w.ty(&d.ty);
                w.expr(&d.body);
                w.cite(d.cite.as_ref());
            }
            Item::Assert(d) => {
                w.expr(&d.expr);
                w.cite(d.cite.as_ref());
            }
            Item::Benefit(d) => w.clauses(&d.clauses),
            // The amended policy's names are not in this file's index: the
            // changes' own names and citations are walked.
            Item::Amend(ast::AmendDecl::Param(d)) => {
                w.amended(&d.name);
                for v in &d.versions {
                    w.expr(&v.value);
                    w.cite(v.cite.as_ref());
                }
            }
            Item::Amend(ast::AmendDecl::Benefit(d)) => {
                w.amended(&d.id);
                w.clauses(&change_clauses(&d.changes));
                for c in &d.changes {
                    match c {
                        // The id a change strikes out or takes the place
                        // of points at the base's condition.
                        ast::Change::Repeal { id, cite, .. } => {
                            w.amended_condition(&d.id, id);
                            w.cite(cite.as_ref());
                        }
                        ast::Change::Replace { clause, .. } => {
                            if let Some(id) = clause_id(clause) {
                                w.amended_condition(&d.id, id);
                            }
                        }
                        ast::Change::Add(_) => {}
                    }
                }
            }
            Item::Repeal(d) => {
                w.amended(&d.benefit);
                w.cite(d.cite.as_ref());
            }
        }
    }
}

/// The id a clause declares: a condition's, an uplift's, an exception's or
/// an output's.
fn clause_id(c: &BenefitClause) -> Option<&ast::Ident> {
    match c {
        BenefitClause::Condition(c) => c.id.as_ref(),
        BenefitClause::Uplift(u) => u.id.as_ref(),
        BenefitClause::Override(o) => o.id.as_ref(),
        BenefitClause::Output(o) => Some(&o.id),
        _ => None,
    }
}

/// The clauses an `amend benefit` adds or puts in place of others.
fn change_clauses(changes: &[ast::Change]) -> Vec<BenefitClause> {
    changes
        .iter()
        .filter_map(|c| match c {
            ast::Change::Add(c) | ast::Change::Replace { clause: c, .. } => Some(c.clone()),
            ast::Change::Repeal { .. } => None,
        })
        .collect()
}

/// A string literal's span without its quotes.
pub fn inner(s: Span) -> Span {
    if s.end >= s.start + 2 {
        Span::new(s.start + 1, s.end - 1)
    } else {
        s
    }
}

struct Walker<'a> {
    ix: &'a mut Index,
    item: usize,
    locals: Vec<(String, usize)>,
}

impl Walker<'_> {
    fn push(&mut self, span: Span, target: Target) {
        self.ix.refs.push(Ref { span, target });
    }

    fn resolve(&self, name: &str) -> Target {
        if let Some((_, i)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Target::Local(*i);
        }
        if let Some(&i) = self.ix.scope.get(name).or_else(|| self.ix.variants.get(name)) {
            return Target::Local(i);
        }
        if let Some((alias, rest)) = name.split_once('.') {
            if self.ix.aliases.contains_key(alias) {
                return Target::Imported { alias: alias.to_string(), name: rest.to_string() };
            }
        }
        if let Some(base) = &self.ix.amends {
            return Target::Imported { alias: base.clone(), name: name.to_string() };
        }
        Target::Unresolved(name.to_string())
    }

    /// A name an amendment changes: the amended policy's item.
    fn amended_condition(&mut self, benefit: &ast::Ident, id: &ast::Ident) {
        if let Some(base) = self.ix.amends.clone() {
            self.push(id.span, Target::Imported { alias: base, name: format!("{}.{}", benefit.name, id.name) });
        }
    }

    fn amended(&mut self, id: &ast::Ident) {
        if let Some(base) = self.ix.amends.clone() {
            self.push(id.span, Target::Imported { alias: base, name: id.name.clone() });
        }
    }

    fn name(&mut self, id: &ast::Ident) {
        let t = self.resolve(&id.name);
        self.push(id.span, t);
    }

    fn ty(&mut self, t: &TypeExpr) {
        let (TypeExpr::Named(id) | TypeExpr::List(id)) = t;
        if BUILTIN_TYPES.contains(&id.name.as_str()) {
            return;
        }
        self.name(id);
    }

    fn range(&mut self, r: Option<&ast::RangeDecl>) {
        if let Some(r) = r {
            self.opt(r.low.as_ref());
            self.opt(r.high.as_ref());
        }
    }

    fn opt(&mut self, e: Option<&Expr>) {
        if let Some(e) = e {
            self.expr(e);
        }
    }

    fn cite(&mut self, c: Option<&Cite>) {
        let Some(c) = c else { return };
        if let Some(p) = &c.policy {
            self.name(p);
        }
        let target = Target::Clause { alias: c.policy.as_ref().map(|p| p.name.clone()), number: c.clause.value.clone() };
        self.push(inner(c.clause.span), target);
    }

    fn field(&mut self, id: &ast::Ident) {
        let found = self.ix.defs.iter().position(|d| d.kind == DefKind::Field && d.name == id.name);
        let t = match found {
            Some(i) => Target::Local(i),
            None => Target::Unresolved(id.name.clone()),
        };
        self.push(id.span, t);
    }

    fn path(&mut self, segs: &[ast::Ident]) {
        let Some((head, rest)) = segs.split_first() else { return };
        if self.locals.iter().all(|(n, _)| *n != head.name) {
            if let (Some(alias), Some(item)) = (self.ix.aliases.get(&head.name).map(|_| head.name.clone()), rest.first()) {
                self.name(head);
                self.push(item.span, Target::Imported { alias, name: item.name.clone() });
                // `alias.enum.variant`: the variant is found through the imported enum.
                if let Some(v) = rest.get(1) {
                    self.push(v.span, Target::Imported { alias: head.name.clone(), name: v.name.clone() });
                }
                return;
            }
            if let Some(&e) = self.ix.scope.get(&head.name) {
                let enum_name = self.ix.defs.get(e).filter(|d| d.kind == DefKind::Enum).map(|d| d.name.clone());
                if let (Some(enum_name), Some(v)) = (enum_name, rest.first()) {
                    self.name(head);
                    let vi = self
                        .ix
                        .defs
                        .iter()
                        .position(|d| d.kind == DefKind::Variant && d.name == v.name && d.parent.as_deref() == Some(&enum_name));
                    let t = vi.map(Target::Local).unwrap_or_else(|| Target::Unresolved(v.name.clone()));
                    self.push(v.span, t);
                    return;
                }
            }
        }
        self.name(head);
        for f in rest {
            self.field(f);
        }
    }

    /// `amount_of(b)`: `b` names a benefit, whatever else shares its name.
    /// False when the argument is not one bare name (walked as usual).
    fn amount_of(&mut self, args: &[Expr]) -> bool {
        let [Expr { kind: ExprKind::Path(segs), .. }] = args else { return false };
        let [b] = segs.as_slice() else { return false };
        let found = self.ix.defs.iter().position(|d| d.kind == DefKind::Benefit && d.name == b.name);
        self.push(b.span, found.map_or_else(|| Target::Unresolved(b.name.clone()), Target::Local));
        true
    }

    fn bind(&mut self, var: &ast::Ident) {
        let i = self.ix.def(&var.name, DefKind::Local, var.span, self.item, None);
        self.locals.push((var.name.clone(), i));
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Bool(_) | ExprKind::Date(_) | ExprKind::Text(_) => {}
            ExprKind::Number { suffix, .. } => {
                if let Some(Suffix::Unit(u)) = suffix {
                    if !BUILTIN_UNITS.contains(&u.name.as_str()) {
                        self.name(u);
                    }
                }
            }
            ExprKind::Path(segs) => self.path(segs),
            ExprKind::Field(base, f) => {
                self.expr(base);
                self.field(f);
            }
            ExprKind::Index(base, keys) => {
                self.expr(base);
                keys.iter().for_each(|k| self.expr(k));
            }
            ExprKind::Convert(base, unit) => {
                self.expr(base);
                if !BUILTIN_UNITS.contains(&unit.name.as_str()) {
                    self.name(unit);
                }
            }
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => self.expr(x),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(f, xs) if f.name == "amount_of" && self.amount_of(xs) => {}
            ExprKind::Call(f, xs) => {
                // A declared function is a reference; a built-in is not.
                if !matches!(self.resolve(&f.name), Target::Unresolved(_)) {
                    self.name(f);
                }
                xs.iter().for_each(|x| self.expr(x));
            }
            ExprKind::Set(xs) | ExprKind::List(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::If { branches, otherwise } => {
                for (c, v) in branches {
                    self.expr(c);
                    self.expr(v);
                }
                self.expr(otherwise);
            }
            ExprKind::Match { scrutinee, arms } => {
                self.expr(scrutinee);
                for a in arms {
                    a.patterns.iter().for_each(|p| self.expr(p));
                    self.expr(&a.value);
                }
            }
            ExprKind::Tiers { subject, tiers, otherwise } => {
                self.expr(subject);
                for t in tiers {
                    match &t.test {
                        ast::TierTest::Cmp(_, x) => self.expr(x),
                        ast::TierTest::Range(a, b) => {
                            self.expr(a);
                            self.expr(b);
                        }
                    }
                    self.expr(&t.value);
                }
                if let Some(o) = otherwise {
                    self.expr(o);
                }
            }
            ExprKind::Scale { subject, bands, rest } => {
                self.expr(subject);
                for b in bands {
                    self.expr(&b.width);
                    self.expr(&b.rate);
                }
                if let Some(r) = rest {
                    self.expr(r);
                }
            }
            ExprKind::Quantifier { var, list, filter, .. } => {
                self.expr(list);
                self.bind(var);
                if let Some(f) = filter {
                    self.expr(f);
                }
                self.locals.pop();
            }
            ExprKind::Aggregate { value, var, list, filter, .. } => {
                self.expr(list);
                self.bind(var);
                self.expr(value);
                if let Some(f) = filter {
                    self.expr(f);
                }
                self.locals.pop();
            }
        }
    }

    fn clauses(&mut self, clauses: &[BenefitClause]) {
        for c in clauses {
            match c {
                BenefitClause::Payee(_) | BenefitClause::Per(_) => {}
                BenefitClause::Cite(c) => self.cite(Some(c)),
                BenefitClause::DatedBy { expr, .. } => self.expr(expr),
                BenefitClause::Condition(c) => {
                    self.expr(&c.expr);
                    self.cite(c.cite.as_ref());
                }
                BenefitClause::Amount(a) | BenefitClause::Cap(a) => {
                    self.expr(&a.expr);
                    self.cite(a.cite.as_ref());
                }
                BenefitClause::Uplift(u) => {
                    self.expr(&u.rate);
                    self.expr(&u.when);
                    self.cite(u.cite.as_ref());
                }
                BenefitClause::Override(o) => {
                    self.expr(&o.when);
                    self.expr(&o.value);
                    self.cite(o.cite.as_ref());
                }
                BenefitClause::Entitle(o) | BenefitClause::Needs(o) => {
                    self.opt(o.when.as_ref());
                    self.cite(o.cite.as_ref());
                }
                BenefitClause::Deadline { expr, cite, .. } => {
                    self.expr(expr);
                    self.cite(cite.as_ref());
                }
                BenefitClause::Output(o) => {
                    if let Some(t) = &o.ty {
                        self.ty(t);
                    }
                    self.expr(&o.value);
                    self.cite(o.cite.as_ref());
                }
                BenefitClause::Version(v) => self.clauses(&v.clauses),
            }
        }
    }
}

/// Types every policy knows.
pub const BUILTIN_TYPES: &[&str] = &["bool", "int", "decimal", "money", "percent", "date", "duration", "text"];

/// Units every policy knows.
pub const BUILTIN_UNITS: &[&str] = &["yuan", "元", "days", "day", "months", "month", "years", "year"];
