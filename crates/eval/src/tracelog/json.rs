//! A trace's JSON written straight from its event log: the bytes
//! `serde_json::to_string` gives for the tree [`Log::build`] would build,
//! without building it (no node, vector or string per step; values are
//! shown into one reused buffer and escaped into the output).
//! `tests/event_log.rs` compares the two on every golden case.
//!
//! The walk is iterative (a stack of open events), so a deep trace (a
//! long chain of lets) needs no deep recursion.

use super::{Event, Log, Shown, ROOT};
use crate::jsonbytes::{citation, string, uint};
use crate::plan::Plan;

impl Log {
    /// Appends the trace's JSON (`{"level":…,"benefits":[…]}`).
    pub(crate) fn write_json(&self, plan: &Plan, out: &mut String) {
        out.push_str("{\"level\":\"");
        out.push_str(self.level.as_str());
        out.push_str("\",\"benefits\":[");
        // Each root's events run from it to the next root; roots are
        // written in the order of their decision slots, as `build` sorts.
        let mut roots: Vec<(u32, usize)> =
            self.events.iter().enumerate().filter(|(_, e)| e.parent == ROOT).map(|(i, e)| (e.slot, i)).collect();
        roots.sort_by_key(|(slot, _)| *slot);
        let mut text = String::new();
        let mut stack: Vec<(usize, bool)> = Vec::new();
        for (k, &(_, start)) in roots.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let end = self
                .events
                .get(start + 1..)
                .and_then(|rest| rest.iter().position(|e| e.parent == ROOT))
                .map_or(self.events.len(), |n| start + 1 + n);
            self.write_tree(plan, start, end, out, &mut text, &mut stack);
        }
        out.push_str("]}");
    }

    /// Writes the tree of the root at `start` (events `start..end`).
    fn write_tree(&self, plan: &Plan, start: usize, end: usize, out: &mut String, text: &mut String, stack: &mut Vec<(usize, bool)>) {
        stack.clear();
        for i in start..end {
            let Some(e) = self.events.get(i) else { break };
            while let Some(&(top, _)) = stack.last() {
                if top as u64 == u64::from(e.parent) {
                    break;
                }
                self.write_close(top, out);
                stack.pop();
            }
            if let Some((_, written)) = stack.last_mut() {
                if *written {
                    out.push(',');
                }
                *written = true;
            }
            self.write_open(plan, i, e, out, text);
            stack.push((i, false));
        }
        while let Some((top, _)) = stack.pop() {
            self.write_close(top, out);
        }
    }

    /// Whether event `i` has children: in pre-order, its first child
    /// follows it.
    fn has_children(&self, i: usize) -> bool {
        self.events.get(i + 1).is_some_and(|next| next.parent as usize == i && next.parent != ROOT)
    }

    /// Writes a node up to its children (opening their list when it has some).
    fn write_open(&self, plan: &Plan, i: usize, e: &Event, out: &mut String, text: &mut String) {
        out.push_str("{\"kind\":\"");
        out.push_str(e.kind.as_str());
        out.push('"');
        if let Some(id) = &e.id {
            out.push_str(",\"id\":");
            string(out, id);
        }
        if let Some(label) = &e.label {
            out.push_str(",\"label\":");
            string(out, label);
        }
        out.push_str(",\"verdict\":\"");
        out.push_str(e.verdict.as_str());
        out.push('"');
        for (key, shown) in [(",\"result\":", &e.result), (",\"note\":", &e.note)] {
            if !matches!(shown, Shown::None) {
                out.push_str(key);
                text.clear();
                shown.push(plan, text);
                string(out, text);
            }
        }
        if let Some(source) = e.source.and_then(|(file, span)| plan.source_ref(file, span)) {
            out.push_str(",\"source\":{\"file\":");
            string(out, &source.file);
            out.push_str(",\"line\":");
            number(out, source.line);
            out.push_str(",\"column\":");
            number(out, source.column);
            out.push_str(",\"text\":");
            string(out, &source.text);
            out.push('}');
        }
        if e.reads > 0 {
            out.push_str(",\"reads\":[");
            let node = u32::try_from(i).unwrap_or(u32::MAX);
            let reads = self.reads.get(e.first_read as usize..).unwrap_or(&[]).iter().filter(|r| r.node == node);
            for (k, r) in reads.take(e.reads as usize).enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str("{\"name\":");
                string(out, &r.name);
                out.push_str(",\"value\":");
                text.clear();
                r.value.push(plan, text);
                string(out, text);
                out.push('}');
            }
            out.push(']');
        }
        citation(out, &e.citation);
        if self.has_children(i) {
            out.push_str(",\"children\":[");
        }
    }

    /// Closes node `i`: its children's list, its branch, the object.
    fn write_close(&self, i: usize, out: &mut String) {
        if self.has_children(i) {
            out.push(']');
        }
        if let Some(b) = self.events.get(i).and_then(|e| e.branch) {
            out.push_str(",\"branch\":");
            number(out, b);
        }
        out.push('}');
    }
}

fn number(out: &mut String, n: usize) {
    match u32::try_from(n) {
        Ok(n) => uint(out, n),
        Err(_) => out.push_str(&n.to_string()),
    }
}
