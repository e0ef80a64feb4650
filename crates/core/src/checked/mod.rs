//! The checked policy: names resolved to typed ids, every expression typed,
//! imports flattened in. This is what the evaluator compiles; it holds no
//! pest types and no unresolved names.

use crate::ast::{BinOp, ConditionKind, Span, UnOp};
use crate::value::{RoundMode, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            /// The index into its table.
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}
id_type!(
    /// A declared unit.
    UnitId,
    /// A declared enum.
    EnumId,
    /// A declared record (tables have one each).
    RecordId,
    /// A fact.
    InputId,
    /// A dated parameter.
    ParamId,
    /// An external value.
    ExternalId,
    /// A table.
    TableId,
    /// A `let`.
    LetId,
    /// A function (`fn`).
    FnId,
    /// A source file (the policy or one it imports).
    FileId
);

/// A static type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// bool
    Bool,
    /// int
    Int,
    /// decimal
    Decimal,
    /// money (yuan)
    Money,
    /// percent
    Percent,
    /// date
    Date,
    /// duration
    Duration,
    /// text
    Text,
    /// A quantity in a declared unit.
    Quantity(UnitId),
    /// An enum.
    Enum(EnumId),
    /// A record.
    Record(RecordId),
    /// A list.
    List(Box<Type>),
    /// The type of `[]` before context fixes it.
    EmptyList,
    /// An expression that already failed to check (suppresses cascades).
    Error,
}

impl Type {
    /// Numbers of any kind.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_))
    }
    /// Dimensionless numbers (may scale others).
    pub fn is_scalar(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal | Type::Percent)
    }
}

/// Where an item came from, for citations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: FileId,
    /// The span in it.
    pub span: Span,
}

/// A resolved citation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Citation {
    /// Document number(s) of the policy that holds the rule.
    pub document: Arc<str>,
    /// Clause number.
    pub clause: Arc<str>,
    /// The quoted sentence, when the policy gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<Arc<str>>,
}

/// A source file of the checked policy.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// Its name (path or in-memory name).
    pub name: Arc<str>,
    /// Its text.
    pub text: Arc<str>,
    /// The policy id it declares.
    pub policy_id: String,
}

/// Identity and provenance of a checked policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyMeta {
    /// Policy id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Document numbers.
    pub documents: Vec<String>,
    /// Issuer.
    pub issuer: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Issue date.
    pub issued: Option<NaiveDate>,
    /// First day in force.
    pub in_force_from: Option<NaiveDate>,
    /// Last day in force.
    pub in_force_until: Option<NaiveDate>,
    /// Author-given version.
    pub version: Option<String>,
    /// The id of the policy this one amends (`amends …`): the rules are that
    /// policy's with this one's changes merged in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amends: Option<String>,
    /// SHA-256 of the policy's text and of every policy it imports, hex.
    pub content_hash: String,
}

/// A declared unit.
#[derive(Debug, Clone)]
pub struct UnitDef {
    /// Qualified name.
    pub name: String,
    /// Label.
    pub label: String,
}

/// `from_count` of `from` equal `to_count` of `to`.
#[derive(Debug, Clone)]
pub struct ConversionDef {
    /// From unit.
    pub from: UnitId,
    /// Count of it.
    pub from_count: Decimal,
    /// To unit.
    pub to: UnitId,
    /// Count of it.
    pub to_count: Decimal,
    /// Citation.
    pub cite: Option<Citation>,
}

/// A declared enum.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// Qualified name.
    pub name: String,
    /// Label.
    pub label: Option<String>,
    /// Variants: (name, label).
    pub variants: Vec<(String, Option<String>)>,
}

/// A record type.
#[derive(Debug, Clone)]
pub struct RecordDef {
    /// Qualified name.
    pub name: String,
    /// Fields: (name, type, label).
    pub fields: Vec<(String, Type, Option<String>)>,
}

/// An inclusive range on a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Lowest allowed.
    pub low: Option<Decimal>,
    /// Highest allowed.
    pub high: Option<Decimal>,
}

/// A function: a named, typed, pure helper.
#[derive(Debug, Clone)]
pub struct FnDef {
    /// Qualified name.
    pub name: String,
    /// Parameter names and types, in order.
    pub params: Vec<(String, Type)>,
    /// Result type.
    pub ty: Type,
    /// The body; its parameters are locals (the last is `Local(0)`).
    pub body: CExpr,
    /// Label.
    pub label: Option<String>,
    /// Citation.
    pub cite: Option<Citation>,
}

/// A fact.
#[derive(Debug, Clone)]
pub struct InputDef {
    /// Name (JSON key).
    pub name: String,
    /// Type.
    pub ty: Type,
    /// Allowed range.
    pub bounds: Option<Bounds>,
    /// Default when absent (constant).
    pub default: Option<Value>,
    /// Label.
    pub label: Option<String>,
    /// Where declared.
    pub origin: Origin,
}

/// One dated value of a parameter.
#[derive(Debug, Clone)]
pub struct ParamVersionDef {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive), after applying the next version's start.
    pub until: Option<NaiveDate>,
    /// The value.
    pub value: CExpr,
    /// Citation.
    pub cite: Option<Citation>,
}

