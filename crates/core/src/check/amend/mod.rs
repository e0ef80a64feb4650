//! Amendments: a policy whose header says `amends <id>` states only what it
//! changes. Before checking, its changes are applied to the amended policy's
//! syntax tree, and the result is checked as one policy (so the evaluator,
//! the diff, the server and the trace see an ordinary `CheckedPolicy`).
//!
//! Every rule keeps the document it came from: the amended policy's items
//! have their citations pointed at that policy's clause map (its id is the
//! alias, which no `use` alias can spell, since ids hold dots), and the
//! amendment's own rules cite its own document.

mod load;

use super::{did_you_mean, Checker};
use crate::ast::*;
use crate::checked::FileId;
use crate::diag::{codes, Diagnostic};
use std::sync::Arc;

/// Which file a part of a merged tree came from: a whole item (or clause,
/// or parameter value), or a benefit or parameter whose parts came from
/// several (the file of the whole, then one piece per clause or value; a
/// version block is mixed in turn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// All of it from one file.
    File(FileId),
    /// Its own file, and one piece per part.
    Mixed(FileId, Vec<Piece>),
}

impl Piece {
    fn file(&self) -> FileId {
        match self {
            Piece::File(f) | Piece::Mixed(f, _) => *f,
        }
    }

    /// The piece of part `j`: a whole piece's parts are all from its file.
    fn part(&self, j: usize) -> Piece {
        match self {
            Piece::File(f) => Piece::File(*f),
            Piece::Mixed(f, parts) => parts.get(j).cloned().unwrap_or(Piece::File(*f)),
        }
    }

    /// One piece per part, for `n` parts.
    fn parts(&self, n: usize) -> Vec<Piece> {
        (0..n).map(|j| self.part(j)).collect()
    }
}

/// The file of the part at `path` (item index, then part indices), or
/// `None` when the module is not a merged amendment.
pub(crate) fn piece_file(pieces: &[Piece], path: &[usize]) -> Option<FileId> {
    let (first, rest) = path.split_first()?;
    let mut piece = pieces.get(*first)?.clone();
    for j in rest {
        piece = piece.part(*j);
    }
    Some(piece.file())
}

/// What a merge produces besides the merged items.
pub(super) struct Merged {
    /// The amended policy's items with the changes applied, then the
    /// amendment's own additions.
    pub file: PolicyFile,
    /// Citations of the amendment's repeals (`repeal … cite "…"`): checked
    /// against its clause map, though the repealed rule is gone.
    pub repeal_cites: Vec<Cite>,
    /// The inputs the amended policy declares: the amendment cannot remove
    /// them, so one it leaves unread is not reported as unused.
    pub inherited_inputs: Vec<String>,
    /// The file each merged item (and each part of a changed one) came from.
    pub pieces: Vec<Piece>,
}

/// The citation alias under which the amended policy's clauses are reached.
pub(super) fn base_alias(base_id: &str) -> Ident {
    Ident { name: base_id.to_string(), span: Span::default() }
}

/// Points every citation of `item` without an alias at `alias`.
fn rebase_item(item: &mut Item, alias: &Ident) {
    let fix = |c: &mut Option<Cite>| {
        if let Some(c) = c {
            if c.policy.is_none() {
                c.policy = Some(alias.clone());
            }
        }
    };
    match item {
        Item::Convert(d) => fix(&mut d.cite),
        Item::Param(d) => {
            fix(&mut d.cite);
            for v in &mut d.versions {
                fix(&mut v.cite);
            }
        }
        Item::External(d) => fix(&mut d.cite),
        Item::Table(d) => fix(&mut d.cite),
        Item::Let(d) => fix(&mut d.cite),
        Item::Fn(d) => fix(&mut d.cite),
        Item::Assert(d) => fix(&mut d.cite),
        Item::Benefit(b) => rebase_clauses(&mut b.clauses, alias),
        Item::Use(_)
        | Item::Unit(_)
        | Item::Enum(_)
        | Item::Record(_)
        | Item::Input(_)
        | Item::Clause(_)
        | Item::Amend(_)
        | Item::Repeal(_) => {}
    }
}

