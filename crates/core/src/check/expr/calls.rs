//! Calls: the built-in functions (`min`, `max`, `round`, `age`, `count`,
//! `sum`, `amount_of`, …) with their argument types, and calls of declared
//! functions.

use super::*;

impl Checker<'_> {
    pub(super) fn call(&mut self, m: usize, f: &ast::Ident, args: &[Expr], span: ast::Span) -> CExpr {
        let arity = |this: &mut Self, n: std::ops::RangeInclusive<usize>| -> bool {
            if n.contains(&args.len()) {
                return true;
            }
            let msg = format!(
                "`{}` takes {} argument(s), found {}",
                f.name,
                if n.start() == n.end() { n.start().to_string() } else { format!("{} to {}", n.start(), n.end()) },
                args.len()
            );
            this.error(m, codes::BAD_CALL, span, msg);
            false
        };
        match f.name.as_str() {
            "amount_of" => {
                if !arity(self, 1..=1) {
                    return self.err_expr(m, span);
                }
                let name = match args.first().map(|a| &a.kind) {
                    Some(ExprKind::Path(segs)) if segs.len() == 1 => segs.first().map(|s| (s.name.clone(), s.span)),
                    _ => None,
                };
                let Some((name, name_span)) = name else {
                    self.error(m, codes::BAD_CALL, span, "`amount_of` takes a benefit of this policy: `amount_of(income_tax)`");
                    return self.err_expr(m, span);
                };
                if self.in_function.is_some() {
                    self.error(m, codes::BAD_CALL, span, "a function does not read a benefit's amount: pass it as an argument");
                    return self.err_expr(m, span);
                }
                if !self.in_benefit_context || self.modules.get(m).is_some_and(|md| !md.is_root) {
                    self.error(
                        m,
                        codes::NOT_CONSTANT,
                        span,
                        "`amount_of` reads a decided benefit: only lets and a benefit's clauses may read it",
                    )
                    .help = Some("parameters, tables, defaults and assertions are fixed before any benefit is decided".into());
                    return self.err_expr(m, span);
                }
                match self.benefit_names.iter().position(|b| *b == name) {
                    Some(i) => {
                        self.reads_amounts = true;
                        self.mk(m, CKind::BenefitAmount(u32::try_from(i).unwrap_or(u32::MAX)), Type::Money, span)
                    }
                    None => {
                        let help = super::did_you_mean(&name, self.benefit_names.iter().map(String::as_str));
                        let msg = format!("`{name}` is not a benefit of this policy");
                        self.error(m, codes::UNKNOWN_NAME, name_span, msg).help = help;
                        self.err_expr(m, span)
                    }
                }
            }
            "present" => {
                if !arity(self, 1..=1) {
                    return self.err_expr(m, span);
                }
                let a = self.expr(m, args.first().unwrap_or(&empty_expr()), None);
                if let CKind::Input(id) = a.kind {
                    return self.mk(m, CKind::Present(id), Type::Bool, span);
                }
                self.error(m, codes::BAD_CALL, span, "`present` takes an input name");
                self.err_expr(m, span)
            }
            "exists" => {
                if !arity(self, 1..=1) {
                    return self.err_expr(m, span);
                }
                match args.first().map(|a| &a.kind) {
                    Some(ExprKind::Index(base, keys)) => self.lookup(m, base, keys, span, true),
                    _ => {
                        self.error(m, codes::BAD_CALL, span, "`exists` takes a table lookup: `exists(table[key])`");
                        self.err_expr(m, span)
                    }
                }
            }
            "min" | "max" => {
                if args.is_empty() {
                    let msg = format!("`{}` needs at least one argument", f.name);
                    self.error(m, codes::BAD_CALL, span, msg);
                    return self.err_expr(m, span);
                }
                let mut ty: Option<Type> = None;
                let mut out = Vec::new();
                for a in args {
                    let c = self.expr(m, a, ty.as_ref());
                    if !(c.ty.is_numeric() || c.ty == Type::Date || c.ty == Type::Error) {
                        let msg = format!("`{}` compares numbers or dates, found {}", f.name, self.type_name(&c.ty));
                        self.error(m, codes::TYPE_MISMATCH, a.span, msg);
                    }
                    ty = Some(self.join(m, ty, &c));
                    out.push(c);
                }
                let b = if f.name == "min" { Builtin::Min } else { Builtin::Max };
                self.mk(m, CKind::Call(b, out), ty.unwrap_or(Type::Error), span)
            }
            "clamp" => {
                if !arity(self, 3..=3) {
                    return self.err_expr(m, span);
                }
                let mut ty: Option<Type> = None;
                let mut out = Vec::new();
                let mut reported = false;
                for a in args {
                    let c = self.expr(m, a, ty.as_ref());
                    if !(reported || c.ty.is_numeric() || c.ty == Type::Date || c.ty == Type::Error) {
                        let msg = format!("`clamp` bounds a number or a date, found {}", self.type_name(&c.ty));
                        self.error(m, codes::TYPE_MISMATCH, a.span, msg);
                        reported = true;
                    }
                    ty = Some(self.join(m, ty, &c));
                    out.push(c);
                }
                self.mk(m, CKind::Call(Builtin::Clamp, out), ty.unwrap_or(Type::Error), span)
            }
            "abs" => {
                if !arity(self, 1..=1) {
                    return self.err_expr(m, span);
                }
                let a = self.expr(m, args.first().unwrap_or(&empty_expr()), None);
                self.expect_number(m, &a, "abs");
                let ty = a.ty.clone();
                self.mk(m, CKind::Call(Builtin::Abs, vec![a]), ty, span)
            }
            "round" => {
                if !arity(self, 2..=3) {
                    return self.err_expr(m, span);
                }
                let x = self.expr(m, args.first().unwrap_or(&empty_expr()), None);
                self.expect_number(m, &x, "round");
                let p = self.expr(m, args.get(1).unwrap_or(&empty_expr()), Some(&Type::Int));
                self.expect_type(m, &p, &Type::Int, "the number of places");
                let mode = match args.get(2).map(|a| &a.kind) {
                    None => RoundMode::HalfUp,
                    Some(ExprKind::Path(segs)) if segs.len() == 1 => match segs.first().and_then(|s| RoundMode::from_name(&s.name)) {
                        Some(mode) => mode,
                        None => {
                            self.error(m, codes::BAD_CALL, args.get(2).map(|a| a.span).unwrap_or(span), "unknown rounding mode").help =
                                Some(format!("modes: {}", RoundMode::NAMES.join(", ")));
                            RoundMode::HalfUp
                        }
                    },
                    Some(_) => {
                        self.error(m, codes::BAD_CALL, span, "the rounding mode is a name").help =
                            Some(format!("modes: {}", RoundMode::NAMES.join(", ")));
                        RoundMode::HalfUp
                    }
                };
                let ty = x.ty.clone();
                self.mk(m, CKind::Call(Builtin::Round(mode), vec![x, p]), ty, span)
            }
            "year" | "month" | "day" => {
                if !arity(self, 1..=1) {
                    return self.err_expr(m, span);
                }
                let a = self.expr(m, args.first().unwrap_or(&empty_expr()), Some(&Type::Date));
                self.expect_type(m, &a, &Type::Date, "a date");
                let b = match f.name.as_str() {
                    "year" => Builtin::Year,
                    "month" => Builtin::Month,
                    _ => Builtin::Day,
                };
                self.mk(m, CKind::Call(b, vec![a]), Type::Int, span)
            }
            "age" | "days_between" => {
                if !arity(self, 2..=2) {
                    return self.err_expr(m, span);
                }
                let out: Vec<CExpr> = args.iter().map(|a| self.expr(m, a, Some(&Type::Date))).collect();
                for c in &out {
                    self.expect_type(m, c, &Type::Date, "a date");
                }
                let b = if f.name == "age" { Builtin::Age } else { Builtin::DaysBetween };
                self.mk(m, CKind::Call(b, out), Type::Int, span)
            }
            other => {
                if let Some(Sym::Fn(id)) = self.lookup_sym(m, other) {
                    return self.apply(m, f, id, args, span);
                }
                let names = BUILTINS;
                let help =
                    did_you_mean(other, names.iter().copied()).unwrap_or_else(|| format!("built-in functions: {}", names.join(", ")));
                let msg = format!("unknown function `{other}`");
                self.error(m, codes::BAD_CALL, f.span, msg).help = Some(help);
                for a in args {
                    self.expr(m, a, None);
                }
                self.err_expr(m, span)
            }
        }
    }
}

