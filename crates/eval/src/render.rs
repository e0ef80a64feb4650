//! A decision and its trace as text: the indented tree with ✓/✗ that
//! `policy eval` prints and golden traces hold. Below both `decision` and
//! `trace` (it reads the one and walks the other), so neither depends on
//! the other.

use crate::decision::{Decision, Status};
use crate::trace::{NodeKind, TraceNode, Verdict};
use policy_core::value::money_string;

/// Renders a decision and its trace as an indented tree with ✓/✗.
///
/// The text names no file, line or engine version: it is what a golden trace
/// (`<name>.traces/<case>.trace`, [`crate::testing`]) holds, and what changes
/// only when the decision or its explanation does.
///
/// A step's policy text and a quote longer than 100 characters are cut
/// there (`…`); golden traces write them in full ([`render_text_with_rules`]).
pub fn render_text(d: &Decision) -> String {
    let mut sink = Sink { out: String::new(), rules: None, full: false };
    render_into(d, &mut sink);
    sink.out
}

/// The golden-trace text of a decision: [`render_text`] with every step's
/// policy text and every quote in full, and the rule each line belongs to:
/// `policy <id>` for the policy's header lines, `benefit` for a benefit's own
/// lines, and `benefit: kind id` (or the label when the step has no id) for
/// a step's.
pub(crate) fn render_text_with_rules(d: &Decision) -> (String, Vec<Option<String>>) {
    let mut sink = Sink { out: String::new(), rules: Some(Vec::new()), full: true };
    render_into(d, &mut sink);
    (sink.out, sink.rules.unwrap_or_default())
}

/// Where rendered lines go; records each line's rule when asked to.
struct Sink {
    out: String,
    rules: Option<Vec<Option<String>>>,
    /// Text in full, not cut at 100 characters.
    full: bool,
}

impl Sink {
    /// Appends `text` (whole lines, each ending in a newline) owned by
    /// `rule`, without the spaces that would end a line (an open-ended
    /// window, a step with nothing to show): a golden trace has none for an
    /// editor to strip.
    fn push(&mut self, text: &str, rule: Option<&str>) {
        if text.contains(" \n") {
            for line in text.split_inclusive('\n') {
                match line.strip_suffix('\n') {
                    Some(l) => {
                        self.out.push_str(l.trim_end_matches(' '));
                        self.out.push('\n');
                    }
                    None => self.out.push_str(line),
                }
            }
        } else {
            self.out.push_str(text);
        }
        if let Some(rules) = &mut self.rules {
            for _ in text.matches('\n') {
                rules.push(rule.map(str::to_string));
            }
        }
    }
}

fn render_into(d: &Decision, out: &mut Sink) {
    let header = out.rules.as_ref().map(|_| format!("policy {}", d.policy.id));
    let header = header.as_deref();
    out.push(&format!("{} {}\n", d.policy.id, d.policy.title), header);
    let home = if d.policy.documents.is_empty() { format!("《{}》", d.policy.title) } else { d.policy.documents.join(" / ") };
    out.push(&format!("  {home}\n"), header);
    if let Some(base) = &d.policy.amends {
        out.push(&format!("  amends {base}: its rules cite their own document\n"), header);
    }
    if let Some(r) = d.reference_date {
        out.push(&format!("  reference date {r}\n"), header);
    }
    out.push("\n", header);
    for (i, b) in d.benefits.iter().enumerate() {
        let rule = Some(&*b.id);
        let mark = match b.status {
            Status::Eligible => "✓",
            Status::Ineligible => "✗",
            Status::NotApplicable => "–",
            Status::Undetermined => "?",
        };
        let amount = match (&b.amount, &b.amount_range) {
            (Some(a), _) => format!(", {} yuan", money_string(*a)),
            (None, Some(r)) => format!(", {} .. {} yuan (set by {})", money_string(r.low), money_string(r.high), r.set_by),
            _ => String::new(),
        };
        let period = b.period.as_ref().map(|p| format!(" per {p}")).unwrap_or_default();
        let payee = b
            .payee
            .map(|p| format!(" → {}", serde_json::to_value(p).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()))
            .unwrap_or_default();
        out.push(&format!("{mark} {} {}: {}{amount}{period}{payee}\n", b.id, b.label, b.status.as_str()), rule);
        if !b.missing.is_empty() {
            out.push(&format!("    missing facts: {}\n", b.missing.join(", ")), rule);
        }
        for e in &b.errors {
            out.push(&format!("    error: {e}\n"), rule);
        }
        for (what, list) in [("entitlement", &b.entitlements), ("document required", &b.documents)] {
            for e in list {
                if e.depends_on.is_empty() {
                    out.push(&format!("    {what}: {}\n", e.label), rule);
                } else {
                    out.push(&format!("    {what}, depending on {}: {}\n", e.depends_on.join(", "), e.label), rule);
                }
            }
        }
        for e in &b.deadlines {
            out.push(&format!("    deadline: {} {}\n", e.label, e.date), rule);
        }
        for o in &b.outputs {
            let label = o.label.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
            out.push(&format!("    output {}{label}: {}\n", o.id, o.value), rule);
        }
        if let Some(node) = d.trace.as_ref().and_then(|t| t.benefits.get(i)) {
            for c in &node.children {
                render_node(c, 1, &home, &b.id, out);
            }
        }
        out.push("\n", rule);
    }
}

