//! Structural changes of declarations: parameters, tables, lets, inputs,
//! externals, enums, records and conversions.

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn params(&mut self) {
        let (o, n) = (self.o, self.n);
        for np in &n.params {
            let subject = format!("param {}", np.name);
            let Some(op) = o.params.iter().find(|p| p.name == np.name) else {
                self.push(&subject, "added", Hints::default());
                continue;
            };
            let benefits = self.benefits_where(|r| r.params.contains(&np.name));
            let mut focus = self.focus_where(|r| r.params.contains(&np.name));
            focus.extend(self.date_focus(&benefits));
            let base_hints = |konsts: BTreeSet<K>| Hints {
                decisive: true,
                benefits: benefits.clone(),
                focus: focus.clone(),
                konsts,
                ..Hints::default()
            };
            if o.type_name(&op.ty) != n.type_name(&np.ty) {
                self.push(
                    &subject,
                    format!("type changed: {} → {}", o.type_name(&op.ty), n.type_name(&np.ty)),
                    base_hints(BTreeSet::new()),
                );
            }
            let pairs: Vec<(Option<usize>, Option<usize>)> = if op.versions.len() == np.versions.len() {
                (0..np.versions.len()).map(|i| (Some(i), Some(i))).collect()
            } else {
                let mut v: Vec<(Option<usize>, Option<usize>)> =
                    np.versions.iter().enumerate().map(|(i, x)| (op.versions.iter().position(|y| y.from == x.from), Some(i))).collect();
                v.extend(
                    op.versions
                        .iter()
                        .enumerate()
                        .filter(|(_, y)| !np.versions.iter().any(|x| x.from == y.from))
                        .map(|(i, _)| (Some(i), None)),
                );
                v
            };
            for (oi, ni) in pairs {
                let ov = oi.and_then(|i| op.versions.get(i));
                let nv = ni.and_then(|i| np.versions.get(i));
                let mut konsts = BTreeSet::new();
                for (p, v) in ov.map(|v| (o, v)).into_iter().chain(nv.map(|v| (n, v))) {
                    konsts.insert(K::Date(v.from));
                    konsts.extend(v.until.map(K::Date));
                    konsts.extend(Refs::of(p, [&v.value]).konsts);
                }
                match (ov, nv) {
                    (Some(ov), Some(nv)) => {
                        let mut parts = Vec::new();
                        if (ov.from, ov.until) != (nv.from, nv.until) {
                            parts.push(format!("dates {} → {}", window(Some(ov.from), ov.until), window(Some(nv.from), nv.until)));
                        }
                        if canon(o, &ov.value) != canon(n, &nv.value) {
                            parts.push(format!("value {}", arrow(o, &ov.value, n, &nv.value)));
                        }
                        if !parts.is_empty() {
                            let mut h = base_hints(konsts);
                            h.undo = Some(Undo::ParamVersion { param: np.name.clone(), new_at: ni, old: oi.map(|i| (i, ov.clone())) });
                            self.push(&subject, format!("version from {} changed: {}", ov.from, parts.join("; ")), h);
                        }
                    }
                    (None, Some(nv)) => {
                        let mut h = base_hints(konsts);
                        h.undo = Some(Undo::ParamVersion { param: np.name.clone(), new_at: ni, old: None });
                        self.push(&subject, format!("version added: {} => {}", window(Some(nv.from), nv.until), text(n, &nv.value)), h)
                    }
                    (Some(ov), None) => {
                        let mut h = base_hints(konsts);
                        h.undo = Some(Undo::ParamVersion { param: np.name.clone(), new_at: None, old: oi.map(|i| (i, ov.clone())) });
                        self.push(&subject, format!("version removed: {} => {}", window(Some(ov.from), ov.until), text(o, &ov.value)), h)
                    }
                    (None, None) => {}
                }
            }
        }
        for op in o.params.iter().filter(|p| !n.params.iter().any(|x| x.name == p.name)) {
            self.push(format!("param {}", op.name), "removed", Hints::default());
        }
    }

    pub(super) fn tables(&mut self) {
        let (o, n) = (self.o, self.n);
        for nt in &n.tables {
            let subject = format!("table {}", nt.name);
            let Some(ot) = o.tables.iter().find(|t| t.name == nt.name) else {
                self.push(&subject, "added", Hints::default());
                continue;
            };
            let benefits = self.benefits_where(|r| r.tables.contains(&nt.name));
            let focus = self.focus_where(|r| r.tables.contains(&nt.name));
            let decisive = !benefits.is_empty();
            let cols = |p: &CheckedPolicy, t: &policy_core::checked::TableDef| -> Vec<(String, Type)> {
                p.records.get(t.row_type.index()).map(|r| r.fields.iter().map(|f| (f.0.clone(), f.1.clone())).collect()).unwrap_or_default()
            };
            let (oc, nc) = (cols(o, ot), cols(n, nt));
            let sig = |p: &CheckedPolicy, c: &[(String, Type)], kc: usize| {
                let show =
                    |xs: &[(String, Type)]| xs.iter().map(|(f, t)| format!("{f}: {}", p.type_name(t))).collect::<Vec<_>>().join(", ");
                format!("({}) -> ({})", show(c.get(..kc).unwrap_or(&[])), show(c.get(kc..).unwrap_or(&[])))
            };
            let (osig, nsig) = (sig(o, &oc, ot.key_count), sig(n, &nc, nt.key_count));
            if osig != nsig {
                let mut konsts = BTreeSet::new();
                table_konsts(o, &ot.name, &mut konsts);
                table_konsts(n, &nt.name, &mut konsts);
                self.push(
                    &subject,
                    format!("columns changed: {osig} → {nsig}"),
                    Hints { decisive, benefits, focus, konsts, ..Hints::default() },
                );
                continue;
            }
            // Rows by key.
            let rows = |p: &CheckedPolicy, t: &policy_core::checked::TableDef, c: &[(String, Type)]| -> Vec<Row> {
                t.rows
                    .iter()
                    .map(|r| {
                        let keys: Vec<String> = r.iter().zip(c.iter()).take(t.key_count).map(|(v, (_, ty))| show_val(p, v, ty)).collect();
                        let values: Vec<String> = r.iter().zip(c.iter()).skip(t.key_count).map(|(v, (_, ty))| show_val(p, v, ty)).collect();
                        let mut ks = BTreeSet::new();
                        for (v, (_, ty)) in r.iter().zip(c.iter()) {
                            konsts_of_value(p, v, ty, &mut ks, 0);
                        }
                        let mut key_konsts = BTreeSet::new();
                        for (v, (_, ty)) in r.iter().zip(c.iter()).take(t.key_count) {
                            konsts_of_value(p, v, ty, &mut key_konsts, 0);
                        }
                        let shown = format!("({})", keys.join(", "));
                        (keys.join("\u{1f}"), shown, values, ks, key_konsts)
                    })
                    .collect()
            };
            let (orows, nrows) = (rows(o, ot, &oc), rows(n, nt, &nc));
            let value_cols: Vec<String> = nc.iter().skip(nt.key_count).map(|c| c.0.clone()).collect();
            let show_values =
                |vs: &[String]| vs.iter().zip(value_cols.iter()).map(|(v, c)| format!("{c} {v}")).collect::<Vec<_>>().join(", ");
            let undo_row = |new_at: Option<usize>, old_at: Option<usize>| {
                Some(Undo::Row { table: nt.name.clone(), new_at, old: old_at.and_then(|i| ot.rows.get(i).map(|r| (i, r.clone()))) })
            };
            for (ni, (key, shown, nv, nk, keys)) in nrows.iter().enumerate() {
                let hints = |konsts: BTreeSet<K>| Hints {
                    decisive,
                    benefits: benefits.clone(),
                    focus: focus.clone(),
                    konsts,
                    pins: vec![keys.clone()],
                    ..Hints::default()
                };
                match orows.iter().position(|r| r.0 == *key).and_then(|i| orows.get(i).map(|r| (i, r))) {
                    Some((oi, (_, _, ov, ok, _))) => {
                        if ov != nv {
                            let parts: Vec<String> = ov
                                .iter()
                                .zip(nv.iter())
                                .zip(value_cols.iter())
                                .filter(|((a, b), _)| a != b)
                                .map(|((a, b), c)| format!("{c} {a} → {b}"))
                                .collect();
                            let mut k = ok.clone();
                            k.extend(nk.iter().cloned());
                            let mut h = hints(k);
                            h.undo = undo_row(Some(ni), Some(oi));
                            self.push(&subject, format!("row {shown} changed: {}", parts.join("; ")), h);
                        }
                    }
                    None => {
                        let mut h = hints(nk.clone());
                        h.undo = undo_row(Some(ni), None);
                        self.push(&subject, format!("row {shown} added: {}", show_values(nv)), h)
                    }
                }
            }
            for (oi, (key, shown, ov, ok, keys)) in orows.iter().enumerate() {
                if !nrows.iter().any(|r| r.0 == *key) {
                    let hints = Hints {
                        decisive,
                        benefits: benefits.clone(),
                        focus: focus.clone(),
                        konsts: ok.clone(),
                        pins: vec![keys.clone()],
                        undo: undo_row(None, Some(oi)),
                        ..Hints::default()
                    };
                    self.push(&subject, format!("row {shown} removed: {}", show_values(ov)), hints);
                }
            }
        }
        for ot in o.tables.iter().filter(|t| !n.tables.iter().any(|x| x.name == t.name)) {
            self.push(format!("table {}", ot.name), "removed", Hints::default());
        }
    }

    pub(super) fn lets(&mut self) {
        let (o, n) = (self.o, self.n);
        for nl in &n.lets {
            let subject = format!("let {}", nl.name);
            let Some(ol) = o.lets.iter().find(|l| l.name == nl.name) else {
                self.push(&subject, "added", Hints::default());
                continue;
            };
            if canon(o, &ol.value) != canon(n, &nl.value) || o.type_name(&ol.ty) != n.type_name(&nl.ty) {
                let mut r = Refs::of(o, [&ol.value]);
                r.merge(Refs::of(n, [&nl.value]));
                let benefits = self.benefits_where(|x| x.lets.contains(&nl.name));
                let hints = Hints { decisive: !benefits.is_empty(), benefits, focus: r.facts, konsts: r.konsts, ..Hints::default() };
                self.push(&subject, format!("changed: {}", arrow(o, &ol.value, n, &nl.value)), hints);
            }
        }
        for ol in o.lets.iter().filter(|l| !n.lets.iter().any(|x| x.name == l.name)) {
            self.push(format!("let {}", ol.name), "removed", Hints::default());
        }
    }

    pub(super) fn fact_hints(&self, name: &str, konsts: BTreeSet<K>) -> Hints {
        let benefits = self.benefits_where(|r| r.facts.contains(name));
        let mut focus = BTreeSet::new();
        focus.insert(name.to_string());
        Hints { decisive: !benefits.is_empty(), benefits, focus, konsts, probe: None, rejections: true, pins: Vec::new(), undo: None }
    }

    pub(super) fn inputs(&mut self) {
        let (o, n) = (self.o, self.n);
        for ni in &n.inputs {
            let subject = format!("input {}", ni.name);
            let Some(oi) = o.inputs.iter().find(|i| i.name == ni.name) else {
                self.push(&subject, format!("added: {}", n.type_name(&ni.ty)), Hints::default());
                continue;
            };
            let mut konsts = BTreeSet::new();
            for (p, b, ty) in [(o, &oi.bounds, &oi.ty), (n, &ni.bounds, &ni.ty)] {
                if let (Some(b), Some(k)) = (b, num_kind(p, ty)) {
                    konsts.extend(b.low.iter().chain(b.high.iter()).map(|x| K::Num(k.clone(), x.normalize())));
                }
            }
            let (ot, nt) = (o.type_name(&oi.ty), n.type_name(&ni.ty));
            if ot != nt {
                self.push(&subject, format!("type changed: {ot} → {nt}"), self.fact_hints(&ni.name, konsts.clone()));
            }
            let (ob, nb) = (show_bounds(o, oi.bounds.as_ref(), &oi.ty), show_bounds(n, ni.bounds.as_ref(), &ni.ty));
            if ob != nb {
                self.push(&subject, format!("range changed: {ob} → {nb}"), self.fact_hints(&ni.name, konsts.clone()));
            }
            let show = |p: &CheckedPolicy, d: &Option<Value>, ty: &Type| {
                d.as_ref().map(|v| show_val(p, v, ty)).unwrap_or_else(|| "none (required)".into())
            };
            let (od, nd) = (show(o, &oi.default, &oi.ty), show(n, &ni.default, &ni.ty));
            if od != nd {
                self.push(&subject, format!("default changed: {od} → {nd}"), self.fact_hints(&ni.name, konsts));
            }
        }
        for oi in o.inputs.iter().filter(|i| !n.inputs.iter().any(|x| x.name == i.name)) {
            self.push(format!("input {}", oi.name), format!("removed: {}", o.type_name(&oi.ty)), Hints::default());
        }
    }

    pub(super) fn externals(&mut self) {
        let (o, n) = (self.o, self.n);
        for nx in &n.externals {
            let subject = format!("external {}", nx.name);
            let Some(ox) = o.externals.iter().find(|x| x.name == nx.name) else {
                self.push(&subject, format!("added: {}", n.type_name(&nx.ty)), Hints::default());
                continue;
            };
            let mut konsts = BTreeSet::new();
            for (p, b, ty) in [(o, &ox.bounds, &ox.ty), (n, &nx.bounds, &nx.ty)] {
                if let (Some(b), Some(k)) = (b, num_kind(p, ty)) {
                    konsts.extend(b.low.iter().chain(b.high.iter()).map(|x| K::Num(k.clone(), x.normalize())));
                }
            }
            let (ot, nt) = (o.type_name(&ox.ty), n.type_name(&nx.ty));
            if ot != nt {
                self.push(&subject, format!("type changed: {ot} → {nt}"), self.fact_hints(&nx.name, konsts.clone()));
            }
            let (ob, nb) = (show_bounds(o, ox.bounds.as_ref(), &ox.ty), show_bounds(n, nx.bounds.as_ref(), &nx.ty));
            if ob != nb {
                self.push(&subject, format!("range changed: {ob} → {nb}"), self.fact_hints(&nx.name, konsts.clone()));
            }
            let how = |x: &policy_core::checked::ExternalDef| match (&x.set_by, &x.defined_in) {
                (Some((a, c)), _) => format!("set by {a} (criteria: {})", c.join(", ")),
                (None, Some(i)) => format!("defined in {i}"),
                (None, None) => "given by the caller".into(),
            };
            if how(ox) != how(nx) {
                self.push(&subject, format!("source changed: {} → {}", how(ox), how(nx)), self.fact_hints(&nx.name, konsts));
            }
        }
        for ox in o.externals.iter().filter(|x| !n.externals.iter().any(|y| y.name == x.name)) {
            self.push(format!("external {}", ox.name), format!("removed: {}", o.type_name(&ox.ty)), Hints::default());
        }
    }

    /// Facts (either version) whose type mentions `name` (an enum, record or unit).
    pub(super) fn facts_of_type(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for p in [self.o, self.n] {
            let mentions = |t: &Type| {
                let mut t = t;
                while let Type::List(inner) = t {
                    t = inner;
                }
                p.type_name(t) == name
                    || matches!(t, Type::Record(r) if p.records.get(r.index()).is_some_and(|r| r.fields.iter().any(|f| p.type_name(&f.1) == name)))
            };
            out.extend(p.inputs.iter().filter(|i| mentions(&i.ty)).map(|i| i.name.clone()));
            out.extend(p.externals.iter().filter(|x| mentions(&x.ty)).map(|x| x.name.clone()));
        }
        out
    }

    pub(super) fn type_hints(&self, name: &str, konsts: BTreeSet<K>) -> Hints {
        let focus = self.facts_of_type(name);
        let benefits = self.benefits_where(|r| {
            r.facts.iter().any(|f| focus.contains(f)) || r.konsts.iter().any(|k| matches!(k, K::Variant(e, _) if e == name))
        });
        Hints { decisive: !benefits.is_empty(), benefits, focus, konsts, probe: None, rejections: true, pins: Vec::new(), undo: None }
    }

    pub(super) fn enums(&mut self) {
        let (o, n) = (self.o, self.n);
        for ne in &n.enums {
            let Some(oe) = o.enums.iter().find(|e| e.name == ne.name) else { continue };
            let names = |e: &policy_core::checked::EnumDef| e.variants.iter().map(|v| v.0.clone()).collect::<Vec<_>>();
            let (ov, nv) = (names(oe), names(ne));
            for v in nv.iter().filter(|v| !ov.contains(v)) {
                let konsts = std::iter::once(K::Variant(ne.name.clone(), v.clone())).collect();
                self.push(format!("enum {}", ne.name), format!("variant {v} added"), self.type_hints(&ne.name, konsts));
            }
            for v in ov.iter().filter(|v| !nv.contains(v)) {
                let konsts = std::iter::once(K::Variant(ne.name.clone(), v.clone())).collect();
                self.push(format!("enum {}", ne.name), format!("variant {v} removed"), self.type_hints(&ne.name, konsts));
            }
        }
    }

    pub(super) fn records(&mut self) {
        let (o, n) = (self.o, self.n);
        for nr in &n.records {
            // Tables have a record each; their columns are compared with the table.
            if n.tables.iter().any(|t| n.records.get(t.row_type.index()).is_some_and(|r| r.name == nr.name)) {
                continue;
            }
            let Some(or) = o.records.iter().find(|r| r.name == nr.name) else { continue };
            let show = |p: &CheckedPolicy, r: &policy_core::checked::RecordDef| {
                let mut fs: Vec<String> = r.fields.iter().map(|f| format!("{}: {}", f.0, p.type_name(&f.1))).collect();
                fs.sort();
                fs.join(", ")
            };
            let (a, b) = (show(o, or), show(n, nr));
            if a != b {
                self.push(format!("record {}", nr.name), format!("fields changed: {a} → {b}"), self.type_hints(&nr.name, BTreeSet::new()));
            }
        }
    }

    pub(super) fn conversions(&mut self) {
        let (o, n) = (self.o, self.n);
        let list = |p: &CheckedPolicy| -> Vec<(String, String, String)> {
            p.conversions
                .iter()
                .map(|c| {
                    let (a, b) = (p.type_name(&Type::Quantity(c.from)), p.type_name(&Type::Quantity(c.to)));
                    (format!("{} {a} = {} {b}", c.from_count.normalize(), c.to_count.normalize()), a, b)
                })
                .collect()
        };
        let (oc, nc) = (list(o), list(n));
        for (shown, a, b) in nc.iter().filter(|c| !oc.iter().any(|x| x.0 == c.0)) {
            let mut h = self.type_hints(a, BTreeSet::new());
            h.focus.extend(self.facts_of_type(b));
            self.push("conversion", format!("{shown} added"), h);
        }
        for (shown, a, b) in oc.iter().filter(|c| !nc.iter().any(|x| x.0 == c.0)) {
            let mut h = self.type_hints(a, BTreeSet::new());
            h.focus.extend(self.facts_of_type(b));
            self.push("conversion", format!("{shown} removed"), h);
        }
    }
}
