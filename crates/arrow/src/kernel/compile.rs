//! A benefit's rules compiled into kernel trees: the subset of checked
//! expressions the kernels cover (constants, facts read from columns, lets
//! inlined, dated parameters, unit conversions, arithmetic, comparisons,
//! logic, enum sets and matches, `if`, tiers, `least`/`greatest`), or the
//! reason a benefit is left to the row interpreter.

use super::kernels::parts;
use crate::read::days_of;
use policy_core::ast::{BinOp, ConditionKind, UnOp};
use policy_core::checked::{AmountStepDef, BenefitDef, Builtin, CExpr, CKind, CTierTest, CheckedPolicy, Type};
use policy_core::value::Value;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Most nodes a benefit compiles to (lets are inlined).
const MAX_NODES: usize = 4096;
/// Most conditions a benefit may have (failures are a bit set).
pub const MAX_CONDITIONS: usize = 63;

/// A constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// A bool.
    Bool(bool),
    /// A number (mantissa, scale).
    Num(i128, u8),
    /// A date (Date32 days).
    Date(i32),
    /// An enum variant.
    Enum(u32),
}

/// The kind of a fact column as the kernels read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// bool
    Bool,
    /// int, decimal, money, percent, quantity
    Num,
    /// date
    Date,
    /// enum
    Enum,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Node {
    /// A constant.
    Const(Scalar),
    /// An input, by its index in the policy's inputs.
    Input(usize),
    /// An input with a default: a null cell (an absent fact) holds it.
    InputOr(usize, Scalar),
    /// A let, by its index in the policy's lets: evaluated once per batch
    /// ([`Compiled::lets`]).
    Let(usize),
    /// The benefit's date.
    AsOf,
    /// The amount so far.
    Amount,
    /// A dated parameter: its versions (first day, last day, value); the
    /// last that holds the benefit's date is taken.
    Param(Vec<(i32, Option<i32>, Node)>),
    /// `x × to / from`.
    Convert(Box<Node>, Decimal, Decimal),
    /// `not x`.
    Not(Box<Node>),
    /// `-x`.
    Neg(Box<Node>),
    /// A binary operator.
    Bin(BinOp, Box<Node>, Box<Node>),
    /// `x in {…}` over constants.
    InSet(Box<Node>, Vec<Scalar>),
    /// if / else if / else.
    If(Vec<(Node, Node)>, Box<Node>),
    /// A match on an enum (`None`: `_`).
    Match(Box<Node>, Vec<(Option<Vec<u32>>, Node)>),
    /// Tiers: (operator or range, bounds, value); the else value.
    Tiers(Box<Node>, Vec<(Test, Node)>, Option<Box<Node>>),
    /// `least` (false) or `greatest` (true).
    MinMax(bool, Vec<Node>),
}

/// A tier's test.
#[derive(Debug, Clone)]
pub enum Test {
    /// `op bound`.
    Cmp(BinOp, Node),
    /// `lo .. hi`.
    Range(Node, Node),
}

/// One amount step.
#[derive(Debug, Clone)]
pub enum Step {
    /// Sets the amount.
    Base(Node),
    /// Caps it.
    Cap(Node),
    /// Raises it by a rate when a condition holds, until a day.
    Uplift(Node, Node, Option<i32>),
    /// Replaces it when a condition holds.
    Override(Node, Node),
}

/// A condition: its bit in the failure set, whether it is a scope
/// (`applies_when`), whether it fails when true (`exclude`), its test.
#[derive(Debug, Clone)]
pub struct Cond {
    /// Bit in the failure set (index into [`Compiled::ids`]).
    pub bit: u32,
    /// An `applies_when`.
    pub scope: bool,
    /// An `exclude`.
    pub exclude: bool,
    /// Its test.
    pub test: Node,
}

/// A benefit compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Its date (`None`: the reference date).
    pub date: Option<Node>,
    /// Conditions in order.
    pub conds: Vec<Cond>,
    /// Amount steps.
    pub steps: Vec<Step>,
    /// Conditions of outcomes: evaluated only to be sure they decide.
    pub outcomes: Vec<Node>,
    /// Failure ids: `in_force`, then each condition's id.
    pub ids: Vec<Arc<str>>,
    /// The lets read (outside the date), in dependency order: each is
    /// evaluated once per batch, before the stages that read it.
    pub lets: Vec<(usize, Node)>,
    /// How many lets the policy has.
    pub let_count: usize,
    /// The facts its kernels read (indexes into the policy's inputs).
    pub reads: Vec<usize>,
}

