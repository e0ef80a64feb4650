//! A benefit and its clauses: payee, conditions, amount steps, outcomes,
//! outputs and dated version blocks.

use super::*;

/// Who a benefit pays.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitDecl {
    /// Stable id.
    pub id: Ident,
    /// Human label.
    pub label: Str,
    /// Clauses in source order (order matters for the amount pipeline).
    pub clauses: Vec<BenefitClause>,
    /// Where it was written.
    pub span: Span,
}

/// The kind of a condition clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// `applies_when`: scope; false means not applicable.
    Applies,
    /// `require`: false means ineligible.
    Require,
    /// `exclude`: true means ineligible.
    Exclude,
}

/// `require [id:] expr "label" [cite]`
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Which kind.
    pub kind: ConditionKind,
    /// Stable id (derived from the label when absent).
    pub id: Option<Ident>,
    /// The test.
    pub expr: Expr,
    /// Human label.
    pub label: Str,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// One clause inside a benefit.
#[derive(Debug, Clone, PartialEq)]
pub enum BenefitClause {
    /// `payee training_institution`
    Payee(Ident),
    /// `cite "…"` for the benefit as a whole.
    Cite(Cite),
    /// `dated_by expr ["label"]`: the date that picks versions and the in-force check.
    DatedBy {
        /// A date expression.
        expr: Expr,
        /// Why this date.
        label: Option<Str>,
        /// Where it was written.
        span: Span,
    },
    /// `applies_when` / `require` / `exclude`.
    Condition(Condition),
    /// `amount expr ["label"] [cite]`
    Amount(AmountStep),
    /// `cap expr ["label"] [cite]`
    Cap(AmountStep),
    /// `uplift [id:] rate when cond [until date] "label" [cite]`
    Uplift(Uplift),
    /// `override [id:] when cond => expr "label" [cite]`
    Override(Override),
    /// `per year`
    Per(Ident),
    /// `entitle "title" [when cond] [cite]`
    Entitle(Outcome),
    /// `deadline "label" expr [cite]`
    Deadline {
        /// Human label.
        label: Str,
        /// A date expression.
        expr: Expr,
        /// Citation.
        cite: Option<Cite>,
        /// Where it was written.
        span: Span,
    },
    /// `needs "document" [when cond] [cite]`
    Needs(Outcome),
    /// `output id[: type] = expr ["label"] [cite]`: a value the decision
    /// reports besides the amount (an age, a tax band).
    Output(OutputDecl),
    /// `from DATE [until DATE] { clauses }`: a dated version of the rule.
    Version(VersionBlock),
}

impl BenefitClause {
    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            BenefitClause::Payee(i) | BenefitClause::Per(i) => i.span,
            BenefitClause::Cite(c) => c.span,
            BenefitClause::DatedBy { span, .. } | BenefitClause::Deadline { span, .. } => *span,
            BenefitClause::Condition(c) => c.span,
            BenefitClause::Amount(a) | BenefitClause::Cap(a) => a.span,
            BenefitClause::Uplift(u) => u.span,
            BenefitClause::Override(o) => o.span,
            BenefitClause::Entitle(o) | BenefitClause::Needs(o) => o.span,
            BenefitClause::Output(o) => o.span,
            BenefitClause::Version(v) => v.span,
        }
    }
}

/// `amount …` or `cap …`
#[derive(Debug, Clone, PartialEq)]
pub struct AmountStep {
    /// The value.
    pub expr: Expr,
    /// Human label.
    pub label: Option<Str>,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// `uplift 30% when cond until 2021-12-31 "label"`
#[derive(Debug, Clone, PartialEq)]
pub struct Uplift {
    /// Stable id.
    pub id: Option<Ident>,
    /// The rate added (a percent).
    pub rate: Expr,
    /// When it applies.
    pub when: Expr,
    /// Last day (inclusive, on the benefit's date) it applies.
    pub until: Option<DateLit>,
    /// Human label.
    pub label: Str,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// `override when cond => expr "label"`: an exception replacing the amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Stable id.
    pub id: Option<Ident>,
    /// When it applies.
    pub when: Expr,
    /// The new amount (`amount` names the amount so far).
    pub value: Expr,
    /// Human label.
    pub label: Str,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// An entitlement or a required document.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What is granted or needed.
    pub label: Str,
    /// When (always when absent).
    pub when: Option<Expr>,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// `output id[: type] = expr ["label"] [cite]`: a computed value the
/// benefit's decision reports (not money paid).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDecl {
    /// Stable id (the JSON key of the value).
    pub id: Ident,
    /// Declared type, checked against the expression.
    pub ty: Option<TypeExpr>,
    /// Definition.
    pub value: Expr,
    /// Human label.
    pub label: Option<Str>,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// `from DATE [until DATE] { … }`
#[derive(Debug, Clone, PartialEq)]
pub struct VersionBlock {
    /// First day this version applies (on the benefit's date).
    pub from: DateLit,
    /// Last day, inclusive.
    pub until: Option<DateLit>,
    /// Clauses added by this version.
    pub clauses: Vec<BenefitClause>,
    /// Where it was written.
    pub span: Span,
}
