//! Lowering pest pairs into [`crate::ast`]: the header, items and benefit
//! clauses (`expr.rs`: expressions, with the same precedence fold and
//! height bounds as the fast path).

mod expr;

pub(super) use expr::{tree_height, MAX_TREE_HEIGHT};

use super::errors::is_keyword;
use super::Rule;
use crate::ast::*;
use crate::diag::{codes, Diagnostic};
use pest::iterators::Pair;
use std::sync::Arc;

pub(super) struct Lower {
    pub(super) file: Arc<str>,
    pub(super) base: usize,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) depth: usize,
}

type P<'i> = Pair<'i, Rule>;

/// Children of a pair, without keyword tokens.
fn kids(p: P<'_>) -> impl Iterator<Item = P<'_>> {
    p.into_inner().filter(|c| !is_keyword(c.as_rule()))
}

impl Lower {
    /// The pair's span without trailing whitespace and comments (pest
    /// includes the trivia it skipped before a missing optional part).
    fn span(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        let text = p.as_str();
        let len = if text.ends_with(char::is_whitespace) || text.contains('#') { code_len(text) } else { text.len() };
        Span::new(self.base + s.start(), self.base + s.start() + len)
    }

    fn err(&mut self, code: crate::diag::Code, span: Span, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, &self.file, span, msg)
    }

    fn ident(&self, p: P<'_>) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(&p) }
    }

    fn string(&mut self, p: P<'_>) -> Str {
        let span = self.span(&p);
        let raw = p.into_inner().next().map(|b| b.as_str()).unwrap_or("");
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                other => {
                    let d = self
                        .err(
                            codes::BAD_ESCAPE,
                            span,
                            format!("unknown escape `\\{}` in a string", other.map(String::from).unwrap_or_default()),
                        )
                        .with_help("the escapes are \\n, \\t, \\\" and \\\\");
                    self.diags.push(d);
                }
            }
        }
        Str { value, span }
    }

    fn date(&mut self, p: P<'_>) -> Option<DateLit> {
        let span = self.span(&p);
        match chrono::NaiveDate::parse_from_str(p.as_str(), "%Y-%m-%d") {
            Ok(value) => Some(DateLit { value, span }),
            Err(_) => {
                let d = self
                    .err(codes::BAD_DATE, span, format!("`{}` is not a calendar date", p.as_str()))
                    .with_help("dates are written YYYY-MM-DD");
                self.diags.push(d);
                None
            }
        }
    }

    pub(super) fn header(&mut self, p: P<'_>) -> Option<Header> {
        let span = self.span(&p);
        let mut it = kids(p);
        let id = self.ident(it.next()?);
        let title = it.next().map(|s| self.string(s))?;
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
            span,
        };
        for field in it {
            let Some(f) = kids(field).next() else { continue };
            let fspan = self.span(&f);
            let fspan_text = f.as_str().to_string();
            let rule = f.as_rule();
            let mut inner = kids(f);
            let dup = match rule {
                Rule::h_document => {
                    if let Some(s) = inner.next() {
                        let s = self.string(s);
                        h.documents.push(s);
                    }
                    false
                }
                Rule::h_issuer => set_once(&mut h.issuer, inner.next().map(|s| self.string(s))),
                Rule::h_region => set_once(&mut h.region, inner.next().map(|s| self.string(s))),
                Rule::h_source => set_once(&mut h.source, inner.next().map(|s| self.string(s))),
                Rule::h_version => set_once(&mut h.version, inner.next().map(|s| self.string(s))),
                Rule::h_amends => set_once(&mut h.amends, inner.next().map(|s| self.ident(s))),
                Rule::h_issued => {
                    let d = inner.next().and_then(|d| self.date(d));
                    set_once(&mut h.issued, d)
                }
                Rule::h_in_force => {
                    let dots = fspan.start + fspan_text.find("..").unwrap_or(0);
                    let (mut from, mut until) = (None, None);
                    for d in inner {
                        let starts_before = self.span(&d).start < dots;
                        let lit = self.date(d);
                        if starts_before {
                            from = lit;
                        } else {
                            until = lit;
                        }
                    }
                    set_once(&mut h.in_force, Some(InForce { from, until, span: fspan }))
                }
                _ => false,
            };
            if dup {
                let d = self.err(codes::DUPLICATE_HEADER, fspan, "header field given twice").with_help("keep one of them");
                self.diags.push(d);
            }
        }
        Some(h)
    }
}

