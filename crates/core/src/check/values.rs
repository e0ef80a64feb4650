//! Parameters, functions, lets and assertions checked (dated periods
//! settled, lets put in dependency order, cycles reported), and unused
//! inputs reported.

use super::*;

impl Checker<'_> {
    pub(super) fn check_params(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let Item::Param(p) = item else { continue };
            let Some(Sym::Param(id)) = self.lookup_sym(m, &p.name.name) else { continue };
            let ty = self.params.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
            let mut versions = Vec::new();
            for (j, v) in p.versions.iter().enumerate() {
                self.enter(m, &[k, j]);
                let value = self.expr(m, &v.value, Some(&ty));
                self.expect_type(m, &value, &ty, "the parameter's type");
                let cite = self.citation(m, v.cite.as_ref(), Some(format!("parameter `{}`", p.name.name)));
                versions.push((v.from.value, v.until.as_ref().map(|u| u.value), value, cite, v.span));
            }
            if versions.is_empty() {
                let msg = format!("parameter `{}` has no values", p.name.name);
                self.error(m, codes::BAD_BENEFIT, p.span, msg).help = Some("add `from DATE => value`".into());
            }
            let periods: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>, Span)> = versions.iter().map(|v| (v.0, v.1, v.4)).collect();
            let ends = self.settle_periods(m, &periods, codes::PARAM_OVERLAP, "parameter values", Some(k));
            let mut defs: Vec<ParamVersionDef> = versions
                .into_iter()
                .zip(ends)
                .map(|((from, _, value, cite, _), until)| ParamVersionDef { from, until, value, cite })
                .collect();
            defs.sort_by_key(|v| v.from);
            if let Some(def) = self.params.get_mut(id.index()) {
                def.versions = defs;
            }
        }
    }

    /// Given dated periods `(from, until?)`, reports overlaps and returns each
    /// one's effective last day (its own `until`, else the day before the next
    /// period's start).
    pub fn settle_periods(
        &mut self,
        m: usize,
        periods: &[(chrono::NaiveDate, Option<chrono::NaiveDate>, Span)],
        code: crate::diag::Code,
        what: &str,
        item: Option<usize>,
    ) -> Vec<Option<chrono::NaiveDate>> {
        // In an amendment, each period (a parameter's value) may come from
        // another file: each message goes to the file of what it points at.
        let enter = |this: &mut Self, i: usize| {
            if let Some(k) = item {
                this.enter(m, &[k, i]);
            }
        };
        let mut order: Vec<usize> = (0..periods.len()).collect();
        order.sort_by_key(|&i| periods.get(i).map(|p| p.0));
        let mut ends = vec![None; periods.len()];
        for (pos, &i) in order.iter().enumerate() {
            let Some(&(from, until, span)) = periods.get(i) else { continue };
            enter(self, i);
            if let Some(u) = until {
                if u < from {
                    self.error(m, code, span, format!("period ends ({u}) before it starts ({from})"));
                }
            }
            let next_index = order.get(pos + 1).copied();
            let next = next_index.and_then(|j| periods.get(j));
            let end = match (until, next) {
                (Some(u), Some(&(nf, _, nspan))) if u >= nf => {
                    let line = self.line_of(m, span);
                    if let Some(j) = next_index {
                        enter(self, j);
                    }
                    let msg =
                        format!("{what} overlap: the one from {from} (line {line}) runs until {u}, past the start of the next one on {nf}");
                    self.error(m, code, nspan, msg).help =
                        Some("end the earlier period the day before the later one starts, or drop its `until`".into());
                    Some(u)
                }
                (Some(u), _) => Some(u),
                (None, Some(&(nf, _, nspan))) => {
                    if nf == from {
                        if let Some(j) = next_index {
                            enter(self, j);
                        }
                        let msg = format!("{what} overlap: two start on {from}");
                        self.error(m, code, nspan, msg);
                    }
                    nf.pred_opt()
                }
                (None, None) => None,
            };
            if let Some(slot) = ends.get_mut(i) {
                *slot = end;
            }
        }
        ends
    }

    /// Checks each function's body in declaration order, its parameters
    /// bound as locals.
    pub(super) fn check_functions(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let Item::Fn(d) = item else { continue };
            let Some(Sym::Fn(id)) = self.lookup_sym(m, &d.name.name) else { continue };
            let Some(def) = self.functions.get(id.index()) else { continue };
            let (params, ty) = (def.params.clone(), def.ty.clone());
            for (i, (n, _)) in params.iter().enumerate() {
                if params.iter().take(i).any(|(p, _)| p == n) {
                    let span = d.params.get(i).map_or(d.span, |p| p.0.span);
                    self.error(m, codes::DUPLICATE_NAME, span, format!("parameter `{n}` is declared twice"));
                }
            }
            let outer = std::mem::replace(&mut self.locals, params);
            let outer_amount = self.amount_in_scope.take();
            self.in_function = Some(id);
            let body = self.expr(m, &d.body, Some(&ty));
            self.expect_type(m, &body, &ty, "the function's declared type");
            self.in_function = None;
            self.amount_in_scope = outer_amount;
            self.locals = outer;
            if let Some(def) = self.functions.get_mut(id.index()) {
                def.body = body;
            }
        }
    }

    /// Orders lets by dependency (rejecting cycles), then checks each.
    pub(super) fn check_lets(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        let decls: Vec<&ast::LetDecl> = items.iter().filter_map(|i| if let Item::Let(l) = i { Some(l) } else { None }).collect();
        let at: Vec<usize> = items.iter().enumerate().filter(|(_, i)| matches!(i, Item::Let(_))).map(|(k, _)| k).collect();
        let index: HashMap<&str, usize> = decls.iter().enumerate().map(|(i, l)| (l.name.name.as_str(), i)).collect();
        let deps: Vec<Vec<usize>> = decls
            .iter()
            .map(|l| {
                let mut names = Vec::new();
                free_names(&l.value, &mut names);
                let mut d: Vec<usize> = names.iter().filter_map(|n| index.get(n.as_str()).copied()).collect();
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        // Iterative DFS: 0 = new, 1 = on stack, 2 = done.
        let mut state = vec![0u8; decls.len()];
        let mut order = Vec::with_capacity(decls.len());
        let mut in_cycle = vec![false; decls.len()];
        for start in 0..decls.len() {
            if state.get(start) != Some(&0) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(s) = state.get_mut(start) {
                *s = 1;
            }
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let dep = deps.get(node).and_then(|d| d.get(*next)).copied();
                *next += 1;
                match dep {
                    Some(dep) => match state.get(dep).copied() {
                        Some(0) => {
                            if let Some(s) = state.get_mut(dep) {
                                *s = 1;
                            }
                            stack.push((dep, 0));
                        }
                        Some(1) => {
                            let cycle_start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                            let members: Vec<usize> = stack.iter().skip(cycle_start).map(|(n, _)| *n).collect();
                            if members.iter().all(|&n| !in_cycle.get(n).copied().unwrap_or(false)) {
                                let names: Vec<String> =
                                    members.iter().filter_map(|&n| decls.get(n)).map(|l| format!("`{}`", l.name.name)).collect();
                                if let Some(first) = decls.get(dep) {
                                    let msg = format!("`let` definitions form a cycle: {} -> `{}`", names.join(" -> "), first.name.name);
                                    self.error(m, codes::LET_CYCLE, first.name.span, msg).help =
                                        Some("a value cannot depend on itself; break the cycle".into());
                                }
                            }
                            for n in members {
                                if let Some(c) = in_cycle.get_mut(n) {
                                    *c = true;
                                }
                            }
                        }
                        _ => {}
                    },
                    None => {
                        if let Some(s) = state.get_mut(node) {
                            *s = 2;
                        }
                        order.push(node);
                        stack.pop();
                    }
                }
            }
        }
        for i in order {
            let Some(l) = decls.get(i) else { continue };
            self.enter(m, &[at.get(i).copied().unwrap_or(usize::MAX)]);
            let Some(Sym::Let(id)) = self.lookup_sym(m, &l.name.name) else { continue };
            if in_cycle.get(i).copied().unwrap_or(false) {
                continue;
            }
            let declared = l.ty.as_ref().map(|t| self.resolve_type(m, t));
            let value = self.expr(m, &l.value, declared.as_ref());
            if let Some(t) = &declared {
                self.expect_type(m, &value, t, "the declared type");
            }
            let ty = declared.unwrap_or_else(|| value.ty.clone());
            if let Some(slot) = self.let_types.get_mut(id.index()) {
                *slot = ty.clone();
            }
            let cite = self.citation(m, l.cite.as_ref(), Some(format!("let `{}`", l.name.name)));
            if let Some(slot) = self.lets.get_mut(id.index()) {
                *slot = Some(LetDef { name: l.name.name.clone(), ty, value, label: l.label.as_ref().map(|s| s.value.clone()), cite });
            }
            self.let_order.push(id);
        }
    }

    pub(super) fn check_asserts(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let file = self.file_of(m);
            let Item::Assert(a) = item else { continue };
            let expr = self.expr(m, &a.expr, Some(&Type::Bool));
            self.expect_type(m, &expr, &Type::Bool, "a condition");
            if reads_facts(&expr) {
                self.error(m, codes::NOT_CONSTANT, a.expr.span, "an assertion may read only constants, parameters and tables");
            }
            let cite = self.citation(m, a.cite.as_ref(), None);
            self.asserts.push(AssertDef {
                id: a.id.as_ref().map(|i| i.name.clone()).unwrap_or_else(|| a.label.value.clone()),
                label: a.label.value.clone(),
                expr,
                cite,
                origin: Origin { file, span: a.span },
            });
        }
    }

    pub(super) fn report_unused(&mut self, root: usize) {
        for c in &mut self.clause_defs {
            c.cited = self.cited.contains(&(root, c.number.clone()));
        }
        // After an error, uses inside items that failed to parse or check are
        // missing, so "never used" and "never cited" would be false alarms.
        if self.diags.iter().any(Diagnostic::is_error) {
            return;
        }
        let unused: Vec<(String, Span)> = self
            .inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.used_inputs.contains(&InputId(u32::try_from(*i).unwrap_or(u32::MAX))))
            .filter(|(_, d)| !self.modules.get(root).is_some_and(|md| md.inherited_inputs.contains(&d.name)))
            .map(|(_, d)| (d.name.clone(), d.origin.span))
            .collect();
        for (name, span) in unused {
            let msg = format!("input `{name}` is never used");
            self.warning(root, codes::UNUSED_INPUT, span, msg).help = Some("remove it, or use it in a rule".into());
        }
        self.report_ambiguous_quotes();
        let uncited: Vec<String> = self
            .clause_defs
            .iter()
            .filter(|c| c.quote.is_some() && !self.cited.contains(&(root, c.number.clone())))
            .map(|c| c.number.clone())
            .collect();
        let ast = self.module_ast(root);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for item in items {
            if let Item::Clause(c) = item {
                if uncited.contains(&c.number.value) {
                    let msg = format!("clause `{}` is quoted but no rule cites it", c.number.value);
                    self.warning(root, codes::UNCITED_CLAUSE, c.number.span, msg).help =
                        Some("cite it from the rule that encodes it, or mark it `not_computable` with a reason".into());
                }
            }
        }
    }
}

