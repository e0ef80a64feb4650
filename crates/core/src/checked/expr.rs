//! Checked expressions: [`CExpr`] (typed, names resolved to ids), its
//! kinds, tiers and built-in functions, and the one walk over an
//! expression's direct subexpressions ([`CExpr::each_child`]).

use super::*;

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// least
    Min,
    /// greatest
    Max,
    /// clamp(x, lo, hi)
    Clamp,
    /// abs
    Abs,
    /// round(x, places, mode)
    Round(RoundMode),
    /// year of a date
    Year,
    /// month of a date
    Month,
    /// day of a date
    Day,
    /// age in full years
    Age,
    /// days from a to b
    DaysBetween,
}

/// A tier's test after checking.
#[derive(Debug, Clone)]
pub enum CTierTest {
    /// `op bound`
    Cmp(BinOp, CExpr),
    /// `lo .. hi`
    Range(CExpr, CExpr),
}

/// A checked tier.
#[derive(Debug, Clone)]
pub struct CTier {
    /// Test.
    pub test: CTierTest,
    /// Value.
    pub value: CExpr,
    /// Where written.
    pub span: Span,
}

/// A checked, typed expression.
#[derive(Debug, Clone)]
pub struct CExpr {
    /// What it computes.
    pub kind: CKind,
    /// Its type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
    /// In which file.
    pub file: FileId,
}

impl CExpr {
    /// The direct subexpressions, in the order written (shared by every
    /// walk over a checked expression outside the checker).
    pub fn children(&self) -> Vec<&CExpr> {
        let mut out = Vec::new();
        self.each_child(|c| {
            out.push(c);
            false
        });
        out
    }

    /// Calls `f` on each direct subexpression, in the order written, until
    /// it returns `true`; whether it did. Allocates nothing (a walk on the
    /// decision path uses it).
    pub fn each_child<'a>(&'a self, mut f: impl FnMut(&'a CExpr) -> bool) -> bool {
        match &self.kind {
            CKind::Const(_)
            | CKind::Input(_)
            | CKind::Let(_)
            | CKind::Param(_)
            | CKind::External(_)
            | CKind::Local(_)
            | CKind::Amount
            | CKind::AsOf
            | CKind::BenefitAmount(_)
            | CKind::Table(_)
            | CKind::Present(_) => false,
            CKind::Lookup(_, xs) | CKind::Exists(_, xs) | CKind::List(xs) | CKind::Call(_, xs) | CKind::Apply(_, xs) => xs.iter().any(f),
            CKind::Field(x, _) | CKind::Convert(x, ..) | CKind::Unary(_, x) => f(x),
            CKind::Binary(_, a, b) | CKind::InList(a, b) => f(a) || f(b),
            CKind::InSet(x, items) => f(x) || items.iter().any(f),
            CKind::If(arms, otherwise) => arms.iter().any(|(c, v)| f(c) || f(v)) || f(otherwise),
            CKind::Match(x, arms) => f(x) || arms.iter().any(|(_, v)| f(v)),
            CKind::Tiers { subject, tiers, otherwise } => {
                f(subject)
                    || tiers.iter().any(|t| {
                        (match &t.test {
                            CTierTest::Cmp(_, b) => f(b),
                            CTierTest::Range(a, b) => f(a) || f(b),
                        }) || f(&t.value)
                    })
                    || otherwise.as_deref().is_some_and(&mut f)
            }
            CKind::Scale { subject, bands, rest } => {
                f(subject) || bands.iter().any(|(w, r)| f(w) || f(r)) || rest.as_deref().is_some_and(&mut f)
            }
            CKind::Quant(_, list, filter) => f(list) || filter.as_deref().is_some_and(&mut f),
            CKind::Agg(_, list, value, filter) => f(list) || f(value) || filter.as_deref().is_some_and(&mut f),
        }
    }
}

/// Checked expression forms.
#[derive(Debug, Clone)]
pub enum CKind {
    /// A constant.
    Const(Value),
    /// A fact.
    Input(InputId),
    /// A let.
    Let(LetId),
    /// A parameter (picked by the benefit's date).
    Param(ParamId),
    /// An external.
    External(ExternalId),
    /// A variable bound by a quantifier: 0 is the innermost.
    Local(u32),
    /// The amount so far (inside `override`).
    Amount,
    /// `as_of`: the date the benefit is decided for (its `dated_by`, else
    /// the decision's reference date).
    AsOf,
    /// `amount_of(b)`: the amount benefit `b` (an index into
    /// [`CheckedPolicy::benefits`]) was decided to pay; zero when it is
    /// refused (`ineligible`, `not_applicable`).
    BenefitAmount(u32),
    /// A table as the list of its rows.
    Table(TableId),
    /// `table[keys]`
    Lookup(TableId, Vec<CExpr>),
    /// `exists(table[keys])`
    Exists(TableId, Vec<CExpr>),
    /// `present(fact)`
    Present(InputId),
    /// `record.field` by field index.
    Field(Box<CExpr>, u32),
    /// `x as unit`: `x × to_count / from_count`.
    Convert(Box<CExpr>, Decimal, Decimal),
    /// Unary operator.
    Unary(UnOp, Box<CExpr>),
    /// Binary operator (types already agree).
    Binary(BinOp, Box<CExpr>, Box<CExpr>),
    /// `x in {a, b}`
    InSet(Box<CExpr>, Vec<CExpr>),
    /// `x in list`
    InList(Box<CExpr>, Box<CExpr>),
    /// `[a, b]`
    List(Vec<CExpr>),
    /// if / else if / else
    If(Vec<(CExpr, CExpr)>, Box<CExpr>),
    /// match on an enum: arms of variant indexes; `None` is `_`.
    Match(Box<CExpr>, Vec<(Option<Vec<u32>>, CExpr)>),
    /// Step tiers.
    Tiers {
        /// Subject.
        subject: Box<CExpr>,
        /// Tiers.
        tiers: Vec<CTier>,
        /// Else value.
        otherwise: Option<Box<CExpr>>,
    },
    /// Bands.
    Scale {
        /// Subject.
        subject: Box<CExpr>,
        /// (width, rate) per band.
        bands: Vec<(CExpr, CExpr)>,
        /// Rate beyond.
        rest: Option<Box<CExpr>>,
    },
    /// count / any / all (binds `Local(0)` in the filter).
    Quant(crate::ast::QuantKind, Box<CExpr>, Option<Box<CExpr>>),
    /// sum / min / max / avg (binds `Local(0)` in value and filter).
    Agg(crate::ast::AggKind, Box<CExpr>, Box<CExpr>, Option<Box<CExpr>>),
    /// A built-in call.
    Call(Builtin, Vec<CExpr>),
    /// A call of a declared function: its arguments become the body's
    /// innermost locals (the last argument is `Local(0)`).
    Apply(FnId, Vec<CExpr>),
}
