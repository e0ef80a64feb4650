//! Property tests over whole random policies.
//!
//! A type-directed generator writes a policy as an author would: a header
//! (`in_force` always, `document`, `issued`, `source`, …), a clause map whose
//! quotes are in a generated source document (rules `cite` clauses, some
//! with their own `quote`), sometimes a `use` of a generated shared policy
//! (its units, enums, parameters and tables read qualified), units and a
//! `convert`, enums, records, inputs of every type (ranges, defaults, lists of
//! records and of scalars, a record, `application_date`), dated parameters
//! (with gaps), externals (`set_by` with criteria, `defined_in`), tables
//! (one or two keys) with assertions over them that hold, `let`s (written in
//! shuffled order; some hold a table row) and benefits with `payee`, `per`,
//! `dated_by`, `applies_when` / `require` / `exclude`, `amount` / `cap` /
//! `uplift … until` / `override` steps, `entitle`, `deadline`, `needs` and
//! dated version blocks; comments in between and at line ends. Expressions
//! are built for a wanted type from the declared names of that type (record
//! fields, table lookups, quantifier variables) and literals: arithmetic on
//! int, decimal, money, percent and unit quantities (the checker's typing
//! rules: `money * percent`, `int / int` is a decimal, …), comparisons,
//! `and` / `or` / `not`, `in` sets and lists, `if` / `else if`, `match`
//! (with `|` and `_`), `tiers` (`>=`, `>`, `<`, `<=` or ranges, constant or
//! not, with or without `else`), `scale` (per unit and marginal), `count` /
//! `any` / `all`, `sum` / `min` / `max` / `avg`, `exists`, `present`,
//! `as` conversion, date ± durations, `min`, `max`, `clamp`, `abs`, `round`
//! (every mode), `year`, `month`, `day`, `age` and `days_between`; `as_of`
//! (never in a `dated_by`), scale bands whose width is a dated parameter,
//! functions (`fn helper_N(arg: T, …): R = …` over their parameters, the
//! policy's parameters, tables and constants) called from lets and rules,
//! `output`s of every scalar type, and `amount_of` reads of the benefits
//! declared later (so the decision order differs from declaration order).
//!
//! For every generated policy the tests assert that
//! 1. checking and compiling it does not panic, and that nearly all of them
//!    (≥ 90 % over a run) check with no error (a rejected one is printed with
//!    its diagnostics: it is a generator or a checker bug), and that every
//!    construct listed in `CONSTRUCTS` occurs in some clean policy;
//! 2. for each compiled policy and several well-typed fact sets (from
//!    `support::gen_facts`): deciding does not panic, is deterministic, gives
//!    the same decision (trace removed) with the trace off, summary and full,
//!    survives a JSON round trip, never reports a negative amount (nor an
//!    amount range reaching below zero or upside down), never an amount
//!    above a constant `cap` that ends the amount pipeline, and never an
//!    `internal` error; at least 5 % of the benefits are eligible; an
//!    eligible benefit reports every output it declares, another none; and
//!    a benefit decided alone (with the benefits it reads) is decided as in
//!    the whole decision;
//! 3. wild facts (`support::gen_wild_facts`: wrong types, unknown keys and
//!    fields, missing keys, extreme numbers, dates and durations, long texts
//!    and lists, a reference date at either end of the calendar) give a fact
//!    error or a decision, never a panic, and a decision from facts that were
//!    accepted holds the invariants of 2.
//!
//! A failure prints the policy (and the policy it imports) and the facts;
//! the `show_policy` tool below prints the policy of a seed again.
//! `PROPTEST_CASES=5000` runs a longer search (the default, [`CASES`], takes
//! about 10 s in debug on two cores).
//!
//! The bugs found on the way (all fixed) are pinned by the tests at the
//! end, each with a minimal policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use chrono::NaiveDate;
use policy_core::checked::{AmountStepDef, CKind, CheckedPolicy};
use policy_core::loader::{Loader, MemoryLoader};
use policy_core::value::Value;
use policy_eval::{DecideOptions, Decision, EvalError, Plan, Status, TraceLevel};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::BTreeMap;
use support::{gen_facts, gen_wild_facts, Rng};

/// Policies per property (each runs [`FACT_SETS`] or [`WILD_FACT_SETS`]
/// fact sets at four trace levels).
const CASES: u32 = 160;
/// Well-typed fact sets per policy.
const FACT_SETS: u64 = 8;
/// Wild fact sets per policy.
const WILD_FACT_SETS: u64 = 8;

// ------------------------------------------------------------------ types

/// The generator's view of a type.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Bool,
    Int,
    Dec,
    Money,
    Pct,
    Date,
    Dur,
    Text,
    Enum(usize),
    Qty(usize),
    Rec(usize),
    List(Box<Ty>),
}

impl Ty {
    fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Dec | Ty::Money | Ty::Pct | Ty::Qty(_))
    }
    fn is_scalar(&self) -> bool {
        matches!(self, Ty::Int | Ty::Dec | Ty::Pct)
    }
    /// Types with literals (everything but records and lists).
    fn has_literal(&self) -> bool {
        !matches!(self, Ty::Rec(_) | Ty::List(_))
    }
}

/// An expression's text, and whether it can be an operand of an infix
/// operator without brackets.
#[derive(Debug, Clone)]
struct E {
    s: String,
    atom: bool,
}

