//! Clauses and citations: the clause map, quotes verified against the
//! source document, citations resolved, ambiguous quotes reported.

use super::*;

impl Checker<'_> {
    pub(super) fn declare_clauses(&mut self, m: usize, is_root: bool) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        let normalized_source = self.modules.get(m).and_then(|md| md.source_text.clone());
        for item in items {
            let Item::Clause(c) = item else { continue };
            let dup = self.modules.get(m).is_some_and(|md| md.clauses.contains_key(&c.number.value));
            if dup {
                let msg = format!("clause `{}` is declared twice", c.number.value);
                self.error(m, codes::DUPLICATE_NAME, c.number.span, msg);
                continue;
            }
            let quote = match &c.body {
                ast::ClauseBody::Quote(q) => {
                    self.verify_quote(m, q, normalized_source.as_deref());
                    Some(q.value.clone())
                }
                ast::ClauseBody::NotComputable(_) => None,
            };
            if let Some(md) = self.modules.get_mut(m) {
                md.clauses.insert(c.number.value.clone(), quote.clone());
            }
            if is_root {
                self.clause_defs.push(ClauseDef {
                    number: c.number.value.clone(),
                    title: c.title.as_ref().map(|t| t.value.clone()),
                    quote,
                    not_computable: match &c.body {
                        ast::ClauseBody::NotComputable(r) => Some(r.value.clone()),
                        ast::ClauseBody::Quote(_) => None,
                    },
                    cited: false,
                });
            }
        }
    }

    /// Checks that `q` is in `source` (the text of the cited document); a
    /// miss is reported in module `m`, where the quote is written.
    fn verify_quote(&mut self, m: usize, q: &ast::Str, source: Option<&str>) {
        let Some(source) = source else { return };
        // memchr's SIMD substring search: the source document is long, and
        // every quote and clause is looked up in it.
        if memchr::memmem::find(source.as_bytes(), normalize_ws(&q.value).as_bytes()).is_none() {
            let msg = "quoted text is not in the source document".to_string();
            let d = self.error(m, codes::QUOTE_NOT_IN_SOURCE, q.span, msg);
            d.help = Some("copy the sentence verbatim from the source; whitespace and line breaks are ignored".into());
        }
    }

    /// Resolves a citation against the clause map of the module's own
    /// document, or of an imported policy's (`cite zj."四（四）"`). `meaning`
    /// names the rule that cites (its kind and label): a citation without a
    /// quote of its own inherits the clause's, and the checker reports a
    /// clause whose quote is inherited by rules of different meanings
    /// ([`Checker::report_ambiguous_quotes`]).
    pub fn citation(&mut self, m: usize, cite: Option<&ast::Cite>, meaning: Option<String>) -> Option<Citation> {
        let cite = cite?;
        let target = match &cite.policy {
            None => m,
            Some(alias) => match self.modules.get(m).and_then(|md| md.aliases.get(&alias.name)).copied() {
                Some(t) => t,
                None => {
                    if !self.is_poisoned(m, &alias.name) {
                        let msg = format!("`{}` is not the alias of an imported policy", alias.name);
                        let d = self.error(m, codes::UNKNOWN_NAME, alias.span, msg);
                        d.help = Some("import it with `use <policy id> as <alias>`, or cite the policy's own clause".into());
                    }
                    return None;
                }
            },
        };
        let (known, has_map, clause_quote, document, source) = match self.modules.get(target) {
            Some(md) => (
                md.clauses.contains_key(&cite.clause.value),
                !md.clauses.is_empty(),
                md.clauses.get(&cite.clause.value).cloned().flatten(),
                md.document.clone(),
                md.source_text.clone(),
            ),
            None => return None,
        };
        if (has_map || target != m) && !known {
            let help = if self.take_hint() {
                let names: Vec<String> = self.modules.get(target).map(|md| md.clauses.keys().cloned().collect()).unwrap_or_default();
                did_you_mean(&cite.clause.value, names.iter().map(String::as_str))
            } else {
                None
            }
            .unwrap_or_else(|| "declare it with `clause \"…\" quote \"…\"`".into());
            let whose = match &cite.policy {
                Some(a) => format!("the imported policy `{}`", a.name),
                None => "the policy".into(),
            };
            let msg = format!("citation of clause `{}`, which {whose} does not declare", cite.clause.value);
            let d = self.error(m, codes::UNKNOWN_CLAUSE, cite.clause.span, msg);
            d.help = Some(help);
        }
        if let Some(q) = &cite.quote {
            self.verify_quote(m, q, source.as_deref());
        } else if let (Some(meaning), true, Some(_)) = (meaning, known, &clause_quote) {
            // Unlabelled rules are told apart by where they are written.
            let key = if meaning.starts_with("an unlabelled") { format!("{meaning}@{}", cite.span.start) } else { meaning.clone() };
            let file = self.file_of(m);
            self.inherited.push(Inherited { module: m, file, target, clause: cite.clause.value.clone(), key, meaning, span: cite.span });
        }
        self.cited.insert((target, cite.clause.value.clone()));
        Some(Citation {
            document: document.into(),
            clause: cite.clause.value.as_str().into(),
            quote: cite.quote.as_ref().map(|q| q.value.as_str().into()).or(clause_quote.map(Into::into)),
        })
    }

    /// Reports every citation that inherits a clause's quote which rules of
    /// another meaning inherit too: one sentence cannot state them all, so
    /// each must quote its own (C112).
    pub(super) fn report_ambiguous_quotes(&mut self) {
        let mut by_clause: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        for (i, x) in self.inherited.iter().enumerate() {
            by_clause.entry((x.target, x.clause.clone())).or_default().push(i);
        }
        let mut groups: Vec<_> = by_clause.into_iter().collect();
        groups.sort_by_key(|(_, v)| v.first().copied());
        for ((target, clause), members) in groups {
            let meanings: std::collections::BTreeSet<&str> =
                members.iter().filter_map(|&i| self.inherited.get(i)).map(|x| x.key.as_str()).collect();
            if meanings.len() < 2 {
                continue;
            }
            let others = meanings.len() - 1;
            let sentences = self.clause_sentences(target, &clause);
            let found: Vec<(usize, FileId, Span, String)> =
                members.iter().filter_map(|&i| self.inherited.get(i)).map(|x| (x.module, x.file, x.span, x.meaning.clone())).collect();
            for (m, file, span, meaning) in found {
                let msg = format!(
                    "{meaning} inherits the quote of clause `{clause}`, which {others} other rule{} inherit{} too",
                    if others == 1 { "" } else { "s" },
                    if others == 1 { "s" } else { "" }
                );
                let mut help = "give it its own `quote \"…\"`: the sentence of the clause that states this rule".to_string();
                if !sentences.is_empty() {
                    help.push_str(&format!("; the clause's quote stands among: {}", sentences.join(" / ")));
                }
                self.piece_file = Some((m, file));
                self.warning(m, codes::AMBIGUOUS_QUOTE, span, msg).help = Some(help);
                self.leave();
            }
        }
    }

    /// The sentences around a clause's quote in its source text (at most
    /// five, each shortened): what an author chooses among.
    fn clause_sentences(&self, target: usize, clause: &str) -> Vec<String> {
        let Some(md) = self.modules.get(target) else { return Vec::new() };
        let (Some(Some(q)), Some(src)) = (md.clauses.get(clause), md.source_text.as_deref()) else { return Vec::new() };
        let q = normalize_ws(q);
        let Some(at) = src.find(&q) else { return Vec::new() };
        let is_end = |c: char| matches!(c, '。' | '；' | '！' | '？' | '\n');
        let start = src.get(..at).and_then(|b| b.rfind(is_end).map(|i| i + b[i..].chars().next().map_or(1, char::len_utf8))).unwrap_or(0);
        let mut out = Vec::new();
        for sentence in src.get(start..).unwrap_or("").split_inclusive(is_end).take(5) {
            let shown: String = sentence.chars().take(40).collect();
            let more = if sentence.chars().count() > 40 { "…" } else { "" };
            out.push(format!("“{shown}{more}”"));
        }
        out
    }
}
