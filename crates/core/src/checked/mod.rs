//! The checked policy: names resolved to typed ids, every expression typed,
//! imports flattened in. This is what the evaluator compiles; it holds no
//! pest types and no unresolved names.
//!
//! Here: typed ids, types, the policy's declarations and
//! [`CheckedPolicy`]; `benefit.rs` benefits and their rules, `expr.rs`
//! checked expressions (both re-exported here, paths unchanged).

mod benefit;
mod expr;

pub use benefit::*;
pub use expr::*;

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