impl E {
    fn atom(s: impl Into<String>) -> E {
        E { s: s.into(), atom: true }
    }
    fn infix(a: &E, op: &str, b: &E) -> E {
        E { s: format!("{} {op} {}", a.op(), b.op()), atom: false }
    }
    /// As an operand: bracketed unless atomic.
    fn op(&self) -> String {
        if self.atom {
            self.s.clone()
        } else {
            format!("({})", self.s)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Input,
    Let,
    Param,
    External,
    Table,
}

#[derive(Debug, Clone)]
struct Var {
    name: String,
    ty: Ty,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct EnumG {
    name: String,
    variants: Vec<String>,
    /// Declared by an imported policy: variants are written qualified.
    imported: bool,
}

#[derive(Debug, Clone)]
struct RecG {
    name: String,
    fields: Vec<(String, Ty)>,
}

/// A table: its row record, how many leading columns are keys, and its rows
/// (cell text, and the integer value of numeric cells for assertions).
#[derive(Debug, Clone)]
struct TableG {
    name: String,
    rec: usize,
    keys: usize,
    rows: Vec<Vec<(String, i64)>>,
}

const VARIANT_WORDS: &[&str] = &["junior", "middle", "senior", "veteran", "rural", "urban", "big_data", "cloud", "ai", "other"];
const TEXTS: &[&str] = &["南湖", "其他", "", "嘉善", "平湖", "海宁", "\\\"东区\\\""];
const LABELS: &[&str] = &[
    "培训补贴",
    "取得证书",
    "就业重点群体",
    "本年度已享受的补贴",
    "出勤率达标",
    "企业职工",
    "按\\\"初次\\\"取证计",
    "评价机构",
    "培训天数",
    "补贴标准",
    "Training subsidy\\tper person",
];
const QUOTE_WORDS: &[&str] = &["培训", "补贴", "标准", "企业", "职工", "证书", "课时", "每人", "不超过", "给予", "元", "按照"];

// ------------------------------------------------------------------ the generator

struct Gen {
    rng: Rng,
    id: String,
    enums: Vec<EnumG>,
    recs: Vec<RecG>,
    units: Vec<String>,
    convs: Vec<(usize, usize)>,
    tables: Vec<TableG>,
    vars: Vec<Var>,
    locals: Vec<(String, Ty)>,
    clauses: Vec<String>,
    quotes: Vec<String>,
    /// `amount` names the running amount (in `cap` and `override` values).
    amount: bool,
    /// Externals set by an authority (an amount range when absent).
    authority: Vec<String>,
    /// The benefit being written has an authority-set amount (a range when absent).
    range_amount: bool,
    /// How the generated policy names the policy it imports.
    lib_alias: String,
    counter: usize,
    /// Writing a `dated_by`: no `as_of`, and no let (which may read it).
    in_dated_by: bool,
    /// Writing a function's body: only its parameters (as locals), the
    /// policy's parameters, tables and constants; no `as_of`.
    in_fn: bool,
    /// Declared functions: name, parameter types, result type.
    fns: Vec<(String, Vec<Ty>, Ty)>,
    /// `amount_of(…)` reads of the benefits the benefit being written may
    /// read (money names in its rules, not in functions).
    readable: Vec<String>,
    /// `==` and `!=` on records or lists written so far.
    struct_compares: usize,
}

/// A generated policy: its text, the source document its quotes are in, and
/// the policy it imports.
struct Generated {
    id: String,
    text: String,
    /// How many `==` and `!=` on records or lists it holds.
    struct_compares: usize,
    library: Option<(String, String)>,
    source_name: String,
    source: String,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng(seed),
            id: format!("gen.p{}", seed % 1000),
            enums: Vec::new(),
            recs: Vec::new(),
            units: Vec::new(),
            convs: Vec::new(),
            tables: Vec::new(),
            vars: Vec::new(),
            locals: Vec::new(),
            clauses: Vec::new(),
            quotes: Vec::new(),
            amount: false,
            authority: Vec::new(),
            range_amount: false,
            lib_alias: String::new(),
            counter: 0,
            in_dated_by: false,
            in_fn: false,
            fns: Vec::new(),
            readable: Vec::new(),
            struct_compares: 0,
        }
    }

    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}_{}", self.counter)
    }

    fn chance(&mut self, n: u64, d: u64) -> bool {
        self.rng.chance(n, d)
    }

    fn label(&mut self) -> String {
        format!("\"{}\"", self.rng.pick(LABELS))
    }

    fn date(&mut self, from_year: i64, to_year: i64) -> NaiveDate {
        let y = self.rng.range(from_year, to_year) as i32;
        let m = self.rng.range(1, 12) as u32;
        let d = if self.chance(1, 4) { *self.rng.pick(&[1, 28, 29, 30, 31]) } else { self.rng.range(1, 28) as u32 };
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| NaiveDate::from_ymd_opt(y, m, 28).unwrap())
    }

    /// ` cite "…"` (sometimes with its own quote), or nothing.
    fn cite(&mut self) -> String {
        if self.clauses.is_empty() || self.chance(1, 4) {
            return String::new();
        }
        let c = self.rng.pick(&self.clauses).clone();
        if self.chance(1, 5) && !self.quotes.is_empty() {
            let q: Vec<char> = self.rng.pick(&self.quotes).chars().collect();
            let a = self.rng.index(q.len());
            let b = a + 1 + self.rng.index(q.len() - a);
            let part: String = q[a..b].iter().collect();
            return format!(" cite \"{c}\" quote \"{part}\"");
        }
        format!(" cite \"{c}\"")
    }

    fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Dec => "decimal".into(),
            Ty::Money => "money".into(),
            Ty::Pct => "percent".into(),
            Ty::Date => "date".into(),
            Ty::Dur => "duration".into(),
            Ty::Text => "text".into(),
            Ty::Enum(e) => self.enums[*e].name.clone(),
            Ty::Qty(u) => self.units[*u].clone(),
            Ty::Rec(r) => self.recs[*r].name.clone(),
            Ty::List(t) => format!("list {}", self.type_name(t)),
        }
    }

    fn variant(&mut self, e: usize) -> String {
        let v = self.rng.pick(&self.enums[e].variants).clone();
        if self.enums[e].imported || self.chance(1, 3) {
            format!("{}.{v}", self.enums[e].name)
        } else {
            v
        }
    }

    /// A small literal of `ty`, where thresholds and facts sit.
    fn literal(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Bool => (if self.chance(1, 2) { "true" } else { "false" }).into(),
            Ty::Int => {
                let hi = if self.chance(1, 5) { 2000 } else { 60 };
                self.rng.range(0, hi).to_string()
            }
            Ty::Dec => format!("{}.{}", self.rng.range(0, 20), self.rng.range(0, 99)),
            Ty::Money => {
                let n = self.rng.range(0, 100) * 50;
                match self.rng.below(6) {
                    0 => format!("{n}.50 yuan"),
                    1 => format!("{n} 元"),
                    _ => format!("{n} yuan"),
                }
            }
            Ty::Pct => {
                if self.chance(1, 5) {
                    format!("{}.5%", self.rng.range(0, 99))
                } else {
                    format!("{}%", self.rng.range(0, 100))
                }
            }
            Ty::Date => self.date(2017, 2028).to_string(),
            Ty::Dur => {
                let n = self.rng.range(1, 24);
                let unit = *self.rng.pick(&["day", "month", "year"]);
                let unit = if n == 1 { unit.to_string() } else { format!("{unit}s") };
                format!("{n} {unit}")
            }
            Ty::Text => format!("\"{}\"", self.rng.pick(TEXTS)),
            Ty::Enum(e) => self.variant(*e),
            Ty::Qty(u) => format!("{} {}", self.rng.range(0, 80), self.units[*u]),
            Ty::Rec(_) | Ty::List(_) => unreachable!("no literal of {ty:?}"),
        }
    }

    /// A positive constant of a numeric type (band widths, divisors).
    fn positive(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int => self.rng.range(1, 30).to_string(),
            Ty::Dec => format!("{}.5", self.rng.range(0, 9)),
            Ty::Money => format!("{} yuan", self.rng.range(1, 40) * 100),
            Ty::Pct => format!("{}%", self.rng.range(1, 50)),
            Ty::Qty(u) => format!("{} {}", self.rng.range(1, 30), self.units[*u]),
            _ => unreachable!(),
        }
    }

    /// Names (and record fields of names) of type `ty` in scope, with table lookups.
    fn names_of(&mut self, ty: &Ty) -> Vec<String> {
        let mut out = Vec::new();
        // Quantifier variables first, three times: a filter usually reads the element.
        for (n, t) in &self.locals {
            let mut reads = Vec::new();
            if t == ty {
                reads.push(n.clone());
            }
            if let Ty::Rec(r) = t {
                for (f, ft) in &self.recs[*r].fields {
                    if ft == ty {
                        reads.push(format!("{n}.{f}"));
                    }
                }
            }
            for _ in 0..3 {
                out.extend(reads.iter().cloned());
            }
        }
        for v in &self.vars {
            if self.in_dated_by && v.kind == Kind::Let {
                continue;
            }
            if self.in_fn && matches!(v.kind, Kind::Input | Kind::Let | Kind::External) {
                continue;
            }
            if v.ty == *ty {
                out.push(v.name.clone());
            }
            if let (Ty::Rec(r), Kind::Input | Kind::Let) = (&v.ty, v.kind) {
                for (f, ft) in &self.recs[*r].fields {
                    if ft == ty {
                        out.push(format!("{}.{f}", v.name));
                    }
                }
            }
        }
        if self.amount && *ty == Ty::Money {
            out.push("amount".into());
            out.push("amount".into());
        }
        if *ty == Ty::Money && !self.in_fn {
            out.extend(self.readable.iter().cloned());
        }
        // Table lookups with constant keys: `tab[k].col`.
        for t in 0..self.tables.len() {
            let rec = self.tables[t].rec;
            let keys = self.tables[t].keys;
            for c in keys..self.recs[rec].fields.len() {
                if self.recs[rec].fields[c].1 == *ty && self.chance(1, 2) {
                    let k = self.const_keys(t);
                    out.push(format!("{}[{k}].{}", self.tables[t].name, self.recs[rec].fields[c].0));
                }
            }
        }
        out
    }

    /// Keys for a lookup in table `t`: usually a row's, sometimes any.
    fn const_keys(&mut self, t: usize) -> String {
        let tab = self.tables[t].clone();
        if self.chance(4, 5) && !tab.rows.is_empty() {
            let row = self.rng.pick(&tab.rows);
            return row[..tab.keys].iter().map(|c| c.0.clone()).collect::<Vec<_>>().join(", ");
        }
        let tys: Vec<Ty> = self.recs[tab.rec].fields[..tab.keys].iter().map(|f| f.1.clone()).collect();
        tys.iter().map(|t| self.literal(t)).collect::<Vec<_>>().join(", ")
    }

    fn keys_expr(&mut self, t: usize, depth: u32) -> String {
        if self.chance(1, 2) {
            return self.const_keys(t);
        }
        let tab = self.tables[t].clone();
        let tys: Vec<Ty> = self.recs[tab.rec].fields[..tab.keys].iter().map(|f| f.1.clone()).collect();
        tys.iter().map(|t| self.expr(t, depth.saturating_sub(1)).s).collect::<Vec<_>>().join(", ")
    }

    /// What a form tests or spreads (a `match` scrutinee, a `tiers` or
    /// `scale` subject, the left of a comparison): usually a name.
    fn subject(&mut self, ty: &Ty, d: u32) -> E {
        let names = self.names_of(ty);
        if !names.is_empty() && self.chance(3, 4) {
            return E::atom(self.rng.pick(&names).clone());
        }
        self.expr(ty, d)
    }

    fn leaf(&mut self, ty: &Ty) -> E {
        // A call of a declared function returning `ty` (never inside a body).
        if !self.in_fn && self.chance(1, 6) {
            let fitting: Vec<(String, Vec<Ty>)> = self.fns.iter().filter(|f| f.2 == *ty).map(|f| (f.0.clone(), f.1.clone())).collect();
            if !fitting.is_empty() {
                let (name, args) = self.rng.pick(&fitting).clone();
                let args: Vec<String> = args.iter().map(|t| self.leaf_plain(t).s).collect();
                return E::atom(format!("{name}({})", args.join(", ")));
            }
        }
        self.leaf_plain(ty)
    }

    fn leaf_plain(&mut self, ty: &Ty) -> E {
        let names = self.names_of(ty);
        if !names.is_empty() && (self.chance(2, 3) || !ty.has_literal()) {
            return E::atom(self.rng.pick(&names).clone());
        }
        if !ty.has_literal() {
            panic!("generator: no expression of {ty:?}");
        }
        E::atom(self.literal(ty))
    }

    /// Lists in scope: list inputs, and tables (lists of their rows).
    fn lists(&self) -> Vec<(String, Ty)> {
        self.vars
            .iter()
            .filter(|v| !(self.in_fn && matches!(v.kind, Kind::Input | Kind::Let | Kind::External)))
            .filter_map(|v| match &v.ty {
                Ty::List(t) => Some((v.name.clone(), (**t).clone())),
                _ => None,
            })
            .collect()
    }

    fn numeric_types(&self) -> Vec<Ty> {
        let mut out = vec![Ty::Int, Ty::Money, Ty::Pct, Ty::Dec];
        out.extend((0..self.units.len()).map(Ty::Qty));
        out
    }

    /// A type for a sub-expression, favouring those with names in scope.
    fn some_type(&mut self, pred: impl Fn(&Ty) -> bool) -> Ty {
        let mut with_names: Vec<Ty> = Vec::new();
        for v in &self.vars {
            if pred(&v.ty) && !with_names.contains(&v.ty) {
                with_names.push(v.ty.clone());
            }
        }
        for (_, t) in &self.locals {
            if pred(t) && !with_names.contains(t) {
                with_names.push(t.clone());
            }
        }
        if !with_names.is_empty() && self.chance(3, 4) {
            return self.rng.pick(&with_names).clone();
        }
        let mut all = self.numeric_types();
        all.extend([Ty::Bool, Ty::Date, Ty::Text, Ty::Dur]);
        all.extend((0..self.enums.len()).map(Ty::Enum));
        let all: Vec<Ty> = all.into_iter().filter(|t| pred(t)).collect();
        self.rng.pick(&all).clone()
    }

    // -------------------------------------------------------------- expressions

    fn expr(&mut self, ty: &Ty, depth: u32) -> E {
        if depth == 0 || self.chance(1, 4) || !ty.has_literal() {
            return self.leaf(ty);
        }
        let d = depth - 1;
        // Forms every type has.
        match self.rng.below(14) {
            0 => return self.if_expr(ty, d),
            1 if !self.enums.is_empty() => return self.match_expr(ty, d),
            2 if *ty != Ty::Bool => return self.tiers(ty, d),
            _ => {}
        }
        match ty {
            Ty::Bool => self.bool_expr(d),
            Ty::Int => self.int_expr(d),
            Ty::Dec => self.dec_expr(d),
            Ty::Money => self.money_expr(d),
            Ty::Pct => self.pct_expr(d),
            Ty::Date => self.date_expr(d),
            Ty::Qty(u) => self.qty_expr(*u, d),
            Ty::Dur | Ty::Text | Ty::Enum(_) | Ty::Rec(_) | Ty::List(_) => self.leaf(ty),
        }
    }

    fn if_expr(&mut self, ty: &Ty, d: u32) -> E {
        let mut s = String::new();
        for i in 0..self.rng.range(1, 3) {
            let c = self.expr(&Ty::Bool, d);
            let v = self.expr(ty, d);
            if i > 0 {
                s.push_str(" else ");
            }
            s.push_str(&format!("if {} {{ {} }}", c.s, v.s));
        }
        let o = self.expr(ty, d);
        s.push_str(&format!(" else {{ {} }}", o.s));
        E::atom(s)
    }

    fn match_expr(&mut self, ty: &Ty, d: u32) -> E {
        let e = self.rng.index(self.enums.len());
        let scrutinee = self.subject(&Ty::Enum(e), d);
        let mut variants = self.enums[e].variants.clone();
        // Shuffle, then cut into arms; leave a rest for `_` sometimes.
        for i in (1..variants.len()).rev() {
            let j = self.rng.index(i + 1);
            variants.swap(i, j);
        }
        let rest = if variants.len() > 1 && self.chance(1, 2) { self.rng.range(1, variants.len() as i64 - 1) as usize } else { 0 };
        let covered = variants.len() - rest;
        let mut arms = Vec::new();
        let mut i = 0;
        while i < covered {
            let n = self.rng.range(1, (covered - i).min(3) as i64) as usize;
            let pats: Vec<String> = variants[i..i + n]
                .iter()
                .map(|v| if self.enums[e].imported || self.rng.chance(1, 3) { format!("{}.{v}", self.enums[e].name) } else { v.clone() })
                .collect();
            let v = self.expr(ty, d);
            arms.push(format!("{} => {}", pats.join(" | "), v.s));
            i += n;
        }
        if rest > 0 {
            let v = self.expr(ty, d);
            arms.push(format!("_ => {}", v.s));
        }
        E::atom(format!("match {} {{ {} }}", scrutinee.s, arms.join(", ")))
    }

    /// Constant tier bounds of `ty`, strictly increasing.
    fn thresholds(&mut self, ty: &Ty, n: usize) -> Vec<String> {
        let mut xs: Vec<i64> = Vec::new();
        let (lo, hi) = match ty {
            Ty::Money => (0, 100),
            Ty::Date => (0, 365 * 10),
            _ => (0, 100),
        };
        while xs.len() < n {
            let x = self.rng.range(lo, hi);
            if !xs.contains(&x) {
                xs.push(x);
            }
        }
        xs.sort_unstable();
        xs.into_iter()
            .map(|x| match ty {
                Ty::Int => x.to_string(),
                Ty::Dec => format!("{}.{}", x / 10, x % 10),
                Ty::Money => format!("{} yuan", x * 100),
                Ty::Pct => format!("{x}%"),
                Ty::Qty(u) => format!("{x} {}", self.units[*u]),
                Ty::Date => (NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + chrono::Duration::days(x)).to_string(),
                _ => unreachable!(),
            })
            .collect()
    }

    fn tiers(&mut self, ty: &Ty, d: u32) -> E {
        let st = self.some_type(|t| t.is_numeric() || *t == Ty::Date);
        let subject = self.subject(&st, d);
        let n = self.rng.range(1, 4) as usize;
        let mut bounds = self.thresholds(&st, n + 1);
        // A bound that is not a constant (then the checker proves nothing).
        let names = self.names_of(&st);
        if !names.is_empty() && self.chance(1, 8) {
            let i = self.rng.index(n);
            bounds[i] = self.rng.pick(&names).clone();
        }
        let mut tiers: Vec<String> = Vec::new();
        match self.rng.below(5) {
            0 | 1 => {
                let op = if self.chance(1, 2) { ">=" } else { ">" };
                for b in bounds.iter().take(n).rev() {
                    tiers.push(format!("{op} {b}"));
                }
            }
            2 => {
                let op = if self.chance(1, 2) { "<" } else { "<=" };
                for b in bounds.iter().take(n) {
                    tiers.push(format!("{op} {b}"));
                }
            }
            _ => {
                // Ascending ranges, sometimes with gaps (a warning), maybe a last `>=`.
                let mut i = 0;
                while i + 1 < bounds.len() {
                    tiers.push(format!("{} .. {}", bounds[i], bounds[i + 1]));
                    i += if self.chance(1, 4) { 2 } else { 1 };
                }
                if self.chance(1, 3) {
                    tiers.push(format!(">= {}", bounds[bounds.len() - 1]));
                }
            }
        }
        let mut arms: Vec<String> = Vec::new();
        for t in tiers {
            let v = self.expr(ty, d);
            arms.push(format!("{t} => {}", v.s));
        }
        if self.chance(1, 2) {
            let v = self.expr(ty, d);
            arms.push(format!("else => {}", v.s));
        }
        E::atom(format!("tiers {} {{ {} }}", subject.s, arms.join(", ")))
    }

    /// `scale` with a result of `ty`: returns `None` when `ty` has no scale form.
    fn scale(&mut self, ty: &Ty, d: u32) -> Option<E> {
        let (subject, rate) = match ty {
            Ty::Money => {
                if self.chance(1, 3) {
                    (Ty::Money, if self.chance(2, 3) { Ty::Pct } else { Ty::Dec })
                } else {
                    (self.some_type(Ty::is_scalar), Ty::Money)
                }
            }
            Ty::Int => (Ty::Int, Ty::Int),
            Ty::Dec => (Ty::Int, Ty::Dec),
            _ => return None,
        };
        let s = self.subject(&subject, d);
        let mut bands = Vec::new();
        for i in 0..self.rng.range(1, 3) {
            // A dated width (a parameter of the subject's type) sometimes.
            let params: Vec<String> =
                self.vars.iter().filter(|v| v.kind == Kind::Param && v.ty == subject).map(|v| v.name.clone()).collect();
            let w = if !params.is_empty() && self.chance(1, 4) { self.rng.pick(&params).clone() } else { self.positive(&subject) };
            let r = self.expr(&rate, d.min(1));
            bands.push(format!("{} {w} at {}", if i == 0 { "first" } else { "next" }, r.s));
        }
        if self.chance(2, 3) {
            let r = self.expr(&rate, d.min(1));
            bands.push(format!("then at {}", r.s));
        }
        Some(E::atom(format!("scale {} {{ {} }}", s.s, bands.join(", "))))
    }

    /// A quantifier or aggregate over a list in scope; `body` builds the
    /// part that reads the element (with the element bound).
    fn over_list(
        &mut self,
        head: &str,
        d: u32,
        prefer: impl Fn(&Gen, &Ty) -> bool,
        body: impl FnOnce(&mut Gen, &str, &Ty) -> Option<String>,
    ) -> Option<E> {
        let lists = self.lists();
        if lists.is_empty() {
            return None;
        }
        // Usually a list whose elements hold what `body` reads.
        let preferred: Vec<(String, Ty)> = lists.iter().filter(|(_, t)| prefer(self, t)).cloned().collect();
        let pool = if !preferred.is_empty() && self.chance(3, 4) { preferred } else { lists };
        let (list, elem) = self.rng.pick(&pool).clone();
        let var = format!("it{}", self.locals.len());
        self.locals.push((var.clone(), elem.clone()));
        let b = body(self, &var, &elem);
        let filter = if self.chance(1, 2) || head == "any" || head == "all" {
            let f = self.expr(&Ty::Bool, d);
            format!(" where {}", f.s)
        } else {
            String::new()
        };
        self.locals.pop();
        let b = b?;
        Some(E::atom(match head {
            "count" | "any" | "all" => format!("{head}({var} in {list}{filter})"),
            _ => format!("{head}({b} for {var} in {list}{filter})"),
        }))
    }

    /// `sum`/`min`/`max`/`avg` of `value_ty` (`avg` of an int is a decimal).
    fn aggregate(&mut self, head: &str, value_ty: &Ty, d: u32) -> Option<E> {
        let value_ty = value_ty.clone();
        let wanted = value_ty.clone();
        let holds = move |g: &Gen, elem: &Ty| match elem {
            Ty::Rec(r) => g.recs[*r].fields.iter().any(|f| f.1 == wanted),
            t => *t == wanted,
        };
        self.over_list(head, d, holds, move |g, var, elem| {
            let reads: Vec<String> = match elem {
                Ty::Rec(r) => g.recs[*r].fields.iter().filter(|f| f.1 == value_ty).map(|f| format!("{var}.{}", f.0)).collect(),
                t if *t == value_ty => vec![var.to_string()],
                _ => Vec::new(),
            };
            if !reads.is_empty() && g.chance(3, 4) {
                let read = g.rng.pick(&reads).clone();
                if g.chance(1, 4) && value_ty.is_numeric() && value_ty != Ty::Pct {
                    let k = g.rng.range(2, 5);
                    return Some(format!("{read} * {k}"));
                }
                return Some(read);
            }
            Some(g.expr(&value_ty, d.min(1)).s)
        })
    }

    fn minmax(&mut self, ty: &Ty, d: u32) -> E {
        let f = if self.chance(1, 2) { "min" } else { "max" };
        let n = self.rng.range(2, 3);
        let args: Vec<String> = (0..n).map(|_| self.expr(ty, d).s).collect();
        E::atom(format!("{f}({})", args.join(", ")))
    }

    fn arith(&mut self, ty: &Ty, d: u32) -> E {
        let a = self.expr(ty, d);
        let b = self.expr(ty, d);
        E::infix(&a, if self.chance(1, 2) { "+" } else { "-" }, &b)
    }

    /// `a == b` or `a != b` on two records or two lists of one type: names
    /// (facts, lets, table rows, quantifier variables, tables), a table's
    /// row, `[]` or a list literal; `None` when no record or list is in
    /// scope.
    fn struct_compare(&mut self, d: u32) -> Option<E> {
        let mut pool: Vec<(String, Ty)> = Vec::new();
        for (n, t) in &self.locals {
            if matches!(t, Ty::Rec(_) | Ty::List(_)) {
                pool.push((n.clone(), t.clone()));
            }
        }
        for v in &self.vars {
            let hidden =
                (self.in_dated_by && v.kind == Kind::Let) || (self.in_fn && matches!(v.kind, Kind::Input | Kind::Let | Kind::External));
            if !hidden && matches!(v.ty, Ty::Rec(_) | Ty::List(_)) {
                pool.push((v.name.clone(), v.ty.clone()));
            }
        }
        for t in 0..self.tables.len() {
            let k = self.keys_expr(t, d);
            pool.push((format!("{}[{k}]", self.tables[t].name), Ty::Rec(self.tables[t].rec)));
        }
        if pool.is_empty() {
            return None;
        }
        let (a, ty) = self.rng.pick(&pool).clone();
        let same: Vec<String> = pool.iter().filter(|(_, t)| *t == ty).map(|(n, _)| n.clone()).collect();
        let b = match &ty {
            Ty::List(elem) if self.chance(1, 3) => {
                if elem.has_literal() && self.chance(1, 2) {
                    let n = self.rng.range(1, 3);
                    let items: Vec<String> = (0..n).map(|_| self.expr(elem, d.saturating_sub(1)).s).collect();
                    format!("[{}]", items.join(", "))
                } else {
                    "[]".into()
                }
            }
            _ => self.rng.pick(&same).clone(),
        };
        self.struct_compares += 1;
        let op = if self.chance(1, 2) { "==" } else { "!=" };
        Some(E { s: format!("{a} {op} {b}"), atom: false })
    }

    fn bool_expr(&mut self, d: u32) -> E {
        loop {
            match self.rng.below(15) {
                0 | 1 => {
                    let a = self.expr(&Ty::Bool, d);
                    let b = self.expr(&Ty::Bool, d);
                    return E::infix(&a, if self.chance(1, 2) { "and" } else { "or" }, &b);
                }
                2 => {
                    let a = self.expr(&Ty::Bool, d);
                    return E::atom(format!("not {}", a.op()));
                }
                3..=5 => {
                    let t = self.some_type(|t| t.is_numeric() || *t == Ty::Date);
                    let a = self.subject(&t, d);
                    let b = self.expr(&t, d);
                    let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                    return E::infix(&a, op, &b);
                }
                6 => {
                    let t = self.some_type(|t| matches!(t, Ty::Enum(_) | Ty::Text | Ty::Bool | Ty::Int | Ty::Money | Ty::Date));
                    let a = self.subject(&t, d);
                    let b = self.expr(&t, d);
                    return E::infix(&a, if self.chance(2, 3) { "==" } else { "!=" }, &b);
                }
                7 => {
                    let t = self.some_type(|t| matches!(t, Ty::Enum(_) | Ty::Text | Ty::Int));
                    let x = self.subject(&t, d);
                    let n = self.rng.range(1, 4);
                    let items: Vec<String> = (0..n).map(|_| self.literal(&t)).collect();
                    let list_vars: Vec<String> =
                        self.vars.iter().filter(|v| v.ty == Ty::List(Box::new(t.clone()))).map(|v| v.name.clone()).collect();
                    let set = if !list_vars.is_empty() && self.chance(1, 2) {
                        self.rng.pick(&list_vars).clone()
                    } else if self.chance(1, 4) && t == Ty::Int {
                        format!("[{}]", items.join(", "))
                    } else {
                        format!("{{{}}}", items.join(", "))
                    };
                    return E { s: format!("{} in {set}", x.op()), atom: false };
                }
                8 => {
                    let head = *self.rng.pick(&["any", "all"]);
                    if let Some(e) = self.over_list(head, d, |_, _| true, |_, _, _| Some(String::new())) {
                        return e;
                    }
                }
                // A function reads no fact, so it asks after none.
                9 if !self.in_fn => {
                    let inputs: Vec<String> = self.vars.iter().filter(|v| matches!(v.kind, Kind::Input)).map(|v| v.name.clone()).collect();
                    if !inputs.is_empty() {
                        let i = self.rng.pick(&inputs).clone();
                        return E::atom(format!("present({i})"));
                    }
                }
                10 => {
                    if !self.tables.is_empty() {
                        let t = self.rng.index(self.tables.len());
                        let k = self.keys_expr(t, d);
                        return E::atom(format!("exists({}[{k}])", self.tables[t].name));
                    }
                }
                11 => {
                    let a = self.expr(&Ty::Bool, d);
                    let b = self.expr(&Ty::Bool, d);
                    return E::infix(&a, if self.chance(1, 2) { "==" } else { "!=" }, &b);
                }
                12 => {
                    if let Some(e) = self.struct_compare(d) {
                        return e;
                    }
                }
                _ => {
                    // Dates within a period: `a <= b + 12 months`.
                    let a = self.expr(&Ty::Date, d);
                    let b = self.date_expr(d);
                    let op = *self.rng.pick(&["<", "<=", ">", ">="]);
                    return E::infix(&a, op, &b);
                }
            }
        }
    }

    fn int_expr(&mut self, d: u32) -> E {
        loop {
            match self.rng.below(16) {
                0..=2 => return self.arith(&Ty::Int, d),
                3 => {
                    let a = self.expr(&Ty::Int, d);
                    let b = self.expr(&Ty::Int, d);
                    return E::infix(&a, "*", &b);
                }
                4 => {
                    if let Some(e) = self.over_list("count", d, |_, _| true, |_, _, _| Some(String::new())) {
                        return e;
                    }
                }
                5 => {
                    let f = *self.rng.pick(&["year", "month", "day"]);
                    let a = self.expr(&Ty::Date, d);
                    return E::atom(format!("{f}({})", a.s));
                }
                6 | 13 => {
                    let f = *self.rng.pick(&["age", "days_between"]);
                    let a = self.expr(&Ty::Date, d);
                    let b = self.expr(&Ty::Date, d);
                    return E::atom(format!("{f}({}, {})", a.s, b.s));
                }
                7 => {
                    let head = if self.chance(2, 3) { "sum" } else { "max" };
                    if let Some(e) = self.aggregate(head, &Ty::Int, d) {
                        return e;
                    }
                }
                8 => return self.minmax(&Ty::Int, d),
                9 => {
                    let a = self.expr(&Ty::Int, d);
                    return E::atom(format!("abs({})", a.s));
                }
                10 => {
                    let a = self.expr(&Ty::Int, d);
                    return E::atom(format!("clamp({}, 0, {})", a.s, self.rng.range(1, 100)));
                }
                11 => {
                    if let Some(e) = self.scale(&Ty::Int, d) {
                        return e;
                    }
                }
                12 => {
                    let a = self.expr(&Ty::Int, d);
                    return E::atom(format!("-{}", a.op()));
                }
                _ => return self.leaf(&Ty::Int),
            }
        }
    }

    fn dec_expr(&mut self, d: u32) -> E {
        loop {
            match self.rng.below(12) {
                0 | 1 => return self.arith(&Ty::Dec, d),
                2 => {
                    let a = self.expr(&Ty::Dec, d);
                    let b = self.expr(&Ty::Dec, d);
                    return E::infix(&a, "*", &b);
                }
                3 => {
                    let a = self.expr(&Ty::Int, d);
                    let b = if self.chance(1, 2) { self.expr(&Ty::Int, d) } else { E::atom(self.positive(&Ty::Int)) };
                    return E::infix(&a, "/", &b);
                }
                4 => {
                    let t = if self.chance(1, 2) { Ty::Money } else { Ty::Pct };
                    let a = self.expr(&t, d);
                    let b = if self.chance(1, 2) { self.expr(&t, d) } else { E::atom(self.positive(&t)) };
                    return E::infix(&a, "/", &b);
                }
                5 => {
                    if let Some(e) = self.aggregate("avg", &Ty::Int, d) {
                        return e;
                    }
                }
                6 => {
                    let a = self.expr(&Ty::Dec, d);
                    let mode = *self.rng.pick(&["", ", half_up", ", half_even", ", down", ", up", ", floor", ", ceiling"]);
                    return E::atom(format!("round({}, {}{mode})", a.s, self.rng.range(0, 3)));
                }
                7 => return self.minmax(&Ty::Dec, d),
                8 => {
                    if let Some(e) = self.scale(&Ty::Dec, d) {
                        return e;
                    }
                }
                _ => return self.leaf(&Ty::Dec),
            }
        }
    }

    fn money_expr(&mut self, d: u32) -> E {
        loop {
            match self.rng.below(18) {
                0..=2 => return self.arith(&Ty::Money, d),
                3 | 4 => {
                    let s = self.some_type(Ty::is_scalar);
                    let a = self.expr(&Ty::Money, d);
                    let b = self.expr(&s, d);
                    return if self.chance(1, 2) { E::infix(&a, "*", &b) } else { E::infix(&b, "*", &a) };
                }
                5 => {
                    let a = self.expr(&Ty::Money, d);
                    let s = self.some_type(Ty::is_scalar);
                    let b = E::atom(self.positive(&s));
                    return E::infix(&a, "/", &b);
                }
                6 | 7 => {
                    if let Some(e) = self.scale(&Ty::Money, d) {
                        return e;
                    }
                }
                8 => {
                    let head = *self.rng.pick(&["sum", "sum", "min", "max", "avg"]);
                    if let Some(e) = self.aggregate(head, &Ty::Money, d) {
                        return e;
                    }
                }
                9 => return self.minmax(&Ty::Money, d),
                10 => {
                    let a = self.expr(&Ty::Money, d);
                    let lo = self.literal(&Ty::Money);
                    let hi = self.positive(&Ty::Money);
                    return E::atom(format!("clamp({}, {lo}, {hi})", a.s));
                }
                11 => {
                    let a = self.expr(&Ty::Money, d);
                    let mode = *self.rng.pick(&["", ", half_even", ", down", ", up", ", floor", ", ceiling"]);
                    let places = if self.chance(1, 8) { self.expr(&Ty::Int, 0).s } else { self.rng.range(0, 2).to_string() };
                    return E::atom(format!("round({}, {places}{mode})", a.s));
                }
                12 => {
                    let a = self.expr(&Ty::Money, d);
                    return E::atom(format!("abs({})", a.s));
                }
                13 => {
                    let a = self.expr(&Ty::Money, d);
                    return E::atom(format!("-{}", a.op()));
                }
                _ => return self.leaf(&Ty::Money),
            }
        }
    }

    fn pct_expr(&mut self, d: u32) -> E {
        match self.rng.below(9) {
            0 | 1 => self.arith(&Ty::Pct, d),
            2 => {
                let a = self.expr(&Ty::Pct, d);
                let b = self.expr(&Ty::Pct, d);
                E::infix(&a, "*", &b)
            }
            3 => {
                let a = self.expr(&Ty::Pct, d);
                let b = self.expr(&Ty::Int, d);
                E::infix(&a, "*", &b)
            }
            4 => {
                let a = self.expr(&Ty::Pct, d);
                let b = E::atom(self.positive(&Ty::Int));
                E::infix(&a, "/", &b)
            }
            5 => self.minmax(&Ty::Pct, d),
            6 => {
                let a = self.expr(&Ty::Pct, d);
                E::atom(format!("round({}, 4)", a.s))
            }
            _ => self.leaf(&Ty::Pct),
        }
    }

    fn date_expr(&mut self, d: u32) -> E {
        match self.rng.below(8) {
            0..=2 => {
                let a = self.expr(&Ty::Date, d);
                let b = self.expr(&Ty::Dur, d);
                E::infix(&a, if self.chance(2, 3) { "+" } else { "-" }, &b)
            }
            3 => self.minmax(&Ty::Date, d),
            4 => {
                let head = if self.chance(1, 2) { "min" } else { "max" };
                match self.aggregate(head, &Ty::Date, d) {
                    Some(e) => e,
                    None => self.leaf(&Ty::Date),
                }
            }
            // The benefit's date.
            5 if !self.in_dated_by && !self.in_fn => E::atom("as_of"),
            _ => self.leaf(&Ty::Date),
        }
    }

    fn qty_expr(&mut self, u: usize, d: u32) -> E {
        let ty = Ty::Qty(u);
        match self.rng.below(8) {
            0 | 1 => self.arith(&ty, d),
            2 => {
                let a = self.expr(&ty, d);
                let s = self.some_type(Ty::is_scalar);
                let b = self.expr(&s, d);
                E::infix(&a, "*", &b)
            }
            3 | 4 => {
                let from: Vec<usize> = self
                    .convs
                    .iter()
                    .filter_map(|&(a, b)| {
                        if a == u {
                            Some(b)
                        } else if b == u {
                            Some(a)
                        } else {
                            None
                        }
                    })
                    .collect();
                if from.is_empty() {
                    return self.leaf(&ty);
                }
                let f = *self.rng.pick(&from);
                let x = self.expr(&Ty::Qty(f), d);
                E::atom(format!("{} as {}", x.op(), self.units[u]))
            }
            5 => self.aggregate("sum", &ty, d).unwrap_or_else(|| self.leaf(&ty)),
            _ => self.leaf(&ty),
        }
    }

    // -------------------------------------------------------------- declarations

    fn declare(&mut self, name: String, ty: Ty, kind: Kind) {
        self.vars.push(Var { name, ty, kind });
    }

    /// Writes `name` as the policy being written refers to it.
    fn qualified(alias: Option<&str>, name: &str) -> String {
        match alias {
            Some(a) => format!("{a}.{name}"),
            None => name.to_string(),
        }
    }

    /// A type's name as written in the policy that declares it (imported
    /// names lose their alias).
    fn local_type_name(&self, ty: &Ty, alias: Option<&str>) -> String {
        let n = self.type_name(ty);
        match alias {
            Some(a) => n.strip_prefix(&format!("{a}.")).map(str::to_string).unwrap_or(n),
            None => n,
        }
    }

    fn gen_unit(&mut self, alias: Option<&str>) -> String {
        let name = format!("{}_{}", self.rng.pick(&["clock_hour", "lesson_hour", "km"]), self.units.len());
        self.units.push(Self::qualified(alias, &name));
        format!("unit {name} \"单位\"")
    }

    fn gen_enum(&mut self, alias: Option<&str>) -> String {
        let i = self.enums.len();
        let name = format!("{}{i}", self.rng.pick(&["level", "group", "kind"]));
        let n = self.rng.range(1, 5) as usize;
        let mut words: Vec<&str> = VARIANT_WORDS.to_vec();
        let mut variants = Vec::new();
        for _ in 0..n {
            let w = words.remove(self.rng.index(words.len()));
            variants.push(format!("{w}_{i}"));
        }
        let body: Vec<String> = variants.iter().map(|v| if self.rng.chance(1, 2) { format!("{v} \"{v}\"") } else { v.clone() }).collect();
        self.enums.push(EnumG { name: Self::qualified(alias, &name), variants, imported: alias.is_some() });
        format!("enum {name} \"类别\" {{ {} }}", body.join(", "))
    }

    fn gen_param(&mut self, alias: Option<&str>) -> String {
        let ty = self.rng.pick(&[Ty::Money, Ty::Money, Ty::Pct, Ty::Int, Ty::Date, Ty::Bool]).clone();
        let name = self.fresh("standard");
        let mut lines = Vec::new();
        let mut day = self.date(2016, 2021);
        for _ in 0..self.rng.range(1, 3) {
            let value = self.literal(&ty);
            let cite = self.cite();
            let next = day + chrono::Duration::days(self.rng.range(200, 1500));
            if self.chance(1, 3) {
                // An `until` that ends before the next version (a gap, maybe).
                let until = next - chrono::Duration::days(self.rng.range(1, 100));
                lines.push(format!("  from {day} until {until} => {value}{cite}"));
            } else {
                lines.push(format!("  from {day} => {value}{cite}"));
            }
            day = next;
        }
        let (label, cite) = (self.label(), self.cite());
        let text = format!("param {name}: {} {label}{cite} {{\n{}\n}}", self.local_type_name(&ty, alias), lines.join("\n"));
        self.declare(Self::qualified(alias, &name), ty, Kind::Param);
        text
    }

    /// A table and the assertions over it (which must hold, or the policy
    /// does not compile).
    fn gen_table(&mut self, alias: Option<&str>) -> Vec<String> {
        let i = self.tables.len();
        let name = format!("catalogue{i}");
        let mut key_types = vec![Ty::Int, Ty::Text];
        key_types.extend((0..self.enums.len()).map(Ty::Enum));
        let n_keys = if self.chance(1, 3) { 2 } else { 1 };
        let mut fields: Vec<(String, Ty)> = Vec::new();
        for k in 0..n_keys {
            let t = self.rng.pick(&key_types).clone();
            fields.push((format!("key{k}"), t));
        }
        let mut value_pool = vec![("amount", Ty::Money), ("persons", Ty::Int), ("share", Ty::Pct), ("note", Ty::Text)];
        value_pool.extend((0..self.enums.len()).map(|e| ("level", Ty::Enum(e))).take(1));
        for _ in 0..self.rng.range(1, 3) {
            let (n, t) = value_pool.remove(self.rng.index(value_pool.len()));
            fields.push((n.to_string(), t));
        }
        let rec = self.recs.len();
        self.recs.push(RecG { name: format!("{name}.row"), fields: fields.clone() });
        let mut rows: Vec<Vec<(String, i64)>> = Vec::new();
        for _ in 0..self.rng.range(1, 6) {
            let mut row = Vec::new();
            for (_, t) in &fields {
                let v = self.rng.range(0, 40);
                row.push(match t {
                    Ty::Int => (v.to_string(), v),
                    Ty::Money => (format!("{} yuan", v * 100), v * 100),
                    Ty::Pct => (format!("{v}%"), v),
                    Ty::Text => (format!("\"{}\"", self.rng.pick(TEXTS)), 0),
                    Ty::Enum(e) => (self.rng.pick(&self.enums[*e].variants).clone(), 0),
                    _ => unreachable!(),
                });
            }
            let key: Vec<&String> = row[..n_keys].iter().map(|c| &c.0).collect();
            if !rows.iter().any(|r| r[..n_keys].iter().map(|c| &c.0).collect::<Vec<_>>() == key) {
                rows.push(row);
            }
        }
        let cols = |fs: &[(String, Ty)], g: &Gen| {
            fs.iter().map(|(n, t)| format!("{n}: {}", g.local_type_name(t, alias))).collect::<Vec<_>>().join(", ")
        };
        let body: Vec<String> = rows
            .iter()
            .map(|r| {
                let k: Vec<&str> = r[..n_keys].iter().map(|c| c.0.as_str()).collect();
                let v: Vec<&str> = r[n_keys..].iter().map(|c| c.0.as_str()).collect();
                format!("  {} => {}{}", k.join(", "), v.join(", "), if self.rng.chance(1, 4) { ";" } else { "" })
            })
            .collect();
        let (label, cite) = (self.label(), self.cite());
        let mut out = vec![format!(
            "table {name}({}) -> ({}) {label}{cite} {{\n{}\n}}",
            cols(&fields[..n_keys], self),
            cols(&fields[n_keys..], self),
            body.join("\n")
        )];
        self.tables.push(TableG { name: Self::qualified(alias, &name), rec, keys: n_keys, rows: rows.clone() });
        self.declare(Self::qualified(alias, &name), Ty::List(Box::new(Ty::Rec(rec))), Kind::Table);
        let cite = self.cite();
        out.push(format!("assert rows_{i}: count(r in {name}) == {} \"行数\"{cite}", rows.len()));
        for (c, (col, t)) in fields.iter().enumerate().skip(n_keys) {
            let total: i64 = rows.iter().map(|r| r[c].1).sum();
            let total = match t {
                Ty::Int => total.to_string(),
                Ty::Money => format!("{total} yuan"),
                Ty::Pct => format!("{total}%"),
                _ => continue,
            };
            out.push(format!("assert {col}_total_{i}: sum(r.{col} for r in {name}) == {total} \"合计\""));
        }
        if self.chance(1, 2) {
            let r = self.rng.pick(&rows).clone();
            let k: Vec<&str> = r[..n_keys].iter().map(|c| c.0.as_str()).collect();
            out.push(format!("assert row_value_{i}: {name}[{}].{} == {} \"标准\"", k.join(", "), fields[n_keys].0, r[n_keys].0));
        }
        out
    }

    /// A policy for the generated one to import: its id and text. What it
    /// declares is registered under the import's alias.
    fn library(&mut self) -> (String, String) {
        let id = format!("gen.shared{}", self.rng.below(1000));
        self.lib_alias = if self.chance(1, 2) { "lib".to_string() } else { id.rsplit('.').next().unwrap_or("").to_string() };
        let alias = self.lib_alias.clone();
        let alias = Some(alias.as_str());
        let saved = std::mem::take(&mut self.clauses);
        let mut decls = vec![format!("policy {id} \"共用标准\"\n  in_force 2016-01-01 ..")];
        if self.chance(1, 2) {
            let d = self.gen_unit(alias);
            decls.push(d);
        }
        for _ in 0..self.rng.range(1, 2) {
            let d = self.gen_enum(alias);
            decls.push(d);
        }
        for _ in 0..self.rng.range(0, 2) {
            let d = self.gen_param(alias);
            decls.push(d);
        }
        let d = self.gen_table(alias);
        decls.extend(d);
        self.clauses = saved;
        (id, decls.join("\n\n") + "\n")
    }

    fn generate(mut self) -> Generated {
        let mut out = String::new();
        let mut decls: Vec<String> = Vec::new();

        // Header.
        out.push_str(&format!("# Generated policy {}.\n", self.id));
        out.push_str(&format!("policy {} \"生成的政策\"\n", self.id));
        if self.chance(3, 4) {
            out.push_str(&format!("  document \"生〔{}〕{}号\"\n", self.rng.range(2018, 2024), self.rng.range(1, 99)));
        }
        if self.chance(1, 2) {
            out.push_str("  issuer \"人力资源和社会保障局\"\n  region \"嘉兴市\"\n");
        }
        if self.chance(1, 2) {
            out.push_str(&format!("  issued {}\n", self.date(2018, 2022)));
        }
        let from = self.date(2016, 2019);
        let until = self.date(2026, 2029);
        match self.rng.below(6) {
            0 => out.push_str(&format!("  in_force {from} ..\n")),
            1 => out.push_str(&format!("  in_force .. {until}\n")),
            _ => out.push_str(&format!("  in_force {from} .. {until}\n")),
        }
        let source_name = format!("{}.source.txt", self.id.replace('.', "_"));
        let with_source = self.chance(3, 4);
        if with_source {
            out.push_str(&format!("  source \"{source_name}\"\n"));
        }
        if self.chance(1, 2) {
            out.push_str("  version \"1\"\n");
        }
        out.push('\n');

        // Clause map, and the document its quotes come from.
        const NUMBERS: &[&str] = &["一", "二", "三", "三（一）", "三（二）", "四", "五（一）", "附件1"];
        let n_clauses = self.rng.range(0, NUMBERS.len() as i64) as usize;
        let mut clause_lines = Vec::new();
        for number in NUMBERS.iter().take(n_clauses) {
            self.clauses.push((*number).to_string());
            if self.chance(3, 4) {
                let words: Vec<&str> = (0..self.rng.range(2, 6)).map(|_| *self.rng.pick(QUOTE_WORDS)).collect();
                let quote = format!("{}{}", words.join(""), self.rng.range(1, 5000));
                clause_lines.push(format!("clause \"{number}\" \"条款\" quote \"{quote}\""));
                self.quotes.push(quote);
            } else {
                clause_lines.push(format!("clause \"{number}\" not_computable \"procedure\""));
            }
        }
        let mut source = String::from("生成的政策\n");
        for q in &self.quotes {
            // The checker ignores whitespace: break the quote across lines.
            let chars: Vec<char> = q.chars().collect();
            let cut = chars.len() / 2;
            source.push_str(&format!("  {}\n   {}。\n", chars[..cut].iter().collect::<String>(), chars[cut..].iter().collect::<String>()));
        }
        if !with_source {
            self.quotes.clear(); // quotes in cites are verified only with a source
        }
        decls.push(clause_lines.join("\n"));

        // A shared policy imported with `use`, declaring units, enums, parameters and tables.
        let library = if self.chance(1, 3) { Some(self.library()) } else { None };
        if let Some((lib_id, _)) = &library {
            let alias = self.lib_alias.clone();
            if alias == "lib" {
                decls.push(format!("use {lib_id} as lib"));
            } else {
                decls.push(format!("use {lib_id}"));
            }
        }

        // Units and conversions.
        let first_unit = self.units.len();
        for _ in 0..self.rng.range(0, 2) {
            let d = self.gen_unit(None);
            decls.push(d);
        }
        if self.units.len() == first_unit + 2 && self.chance(3, 4) {
            let (a, b) = (self.rng.range(1, 5), self.rng.range(1, 5));
            let cite = self.cite();
            decls.push(format!("convert {a} {} = {b} {}{cite}", self.units[first_unit], self.units[first_unit + 1]));
            self.convs.push((first_unit, first_unit + 1));
        }

        // Enums.
        for _ in 0..self.rng.range(0, 3) {
            let d = self.gen_enum(None);
            decls.push(d);
        }

        // Records.
        for i in 0..self.rng.range(0, 2) {
            let mut fields = vec![("year".to_string(), Ty::Int)];
            let mut pool = vec![
                ("occupation", Ty::Text),
                ("paid", Ty::Money),
                ("passed", Ty::Bool),
                ("issued", Ty::Date),
                ("share", Ty::Pct),
                ("days", Ty::Int),
            ];
            pool.extend((0..self.enums.len()).map(|e| ("level", Ty::Enum(e))).take(1));
            pool.extend((0..self.units.len()).map(|u| ("hours", Ty::Qty(u))).take(1));
            for _ in 0..self.rng.range(1, 4) {
                let (n, t) = pool.remove(self.rng.index(pool.len()));
                fields.push((n.to_string(), t));
            }
            let name = format!("claim{i}");
            let body: Vec<String> = fields.iter().map(|(n, t)| format!("{n}: {} \"字段\"", self.type_name(t))).collect();
            decls.push(format!("record {name} \"记录\" {{\n  {},\n}}", body.join(",\n  ")));
            self.recs.push(RecG { name, fields });
        }

        // Inputs.
        let mut input_lines = Vec::new();
        let mut input_types = vec![Ty::Bool, Ty::Bool, Ty::Int, Ty::Int, Ty::Money, Ty::Pct, Ty::Date, Ty::Date, Ty::Text];
        input_types.extend((0..self.enums.len()).map(Ty::Enum));
        input_types.extend((0..self.units.len()).map(Ty::Qty));
        // Records declared with `record` (not table rows).
        let records: Vec<usize> = (0..self.recs.len()).filter(|&r| !self.recs[r].name.ends_with(".row")).collect();
        input_types.extend(records.iter().map(|&r| Ty::List(Box::new(Ty::Rec(r)))));
        if self.chance(1, 3) {
            input_types.push(Ty::Dec);
        }
        if self.chance(1, 3) {
            input_types.push(Ty::List(Box::new(Ty::Int)));
        }
        if self.chance(1, 4) {
            input_types.push(Ty::List(Box::new(Ty::Text)));
        }
        if self.chance(1, 4) {
            input_types.push(Ty::Dur);
        }
        if !records.is_empty() && self.chance(1, 3) {
            input_types.push(Ty::Rec(records[0]));
        }
        if self.chance(1, 3) {
            input_types.push(Ty::Date); // becomes `application_date`
        }
        let mut app_date = false;
        for ty in input_types {
            if self.chance(1, 6) {
                continue;
            }
            let name = if ty == Ty::Date && !app_date && self.chance(1, 3) {
                app_date = true;
                "application_date".to_string()
            } else {
                let base = match &ty {
                    Ty::Bool => "has",
                    Ty::Int => "days",
                    Ty::Dec => "ratio",
                    Ty::Money => "income",
                    Ty::Pct => "attendance",
                    Ty::Date => "start_date",
                    Ty::Dur => "period",
                    Ty::Text => "region",
                    Ty::Enum(_) => "lvl",
                    Ty::Qty(_) => "hours",
                    Ty::List(t) if **t == Ty::Int => "scores",
                    Ty::List(t) if **t == Ty::Text => "regions",
                    Ty::List(_) => "history",
                    Ty::Rec(_) => "applicant",
                };
                self.fresh(base)
            };
            // A range, and a default inside it.
            let (range, low) = match &ty {
                Ty::Int => {
                    *self.rng.pick(&[("", "0"), (" in 0 .. 365", "0"), (" in 1 ..", "1"), (" in 0 .. 60", "30"), (" in -5 .. 5", "-5")])
                }
                Ty::Money => *self.rng.pick(&[("", "0 yuan"), (" in 0 yuan .. 20000 yuan", "800 yuan"), (" in 0 yuan ..", "0 yuan")]),
                Ty::Pct => *self.rng.pick(&[(" in 0% .. 100%", "70%"), (" in 0% .. 100%", "0%"), (" in 50% ..", "50%")]),
                Ty::Dec => *self.rng.pick(&[("", "1.5"), (" in 0.0 .. 10.5", "0.0")]),
                _ => ("", ""),
            };
            let range = match &ty {
                Ty::Qty(u) if self.chance(1, 2) => format!(" in 0 {} ..", self.units[*u]),
                _ => range.to_string(),
            };
            let optional = match &ty {
                Ty::List(_) => self.chance(2, 3),
                Ty::Rec(_) => false,
                _ => self.chance(1, 5),
            };
            let default = if !optional {
                String::new()
            } else {
                match &ty {
                    Ty::List(t) if **t == Ty::Int && self.chance(1, 2) => " default [60, 80]".into(),
                    Ty::List(_) => " default []".into(),
                    _ if !low.is_empty() => format!(" default {low}"),
                    t => format!(" default {}", self.literal(t)),
                }
            };
            let label = self.label();
            input_lines.push(format!("input {name}: {}{range}{default} {label}", self.type_name(&ty)));
            self.declare(name, ty, Kind::Input);
        }
        decls.push(input_lines.join("\n"));

        // Parameters with dated versions.
        for _ in 0..self.rng.range(0, 3) {
            let d = self.gen_param(None);
            decls.push(d);
        }

        // Externals.
        for _ in 0..self.rng.range(0, 2) {
            let name = self.fresh("external");
            let (label, cite) = (self.label(), self.cite());
            if self.chance(1, 2) {
                let hi = self.rng.range(1, 20) * 500;
                decls.push(format!(
                    "external {name}: money in 0 yuan .. {hi} yuan {label}\n  set_by \"人力社保部门\" criteria \"产业急需程度\", \"培养等级\"{cite}"
                ));
                self.authority.push(name.clone());
                self.declare(name, Ty::Money, Kind::External);
            } else {
                let ty = self.rng.pick(&[Ty::Money, Ty::Pct]).clone();
                let range = if ty == Ty::Money { " in 0 yuan .. 650 yuan" } else { " in 0% .. 100%" };
                decls.push(format!(
                    "external {name}: {}{range} {label}\n  defined_in \"市级行业主管部门拟定的补贴标准\"{cite}",
                    self.type_name(&ty)
                ));
                self.declare(name, ty, Kind::External);
            }
        }

        // Tables, with assertions over them.
        for _ in 0..self.rng.range(0, 2) {
            let d = self.gen_table(None);
            decls.extend(d);
        }

        // Functions: pure helpers over their parameters (bound as locals),
        // the policy's parameters, tables and constants; called from lets and
        // benefits as `helper_N(args)`.
        for _ in 0..self.rng.range(0, 3) {
            let ret = self.rng.pick(&[Ty::Money, Ty::Int, Ty::Bool]).clone();
            let n = self.rng.range(1, 3);
            let params: Vec<(String, Ty)> = (0..n)
                .map(|_| {
                    let t = self.rng.pick(&[Ty::Money, Ty::Int, Ty::Bool, Ty::Date, Ty::Pct]).clone();
                    (self.fresh("arg"), t)
                })
                .collect();
            let outer = std::mem::replace(&mut self.locals, params.clone());
            self.in_fn = true;
            let body = self.expr(&ret, 2);
            self.in_fn = false;
            self.locals = outer;
            let name = self.fresh("helper");
            let list: Vec<String> = params.iter().map(|(a, t)| format!("{a}: {}", self.type_name(t))).collect();
            let label = if self.chance(1, 2) { format!(" {}", self.label()) } else { String::new() };
            decls.push(format!("fn {name}({}): {} = {}{label}", list.join(", "), self.type_name(&ret), body.s));
            self.fns.push((name, params.into_iter().map(|p| p.1).collect(), ret));
        }

        // Lets, each reading what is declared before it; written in shuffled order.
        let mut lets = Vec::new();
        for _ in 0..self.rng.range(0, 6) {
            let ty = self.some_type(|t| t.has_literal());
            let ty = if self.chance(1, 3) { Ty::Money } else { ty };
            let value = self.expr(&ty, 3);
            let name = self.fresh(match ty {
                Ty::Bool => "qualified",
                Ty::Money => "subsidy",
                Ty::Int => "count",
                Ty::Date => "deadline_day",
                _ => "value",
            });
            let annotation = if self.chance(1, 2) { format!(": {}", self.type_name(&ty)) } else { String::new() };
            let label = if self.chance(1, 2) { format!(" {}", self.label()) } else { String::new() };
            let cite = self.cite();
            lets.push(format!("let {name}{annotation} = {}{label}{cite}", value.s));
            self.declare(name, ty, Kind::Let);
        }
        // A table row as a value: `let entry = catalogue[level]`, read as `entry.amount`.
        for t in 0..self.tables.len() {
            if self.chance(1, 3) {
                let keys = self.keys_expr(t, 1);
                let name = self.fresh("entry");
                let label = self.label();
                lets.push(format!("let {name} = {}[{keys}] {label}", self.tables[t].name));
                let rec = self.tables[t].rec;
                self.declare(name, Ty::Rec(rec), Kind::Let);
            }
        }
        for i in (1..lets.len()).rev() {
            let j = self.rng.index(i + 1);
            lets.swap(i, j);
        }
        decls.push(lets.join("\n"));

        // Benefits. One may read the amounts of those declared after it
        // (`amount_of`: they are decided first), so there is never a cycle.
        let count = self.rng.range(1, 3) as usize;
        for i in 0..count {
            self.readable = (i + 1..count).map(|j| format!("amount_of(benefit_{j})")).collect();
            let b = self.benefit(i);
            self.readable.clear();
            decls.push(b);
        }

        // The clause map may come first or last; the rest keeps its order.
        if self.chance(1, 3) {
            let map = decls.remove(0);
            decls.push(map);
        }
        for d in decls.into_iter().filter(|d| !d.is_empty()) {
            if self.chance(1, 5) {
                out.push_str("# 说明：以下内容按文件规定。\n");
            }
            out.push_str(&d);
            out.push_str("\n\n");
        }
        Generated {
            id: self.id,
            text: out,
            struct_compares: self.struct_compares,
            library,
            source_name: if with_source { source_name } else { String::new() },
            source,
        }
    }

    fn condition(&mut self, kind: &str, n: &mut usize) -> String {
        *n += 1;
        let e = self.expr(&Ty::Bool, 3);
        let cite = self.cite();
        if self.chance(3, 4) {
            let label = self.label();
            format!("  {kind} cond_{n}: {} {label}{cite}", e.s)
        } else {
            // Without an id, the label is the id: keep it unique.
            format!("  {kind} {} \"条件{n}\"{cite}", e.s)
        }
    }

    /// Amount steps after the base `amount`: `cap`, `uplift`, `override`.
    fn amount_steps(&mut self, lines: &mut Vec<String>, n: &mut usize, indent: &str) {
        for _ in 0..self.rng.range(0, 3) {
            *n += 1;
            let cite = self.cite();
            match self.rng.below(4) {
                0 | 1 => {
                    let cap = if self.chance(2, 3) {
                        format!("{} yuan", self.rng.range(1, 60) * 100)
                    } else {
                        self.amount = true;
                        let e = self.expr(&Ty::Money, 2).s;
                        self.amount = false;
                        e
                    };
                    let label = if self.chance(1, 2) { format!(" {}", self.label()) } else { String::new() };
                    lines.push(format!("{indent}cap {cap}{label}{cite}"));
                }
                2 => {
                    let rate = if self.chance(2, 3) { self.literal(&Ty::Pct) } else { self.expr(&Ty::Pct, 1).s };
                    let when = self.expr(&Ty::Bool, 2).s;
                    let until = if self.chance(1, 2) { format!(" until {}", self.date(2019, 2027)) } else { String::new() };
                    let label = self.label();
                    lines.push(format!("{indent}uplift up_{n}: {rate} when {when}{until} {label}{cite}"));
                }
                _ => {
                    let when = self.expr(&Ty::Bool, 2).s;
                    self.amount = true;
                    let value = match self.rng.below(5) {
                        0 => format!("min(amount, {})", self.literal(&Ty::Money)),
                        1 => format!("amount * {}", self.literal(&Ty::Pct)),
                        2 => format!("max(amount, {})", self.literal(&Ty::Money)),
                        _ => self.expr(&Ty::Money, 2).s,
                    };
                    self.amount = false;
                    let label = self.label();
                    lines.push(format!("{indent}override ex_{n}: when {when} => {value} {label}{cite}"));
                }
            }
        }
    }

    fn outcomes(&mut self, lines: &mut Vec<String>, indent: &str) {
        if self.chance(1, 3) {
            let when = if self.chance(1, 2) { format!(" when {}", self.expr(&Ty::Bool, 1).s) } else { String::new() };
            let cite = self.cite();
            lines.push(format!("{indent}entitle \"高技能人才\"{when}{cite}"));
        }
        if self.chance(1, 3) {
            let e = self.expr(&Ty::Date, 2).s;
            let cite = self.cite();
            lines.push(format!("{indent}deadline \"申请截止日\" {e}{cite}"));
        }
        for _ in 0..self.rng.range(0, 2) {
            let when = if self.chance(1, 2) { format!(" when {}", self.expr(&Ty::Bool, 1).s) } else { String::new() };
            let cite = self.cite();
            lines.push(format!("{indent}needs \"补贴资金申请表\"{when}{cite}"));
        }
    }

    /// A benefit's `amount`: the authority-set external when the benefit has
    /// one, else any money expression (which may read an external too).
    fn base_amount(&mut self) -> String {
        if self.range_amount {
            return self.rng.pick(&self.authority).clone();
        }
        self.expr(&Ty::Money, 3).s
    }

    fn benefit(&mut self, i: usize) -> String {
        let mut lines = vec![format!("benefit benefit_{i} {} {{", self.label())];
        self.range_amount = !self.authority.is_empty() && self.chance(1, 3);
        let mut n = 0;
        if self.chance(3, 4) {
            lines.push(format!(
                "  payee {}",
                self.rng.pick(&["person", "enterprise", "training_institution", "evaluation_institution", "organiser"])
            ));
        }
        let cite = self.cite();
        if !cite.is_empty() {
            lines.push(format!(" {cite}"));
        }
        if self.chance(1, 3) {
            lines.push(format!("  per {}", self.rng.pick(&["year", "month", "day", "person", "claim", "project"])));
        }
        if self.chance(1, 2) {
            self.in_dated_by = true;
            let e = self.expr(&Ty::Date, 1).s;
            self.in_dated_by = false;
            let label = if self.chance(1, 2) { " \"以证书发放日期为准\"" } else { "" };
            lines.push(format!("  dated_by {e}{label}"));
        }
        if self.chance(1, 3) {
            let c = self.condition("applies_when", &mut n);
            lines.push(c);
        }
        for _ in 0..self.rng.range(0, 2) {
            let c = self.condition("require", &mut n);
            lines.push(c);
        }
        if self.chance(1, 3) {
            let c = self.condition("exclude", &mut n);
            lines.push(c);
        }
        let has_amount = self.chance(5, 6);
        if has_amount {
            let a = self.base_amount();
            let label = if self.chance(1, 2) { format!(" {}", self.label()) } else { String::new() };
            let cite = self.cite();
            lines.push(format!("  amount {a}{label}{cite}"));
            self.amount_steps(&mut lines, &mut n, "  ");
        }
        self.outcomes(&mut lines, "  ");
        // Values the decision reports besides the amount.
        for k in 0..self.rng.range(0, 3) {
            let ty = self.rng.pick(&[Ty::Bool, Ty::Int, Ty::Dec, Ty::Money, Ty::Pct, Ty::Date]).clone();
            let e = self.expr(&ty, 2).s;
            let annot = if self.chance(1, 2) { format!(": {}", self.type_name(&ty)) } else { String::new() };
            let label = if self.chance(1, 2) { format!(" {}", self.label()) } else { String::new() };
            let cite = self.cite();
            lines.push(format!("  output out_{k}{annot} = {e}{label}{cite}"));
        }
        // Dated versions of the rule.
        if self.chance(1, 3) {
            let mut day = self.date(2016, 2020);
            let versions = self.rng.range(1, 3);
            for v in 0..versions {
                let next = day + chrono::Duration::days(self.rng.range(100, 1500));
                // The last version is usually open-ended; the others may end early (a gap).
                let until = if (v + 1 < versions || self.chance(1, 4)) && self.chance(1, 2) {
                    format!(" until {}", next - chrono::Duration::days(self.rng.range(1, 60)))
                } else {
                    String::new()
                };
                lines.push(format!("  from {day}{until} {{"));
                for _ in 0..self.rng.range(0, 2) {
                    let kind = *self.rng.pick(&["require", "exclude", "applies_when"]);
                    let c = self.condition(kind, &mut n);
                    lines.push(format!("  {c}"));
                }
                let own_amount = !has_amount || self.chance(1, 2);
                if own_amount {
                    let a = self.base_amount();
                    lines.push(format!("    amount {a}"));
                }
                if own_amount || has_amount {
                    self.amount_steps(&mut lines, &mut n, "    ");
                }
                self.outcomes(&mut lines, "    ");
                lines.push("  }".into());
                day = next;
            }
        }
        lines.push("}".into());
        for l in lines.iter_mut().skip(1) {
            if self.rng.chance(1, 12) {
                l.push_str("  # 注：按原文");
            }
        }
        lines.join("\n")
    }
}

