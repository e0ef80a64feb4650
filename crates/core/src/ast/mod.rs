//! The typed syntax tree of a `.policy` file, with a source span on every node.
//!
//! Spans compare equal to each other, so two trees that differ only in layout
//! are `==` (the formatter round-trip relies on this).

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