/// Rewrites `CKind::Let` ids after lets were put in dependency order.
pub(super) fn remap_lets(p: &mut CheckedPolicy, remap: &[u32]) {
    let mut f = |e: &mut CExpr| {
        if let CKind::Let(id) = &mut e.kind {
            if let Some(n) = remap.get(id.index()) {
                *id = LetId(*n);
            }
        }
    };
    for l in &mut p.lets {
        walk_mut(&mut l.value, &mut f);
    }
    for a in &mut p.asserts {
        walk_mut(&mut a.expr, &mut f);
    }
    for b in &mut p.benefits {
        if let Some(d) = &mut b.dated_by {
            walk_mut(d, &mut f);
        }
        for rules in std::iter::once(&mut b.base).chain(b.versions.iter_mut().map(|v| &mut v.rules)) {
            for c in &mut rules.conditions {
                walk_mut(&mut c.expr, &mut f);
            }
            for s in &mut rules.amount {
                match s {
                    AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => walk_mut(expr, &mut f),
                    AmountStepDef::Uplift { rate, when, .. } => {
                        walk_mut(rate, &mut f);
                        walk_mut(when, &mut f);
                    }
                    AmountStepDef::Override { when, value, .. } => {
                        walk_mut(when, &mut f);
                        walk_mut(value, &mut f);
                    }
                }
            }
            for o in rules.entitlements.iter_mut().chain(rules.documents.iter_mut()) {
                if let Some(w) = &mut o.when {
                    walk_mut(w, &mut f);
                }
            }
            for d in &mut rules.deadlines {
                walk_mut(&mut d.expr, &mut f);
            }
        }
        for o in &mut b.outputs {
            walk_mut(&mut o.expr, &mut f);
        }
    }
}
