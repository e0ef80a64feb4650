//! Formatter: printer.

use super::*;

pub(super) struct Printer {
    pub(super) out: String,
    pub(super) slots: HashMap<Key, Slots>,
}

impl Printer {
    /// The comments of an anchor, with the floating comments inside it
    /// that no entry claimed as leading comments.
    fn take(&mut self, key: &[usize]) -> Slots {
        let mut slots = self.slots.remove(key).unwrap_or_default();
        slots.leading.extend(unclaimed(key));
        slots
    }

    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// Comments on their own lines; a blank line follows each that had one
    /// in the source, except the last when `last_blank` is false.
    fn comment_lines(&mut self, indent: usize, notes: &[Note], last_blank: bool) {
        for (k, n) in notes.iter().enumerate() {
            self.indent(indent);
            self.out.push_str(&n.text);
            self.out.push('\n');
            if n.blank_after && (last_blank || k + 1 < notes.len()) {
                self.out.push('\n');
            }
        }
    }

    fn trail(&mut self, note: Option<&Note>) {
        if let Some(n) = note {
            self.out.push_str("  ");
            self.out.push_str(&n.text);
        }
    }

    /// Writes rendered `text` at `indent`, with `first` after its first line
    /// and `last` after its last.
    fn text_lines(&mut self, indent: usize, text: &str, first: Option<&Note>, last: Option<&Note>) {
        let count = text.split('\n').count();
        for (k, line) in text.split('\n').enumerate() {
            if k == 0 {
                self.indent(indent);
            }
            self.out.push_str(line);
            if k == 0 {
                self.trail(first);
            }
            if k + 1 == count {
                self.trail(last);
            }
            self.out.push('\n');
        }
    }

    /// Leading comments, then trailing comments that found no place at a
    /// line end (they become leading comments too).
    fn leading(&mut self, indent: usize, leading: &[Note], extra: Vec<Note>) {
        let extra: Vec<Note> = extra.into_iter().map(|n| Note { blank_after: false, ..n }).collect();
        self.comment_lines(indent, leading, true);
        self.comment_lines(indent, &extra, true);
    }

    /// An anchor printed as `text` (no body).
    fn leaf(&mut self, key: &[usize], indent: usize, text: &str) {
        let slots = self.take(key);
        self.leaf_with(slots, indent, text);
    }

    fn leaf_with(&mut self, slots: Slots, indent: usize, text: &str) {
        let Slots { leading, open, close, dangling } = slots;
        let mut extra = Vec::new();
        let (first, last) = if text.contains('\n') {
            let (mut o, mut c) = (open.into_iter(), close.into_iter());
            let pair = (o.next(), c.next());
            extra.extend(o);
            extra.extend(c);
            pair
        } else {
            let mut all = open.into_iter().chain(close);
            let f = all.next();
            extra.extend(all);
            (f, None)
        };
        extra.extend(dangling);
        self.leading(indent, &leading, extra);
        self.text_lines(indent, text, first.as_ref(), last.as_ref());
    }

    /// An anchor with a braced body: `head` ends with `{`; `body` prints the
    /// entries one level deeper.
    fn block(&mut self, key: &[usize], indent: usize, head: &str, entries: usize, body: impl FnOnce(&mut Self)) {
        let slots = self.take(key);
        if entries == 0 && slots.dangling.is_empty() {
            self.leaf_with(slots, indent, &format!("{head}}}"));
            return;
        }
        let Slots { leading, open, close, dangling } = slots;
        let (mut o, mut c) = (open.into_iter(), close.into_iter());
        let (first, last) = (o.next(), c.next());
        self.leading(indent, &leading, o.chain(c).collect());
        self.text_lines(indent, head, first.as_ref(), None);
        body(self);
        self.comment_lines(indent + INDENT, &dangling, false);
        self.indent(indent);
        self.out.push('}');
        self.trail(last.as_ref());
        self.out.push('\n');
    }

    fn has_leading(&self, key: &[usize], single_line: bool) -> bool {
        has_unclaimed(key)
            || self.slots.get(key).is_some_and(|s| !s.leading.is_empty() || (single_line && s.open.len() + s.close.len() > 1))
    }

    pub(super) fn file(&mut self, f: &PolicyFile) {
        let h = &f.header;
        self.leaf(&[0], 0, &format!("policy {} {}", h.id.name, quote(&h.title.value)));
        for (j, (_, field)) in header_fields(h).iter().enumerate() {
            self.leaf(&[0, j], INDENT, field);
        }
        let mut prev: Option<(GroupKind, bool)> = None;
        for (i, item) in f.items.iter().enumerate() {
            let key = [i + 1];
            let rendered = leaf_item(item).map(|e| render_entry(&e, 0));
            let single = rendered.as_ref().is_some_and(|t| !t.contains('\n'));
            let kind = group_kind(item);
            let grouped = match (prev, kind) {
                (Some((pk, psingle)), Some(k)) => pk == k && psingle && single && !self.has_leading(&key, single),
                _ => false,
            };
            if !grouped {
                self.out.push('\n');
            }
            prev = kind.map(|k| (k, single));
            match rendered {
                Some(t) => self.leaf(&key, 0, &t),
                None => self.body_item(&key, item),
            }
        }
    }

