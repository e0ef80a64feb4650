//! The trace as an event log: while a decision is made, each step of the
//! trace is recorded as one compact [`Event`] (its kind, its parent, the
//! plan's shared text by reference count, its source as a span, its result
//! and note as values) into buffers kept between decisions; the tree of
//! [`TraceNode`]s, with its text, is built from the log only when asked
//! ([`Log::build`]); its JSON is written straight from it (`json.rs`).
//! It sits above `trace` (the tree's types) and `plan` (whose text it
//! shows), below `interp` and `decide`, which record into it.
//!
//! Invariants:
//! - Events are in the order their steps opened (pre-order): a node's
//!   children follow it, in order, each naming it as parent; a root (a
//!   benefit) has no parent and carries the decision slot it explains.
//! - Nothing is formatted while recording, save the rare notes whose text
//!   is built from several values (a scale's sum, a table's keys) and the
//!   descriptions of errors: values are kept as values ([`Shown`]) and
//!   shown by type when the tree is built, so the text is the same as if
//!   it had been formatted at once.
//! - Recording reuses the buffers: once they have grown to a policy's
//!   trace, logging a decision allocates only for those notes.

use crate::decision::Status;
use crate::plan::Plan;
use crate::trace::{push_value, show_value, NodeKind, Read, Trace, TraceLevel, TraceNode, Verdict};
use chrono::NaiveDate;
use policy_core::ast::Span;
use policy_core::checked::{Citation, FileId, Type};
use policy_core::value::{self as v, Value};
use rust_decimal::Decimal;
use std::sync::Arc;

mod json;

/// A node's parent when it is a root.
pub(super) const ROOT: u32 = u32::MAX;

/// A result or note, kept as the values it shows until the tree is built.
#[derive(Debug, Clone, Default)]
pub(crate) enum Shown {
    /// Nothing.
    #[default]
    None,
    /// Fixed text.
    Static(&'static str),
    /// Text formatted while recording.
    Text(String),
    /// A value, shown by its type ([`show_value`]).
    Value(Value, Type),
    /// Money (`"800.00"`).
    Money(Decimal),
    /// A range of money (`"500.00 .. 800.00"`).
    MoneyRange(Decimal, Decimal),
    /// A day.
    Date(NaiveDate),
    /// A benefit's result: its status, then its amount or range.
    Benefit(Status, Option<Decimal>, Option<(Decimal, Decimal)>),
    /// The date check's note when the date is within the in-force window.
    Within { date: NaiveDate, dated_by: bool, from: Option<NaiveDate>, until: Option<NaiveDate> },
    /// The tier that matched: the subject's value, the tier's number and
    /// its source.
    Tier { value: Value, ty: Type, tier: usize, file: FileId, span: Span },
}

impl Shown {
    /// The text, as the tree shows it.
    pub(crate) fn render(&self, plan: &Plan) -> Option<String> {
        match self {
            Shown::None => None,
            Shown::Static(s) => Some((*s).to_string()),
            Shown::Text(s) => Some(s.clone()),
            Shown::Value(x, ty) => Some(show_value(plan.policy(), x, ty)),
            _ => {
                let mut out = String::with_capacity(24);
                self.push(plan, &mut out);
                Some(out)
            }
        }
    }

