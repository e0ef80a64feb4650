//! The typed syntax tree of a `.policy` file, with a source span on every node.
//!
//! Spans compare equal to each other, so two trees that differ only in layout
//! are `==` (the formatter round-trip relies on this).
//!
//! Here: spans, names, the file, its header and the declarations;
//! `amend.rs` the changes an amendment makes, `benefit.rs` a benefit and its
//! clauses, `expr.rs` expressions (re-exported here, paths unchanged).

mod amend;
mod benefit;
mod expr;

pub use amend::*;
pub use benefit::*;
pub use expr::*;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A byte range in one source file. All spans are equal under `==`.
#[derive(Debug, Clone, Copy, Default, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl std::hash::Hash for Span {
    fn hash<H: std::hash::Hasher>(&self, _state: &mut H) {}
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A name with its span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal (escapes resolved) with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    /// The text, escapes resolved.
    pub value: String,
    /// Where it was written, quotes included.
    pub span: Span,
}

/// A date literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateLit {
    /// The date.
    pub value: NaiveDate,
    /// Where it was written.
    pub span: Span,
}

/// One parsed `.policy` file.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    /// The `policy …` header.
    pub header: Header,
    /// Items in source order.
    pub items: Vec<Item>,
}

/// The policy header: identity and provenance of the document it encodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Dotted policy id, e.g. `jiaxing.digital_training_2021`.
    pub id: Ident,
    /// The document's title.
    pub title: Str,
    /// Document numbers such as `嘉经信数经〔2021〕32号`.
    pub documents: Vec<Str>,
    /// Issuing authority.
    pub issuer: Option<Str>,
    /// Region the policy applies to.
    pub region: Option<Str>,
    /// Issue date.
    pub issued: Option<DateLit>,
    /// In-force window; either end may be open.
    pub in_force: Option<InForce>,
    /// Path of the source text, relative to the policy file.
    pub source: Option<Str>,
    /// Author-given version string.
    pub version: Option<Str>,
    /// `amends <policy id>`: this policy is a set of changes to that one.
    pub amends: Option<Ident>,
    /// The whole header.
    pub span: Span,
}

/// `in_force FROM .. UNTIL` (both inclusive, either open).
#[derive(Debug, Clone, PartialEq)]
pub struct InForce {
    /// First day in force.
    pub from: Option<DateLit>,
    /// Last day in force.
    pub until: Option<DateLit>,
    /// Where it was written.
    pub span: Span,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `use other.policy as alias`
    Use(UseDecl),
    /// `unit lesson_hour "课时"`
    Unit(UnitDecl),
    /// `convert 3 clock_hour = 4 lesson_hour`
    Convert(ConvertDecl),
    /// `enum level { … }`
    Enum(EnumDecl),
    /// `record claim { … }`
    Record(RecordDecl),
    /// `input name: type …`
    Input(InputDecl),
    /// `param name: type { from … => … }`
    Param(ParamDecl),
    /// `external name: type … defined_in|set_by …`
    External(ExternalDecl),
    /// `table name(keys) -> (values) { rows }`
    Table(TableDecl),
    /// `let name = expr`
    Let(LetDecl),
    /// `fn name(param: type, …): type = expr`
    Fn(FnDecl),
    /// `assert expr "label"`
    Assert(AssertDecl),
    /// `clause "五（一）" …`
    Clause(ClauseDecl),
    /// `benefit id "label" { … }`
    Benefit(BenefitDecl),
    /// `amend param …` / `amend benefit …` (only in an amendment)
    Amend(AmendDecl),
    /// `repeal benefit id [cite]` (only in an amendment)
    Repeal(RepealDecl),
}

impl Item {
    /// The span of the whole item.
    pub fn span(&self) -> Span {
        match self {
            Item::Use(d) => d.span,
            Item::Unit(d) => d.span,
            Item::Convert(d) => d.span,
            Item::Enum(d) => d.span,
            Item::Record(d) => d.span,
            Item::Input(d) => d.span,
            Item::Param(d) => d.span,
            Item::External(d) => d.span,
            Item::Table(d) => d.span,
            Item::Let(d) => d.span,
            Item::Fn(d) => d.span,
            Item::Assert(d) => d.span,
            Item::Clause(d) => d.span,
            Item::Benefit(d) => d.span,
            Item::Amend(AmendDecl::Param(d)) => d.span,
            Item::Amend(AmendDecl::Benefit(d)) => d.span,
            Item::Repeal(d) => d.span,
        }
    }
}

/// `use zhejiang.digital_engineer_2023 as zj`
#[derive(Debug, Clone, PartialEq)]
pub struct UseDecl {
    /// The imported policy's id.
    pub policy: Ident,
    /// The local name (defaults to the id's last segment).
    pub alias: Option<Ident>,
    /// Where it was written.
    pub span: Span,
}

/// `unit lesson_hour "课时"`
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDecl {
    /// Unit name.
    pub name: Ident,
    /// Human label.
    pub label: Str,
    /// Where it was written.
    pub span: Span,
}

/// `convert 3 clock_hour = 4 lesson_hour cite "…"`
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertDecl {
    /// Left side (a quantity literal).
    pub from: Expr,
    /// Right side (a quantity literal).
    pub to: Expr,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// An enum declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    /// Enum name.
    pub name: Ident,
    /// Human label.
    pub label: Option<Str>,
    /// Variants in order.
    pub variants: Vec<Variant>,
    /// Where it was written.
    pub span: Span,
}