fn rebase_clauses(clauses: &mut [BenefitClause], alias: &Ident) {
    for c in clauses {
        if let BenefitClause::Version(v) = c {
            rebase_clauses(&mut v.clauses, alias);
        } else if let Some(cite) = clause_cite_mut(c) {
            if cite.policy.is_none() {
                cite.policy = Some(alias.clone());
            }
        }
    }
}

fn clause_cite_mut(c: &mut BenefitClause) -> Option<&mut Cite> {
    match c {
        BenefitClause::Cite(c) => Some(c),
        BenefitClause::Condition(c) => c.cite.as_mut(),
        BenefitClause::Amount(a) | BenefitClause::Cap(a) => a.cite.as_mut(),
        BenefitClause::Uplift(u) => u.cite.as_mut(),
        BenefitClause::Override(o) => o.cite.as_mut(),
        BenefitClause::Entitle(o) | BenefitClause::Needs(o) => o.cite.as_mut(),
        BenefitClause::Deadline { cite, .. } => cite.as_mut(),
        BenefitClause::Output(o) => o.cite.as_mut(),
        BenefitClause::Payee(_) | BenefitClause::Per(_) | BenefitClause::DatedBy { .. } | BenefitClause::Version(_) => None,
    }
}

/// The id a clause is named by in `replace` and `repeal`: a condition's,
/// uplift's or exception's explicit id, else its label; an output's id.
fn clause_id(c: &BenefitClause) -> Option<&str> {
    match c {
        BenefitClause::Output(o) => Some(o.id.name.as_str()),
        BenefitClause::Condition(c) => Some(c.id.as_ref().map_or(c.label.value.as_str(), |i| i.name.as_str())),
        BenefitClause::Uplift(u) => Some(u.id.as_ref().map_or(u.label.value.as_str(), |i| i.name.as_str())),
        BenefitClause::Override(o) => Some(o.id.as_ref().map_or(o.label.value.as_str(), |i| i.name.as_str())),
        _ => None,
    }
}

fn clause_kind(c: &BenefitClause) -> &'static str {
    match c {
        BenefitClause::Condition(c) => match c.kind {
            ConditionKind::Applies => "applies_when",
            ConditionKind::Require => "require",
            ConditionKind::Exclude => "exclude",
        },
        BenefitClause::Uplift(_) => "uplift",
        BenefitClause::Override(_) => "override",
        BenefitClause::Amount(_) => "amount",
        BenefitClause::Cap(_) => "cap",
        BenefitClause::Payee(_) => "payee",
        BenefitClause::Per(_) => "per",
        BenefitClause::Cite(_) => "cite",
        BenefitClause::DatedBy { .. } => "dated_by",
        BenefitClause::Entitle(_) => "entitle",
        BenefitClause::Needs(_) => "needs",
        BenefitClause::Deadline { .. } => "deadline",
        BenefitClause::Version(_) => "from",
        BenefitClause::Output(_) => "output",
    }
}

/// Whether two clauses say the same (kind, test or value, label, dates),
/// whatever they cite: replacing one by the other changes no decision.
fn same_rule(a: &BenefitClause, b: &BenefitClause) -> bool {
    match (a, b) {
        (BenefitClause::Condition(x), BenefitClause::Condition(y)) => x.kind == y.kind && x.expr == y.expr && x.label == y.label,
        (BenefitClause::Amount(x), BenefitClause::Amount(y)) | (BenefitClause::Cap(x), BenefitClause::Cap(y)) => {
            x.expr == y.expr && x.label == y.label
        }
        (BenefitClause::Uplift(x), BenefitClause::Uplift(y)) => {
            x.rate == y.rate && x.when == y.when && x.until == y.until && x.label == y.label
        }
        (BenefitClause::Override(x), BenefitClause::Override(y)) => x.when == y.when && x.value == y.value && x.label == y.label,
        (BenefitClause::Output(x), BenefitClause::Output(y)) => x.ty == y.ty && x.value == y.value && x.label == y.label,
        _ => false,
    }
}

/// Where a clause with `id` sits: `(None, i)` at the top level, `(Some(v), i)`
/// inside version block `v`.
fn find_by_id(clauses: &[BenefitClause], id: &str) -> Option<(Option<usize>, usize)> {
    for (i, c) in clauses.iter().enumerate() {
        if clause_id(c) == Some(id) {
            return Some((None, i));
        }
        if let BenefitClause::Version(v) = c {
            if let Some(j) = v.clauses.iter().position(|c| clause_id(c) == Some(id)) {
                return Some((Some(i), j));
            }
        }
    }
    None
}