    /// Appends the text (nothing for [`Shown::None`]).
    pub(crate) fn push(&self, plan: &Plan, out: &mut String) {
        let p = plan.policy();
        match self {
            Shown::None => {}
            Shown::Static(s) => out.push_str(s),
            Shown::Text(s) => out.push_str(s),
            Shown::Value(x, ty) => push_value(out, p, x, ty),
            Shown::Money(m) => v::push_plain(out, *m, 2),
            Shown::MoneyRange(l, h) => {
                v::push_plain(out, *l, 2);
                out.push_str(" .. ");
                v::push_plain(out, *h, 2);
            }
            Shown::Date(d) => v::push_date(out, *d),
            Shown::Benefit(status, amount, range) => {
                out.push_str(status.as_str());
                match (amount, range) {
                    (Some(a), _) => {
                        out.push(' ');
                        v::push_plain(out, *a, 2);
                    }
                    (None, Some((l, h))) => {
                        out.push(' ');
                        v::push_plain(out, *l, 2);
                        out.push_str("..");
                        v::push_plain(out, *h, 2);
                    }
                    _ => {}
                }
            }
            Shown::Within { date, dated_by, from, until } => {
                v::push_date(out, *date);
                out.push_str(if *dated_by { " (the benefit's date)" } else { " (the reference date)" });
                out.push_str(" is within the in-force window ");
                if let Some(d) = from {
                    v::push_date(out, *d);
                }
                out.push_str(" .. ");
                if let Some(d) = until {
                    v::push_date(out, *d);
                }
            }
            Shown::Tier { value, ty, tier, file, span } => {
                let text = plan.source_text(*file, *span).unwrap_or_default();
                push_value(out, p, value, ty);
                out.push_str(" matched tier ");
                crate::jsonbytes::uint(out, u32::try_from(*tier + 1).unwrap_or(u32::MAX));
                out.push_str(" `");
                for (i, word) in text.split_whitespace().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
                out.push('`');
            }
        }
    }
}

/// One step of the trace as recorded.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub kind: NodeKind,
    /// Index of the parent event, or [`ROOT`].
    pub(super) parent: u32,
    /// For a root: the decision slot of the benefit it explains.
    pub(super) slot: u32,
    pub id: Option<Arc<str>>,
    pub label: Option<Arc<str>>,
    pub verdict: Verdict,
    pub result: Shown,
    pub note: Shown,
    pub source: Option<(FileId, Span)>,
    pub citation: Option<Citation>,
    pub branch: Option<usize>,
    /// Children recorded, and reads (for the vectors' capacity).
    pub(super) children: u32,
    pub(super) reads: u32,
    /// Index of its first read in [`Log::reads`].
    pub(super) first_read: u32,
}

impl Event {
    /// An event of `kind` with nothing recorded yet.
    pub(crate) fn new(kind: NodeKind) -> Self {
        Event {
            kind,
            parent: ROOT,
            slot: 0,
            id: None,
            label: None,
            verdict: Verdict::Info,
            result: Shown::None,
            note: Shown::None,
            source: None,
            citation: None,
            branch: None,
            children: 0,
            reads: 0,
            first_read: u32::MAX,
        }
    }
}

/// A value a step read.
#[derive(Debug, Clone)]
pub(super) struct ReadEvent {
    pub(super) node: u32,
    pub(super) name: Arc<str>,
    pub(super) value: Shown,
}

/// The event log of one decision; its buffers are kept for the next.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub level: TraceLevel,
    pub(super) events: Vec<Event>,
    pub(super) reads: Vec<ReadEvent>,
    /// Indices of the open events, innermost last.
    open: Vec<u32>,
}

impl Log {
    /// Empties the log (keeping its buffers) to record a decision at `level`.
    pub(crate) fn start(&mut self, level: TraceLevel) {
        self.level = level;
        self.events.clear();
        self.reads.clear();
        self.open.clear();
    }

    /// Opens the root event of a benefit decided into decision slot `slot`.
    pub(crate) fn root(&mut self, slot: usize, mut event: Event) {
        self.open.clear();
        event.parent = ROOT;
        event.slot = u32::try_from(slot).unwrap_or(u32::MAX);
        self.push(event);
    }

    /// Opens `event` under the innermost open event.
    pub(crate) fn open(&mut self, mut event: Event) {
        let Some(&parent) = self.open.last() else { return };
        event.parent = parent;
        if let Some(p) = self.events.get_mut(parent as usize) {
            p.children += 1;
        }
        self.push(event);
    }

    fn push(&mut self, event: Event) {
        let Ok(at) = u32::try_from(self.events.len()) else { return };
        self.events.push(event);
        self.open.push(at);
    }

    /// The innermost open event.
    pub(crate) fn current(&mut self) -> Option<&mut Event> {
        let at = *self.open.last()?;
        self.events.get_mut(at as usize)
    }