fn render_node(n: &TraceNode, depth: usize, home: &str, benefit: &str, out: &mut Sink) {
    let indent = "  ".repeat(depth);
    let mark = match n.verdict {
        Verdict::Pass => "✓ ",
        Verdict::Fail => "✗ ",
        Verdict::Unknown => "? ",
        Verdict::Info => "· ",
    };
    let kind = serde_json::to_value(n.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    // The rule this node's lines belong to, only worked out when recorded.
    let rule = out.rules.as_ref().map(|_| match n.id.as_deref().or(n.label.as_deref()) {
        Some(name) => format!("{benefit}: {kind} {name}"),
        None => format!("{benefit}: {kind}"),
    });
    let rule = rule.as_deref();
    let labelled = matches!(n.kind, NodeKind::Entitlement | NodeKind::Document | NodeKind::Deadline);
    let what = match (&n.label, &n.source) {
        (Some(l), Some(s)) if labelled => format!("{l} [{}]", one_line(&s.text, out.full)),
        (Some(l), None) if labelled => l.to_string(),
        _ => {
            // The rule's id and label, then what it evaluated.
            let head: Vec<&str> = [n.id.as_deref(), n.label.as_deref()].into_iter().flatten().collect();
            match (head.is_empty(), &n.source) {
                (false, Some(s)) => format!("{}: {}", head.join(" "), one_line(&s.text, out.full)),
                (false, None) => head.join(" "),
                (true, Some(s)) => one_line(&s.text, out.full),
                (true, None) => String::new(),
            }
        }
    };
    let mut line = format!("{indent}{mark}{kind} {what}");
    if let Some(r) = &n.result {
        // An uplift's or exception's source is its `when` condition, but its
        // result is the amount after the step: `→`, not `=`.
        let sign = if matches!(n.kind, NodeKind::Uplift | NodeKind::Exception) { "→" } else { "=" };
        line.push_str(&format!(" {sign} {r}"));
    }
    if !n.reads.is_empty() {
        let reads: Vec<String> = n.reads.iter().map(|r| format!("{} {}", r.name, r.value)).collect();
        line.push_str(&format!("  ({})", reads.join(", ")));
    }
    if let Some(c) = &n.citation {
        if *c.document == *home {
            line.push_str(&format!("  {}", c.clause));
        } else {
            line.push_str(&format!("  {} {}", c.document, c.clause));
        }
    }
    line.push('\n');
    out.push(&line, rule);
    if let Some(note) = &n.note {
        out.push(&format!("{indent}    {note}\n"), rule);
    }
    let decisive = match n.kind {
        NodeKind::Require | NodeKind::Exclude | NodeKind::Scope => n.verdict == Verdict::Fail,
        NodeKind::Amount => true,
        NodeKind::Exception | NodeKind::Uplift | NodeKind::Cap => n.verdict == Verdict::Pass,
        _ => false,
    };
    if let (Some(c), true) = (&n.citation, decisive) {
        if let Some(q) = &c.quote {
            out.push(&format!("{indent}    “{}”\n", squeeze(q, out.full)), rule);
        }
    }
    for c in &n.children {
        render_node(c, depth + 1, home, benefit, out);
    }
}

/// A rule's source text on one line: comments dropped, each line's
/// whitespace collapsed, and lines joined as the formatter prints a form
/// flat: `{a, b}` and `[a, b]` for sets and lists, `tiers x { < 5 => 1, else
/// => 2 }` for braced forms (no trailing commas); cut at 100 characters
/// unless `full` (golden traces).
fn one_line(s: &str, full: bool) -> String {
    let mut joined = String::new();
    // For each bracket left open at a line end: whether it is padded.
    let mut open: Vec<bool> = Vec::new();
    for line in s.lines() {
        let piece = without_comment(line).split_whitespace().collect::<Vec<_>>().join(" ");
        if piece.is_empty() {
            continue;
        }
        if piece.starts_with(['}', ']', ')']) {
            if joined.ends_with(',') {
                joined.pop();
            }
            if open.pop().unwrap_or(false) {
                joined.push(' ');
            }
        } else if joined.ends_with(['{', '[', '(']) {
            if open.last().copied().unwrap_or(false) {
                joined.push(' ');
            }
        } else if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(&piece);
        if piece.ends_with(['{', '[', '(']) {
            open.push(piece.ends_with('{') && is_braced_form(&piece));
        }
    }
    if !full && joined.chars().count() > 100 {
        format!("{}…", joined.chars().take(100).collect::<String>())
    } else {
        joined
    }
}

/// Whether a line ending in `{` opens a braced form (`tiers`, `scale`,
/// `match`, `if`, `else`, a block), printed `{ a, b }`, rather than a set
/// literal, printed `{a, b}`.
fn is_braced_form(line: &str) -> bool {
    let before = line[..line.len() - 1].trim_end();
    let set_context = before.is_empty() || before.ends_with(['(', ',', '=', '[', '{']) || before.ends_with(" in") || before == "in";
    !set_context
}

/// Text (a quoted sentence) on one line, whitespace collapsed; cut at 100
/// characters unless `full`.
fn squeeze(s: &str, full: bool) -> String {
    let joined: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if !full && joined.chars().count() > 100 {
        format!("{}…", joined.chars().take(100).collect::<String>())
    } else {
        joined
    }
}

/// `line` up to a `#` comment outside string literals.
fn without_comment(line: &str) -> &str {
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}
