//! What an amendment changes: parameters' new dated values, a benefit's
//! clauses changed, added or removed, items repealed.

use super::*;

/// A change an amendment makes to one item of the policy it amends.
#[derive(Debug, Clone, PartialEq)]
pub enum AmendDecl {
    /// `amend param rate { from DATE => value cite … }`: new dated values.
    Param(AmendParam),
    /// `amend benefit id ["label"] { changes }`
    Benefit(AmendBenefit),
}

/// `amend param name { from … => … }`: versions added to a parameter; they
/// take precedence over the amended policy's values for their period.
#[derive(Debug, Clone, PartialEq)]
pub struct AmendParam {
    /// The amended parameter.
    pub name: Ident,
    /// The new dated values.
    pub versions: Vec<ParamVersion>,
    /// Where it was written.
    pub span: Span,
}

/// `amend benefit id ["label"] { changes }`
#[derive(Debug, Clone, PartialEq)]
pub struct AmendBenefit {
    /// The amended benefit.
    pub id: Ident,
    /// A new label, when the amendment renames it.
    pub label: Option<Str>,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// Where it was written.
    pub span: Span,
}

/// One change to a benefit.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A clause the benefit did not have (a condition with a new id, a cap,
    /// an uplift, an outcome, a dated version block).
    Add(BenefitClause),
    /// `replace <clause>`: takes the place of the benefit's condition,
    /// uplift or exception with the same id, or of its amount or cap.
    Replace {
        /// The new clause.
        clause: BenefitClause,
        /// Where it was written, `replace` included.
        span: Span,
    },
    /// `repeal id [cite]`: the condition, uplift or exception is struck out.
    Repeal {
        /// Its id.
        id: Ident,
        /// The amending clause that strikes it out.
        cite: Option<Cite>,
        /// Where it was written.
        span: Span,
    },
}

impl Change {
    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            Change::Add(c) => c.span(),
            Change::Replace { span, .. } | Change::Repeal { span, .. } => *span,
        }
    }
}

/// `repeal benefit id [cite]`
#[derive(Debug, Clone, PartialEq)]
pub struct RepealDecl {
    /// The repealed benefit.
    pub benefit: Ident,
    /// The amending clause that repeals it.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}
