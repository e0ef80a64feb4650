//! Conditions and `when`s as a small tree of common forms (a bool fact, a
//! number fact against a constant, an enum fact in a set of constants, and
//! `not`, `and`, `or` of these), evaluated by a `match` instead of a call
//! through a boxed closure per node; anything else is the closure
//! (`expr/`). The semantics are the closures' (and so the interpreter's):
//! a missing fact is `None`, `and` and `or` are three-valued.

use super::analysis::is_static;
use super::expr::{class, holds, Class, Cx, Konst};
use super::{Env, Fx};
use policy_core::ast::{BinOp, UnOp};
use policy_core::checked::{CExpr, CKind};
use policy_core::value::Value;

/// A compiled condition.
pub(crate) enum Pred {
    Const(bool),
    /// A bool fact (its input slot).
    Input(usize),
    /// `not` a bool fact.
    NotInput(usize),
    /// A number fact `op` a constant.
    Cmp(usize, BinOp, Box<Konst>),
    /// An enum fact in a set of variants (all below 64): one bit each.
    EnumIn(usize, u64),
    Not(Box<Pred>),
    /// `and` (`false`) or `or` (`true`): the value that decides.
    Junction(bool, Box<(Pred, Pred)>),
    Closure(Fx<bool>),
}

impl Pred {
    /// The leaves inline at the call, the rest out of line.
    #[inline(always)]
    pub fn eval(&self, env: &mut Env<'_>) -> Option<bool> {
        match self {
            Pred::Const(b) => Some(*b),
            Pred::Input(i) => match env.facts.inputs.get(*i)? {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            },
            Pred::NotInput(i) => match env.facts.inputs.get(*i)? {
                Some(Value::Bool(b)) => Some(!*b),
                _ => None,
            },
            Pred::Cmp(i, op, k) => match env.facts.inputs.get(*i)? {
                Some(Value::Num(x)) => Some(holds(*op, k.cmp(x))),
                _ => None,
            },
            Pred::EnumIn(i, mask) => match env.facts.inputs.get(*i)? {
                Some(Value::Enum(v)) => Some(*v < 64 && mask >> v & 1 == 1),
                _ => None,
            },
            _ => self.eval_compound(env),
        }
    }

    #[inline(never)]
    fn eval_compound(&self, env: &mut Env<'_>) -> Option<bool> {
        match self {
            Pred::Const(b) => Some(*b),
            Pred::Input(i) => match env.facts.inputs.get(*i)? {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            },
            Pred::Cmp(i, op, k) => match env.facts.inputs.get(*i)? {
                Some(Value::Num(x)) => Some(holds(*op, k.cmp(x))),
                _ => None,
            },
            Pred::EnumIn(i, mask) => match env.facts.inputs.get(*i)? {
                Some(Value::Enum(v)) => Some(*v < 64 && mask >> v & 1 == 1),
                _ => None,
            },
            Pred::NotInput(i) => match env.facts.inputs.get(*i)? {
                Some(Value::Bool(b)) => Some(!*b),
                _ => None,
            },
            Pred::Not(x) => Some(!x.eval(env)?),
            Pred::Junction(decisive, xy) => {
                // Three-valued, as the interpreter: `false and ?` is false,
                // `? and false` too; otherwise unknown when either is.
                let (a, b) = &**xy;
                let x = a.eval(env);
                if x == Some(*decisive) {
                    return Some(*decisive);
                }
                match (x, b.eval(env)) {
                    (Some(_), y) => y,
                    (None, Some(y)) if y == *decisive => Some(*decisive),
                    (None, _) => None,
                }
            }
            Pred::Closure(f) => f(env),
        }
    }
}

/// The input slot of `e` when it reads a fact directly.
fn input(e: &CExpr) -> Option<usize> {
    match &e.kind {
        CKind::Input(id) => Some(id.index()),
        _ => None,
    }
}

impl Cx<'_> {
    /// A bool expression as a [`Pred`].
    pub fn pred(&mut self, e: &CExpr) -> Result<Pred, String> {
        if is_static(e) {
            let n = self.typed::<bool>(e)?;
            return Ok(match n.k {
                Some(b) => Pred::Const(b),
                None => Pred::Closure(n.f),
            });
        }
        match &e.kind {
            CKind::Input(id) if class(&e.ty)? == Class::Bool => return Ok(Pred::Input(id.index())),
            CKind::Unary(UnOp::Not, x) => {
                return Ok(match self.pred(x)? {
                    Pred::Input(i) => Pred::NotInput(i),
                    p => Pred::Not(Box::new(p)),
                });
            }
            CKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                return Ok(Pred::Junction(*op == BinOp::Or, Box::new((self.pred(a)?, self.pred(b)?))));
            }
            CKind::Binary(op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), a, b)
                if class(&a.ty)? == Class::Num && class(&b.ty)? == Class::Num =>
            {
                if let Some(i) = input(a) {
                    if let Some(c) = self.typed::<rust_decimal::Decimal>(b)?.k {
                        return Ok(Pred::Cmp(i, *op, Box::new(Konst::new(c))));
                    }
                }
            }
            CKind::InSet(x, items) if matches!(class(&x.ty)?, Class::Enum) && !items.is_empty() => {
                if let Some(i) = input(x) {
                    let mut mask = 0u64;
                    let mut all = true;
                    for it in items {
                        match self.typed::<u32>(it)?.k {
                            Some(v) if v < 64 => mask |= 1u64 << v,
                            _ => all = false,
                        }
                    }
                    if all {
                        return Ok(Pred::EnumIn(i, mask));
                    }
                }
            }
            _ => {}
        }
        Ok(Pred::Closure(self.boolean(e)?))
    }
}
