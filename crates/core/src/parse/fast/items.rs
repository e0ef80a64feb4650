//! Header, items and benefit clauses (`policy.pest`'s `header`, `item` and
//! `benefit_clause`), lowered as `parse.rs` lowers them.

use super::{Fast, Mark};
use crate::ast::*;

impl Fast<'_> {
    /// The lowering tells the bound before `..` from the one after by the
    /// first `..` in the text, which may lie in a comment: leave that to it.
    pub(super) fn comment_before_dots(&mut self, start: usize) {
        if self.text.get(start..self.pos).is_some_and(|t| t.contains('#')) {
            self.bail = true;
        }
    }

    // ------------------------------------------------------------ header

    pub(super) fn header(&mut self) -> Option<Header> {
        self.skip();
        let start = self.pos;
        if !self.kw("policy") {
            return None;
        }
        let id = self.qualified_name()?;
        let title = self.string()?;
        let mut h = Header {
            id,
            title,
            documents: Vec::new(),
            issuer: None,
            region: None,
            issued: None,
            in_force: None,
            source: None,
            version: None,
            amends: None,
            span: Span::default(),
        };
        while self.attempt(|p| p.header_field(&mut h)).is_some() {}
        h.span = self.span_from(start);
        Some(h)
    }

    pub(super) fn header_field(&mut self, h: &mut Header) -> Option<()> {
        self.skip();
        let start = self.pos;
        let dup = match self.word() {
            "document" => {
                self.kw("document");
                let s = self.string()?;
                h.documents.push(s);
                false
            }
            "issuer" => {
                self.kw("issuer");
                let s = self.string()?;
                h.issuer.replace(s).is_some()
            }
            "region" => {
                self.kw("region");
                let s = self.string()?;
                h.region.replace(s).is_some()
            }
            "source" => {
                self.kw("source");
                let s = self.string()?;
                h.source.replace(s).is_some()
            }
            "amends" => {
                self.kw("amends");
                let id = self.qualified_name()?;
                h.amends.replace(id).is_some()
            }
            "version" => {
                self.kw("version");
                let s = self.string()?;
                h.version.replace(s).is_some()
            }
            "issued" => {
                self.kw("issued");
                let d = self.date()?;
                h.issued.replace(d).is_some()
            }
            "in_force" => {
                self.kw("in_force");
                let from = self.attempt(Self::date);
                if !self.lit("..") {
                    return None;
                }
                self.comment_before_dots(start);
                let until = self.attempt(Self::date);
                let span = self.span_from(start);
                h.in_force.replace(InForce { from, until, span }).is_some()
            }
            _ => return None,
        };
        if dup {
            self.bail = true;
        }
        Some(())
    }

    // ------------------------------------------------------------ items

    pub(super) fn item(&mut self) -> Option<Item> {
        self.skip();
        let start = self.pos;
        let word = self.word();
        if !self.kw(word) {
            return None;
        }
        let item = match word {
            "use" => {
                let policy = self.qualified_name()?;
                let alias = self.attempt(|p| if p.kw("as") { p.ident() } else { None });
                Item::Use(UseDecl { policy, alias, span: Span::default() })
            }
            "unit" => {
                let name = self.ident()?;
                let label = self.string()?;
                Item::Unit(UnitDecl { name, label, span: Span::default() })
            }
            "convert" => {
                let from = self.quantity()?;
                if !self.lit("=") {
                    return None;
                }
                let to = self.quantity()?;
                let cite = self.attempt(Self::cite);
                Item::Convert(ConvertDecl { from, to, cite, span: Span::default() })
            }
            "enum" => {
                let name = self.ident()?;
                let label = self.attempt(Self::string);
                let variants = self.braced_list(Self::variant)?;
                Item::Enum(EnumDecl { name, label, variants, span: Span::default() })
            }
            "record" => {
                let name = self.ident()?;
                let label = self.attempt(Self::string);
                let fields = self.braced_list(Self::field)?;
                Item::Record(RecordDecl { name, label, fields, span: Span::default() })
            }
            "input" => {
                let name = self.ident()?;
                if !self.lit(":") {
                    return None;
                }
                let ty = self.type_expr()?;
                let range = self.attempt(Self::range);
                let default = self.attempt(|p| if p.kw("default") { p.expr() } else { None });
                let label = self.attempt(Self::string);
                Item::Input(InputDecl { name, ty, range, default, label, span: Span::default() })
            }
            "param" => {
                let name = self.ident()?;
                if !self.lit(":") {
                    return None;
                }
                let ty = self.type_expr()?;
                let label = self.attempt(Self::string);
                let cite = self.attempt(Self::cite);
                if !self.lit("{") {
                    return None;
                }
                let mut versions = Vec::new();
                while let Some(v) = self.attempt(Self::param_version) {
                    versions.push(v);
                }
                if !self.lit("}") {
                    return None;
                }
                Item::Param(ParamDecl { name, ty, label, cite, versions, span: Span::default() })
            }
            "external" => {
                let name = self.ident()?;
                if !self.lit(":") {
                    return None;
                }
                let ty = self.type_expr()?;
                let range = self.attempt(Self::range);
                let label = self.string()?;
                let source = if self.kw("defined_in") {
                    ExternalSource::DefinedIn(self.string()?)
                } else if self.kw("set_by") {
                    let authority = self.string()?;
                    let criteria = self
                        .attempt(|p| {
                            if !p.kw("criteria") {
                                return None;
                            }
                            let first = p.string()?;
                            Some(p.comma_list(first, Self::string))
                        })
                        .unwrap_or_default();
                    ExternalSource::SetBy { authority, criteria }
                } else {
                    return None;
                };
                let cite = self.attempt(Self::cite);
                Item::External(ExternalDecl { name, ty, range, label, source, cite, span: Span::default() })
            }
            "table" => {
                let name = self.ident()?;
                if !self.lit("(") {
                    return None;
                }
                let keys = self.columns()?;
                if !(self.lit(")") && self.lit("->") && self.lit("(")) {
                    return None;
                }
                let values = self.columns()?;
                if !self.lit(")") {
                    return None;
                }
                let label = self.attempt(Self::string);
                let cite = self.attempt(Self::cite);
                if !self.lit("{") {
                    return None;
                }
                let mut rows = Vec::new();
                while let Some(r) = self.attempt(Self::row) {
                    rows.push(r);
                }
                if !self.lit("}") {
                    return None;
                }
                Item::Table(TableDecl { name, keys, values, label, cite, rows, span: Span::default() })
            }
            "let" => {
                let name = self.ident()?;
                let ty = self.attempt(|p| if p.lit(":") { p.type_expr() } else { None });
                if !self.lit("=") {
                    return None;
                }
                let value = self.expr()?;
                let label = self.attempt(Self::string);
                let cite = self.attempt(Self::cite);
                Item::Let(LetDecl { name, ty, value, label, cite, span: Span::default() })
            }
            "fn" => {
                let name = self.ident()?;
                if !self.lit("(") {
                    return None;
                }
                let params = match self.attempt(Self::fn_param) {
                    Some(first) => self.comma_list(first, Self::fn_param),
                    None => Vec::new(),
                };
                if !(self.lit(")") && self.lit(":")) {
                    return None;
                }
                let ty = self.type_expr()?;
                if !self.lit("=") {
                    return None;
                }
                let body = self.expr()?;
                let label = self.attempt(Self::string);
                let cite = self.attempt(Self::cite);
                Item::Fn(FnDecl { name, params, ty, body, label, cite, span: Span::default() })
            }
            "assert" => {
                let id = self.attempt(|p| {
                    let i = p.ident()?;
                    p.lit(":").then_some(i)
                });
                let expr = self.expr()?;
                let label = self.string()?;
                let cite = self.attempt(Self::cite);
                Item::Assert(AssertDecl { id, expr, label, cite, span: Span::default() })
            }
            "clause" => {
                let number = self.string()?;
                let title = self.attempt(Self::string);
                let body = if self.kw("quote") {
                    ClauseBody::Quote(self.string()?)
                } else if self.kw("not_computable") {
                    ClauseBody::NotComputable(self.string()?)
                } else {
                    return None;
                };
                Item::Clause(ClauseDecl { number, title, body, span: Span::default() })
            }
            "benefit" => {
                let id = self.ident()?;
                let label = self.string()?;
                if !self.lit("{") {
                    return None;
                }
                let mut clauses = Vec::new();
                while let Some(c) = self.attempt(Self::benefit_clause) {
                    clauses.push(c);
                }
                if !self.lit("}") {
                    return None;
                }
                Item::Benefit(BenefitDecl { id, label, clauses, span: Span::default() })
            }
            "amend" => {
                if self.kw("param") {
                    let name = self.ident()?;
                    if !self.lit("{") {
                        return None;
                    }
                    let mut versions = Vec::new();
                    while let Some(v) = self.attempt(Self::param_version) {
                        versions.push(v);
                    }
                    if !self.lit("}") {
                        return None;
                    }
                    Item::Amend(AmendDecl::Param(AmendParam { name, versions, span: Span::default() }))
                } else if self.kw("benefit") {
                    let id = self.ident()?;
                    let label = self.attempt(Self::string);
                    if !self.lit("{") {
                        return None;
                    }
                    let mut changes = Vec::new();
                    while let Some(c) = self.attempt(Self::amend_change) {
                        changes.push(c);
                    }
                    if !self.lit("}") {
                        return None;
                    }
                    Item::Amend(AmendDecl::Benefit(AmendBenefit { id, label, changes, span: Span::default() }))
                } else {
                    return None;
                }
            }
            "repeal" => {
                if !self.kw("benefit") {
                    return None;
                }
                let benefit = self.ident()?;
                let cite = self.attempt(Self::cite);
                Item::Repeal(RepealDecl { benefit, cite, span: Span::default() })
            }
            _ => return None,
        };
        Some(with_item_span(item, self.span_from(start)))
    }

    /// `"{" ~ (x ~ ("," ~ x)* ~ ","?)? ~ "}"`.
    pub(super) fn braced_list<T>(&mut self, f: impl FnMut(&mut Self) -> Option<T> + Copy) -> Option<Vec<T>> {
        if !self.lit("{") {
            return None;
        }
        let out = match self.attempt(f) {
            Some(first) => {
                let v = self.comma_list(first, f);
                self.attempt(|p| p.lit(",").then_some(()));
                v
            }
            None => Vec::new(),
        };
        self.lit("}").then_some(out)
    }

    pub(super) fn variant(&mut self) -> Option<Variant> {
        self.skip();
        let start = self.pos;
        let name = self.ident()?;
        let label = self.attempt(Self::string);
        Some(Variant { name, label, span: self.span_from(start) })
    }

    pub(super) fn field(&mut self) -> Option<FieldDecl> {
        self.skip();
        let start = self.pos;
        let name = self.ident()?;
        if !self.lit(":") {
            return None;
        }
        let ty = self.type_expr()?;
        let label = self.attempt(Self::string);
        Some(FieldDecl { name, ty, label, span: self.span_from(start) })
    }

    pub(super) fn fn_param(&mut self) -> Option<(Ident, TypeExpr)> {
        let n = self.ident()?;
        if !self.lit(":") {
            return None;
        }
        Some((n, self.type_expr()?))
    }

    pub(super) fn columns(&mut self) -> Option<Vec<Column>> {
        let column = |p: &mut Self| {
            let name = p.ident()?;
            if !p.lit(":") {
                return None;
            }
            Some(Column { name, ty: p.type_expr()? })
        };
        let first = column(self)?;
        Some(self.comma_list(first, column))
    }

    pub(super) fn row(&mut self) -> Option<Row> {
        self.skip();
        let start = self.pos;
        let first = self.expr()?;
        let keys = self.comma_list(first, Self::expr);
        if !self.lit("=>") {
            return None;
        }
        let first = self.expr()?;
        let values = self.comma_list(first, Self::expr);
        self.attempt(|p| p.lit(";").then_some(()));
        Some(Row { keys, values, span: self.span_from(start) })
    }

    pub(super) fn range(&mut self) -> Option<RangeDecl> {
        self.skip();
        let start = self.pos;
        if !self.kw("in") {
            return None;
        }
        let low = self.attempt(Self::bound);
        if !self.lit("..") {
            return None;
        }
        self.comment_before_dots(start);
        let high = self.attempt(Self::bound);
        Some(RangeDecl { low, high, span: self.span_from(start) })
    }

    pub(super) fn bound(&mut self) -> Option<Expr> {
        self.skip();
        let start = self.pos;
        let neg = self.attempt(|p| p.lit("-").then_some(())).is_some();
        let v = self.quantity()?;
        Some(if neg { Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(v)), span: self.span_from(start) } } else { v })
    }

    pub(super) fn param_version(&mut self) -> Option<ParamVersion> {
        self.skip();
        let start = self.pos;
        if !self.kw("from") {
            return None;
        }
        let from = self.date()?;
        let until = self.attempt(|p| if p.kw("until") { p.date() } else { None });
        if !self.lit("=>") {
            return None;
        }
        let value = self.expr()?;
        let cite = self.attempt(Self::cite);
        Some(ParamVersion { from, until, value, cite, span: self.span_from(start) })
    }

    pub(super) fn cite(&mut self) -> Option<Cite> {
        self.skip();
        let start = self.pos;
        if !self.kw("cite") {
            return None;
        }
        let policy = self.attempt(|p| {
            let i = p.ident()?;
            p.lit(".").then_some(i)
        });
        let clause = self.string()?;
        let quote = self.attempt(|p| if p.kw("quote") { p.string() } else { None });
        Some(Cite { policy, clause, quote, span: self.span_from(start) })
    }

    // ------------------------------------------------------------ benefits

    /// `cond_id = { ident ~ ":" ~ !":" }`.
    pub(super) fn cond_id(&mut self) -> Option<Ident> {
        self.attempt(|p| {
            let i = p.ident()?;
            if !p.lit(":") {
                return None;
            }
            p.skip();
            (!p.rest().starts_with(':')).then_some(i)
        })
    }

    /// `amend_change = _{ replace_change | repeal_change | benefit_clause }`.
    pub(super) fn amend_change(&mut self) -> Option<Change> {
        self.skip();
        let start = self.pos;
        if let Some(clause) = self.attempt(|p| {
            if !p.kw("replace") {
                return None;
            }
            let clause = p.benefit_clause()?;
            matches!(
                clause,
                BenefitClause::Condition(_)
                    | BenefitClause::Amount(_)
                    | BenefitClause::Cap(_)
                    | BenefitClause::Uplift(_)
                    | BenefitClause::Override(_)
                    | BenefitClause::Output(_)
            )
            .then_some(clause)
        }) {
            return Some(Change::Replace { clause, span: self.span_from(start) });
        }
        if let Some((id, cite)) = self.attempt(|p| {
            if !p.kw("repeal") {
                return None;
            }
            let id = p.ident()?;
            Some((id, p.attempt(Self::cite)))
        }) {
            return Some(Change::Repeal { id, cite, span: self.span_from(start) });
        }
        self.benefit_clause().map(Change::Add)
    }

    pub(super) fn benefit_clause(&mut self) -> Option<BenefitClause> {
        self.skip();
        let start = self.pos;
        let word = self.word();
        if !self.kw(word) {
            return None;
        }
        Some(match word {
            "payee" => BenefitClause::Payee(self.ident()?),
            "per" => BenefitClause::Per(self.ident()?),
            "cite" => {
                self.reset(Mark { pos: start, end: self.end });
                BenefitClause::Cite(self.cite()?)
            }
            "dated_by" => {
                let expr = self.expr()?;
                let label = self.attempt(Self::string);
                BenefitClause::DatedBy { expr, label, span: self.span_from(start) }
            }
            "applies_when" | "require" | "exclude" => {
                let kind = match word {
                    "applies_when" => ConditionKind::Applies,
                    "require" => ConditionKind::Require,
                    _ => ConditionKind::Exclude,
                };
                let id = self.cond_id();
                let expr = self.expr()?;
                let label = self.string()?;
                let cite = self.attempt(Self::cite);
                BenefitClause::Condition(Condition { kind, id, expr, label, cite, span: self.span_from(start) })
            }
            "amount" | "cap" => {
                let expr = self.expr()?;
                let label = self.attempt(Self::string);
                let cite = self.attempt(Self::cite);
                let step = AmountStep { expr, label, cite, span: self.span_from(start) };
                if word == "amount" {
                    BenefitClause::Amount(step)
                } else {
                    BenefitClause::Cap(step)
                }
            }
            "uplift" => {
                let id = self.cond_id();
                let rate = self.expr()?;
                if !self.kw("when") {
                    return None;
                }
                let when = self.expr()?;
                let until = self.attempt(|p| if p.kw("until") { p.date() } else { None });
                let label = self.string()?;
                let cite = self.attempt(Self::cite);
                BenefitClause::Uplift(Uplift { id, rate, when, until, label, cite, span: self.span_from(start) })
            }
            "override" => {
                let id = self.cond_id();
                if !self.kw("when") {
                    return None;
                }
                let when = self.expr()?;
                if !self.lit("=>") {
                    return None;
                }
                let value = self.expr()?;
                let label = self.string()?;
                let cite = self.attempt(Self::cite);
                BenefitClause::Override(Override { id, when, value, label, cite, span: self.span_from(start) })
            }
            "entitle" | "needs" => {
                let label = self.string()?;
                let when = self.attempt(|p| if p.kw("when") { p.expr() } else { None });
                let cite = self.attempt(Self::cite);
                let o = Outcome { label, when, cite, span: self.span_from(start) };
                if word == "entitle" {
                    BenefitClause::Entitle(o)
                } else {
                    BenefitClause::Needs(o)
                }
            }
            "deadline" => {
                let label = self.string()?;
                let expr = self.expr()?;
                let cite = self.attempt(Self::cite);
                BenefitClause::Deadline { label, expr, cite, span: self.span_from(start) }
            }
            "output" => {
                let id = self.ident()?;
                let ty = self.attempt(|p| if p.lit(":") { p.type_expr() } else { None });
                if !self.lit("=") {
                    return None;
                }
                let value = self.expr()?;
                let label = self.attempt(Self::string);
                let cite = self.attempt(Self::cite);
                BenefitClause::Output(OutputDecl { id, ty, value, label, cite, span: self.span_from(start) })
            }
            "from" => {
                let from = self.date()?;
                let until = self.attempt(|p| if p.kw("until") { p.date() } else { None });
                if !self.lit("{") {
                    return None;
                }
                let mut clauses = Vec::new();
                while let Some(c) = self.attempt(Self::benefit_clause) {
                    clauses.push(c);
                }
                if !self.lit("}") {
                    return None;
                }
                BenefitClause::Version(VersionBlock { from, until, clauses, span: self.span_from(start) })
            }
            _ => return None,
        })
    }
}

fn with_item_span(mut item: Item, s: Span) -> Item {
    match &mut item {
        Item::Use(d) => d.span = s,
        Item::Unit(d) => d.span = s,
        Item::Convert(d) => d.span = s,
        Item::Enum(d) => d.span = s,
        Item::Record(d) => d.span = s,
        Item::Input(d) => d.span = s,
        Item::Param(d) => d.span = s,
        Item::External(d) => d.span = s,
        Item::Table(d) => d.span = s,
        Item::Let(d) => d.span = s,
        Item::Fn(d) => d.span = s,
        Item::Assert(d) => d.span = s,
        Item::Clause(d) => d.span = s,
        Item::Benefit(d) => d.span = s,
        Item::Amend(AmendDecl::Param(d)) => d.span = s,
        Item::Amend(AmendDecl::Benefit(d)) => d.span = s,
        Item::Repeal(d) => d.span = s,
    }
    item
}