fn all_ids(clauses: &[BenefitClause]) -> Vec<String> {
    let mut out = Vec::new();
    for c in clauses {
        if let Some(id) = clause_id(c) {
            out.push(id.to_string());
        }
        if let BenefitClause::Version(v) = c {
            out.extend(v.clauses.iter().filter_map(clause_id).map(str::to_string));
        }
    }
    out
}

/// The name an item declares (types and values share one namespace).
fn declared_name(item: &Item) -> Option<&Ident> {
    match item {
        Item::Unit(d) => Some(&d.name),
        Item::Enum(d) => Some(&d.name),
        Item::Record(d) => Some(&d.name),
        Item::Input(d) => Some(&d.name),
        Item::Param(d) => Some(&d.name),
        Item::External(d) => Some(&d.name),
        Item::Table(d) => Some(&d.name),
        Item::Let(d) => Some(&d.name),
        Item::Fn(d) => Some(&d.name),
        _ => None,
    }
}

/// Adds `new` to a parameter's versions: it takes precedence over the
/// inherited values for its period. An inherited value that runs into it is
/// ended the day before; one that runs past its explicit end resumes the day
/// after (so a temporary change leaves the old value in force afterwards).
fn add_version(versions: &mut Vec<(ParamVersion, Piece)>, new: ParamVersion, own: &Piece) {
    let (d, e) = (new.from.value, new.until.as_ref().map(|u| u.value));
    let mut sorted: Vec<(ParamVersion, Piece)> = std::mem::take(versions);
    sorted.sort_by_key(|v| v.0.from.value);
    let starts: Vec<chrono::NaiveDate> = sorted.iter().map(|v| v.0.from.value).collect();
    let mut out = Vec::new();
    for (k, (v, piece)) in sorted.into_iter().enumerate() {
        // The amendment's own values are not clipped by each other: they
        // settle as the values of any parameter (overlaps are reported).
        if piece == *own {
            out.push((v, piece));
            continue;
        }
        let f = v.from.value;
        // Its effective last day: its own `until`, else the day before the next start.
        let end = v.until.as_ref().map(|u| u.value).or_else(|| starts.get(k + 1).and_then(|n| n.pred_opt()));
        if f < d {
            let mut before = v.clone();
            if end.is_none_or(|x| x >= d) {
                before.until = d.pred_opt().map(|p| DateLit { value: p, span: new.from.span });
            }
            out.push((before, piece.clone()));
        }
        if let Some(e) = e {
            if end.is_none_or(|x| x > e) {
                if let Some(next) = e.succ_opt() {
                    let mut after = v.clone();
                    after.from = DateLit { value: f.max(next), span: after.from.span };
                    // An open value ended by the next inherited start keeps ending there.
                    if after.until.is_none() {
                        after.until = end.map(|x| DateLit { value: x, span: after.from.span });
                    }
                    out.push((after, piece));
                }
            }
        }
    }
    out.push((new, own.clone()));
    out.sort_by_key(|v| v.0.from.value);
    *versions = out;
}

/// The value expression in force on `day` among `versions`, if any.
fn value_on(versions: &[ParamVersion], day: chrono::NaiveDate) -> Option<&Expr> {
    let mut sorted: Vec<&ParamVersion> = versions.iter().collect();
    sorted.sort_by_key(|v| v.from.value);
    let mut found = None;
    for (k, v) in sorted.iter().enumerate() {
        let end = v.until.as_ref().map(|u| u.value).or_else(|| sorted.get(k + 1).and_then(|n| n.from.value.pred_opt()));
        if v.from.value <= day && end.is_none_or(|x| day <= x) {
            found = Some(&v.value);
        }
    }
    found
}

/// A benefit being changed: its clauses' pieces beside it.
struct Open<'a> {
    b: &'a mut BenefitDecl,
    /// One per clause; a version block's is mixed when its clauses change.
    parts: Vec<Piece>,
    own: Piece,
}

