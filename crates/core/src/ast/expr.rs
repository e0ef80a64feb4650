//! Expressions: operators, quantifiers and aggregates, tiers, bands and
//! `match` arms, and the literal forms they hold.

use super::*;

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// A number's suffix.
#[derive(Debug, Clone, PartialEq)]
pub enum Suffix {
    /// `%`
    Percent,
    /// `yuan`, `元`, `days`, `months`, a declared unit…
    Unit(Ident),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in` (membership)
    In,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::In => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
        }
    }
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// `count`, `any`, `all`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantKind {
    /// Number of elements matching.
    Count,
    /// Some element matches.
    Any,
    /// Every element matches.
    All,
}

/// `sum`, `min`, `max`, `avg`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    /// Sum (zero for none).
    Sum,
    /// Least (undefined for none).
    Min,
    /// Greatest (undefined for none).
    Max,
    /// Mean (undefined for none).
    Avg,
}

/// A tier's test.
#[derive(Debug, Clone, PartialEq)]
pub enum TierTest {
    /// `>= x`, `> x`, `<= x`, `< x`
    Cmp(BinOp, Expr),
    /// `low .. high` (low inclusive, high exclusive)
    Range(Expr, Expr),
}

/// `test => value`
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// When this tier applies.
    pub test: TierTest,
    /// Its value.
    pub value: Expr,
    /// Where it was written.
    pub span: Span,
}

/// `first N at RATE` / `next N at RATE`
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Width of the band.
    pub width: Expr,
    /// Rate per unit within it.
    pub rate: Expr,
    /// Where it was written.
    pub span: Span,
}

/// `pattern => value`
#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    /// Variants matched; empty means `_`.
    pub patterns: Vec<Expr>,
    /// Its value.
    pub value: Expr,
    /// Where it was written.
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `true` / `false`
    Bool(bool),
    /// `12`, `70%`, `800 yuan`, `3 clock_hour`, `12 months`
    Number {
        /// The digits as a decimal (scale preserved).
        value: rust_decimal::Decimal,
        /// What follows the digits.
        suffix: Option<Suffix>,
    },
    /// `2021-12-31`
    Date(NaiveDate),
    /// `"text"`
    Text(String),
    /// `name` or `a.b.c` (input, let, variant, imported item…)
    Path(Vec<Ident>),
    /// `expr.field`
    Field(Box<Expr>, Ident),
    /// `table[k1, k2]`
    Index(Box<Expr>, Vec<Expr>),
    /// `expr as unit`
    Convert(Box<Expr>, Ident),
    /// `-x`, `not x`
    Unary(UnOp, Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `( expr )`
    Paren(Box<Expr>),
    /// `{a, b}`
    Set(Vec<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `if c { a } else if d { b } else { e }`
    If {
        /// `(condition, value)` pairs in order.
        branches: Vec<(Expr, Expr)>,
        /// The final else.
        otherwise: Box<Expr>,
    },
    /// `match x { a | b => v, _ => w }`
    Match {
        /// What is matched.
        scrutinee: Box<Expr>,
        /// Arms in order.
        arms: Vec<MatchArm>,
    },
    /// `tiers x { >= 48 => a, >= 40 => b, else => c }`
    Tiers {
        /// The value tested.
        subject: Box<Expr>,
        /// Tiers in order; the first that matches decides.
        tiers: Vec<Tier>,
        /// Value when none matches.
        otherwise: Option<Box<Expr>>,
    },
    /// `scale x { first 10 at 150 yuan, then at 100 yuan }`
    Scale {
        /// The quantity spread over the bands.
        subject: Box<Expr>,
        /// Bands in order.
        bands: Vec<Band>,
        /// Rate beyond the last band (nothing when absent).
        rest: Option<Box<Expr>>,
    },
    /// `count(c in list where p)`
    Quantifier {
        /// count / any / all
        kind: QuantKind,
        /// Bound name.
        var: Ident,
        /// The list.
        list: Box<Expr>,
        /// Filter.
        filter: Option<Box<Expr>>,
    },
    /// `sum(e for c in list where p)`
    Aggregate {
        /// sum / min / max / avg
        kind: AggKind,
        /// Value per element.
        value: Box<Expr>,
        /// Bound name.
        var: Ident,
        /// The list.
        list: Box<Expr>,
        /// Filter.
        filter: Option<Box<Expr>>,
    },
    /// `f(a, b)`
    Call(Ident, Vec<Expr>),
}

/// Converts `Decimal` scale-preserving: exposed for the formatter.
pub fn decimal_text(d: &Decimal) -> String {
    d.to_string()
}
