//! Benefits that read other benefits' amounts (`amount_of`): the names known
//! before any benefit is checked, the benefits each one reads (directly or
//! through lets), the order they are decided in, and cycles (`C115`).

use super::{walk_mut, Checker};
use crate::ast::Item;
use crate::checked::*;
use crate::diag::codes;

impl Checker<'_> {
    /// Records the root policy's benefit ids, in declaration order, each
    /// once (a duplicate is reported by `check_benefits`).
    pub(super) fn declare_benefits(&mut self, root: usize) {
        let ast = self.module_ast(root);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            if let Item::Benefit(b) = item {
                if !self.benefit_names.contains(&b.id.name) {
                    self.enter(root, &[k]);
                    self.benefit_names.push(b.id.name.clone());
                    self.benefit_spans.push(b.id.span);
                    self.benefit_files.push(self.file_of(root));
                }
            }
        }
        self.leave();
    }

    /// The benefits whose amounts `e` reads, directly or through lets
    /// (`let_reads`: what each let reads, by let id).
    fn amounts_read(e: &CExpr, let_reads: &[Vec<u32>], out: &mut Vec<u32>) {
        let mut x = e.clone();
        walk_mut(&mut x, &mut |y| {
            let found: &[u32] = match &y.kind {
                CKind::BenefitAmount(b) => std::slice::from_ref(b),
                CKind::Let(id) => let_reads.get(id.index()).map_or(&[], Vec::as_slice),
                _ => &[],
            };
            for b in found {
                if !out.contains(b) {
                    out.push(*b);
                }
            }
        });
    }

    /// What each let reads (`amount_of`, directly or through earlier lets),
    /// computed once in dependency order, so that each expression is walked
    /// once whatever the number of benefits.
    fn let_amounts_read(&self) -> Vec<Vec<u32>> {
        let mut reads: Vec<Vec<u32>> = vec![Vec::new(); self.lets.len()];
        for id in &self.let_order {
            let Some(Some(def)) = self.lets.get(id.index()) else { continue };
            let mut mine = Vec::new();
            Self::amounts_read(&def.value, &reads, &mut mine);
            if let Some(slot) = reads.get_mut(id.index()) {
                *slot = mine;
            }
        }
        reads
    }

    /// Fills each benefit's `reads`, reports cycles (`C115`), and sets the
    /// order benefits are decided in: each after those it reads, otherwise
    /// in declaration order.
    pub(super) fn order_benefits(&mut self, root: usize) {
        let let_reads = if self.reads_amounts { self.let_amounts_read() } else { Vec::new() };
        let mut all_reads = Vec::with_capacity(self.benefits.len());
        for b in &self.benefits {
            let mut reads = Vec::new();
            if !self.reads_amounts {
                all_reads.push(reads);
                continue;
            }
            let rules = std::iter::once(&b.base).chain(b.versions.iter().map(|v| &v.rules));
            let mut exprs: Vec<&CExpr> = b.dated_by.iter().collect();
            for r in rules {
                exprs.extend(r.conditions.iter().map(|c| &c.expr));
                for s in &r.amount {
                    match s {
                        AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => exprs.push(expr),
                        AmountStepDef::Uplift { rate, when, .. } => exprs.extend([rate, when]),
                        AmountStepDef::Override { when, value, .. } => exprs.extend([when, value]),
                    }
                }
                exprs.extend(r.entitlements.iter().chain(&r.documents).filter_map(|o| o.when.as_ref()));
                exprs.extend(r.deadlines.iter().map(|d| &d.expr));
            }
            exprs.extend(b.outputs.iter().map(|o| &o.expr));
            for e in exprs {
                Self::amounts_read(e, &let_reads, &mut reads);
            }
            reads.sort_unstable();
            all_reads.push(reads);
        }
        for (b, reads) in self.benefits.iter_mut().zip(&all_reads) {
            b.reads.clone_from(reads);
        }
        // Cycles: an iterative DFS (0 new, 1 on the stack, 2 done).
        let n = self.benefits.len();
        let mut state = vec![0u8; n];
        let mut reported = vec![false; n];
        for start in 0..n {
            if state.get(start) != Some(&0) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(s) = state.get_mut(start) {
                *s = 1;
            }
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let dep = all_reads.get(node).and_then(|d| d.get(*next)).map(|&d| d as usize);
                *next += 1;
                match dep {
                    Some(d) => match state.get(d) {
                        Some(0) => {
                            if let Some(s) = state.get_mut(d) {
                                *s = 1;
                            }
                            stack.push((d, 0));
                        }
                        Some(1) => {
                            let from = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                            let members: Vec<usize> = stack.get(from..).unwrap_or(&[]).iter().map(|(x, _)| *x).collect();
                            if members.iter().all(|&x| !reported.get(x).copied().unwrap_or(false)) {
                                let name = |x: usize| self.benefits.get(x).map(|b| format!("`{}`", b.id)).unwrap_or_default();
                                let chain: Vec<String> = members.iter().map(|&x| name(x)).collect();
                                let msg = if members.len() == 1 {
                                    format!("benefit {} reads its own amount", name(d))
                                } else {
                                    format!("benefits read each other's amounts in a cycle: {} -> {}", chain.join(" -> "), name(d))
                                };
                                let span = self.benefit_spans.get(d).copied().unwrap_or_default();
                                self.piece_file = self.benefit_files.get(d).map(|f| (root, *f));
                                self.error(root, codes::BENEFIT_CYCLE, span, msg).help = Some(
                                    "a benefit is decided after the benefits whose amounts it reads; one of them must not read the other"
                                        .into(),
                                );
                                self.leave();
                            }
                            for x in members {
                                if let Some(r) = reported.get_mut(x) {
                                    *r = true;
                                }
                            }
                        }
                        _ => {}
                    },
                    None => {
                        stack.pop();
                        if let Some(s) = state.get_mut(node) {
                            *s = 2;
                        }
                    }
                }
            }
        }
        // Kahn's algorithm, lowest declaration index first among the ready.
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut left = vec![0usize; n];
        for (i, reads) in all_reads.iter().enumerate() {
            for &d in reads {
                if let Some(r) = readers.get_mut(d as usize) {
                    r.push(i);
                    if let Some(l) = left.get_mut(i) {
                        *l += 1;
                    }
                }
            }
        }
        let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> =
            (0..n).filter(|&i| left.get(i) == Some(&0)).map(std::cmp::Reverse).collect();
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while let Some(std::cmp::Reverse(next)) = ready.pop() {
            if let Some(d) = done.get_mut(next) {
                *d = true;
            }
            order.push(u32::try_from(next).unwrap_or(u32::MAX));
            for &r in readers.get(next).map_or(&[][..], Vec::as_slice) {
                if let Some(l) = left.get_mut(r) {
                    *l = l.saturating_sub(1);
                    if *l == 0 {
                        ready.push(std::cmp::Reverse(r));
                    }
                }
            }
        }
        // Benefits in a cycle (already an error) keep their place at the end.
        order.extend((0..n).filter(|&i| !done.get(i).copied().unwrap_or(true)).map(|i| u32::try_from(i).unwrap_or(u32::MAX)));
        self.benefit_order = order;
    }
}