/// One enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Variant name.
    pub name: Ident,
    /// Human label.
    pub label: Option<Str>,
    /// Where it was written.
    pub span: Span,
}

/// A record type declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDecl {
    /// Record name.
    pub name: Ident,
    /// Human label.
    pub label: Option<Str>,
    /// Fields in order.
    pub fields: Vec<FieldDecl>,
    /// Where it was written.
    pub span: Span,
}

/// One record field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// Field name.
    pub name: Ident,
    /// Field type.
    pub ty: TypeExpr,
    /// Human label.
    pub label: Option<Str>,
    /// Where it was written.
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// `money`, `level`, `lesson_hour`, …
    Named(Ident),
    /// `list claim`
    List(Ident),
}

impl TypeExpr {
    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) | TypeExpr::List(i) => i.span,
        }
    }
}

/// A fact the caller supplies.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    /// Fact name (the JSON key).
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// Allowed range, inclusive at both ends.
    pub range: Option<RangeDecl>,
    /// Default when absent (makes the fact optional).
    pub default: Option<Expr>,
    /// Human label.
    pub label: Option<Str>,
    /// Where it was written.
    pub span: Span,
}

/// `in LOW .. HIGH`, inclusive, either end open.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeDecl {
    /// Lowest allowed value.
    pub low: Option<Expr>,
    /// Highest allowed value.
    pub high: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// A parameter with dated values.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Parameter name.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// Human label.
    pub label: Option<Str>,
    /// Citation for the parameter as a whole.
    pub cite: Option<Cite>,
    /// Dated versions.
    pub versions: Vec<ParamVersion>,
    /// Where it was written.
    pub span: Span,
}

/// `from DATE [until DATE] => value [cite]`
#[derive(Debug, Clone, PartialEq)]
pub struct ParamVersion {
    /// First day this value applies.
    pub from: DateLit,
    /// Last day (inclusive); open when absent (until replaced by a later version).
    pub until: Option<DateLit>,
    /// The value.
    pub value: Expr,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// A value the document does not fix, supplied by the embedder.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalDecl {
    /// Name (the JSON key in the facts).
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// Bounds the document sets.
    pub range: Option<RangeDecl>,
    /// Human label.
    pub label: Str,
    /// Where the value comes from.
    pub source: ExternalSource,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// Where an external value is defined.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalSource {
    /// Defined in another instrument: absent means undetermined.
    DefinedIn(Str),
    /// Set by an authority within the bounds, by criteria the document names:
    /// absent means the decision carries the range.
    SetBy {
        /// The authority.
        authority: Str,
        /// The criteria it applies.
        criteria: Vec<Str>,
    },
}

/// A typed lookup table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    /// Table name.
    pub name: Ident,
    /// Key columns.
    pub keys: Vec<Column>,
    /// Value columns.
    pub values: Vec<Column>,
    /// Human label.
    pub label: Option<Str>,
    /// Citation.
    pub cite: Option<Cite>,
    /// Rows in order.
    pub rows: Vec<Row>,
    /// Where it was written.
    pub span: Span,
}

/// `name: type`
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name.
    pub name: Ident,
    /// Column type.
    pub ty: TypeExpr,
}

/// `keys => values`
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Key cells.
    pub keys: Vec<Expr>,
    /// Value cells.
    pub values: Vec<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// `let name[: type] = expr ["label"] [cite]`
#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    /// Name.
    pub name: Ident,
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

/// A named, typed, pure helper: `fn name(param: type, …): type = expr`.
/// Its body reads only its parameters, constants, the policy's parameters
/// and tables, and functions declared before it (so none is recursive).
#[derive(Debug, Clone, PartialEq)]
pub struct FnDecl {
    /// Name.
    pub name: Ident,
    /// Parameters, in order.
    pub params: Vec<(Ident, TypeExpr)>,
    /// Result type.
    pub ty: TypeExpr,
    /// Definition.
    pub body: Expr,
    /// Human label.
    pub label: Option<Str>,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// A policy-level assertion, checked when the policy is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertDecl {
    /// Optional id.
    pub id: Option<Ident>,
    /// Must evaluate to true.
    pub expr: Expr,
    /// Human label.
    pub label: Str,
    /// Citation.
    pub cite: Option<Cite>,
    /// Where it was written.
    pub span: Span,
}

/// A numbered clause of the source document.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseDecl {
    /// Clause number as the document writes it, e.g. `五（一）`.
    pub number: Str,
    /// Its heading.
    pub title: Option<Str>,
    /// What the policy does with it.
    pub body: ClauseBody,
    /// Where it was written.
    pub span: Span,
}

/// A clause is quoted (and cited by rules) or recorded as not computable.
#[derive(Debug, Clone, PartialEq)]
pub enum ClauseBody {
    /// The deciding sentence, verbatim from the source.
    Quote(Str),
    /// Why no rule encodes it.
    NotComputable(Str),
}

/// `cite "五（一）" [quote "…"]`
#[derive(Debug, Clone, PartialEq)]
pub struct Cite {
    /// The imported policy whose clause this is (its `use` alias), or `None`
    /// for the policy's own document: `cite zj."四（四）"`.
    pub policy: Option<Ident>,
    /// Clause number.
    pub clause: Str,
    /// The sentence quoted for this rule (overrides the clause's quote).
    pub quote: Option<Str>,
    /// Where it was written.
    pub span: Span,
}
