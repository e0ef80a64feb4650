//! Formatter: comments.

use super::*;

/// A `# …` comment found in the source.
#[derive(Debug, Clone)]
pub(super) struct Comment {
    /// Byte offset of the `#`.
    pub(super) start: usize,
    /// Whether only whitespace precedes it on its line.
    pub(super) own_line: bool,
    /// The text from `#` to the end of the line, trailing whitespace removed.
    pub(super) text: String,
    /// Whether a blank line follows it.
    pub(super) blank_after: bool,
}

pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// Finds the comments of `source`: `#` to the end of the line, outside
/// string literals (which end at an unescaped `"` or at the end of the line).
pub(super) fn scan_comments(source: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut blank = true;
    let mut it = source.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '\n' => blank = true,
            '"' => {
                blank = false;
                while let Some(&(_, d)) = it.peek() {
                    if d == '\n' {
                        break;
                    }
                    it.next();
                    if d == '\\' {
                        if it.peek().is_some_and(|&(_, e)| e != '\n') {
                            it.next();
                        }
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '#' => {
                let mut end = source.len();
                while let Some(&(j, d)) = it.peek() {
                    if d == '\n' {
                        end = j;
                        break;
                    }
                    it.next();
                }
                let text = source.get(i..end).unwrap_or("").trim_end_matches(is_space).to_string();
                let next_line = source.get(end..).unwrap_or("").split('\n').nth(1);
                let blank_after = next_line.is_some_and(|l| l.chars().all(is_space));
                out.push(Comment { start: i, own_line: blank, text, blank_after });
            }
            c if is_space(c) => {}
            _ => blank = false,
        }
    }
    out
}

/// Line starts of a text, for offset → line lookups.
pub(super) struct Lines {
    pub(super) starts: Vec<usize>,
}

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }
}

/// Identifies an anchor structurally: `[]` is the file, `[0]` the header,
/// `[0, j]` its j-th field in canonical order, `[i + 1]` the i-th item and
/// `[i + 1, j, …]` entries nested in it.
pub(super) type Key = Vec<usize>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The whole file.
    Root,
    /// The header: fields, no braces.
    Header,
    /// A braced body of entries.
    Block,
    /// A single entry.
    Leaf,
}

#[derive(Debug)]
pub(super) struct Node {
    pub(super) key: Key,
    pub(super) span: Span,
    pub(super) kind: Kind,
    /// Sorted by span start.
    pub(super) children: Vec<Node>,
}

pub(super) fn node(key: Key, span: Span, kind: Kind, mut children: Vec<Node>) -> Node {
    children.sort_by_key(|c| c.span.start);
    Node { key, span, kind, children }
}

pub(super) fn keyed(key: &[usize], j: usize) -> Key {
    let mut k = key.to_vec();
    k.push(j);
    k
}

pub(super) fn leaves<'a>(key: &[usize], spans: impl Iterator<Item = &'a Span>) -> Vec<Node> {
    spans.enumerate().map(|(j, s)| node(keyed(key, j), *s, Kind::Leaf, Vec::new())).collect()
}

pub(super) fn anchor_tree(file: &PolicyFile) -> Node {
    let fields = header_fields(&file.header);
    let header = node(vec![0], file.header.span, Kind::Header, leaves(&[0], fields.iter().map(|(s, _)| s)));
    let mut children = vec![header];
    for (i, item) in file.items.iter().enumerate() {
        let key = vec![i + 1];
        let n = match item {
            Item::Enum(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.variants.iter().map(|v| &v.span))),
            Item::Record(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.fields.iter().map(|f| &f.span))),
            Item::Param(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.versions.iter().map(|v| &v.span))),
            Item::Table(d) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.rows.iter().map(|r| &r.span))),
            Item::Benefit(d) => clause_block(key, d.span, &d.clauses),
            Item::Amend(AmendDecl::Param(d)) => node(key.clone(), d.span, Kind::Block, leaves(&key, d.versions.iter().map(|v| &v.span))),
            Item::Amend(AmendDecl::Benefit(d)) => change_block(key, d.span, &d.changes),
            _ => node(key, item.span(), Kind::Leaf, Vec::new()),
        };
        children.push(n);
    }
    node(Vec::new(), Span::new(0, usize::MAX), Kind::Root, children)
}

/// Moves span ends back over trailing whitespace and comments: a rule that
/// ends in an optional part (`let … "label"? cite?`) reaches past the
/// trivia after its last token.
pub(super) struct Trimmer<'a> {
    pub(super) source: &'a str,
    /// Comment end (trailing whitespace excluded) → comment start.
    pub(super) comment_ends: HashMap<usize, usize>,
}

impl<'a> Trimmer<'a> {
    pub(super) fn new(source: &'a str, comments: &[Comment]) -> Self {
        Trimmer { source, comment_ends: comments.iter().map(|c| (c.start + c.text.len(), c.start)).collect() }
    }

    fn end(&self, span: Span) -> usize {
        trimmed_end(self.source, &self.comment_ends, span)
    }
}

