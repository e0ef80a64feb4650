//! The fast path's executor: per benefit asked for, the steps of
//! `decide/benefit.rs`'s `run_benefit` (date, in force, version, scope, conditions,
//! amount pipeline, outcomes) over compiled closures, into the decision's
//! reused buffers. `None` anywhere deoptimises the whole decision.

use super::{BenefitProg, CondKind, Env, Lists, Program, Rules, Scratch, Step};
use crate::decision::DecideOptions;
use crate::decision::{BenefitDecision, DateSource, DateUsed, Deadline, Decision, Failure, Outcome, OutputValue, Status};
use crate::facts::Facts;
use crate::plan::Plan;
use chrono::NaiveDate;
use policy_core::checked::BenefitDef;
use policy_core::checked::Citation;
use policy_core::value as v;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Decides the benefits `opts` asks for into `out` (whose envelope the
/// caller has set). `false`: the fast path does not decide this one (a
/// benefit not compiled, or a `None` on the way); `out`'s benefits are then
/// to be decided again by the interpreter.
pub(crate) fn run(
    plan: &Plan,
    prog: &Program,
    facts: &Facts,
    opts: &DecideOptions,
    reference: Option<NaiveDate>,
    out: &mut Decision,
    s: &mut Scratch,
) -> bool {
    let p = plan.policy();
    let all = opts.benefits.is_empty();
    s.stamp = s.stamp.wrapping_add(1);
    if s.lets.len() != p.lets.len() {
        s.lets.clear();
        s.lets.resize(p.lets.len(), super::LetSlot::default());
    }
    if all {
        // Every benefit, in its slot, decided in dependency order: a
        // benefit's amount is kept for the benefits that read it.
        if prog.reads {
            s.amounts.clear();
            s.amounts.resize(p.benefits.len(), None);
        }
        for (i, b) in p.benefits.iter().enumerate() {
            if out.benefits.len() <= i {
                out.benefits.push(BenefitDecision::empty(b));
            }
        }
        out.benefits.truncate(p.benefits.len());
        for &i in &p.benefit_order {
            let i = i as usize;
            let (Some(b), Some(Ok(bp)), Some(target)) = (p.benefits.get(i), prog.benefits.get(i), out.benefits.get_mut(i)) else {
                return deopt(s);
            };
            let mut env = Env { facts, date: reference, amount: None, s: &mut *s };
            if decide(plan, prog, (i, b, bp), &mut env, reference, i, target).is_none() {
                return deopt(s);
            }
            if prog.reads {
                // What `amount_of` reads: the amount when eligible (zero
                // without one), zero when refused.
                let paid = match target.status {
                    Status::Eligible => target.amount.unwrap_or(Decimal::ZERO),
                    _ => Decimal::ZERO,
                };
                if let Some(a) = s.amounts.get_mut(i) {
                    *a = Some(paid);
                }
            }
        }
    } else {
        // The benefits asked for, in declaration order; one that reads
        // another's amount is left to the interpreter (which decides the
        // benefits it reads aside).
        // Which benefits are asked for, resolved once per list of names.
        if s.asked_for != opts.benefits || s.asked_of != p.benefits.len() {
            s.asked_for.clone_from(&opts.benefits);
            s.asked.clear();
            s.asked.extend(p.benefits.iter().enumerate().filter(|(_, b)| opts.benefits.iter().any(|id| **id == *b.id)).map(|(i, _)| i));
            s.asked_of = p.benefits.len();
        }
        let mut n = 0;
        for k in 0..s.asked.len() {
            let Some(&i) = s.asked.get(k) else { return deopt(s) };
            let (Some(b), Some(Ok(bp))) = (p.benefits.get(i), prog.benefits.get(i)) else { return deopt(s) };
            if !b.reads.is_empty() {
                return deopt(s);
            }
            if out.benefits.len() <= n {
                out.benefits.push(BenefitDecision::empty(b));
            }
            let Some(target) = out.benefits.get_mut(n) else { return deopt(s) };
            let mut env = Env { facts, date: reference, amount: None, s: &mut *s };
            if decide(plan, prog, (i, b, bp), &mut env, reference, n, target).is_none() {
                return deopt(s);
            }
            n += 1;
        }
        out.benefits.truncate(n);
    }
    out.trace = None;
    true
}

/// Leaves the buffers as a decision finds them; `false`.
#[cold]
fn deopt(s: &mut Scratch) -> bool {
    s.locals.clear();
    s.stack.clear();
    false
}

/// One benefit, as `Plan::decide_benefit` and `run_benefit` decide it,
/// into slot `slot` of the decision (benefit `i` of the policy).
#[allow(clippy::too_many_arguments)]
fn decide(
    plan: &Plan,
    prog: &Program,
    (i, b, bp): (usize, &BenefitDef, &BenefitProg),
    env: &mut Env<'_>,
    reference: Option<NaiveDate>,
    slot: usize,
    out: &mut BenefitDecision,
) -> Option<()> {
    if Arc::ptr_eq(&out.id, &b.id) {
        // The slot held this benefit: its lists are refilled in place
        // (`refill`, `put`), the rest as `BenefitDecision::reset` leaves it.
        out.status = Status::Undetermined;
        out.amount = None;
        out.amount_range = None;
        out.payee = b.payee;
        out.version = None;
        out.missing.clear();
        crate::halt::park_texts(&mut out.errors);
        crate::decision::clear_outputs(&mut out.outputs);
    } else {
        out.reset(b);
    }
    // A scratch's first decision (`Plan::decide`'s only one) fills the
    // lists directly: nothing to reuse yet, and nothing allocated for reuse;
    // so does a benefit with more than 64 entries in a list.
    let direct = env.s.stamp == 1 || !bp.narrow;
    if direct {
        out.failed.clear();
        crate::decision::clear_outcomes(&mut out.entitlements);
        crate::decision::clear_outcomes(&mut out.documents);
    }
    let mut want = Lists::default();
    let mut deadlines = 0;
    let status = status(plan, prog, (b, bp), env, reference, (out, direct, &mut want), &mut deadlines)?;
    out.status = status;
    let s = &mut *env.s;
    if status != Status::Eligible {
        crate::decision::clear_outputs(&mut out.outputs);
        out.amount = None;
    }
    cut(&mut out.deadlines, deadlines, &mut s.spare.deadlines);
    if direct {
        return Some(());
    }
    if s.pools.len() <= i {
        s.pools.resize_with(i + 1, Default::default);
    }
    if s.held.len() <= slot {
        s.held.resize_with(slot + 1, Default::default);
    }
    let (Some(pools), Some(held)) = (s.pools.get_mut(i), s.held.get_mut(slot)) else { return None };
    if pools.failures.len() != bp.failures.len() {
        pools.failures.clear();
        pools.failures.resize_with(bp.failures.len(), || None);
        pools.entitlements.clear();
        pools.entitlements.resize_with(bp.entitlements.len(), || None);
        pools.documents.clear();
        pools.documents.resize_with(bp.documents.len(), || None);
    }
    let h = &mut held.held;
    refill(&mut out.failed, (&mut h.failed, &mut held.failed), want.failed, &mut pools.failures, &bp.failures);
    refill(
        &mut out.entitlements,
        (&mut h.entitlements, &mut held.entitlements),
        want.entitlements,
        &mut pools.entitlements,
        &bp.entitlements,
    );
    refill(&mut out.documents, (&mut h.documents, &mut held.documents), want.documents, &mut pools.documents, &bp.documents);
    Some(())
}

/// A list of the decision filled from a benefit's entries.
#[derive(Clone, Copy)]
enum Which {
    Failed,
    Entitlements,
    Documents,
}

/// Lists entry `at` of the benefit's failures, entitlements or documents:
/// into the decision when `direct`, else into `want` (for `refill`).
#[inline]
fn list((out, direct, want): (&mut BenefitDecision, bool, &mut Lists), bp: &BenefitProg, which: Which, at: u32) {
    if !direct {
        let mask = match which {
            Which::Failed => &mut want.failed,
            Which::Entitlements => &mut want.entitlements,
            Which::Documents => &mut want.documents,
        };
        *mask |= 1u64.checked_shl(at).unwrap_or(0);
        return;
    }
    let at = at as usize;
    match which {
        Which::Failed => out.failed.extend(bp.failures.get(at).cloned()),
        Which::Entitlements => out.entitlements.extend(bp.entitlements.get(at).cloned()),
        Which::Documents => out.documents.extend(bp.documents.get(at).cloned()),
    }
}

/// Makes `list` the entries `want` (bit `i` for `entries[i]`, in the order
/// of their indices): as it is when it already holds them (each checked,
/// pointers compared), else each taken from `pool` (where the entries it
/// held are put back, each in its place) or, when not there, cloned from
/// `entries`. So in a loop of decisions the entries move between the
/// decision and the pool, and are cloned (an atomic increment per shared
/// text) and dropped only once. `held` says which entries `list` was last
/// filled with; an entry that is not what `held` says (the interpreter has
/// filled the list since) is dropped. Before that, up to [`KEPT`] lists are
/// kept whole per slot and list, each with what it holds: when one holds
/// what the decision wants, the two are swapped (so applicants that differ
/// in a few documents, or in their status, cost a swap, not moves).
#[inline]
fn refill<T: Same + Clone>(
    list: &mut Vec<T>,
    (held, kept): (&mut u64, &mut Vec<(u64, Vec<T>)>),
    want: u64,
    pool: &mut [Option<T>],
    entries: &[T],
) {
    if *held == want && holds(list, want, entries) {
        return;
    }
    refill_other(list, (held, kept), want, pool, entries);
}

/// Most lists kept whole per slot and list.
const KEPT: usize = 8;

/// `refill` when the list is not already the one wanted.
#[inline(never)]
fn refill_other<T: Same + Clone>(
    list: &mut Vec<T>,
    (held, kept): (&mut u64, &mut Vec<(u64, Vec<T>)>),
    want: u64,
    pool: &mut [Option<T>],
    entries: &[T],
) {
    if let Some((mask, whole)) = kept.iter_mut().find(|(m, _)| *m == want) {
        std::mem::swap(list, whole);
        *mask = *held;
        *held = want;
        if holds(list, want, entries) {
            return;
        }
    } else if kept.len() < KEPT {
        // Kept as it is; a new list (room for all the benefit's entries)
        // takes its place. Only while the kept lists are fewer than KEPT.
        if kept.capacity() == 0 {
            kept.reserve_exact(KEPT);
        }
        let fresh = Vec::with_capacity(entries.len());
        kept.push((*held, std::mem::replace(list, fresh)));
        *held = 0;
    }
    // Room for every entry of the benefit, so that the list never grows
    // again once warm, whatever it is asked to hold.
    if list.capacity() < entries.len() {
        list.reserve_exact(entries.len().saturating_sub(list.len()));
    }
    refill_changed(list, held, want, pool, entries);
}

/// Whether `list` is the entries `want`, no more, no fewer (an entry past
/// them looks for entry 64, which a narrow benefit does not have).
#[inline]
fn holds<T: Same>(list: &[T], mut want: u64, entries: &[T]) -> bool {
    for x in list {
        let at = want.trailing_zeros() as usize;
        want &= want.wrapping_sub(1);
        if !entries.get(at).is_some_and(|e| x.same(e)) {
            return false;
        }
    }
    want == 0
}

/// The bits set in `x` (few: a loop, not the portable `count_ones`).
#[inline]
fn ones(mut x: u64) -> usize {
    let mut n = 0;
    while x != 0 {
        x &= x - 1;
        n += 1;
    }
    n
}

/// `refill` when the list changes: the entries it shares in front with
/// what it held stay; the others are put back in the pool (from the end),
/// then the new ones taken (or cloned).
#[inline(never)]
fn refill_changed<T: Same + Clone>(list: &mut Vec<T>, held: &mut u64, want: u64, pool: &mut [Option<T>], entries: &[T]) {
    // What `held` says is in the list, if its length agrees.
    let mut was = if list.len() == ones(*held) { *held } else { 0 };
    // The entries below the first that differs, if they are what `held` says.
    let diff = was ^ want;
    let front = if diff == 0 { u64::MAX } else { (1u64 << diff.trailing_zeros()) - 1 };
    let mut stay = ones(was & front);
    if !list.get(..stay).is_some_and(|l| holds(l, was & front, entries)) {
        stay = 0;
    }
    while list.len() > stay {
        let Some(x) = list.pop() else { break };
        if was == 0 {
            x.recycle();
            continue;
        }
        let at = 63 - was.leading_zeros() as usize;
        was &= !(1u64 << at);
        match pool.get_mut(at) {
            Some(place @ None) if entries.get(at).is_some_and(|e| x.same(e)) => *place = Some(x),
            _ => x.recycle(),
        }
    }
    let mut bits = if stay == 0 { want } else { want & !front };
    while bits != 0 {
        let at = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let x = match pool.get_mut(at).and_then(Option::take) {
            Some(x) => x,
            None => match entries.get(at) {
                Some(e) => e.clone(),
                None => continue,
            },
        };
        list.push(x);
    }
    *held = want;
}

/// Most deadlines kept aside (beyond, they are dropped).
const SPARE: usize = 256;

/// Deadlines no longer in a decision, kept (moved, not dropped) for the
/// next decisions: each clone of an `Arc` is an atomic increment, each drop
/// a decrement, and a deadline holds four.
#[derive(Debug, Default)]
pub(crate) struct Spare {
    deadlines: Vec<Deadline>,
}

/// Makes entry `k` of `v` one that is `same` (then counts it): the entry
/// already there, or one further on (swapped in), or one kept aside, and
/// only when there is none a new one (`make`). The entry it displaces is
/// kept aside.
#[inline]
fn put<T: Same>(v: &mut Vec<T>, k: &mut usize, spare: &mut Vec<T>, same: impl Fn(&T) -> bool, make: impl FnOnce() -> T) {
    let at = *k;
    *k += 1;
    if v.get(at).is_some_and(&same) {
        return;
    }
    if let Some(j) = v.iter().skip(at + 1).position(&same) {
        v.swap(at, at + 1 + j);
        return;
    }
    let item = match spare.iter().position(&same) {
        Some(j) => spare.swap_remove(j),
        None => make(),
    };
    match v.get_mut(at) {
        Some(x) => {
            let old = std::mem::replace(x, item);
            keep(spare, old);
        }
        None => v.push(item),
    }
}

/// Cuts `v` to `n` entries, keeping the rest aside.
fn cut<T: Same>(v: &mut Vec<T>, n: usize, spare: &mut Vec<T>) {
    while v.len() > n {
        if let Some(x) = v.pop() {
            keep(spare, x);
        }
    }
}

/// Keeps `x` aside unless one like it already is (or the room is full):
/// the spare entries stay distinct, so their number is bounded by the
/// policy's deadlines and dates, and their buffer, reserved whole on
/// first use, never grows.
fn keep<T: Same>(spare: &mut Vec<T>, x: T) {
    if spare.capacity() == 0 {
        spare.reserve_exact(SPARE);
    }
    if spare.len() < SPARE && !spare.iter().any(|y| y.same(&x)) {
        spare.push(x);
    }
}

/// Entries that are the same shared text (pointers compared, no text).
trait Same: Sized {
    fn same(&self, other: &Self) -> bool;
    /// Drops an entry no longer wanted, parking what it owns for reuse.
    fn recycle(self) {}
}
impl Same for Failure {
    #[inline]
    fn same(&self, o: &Self) -> bool {
        self.kind == o.kind && same_text(&self.id, &o.id) && same_text(&self.label, &o.label) && same_cite(&self.citation, &o.citation)
    }
}
impl Same for Outcome {
    #[inline]
    fn same(&self, o: &Self) -> bool {
        same_text(&self.label, &o.label) && self.depends_on.is_empty() && o.depends_on.is_empty() && same_cite(&self.citation, &o.citation)
    }
    /// The interpreter's outcome that depended on missing facts: its list
    /// of them is parked (`halt.rs`) for the next such outcome.
    fn recycle(self) {
        crate::halt::park(self.depends_on);
    }
}
impl Same for Deadline {
    fn same(&self, o: &Self) -> bool {
        self.date == o.date && same_text(&self.label, &o.label) && same_cite(&self.citation, &o.citation)
    }
}

#[inline]
fn same_text(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b)
}

