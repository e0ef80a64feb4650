//! Names in expressions: paths (facts, lets, parameters, constants,
//! enum variants, bound variables, qualified names), record fields, table
//! lookups and unit conversions.

use super::*;

impl Checker<'_> {
    pub(super) fn path(&mut self, m: usize, segs: &[ast::Ident], expected: Option<&Type>, span: ast::Span) -> CExpr {
        let Some(first) = segs.first() else { return self.err_expr(m, span) };
        // Quantifier variables, innermost first.
        if let Some(pos) = self.locals.iter().rposition(|(n, _)| *n == first.name) {
            let depth = u32::try_from(self.locals.len() - 1 - pos).unwrap_or(0);
            let ty = self.locals.get(pos).map(|l| l.1.clone()).unwrap_or(Type::Error);
            let base = self.mk(m, CKind::Local(depth), ty, first.span);
            return self.fields(m, base, segs.get(1..).unwrap_or(&[]));
        }
        if first.name == "as_of" && segs.len() == 1 && self.lookup_sym(m, "as_of").is_none() {
            if self.in_function.is_some() {
                self.error(m, codes::BAD_CALL, span, "a function does not read `as_of`: pass the date as an argument");
                return self.err_expr(m, span);
            }
            return self.mk(m, CKind::AsOf, Type::Date, span);
        }
        if first.name == "amount" && segs.len() == 1 && self.lookup_sym(m, "amount").is_none() {
            if let Some(t) = self.amount_in_scope.clone() {
                return self.mk(m, CKind::Amount, t, span);
            }
        }
        // Module alias: `zj.catalogue…`
        let (module, rest) = match self.modules.get(m).and_then(|md| md.aliases.get(&first.name)).copied() {
            Some(target) if segs.len() > 1 => (target, segs.get(1..).unwrap_or(&[])),
            _ => (m, segs),
        };
        let Some(head) = rest.first() else { return self.err_expr(m, span) };
        let tail = rest.get(1..).unwrap_or(&[]);
        let sym = self.modules.get(module).and_then(|md| md.scope.get(&head.name)).copied();
        if self.in_function.is_some() && matches!(sym, Some(Sym::Input(_) | Sym::Let(_) | Sym::External(_))) {
            let msg = format!(
                "a function reads only its parameters, constants, parameters of the policy and tables; `{}` is a fact or a let",
                head.name
            );
            self.error(m, codes::BAD_CALL, head.span, msg).help = Some("pass it as an argument".into());
            return self.err_expr(m, span);
        }
        match sym {
            Some(Sym::Input(id)) => {
                self.used_inputs.insert(id);
                let ty = self.inputs.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
                let base = self.mk(m, CKind::Input(id), ty, head.span);
                self.fields(m, base, tail)
            }
            Some(Sym::Let(id)) => {
                let ty = self.let_types.get(id.index()).cloned().unwrap_or(Type::Error);
                let base = self.mk(m, CKind::Let(id), ty, head.span);
                self.fields(m, base, tail)
            }
            Some(Sym::Param(id)) => {
                let ty = self.params.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
                let base = self.mk(m, CKind::Param(id), ty, head.span);
                self.fields(m, base, tail)
            }
            Some(Sym::External(id)) => {
                let ty = self.externals.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
                let base = self.mk(m, CKind::External(id), ty, head.span);
                self.fields(m, base, tail)
            }
            Some(Sym::Table(id)) => {
                let rt = self.tables.get(id.index()).map(|t| t.row_type).unwrap_or(RecordId(0));
                let base = self.mk(m, CKind::Table(id), Type::List(Box::new(Type::Record(rt))), head.span);
                self.fields(m, base, tail)
            }
            Some(Sym::Enum(id)) => {
                let Some(v) = tail.first() else {
                    self.error(m, codes::TYPE_MISMATCH, span, format!("`{}` is an enum type, not a value", head.name)).help =
                        Some(format!("name a variant: `{}.VARIANT`", head.name));
                    return self.err_expr(m, span);
                };
                match self.variant_index(id, &v.name) {
                    Some(i) => self.mk(m, CKind::Const(Value::Enum(i)), Type::Enum(id), span),
                    None => {
                        let help = self.take_hint().then(|| {
                            let names: Vec<String> =
                                self.enums.get(id.index()).map(|e| e.variants.iter().map(|v| v.0.clone()).collect()).unwrap_or_default();
                            did_you_mean(&v.name, names.iter().map(String::as_str))
                                .unwrap_or_else(|| format!("its variants are {}", names.join(", ")))
                        });
                        let msg = format!("enum `{}` has no variant `{}`", head.name, v.name);
                        let d = self.error(m, codes::UNKNOWN_NAME, v.span, msg);
                        d.help = help;
                        self.err_expr(m, span)
                    }
                }
            }
            Some(Sym::Fn(_)) => {
                let msg = format!("`{}` is a function: call it, `{}(…)`", head.name, head.name);
                self.error(m, codes::TYPE_MISMATCH, head.span, msg);
                self.err_expr(m, span)
            }
            Some(Sym::Unit(_) | Sym::Record(_)) => {
                let msg = format!("`{}` is a type, not a value", head.name);
                self.error(m, codes::TYPE_MISMATCH, head.span, msg);
                self.err_expr(m, span)
            }
            None => {
                // A bare variant: of the expected enum, else unique in scope.
                if rest.len() == 1 {
                    if let Some(Type::Enum(e)) = expected {
                        if let Some(i) = self.variant_index(*e, &head.name) {
                            return self.mk(m, CKind::Const(Value::Enum(i)), Type::Enum(*e), span);
                        }
                    }
                    let mut found = Vec::new();
                    if let Some(md) = self.modules.get(module) {
                        for sym in md.scope.values() {
                            if let Sym::Enum(e) = sym {
                                if let Some(i) = self.variant_index(*e, &head.name) {
                                    found.push((*e, i));
                                }
                            }
                        }
                    }
                    if let [(e, i)] = found.as_slice() {
                        return self.mk(m, CKind::Const(Value::Enum(*i)), Type::Enum(*e), span);
                    }
                    if found.len() > 1 {
                        let mut names: Vec<String> = found
                            .iter()
                            .map(|(e, _)| format!("`{}.{}`", self.enums.get(e.index()).map(|x| x.name.as_str()).unwrap_or(""), head.name))
                            .collect();
                        names.sort(); // `found` follows a HashMap's order
                        let msg = format!("`{}` is a variant of several enums", head.name);
                        self.error(m, codes::UNKNOWN_NAME, head.span, msg).help = Some(format!("qualify it: {}", names.join(" or ")));
                        return self.err_expr(m, span);
                    }
                }
                if self.is_poisoned(module, &head.name) {
                    return self.err_expr(m, span);
                }
                let help = if self.take_hint() {
                    let mut candidates: Vec<String> =
                        self.modules.get(module).map(|md| md.scope.keys().cloned().collect()).unwrap_or_default();
                    candidates.extend(self.locals.iter().map(|l| l.0.clone()));
                    for e in self.modules.get(module).map(|md| md.scope.values().copied().collect::<Vec<_>>()).unwrap_or_default() {
                        if let Sym::Enum(e) = e {
                            candidates.extend(
                                self.enums
                                    .get(e.index())
                                    .map(|x| x.variants.iter().map(|v| v.0.clone()).collect::<Vec<_>>())
                                    .unwrap_or_default(),
                            );
                        }
                    }
                    did_you_mean(&head.name, candidates.iter().map(String::as_str))
                } else {
                    None
                };
                let msg = format!("unknown name `{}`", head.name);
                let d = self.error(m, codes::UNKNOWN_NAME, head.span, msg);
                d.label = Some("not an input, let, parameter, table, external or variant".into());
                d.help = help;
                self.err_expr(m, span)
            }
        }
    }

    pub fn variant_index(&self, e: EnumId, name: &str) -> Option<u32> {
        self.enums.get(e.index())?.variants.iter().position(|v| v.0 == name).and_then(|i| u32::try_from(i).ok())
    }

    fn fields(&mut self, m: usize, mut base: CExpr, tail: &[ast::Ident]) -> CExpr {
        for f in tail {
            let span = base.span.join(f.span);
            base = self.field(m, base, f, span);
        }
        base
    }

    pub(super) fn field(&mut self, m: usize, base: CExpr, f: &ast::Ident, span: ast::Span) -> CExpr {
        match &base.ty {
            Type::Record(r) => {
                let rec = self.records.get(r.index());
                let found =
                    rec.and_then(|rec| rec.fields.iter().position(|x| x.0 == f.name).map(|i| (i, rec.fields.get(i).map(|x| x.1.clone()))));
                match found {
                    Some((i, Some(ty))) => self.mk(m, CKind::Field(Box::new(base), u32::try_from(i).unwrap_or(0)), ty, span),
                    _ => {
                        let help = self.take_hint().then(|| {
                            let names: Vec<String> =
                                self.records.get(r.index()).map(|r| r.fields.iter().map(|x| x.0.clone()).collect()).unwrap_or_default();
                            did_you_mean(&f.name, names.iter().map(String::as_str))
                                .unwrap_or_else(|| format!("its fields are {}", names.join(", ")))
                        });
                        let msg = format!("`{}` has no field `{}`", self.type_name(&base.ty), f.name);
                        self.error(m, codes::UNKNOWN_NAME, f.span, msg).help = help;
                        self.err_expr(m, span)
                    }
                }
            }
            Type::Error => self.err_expr(m, span),
            other => {
                let msg = format!("{} has no fields (`.{}`)", self.type_name(other), f.name);
                self.error(m, codes::TYPE_MISMATCH, f.span, msg);
                self.err_expr(m, span)
            }
        }
    }

    /// `table[keys]` (or `exists(table[keys])` when `exists`).
    pub fn lookup(&mut self, m: usize, base: &Expr, keys: &[Expr], span: ast::Span, exists: bool) -> CExpr {
        let b = self.expr(m, base, None);
        let CKind::Table(t) = b.kind else {
            if b.ty != Type::Error {
                self.error(m, codes::TYPE_MISMATCH, base.span, "only a table can be indexed with `[…]`");
            }
            return self.err_expr(m, span);
        };
        let (row_type, key_count) = self.tables.get(t.index()).map(|d| (d.row_type, d.key_count)).unwrap_or((RecordId(0), 0));
        let key_types: Vec<Type> =
            self.records.get(row_type.index()).map(|r| r.fields.iter().take(key_count).map(|f| f.1.clone()).collect()).unwrap_or_default();
        if keys.len() != key_count {
            let msg = format!("the table has {key_count} key column(s), the lookup gives {}", keys.len());
            self.error(m, codes::BAD_TABLE, span, msg);
            return self.err_expr(m, span);
        }
        let mut ks = Vec::new();
        for (k, ty) in keys.iter().zip(&key_types) {
            let c = self.expr(m, k, Some(ty));
            self.expect_type(m, &c, ty, "the key column's type");
            ks.push(c);
        }
        if exists {
            self.mk(m, CKind::Exists(t, ks), Type::Bool, span)
        } else {
            self.mk(m, CKind::Lookup(t, ks), Type::Record(row_type), span)
        }
    }

    pub(super) fn convert(&mut self, m: usize, b: CExpr, unit: &ast::Ident, span: ast::Span) -> CExpr {
        let target = match self.lookup_sym(m, &unit.name) {
            Some(Sym::Unit(u)) => u,
            _ => {
                let msg = format!("`{}` is not a declared unit", unit.name);
                self.error(m, codes::UNKNOWN_NAME, unit.span, msg);
                return self.err_expr(m, span);
            }
        };
        let Type::Quantity(from) = b.ty else {
            if b.ty != Type::Error {
                let msg = format!("only quantities convert between units; this is {}", self.type_name(&b.ty));
                self.error(m, codes::TYPE_MISMATCH, b.span, msg);
            }
            return self.err_expr(m, span);
        };
        if from == target {
            return b;
        }
        let factor = self.conversions.iter().find_map(|c| {
            if c.from == from && c.to == target {
                Some((c.from_count, c.to_count))
            } else if c.from == target && c.to == from {
                Some((c.to_count, c.from_count))
            } else {
                None
            }
        });
        match factor {
            Some((fc, tc)) => self.mk(m, CKind::Convert(Box::new(b), fc, tc), Type::Quantity(target), span),
            None => {
                let msg = format!("no conversion from {} to {}", self.type_name(&Type::Quantity(from)), unit.name);
                self.error(m, codes::UNIT_MISMATCH, span, msg).help = Some(format!(
                    "declare one: `convert N {} = M {}`",
                    self.units.get(from.index()).map(|u| u.name.as_str()).unwrap_or("?"),
                    unit.name
                ));
                self.err_expr(m, span)
            }
        }
    }
}
