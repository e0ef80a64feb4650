//! Benefits: clauses, condition ids, the amount pipeline, versions.

use super::Checker;
use crate::ast::{self, BenefitClause, Item};
use crate::checked::*;
use crate::diag::codes;
use std::collections::HashSet;

impl Checker<'_> {
    pub(super) fn check_benefits(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        let mut seen = HashSet::new();
        for (k, item) in items.iter().enumerate() {
            let Item::Benefit(b) = item else { continue };
            self.enter(m, &[k]);
            if !seen.insert(b.id.name.clone()) {
                let msg = format!("benefit `{}` is declared twice", b.id.name);
                self.error(m, codes::DUPLICATE_NAME, b.id.span, msg);
                continue;
            }
            let def = self.benefit(m, k, b);
            self.benefits.push(def);
        }
    }

    fn benefit(&mut self, m: usize, k: usize, b: &ast::BenefitDecl) -> BenefitDef {
        let mut def = BenefitDef {
            id: b.id.name.as_str().into(),
            label: b.label.value.as_str().into(),
            payee: None,
            cite: None,
            dated_by: None,
            dated_by_label: None,
            period: None,
            base: RuleSet::default(),
            versions: Vec::new(),
            outputs: Vec::new(),
            reads: Vec::new(),
            span: b.span,
        };
        let mut output_ids = HashSet::new();
        let mut ids = HashSet::new();
        let mut has_amount = false;
        let mut version_periods = Vec::new();
        for (j, clause) in b.clauses.iter().enumerate() {
            self.enter(m, &[k, j]);
            match clause {
                BenefitClause::Payee(p) => match Payee::from_name(&p.name) {
                    Some(payee) => {
                        if def.payee.replace(payee).is_some() {
                            self.error(m, codes::BAD_BENEFIT, p.span, "`payee` is given twice");
                        }
                    }
                    None => {
                        let help = super::did_you_mean(&p.name, Payee::NAMES.iter().copied())
                            .unwrap_or_else(|| format!("payees: {}", Payee::NAMES.join(", ")));
                        let msg = format!("unknown payee `{}`", p.name);
                        self.error(m, codes::UNKNOWN_NAME, p.span, msg).help = Some(help);
                    }
                },
                BenefitClause::Per(p) => {
                    if !matches!(p.name.as_str(), "year" | "month" | "day" | "person" | "claim" | "project") {
                        let msg = format!("unknown period `{}`", p.name);
                        self.error(m, codes::UNKNOWN_NAME, p.span, msg).help =
                            Some("periods: year, month, day, person, claim, project".into());
                    }
                    def.period = Some(p.name.as_str().into());
                }
                BenefitClause::Cite(c) => def.cite = self.citation(m, Some(c), Some(format!("benefit `{}`", b.id.name))),
                BenefitClause::DatedBy { expr, label, .. } => {
                    let e = self.expr(m, expr, Some(&Type::Date));
                    self.expect_type(m, &e, &Type::Date, "the benefit's date");
                    if self.reads_as_of(&e) {
                        self.error(m, codes::BAD_BENEFIT, expr.span, "`dated_by` reads `as_of`, which is the date it defines").help =
                            Some("date the benefit by a fact (`dated_by application_date`); `as_of` is then that date".into());
                    }
                    def.dated_by = Some(e);
                    def.dated_by_label = label.as_ref().map(|l| l.value.as_str().into());
                }
                BenefitClause::Version(v) => {
                    let mut rules = RuleSet::default();
                    let mut v_has_amount = false;
                    for (i, inner) in v.clauses.iter().enumerate() {
                        self.enter(m, &[k, j, i]);
                        if matches!(
                            inner,
                            BenefitClause::Version(_)
                                | BenefitClause::Payee(_)
                                | BenefitClause::DatedBy { .. }
                                | BenefitClause::Per(_)
                                | BenefitClause::Cite(_)
                                | BenefitClause::Output(_)
                        ) {
                            self.error(
                                m,
                                codes::BAD_BENEFIT,
                                inner.span(),
                                "a version block holds conditions, amounts and outcomes only",
                            )
                            .help = Some("payee, cite, dated_by, per and output belong to the benefit itself".into());
                            continue;
                        }
                        self.rule_clause(m, inner, &mut rules, &mut ids, &mut v_has_amount, has_amount);
                    }
                    version_periods.push((v.from.value, v.until.as_ref().map(|u| u.value), v.span));
                    def.versions.push(VersionDef { from: v.from.value, until: None, rules, span: v.span });
                }
                BenefitClause::Output(o) => {
                    if !output_ids.insert(o.id.name.clone()) {
                        let msg = format!("two outputs of this benefit have the id `{}`", o.id.name);
                        self.error(m, codes::DUPLICATE_NAME, o.id.span, msg);
                    }
                    if let Some(out) = self.output(m, o) {
                        def.outputs.push(out);
                    }
                }
                other => {
                    let mut rules = std::mem::take(&mut def.base);
                    self.rule_clause(m, other, &mut rules, &mut ids, &mut has_amount, false);
                    def.base = rules;
                }
            }
        }
        self.enter(m, &[k]);
        let ends = self.settle_periods(m, &version_periods, codes::VERSION_OVERLAP, "rule versions", None);
        for (v, end) in def.versions.iter_mut().zip(ends) {
            v.until = end;
        }
        def.versions.sort_by_key(|v| v.from);
        def
    }

    fn rule_clause(
        &mut self,
        m: usize,
        clause: &BenefitClause,
        rules: &mut RuleSet,
        ids: &mut HashSet<String>,
        has_amount: &mut bool,
        base_has_amount: bool,
    ) {
        let mut unique = |this: &mut Self, id: &str, span: ast::Span| {
            if !ids.insert(id.to_string()) {
                let msg = format!("two conditions of this benefit have the id `{id}`");
                this.error(m, codes::DUPLICATE_NAME, span, msg).help = Some("give one an explicit id: `require my_id: …`".into());
            }
        };
        match clause {
            BenefitClause::Condition(c) => {
                let expr = self.expr(m, &c.expr, Some(&Type::Bool));
                self.expect_type(m, &expr, &Type::Bool, "a condition");
                let id = c.id.as_ref().map(|i| i.name.clone()).unwrap_or_else(|| c.label.value.clone());
                unique(self, &id, c.id.as_ref().map(|i| i.span).unwrap_or(c.label.span));
                let cite = self.citation(m, c.cite.as_ref(), Some(format!("condition `{id}` ({})", c.label.value)));
                rules.conditions.push(ConditionDef {
                    kind: c.kind,
                    id: id.into(),
                    label: c.label.value.as_str().into(),
                    expr,
                    cite,
                    span: c.span,
                });
            }
            BenefitClause::Amount(a) => {
                if *has_amount {
                    self.error(m, codes::BAD_BENEFIT, a.span, "a benefit has one `amount`").help =
                        Some("adjust it with `cap`, `uplift` or `override`; a dated replacement goes in a `from DATE { … }` block".into());
                }
                *has_amount = true;
                let expr = self.expr(m, &a.expr, Some(&Type::Money));
                self.expect_type(m, &expr, &Type::Money, "a benefit's amount, in yuan");
                let cite = self.citation(m, a.cite.as_ref(), Some(step_meaning("amount", a.label.as_ref())));
                rules.amount.push(AmountStepDef::Base {
                    expr,
                    label: a.label.as_ref().map(|l| l.value.as_str().into()),
                    cite,
                    span: a.span,
                });
            }
            BenefitClause::Cap(a) => {
                self.needs_amount(m, *has_amount || base_has_amount, a.span, "cap");
                let expr = self.amount_expr(m, &a.expr, rules);
                let cite = self.citation(m, a.cite.as_ref(), Some(step_meaning("cap", a.label.as_ref())));
                rules.amount.push(AmountStepDef::Cap {
                    expr,
                    label: a.label.as_ref().map(|l| l.value.as_str().into()),
                    cite,
                    span: a.span,
                });
            }
            BenefitClause::Uplift(u) => {
                self.needs_amount(m, *has_amount || base_has_amount, u.span, "uplift");
                let rate = self.expr(m, &u.rate, Some(&Type::Percent));
                self.expect_type(m, &rate, &Type::Percent, "an uplift rate");
                let when = self.expr(m, &u.when, Some(&Type::Bool));
                self.expect_type(m, &when, &Type::Bool, "a condition");
                let id = u.id.as_ref().map(|i| i.name.clone()).unwrap_or_else(|| u.label.value.clone());
                unique(self, &id, u.id.as_ref().map(|i| i.span).unwrap_or(u.label.span));
                let cite = self.citation(m, u.cite.as_ref(), Some(format!("uplift `{id}` ({})", u.label.value)));
                rules.amount.push(AmountStepDef::Uplift {
                    id: id.into(),
                    rate,
                    when,
                    until: u.until.as_ref().map(|d| d.value),
                    label: u.label.value.as_str().into(),
                    cite,
                    span: u.span,
                });
            }
            BenefitClause::Override(o) => {
                self.needs_amount(m, *has_amount || base_has_amount, o.span, "override");
                let when = self.expr(m, &o.when, Some(&Type::Bool));
                self.expect_type(m, &when, &Type::Bool, "a condition");
                let value = self.amount_expr(m, &o.value, rules);
                let id = o.id.as_ref().map(|i| i.name.clone()).unwrap_or_else(|| o.label.value.clone());
                unique(self, &id, o.id.as_ref().map(|i| i.span).unwrap_or(o.label.span));
                let cite = self.citation(m, o.cite.as_ref(), Some(format!("override `{id}` ({})", o.label.value)));
                rules.amount.push(AmountStepDef::Override {
                    id: id.into(),
                    when,
                    value,
                    label: o.label.value.as_str().into(),
                    cite,
                    span: o.span,
                });
            }
            BenefitClause::Entitle(o) | BenefitClause::Needs(o) => {
                let when = o.when.as_ref().map(|w| {
                    let e = self.expr(m, w, Some(&Type::Bool));
                    self.expect_type(m, &e, &Type::Bool, "a condition");
                    e
                });
                let what = if matches!(clause, BenefitClause::Entitle(_)) { "entitlement" } else { "document" };
                let cite = self.citation(m, o.cite.as_ref(), Some(format!("{what} “{}”", o.label.value)));
                let def = OutcomeDef { label: o.label.value.as_str().into(), when, cite, span: o.span };
                if matches!(clause, BenefitClause::Entitle(_)) {
                    rules.entitlements.push(def);
                } else {
                    rules.documents.push(def);
                }
            }
            BenefitClause::Deadline { label, expr, cite, span } => {
                let e = self.expr(m, expr, Some(&Type::Date));
                self.expect_type(m, &e, &Type::Date, "a deadline");
                let cite = self.citation(m, cite.as_ref(), Some(format!("deadline “{}”", label.value)));
                rules.deadlines.push(DeadlineDef { label: label.value.as_str().into(), expr: e, cite, span: *span });
            }
            _ => {}
        }
    }

    /// An `output`: typed (annotated or inferred), a scalar, cited.
    fn output(&mut self, m: usize, o: &ast::OutputDecl) -> Option<OutputDef> {
        let declared = o.ty.as_ref().map(|t| self.resolve_type(m, t));
        let expr = self.expr(m, &o.value, declared.as_ref());
        if let Some(t) = &declared {
            self.expect_type(m, &expr, t, "the output's declared type");
        }
        let ty = declared.unwrap_or_else(|| expr.ty.clone());
        if matches!(ty, Type::List(_) | Type::EmptyList | Type::Record(_) | Type::Duration) {
            let msg = format!("output `{}` is {}: an output is a bool, a number, a date, text or an enum", o.id.name, self.type_name(&ty));
            self.error(m, codes::TYPE_MISMATCH, o.value.span, msg).help =
                Some("report one value: a count, a sum, a field of a record (`count(m in members)`, `r.band`)".into());
            return None;
        }
        let cite = self.citation(m, o.cite.as_ref(), Some(format!("output `{}`", o.id.name)));
        Some(OutputDef {
            id: o.id.name.as_str().into(),
            label: o.label.as_ref().map(|l| l.value.as_str().into()),
            ty,
            expr,
            cite,
            span: o.span,
        })
    }

    fn needs_amount(&mut self, m: usize, has: bool, span: ast::Span, what: &str) {
        if !has {
            let msg = format!("`{what}` before any `amount`");
            self.error(m, codes::BAD_BENEFIT, span, msg).help = Some("put the `amount` clause first".into());
        }
    }

    /// An expression that may read `amount` (the amount so far).
    fn amount_expr(&mut self, m: usize, e: &ast::Expr, rules: &RuleSet) -> CExpr {
        let ty = rules
            .amount
            .iter()
            .find_map(|s| if let AmountStepDef::Base { expr, .. } = s { Some(expr.ty.clone()) } else { None })
            .unwrap_or(Type::Money);
        let saved = self.amount_in_scope.replace(ty.clone());
        let c = self.expr(m, e, Some(&ty));
        self.amount_in_scope = saved;
        self.expect_type(m, &c, &ty, "the amount's type");
        c
    }
}

/// What an amount step means, for the quote check: its kind and label
/// (every unlabelled step is a rule of its own: see `Checker::citation`).
fn step_meaning(kind: &str, label: Option<&ast::Str>) -> String {
    match label {
        Some(l) => format!("{kind} “{}”", l.value),
        None => format!("an unlabelled {kind}"),
    }
}