/// `span`'s end moved back over trailing whitespace and comments.
fn trimmed_end(source: &str, comment_ends: &HashMap<usize, usize>, span: Span) -> usize {
    let mut end = span.end;
    loop {
        let Some(before) = source.get(span.start..end) else { return end };
        end = span.start + before.trim_end_matches(is_space).len();
        match comment_ends.get(&end) {
            Some(&start) if start >= span.start => end = start,
            _ => return end,
        }
    }
}

pub(super) fn trim_spans(n: &mut Node, t: &Trimmer<'_>) {
    if n.kind != Kind::Root {
        n.span.end = t.end(n.span);
    }
    for c in &mut n.children {
        trim_spans(c, t);
    }
}

pub(super) fn clause_block(key: Key, span: Span, clauses: &[BenefitClause]) -> Node {
    let children = clauses
        .iter()
        .enumerate()
        .map(|(j, c)| match c {
            BenefitClause::Version(v) => clause_block(keyed(&key, j), v.span, &v.clauses),
            _ => node(keyed(&key, j), c.span(), Kind::Leaf, Vec::new()),
        })
        .collect();
    node(key, span, Kind::Block, children)
}

/// An `amend benefit` block: a dated version it adds is a block of its own.
pub(super) fn change_block(key: Key, span: Span, changes: &[Change]) -> Node {
    let children = changes
        .iter()
        .enumerate()
        .map(|(j, c)| match c {
            Change::Add(BenefitClause::Version(v)) => clause_block(keyed(&key, j), v.span, &v.clauses),
            _ => node(keyed(&key, j), c.span(), Kind::Leaf, Vec::new()),
        })
        .collect();
    node(key, span, Kind::Block, children)
}

/// A comment as attached: its text, and whether a blank line follows it
/// (kept for comments on their own lines, except the last of a block).
#[derive(Debug, Clone)]
pub(super) struct Note {
    pub(super) text: String,
    pub(super) blank_after: bool,
}

/// The comments attached to one anchor.
#[derive(Debug, Default, Clone)]
pub(super) struct Slots {
    /// On their own lines before the anchor.
    pub(super) leading: Vec<Note>,
    /// After the anchor's first line.
    pub(super) open: Vec<Note>,
    /// After the anchor's last line.
    pub(super) close: Vec<Note>,
    /// At the end of a block's body (or of the file).
    pub(super) dangling: Vec<Note>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    Leading,
    Open,
    Close,
    Dangling,
}

/// Attaches each comment to an anchor; comments after code on a line inside
/// a multi-line rule where no anchor starts or ends are returned apart, to
/// be claimed by the entry of a breakable form they annotate.
pub(super) fn attach(root: &Node, comments: &[Comment], source: &str) -> (HashMap<Key, Slots>, Vec<Floating>) {
    let lines = Lines::new(source);
    let mut flat: Vec<&Node> = Vec::new();
    fn walk<'a>(n: &'a Node, flat: &mut Vec<&'a Node>) {
        for c in &n.children {
            flat.push(c);
            walk(c, flat);
        }
    }
    walk(root, &mut flat);
    let mut starts_on: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut ends_on: HashMap<usize, Vec<usize>> = HashMap::new();
    for (idx, n) in flat.iter().enumerate() {
        starts_on.entry(lines.line(n.span.start)).or_default().push(idx);
        if n.span.end > n.span.start {
            ends_on.entry(lines.line(n.span.end - 1)).or_default().push(idx);
        }
    }
    let mut slots: HashMap<Key, Slots> = HashMap::new();
    let mut floating = Vec::new();
    for c in comments {
        // The innermost anchor containing the comment.
        let mut inner = root;
        loop {
            let at = inner.children.partition_point(|ch| ch.span.start <= c.start);
            match at.checked_sub(1).and_then(|k| inner.children.get(k)) {
                Some(ch) if c.start < ch.span.end => inner = ch,
                _ => break,
            }
        }
        let (key, slot) = if c.own_line {
            if inner.kind == Kind::Leaf {
                (&inner.key, Slot::Leading)
            } else {
                let next = inner.children.partition_point(|ch| ch.span.start < c.start);
                match inner.children.get(next) {
                    Some(ch) => (&ch.key, Slot::Leading),
                    None if inner.kind == Kind::Header => (&inner.key, Slot::Leading),
                    None => (&inner.key, Slot::Dangling),
                }
            }
        } else {
            let line = lines.line(c.start);
            let pick = |ids: Option<&Vec<usize>>, ok: &dyn Fn(&Node) -> bool| -> Option<usize> {
                ids?.iter()
                    .copied()
                    .filter(|&k| flat.get(k).is_some_and(|n| ok(n)))
                    .max_by_key(|&k| (flat.get(k).map_or(0, |n| n.span.start), k))
            };
            let starting = pick(starts_on.get(&line), &|n: &Node| n.span.start <= c.start);
            let ending = || pick(ends_on.get(&line), &|n: &Node| n.span.end <= c.start);
            match (starting.and_then(|k| flat.get(k)), ending().and_then(|k| flat.get(k))) {
                (Some(n), _) => (&n.key, Slot::Open),
                (None, Some(n)) => (&n.key, Slot::Close),
                (None, None) if inner.kind == Kind::Root => (&inner.key, Slot::Dangling),
                (None, None) => {
                    // Inside a multi-line rule: beside a tier, band, arm or
                    // element if one ends on this line (see [`claim`]),
                    // else before the rule.
                    floating.push(Floating {
                        line,
                        start: c.start,
                        note: Note { text: c.text.clone(), blank_after: false },
                        fallback: inner.key.clone(),
                    });
                    continue;
                }
            }
        };
        let s = slots.entry(key.clone()).or_default();
        let text = Note { text: c.text.clone(), blank_after: c.blank_after };
        match slot {
            Slot::Leading => s.leading.push(text),
            Slot::Open => s.open.push(text),
            Slot::Close => s.close.push(text),
            Slot::Dangling => s.dangling.push(text),
        }
    }
    (slots, floating)
}

