//! Declarations: names bound per module, units, enums, records and
//! conversions, types resolved, then inputs, parameters, externals, tables,
//! lets and functions declared with their types and bounds, and tables'
//! rows checked.

use super::*;

impl Checker<'_> {
    /// Units, enums and records first (names only), then record fields and conversions.
    pub(super) fn declare_types(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for item in items {
            match item {
                Item::Unit(u) => {
                    let id = UnitId(len32(&self.units));
                    self.units.push(UnitDef { name: self.qualify(m, &u.name.name), label: u.label.value.clone() });
                    if is_builtin_unit(&u.name.name) {
                        let msg = format!("`{}` is a built-in unit", u.name.name);
                        self.error(m, codes::DUPLICATE_NAME, u.name.span, msg);
                    }
                    self.bind(m, &u.name, Sym::Unit(id));
                }
                Item::Enum(e) => {
                    let id = EnumId(len32(&self.enums));
                    let mut seen = HashSet::new();
                    for v in &e.variants {
                        if !seen.insert(v.name.name.clone()) {
                            let msg = format!("variant `{}` is declared twice", v.name.name);
                            self.error(m, codes::DUPLICATE_NAME, v.name.span, msg);
                        }
                    }
                    self.enums.push(EnumDef {
                        name: self.qualify(m, &e.name.name),
                        label: e.label.as_ref().map(|l| l.value.clone()),
                        variants: e.variants.iter().map(|v| (v.name.name.clone(), v.label.as_ref().map(|l| l.value.clone()))).collect(),
                    });
                    self.bind(m, &e.name, Sym::Enum(id));
                }
                Item::Record(r) => {
                    let id = RecordId(len32(&self.records));
                    self.records.push(RecordDef { name: self.qualify(m, &r.name.name), fields: Vec::new() });
                    self.bind(m, &r.name, Sym::Record(id));
                }
                _ => {}
            }
        }
        for item in items {
            match item {
                Item::Record(r) => {
                    let Some(Sym::Record(id)) = self.lookup_sym(m, &r.name.name) else { continue };
                    let mut fields: Vec<(String, Type, Option<String>)> = Vec::new();
                    for f in &r.fields {
                        if fields.iter().any(|(n, _, _)| *n == f.name.name) {
                            let msg = format!("field `{}` is declared twice", f.name.name);
                            self.error(m, codes::DUPLICATE_NAME, f.name.span, msg);
                            continue;
                        }
                        let ty = self.resolve_type(m, &f.ty);
                        fields.push((f.name.name.clone(), ty, f.label.as_ref().map(|l| l.value.clone())));
                    }
                    if let Some(rec) = self.records.get_mut(id.index()) {
                        rec.fields = fields;
                    }
                }
                Item::Convert(cv) => self.declare_conversion(m, cv),
                _ => {}
            }
        }
    }

    fn declare_conversion(&mut self, m: usize, cv: &ast::ConvertDecl) {
        let side = |this: &mut Self, e: &ast::Expr| -> Option<(rust_decimal::Decimal, UnitId)> {
            if let ast::ExprKind::Number { value, suffix: Some(ast::Suffix::Unit(u)) } = &e.kind {
                if let Some(Sym::Unit(id)) = this.lookup_sym(m, &u.name) {
                    if value.is_sign_positive() && !value.is_zero() {
                        return Some((*value, id));
                    }
                }
            }
            this.error(m, codes::TYPE_MISMATCH, e.span, "expected a positive quantity in a declared unit")
                .with_label_mut("e.g. `3 clock_hour`");
            None
        };
        let (Some((fc, fu)), Some((tc, tu))) = (side(self, &cv.from), side(self, &cv.to)) else { return };
        if fu == tu {
            self.error(m, codes::TYPE_MISMATCH, cv.span, "a conversion needs two different units");
            return;
        }
        let cite = self.citation(m, cv.cite.as_ref(), Some("the conversion".into()));
        self.conversions.push(ConversionDef { from: fu, from_count: fc, to: tu, to_count: tc, cite });
    }

    pub fn lookup_sym(&self, m: usize, name: &str) -> Option<Sym> {
        let md = self.modules.get(m)?;
        if let Some(s) = md.scope.get(name) {
            return Some(*s);
        }
        let (alias, rest) = name.split_once('.')?;
        let target = *md.aliases.get(alias)?;
        self.modules.get(target)?.scope.get(rest).copied()
    }

    pub fn resolve_type(&mut self, m: usize, t: &TypeExpr) -> Type {
        match t {
            TypeExpr::List(i) => Type::List(Box::new(self.resolve_named_type(m, i))),
            TypeExpr::Named(i) => self.resolve_named_type(m, i),
        }
    }

    fn resolve_named_type(&mut self, m: usize, i: &ast::Ident) -> Type {
        match i.name.as_str() {
            "bool" => return Type::Bool,
            "int" => return Type::Int,
            "decimal" => return Type::Decimal,
            "money" => return Type::Money,
            "percent" => return Type::Percent,
            "date" => return Type::Date,
            "duration" => return Type::Duration,
            "text" => return Type::Text,
            _ => {}
        }
        match self.lookup_sym(m, &i.name) {
            Some(Sym::Unit(u)) => Type::Quantity(u),
            Some(Sym::Enum(e)) => Type::Enum(e),
            Some(Sym::Record(r)) => Type::Record(r),
            _ if self.is_poisoned(m, &i.name) => Type::Error,
            _ => {
                let mut names: Vec<String> =
                    ["bool", "int", "decimal", "money", "percent", "date", "duration", "text"].iter().map(|s| s.to_string()).collect();
                if let Some(md) = self.modules.get(m) {
                    names.extend(
                        md.scope.iter().filter(|(_, s)| matches!(s, Sym::Unit(_) | Sym::Enum(_) | Sym::Record(_))).map(|(k, _)| k.clone()),
                    );
                }
                let help = if self.take_hint() { did_you_mean(&i.name, names.iter().map(String::as_str)) } else { None };
                let msg = format!("unknown type `{}`", i.name);
                let d = self.error(m, codes::UNKNOWN_TYPE, i.span, msg);
                d.label = Some("not a built-in type, unit, enum or record".into());
                d.help = help;
                Type::Error
            }
        }
    }

    pub fn is_poisoned(&self, m: usize, name: &str) -> bool {
        self.modules.get(m).is_some_and(|md| md.poisoned.contains(name.split('.').next().unwrap_or(name)))
    }

    /// Inputs, params, externals, tables and lets: names and declared types.
    pub(super) fn declare_values(&mut self, m: usize, is_root: bool) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let file = self.file_of(m);
            match item {
                Item::Input(i) if is_root => {
                    let id = InputId(len32(&self.inputs));
                    let ty = self.resolve_type(m, &i.ty);
                    self.inputs.push(InputDef {
                        name: i.name.name.clone(),
                        ty,
                        bounds: None,
                        default: None,
                        label: i.label.as_ref().map(|l| l.value.clone()),
                        origin: Origin { file, span: i.span },
                    });
                    self.bind(m, &i.name, Sym::Input(id));
                }
                Item::Param(p) => {
                    let id = ParamId(len32(&self.params));
                    let ty = self.resolve_type(m, &p.ty);
                    let cite = self.citation(m, p.cite.as_ref(), Some(format!("parameter `{}`", p.name.name)));
                    self.params.push(ParamDef {
                        name: self.qualify(m, &p.name.name),
                        ty,
                        label: p.label.as_ref().map(|l| l.value.clone()),
                        versions: Vec::new(),
                        cite,
                    });
                    self.bind(m, &p.name, Sym::Param(id));
                }
                Item::External(x) => {
                    let id = ExternalId(len32(&self.externals));
                    let ty = self.resolve_type(m, &x.ty);
                    let cite = self.citation(m, x.cite.as_ref(), Some(format!("external `{}`", x.name.name)));
                    let (set_by, defined_in) = match &x.source {
                        ast::ExternalSource::DefinedIn(s) => (None, Some(s.value.clone())),
                        ast::ExternalSource::SetBy { authority, criteria } => {
                            (Some((authority.value.clone(), criteria.iter().map(|c| c.value.clone()).collect())), None)
                        }
                    };
                    self.externals.push(ExternalDef {
                        name: self.qualify(m, &x.name.name),
                        ty: ty.clone(),
                        bounds: None,
                        label: x.label.value.clone(),
                        set_by,
                        defined_in,
                        cite,
                    });
                    self.bind(m, &x.name, Sym::External(id));
                    let bounds = self.bounds(m, x.range.as_ref(), &ty);
                    if let Some(ext) = self.externals.get_mut(id.index()) {
                        ext.bounds = bounds;
                    }
                    if matches!(x.source, ast::ExternalSource::SetBy { .. }) && !ty.is_numeric() {
                        self.error(m, codes::TYPE_MISMATCH, x.ty.span(), "an authority-set external must be numeric");
                    }
                }
                Item::Table(t) => {
                    let id = TableId(len32(&self.tables));
                    let row_type = RecordId(len32(&self.records));
                    let mut fields = Vec::new();
                    for col in t.keys.iter().chain(&t.values) {
                        if fields.iter().any(|(n, _, _): &(String, Type, Option<String>)| *n == col.name.name) {
                            let msg = format!("column `{}` is declared twice", col.name.name);
                            self.error(m, codes::DUPLICATE_NAME, col.name.span, msg);
                        }
                        let ty = self.resolve_type(m, &col.ty);
                        fields.push((col.name.name.clone(), ty, None));
                    }
                    self.records.push(RecordDef { name: format!("{}.row", self.qualify(m, &t.name.name)), fields });
                    let cite = self.citation(m, t.cite.as_ref(), Some(format!("table `{}`", t.name.name)));
                    self.tables.push(TableDef {
                        name: self.qualify(m, &t.name.name),
                        label: t.label.as_ref().map(|l| l.value.clone()),
                        row_type,
                        key_count: t.keys.len(),
                        rows: Vec::new(),
                        cite,
                    });
                    self.bind(m, &t.name, Sym::Table(id));
                }
                Item::Fn(d) => {
                    let id = FnId(len32(&self.functions));
                    let params = d.params.iter().map(|(n, t)| (n.name.clone(), self.resolve_type(m, t))).collect();
                    let ty = self.resolve_type(m, &d.ty);
                    if crate::check::expr::BUILTINS.contains(&d.name.name.as_str()) {
                        let msg = format!("`{}` is a built-in function", d.name.name);
                        self.error(m, codes::DUPLICATE_NAME, d.name.span, msg);
                    }
                    let cite = self.citation(m, d.cite.as_ref(), Some(format!("function `{}`", d.name.name)));
                    let body = self.err_expr(m, d.body.span);
                    self.functions.push(FnDef {
                        name: self.qualify(m, &d.name.name),
                        params,
                        ty,
                        body,
                        label: d.label.as_ref().map(|l| l.value.clone()),
                        cite,
                    });
                    self.bind(m, &d.name, Sym::Fn(id));
                }
                Item::Let(l) if is_root => {
                    let id = LetId(len32(&self.lets));
                    self.lets.push(None);
                    self.let_types.push(Type::Error);
                    self.bind(m, &l.name, Sym::Let(id));
                }
                _ => {}
            }
        }
        // Input bounds and defaults need all names bound (defaults may name variants).
        if is_root {
            for item in items {
                let Item::Input(i) = item else { continue };
                let Some(Sym::Input(id)) = self.lookup_sym(m, &i.name.name) else { continue };
                let ty = self.inputs.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
                let bounds = self.bounds(m, i.range.as_ref(), &ty);
                let default = i.default.as_ref().and_then(|d| {
                    let ce = self.expr(m, d, Some(&ty));
                    self.expect_type(m, &ce, &ty, "the input's type");
                    match ce.kind {
                        CKind::Const(v) => Some(v),
                        _ if ce.ty == Type::Error => None,
                        _ => {
                            self.error(m, codes::NOT_CONSTANT, d.span, "a default must be a constant");
                            None
                        }
                    }
                });
                if let Some(def) = self.inputs.get_mut(id.index()) {
                    def.bounds = bounds;
                    def.default = default;
                }
            }
        }
    }

    /// Checks `in LOW .. HIGH` against the declared type.
    fn bounds(&mut self, m: usize, range: Option<&ast::RangeDecl>, ty: &Type) -> Option<Bounds> {
        let range = range?;
        if !ty.is_numeric() && *ty != Type::Error {
            self.error(m, codes::BAD_RANGE, range.span, "only numbers can have a range");
            return None;
        }
        let side = |this: &mut Self, e: Option<&ast::Expr>| -> Option<rust_decimal::Decimal> {
            let e = e?;
            let ce = this.expr(m, e, Some(ty));
            this.expect_type(m, &ce, ty, "the declared type");
            match ce.kind {
                CKind::Const(Value::Num(d)) => Some(d),
                _ => None,
            }
        };
        let low = side(self, range.low.as_ref());
        let high = side(self, range.high.as_ref());
        if let (Some(l), Some(h)) = (low, high) {
            if l > h {
                self.error(m, codes::BAD_RANGE, range.span, format!("empty range: {l} is above {h}"));
            }
        }
        Some(Bounds { low, high })
    }

    pub(super) fn check_tables(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let Item::Table(t) = item else { continue };
            let Some(Sym::Table(id)) = self.lookup_sym(m, &t.name.name) else { continue };
            let Some(row_type) = self.tables.get(id.index()).map(|d| d.row_type) else { continue };
            let fields: Vec<Type> =
                self.records.get(row_type.index()).map(|r| r.fields.iter().map(|f| f.1.clone()).collect()).unwrap_or_default();
            let mut rows: Vec<Arc<[Value]>> = Vec::new();
            let mut seen: HashMap<Vec<Value>, Span> = HashMap::new();
            for row in &t.rows {
                if row.keys.len() != t.keys.len() || row.values.len() != t.values.len() {
                    let msg = format!(
                        "row has {} key(s) and {} value(s); the table has {} and {}",
                        row.keys.len(),
                        row.values.len(),
                        t.keys.len(),
                        t.values.len()
                    );
                    self.error(m, codes::BAD_TABLE, row.span, msg);
                    continue;
                }
                let mut cells = Vec::with_capacity(fields.len());
                let mut ok = true;
                for (cell, ty) in row.keys.iter().chain(&row.values).zip(&fields) {
                    let ce = self.expr(m, cell, Some(ty));
                    self.expect_type(m, &ce, ty, "the column's type");
                    match ce.kind {
                        CKind::Const(v) => cells.push(v),
                        _ => {
                            if ce.ty != Type::Error {
                                self.error(m, codes::NOT_CONSTANT, cell.span, "a table cell must be a constant");
                            }
                            ok = false;
                        }
                    }
                }
                if !ok {
                    continue;
                }
                let key: Vec<Value> = cells.iter().take(t.keys.len()).cloned().collect();
                if let Some(prev) = seen.get(&key) {
                    let line = self.line_of(m, *prev);
                    let msg = format!("two rows of `{}` have the same key (the first is on line {line})", t.name.name);
                    self.error(m, codes::DUPLICATE_ROW, row.span, msg);
                    continue;
                }
                seen.insert(key, row.span);
                rows.push(Arc::from(cells));
            }
            if let Some(def) = self.tables.get_mut(id.index()) {
                def.rows = rows;
            }
        }
    }
}
