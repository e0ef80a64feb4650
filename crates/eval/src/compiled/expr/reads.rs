//! What reads a value in the expression compiler: lets (cached per
//! decision, and per date when they read it), parameters (the version in
//! force), table lookups and `exists` (an enum-keyed table as an array by
//! variant), record fields, and calls of declared functions.

use super::{get, k, n, Cached, Cx, Env, LetSlot, Rec, Scalar, N, X};
use policy_core::checked::{CExpr, CKind, Type};
use policy_core::value::Value;
use std::sync::Arc;

impl Cx<'_> {
    /// A let's value: cached in the decider's let slots for the decision
    /// (and the date, when the let reads it).
    pub(super) fn let_read<T: Scalar>(&mut self, i: usize) -> Result<X, String> {
        let body = match self.lets.get(i) {
            Some(Ok(b)) => b.clone(),
            Some(Err(e)) => return Err(e.clone()),
            None => return Err("internal: a let read before it is compiled".into()),
        };
        let node = T::get(&body).ok_or("internal: a let of another type")?;
        if let Some(c) = &node.k {
            return Ok(T::wrap(k(c.clone())));
        }
        let dated = self.let_dated.get(i).copied().unwrap_or(true);
        Ok(T::wrap(n(move |env: &mut Env<'_>| {
            let node = T::get(&body)?;
            if let Some(slot) = env.s.lets.get(i) {
                if slot.stamp == env.s.stamp && (!dated || slot.date == env.date) {
                    if let Some(v) = T::uncache(slot.value) {
                        return Some(v);
                    }
                }
            }
            let v = (node.f)(env)?;
            let value = v.cache();
            if !matches!(value, Cached::None) {
                if let Some(slot) = env.s.lets.get_mut(i) {
                    *slot = LetSlot { stamp: env.s.stamp, date: env.date, value };
                }
            }
            Some(v)
        })))
    }

    /// A parameter: the value of its version in force on the date (the
    /// latest that covers it, as the interpreter picks).
    pub(super) fn param<T: Scalar>(&mut self, i: usize) -> Result<X, String> {
        let p = self.p;
        let def = p.params.get(i).ok_or("internal: no parameter")?;
        let versions =
            def.versions.iter().map(|v| Ok((v.from, v.until, self.typed::<T>(&v.value)?))).collect::<Result<Vec<_>, String>>()?;
        Ok(T::wrap(n(move |env: &mut Env<'_>| {
            let d = env.date?;
            let (_, _, value) = versions.iter().rev().find(|(from, until, _)| *from <= d && until.is_none_or(|u| d <= u))?;
            get(value, env)
        })))
    }

    /// When a table has one key, an enum: its rows by variant.
    pub(super) fn rows_by_variant(&self, t: usize, keys: &[CExpr]) -> Option<Vec<Option<Arc<[Value]>>>> {
        let [key] = keys else { return None };
        let Type::Enum(e) = &key.ty else { return None };
        let variants = self.p.enums.get(e.index())?.variants.len();
        let index = self.plan.indexes.get(t)?;
        let rows = &self.p.tables.get(t)?.rows;
        Some(
            (0..variants)
                .map(|v| {
                    let key = [Value::Enum(u32::try_from(v).ok()?)];
                    index.get(&key[..]).and_then(|&r| rows.get(r)).cloned()
                })
                .collect(),
        )
    }

    /// `table[keys]`: a row, or `None` (no row).
    pub(super) fn lookup(&mut self, t: usize, keys: &[CExpr]) -> Result<N<Rec>, String> {
        if let Some(by) = self.rows_by_variant(t, keys) {
            let key = keys.first().ok_or("internal: no key")?;
            let key = self.typed::<u32>(key)?;
            return Ok(n(move |env| by.get(get(&key, env)? as usize)?.clone().map(Rec)));
        }
        let keys = keys.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>, String>>()?;
        let index = self.plan.indexes.get(t).ok_or("internal: no table")?.clone();
        let rows = self.p.tables.get(t).ok_or("internal: no table")?.rows.clone();
        Ok(n(move |env| {
            let start = env.s.stack.len();
            for k in &keys {
                match k.value(env) {
                    Some(v) => env.s.stack.push(v),
                    None => {
                        env.s.stack.truncate(start);
                        return None;
                    }
                }
            }
            let found = env.s.stack.get(start..).and_then(|key| index.get(key)).copied();
            env.s.stack.truncate(start);
            found.and_then(|r| rows.get(r)).cloned().map(Rec)
        }))
    }

    pub(super) fn exists(&mut self, t: usize, keys: &[CExpr]) -> Result<X, String> {
        if let Some(by) = self.rows_by_variant(t, keys) {
            let found: Vec<bool> = by.iter().map(Option::is_some).collect();
            let key = keys.first().ok_or("internal: no key")?;
            let key = self.typed::<u32>(key)?;
            return Ok(X::Bool(n(move |env| Some(found.get(get(&key, env)? as usize).copied().unwrap_or(false)))));
        }
        let keys = keys.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>, String>>()?;
        let index = self.plan.indexes.get(t).ok_or("internal: no table")?.clone();
        Ok(X::Bool(n(move |env| {
            let start = env.s.stack.len();
            for k in &keys {
                match k.value(env) {
                    Some(v) => env.s.stack.push(v),
                    None => {
                        env.s.stack.truncate(start);
                        return None;
                    }
                }
            }
            let found = env.s.stack.get(start..).is_some_and(|key| index.contains_key(key));
            env.s.stack.truncate(start);
            Some(found)
        })))
    }

    /// `record.field`: straight from a bound element, or from an
    /// enum-keyed table's column, else from the record computed.
    pub(super) fn field<T: Scalar>(&mut self, rec: &CExpr, i: usize) -> Result<X, String> {
        if let CKind::Local(depth) = rec.kind {
            let d = depth as usize;
            return Ok(T::wrap(n(move |env: &mut Env<'_>| {
                let locals = &env.s.locals;
                match locals.get(locals.len().checked_sub(1 + d)?)? {
                    Value::Record(fields) => fields.get(i).and_then(T::of),
                    _ => None,
                }
            })));
        }
        if let CKind::Lookup(t, keys) = &rec.kind {
            if let Some(by) = self.rows_by_variant(t.index(), keys) {
                let column: Vec<Option<T>> = by.iter().map(|r| r.as_ref().and_then(|r| r.get(i)).and_then(T::of)).collect();
                let key = keys.first().ok_or("internal: no key")?;
                let key = self.typed::<u32>(key)?;
                return Ok(T::wrap(n(move |env: &mut Env<'_>| column.get(get(&key, env)? as usize)?.clone())));
            }
        }
        let rec = self.typed::<Rec>(rec)?;
        Ok(T::wrap(n(move |env: &mut Env<'_>| (rec.f)(env)?.0.get(i).and_then(T::of))))
    }

    /// A call of a declared function: the arguments evaluated (all of them,
    /// on the value stack), then bound as the body's innermost locals.
    pub(super) fn apply<T: Scalar>(&mut self, f: usize, args: &[CExpr]) -> Result<X, String> {
        let body = match self.fns.get(f) {
            Some(Ok(b)) => b.clone(),
            Some(Err(e)) => return Err(e.clone()),
            None => return Err("internal: a function called before it is compiled".into()),
        };
        T::get(&body).ok_or("internal: a function of another type")?;
        let args = args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>, String>>()?;
        Ok(T::wrap(n(move |env: &mut Env<'_>| {
            let node = T::get(&body)?;
            let start = env.s.stack.len();
            for a in &args {
                match a.value(env) {
                    Some(v) => env.s.stack.push(v),
                    None => {
                        env.s.stack.truncate(start);
                        return None;
                    }
                }
            }
            let base = env.s.locals.len();
            let s = &mut *env.s;
            s.locals.extend(s.stack.drain(start..));
            let r = (node.f)(env);
            env.s.locals.truncate(base);
            r
        })))
    }
}