    fn body_item(&mut self, key: &[usize], item: &Item) {
        match item {
            Item::Enum(d) => {
                let head = format!("enum {}{} {{", d.name.name, label_suffix(&d.label));
                self.block(key, 0, &head, d.variants.len(), |p| {
                    for (j, v) in d.variants.iter().enumerate() {
                        p.leaf(&keyed(key, j), INDENT, &format!("{}{},", v.name.name, label_suffix(&v.label)));
                    }
                });
            }
            Item::Record(d) => {
                let head = format!("record {}{} {{", d.name.name, label_suffix(&d.label));
                self.block(key, 0, &head, d.fields.len(), |p| {
                    for (j, f) in d.fields.iter().enumerate() {
                        let t = format!("{}: {}{},", f.name.name, ty(&f.ty), label_suffix(&f.label));
                        p.leaf(&keyed(key, j), INDENT, &t);
                    }
                });
            }
            Item::Param(d) => {
                let head = format!("param {}: {}{}{} {{", d.name.name, ty(&d.ty), label_suffix(&d.label), cite_suffix(&d.cite));
                self.block(key, 0, &head, d.versions.len(), |p| p.param_versions(key, &d.versions));
            }
            Item::Amend(AmendDecl::Param(d)) => {
                let head = format!("amend param {} {{", d.name.name);
                self.block(key, 0, &head, d.versions.len(), |p| p.param_versions(key, &d.versions));
            }
            Item::Amend(AmendDecl::Benefit(d)) => {
                let head = format!("amend benefit {}{} {{", d.id.name, label_suffix(&d.label));
                self.block(key, 0, &head, d.changes.len(), |p| {
                    for (j, c) in d.changes.iter().enumerate() {
                        let k = keyed(key, j);
                        match c {
                            Change::Add(BenefitClause::Version(v)) => {
                                p.block(&k, INDENT, &version_head(v), v.clauses.len(), |p| p.clauses(&k, 2 * INDENT, &v.clauses));
                            }
                            _ => p.leaf(&k, INDENT, &render_entry(&change_entry(c), INDENT)),
                        }
                    }
                });
            }
            Item::Table(d) => {
                let cols = |cs: &[Column]| cs.iter().map(|c| format!("{}: {}", c.name.name, ty(&c.ty))).collect::<Vec<_>>().join(", ");
                let first = format!("table {}({}) -> ({})", d.name.name, cols(&d.keys), cols(&d.values));
                let tail = format!("{}{}", label_suffix(&d.label), cite_suffix(&d.cite));
                let head = match tail.strip_prefix(' ') {
                    Some(t) => render(&cat(vec![group(cat(vec![text(first), nest(cat(vec![Doc::Line, text(t)]))])), text(" {")]), 0),
                    None => format!("{first} {{"),
                };
                let rows: Vec<String> =
                    d.rows.iter().map(|r| render(&cat(vec![commas(&r.keys), text(" => "), commas(&r.values)]), INDENT)).collect();
                self.block(key, 0, &head, rows.len(), |p| {
                    let mut it = rows.iter().enumerate().peekable();
                    while let Some((j, row)) = it.next() {
                        let continues = it.peek().is_some_and(|(_, next)| next.starts_with(['-', '(', '[']));
                        let row = if continues { format!("{row};") } else { row.clone() };
                        p.leaf(&keyed(key, j), INDENT, &row);
                    }
                });
            }
            Item::Benefit(d) => {
                let head = format!("benefit {} {} {{", d.id.name, quote(&d.label.value));
                self.block(key, 0, &head, d.clauses.len(), |p| p.clauses(key, INDENT, &d.clauses));
            }
            _ => {
                if let Some(e) = leaf_item(item) {
                    self.leaf(key, 0, &render_entry(&e, 0));
                }
            }
        }
    }

    fn param_versions(&mut self, key: &[usize], versions: &[ParamVersion]) {
        for (j, v) in versions.iter().enumerate() {
            let until = v.until.as_ref().map(|u| format!(" until {}", date(&u.value))).unwrap_or_default();
            let e = entry(cat(vec![text(format!("from {}{until} => ", date(&v.from.value))), expr(&v.value)]), &[cite_text(&v.cite)]);
            self.leaf(&keyed(key, j), INDENT, &render_entry(&e, INDENT));
        }
    }

    fn clauses(&mut self, key: &[usize], indent: usize, clauses: &[BenefitClause]) {
        for (j, c) in clauses.iter().enumerate() {
            let k = keyed(key, j);
            match c {
                BenefitClause::Version(v) => {
                    self.block(&k, indent, &version_head(v), v.clauses.len(), |p| p.clauses(&k, indent + INDENT, &v.clauses));
                }
                _ => self.leaf(&k, indent, &render_entry(&clause_entry(c), indent)),
            }
        }
    }

    /// The file's own dangling comments, then any whose anchor was not
    /// printed (a tree that does not match its source): never drop one.
    pub(super) fn finish(mut self) -> String {
        let mut rest: Vec<(Key, Slots)> = self.slots.drain().collect();
        let lost = leftovers();
        if !lost.is_empty() {
            rest.push((vec![usize::MAX], Slots { leading: lost, ..Slots::default() }));
        }
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        let notes: Vec<Note> = rest
            .into_iter()
            .flat_map(|(key, s)| {
                let Slots { leading, open, close, dangling } = s;
                let own = key.is_empty();
                leading.into_iter().chain(open).chain(close).chain(dangling).map(move |n| Note { blank_after: own && n.blank_after, ..n })
            })
            .collect();
        if !notes.is_empty() {
            self.out.push('\n');
            self.comment_lines(0, &notes, false);
        }
        self.out
    }
}