/// A comment after code inside a multi-line rule, waiting for the entry of a
/// breakable form (tier, band, match arm, `if` branch, set or list element)
/// that ends on its line.
#[derive(Debug, Clone)]
pub(super) struct Floating {
    /// Its line.
    pub(super) line: usize,
    /// Byte offset of its `#`.
    pub(super) start: usize,
    pub(super) note: Note,
    /// The anchor it goes before when no entry claims it.
    pub(super) fallback: Key,
}

/// The floating comments of the file being formatted, with what [`claim`]
/// needs to place them. Set for the duration of one [`format`] call: the
/// expression printer builds documents from the tree alone and reaches the
/// comments through it.
pub(super) struct Floats {
    lines: Lines,
    source: String,
    comment_ends: HashMap<usize, usize>,
    waiting: Vec<Option<Floating>>,
}

thread_local! {
    static FLOATS: std::cell::RefCell<Option<Floats>> = const { std::cell::RefCell::new(None) };
}

/// Installs the floating comments for one formatting run; they are removed
/// when the guard drops (also on unwind).
pub(super) fn install(source: &str, comments: &[Comment], floating: Vec<Floating>) -> FloatsGuard {
    let floats = Floats {
        lines: Lines::new(source),
        source: source.to_string(),
        comment_ends: comments.iter().map(|c| (c.start + c.text.len(), c.start)).collect(),
        waiting: floating.into_iter().map(Some).collect(),
    };
    FLOATS.with(|f| *f.borrow_mut() = Some(floats));
    FloatsGuard
}

pub(super) struct FloatsGuard;

impl Drop for FloatsGuard {
    fn drop(&mut self) {
        FLOATS.with(|f| *f.borrow_mut() = None);
    }
}

/// The comments beside an entry spanning `span`: those waiting on the line
/// where it ends, after its end, unless `next` (the following sibling entry)
/// also ends on that line before them. Each is claimed once.
pub(super) fn claim(span: Span, next: Option<Span>) -> Vec<String> {
    FLOATS.with(|f| {
        let mut f = f.borrow_mut();
        let Some(fl) = f.as_mut() else { return Vec::new() };
        if fl.waiting.iter().all(Option::is_none) || span.end <= span.start {
            return Vec::new();
        }
        let end = trimmed_end(&fl.source, &fl.comment_ends, span);
        if end <= span.start {
            return Vec::new();
        }
        let line = fl.lines.line(end - 1);
        let next_end = next.map(|n| trimmed_end(&fl.source, &fl.comment_ends, n)).filter(|&e| e > 0 && fl.lines.line(e - 1) == line);
        let mut out = Vec::new();
        for slot in fl.waiting.iter_mut() {
            let take = slot.as_ref().is_some_and(|w| w.line == line && w.start >= end && next_end.is_none_or(|ne| ne > w.start));
            if take {
                if let Some(w) = slot.take() {
                    out.push(w.note.text);
                }
            }
        }
        out
    })
}

/// The floating comments no entry claimed whose fallback anchor is `key`.
pub(super) fn unclaimed(key: &[usize]) -> Vec<Note> {
    FLOATS.with(|f| {
        let mut f = f.borrow_mut();
        let Some(fl) = f.as_mut() else { return Vec::new() };
        fl.waiting.iter_mut().filter(|w| w.as_ref().is_some_and(|w| w.fallback == key)).filter_map(Option::take).map(|w| w.note).collect()
    })
}

/// Every floating comment still unclaimed (their anchor was not printed).
pub(super) fn leftovers() -> Vec<Note> {
    FLOATS.with(|f| {
        let mut f = f.borrow_mut();
        let Some(fl) = f.as_mut() else { return Vec::new() };
        fl.waiting.iter_mut().filter_map(Option::take).map(|w| w.note).collect()
    })
}

/// Whether a floating comment waits with `key` as its fallback anchor.
pub(super) fn has_unclaimed(key: &[usize]) -> bool {
    FLOATS.with(|f| f.borrow().as_ref().is_some_and(|fl| fl.waiting.iter().flatten().any(|w| w.fallback == key)))
}