struct Compiler<'p> {
    p: &'p CheckedPolicy,
    nodes: usize,
    reads: Vec<usize>,
    /// Lets being inlined (the date's): a cycle guard.
    lets: Vec<usize>,
    /// Inline lets (while compiling the date, which comes before them).
    inline: bool,
    /// Lets compiled once, by id.
    compiled: Vec<(usize, Node)>,
}

/// Compiles benefit `b`, or says why the kernels do not cover it.
pub fn compile(p: &CheckedPolicy, b: &BenefitDef) -> Result<Compiled, String> {
    if !b.versions.is_empty() {
        return Err("dated versions".into());
    }
    if !b.outputs.is_empty() {
        return Err("outputs".into());
    }
    if !b.reads.is_empty() {
        return Err("reads another benefit's amount".into());
    }
    let rules = &b.base;
    if rules.conditions.len() > MAX_CONDITIONS {
        return Err("too many conditions".into());
    }
    if !rules.deadlines.is_empty() {
        return Err("deadlines".into());
    }
    let mut c = Compiler { p, nodes: 0, reads: Vec::new(), lets: Vec::new(), inline: true, compiled: Vec::new() };
    let date = b.dated_by.as_ref().map(|e| c.expr(e)).transpose()?;
    c.inline = false;
    let mut ids: Vec<Arc<str>> = vec![Arc::from("in_force")];
    let mut conds = Vec::new();
    for (i, d) in rules.conditions.iter().enumerate() {
        ids.push(d.id.clone());
        conds.push(Cond {
            bit: u32::try_from(i + 1).map_err(|_| "too many conditions")?,
            scope: d.kind == ConditionKind::Applies,
            exclude: d.kind == ConditionKind::Exclude,
            test: c.expr(&d.expr)?,
        });
    }
    let mut steps = Vec::new();
    for s in &rules.amount {
        steps.push(match s {
            AmountStepDef::Base { expr, .. } => {
                if matches!(expr.kind, CKind::External(_)) {
                    return Err("an amount set by an authority".into());
                }
                Step::Base(c.expr(expr)?)
            }
            AmountStepDef::Cap { expr, .. } => Step::Cap(c.expr(expr)?),
            AmountStepDef::Uplift { rate, when, until, .. } => Step::Uplift(c.expr(rate)?, c.expr(when)?, until.map(days_of)),
            AmountStepDef::Override { when, value, .. } => Step::Override(c.expr(when)?, c.expr(value)?),
        });
    }
    let mut outcomes = Vec::new();
    for o in rules.entitlements.iter().chain(&rules.documents) {
        if let Some(w) = &o.when {
            outcomes.push(c.expr(w)?);
        }
    }
    let mut reads = c.reads;
    reads.sort_unstable();
    reads.dedup();
    let mut lets = c.compiled;
    lets.sort_by_key(|(id, _)| *id);
    Ok(Compiled { date, conds, steps, outcomes, ids, reads, lets, let_count: p.lets.len() })
}

fn scalar(v: &Value) -> Option<Scalar> {
    Some(match v {
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Num(d) => {
            let (m, s) = parts(*d);
            Scalar::Num(m, s)
        }
        Value::Date(d) => Scalar::Date(days_of(*d)),
        Value::Enum(i) => Scalar::Enum(*i),
        _ => return None,
    })
}

/// The kind of a type the kernels hold.
pub fn kind(t: &Type) -> Option<Kind> {
    Some(match t {
        Type::Bool => Kind::Bool,
        Type::Int | Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_) => Kind::Num,
        Type::Date => Kind::Date,
        Type::Enum(_) => Kind::Enum,
        _ => return None,
    })
}