impl Open<'_> {
    fn remove(&mut self, at: (Option<usize>, usize)) {
        match at {
            (None, i) => {
                if i < self.b.clauses.len() {
                    self.b.clauses.remove(i);
                    self.parts.remove(i);
                }
            }
            (Some(v), i) => {
                if let (Some(BenefitClause::Version(vb)), Some(piece)) = (self.b.clauses.get_mut(v), self.parts.get_mut(v)) {
                    let mut inner = piece.parts(vb.clauses.len());
                    if i < vb.clauses.len() {
                        vb.clauses.remove(i);
                        inner.remove(i);
                    }
                    *piece = Piece::Mixed(piece.file(), inner);
                }
            }
        }
    }

    fn set(&mut self, at: (Option<usize>, usize), c: BenefitClause) {
        let own = self.own.clone();
        match at {
            (None, i) => {
                if let (Some(slot), Some(piece)) = (self.b.clauses.get_mut(i), self.parts.get_mut(i)) {
                    *slot = c;
                    *piece = own;
                }
            }
            (Some(v), i) => {
                if let (Some(BenefitClause::Version(vb)), Some(piece)) = (self.b.clauses.get_mut(v), self.parts.get_mut(v)) {
                    let mut inner = piece.parts(vb.clauses.len());
                    if let (Some(slot), Some(p)) = (vb.clauses.get_mut(i), inner.get_mut(i)) {
                        *slot = c;
                        *p = own;
                    }
                    *piece = Piece::Mixed(piece.file(), inner);
                }
            }
        }
    }

    fn get(&self, at: (Option<usize>, usize)) -> Option<&BenefitClause> {
        match at {
            (None, i) => self.b.clauses.get(i),
            (Some(v), i) => match self.b.clauses.get(v) {
                Some(BenefitClause::Version(vb)) => vb.clauses.get(i),
                _ => None,
            },
        }
    }

    fn insert(&mut self, at: usize, c: BenefitClause) {
        let at = at.min(self.b.clauses.len());
        self.b.clauses.insert(at, c);
        self.parts.insert(at, self.own.clone());
    }
}