    /// Closes the innermost open event (a root stays open until
    /// [`Log::finish_root`]).
    pub(crate) fn close(&mut self) {
        if self.open.len() > 1 {
            self.open.pop();
        }
    }

    /// Closes every open event, the root included.
    pub(crate) fn finish_root(&mut self) {
        self.open.clear();
    }

    /// The root event being recorded.
    pub(crate) fn root_event(&mut self) -> Option<&mut Event> {
        let at = *self.open.first()?;
        self.events.get_mut(at as usize)
    }

    /// Records that the innermost open event read `name` as `value`, unless
    /// it already read it.
    pub(crate) fn read(&mut self, name: &Arc<str>, value: impl FnOnce() -> Shown) {
        let Some(&node) = self.open.last() else { return };
        let Some(e) = self.events.get(node as usize) else { return };
        if e.reads > 0 {
            let from = e.first_read as usize;
            if self.reads.get(from..).unwrap_or(&[]).iter().any(|r| r.node == node && *r.name == **name) {
                return;
            }
        }
        let Ok(at) = u32::try_from(self.reads.len()) else { return };
        self.reads.push(ReadEvent { node, name: name.clone(), value: value() });
        if let Some(e) = self.events.get_mut(node as usize) {
            if e.reads == 0 {
                e.first_read = at;
            }
            e.reads += 1;
        }
    }

    /// How many events are recorded: a mark for [`Log::truncate`].
    pub(crate) fn mark(&self) -> usize {
        self.events.len()
    }

    /// Drops every event recorded since `mark`, with its reads. The events
    /// still open must all be older than the mark.
    pub(crate) fn truncate(&mut self, mark: usize) {
        if mark >= self.events.len() {
            return;
        }
        let cut = u32::try_from(mark).unwrap_or(u32::MAX);
        for at in mark..self.events.len() {
            let parent = self.events.get(at).map_or(ROOT, |e| e.parent);
            if parent < cut {
                if let Some(p) = self.events.get_mut(parent as usize) {
                    p.children = p.children.saturating_sub(1);
                }
            }
        }
        self.events.truncate(mark);
        self.reads.retain(|r| r.node < cut);
        self.open.retain(|&o| o < cut);
        // Reads left may have moved down: find each event's first again.
        for e in &mut self.events {
            e.first_read = u32::MAX;
        }
        for (i, r) in self.reads.iter().enumerate() {
            if let Some(e) = self.events.get_mut(r.node as usize) {
                if e.first_read == u32::MAX {
                    e.first_read = u32::try_from(i).unwrap_or(u32::MAX);
                }
            }
        }
    }