/// A parameter with dated values.
#[derive(Debug, Clone)]
pub struct ParamDef {
    /// Qualified name.
    pub name: String,
    /// Type.
    pub ty: Type,
    /// Label.
    pub label: Option<String>,
    /// Versions sorted by `from`.
    pub versions: Vec<ParamVersionDef>,
    /// Citation of the parameter.
    pub cite: Option<Citation>,
}

/// An external value.
#[derive(Debug, Clone)]
pub struct ExternalDef {
    /// Name (JSON key); qualified when imported.
    pub name: String,
    /// Type.
    pub ty: Type,
    /// Bounds the document sets.
    pub bounds: Option<Bounds>,
    /// Label.
    pub label: String,
    /// `Some(authority, criteria)` when set by an authority within bounds.
    pub set_by: Option<(String, Vec<String>)>,
    /// The instrument defining it otherwise.
    pub defined_in: Option<String>,
    /// Citation.
    pub cite: Option<Citation>,
}

/// A lookup table.
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Qualified name.
    pub name: String,
    /// Label.
    pub label: Option<String>,
    /// The record type of its rows (keys then values).
    pub row_type: RecordId,
    /// Number of key columns.
    pub key_count: usize,
    /// Rows as records.
    pub rows: Vec<Arc<[Value]>>,
    /// Citation.
    pub cite: Option<Citation>,
}

/// A derived value.
#[derive(Debug, Clone)]
pub struct LetDef {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: Type,
    /// Definition.
    pub value: CExpr,
    /// Label.
    pub label: Option<String>,
    /// Citation.
    pub cite: Option<Citation>,
}

/// A policy-level assertion (evaluated when the plan is compiled).
#[derive(Debug, Clone)]
pub struct AssertDef {
    /// Id or label.
    pub id: String,
    /// Label.
    pub label: String,
    /// Must be true.
    pub expr: CExpr,
    /// Citation.
    pub cite: Option<Citation>,
    /// Where declared.
    pub origin: Origin,
}

/// A clause of the document.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClauseDef {
    /// Clause number.
    pub number: String,
    /// Heading.
    pub title: Option<String>,
    /// Quoted deciding sentence.
    pub quote: Option<String>,
    /// Why it is not computable.
    pub not_computable: Option<String>,
    /// Whether some rule cites it.
    pub cited: bool,
}

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

/// A checked policy, ready to compile.
#[derive(Debug, Clone)]
pub struct CheckedPolicy {
    /// Identity and provenance.
    pub meta: PolicyMeta,
    /// Source files: index 0 is the policy, then its imports.
    pub files: Vec<SourceInfo>,
    /// Units.
    pub units: Vec<UnitDef>,
    /// Conversions.
    pub conversions: Vec<ConversionDef>,
    /// Enums.
    pub enums: Vec<EnumDef>,
    /// Records.
    pub records: Vec<RecordDef>,
    /// Facts.
    pub inputs: Vec<InputDef>,
    /// Parameters.
    pub params: Vec<ParamDef>,
    /// Externals.
    pub externals: Vec<ExternalDef>,
    /// Tables.
    pub tables: Vec<TableDef>,
    /// Lets, in dependency order (each only reads earlier ones).
    pub lets: Vec<LetDef>,
    /// Functions of the policy and its imports, in declaration order (each
    /// calls only earlier ones).
    pub functions: Vec<FnDef>,
    /// Assertions of the policy and its imports.
    pub asserts: Vec<AssertDef>,
    /// Clause map of the policy itself.
    pub clauses: Vec<ClauseDef>,
    /// Benefits in declaration order.
    pub benefits: Vec<BenefitDef>,
    /// The order benefits are decided in: each after the benefits whose
    /// amounts it reads, otherwise in declaration order (indexes into
    /// `benefits`).
    pub benefit_order: Vec<u32>,
}

impl CheckedPolicy {
    /// A type as the author writes it (`money`, `city.level`, `list ren`):
    /// the one spelling used by messages, hovers, traces, diffs and the API.
    pub fn type_name(&self, t: &Type) -> String {
        type_name_in(&self.units, &self.enums, &self.records, t)
    }
}

/// [`CheckedPolicy::type_name`] over the tables alone, for the checker while
/// it is still filling them. An id past the end of its table (never in a
/// checked policy) is named `?unit`, `?enum` or `?record`.
pub(crate) fn type_name_in(units: &[UnitDef], enums: &[EnumDef], records: &[RecordDef], t: &Type) -> String {
    match t {
        Type::Bool => "bool".into(),
        Type::Int => "int".into(),
        Type::Decimal => "decimal".into(),
        Type::Money => "money".into(),
        Type::Percent => "percent".into(),
        Type::Date => "date".into(),
        Type::Duration => "duration".into(),
        Type::Text => "text".into(),
        Type::Quantity(u) => units.get(u.index()).map_or_else(|| "?unit".into(), |u| u.name.clone()),
        Type::Enum(e) => enums.get(e.index()).map_or_else(|| "?enum".into(), |e| e.name.clone()),
        Type::Record(r) => records.get(r.index()).map_or_else(|| "?record".into(), |r| r.name.clone()),
        Type::List(t) => format!("list {}", type_name_in(units, enums, records, t)),
        Type::EmptyList => "list".into(),
        Type::Error => "?".into(),
    }
}

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