/// Length of `text` up to the end of its last character of code (not
/// whitespace, not inside a `#` comment).
fn code_len(text: &str) -> usize {
    let mut end = 0;
    let mut in_string = false;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            end = i + c.len_utf8();
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                end = i + 1;
            }
            '#' => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => {}
            c => end = i + c.len_utf8(),
        }
    }
    end
}

fn set_once<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    match (slot.is_some(), value) {
        (true, Some(_)) => true,
        (false, v) => {
            *slot = v;
            false
        }
        (true, None) => false,
    }
}

impl Lower {
    pub(super) fn item(&mut self, p: P<'_>) -> Option<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        Some(match rule {
            Rule::use_decl => {
                let mut it = kids(p);
                let policy = self.ident(it.next()?);
                let alias = it.next().map(|a| self.ident(a));
                Item::Use(UseDecl { policy, alias, span })
            }
            Rule::unit_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let label = self.string(it.next()?);
                Item::Unit(UnitDecl { name, label, span })
            }
            Rule::convert_decl => {
                let mut it = kids(p);
                let from = self.quantity(it.next()?)?;
                let to = self.quantity(it.next()?)?;
                let cite = it.next().map(|c| self.cite(c));
                Item::Convert(ConvertDecl { from, to, cite, span })
            }
            Rule::enum_decl => {
                let mut name = None;
                let mut label = None;
                let mut variants = Vec::new();
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::string => label = Some(self.string(c)),
                        Rule::variant => {
                            let vspan = self.span(&c);
                            let mut vi = kids(c);
                            let Some(vn) = vi.next() else { continue };
                            let vname = self.ident(vn);
                            let vlabel = vi.next().map(|s| self.string(s));
                            variants.push(Variant { name: vname, label: vlabel, span: vspan });
                        }
                        _ => {}
                    }
                }
                Item::Enum(EnumDecl { name: name?, label, variants, span })
            }
            Rule::record_decl => {
                let mut name = None;
                let mut label = None;
                let mut fields = Vec::new();
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::string => label = Some(self.string(c)),
                        Rule::field_decl => {
                            if let Some(f) = self.field(c) {
                                fields.push(f);
                            }
                        }
                        _ => {}
                    }
                }
                Item::Record(RecordDecl { name: name?, label, fields, span })
            }
            Rule::input_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let (mut range, mut default, mut label) = (None, None, None);
                for c in it {
                    match c.as_rule() {
                        Rule::range => range = self.range(c),
                        Rule::default_clause => default = kids(c).next().and_then(|e| self.expr(e)),
                        Rule::string => label = Some(self.string(c)),
                        _ => {}
                    }
                }
                Item::Input(InputDecl { name, ty, range, default, label, span })
            }
            Rule::param_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let (mut label, mut cite, mut versions) = (None, None, Vec::new());
                for c in it {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        Rule::param_version => versions.extend(self.param_version(c)),
                        _ => {}
                    }
                }
                Item::Param(ParamDecl { name, ty, label, cite, versions, span })
            }
            Rule::external_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let (mut range, mut label, mut source, mut cite) = (None, None, None, None);
                for c in it {
                    match c.as_rule() {
                        Rule::range => range = self.range(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::defined_in => source = kids(c).next().map(|s| ExternalSource::DefinedIn(self.string(s))),
                        Rule::set_by => {
                            let mut strings = kids(c).map(|s| self.string(s)).collect::<Vec<_>>().into_iter();
                            let authority = strings.next()?;
                            source = Some(ExternalSource::SetBy { authority, criteria: strings.collect() });
                        }
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::External(ExternalDecl { name, ty, range, label: label?, source: source?, cite, span })
            }
            Rule::table_decl => {
                let mut it = kids(p);
                let name = self.ident(it.next()?);
                let keys = self.columns(it.next()?);
                let values = self.columns(it.next()?);
                let (mut label, mut cite, mut rows) = (None, None, Vec::new());
                for c in it {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        Rule::row => {
                            let rspan = self.span(&c);
                            let mut cells = kids(c);
                            let k = cells.next().map(|k| kids(k).filter_map(|e| self.expr(e)).collect()).unwrap_or_default();
                            let v = cells.next().map(|v| kids(v).filter_map(|e| self.expr(e)).collect()).unwrap_or_default();
                            rows.push(Row { keys: k, values: v, span: rspan });
                        }
                        _ => {}
                    }
                }
                Item::Table(TableDecl { name, keys, values, label, cite, rows, span })
            }
            Rule::let_decl => {
                let (mut name, mut ty, mut value, mut label, mut cite) = (None, None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::type_expr => ty = self.type_expr(c),
                        Rule::expr => value = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::Let(LetDecl { name: name?, ty, value: value?, label, cite, span })
            }
            Rule::fn_decl => {
                let (mut name, mut params, mut ty, mut body, mut label, mut cite) = (None, Vec::new(), None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.ident(c)),
                        Rule::fn_param => {
                            let mut it = kids(c);
                            let (Some(n), Some(t)) = (it.next(), it.next()) else { continue };
                            let n = self.ident(n);
                            if let Some(t) = self.type_expr(t) {
                                params.push((n, t));
                            }
                        }
                        Rule::type_expr => ty = self.type_expr(c),
                        Rule::expr => body = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::Fn(FnDecl { name: name?, params, ty: ty?, body: body?, label, cite, span })
            }
            Rule::assert_decl => {
                let (mut id, mut expr, mut label, mut cite) = (None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::expr => expr = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                Item::Assert(AssertDecl { id, expr: expr?, label: label?, cite, span })
            }
            Rule::clause_decl => {
                let mut strings = Vec::new();
                let mut body = None;
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::string => strings.push(self.string(c)),
                        Rule::quote => body = kids(c).next().map(|s| ClauseBody::Quote(self.string(s))),
                        Rule::not_computable => body = kids(c).next().map(|s| ClauseBody::NotComputable(self.string(s))),
                        _ => {}
                    }
                }
                let mut strings = strings.into_iter();
                Item::Clause(ClauseDecl { number: strings.next()?, title: strings.next(), body: body?, span })
            }
            Rule::benefit_decl => {
                let mut it = kids(p);
                let id = self.ident(it.next()?);
                let label = self.string(it.next()?);
                let clauses = it.filter_map(|c| self.benefit_clause(c)).collect();
                Item::Benefit(BenefitDecl { id, label, clauses, span })
            }
            Rule::amend_decl => {
                let inner = kids(p).next()?;
                let ispan = self.span(&inner);
                match inner.as_rule() {
                    Rule::amend_param => {
                        let mut it = kids(inner);
                        let name = self.ident(it.next()?);
                        let versions = it.filter_map(|v| self.param_version(v)).collect();
                        Item::Amend(AmendDecl::Param(AmendParam { name, versions, span: ispan.join(span) }))
                    }
                    Rule::amend_benefit => {
                        let (mut id, mut label, mut changes) = (None, None, Vec::new());
                        for c in kids(inner) {
                            match c.as_rule() {
                                Rule::ident => id = Some(self.ident(c)),
                                Rule::string => label = Some(self.string(c)),
                                Rule::replace_change => {
                                    let cspan = self.span(&c);
                                    if let Some(clause) = kids(c).next().and_then(|k| self.benefit_clause(k)) {
                                        changes.push(Change::Replace { clause, span: cspan });
                                    }
                                }
                                Rule::repeal_change => {
                                    let cspan = self.span(&c);
                                    let mut it = kids(c);
                                    let Some(i) = it.next() else { continue };
                                    let id = self.ident(i);
                                    let cite = it.next().map(|k| self.cite(k));
                                    changes.push(Change::Repeal { id, cite, span: cspan });
                                }
                                _ => changes.extend(self.benefit_clause(c).map(Change::Add)),
                            }
                        }
                        Item::Amend(AmendDecl::Benefit(AmendBenefit { id: id?, label, changes, span }))
                    }
                    _ => return None,
                }
            }
            Rule::repeal_decl => {
                let mut it = kids(p);
                let benefit = self.ident(it.next()?);
                let cite = it.next().map(|k| self.cite(k));
                Item::Repeal(RepealDecl { benefit, cite, span })
            }
            _ => return None,
        })
    }

    fn param_version(&mut self, c: P<'_>) -> Option<ParamVersion> {
        let vspan = self.span(&c);
        let (mut dates, mut value, mut vcite) = (Vec::new(), None, None);
        for v in kids(c) {
            match v.as_rule() {
                Rule::date => dates.extend(self.date(v)),
                Rule::expr => value = self.expr(v),
                Rule::cite => vcite = Some(self.cite(v)),
                _ => {}
            }
        }
        let mut dates = dates.into_iter();
        Some(ParamVersion { from: dates.next()?, until: dates.next(), value: value?, cite: vcite, span: vspan })
    }

    fn field(&mut self, p: P<'_>) -> Option<FieldDecl> {
        let span = self.span(&p);
        let mut it = kids(p);
        let name = self.ident(it.next()?);
        let ty = self.type_expr(it.next()?)?;
        let label = it.next().map(|s| self.string(s));
        Some(FieldDecl { name, ty, label, span })
    }

    fn columns(&mut self, p: P<'_>) -> Vec<Column> {
        kids(p)
            .filter_map(|c| {
                let mut it = kids(c);
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                Some(Column { name, ty })
            })
            .collect()
    }

    fn type_expr(&mut self, p: P<'_>) -> Option<TypeExpr> {
        let inner = kids(p).next()?;
        let rule = inner.as_rule();
        let named = if rule == Rule::list_type { kids(inner).next()? } else { inner };
        let name = Ident { name: named.as_str().to_string(), span: self.span(&named) };
        Some(if rule == Rule::list_type { TypeExpr::List(name) } else { TypeExpr::Named(name) })
    }

    fn range(&mut self, p: P<'_>) -> Option<RangeDecl> {
        let span = self.span(&p);
        let text = p.as_str().to_string();
        let dots = span.start + text.find("..").unwrap_or(0);
        let (mut low, mut high) = (None, None);
        for b in kids(p) {
            let bspan = self.span(&b);
            let mut neg = false;
            let mut value = None;
            for c in kids(b) {
                match c.as_rule() {
                    Rule::neg_sign => neg = true,
                    Rule::quantity => value = self.quantity(c),
                    _ => {}
                }
            }
            let Some(mut v) = value else { continue };
            if neg {
                v = Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(v)), span: bspan };
            }
            if bspan.start < dots {
                low = Some(v);
            } else {
                high = Some(v);
            }
        }
        Some(RangeDecl { low, high, span })
    }

    fn cite(&mut self, p: P<'_>) -> Cite {
        let span = self.span(&p);
        let mut policy = None;
        let mut strings = Vec::new();
        for k in kids(p) {
            match k.as_rule() {
                Rule::cite_policy => policy = kids(k).next().map(|i| self.ident(i)),
                _ => strings.push(self.string(k)),
            }
        }
        let mut strings = strings.into_iter();
        let clause = strings.next().unwrap_or(Str { value: String::new(), span });
        Cite { policy, clause, quote: strings.next(), span }
    }

    fn benefit_clause(&mut self, p: P<'_>) -> Option<BenefitClause> {
        let span = self.span(&p);
        let rule = p.as_rule();
        Some(match rule {
            Rule::payee_clause => BenefitClause::Payee(self.ident(kids(p).next()?)),
            Rule::per_clause => BenefitClause::Per(self.ident(kids(p).next()?)),
            Rule::cite_clause => BenefitClause::Cite(self.cite(kids(p).next()?)),
            Rule::dated_by_clause => {
                let mut it = kids(p);
                let expr = self.expr(it.next()?)?;
                let label = it.next().map(|s| self.string(s));
                BenefitClause::DatedBy { expr, label, span }
            }
            Rule::applies_clause | Rule::require_clause | Rule::exclude_clause => {
                let kind = match rule {
                    Rule::applies_clause => ConditionKind::Applies,
                    Rule::require_clause => ConditionKind::Require,
                    _ => ConditionKind::Exclude,
                };
                let (mut id, mut expr, mut label, mut cite) = (None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::cond_id => id = kids(c).next().map(|i| self.ident(i)),
                        Rule::expr => expr = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                BenefitClause::Condition(Condition { kind, id, expr: expr?, label: label?, cite, span })
            }
            Rule::amount_clause | Rule::cap_clause => {
                let (mut expr, mut label, mut cite) = (None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::expr => expr = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let step = AmountStep { expr: expr?, label, cite, span };
                if rule == Rule::amount_clause {
                    BenefitClause::Amount(step)
                } else {
                    BenefitClause::Cap(step)
                }
            }
            Rule::uplift_clause => {
                let (mut id, mut exprs, mut until, mut label, mut cite) = (None, Vec::new(), None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::cond_id => id = kids(c).next().map(|i| self.ident(i)),
                        Rule::expr => exprs.extend(self.expr(c)),
                        Rule::date => until = self.date(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let mut exprs = exprs.into_iter();
                BenefitClause::Uplift(Uplift { id, rate: exprs.next()?, when: exprs.next()?, until, label: label?, cite, span })
            }
            Rule::override_clause => {
                let (mut id, mut exprs, mut label, mut cite) = (None, Vec::new(), None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::cond_id => id = kids(c).next().map(|i| self.ident(i)),
                        Rule::expr => exprs.extend(self.expr(c)),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let mut exprs = exprs.into_iter();
                BenefitClause::Override(Override { id, when: exprs.next()?, value: exprs.next()?, label: label?, cite, span })
            }
            Rule::entitle_clause | Rule::needs_clause => {
                let (mut label, mut when, mut cite) = (None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::expr => when = self.expr(c),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                let o = Outcome { label: label?, when, cite, span };
                if rule == Rule::entitle_clause {
                    BenefitClause::Entitle(o)
                } else {
                    BenefitClause::Needs(o)
                }
            }
            Rule::deadline_clause => {
                let (mut label, mut expr, mut cite) = (None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::string => label = Some(self.string(c)),
                        Rule::expr => expr = self.expr(c),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                BenefitClause::Deadline { label: label?, expr: expr?, cite, span }
            }
            Rule::output_clause => {
                let (mut id, mut ty, mut value, mut label, mut cite) = (None, None, None, None, None);
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::type_expr => ty = self.type_expr(c),
                        Rule::expr => value = self.expr(c),
                        Rule::string => label = Some(self.string(c)),
                        Rule::cite => cite = Some(self.cite(c)),
                        _ => {}
                    }
                }
                BenefitClause::Output(OutputDecl { id: id?, ty, value: value?, label, cite, span })
            }
            Rule::version_block => {
                let (mut dates, mut clauses) = (Vec::new(), Vec::new());
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::date => dates.extend(self.date(c)),
                        _ => clauses.extend(self.benefit_clause(c)),
                    }
                }
                let mut dates = dates.into_iter();
                BenefitClause::Version(VersionBlock { from: dates.next()?, until: dates.next(), clauses, span })
            }
            _ => return None,
        })
    }

    // -------------------------------------------------------------- expressions
}
