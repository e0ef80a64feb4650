//! Loading the policy an amendment amends: found through the loader,
//! checked alone once per check (shared memo), then loaded as a module
//! that lends only its clause map and document.

use super::super::Checker;
use super::Merged;
use crate::ast::{self, PolicyFile};
use crate::checked::FileId;
use crate::diag::{codes, Diagnostic};
use crate::limits;
use crate::loader::Source;

impl Checker<'_> {
    /// Loads the policy an amendment amends (checked on its own first, so
    /// that its own errors are reported against it, not the amendment) and
    /// merges the amendment's changes into it.
    pub(in crate::check) fn load_amended(
        &mut self,
        source: &Source,
        own: FileId,
        am: &PolicyFile,
        base_id: &ast::Ident,
        stack: &mut Vec<String>,
    ) -> Option<(usize, Merged)> {
        let name = source.name.clone();
        let target = base_id.name.clone();
        if stack.contains(&target) {
            let chain = format!("{} -> {}", stack.join(" -> "), target);
            self.diags.push(
                Diagnostic::error(codes::AMEND_CYCLE, &name, base_id.span, format!("`amends {target}` forms a cycle: {chain}"))
                    .with_help("an amendment amends an earlier policy; one of these must amend nothing"),
            );
            return None;
        }
        if stack.len() >= limits::MAX_IMPORT_DEPTH {
            let msg = format!("chain of amendments and imports deeper than the limit of {}", limits::MAX_IMPORT_DEPTH);
            self.diags.push(Diagnostic::error(codes::AMEND_CYCLE, &name, base_id.span, msg));
            return None;
        }
        if self.loaded.contains_key(&target) {
            let msg = format!("`{target}` is both imported with `use` and amended");
            self.diags.push(
                Diagnostic::error(codes::AMEND_MISUSE, &name, base_id.span, msg)
                    .with_help("an amendment inherits everything of the policy it amends; drop the `use`"),
            );
            return None;
        }
        let src = match self.loader.load_policy(&target) {
            Ok(src) => src,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::AMEND_BASE_FAILED,
                        &name,
                        base_id.span,
                        format!("cannot load the amended policy `{target}`: {e}"),
                    )
                    .with_help("check the id in the amended policy's `policy` header"),
                );
                return None;
            }
        };
        // Checked alone, under this chain (so that a cycle through the
        // amended policy ends here rather than recursing).
        let known = self.alone.borrow().get(&target).cloned();
        let (errors, cycle) = match known {
            Some(k) => k,
            None => {
                let mut c = Checker::new(self.loader);
                c.alone = self.alone.clone();
                let mut chain = stack.clone();
                let root = c.load_module(&src, &mut chain);
                if let Some(root) = root {
                    // The chain only guards against cycles: this policy is
                    // the root of its own check (its names unqualified).
                    if let Some(md) = c.modules.get_mut(root) {
                        md.is_root = true;
                    }
                    c.run(root);
                }
                let alone = c.finish(root);
                let cycle = alone.diagnostics.iter().find(|d| d.code == codes::AMEND_CYCLE).map(|d| d.message.clone());
                let found = (alone.diagnostics.iter().filter(|d| d.is_error()).count(), cycle);
                self.alone.borrow_mut().insert(target.clone(), found.clone());
                found
            }
        };
        if let Some(cycle) = cycle {
            self.diags.push(
                // The message found deepest names the whole chain.
                Diagnostic::error(
                    codes::AMEND_CYCLE,
                    &name,
                    base_id.span,
                    match cycle.split_once("forms a cycle: ") {
                        Some((_, chain)) => format!("`amends {target}` forms a cycle: {chain}"),
                        None => cycle,
                    },
                )
                .with_help("an amendment amends an earlier policy; one of these must amend nothing"),
            );
            return None;
        }
        if errors > 0 {
            let msg = format!("the amended policy `{target}` does not check ({errors} error{})", if errors == 1 { "" } else { "s" });
            self.diags.push(
                Diagnostic::error(codes::AMEND_BASE_FAILED, &name, base_id.span, msg)
                    .with_help(format!("run `policy check` on `{}` and fix it first", src.name)),
            );
            return None;
        }
        let base = self.load_module(&src, stack)?;
        let (base_ast, base_file, base_pieces) = self.modules.get_mut(base).map(|md| {
            md.doc_only = true;
            (md.ast.clone(), md.file, md.pieces.clone())
        })?;
        Some((base, self.merge_amendment(&name, own, &base_ast, base_file, &base_pieces, am)))
    }
}
