//! Walks over expressions the checker shares: rewriting checked ones in
//! place, whether one reads `as_of` or facts, the names a syntax tree reads.

use super::*;

/// Visits every sub-expression, parents first.
pub fn walk_mut(e: &mut CExpr, f: &mut dyn FnMut(&mut CExpr)) {
    f(e);
    match &mut e.kind {
        CKind::Const(_)
        | CKind::Input(_)
        | CKind::Let(_)
        | CKind::Param(_)
        | CKind::External(_)
        | CKind::Local(_)
        | CKind::Amount
        | CKind::AsOf
        | CKind::BenefitAmount(_)
        | CKind::Table(_)
        | CKind::Present(_) => {}
        CKind::Lookup(_, ks) | CKind::Exists(_, ks) | CKind::List(ks) | CKind::Call(_, ks) | CKind::Apply(_, ks) => {
            ks.iter_mut().for_each(|k| walk_mut(k, f))
        }
        CKind::Field(b, _) | CKind::Convert(b, _, _) | CKind::Unary(_, b) => walk_mut(b, f),
        CKind::Binary(_, a, b) | CKind::InList(a, b) => {
            walk_mut(a, f);
            walk_mut(b, f);
        }
        CKind::InSet(a, xs) => {
            walk_mut(a, f);
            xs.iter_mut().for_each(|x| walk_mut(x, f));
        }
        CKind::If(bs, o) => {
            for (c, v) in bs {
                walk_mut(c, f);
                walk_mut(v, f);
            }
            walk_mut(o, f);
        }
        CKind::Match(s, arms) => {
            walk_mut(s, f);
            arms.iter_mut().for_each(|(_, v)| walk_mut(v, f));
        }
        CKind::Tiers { subject, tiers, otherwise } => {
            walk_mut(subject, f);
            for t in tiers {
                match &mut t.test {
                    CTierTest::Cmp(_, b) => walk_mut(b, f),
                    CTierTest::Range(a, b) => {
                        walk_mut(a, f);
                        walk_mut(b, f);
                    }
                }
                walk_mut(&mut t.value, f);
            }
            if let Some(o) = otherwise {
                walk_mut(o, f);
            }
        }
        CKind::Scale { subject, bands, rest } => {
            walk_mut(subject, f);
            for (w, r) in bands {
                walk_mut(w, f);
                walk_mut(r, f);
            }
            if let Some(r) = rest {
                walk_mut(r, f);
            }
        }
        CKind::Quant(_, l, p) => {
            walk_mut(l, f);
            if let Some(p) = p {
                walk_mut(p, f);
            }
        }
        CKind::Agg(_, l, v, p) => {
            walk_mut(l, f);
            walk_mut(v, f);
            if let Some(p) = p {
                walk_mut(p, f);
            }
        }
    }
}

impl Checker<'_> {
    /// Whether `e` reads `as_of`, directly or through the lets it reads.
    pub(crate) fn reads_as_of(&self, e: &CExpr) -> bool {
        let (mut pending, mut seen) = (vec![e.clone()], Vec::new());
        let mut found = false;
        while let Some(mut x) = pending.pop() {
            walk_mut(&mut x, &mut |y| match y.kind {
                CKind::AsOf => found = true,
                CKind::Let(id) if !seen.contains(&id.index()) => {
                    seen.push(id.index());
                    if let Some(Some(def)) = self.lets.get(id.index()) {
                        pending.push(def.value.clone());
                    }
                }
                _ => {}
            });
        }
        found
    }
}

/// Whether an expression reads facts, lets or externals (not allowed in assertions).
pub(super) fn reads_facts(e: &CExpr) -> bool {
    let mut found = false;
    let mut e = e.clone();
    walk_mut(&mut e, &mut |x| {
        if matches!(
            x.kind,
            CKind::Input(_)
                | CKind::Let(_)
                | CKind::External(_)
                | CKind::Present(_)
                | CKind::Amount
                | CKind::AsOf
                | CKind::BenefitAmount(_)
        ) {
            found = true;
        }
    });
    found
}

/// Names an expression mentions (first path segments), for let ordering.
pub(super) fn free_names(e: &ast::Expr, out: &mut Vec<String>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Path(segs) => {
            if let Some(s) = segs.first() {
                out.push(s.name.clone());
            }
        }
        K::Bool(_) | K::Number { .. } | K::Date(_) | K::Text(_) => {}
        K::Field(b, _) | K::Convert(b, _) | K::Unary(_, b) | K::Paren(b) => free_names(b, out),
        K::Index(b, ks) => {
            free_names(b, out);
            ks.iter().for_each(|k| free_names(k, out));
        }
        K::Binary(_, a, b) => {
            free_names(a, out);
            free_names(b, out);
        }
        K::Set(xs) | K::List(xs) | K::Call(_, xs) => xs.iter().for_each(|x| free_names(x, out)),
        K::If { branches, otherwise } => {
            for (c, v) in branches {
                free_names(c, out);
                free_names(v, out);
            }
            free_names(otherwise, out);
        }
        K::Match { scrutinee, arms } => {
            free_names(scrutinee, out);
            arms.iter().for_each(|a| free_names(&a.value, out));
        }
        K::Tiers { subject, tiers, otherwise } => {
            free_names(subject, out);
            for t in tiers {
                match &t.test {
                    ast::TierTest::Cmp(_, b) => free_names(b, out),
                    ast::TierTest::Range(a, b) => {
                        free_names(a, out);
                        free_names(b, out);
                    }
                }
                free_names(&t.value, out);
            }
            if let Some(o) = otherwise {
                free_names(o, out);
            }
        }
        K::Scale { subject, bands, rest } => {
            free_names(subject, out);
            for b in bands {
                free_names(&b.width, out);
                free_names(&b.rate, out);
            }
            if let Some(r) = rest {
                free_names(r, out);
            }
        }
        K::Quantifier { list, filter, .. } => {
            free_names(list, out);
            if let Some(f) = filter {
                free_names(f, out);
            }
        }
        K::Aggregate { value, list, filter, .. } => {
            free_names(value, out);
            free_names(list, out);
            if let Some(f) = filter {
                free_names(f, out);
            }
        }
    }
}