    /// Builds the trace: one tree per root, in the order of their decision
    /// slots, every value and note shown as text.
    pub(crate) fn build(&self, plan: &Plan) -> Trace {
        let mut roots: Vec<(u32, TraceNode)> = Vec::new();
        // The nodes being filled, innermost last, with their event index.
        let mut stack: Vec<(u32, TraceNode)> = Vec::new();
        let attach =
            |stack: &mut Vec<(u32, TraceNode)>, roots: &mut Vec<(u32, TraceNode)>, slot: u32, node: TraceNode| match stack.last_mut() {
                Some((_, parent)) => parent.children.push(node),
                None => roots.push((slot, node)),
            };
        for (i, e) in self.events.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            while let Some(&(top, _)) = stack.last() {
                if top == e.parent {
                    break;
                }
                if let Some((top, node)) = stack.pop() {
                    let slot = self.events.get(top as usize).map_or(0, |e| e.slot);
                    attach(&mut stack, &mut roots, slot, node);
                }
            }
            stack.push((i, self.node(plan, i, e)));
        }
        while let Some((top, node)) = stack.pop() {
            let slot = self.events.get(top as usize).map_or(0, |e| e.slot);
            attach(&mut stack, &mut roots, slot, node);
        }
        roots.sort_by_key(|(slot, _)| *slot);
        Trace { level: self.level, benefits: roots.into_iter().map(|(_, n)| n).collect() }
    }

    fn node(&self, plan: &Plan, i: u32, e: &Event) -> TraceNode {
        let mut reads = Vec::with_capacity(e.reads as usize);
        if e.reads > 0 {
            for r in self.reads.get(e.first_read as usize..).unwrap_or(&[]).iter().filter(|r| r.node == i).take(e.reads as usize) {
                reads.push(Read { name: r.name.clone(), value: r.value.render(plan).unwrap_or_default() });
            }
        }
        TraceNode {
            kind: e.kind,
            id: e.id.clone(),
            label: e.label.clone(),
            verdict: e.verdict,
            result: e.result.render(plan),
            note: e.note.render(plan),
            source: e.source.and_then(|(file, span)| plan.source_ref(file, span)),
            reads,
            citation: e.citation.clone(),
            children: Vec::with_capacity(e.children as usize),
            branch: e.branch,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use policy_core::loader::MemoryLoader;

    fn plan() -> Arc<Plan> {
        let mut loader = MemoryLoader::new();
        loader.add_policy("t.policy", "policy t.p \"测试\"\ninput days: int \"天数\"\nbenefit b \"补贴\" {\n  amount days * 1 yuan\n}\n");
        let engine = crate::Engine::from_loader(&loader).unwrap();
        engine.plan("t.p").unwrap().clone()
    }

    fn event(kind: NodeKind, id: &str) -> Event {
        let mut e = Event::new(kind);
        e.id = Some(Arc::from(id));
        e
    }

    /// Events dropped after a mark take their reads with them; the reads
    /// the root made after the mark stay the root's (once each).
    #[test]
    fn truncating_keeps_the_older_events_reads() {
        let plan = plan();
        let (a, b, c): (Arc<str>, Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"), Arc::from("c"));
        let mut log = Log::default();
        log.start(TraceLevel::Full);
        log.root(0, event(NodeKind::Benefit, "b"));
        let mark = log.mark();
        log.open(event(NodeKind::Require, "dropped"));
        log.read(&b, || Shown::Static("2"));
        log.close();
        // The root's first read comes after the mark, behind a read that goes.
        log.read(&c, || Shown::Static("3"));
        log.read(&a, || Shown::Static("1"));
        log.read(&c, || Shown::Static("again"));
        log.truncate(mark);
        log.open(event(NodeKind::Exclude, "kept"));
        log.read(&b, || Shown::Static("4"));
        log.close();
        log.finish_root();
        let t = log.build(&plan);
        let root = &t.benefits[0];
        let reads: Vec<(&str, &str)> = root.reads.iter().map(|r| (&*r.name, r.value.as_str())).collect();
        assert_eq!(reads, [("c", "3"), ("a", "1")]);
        assert_eq!(root.children.len(), 1);
        assert_eq!(root.children[0].id.as_deref(), Some("kept"));
        assert_eq!(root.children[0].reads.len(), 1);
        let mut json = String::new();
        log.write_json(&plan, &mut json);
        assert_eq!(json, serde_json::to_string(&t).unwrap());
    }

    /// Roots come out in the order of their decision slots, whatever the
    /// order they were decided in.
    #[test]
    fn roots_are_built_in_slot_order() {
        let plan = plan();
        let mut log = Log::default();
        log.start(TraceLevel::Summary);
        for (slot, id) in [(2, "third"), (0, "first"), (1, "second")] {
            log.root(slot, event(NodeKind::Benefit, id));
            log.open(event(NodeKind::Require, id));
            log.close();
            log.finish_root();
        }
        let t = log.build(&plan);
        let ids: Vec<&str> = t.benefits.iter().map(|n| n.id.as_deref().unwrap_or("")).collect();
        assert_eq!(ids, ["first", "second", "third"]);
        assert!(t.benefits.iter().all(|n| n.children.len() == 1 && n.children[0].id == n.id));
        let mut json = String::new();
        log.write_json(&plan, &mut json);
        assert_eq!(json, serde_json::to_string(&t).unwrap());
    }
}