impl Checker<'_> {
    /// An amendment diagnostic in the amendment's file.
    fn amend_error(&mut self, file: &Arc<str>, code: crate::diag::Code, span: Span, msg: String, help: Option<String>) {
        let mut d = Diagnostic::error(code, file, span, msg);
        d.help = help;
        self.diags.push(d);
    }

    fn amend_warning(&mut self, file: &Arc<str>, span: Span, msg: String, help: &str) {
        self.diags.push(Diagnostic::warning(codes::AMEND_NO_CHANGE, file, span, msg).with_help(help));
    }

    /// Rejects amendment syntax in a policy that amends nothing.
    pub(super) fn reject_stray_changes(&mut self, file: &Arc<str>, ast: &PolicyFile) {
        for item in &ast.items {
            let span = match item {
                Item::Amend(AmendDecl::Param(d)) => d.span,
                Item::Amend(AmendDecl::Benefit(d)) => d.span,
                Item::Repeal(d) => d.span,
                _ => continue,
            };
            self.amend_error(
                file,
                codes::AMEND_MISUSE,
                span,
                "`amend` and `repeal` change an amended policy, and this policy amends none".into(),
                Some(format!("say which policy it changes in the header: `amends <policy id>` after `policy {}`", ast.header.id.name)),
            );
        }
    }

    /// Applies the amendment `am` (file `file`, id `own`) to `base`, whose
    /// items came from `base_pieces` (empty: all from `base_file`). Every
    /// problem is reported in the amendment's file.
    pub(super) fn merge_amendment(
        &mut self,
        file: &Arc<str>,
        own: FileId,
        base: &PolicyFile,
        base_file: FileId,
        base_pieces: &[Piece],
        am: &PolicyFile,
    ) -> Merged {
        let base_id = base.header.id.name.clone();
        let alias = base_alias(&base_id);
        let own = Piece::File(own);
        let mut items: Vec<Item> = Vec::new();
        let mut pieces: Vec<Piece> = Vec::new();
        for (k, item) in base.items.iter().enumerate() {
            if matches!(item, Item::Clause(_)) {
                continue;
            }
            let mut item = item.clone();
            rebase_item(&mut item, &alias);
            items.push(item);
            pieces.push(base_pieces.get(k).cloned().unwrap_or(Piece::File(base_file)));
        }
        let mut added: Vec<Item> = Vec::new();
        let mut repeal_cites = Vec::new();
        for item in &am.items {
            match item {
                Item::Amend(AmendDecl::Param(ap)) => self.amend_param(file, &base_id, &mut items, &mut pieces, ap, &own),
                Item::Amend(AmendDecl::Benefit(ab)) => {
                    self.amend_benefit(file, &base_id, &mut items, &mut pieces, ab, &own, &mut repeal_cites);
                }
                Item::Repeal(r) => {
                    let at = items.iter().position(|i| matches!(i, Item::Benefit(b) if b.id.name == r.benefit.name));
                    match at {
                        Some(k) => {
                            items.remove(k);
                            pieces.remove(k);
                            repeal_cites.extend(r.cite.clone());
                        }
                        None => self.unknown_benefit(file, &base_id, &items, &r.benefit),
                    }
                }
                Item::Benefit(b) => {
                    if items.iter().any(|i| matches!(i, Item::Benefit(x) if x.id.name == b.id.name)) {
                        self.amend_error(
                            file,
                            codes::AMEND_RESTATES,
                            b.id.span,
                            format!("`{base_id}` already has a benefit `{}`", b.id.name),
                            Some(format!(
                                "change it with `amend benefit {} {{ … }}`, or repeal it and give the new one another id",
                                b.id.name
                            )),
                        );
                    } else {
                        added.push(item.clone());
                    }
                }
                Item::Clause(_) | Item::Use(_) => added.push(item.clone()),
                other => {
                    if let Some(name) = declared_name(other) {
                        if items.iter().any(|i| declared_name(i).is_some_and(|n| n.name == name.name)) {
                            let help = if matches!(other, Item::Param(_)) {
                                format!("give it new dated values with `amend param {} {{ from DATE => value }}`", name.name)
                            } else {
                                "an amendment inherits its declarations; use it as it is, or declare a new name".to_string()
                            };
                            self.amend_error(
                                file,
                                codes::AMEND_RESTATES,
                                name.span,
                                format!("`{base_id}` already declares `{}`", name.name),
                                Some(help),
                            );
                            continue;
                        }
                    }
                    added.push(other.clone());
                }
            }
        }
        let inherited_inputs = base
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Input(d) => Some(d.name.name.clone()),
                _ => None,
            })
            .collect();
        // The amendment's `use`s first, so that aliases are known before use.
        let (uses, rest): (Vec<Item>, Vec<Item>) = added.into_iter().partition(|i| matches!(i, Item::Use(_)));
        let mut all_pieces = vec![own.clone(); uses.len()];
        all_pieces.extend(pieces);
        all_pieces.extend(std::iter::repeat_n(own, rest.len()));
        let mut all = uses;
        all.extend(items);
        all.extend(rest);
        let mut header = am.header.clone();
        if header.in_force.is_none() {
            header.in_force = base.header.in_force.clone();
        }
        Merged { file: PolicyFile { header, items: all }, repeal_cites, inherited_inputs, pieces: all_pieces }
    }

    fn unknown_benefit(&mut self, file: &Arc<str>, base_id: &str, items: &[Item], id: &Ident) {
        let names: Vec<&str> = items
            .iter()
            .filter_map(|i| match i {
                Item::Benefit(b) => Some(b.id.name.as_str()),
                _ => None,
            })
            .collect();
        let help = did_you_mean(&id.name, names.iter().copied()).or_else(|| Some(format!("its benefits: {}", names.join(", "))));
        self.amend_error(file, codes::AMEND_UNKNOWN, id.span, format!("`{base_id}` has no benefit `{}`", id.name), help);
    }

    fn amend_param(&mut self, file: &Arc<str>, base_id: &str, items: &mut [Item], pieces: &mut [Piece], ap: &AmendParam, own: &Piece) {
        let at = items.iter().position(|i| matches!(i, Item::Param(p) if p.name.name == ap.name.name));
        let (Some(Item::Param(p)), Some(piece)) = (at.and_then(|k| items.get_mut(k)), at.and_then(|k| pieces.get_mut(k))) else {
            let names: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Param(p) => Some(p.name.name.clone()),
                    _ => None,
                })
                .collect();
            let help = did_you_mean(&ap.name.name, names.iter().map(String::as_str)).or_else(|| {
                Some(if names.is_empty() {
                    "it declares no parameters; declare a new one with `param`".to_string()
                } else {
                    format!("its parameters: {}", names.join(", "))
                })
            });
            self.amend_error(file, codes::AMEND_UNKNOWN, ap.name.span, format!("`{base_id}` has no parameter `{}`", ap.name.name), help);
            return;
        };
        if ap.versions.is_empty() {
            self.amend_warning(file, ap.span, format!("`amend param {}` gives no new value", ap.name.name), "add `from DATE => value`");
        }
        let parts = piece.parts(p.versions.len());
        let mut versions: Vec<(ParamVersion, Piece)> = std::mem::take(&mut p.versions).into_iter().zip(parts).collect();
        for v in &ap.versions {
            let current: Vec<ParamVersion> = versions.iter().map(|(v, _)| v.clone()).collect();
            if value_on(&current, v.from.value).is_some_and(|old| *old == v.value) {
                self.amend_warning(
                    file,
                    v.span,
                    format!("parameter `{}` already has this value on {}", ap.name.name, v.from.value),
                    "drop the line, or give the value the amendment sets",
                );
            }
            add_version(&mut versions, v.clone(), own);
        }
        let (vs, ps): (Vec<ParamVersion>, Vec<Piece>) = versions.into_iter().unzip();
        p.versions = vs;
        *piece = Piece::Mixed(piece.file(), ps);
    }

    #[allow(clippy::too_many_arguments)]
    fn amend_benefit(
        &mut self,
        file: &Arc<str>,
        base_id: &str,
        items: &mut [Item],
        pieces: &mut [Piece],
        ab: &AmendBenefit,
        own: &Piece,
        repeal_cites: &mut Vec<Cite>,
    ) {
        let at = items.iter().position(|i| matches!(i, Item::Benefit(b) if b.id.name == ab.id.name));
        let (Some(Item::Benefit(b)), Some(piece)) = (at.and_then(|k| items.get_mut(k)), at.and_then(|k| pieces.get_mut(k))) else {
            self.unknown_benefit(file, base_id, items, &ab.id);
            return;
        };
        if let Some(l) = &ab.label {
            if l.value == b.label.value {
                self.amend_warning(file, l.span, format!("benefit `{}` already has this label", ab.id.name), "drop the label");
            }
            b.label = l.clone();
        }
        if ab.changes.is_empty() && ab.label.is_none() {
            self.amend_warning(file, ab.span, format!("`amend benefit {}` states no change", ab.id.name), "state a change, or drop it");
        }
        let whole = piece.file();
        let parts = piece.parts(b.clauses.len());
        let mut open = Open { b, parts, own: own.clone() };
        for change in &ab.changes {
            match change {
                Change::Add(c) => self.add_clause(file, base_id, &mut open, c),
                Change::Replace { clause, span } => self.replace_clause(file, base_id, &mut open, clause, *span),
                Change::Repeal { id, cite, .. } => match find_by_id(&open.b.clauses, &id.name) {
                    Some(at) => {
                        open.remove(at);
                        repeal_cites.extend(cite.clone());
                    }
                    None => self.unknown_rule(file, base_id, open.b, &id.name, id.span),
                },
            }
        }
        *piece = Piece::Mixed(whole, open.parts);
    }

    fn unknown_rule(&mut self, file: &Arc<str>, base_id: &str, b: &BenefitDecl, id: &str, span: Span) {
        let ids = all_ids(&b.clauses);
        let help = did_you_mean(id, ids.iter().map(String::as_str))
            .or_else(|| Some(format!("its conditions, uplifts, exceptions and outputs: {}", ids.join(", "))));
        let msg = format!("benefit `{}` of `{base_id}` has no condition, uplift, exception or output `{id}`", b.id.name);
        self.amend_error(file, codes::AMEND_UNKNOWN, span, msg, help);
    }

    fn add_clause(&mut self, file: &Arc<str>, base_id: &str, open: &mut Open<'_>, c: &BenefitClause) {
        let bid = open.b.id.name.clone();
        match c {
            BenefitClause::Payee(_) | BenefitClause::Per(_) | BenefitClause::DatedBy { .. } | BenefitClause::Cite(_) => {
                let kind = clause_kind(c);
                self.amend_error(
                    file,
                    codes::AMEND_MISUSE,
                    c.span(),
                    format!("an amendment cannot change a benefit's `{kind}`"),
                    Some(format!("repeal the benefit (`repeal benefit {bid}`) and declare the new one under another id")),
                );
            }
            BenefitClause::Condition(_) | BenefitClause::Uplift(_) | BenefitClause::Override(_) | BenefitClause::Output(_) => {
                let id = clause_id(c).unwrap_or_default();
                if find_by_id(&open.b.clauses, id).is_some() {
                    let kind = clause_kind(c);
                    self.amend_error(
                        file,
                        codes::AMEND_RESTATES,
                        c.span(),
                        format!("benefit `{bid}` of `{base_id}` already has a rule `{id}`"),
                        Some(format!("write `replace {kind} {id}: …` to change it, or give the new rule another id")),
                    );
                    return;
                }
                let at = if matches!(c, BenefitClause::Condition(_)) {
                    // New conditions join the others, before the amount.
                    open.b.clauses.iter().rposition(|x| matches!(x, BenefitClause::Condition(_))).map_or(0, |k| k + 1)
                } else {
                    open.b.clauses.len()
                };
                open.insert(at, c.clone());
            }
            BenefitClause::Amount(_) | BenefitClause::Cap(_) => {
                let kind = clause_kind(c);
                if open.b.clauses.iter().any(|x| clause_kind(x) == kind) {
                    self.amend_error(
                        file,
                        codes::AMEND_RESTATES,
                        c.span(),
                        format!("benefit `{bid}` of `{base_id}` already has its `{kind}`"),
                        Some(format!("write `replace {kind} …` to change it")),
                    );
                    return;
                }
                let end = open.b.clauses.len();
                open.insert(end, c.clone());
            }
            BenefitClause::Entitle(_) | BenefitClause::Needs(_) | BenefitClause::Deadline { .. } | BenefitClause::Version(_) => {
                let end = open.b.clauses.len();
                open.insert(end, c.clone());
            }
        }
    }

    fn replace_clause(&mut self, file: &Arc<str>, base_id: &str, open: &mut Open<'_>, c: &BenefitClause, span: Span) {
        let bid = open.b.id.name.clone();
        let at = match c {
            BenefitClause::Amount(_) | BenefitClause::Cap(_) => {
                let kind = clause_kind(c);
                match open.b.clauses.iter().position(|x| clause_kind(x) == kind) {
                    Some(i) => (None, i),
                    None => {
                        let help = if kind == "amount" {
                            "its amounts are in dated versions: add one with `from DATE { amount … }`".to_string()
                        } else {
                            "add one with `cap …` (without `replace`)".to_string()
                        };
                        let msg = format!("benefit `{bid}` of `{base_id}` has no `{kind}` to replace");
                        self.amend_error(file, codes::AMEND_UNKNOWN, span, msg, Some(help));
                        return;
                    }
                }
            }
            BenefitClause::Condition(_) | BenefitClause::Uplift(_) | BenefitClause::Override(_) | BenefitClause::Output(_) => {
                let id = clause_id(c).unwrap_or_default().to_string();
                match find_by_id(&open.b.clauses, &id) {
                    Some(at) => at,
                    None => {
                        self.unknown_rule(file, base_id, open.b, &id, span);
                        return;
                    }
                }
            }
            _ => {
                let kind = clause_kind(c);
                let msg = format!("`replace` changes a condition, uplift, exception, output, amount or cap, not a `{kind}`");
                self.amend_error(file, codes::AMEND_MISUSE, span, msg, None);
                return;
            }
        };
        let Some(old) = open.get(at) else { return };
        let old_kind = clause_kind(old);
        let both_conditions = matches!((old, c), (BenefitClause::Condition(_), BenefitClause::Condition(_)));
        if old_kind != clause_kind(c) && !both_conditions {
            let msg = format!("`{}` is a `{old_kind}`, not a `{}`", clause_id(c).unwrap_or_default(), clause_kind(c));
            self.amend_error(file, codes::AMEND_UNKNOWN, span, msg, Some(format!("write `replace {old_kind} …`")));
            return;
        }
        if same_rule(old, c) {
            let msg = format!("the replacing {} says what the rule of `{base_id}` says", clause_kind(c));
            self.amend_warning(file, span, msg, "drop the `replace`, or state the changed rule");
        }
        open.set(at, c.clone());
    }
}