impl Compiler<'_> {
    fn expr(&mut self, e: &CExpr) -> Result<Node, String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err("too large".into());
        }
        if kind(&e.ty).is_none() {
            return Err(format!("a value of type {}", self.p.type_name(&e.ty)));
        }
        Ok(match &e.kind {
            CKind::Const(v) => Node::Const(scalar(v).ok_or("a constant of another type")?),
            CKind::Input(id) => {
                let def = self.p.inputs.get(id.index()).ok_or("internal: no input")?;
                self.reads.push(id.index());
                match &def.default {
                    None => Node::Input(id.index()),
                    Some(v) => Node::InputOr(id.index(), scalar(v).ok_or_else(|| format!("the default of `{}`", def.name))?),
                }
            }
            CKind::Let(id) => {
                let def = self.p.lets.get(id.index()).ok_or("internal: no let")?;
                if self.lets.contains(&id.index()) {
                    return Err("a let cycle".into());
                }
                if !self.inline && self.compiled.iter().any(|(i, _)| *i == id.index()) {
                    return Ok(Node::Let(id.index()));
                }
                self.lets.push(id.index());
                let n = self.expr(&def.value);
                self.lets.pop();
                if self.inline {
                    n?
                } else {
                    // Lets read only earlier lets: compiled in that order.
                    self.compiled.push((id.index(), n?));
                    Node::Let(id.index())
                }
            }
            CKind::Param(id) => {
                let def = self.p.params.get(id.index()).ok_or("internal: no param")?;
                let mut vs = Vec::new();
                for v in &def.versions {
                    vs.push((days_of(v.from), v.until.map(days_of), self.expr(&v.value)?));
                }
                Node::Param(vs)
            }
            CKind::AsOf => Node::AsOf,
            CKind::Amount => Node::Amount,
            CKind::Convert(x, from, to) => Node::Convert(Box::new(self.expr(x)?), *from, *to),
            CKind::Unary(UnOp::Not, x) => Node::Not(Box::new(self.expr(x)?)),
            CKind::Unary(UnOp::Neg, x) => Node::Neg(Box::new(self.expr(x)?)),
            CKind::Binary(op, a, b) => {
                let ok = match op {
                    BinOp::And | BinOp::Or => true,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => a.ty.is_numeric() && b.ty.is_numeric(),
                    BinOp::Eq | BinOp::Ne => kind(&a.ty) == kind(&b.ty),
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        kind(&a.ty) == kind(&b.ty) && matches!(kind(&a.ty), Some(Kind::Num | Kind::Date))
                    }
                    #[allow(unreachable_patterns)]
                    _ => false,
                };
                if !ok {
                    return Err(format!("`{}` on these types", op.symbol()));
                }
                Node::Bin(*op, Box::new(self.expr(a)?), Box::new(self.expr(b)?))
            }
            CKind::InSet(x, items) => {
                let mut set = Vec::new();
                for it in items {
                    match &it.kind {
                        CKind::Const(v) => set.push(scalar(v).ok_or("a set of other constants")?),
                        _ => return Err("a set of computed values".into()),
                    }
                }
                if !matches!(kind(&x.ty), Some(Kind::Enum | Kind::Bool | Kind::Date)) {
                    return Err("a set of numbers".into());
                }
                Node::InSet(Box::new(self.expr(x)?), set)
            }
            CKind::If(branches, otherwise) => {
                let mut bs = Vec::new();
                for (c, v) in branches {
                    bs.push((self.expr(c)?, self.expr(v)?));
                }
                Node::If(bs, Box::new(self.expr(otherwise)?))
            }
            CKind::Match(s, arms) => {
                let mut out = Vec::new();
                for (pats, v) in arms {
                    out.push((pats.clone(), self.expr(v)?));
                }
                Node::Match(Box::new(self.expr(s)?), out)
            }
            CKind::Tiers { subject, tiers, otherwise } => {
                let mut out = Vec::new();
                for t in tiers {
                    let test = match &t.test {
                        CTierTest::Cmp(op, b) => Test::Cmp(*op, self.expr(b)?),
                        CTierTest::Range(lo, hi) => Test::Range(self.expr(lo)?, self.expr(hi)?),
                    };
                    out.push((test, self.expr(&t.value)?));
                }
                let otherwise = otherwise.as_ref().map(|o| self.expr(o).map(Box::new)).transpose()?;
                if !matches!(kind(&subject.ty), Some(Kind::Num | Kind::Date)) {
                    return Err("tiers on this type".into());
                }
                Node::Tiers(Box::new(self.expr(subject)?), out, otherwise)
            }
            CKind::Call(f @ (Builtin::Min | Builtin::Max), args) if !args.is_empty() && e.ty.is_numeric() => {
                let mut xs = Vec::new();
                for a in args {
                    xs.push(self.expr(a)?);
                }
                Node::MinMax(*f == Builtin::Max, xs)
            }
            other => return Err(construct(other).to_string()),
        })
    }
}

fn construct(k: &CKind) -> &'static str {
    match k {
        CKind::External(_) => "an external value",
        CKind::Local(_) | CKind::Apply(..) => "a function",
        CKind::BenefitAmount(_) => "amount_of",
        CKind::Table(_) | CKind::Lookup(..) | CKind::Exists(..) => "a table",
        CKind::Present(_) => "present()",
        CKind::Field(..) => "a record field",
        CKind::InList(..) | CKind::List(_) | CKind::Quant(..) | CKind::Agg(..) => "a list",
        CKind::Scale { .. } => "a scale",
        CKind::Call(..) => "a built-in function",
        _ => "this construct",
    }
}