// ------------------------------------------------------------------ checking and deciding

/// Prints the policy under test when the thread panics (a panic in the
/// checker or evaluator, or a failed assertion), so it can be reproduced.
struct ShowOnPanic<'a>(&'a str, &'a RefCell<String>);

impl Drop for ShowOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- policy under test ----\n{}\n---- facts ----\n{}", self.0, self.1.borrow());
        }
    }
}

/// The generated policy and the loader that holds it (and its source document).
fn load(g: &Generated) -> MemoryLoader {
    let mut loader = MemoryLoader::new();
    loader.add_policy(&format!("{}.policy", g.id), &g.text);
    if !g.source_name.is_empty() {
        loader.add_document(&g.source_name, &g.source);
    }
    if let Some((id, text)) = &g.library {
        loader.add_policy(&format!("{id}.policy"), text);
    }
    loader
}

/// Checks and compiles the policy: the plan, or every diagnostic.
fn compile(g: &Generated) -> Result<Plan, Vec<String>> {
    let loader = load(g);
    let source = loader.load_policy(&g.id).map_err(|e| vec![e.to_string()])?;
    match policy_eval::compile(&source, &loader) {
        Ok(plan) => Ok(plan),
        Err(EvalError::Policy { diagnostics, .. }) => Err(diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let (line, col) = d.line_col(&g.text);
                let text = g.text.get(d.span.start..d.span.end).unwrap_or("");
                format!("{} {}:{line}:{col} {} — `{text}`", d.code.id, g.id, d.message)
            })
            .collect()),
        Err(e) => Err(vec![e.to_string()]),
    }
}