#[inline]
fn same_cite(a: &Option<Citation>, b: &Option<Citation>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            same_text(&x.document, &y.document)
                && same_text(&x.clause, &y.clause)
                && match (&x.quote, &y.quote) {
                    (None, None) => true,
                    (Some(p), Some(q)) => same_text(p, q),
                    _ => false,
                }
        }
        _ => false,
    }
}

fn set_date(out: &mut BenefitDecision, date: NaiveDate, source: DateSource, label: &Option<Arc<str>>) {
    match &mut out.date {
        Some(d) if d.label.as_ref().map(Arc::as_ptr) == label.as_ref().map(Arc::as_ptr) => {
            d.date = date;
            d.source = source;
        }
        _ => out.date = Some(DateUsed { date, source, label: label.clone() }),
    }
}

fn status(
    plan: &Plan,
    prog: &Program,
    (b, bp): (&BenefitDef, &BenefitProg),
    env: &mut Env<'_>,
    reference: Option<NaiveDate>,
    (out, direct, want): (&mut BenefitDecision, bool, &mut Lists),
    deadlines: &mut usize,
) -> Option<Status> {
    let mut failed = 0usize;
    // 1. The date (a `dated_by` expression sees the reference date).
    let date = match &bp.dated_by {
        Some(f) => {
            env.date = reference;
            let d = f(env)?;
            set_date(out, d, DateSource::DatedBy, &b.dated_by_label);
            Some(d)
        }
        None => match reference {
            Some(d) => {
                set_date(out, d, DateSource::Reference, &None);
                Some(d)
            }
            None if bp.date_free => {
                out.date = None;
                None
            }
            None => return None,
        },
    };
    env.date = date;
    // 2. In force.
    if let Some(d) = date {
        let (from, until) = prog.in_force;
        if from.is_some_and(|f| d < f) || until.is_some_and(|u| d > u) {
            // The not-in-force failure is the benefit's last.
            let last = u32::try_from(bp.failures.len().checked_sub(1)?).ok()?;
            list((out, direct, want), bp, Which::Failed, last);
            return Some(Status::NotApplicable);
        }
    }
    // 3. Version (none covering the date: the interpreter words the failure).
    let version = if bp.versions.is_empty() {
        None
    } else {
        let d = date?;
        let v = bp.versions.iter().find(|v| v.from <= d && v.until.is_none_or(|u| d <= u))?;
        out.version = Some(v.from);
        Some(v)
    };
    let rules = || std::iter::once(&bp.base).chain(version.map(|v| &v.rules));
    let in_version = |f: fn(&Rules) -> &[super::Cond]| version.map_or(&[][..], |v| f(&v.rules));
    // 4. Scope first, then 5. every other condition.
    // A condition left unknown (`None`: a missing fact or an error, the
    // interpreter's three-valued logic already applied inside it) counts for
    // nothing when another decides: a false scope makes the benefit
    // `not_applicable` (the interpreter keeps only scope failures), a failed
    // condition `ineligible` (it clears what is missing). Else, or when the
    // unknown condition may have stopped on no row or no tier (which the
    // interpreter lists as a failure), the interpreter decides.
    let mut unknown = false;
    for c in bp.base.scopes.iter().chain(in_version(|r| &r.scopes)) {
        match c.test.eval(env) {
            Some(true) => {}
            Some(false) => {
                list((&mut *out, direct, &mut *want), bp, Which::Failed, c.failure);
                failed += 1;
            }
            None => unknown = true,
        }
    }
    if failed > 0 {
        return Some(Status::NotApplicable);
    }
    if unknown {
        return None;
    }
    for c in bp.base.conditions.iter().chain(in_version(|r| &r.conditions)) {
        match c.test.eval(env) {
            Some(x) => {
                if x == (c.kind == CondKind::Exclude) {
                    list((&mut *out, direct, &mut *want), bp, Which::Failed, c.failure);
                    failed += 1;
                }
            }
            None if c.may_refuse => return None,
            None => unknown = true,
        }
    }
    if failed > 0 {
        return Some(Status::Ineligible);
    }
    if unknown {
        return None;
    }
    // 6. The amount.
    let replaces = version.is_some_and(|v| v.rules.replaces);
    let base: &[Step] = if replaces { &[] } else { &bp.base.steps };
    let version_steps: &[Step] = version.map_or(&[], |v| v.rules.steps.as_slice());
    let mut amount: Option<Decimal> = None;
    for step in base.iter().chain(version_steps) {
        amount = self::step(step, amount, date, env)?;
    }
    if let Some(a) = amount {
        if a < Decimal::ZERO {
            return None;
        }
        out.amount = Some(a);
    }
    // 7. Outputs.
    for o in &bp.outputs {
        let value = o.value.value(env)?;
        out.outputs.push(OutputValue {
            id: o.id.clone(),
            label: o.label.clone(),
            ty: o.ty_name.clone(),
            value: crate::decision::output_scalar(plan.policy(), &value, &o.ty),
            citation: o.citation.clone(),
        });
    }
    // 8. Outcomes.
    for r in rules() {
        outcomes(r, env, bp, (&mut *out, direct, &mut *want), deadlines)?;
    }
    Some(Status::Eligible)
}

