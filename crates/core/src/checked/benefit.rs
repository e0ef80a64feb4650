//! A checked benefit: its payee, conditions, amount steps, outcomes,
//! deadlines, outputs and dated versions.

use super::*;

/// Who a benefit pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payee {
    /// The person trained or certified.
    Person,
    /// An employer.
    Enterprise,
    /// A training institution.
    TrainingInstitution,
    /// An evaluation (certification) institution.
    EvaluationInstitution,
    /// An organiser (competition host, project owner…).
    Organiser,
}

impl Payee {
    /// Parses a payee name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "person" => Payee::Person,
            "enterprise" => Payee::Enterprise,
            "training_institution" => Payee::TrainingInstitution,
            "evaluation_institution" => Payee::EvaluationInstitution,
            "organiser" => Payee::Organiser,
            _ => return None,
        })
    }
    /// All payee names.
    pub const NAMES: &'static [&'static str] = &["person", "enterprise", "training_institution", "evaluation_institution", "organiser"];
}

/// A labelled, cited condition.
#[derive(Debug, Clone)]
pub struct ConditionDef {
    /// applies / require / exclude
    pub kind: ConditionKind,
    /// Stable id.
    pub id: Arc<str>,
    /// Label.
    pub label: Arc<str>,
    /// The test (bool).
    pub expr: CExpr,
    /// Citation.
    pub cite: Option<Citation>,
    /// Where written.
    pub span: Span,
}

/// One step of a benefit's amount pipeline.
#[derive(Debug, Clone)]
pub enum AmountStepDef {
    /// Sets the amount.
    Base {
        /// Value.
        expr: CExpr,
        /// Label.
        label: Option<Arc<str>>,
        /// Citation.
        cite: Option<Citation>,
        /// Where written.
        span: Span,
    },
    /// Caps the amount.
    Cap {
        /// The cap.
        expr: CExpr,
        /// Label.
        label: Option<Arc<str>>,
        /// Citation.
        cite: Option<Citation>,
        /// Where written.
        span: Span,
    },
    /// Raises the amount by a rate.
    Uplift {
        /// Stable id.
        id: Arc<str>,
        /// Rate (percent).
        rate: CExpr,
        /// When.
        when: CExpr,
        /// Last day on the benefit's date.
        until: Option<NaiveDate>,
        /// Label.
        label: Arc<str>,
        /// Citation.
        cite: Option<Citation>,
        /// Where written.
        span: Span,
    },
    /// Replaces the amount under a condition.
    Override {
        /// Stable id.
        id: Arc<str>,
        /// When.
        when: CExpr,
        /// New amount.
        value: CExpr,
        /// Label.
        label: Arc<str>,
        /// Citation.
        cite: Option<Citation>,
        /// Where written.
        span: Span,
    },
}

/// A non-money outcome (entitlement or document).
#[derive(Debug, Clone)]
pub struct OutcomeDef {
    /// What.
    pub label: Arc<str>,
    /// When.
    pub when: Option<CExpr>,
    /// Citation.
    pub cite: Option<Citation>,
    /// Where written.
    pub span: Span,
}

/// A reported date.
#[derive(Debug, Clone)]
pub struct DeadlineDef {
    /// Label.
    pub label: Arc<str>,
    /// The date.
    pub expr: CExpr,
    /// Citation.
    pub cite: Option<Citation>,
    /// Where written.
    pub span: Span,
}

/// A computed value a benefit's decision reports (`output`): an age, a
/// tax band, a household size; not money paid.
#[derive(Debug, Clone)]
pub struct OutputDef {
    /// Stable id (the JSON key).
    pub id: Arc<str>,
    /// Label.
    pub label: Option<Arc<str>>,
    /// Its type (a scalar: bool, a number, a date, text or an enum).
    pub ty: Type,
    /// The value.
    pub expr: CExpr,
    /// Citation.
    pub cite: Option<Citation>,
    /// Where written.
    pub span: Span,
}

/// The rules of a benefit (the base, or one dated version).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// Conditions in order.
    pub conditions: Vec<ConditionDef>,
    /// Amount steps in order.
    pub amount: Vec<AmountStepDef>,
    /// Entitlements.
    pub entitlements: Vec<OutcomeDef>,
    /// Documents required.
    pub documents: Vec<OutcomeDef>,
    /// Deadlines.
    pub deadlines: Vec<DeadlineDef>,
}

/// A dated version of a benefit's rules.
#[derive(Debug, Clone)]
pub struct VersionDef {
    /// First day.
    pub from: NaiveDate,
    /// Last day, inclusive (after applying the next version's start).
    pub until: Option<NaiveDate>,
    /// Rules added by this version.
    pub rules: RuleSet,
    /// Where written.
    pub span: Span,
}

/// A checked benefit.
#[derive(Debug, Clone)]
pub struct BenefitDef {
    /// Stable id.
    pub id: Arc<str>,
    /// Label.
    pub label: Arc<str>,
    /// Who is paid.
    pub payee: Option<Payee>,
    /// Citation.
    pub cite: Option<Citation>,
    /// Date expression (`None`: the reference date).
    pub dated_by: Option<CExpr>,
    /// Why that date.
    pub dated_by_label: Option<Arc<str>>,
    /// `per year` etc.
    pub period: Option<Arc<str>>,
    /// Rules in force always.
    pub base: RuleSet,
    /// Dated versions, sorted by `from`.
    pub versions: Vec<VersionDef>,
    /// Computed values the decision reports, in order.
    pub outputs: Vec<OutputDef>,
    /// The benefits whose amounts this one reads (`amount_of`), directly or
    /// through lets, by index into [`CheckedPolicy::benefits`].
    pub reads: Vec<u32>,
    /// Where written.
    pub span: Span,
}