/// The bound a benefit's amount must respect: the least constant among the
/// `cap`s that end its amount pipeline (for the version that applied).
fn final_cap(p: &CheckedPolicy, benefit: &str, version: Option<NaiveDate>) -> Option<Decimal> {
    let b = p.benefits.iter().find(|b| *b.id == *benefit)?;
    let v = version.and_then(|from| b.versions.iter().find(|v| v.from == from));
    let version_steps: &[AmountStepDef] = v.map(|v| v.rules.amount.as_slice()).unwrap_or(&[]);
    let replaces = version_steps.iter().any(|s| matches!(s, AmountStepDef::Base { .. }));
    let base: &[AmountStepDef] = if replaces { &[] } else { &b.base.amount };
    let mut bound: Option<Decimal> = None;
    for s in base.iter().chain(version_steps).rev() {
        match s {
            AmountStepDef::Cap { expr, .. } => {
                if let CKind::Const(Value::Num(c)) = &expr.kind {
                    bound = Some(bound.map_or(*c, |x| x.min(*c)));
                }
            }
            _ => break,
        }
    }
    bound
}

/// An evaluation error without its particulars (names, numbers, dates).
fn error_kind(e: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in e.chars().take_while(|c| *c != ':' && *c != '(') {
        match c {
            '`' if !quoted => {
                quoted = true;
                out.push('…');
            }
            '`' => quoted = false,
            c if quoted || c.is_ascii_digit() || c == '-' || c == '+' => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

fn without_trace(d: &Decision) -> Decision {
    Decision { trace: None, ..d.clone() }
}

/// What a run saw, for the report and the coverage assertions.
#[derive(Default, Debug)]
struct Stats {
    policies: usize,
    clean: usize,
    rejected: Vec<String>,
    fact_sets: usize,
    facts_rejected: usize,
    statuses: BTreeMap<&'static str, usize>,
    /// Why benefits were not eligible: the first failure's kind, or what
    /// left them undetermined.
    reasons: BTreeMap<String, usize>,
    with_amount: usize,
    with_range: usize,
    constructs: BTreeMap<&'static str, usize>,
    /// Decisions compared with the interpreter, and how many of them the
    /// compiled plan made.
    decisions: usize,
    compiled: usize,
    /// Benefits compiled, and why the others are not.
    coverage: BTreeMap<String, usize>,
}

/// A construct the generator counts as it writes it (no text marks it).
const STRUCT_COMPARE: &str = "== on records or lists";

/// The constructs counted over a run, each with the texts that mark it.
const CONSTRUCTS: &[(&str, &[&str])] = &[
    ("tiers", &["tiers "]),
    ("scale", &["scale "]),
    ("match", &["match "]),
    ("if", &["if "]),
    ("count", &["count("]),
    ("any/all", &["any(", "all("]),
    ("sum", &["sum("]),
    ("avg", &["avg("]),
    ("exists", &["exists("]),
    ("present", &["present("]),
    ("round", &["round("]),
    ("age/days_between", &["age(", "days_between("]),
    ("in set", &[" in {"]),
    ("as unit", &[" as "]),
    ("months", &[" months"]),
    ("table", &["table "]),
    ("assert", &["assert "]),
    ("param", &["param "]),
    ("external set_by", &["set_by "]),
    ("external defined_in", &["defined_in "]),
    ("record", &["record "]),
    ("list input", &[": list "]),
    ("let", &["let "]),
    ("cap", &["  cap "]),
    ("uplift", &["uplift "]),
    ("override", &["override "]),
    ("version block", &["{\n    "]),
    ("dated_by", &["dated_by "]),
    ("applies_when", &["applies_when "]),
    ("exclude", &["exclude "]),
    ("entitle", &["entitle "]),
    ("deadline", &["deadline "]),
    ("needs", &["needs "]),
    ("cite quote", &["quote \""]),
    ("application_date", &["application_date"]),
    ("as_of", &["as_of"]),
    ("fn", &["fn helper_"]),
    ("fn call", &["= helper_", ": helper_", "(helper_", ", helper_", "{ helper_", "=> helper_"]),
    ("dated band width", &["first standard_", "next standard_", "first gen.standard_", "next gen.standard_"]),
    ("use", &["use gen."]),
    ("list of scalars", &[": list int"]),
    ("row let", &["let entry_"]),
    ("output", &["  output out_"]),
    ("amount_of", &["amount_of(benefit_"]),
];

/// Decides `facts` at every trace level and checks the invariants.
fn decide_and_check(plan: &Plan, facts: &policy_eval::Facts, as_of: Option<NaiveDate>, stats: &mut Stats) -> Result<(), TestCaseError> {
    let decide = |level| plan.decide(facts, &DecideOptions { reference_date: as_of, trace: level, ..Default::default() });
    // The compiled plan (trace off) against the interpreter, the reference:
    // the same decision, the same JSON, or the same error.
    let opts = DecideOptions { reference_date: as_of, ..Default::default() };
    let mut decider = plan.decider();
    let compiled = decider.decide(facts, &opts).cloned();
    stats.decisions += 1;
    stats.compiled += usize::from(decider.decided_compiled());
    match (&compiled, plan.decide_reference(facts, &opts)) {
        (Ok(a), Ok(b)) => {
            if *a != b || serde_json::to_string(a).unwrap() != serde_json::to_string(&b).unwrap() {
                return Err(TestCaseError::fail(format!("the compiled plan and the interpreter disagree:\n{a:#?}\n{b:#?}")));
            }
        }
        (Err(a), Err(b)) if a.to_string() == b.to_string() => {}
        (a, b) => return Err(TestCaseError::fail(format!("the compiled plan and the interpreter disagree:\n{a:?}\n{b:?}"))),
    }
    let off = match decide(TraceLevel::Off) {
        Ok(d) => d,
        Err(e) => {
            // Allowed (an error, not a panic), but then every level must agree.
            for level in [TraceLevel::Summary, TraceLevel::Full] {
                if decide(level).is_ok() {
                    return Err(TestCaseError::fail(format!("trace off fails ({e}) but {level:?} decides")));
                }
            }
            return Ok(());
        }
    };
    let again = decide(TraceLevel::Off).unwrap();
    if off != again {
        return Err(TestCaseError::fail(format!("not deterministic:\n{off:#?}\n{again:#?}")));
    }
    if off.trace.is_some() {
        return Err(TestCaseError::fail("a trace with the trace off"));
    }
    for level in [TraceLevel::Summary, TraceLevel::Full] {
        let d = decide(level).map_err(|e| TestCaseError::fail(format!("{level:?} fails: {e}")))?;
        if d.trace.is_none() {
            return Err(TestCaseError::fail(format!("no trace at {level:?}")));
        }
        if without_trace(&d) != off {
            return Err(TestCaseError::fail(format!(
                "the decision at {level:?} differs from trace off:\n{:#?}\n{off:#?}",
                without_trace(&d)
            )));
        }
        if level == TraceLevel::Full {
            let back: Decision = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
            if back != d {
                return Err(TestCaseError::fail("the decision does not survive a JSON round trip"));
            }
        }
    }
    // Deciding one benefit decides the benefits it reads too: the same
    // decision as in the whole.
    for b in &off.benefits {
        let one = plan
            .decide(facts, &DecideOptions { reference_date: as_of, benefits: vec![b.id.to_string()], ..Default::default() })
            .map_err(|e| TestCaseError::fail(format!("deciding {} alone fails: {e}", b.id)))?;
        if one.benefits.len() != 1 || one.benefits[0] != *b {
            return Err(TestCaseError::fail(format!("{} decided alone differs:\n{:#?}\n{b:#?}", b.id, one.benefits)));
        }
        let alone = DecideOptions { reference_date: as_of, benefits: vec![b.id.to_string()], ..Default::default() };
        let took = decider.decide(facts, &alone).map(|d| d == &one).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if !took {
            return Err(TestCaseError::fail(format!("{} decided alone by a reused decider differs", b.id)));
        }
        stats.decisions += 1;
        stats.compiled += usize::from(decider.decided_compiled());
    }
    for b in &off.benefits {
        *stats.statuses.entry(b.status.as_str()).or_default() += 1;
        let declared = plan.policy().benefits.iter().find(|d| *d.id == *b.id).map_or(0, |d| d.outputs.len());
        let reported = if b.status == Status::Eligible { declared } else { 0 };
        if b.outputs.len() != reported {
            return Err(TestCaseError::fail(format!(
                "{}: {} outputs reported, {reported} expected ({:?})",
                b.id,
                b.outputs.len(),
                b.status
            )));
        }
        let reason = match (b.failed.first(), b.missing.first(), b.errors.first()) {
            (Some(f), _, _) => Some(format!("{:?}", f.kind)),
            (None, Some(_), _) => Some("missing".into()),
            (None, None, Some(e)) => Some(error_kind(e)),
            _ => None,
        };
        if let Some(r) = reason {
            *stats.reasons.entry(r).or_default() += 1;
        }
        for e in &b.errors {
            if e.contains("internal") {
                return Err(TestCaseError::fail(format!("{}: internal error: {e}", b.id)));
            }
        }
        let cap = final_cap(plan.policy(), &b.id, b.version);
        if let Some(a) = b.amount {
            stats.with_amount += 1;
            if b.status != Status::Eligible {
                return Err(TestCaseError::fail(format!("{}: an amount with status {:?}", b.id, b.status)));
            }
            if a.is_sign_negative() && !a.is_zero() {
                return Err(TestCaseError::fail(format!("{}: negative amount {a}", b.id)));
            }
            if let Some(c) = cap {
                if a > c {
                    return Err(TestCaseError::fail(format!("{}: amount {a} above its cap {c}", b.id)));
                }
            }
        }
        if let Some(r) = &b.amount_range {
            stats.with_range += 1;
            if r.low.is_sign_negative() && !r.low.is_zero() || r.low > r.high {
                return Err(TestCaseError::fail(format!("{}: amount range {}..{}", b.id, r.low, r.high)));
            }
            if let Some(c) = cap {
                if r.high > c {
                    return Err(TestCaseError::fail(format!("{}: amount range up to {} above its cap {c}", b.id, r.high)));
                }
            }
        }
    }
    Ok(())
}

/// Runs `CASES` generated policies through `body` (given each compiled
/// plan and a seed); returns the statistics.
fn run(name: &str, body: impl Fn(&Plan, u64, &RefCell<String>, &mut Stats) -> Result<(), TestCaseError>) -> Stats {
    let stats = RefCell::new(Stats::default());
    // `PROPTEST_CASES=5000` runs a longer search.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 64, failure_persistence: None, ..Config::default() });
    let started = std::time::Instant::now();
    let result = runner.run(&proptest::prelude::any::<u64>(), |seed| {
        let g = Gen::new(seed).generate();
        let shown_text = match &g.library {
            Some((_, lib)) => format!("{}\n---- the policy it imports ----\n{lib}", g.text),
            None => g.text.clone(),
        };
        let facts_shown = RefCell::new(String::new());
        let _show = ShowOnPanic(&shown_text, &facts_shown);
        let compiled = compile(&g);
        let mut s = stats.borrow_mut();
        s.policies += 1;
        let plan = match compiled {
            Ok(plan) => plan,
            Err(diags) => {
                if s.rejected.len() < 5 {
                    s.rejected.push(format!("seed {seed}:\n{}\n{shown_text}", diags.join("\n")));
                }
                return Ok(());
            }
        };
        s.clean += 1;
        for (_, why) in plan.compiled_coverage() {
            *s.coverage.entry(why.unwrap_or_else(|| "compiled".into())).or_default() += 1;
        }
        for (c, markers) in CONSTRUCTS {
            if markers.iter().any(|m| g.text.contains(m)) {
                *s.constructs.entry(*c).or_default() += 1;
            }
        }
        if g.struct_compares > 0 {
            *s.constructs.entry(STRUCT_COMPARE).or_default() += 1;
        }
        body(&plan, seed, &facts_shown, &mut s)
            .map_err(|e| TestCaseError::fail(format!("{e}\nseed {seed}\n{shown_text}\nfacts: {}", facts_shown.borrow())))
    });
    let stats = stats.into_inner();
    eprintln!(
        "{name}: {} policies ({} clean) in {:.1?}; {} fact sets ({} rejected); statuses {:?}; {} amounts, {} ranges",
        stats.policies,
        stats.clean,
        started.elapsed(),
        stats.fact_sets,
        stats.facts_rejected,
        stats.statuses,
        stats.with_amount,
        stats.with_range
    );
    eprintln!("why not eligible: {:?}", stats.reasons);
    eprintln!("compiled plan: {} of {} decisions compared with the interpreter", stats.compiled, stats.decisions);
    eprintln!("benefits compiled, or why not: {:?}", stats.coverage);
    eprintln!("constructs in clean policies: {:?}", stats.constructs);
    if let Err(e) = result {
        panic!("{e}");
    }
    for r in &stats.rejected {
        eprintln!("---- rejected policy ----\n{r}");
    }
    stats
}

fn assert_coverage(stats: &Stats) {
    assert!(
        stats.clean * 10 >= stats.policies * 9,
        "only {} of {} generated policies check clean; the first rejected:\n{}",
        stats.clean,
        stats.policies,
        stats.rejected.join("\n\n")
    );
    for c in CONSTRUCTS.iter().map(|(c, _)| *c).chain([STRUCT_COMPARE]) {
        assert!(stats.constructs.get(c).copied().unwrap_or(0) > 0, "no clean policy used {c}");
    }
}

#[test]
fn generated_policies_check_and_decide_consistently() {
    let stats = run("well-typed facts", |plan, seed, shown, stats| {
        for k in 0..FACT_SETS {
            let (json, as_of) = gen_facts(plan, seed.wrapping_add(k.wrapping_mul(0x9E37_79B9)));
            *shown.borrow_mut() = json.to_string();
            let facts = plan.facts_from_json(&json).map_err(|e| TestCaseError::fail(format!("generated facts rejected: {e}")))?;
            stats.fact_sets += 1;
            // Every fourth set decides without a reference date (then the
            // `application_date` fact, when declared, is the date).
            let app_date = plan.policy().inputs.iter().any(|i| i.name == "application_date");
            let as_of = if k % 4 == 3 && app_date { None } else { Some(as_of) };
            decide_and_check(plan, &facts, as_of, stats)?;
        }
        Ok(())
    });
    assert_coverage(&stats);
    let decided: usize = stats.statuses.values().sum();
    assert!(stats.statuses.get("eligible").copied().unwrap_or(0) * 20 >= decided, "fewer than 5 % eligible: {:?}", stats.statuses);
    assert!(stats.with_amount > 0 && stats.with_range > 0, "no amounts or no amount ranges decided");
    // The compiled plan must keep deciding a good share (measured: about
    // 38 %; the rest has a missing fact, an error, no row or no tier, or a
    // benefit that may exceed the step budget, and deoptimises).
    assert!(stats.compiled * 5 >= stats.decisions, "the compiled plan decided only {} of {} decisions", stats.compiled, stats.decisions);
}

#[test]
fn generated_policies_survive_wild_facts() {
    let stats = run("wild facts", |plan, seed, shown, stats| {
        for k in 0..WILD_FACT_SETS {
            let (json, as_of) = gen_wild_facts(plan, seed ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03));
            *shown.borrow_mut() = json.to_string();
            stats.fact_sets += 1;
            match plan.facts_from_json(&json) {
                Ok(facts) => decide_and_check(plan, &facts, as_of, stats)?,
                Err(EvalError::Facts(errors)) if !errors.is_empty() => stats.facts_rejected += 1,
                Err(e) => return Err(TestCaseError::fail(format!("facts rejected without a fact error: {e}"))),
            }
        }
        // Not an object at all.
        if plan.facts_from_json(&serde_json::json!([1, 2])).is_ok() {
            return Err(TestCaseError::fail("an array accepted as facts"));
        }
        Ok(())
    });
    assert_coverage(&stats);
    assert!(stats.facts_rejected > 0 && stats.facts_rejected < stats.fact_sets, "wild facts were all accepted or all rejected");
}

/// A decision made while a fact is missing stands for every value of that
/// fact: remove one fact at a time from a generated fact set; wherever a
/// benefit is still decided (not `undetermined`), supplying the fact with
/// any of several other well-typed values (drawn from other generated fact
/// sets) leaves its status and amount as they were (an authority's range
/// narrowing to a figure within it), and an outcome it lists
/// outright is still listed (one listed as depending on the fact may come
/// or go).
#[test]
fn a_decision_made_without_a_fact_holds_for_every_value_of_it() {
    let stats = run("missing facts", |plan, seed, shown, stats| {
        for k in 0..2u64 {
            let (json, as_of) = gen_facts(plan, seed.wrapping_add(k.wrapping_mul(0x9E37_79B9)));
            let opts = DecideOptions { reference_date: Some(as_of), ..Default::default() };
            let serde_json::Value::Object(full) = &json else { continue };
            let alternatives: Vec<serde_json::Map<String, serde_json::Value>> = (1..=4u64)
                .filter_map(|j| match gen_facts(plan, seed ^ j.wrapping_mul(0xA076_1D64_78BD_642F)).0 {
                    serde_json::Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect();
            // A fact with a default is never missing, and `present(x)` reads
            // the absence of `x` itself: neither is a fact left unknown.
            let defaulted = |k: &str| {
                plan.policy().inputs.iter().any(|i| i.name == k && i.default.is_some())
                    || plan.policy().files.iter().any(|f| f.text.contains(&format!("present({k}")))
            };
            for key in full.keys().filter(|k| !defaulted(k)).take(10) {
                let mut without = full.clone();
                without.remove(key);
                let json_without = serde_json::Value::Object(without.clone());
                *shown.borrow_mut() = format!("{json_without} (without `{key}`)");
                let Ok(facts) = plan.facts_from_json(&json_without) else { continue };
                let Ok(partial) = plan.decide(&facts, &opts) else { continue };
                stats.fact_sets += 1;
                for alt in &alternatives {
                    let Some(value) = alt.get(key) else { continue };
                    let mut with = without.clone();
                    with.insert(key.clone(), value.clone());
                    let json_with = serde_json::Value::Object(with);
                    let Ok(facts) = plan.facts_from_json(&json_with) else { continue };
                    let Ok(full_decision) = plan.decide(&facts, &opts) else { continue };
                    for (a, b) in partial.benefits.iter().zip(&full_decision.benefits) {
                        // Not decided; or no decision for that value either
                        // (an evaluation error such as an overflow is no
                        // answer to compare with).
                        if a.status == Status::Undetermined || (b.status == Status::Undetermined && !b.errors.is_empty()) {
                            continue;
                        }
                        *stats.statuses.entry(a.status.as_str()).or_default() += 1;
                        // An authority's range narrows to the figure when it is given.
                        let within = match (&a.amount_range, b.amount, &b.amount_range) {
                            (Some(r), Some(x), None) => r.low <= x && x <= r.high,
                            (Some(r), None, Some(q)) => r.low <= q.low && q.high <= r.high,
                            _ => a.amount == b.amount && a.amount_range == b.amount_range,
                        };
                        let same = a.status == b.status && within;
                        let outright_kept = [(&a.documents, &b.documents), (&a.entitlements, &b.entitlements)]
                            .iter()
                            .all(|(x, y)| x.iter().filter(|o| o.depends_on.is_empty()).all(|o| y.iter().any(|p| p.label == o.label)));
                        if !same || !outright_kept {
                            return Err(TestCaseError::fail(format!(
                                "benefit `{}` decided {} {:?} {:?} without `{key}`, but {} {:?} {:?} with `{key}` = {value}\nfacts: {json_with}",
                                a.id,
                                a.status.as_str(),
                                a.amount,
                                a.amount_range.as_ref().map(|r| (r.low, r.high)),
                                b.status.as_str(),
                                b.amount,
                                b.amount_range.as_ref().map(|r| (r.low, r.high)),
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    });
    assert!(stats.fact_sets > 0, "no fact set survived the removal of a fact");
}

// ------------------------------------------------------------------ bugs found

/// Compiles a small policy (header added) and decides `facts` on 2022-06-01.
fn decide_small(body: &str, facts: &str) -> policy_eval::BenefitDecision {
    let plan = compile(&small(body)).unwrap_or_else(|d| panic!("{d:?}"));
    let facts = plan.facts_from_str(facts).unwrap();
    let opts = DecideOptions { reference_date: "2022-06-01".parse().ok(), ..Default::default() };
    plan.decide(&facts, &opts).unwrap().benefits.remove(0)
}

/// Whether the checker rejects a small policy (header added).
fn rejected(body: &str) -> bool {
    compile(&small(body)).is_err()
}

/// A small policy: `body` under a header in force 2021–2025.
fn small(body: &str) -> Generated {
    let text = format!("policy t.p \"测试\"\n  in_force 2021-01-01 .. 2025-12-31\n{body}");
    Generated { id: "t.p".into(), text, struct_compares: 0, library: None, source_name: String::new(), source: String::new() }
}

const AUTHORITY_SET: &str = "external standard: money in 4000 yuan .. 10000 yuan \"企业补贴\" set_by \"人力社保部门\"\n";

/// Found by `generated_policies_check_and_decide_consistently` (a `cap`
/// computed from facts, on a benefit whose amount an authority sets): an
/// amount range was never checked for a negative low end, and a negative
/// uplift factor turned it upside down. A range reaching below zero is now
/// an error, as a negative exact amount is; ranges stay ordered.
#[test]
fn an_amount_range_below_zero_is_an_error_and_ranges_stay_ordered() {
    let cap = format!(
        "{AUTHORITY_SET}input received: money \"已享受的补贴\"\nbenefit b \"补贴\" {{\n  amount standard\n  cap 5000 yuan - received \"合计不超过5000元\"\n}}\n"
    );
    let exact = decide_small(&cap, r#"{"received": "6000", "standard": "4000"}"#);
    assert_eq!(
        (exact.status, exact.errors.as_slice()),
        (Status::Undetermined, ["the amount is negative (-1000.00)".to_string()].as_slice())
    );
    // The boundary, both sides: a range ending at zero is an amount of zero; a cent below is an error.
    let zero = decide_small(&cap, r#"{"received": "5000"}"#);
    assert_eq!((zero.status, zero.amount), (Status::Eligible, Some(Decimal::ZERO)));
    let below = decide_small(&cap, r#"{"received": "5000.01"}"#);
    assert_eq!(below.errors, ["the amount is negative (-0.01 .. -0.01)"]);
    for (body, facts, shown) in [
        (cap.clone(), r#"{"received": "6000"}"#, "-1000.00 .. -1000.00"),
        (
            format!(
                "{AUTHORITY_SET}benefit b \"补贴\" {{\n  amount standard\n  override cut: when true => amount - 5000 yuan \"扣减\"\n}}\n"
            ),
            "{}",
            "-1000.00 .. 5000.00",
        ),
        (
            format!("{AUTHORITY_SET}benefit b \"补贴\" {{\n  amount standard\n  uplift down: -200% when true \"下调\"\n}}\n"),
            "{}",
            "-10000.00 .. -4000.00",
        ),
    ] {
        let b = decide_small(&body, facts);
        assert_eq!(b.status, Status::Undetermined, "{body}");
        assert_eq!(b.errors, [format!("the amount is negative ({shown})")], "{body}");
        assert!(b.amount_range.is_none());
    }
    // A decreasing override keeps the range ordered: 12000 - 10000 .. 12000 - 4000.
    let b = decide_small(
        &format!(
            "{AUTHORITY_SET}benefit b \"补贴\" {{\n  amount standard\n  override flip: when true => 12000 yuan - amount \"倒算\"\n}}\n"
        ),
        "{}",
    );
    assert_eq!(b.status, Status::Eligible);
    assert_eq!(b.amount_range.map(|r| (r.low, r.high)), Some((Decimal::from(2000), Decimal::from(8000))));
}

/// Found while writing the generator: the checker puts `amount` (the amount
/// so far) in scope in a `cap`, but the evaluator bound it only in
/// `override`s, so such a cap was "internal: no amount yet". A cap now reads
/// the amount so far, at each end of a range.
#[test]
fn a_cap_reads_the_amount_so_far() {
    let body = "benefit b \"补贴\" {\n  amount 1200 yuan\n  cap max(amount / 2, 500 yuan) \"不超过补贴的一半\"\n}\n";
    let b = decide_small(body, "{}");
    assert_eq!((b.status, b.errors.as_slice(), b.amount), (Status::Eligible, [].as_slice(), Some(Decimal::from(600))));
    let body =
        format!("{AUTHORITY_SET}benefit b \"补贴\" {{\n  amount standard\n  cap max(amount / 2, 500 yuan) \"不超过补贴的一半\"\n}}\n");
    let b = decide_small(&body, "{}");
    assert_eq!(b.status, Status::Eligible);
    assert_eq!(b.amount_range.map(|r| (r.low, r.high)), Some((Decimal::from(2000), Decimal::from(5000))));
    let b = decide_small(&body, r#"{"standard": "7000"}"#);
    assert_eq!(b.amount, Some(Decimal::from(3500)));
    // A range narrowed to one value is that amount: nothing left for the authority.
    let body = format!("{AUTHORITY_SET}benefit b \"补贴\" {{\n  amount standard\n  cap 3000 yuan \"不超过3000元\"\n}}\n");
    let b = decide_small(&body, "{}");
    assert_eq!((b.status, b.amount, b.amount_range.is_none()), (Status::Eligible, Some(Decimal::from(3000)), true));
}

/// Found while writing the generator: `clamp` only joined its arguments'
/// types and `abs` and `round` did not check theirs, so these policies
/// checked clean and every decision was an internal error. The checker now
/// rejects them.
#[test]
fn builtins_reject_arguments_they_cannot_evaluate() {
    for body in [
        "input f: bool \"f\"\nbenefit b \"b\" {\n  require clamp(f, false, true) \"x\"\n  amount 100 yuan\n}\n",
        "input p: duration \"p\"\nbenefit b \"b\" {\n  require clamp(p, 1 month, 2 months) == 1 month \"x\"\n  amount 100 yuan\n}\n",
        "input d: date \"d\"\nbenefit b \"b\" {\n  require abs(d) > 2021-01-01 \"x\"\n  amount 100 yuan\n}\n",
        "input t: text \"t\"\nbenefit b \"b\" {\n  require round(t, 1) == \"a\" \"x\"\n  amount 100 yuan\n}\n",
    ] {
        assert!(rejected(body), "accepted:\n{body}");
    }
    // What they do take still checks and decides.
    let b = decide_small(
        "input d: date \"d\"\nbenefit b \"b\" {\n  require clamp(d, 2021-01-01, 2021-12-31) == 2021-12-31 \"x\"\n  amount round(abs(0 yuan - 100.456 yuan), 2)\n}\n",
        r#"{"d": "2023-05-01"}"#,
    );
    assert_eq!((b.status, b.amount), (Status::Eligible, Some(Decimal::new(10046, 2))));
}

/// Found while writing the generator: over the literal `[]` the element type
/// was the error type, reported by nobody, so `sum(v for v in [])` checked
/// as a condition and every decision was an internal error. Going over an
/// empty list literal is now a checker error.
#[test]
fn an_aggregate_over_an_empty_list_literal_is_rejected() {
    assert!(rejected("benefit b \"b\" {\n  require x: sum(v for v in []) \"x\"\n  amount 100 yuan\n}\n"));
    assert!(rejected("benefit b \"b\" {\n  require x: count(v in []) == 0 \"x\"\n  amount 100 yuan\n}\n"));
}

/// Not a test: prints the policy generated from the seed in `$SEED` (a
/// failure reports it), and the policy it imports:
/// `SEED=42 cargo test -p policy-eval --test generated_policies -- --ignored show_policy --nocapture`.
#[test]
#[ignore = "a tool: prints the policy generated from $SEED"]
fn show_policy() {
    let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let g = Gen::new(seed).generate();
    println!("{}", g.text);
    if let Some((id, lib)) = &g.library {
        println!("# ---- {id} ----\n{lib}");
    }
    match compile(&g) {
        Ok(plan) => println!("# checks clean ({} warnings)", plan.warnings().len()),
        Err(d) => println!("# rejected:\n# {}", d.join("\n# ")),
    }
}