/// One amount step (the amount so far, if any → the amount after it).
#[inline]
fn step(step: &Step, amount: Option<Decimal>, date: Option<NaiveDate>, env: &mut Env<'_>) -> Option<Option<Decimal>> {
    Some(match step {
        Step::Base(f) => Some(f(env)?),
        Step::Cap(f) => {
            let Some(a) = amount else { return Some(None) };
            env.amount = Some(a);
            let cap = f(env);
            env.amount = None;
            // `a.min(cap)`, comparing as the interpreter's numbers do.
            let cap = cap?;
            Some(if v::cmp_num(&a, &cap).is_gt() { cap } else { a })
        }
        Step::CapConst(k) => {
            let Some(a) = amount else { return Some(None) };
            Some(if k.cmp(&a).is_gt() { k.c } else { a })
        }
        Step::Uplift { rate, when, until } => {
            let Some(a) = amount else { return Some(None) };
            if let Some(u) = until {
                // A benefit decided without a date has no uplift with a last day.
                if date? > *u {
                    return Some(Some(a));
                }
            }
            if !when.eval(env)? {
                return Some(Some(a));
            }
            let factor = v::add(Decimal::ONE, rate(env)?).ok()?;
            Some(v::mul(a, factor).ok()?)
        }
        Step::Override { when, value } => {
            let Some(a) = amount else { return Some(None) };
            if !when.eval(env)? {
                return Some(Some(a));
            }
            env.amount = Some(a);
            let x = value(env);
            env.amount = None;
            Some(x?)
        }
    })
}

/// Which entitlements and documents of `r` hold (into `env.s.want`), and
/// its deadlines.
fn outcomes(
    r: &Rules,
    env: &mut Env<'_>,
    bp: &BenefitProg,
    (out, direct, want): (&mut BenefitDecision, bool, &mut Lists),
    deadlines: &mut usize,
) -> Option<()> {
    for o in &r.entitlements {
        if o.when.as_ref().map_or(Some(true), |w| w.eval(env))? {
            list((&mut *out, direct, &mut *want), bp, Which::Entitlements, o.outcome);
        }
    }
    for o in &r.documents {
        if o.when.as_ref().map_or(Some(true), |w| w.eval(env))? {
            list((&mut *out, direct, &mut *want), bp, Which::Documents, o.outcome);
        }
    }
    for d in &r.deadlines {
        let day = (d.date)(env)?;
        put(
            &mut out.deadlines,
            deadlines,
            &mut env.s.spare.deadlines,
            |x| x.date == day && same_text(&x.label, &d.label) && same_cite(&x.citation, &d.citation),
            || Deadline { label: d.label.clone(), date: day, citation: d.citation.clone() },
        );
    }
    Some(())
}