/// The built-in functions (a declared `fn` may not take their names).
pub(crate) const BUILTINS: &[&str] = &[
    "min",
    "max",
    "clamp",
    "abs",
    "round",
    "year",
    "month",
    "day",
    "age",
    "days_between",
    "present",
    "exists",
    "amount_of",
    "count",
    "any",
    "all",
    "sum",
    "avg",
];

impl Checker<'_> {
    /// A call of declared function `id`: arguments checked against its
    /// parameters; inside a function body, only earlier functions.
    fn apply(&mut self, m: usize, f: &ast::Ident, id: FnId, args: &[Expr], span: ast::Span) -> CExpr {
        let Some(def) = self.functions.get(id.index()) else { return self.err_expr(m, span) };
        let (params, ty, name) = (def.params.clone(), def.ty.clone(), def.name.clone());
        if self.in_function.is_some_and(|current| id >= current) {
            let msg = format!(
                "`{name}` is called before its declaration ends: functions call only functions declared before them, so none recurses"
            );
            self.error(m, codes::BAD_CALL, f.span, msg);
        }
        if params.len() != args.len() {
            let msg = format!("`{name}` takes {} argument(s), found {}", params.len(), args.len());
            self.error(m, codes::BAD_CALL, span, msg);
            for a in args {
                self.expr(m, a, None);
            }
            return self.err_expr(m, span);
        }
        let out: Vec<CExpr> = args
            .iter()
            .zip(&params)
            .map(|(a, (pname, pty))| {
                let c = self.expr(m, a, Some(pty));
                self.expect_type(m, &c, pty, &format!("parameter `{pname}` of `{name}`"));
                c
            })
            .collect();
        self.mk(m, CKind::Apply(id, out), ty, span)
    }
}
