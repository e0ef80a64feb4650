//! Undoing one change: the new version with that change alone taken back,
//! so that a witness is credited to a change only if undoing it removes the
//! difference.
//!
//! Checked expressions refer to declarations by index, so an old piece can
//! be put into the new version only when both versions declare the same
//! names in the same order (inputs, lets, parameters, externals, tables,
//! enums and their variants, records and their fields). Otherwise, and for
//! changes other than conditions, amount steps, parameter versions and
//! table rows, no undo is built and the
//! witness is credited as before (the changed expression itself must come
//! out differently).

use super::*;
use policy_core::checked::{ConditionDef, ParamVersionDef};
use std::sync::Arc;

/// One condition or amount step of one benefit's rule set, taken back.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    /// The condition `new_id` (if any) replaced by `old` (if any).
    Condition { benefit: String, version: Option<NaiveDate>, new_id: Option<String>, old: Option<ConditionDef> },
    /// The amount step `key` replaced by the old one (if any).
    Step { benefit: String, version: Option<NaiveDate>, key: String, old: Option<(usize, AmountStepDef)> },
    /// The parameter's version at `new_at` (if any) replaced by the old one (if any).
    ParamVersion { param: String, new_at: Option<usize>, old: Option<(usize, ParamVersionDef)> },
    /// The table's row at `new_at` (if any) replaced by the old one (if any).
    Row { table: String, new_at: Option<usize>, old: Option<(usize, Arc<[Value]>)> },
}

/// `new_at` removed from `items`, then `old` put at the same place (or its own).
fn swap_back<T: Clone>(items: &mut Vec<T>, new_at: Option<usize>, old: &Option<(usize, T)>) {
    if let Some(i) = new_at.filter(|i| *i < items.len()) {
        items.remove(i);
    }
    if let Some((old_at, x)) = old {
        let i = new_at.unwrap_or(*old_at).min(items.len());
        items.insert(i, x.clone());
    }
}

/// Whether the two versions declare the same names in the same order.
pub(super) fn same_declarations(o: &CheckedPolicy, n: &CheckedPolicy) -> bool {
    let names = |p: &CheckedPolicy| {
        (
            p.inputs.iter().map(|x| x.name.to_string()).collect::<Vec<_>>(),
            p.lets.iter().map(|x| x.name.to_string()).collect::<Vec<_>>(),
            p.params.iter().map(|x| x.name.to_string()).collect::<Vec<_>>(),
            p.externals.iter().map(|x| x.name.to_string()).collect::<Vec<_>>(),
            p.tables.iter().map(|x| x.name.to_string()).collect::<Vec<_>>(),
            p.enums.iter().map(|e| (e.name.clone(), e.variants.iter().map(|v| v.0.clone()).collect::<Vec<_>>())).collect::<Vec<_>>(),
            p.records.iter().map(|r| (r.name.clone(), r.fields.iter().map(|f| f.0.clone()).collect::<Vec<_>>())).collect::<Vec<_>>(),
        )
    };
    names(o) == names(n)
}

impl Undo {
    /// The benefit's rule set the undo applies to.
    fn rules<'p>(policy: &'p mut CheckedPolicy, benefit: &str, version: Option<NaiveDate>) -> Option<&'p mut RuleSet> {
        let b = policy.benefits.iter_mut().find(|b| *b.id == *benefit)?;
        match version {
            None => Some(&mut b.base),
            Some(from) => b.versions.iter_mut().find(|v| v.from == from).map(|v| &mut v.rules),
        }
    }

    /// The new version with this change taken back, compiled; `None` when
    /// it cannot be built.
    pub(super) fn plan(&self, old: &Plan, new: &Plan) -> Option<Plan> {
        if !same_declarations(old.policy(), new.policy()) {
            return None;
        }
        let mut policy = new.policy().clone();
        match self {
            Undo::Condition { benefit, version, new_id, old } => {
                let rules = Self::rules(&mut policy, benefit, *version)?;
                let at = new_id.as_ref().and_then(|id| rules.conditions.iter().position(|c| *c.id == **id));
                if let Some(i) = at {
                    rules.conditions.remove(i);
                }
                if let Some(c) = old {
                    let i = at.unwrap_or(rules.conditions.len()).min(rules.conditions.len());
                    rules.conditions.insert(i, c.clone());
                }
            }
            Undo::Step { benefit, version, key, old } => {
                let rules = Self::rules(&mut policy, benefit, *version)?;
                let at = step_keys(&rules.amount).iter().position(|(k, _)| k == key);
                if let Some(i) = at {
                    rules.amount.remove(i);
                }
                if let Some((old_at, s)) = old {
                    let i = at.unwrap_or(*old_at).min(rules.amount.len());
                    rules.amount.insert(i, s.clone());
                }
            }
            Undo::ParamVersion { param, new_at, old } => {
                let p = policy.params.iter_mut().find(|p| p.name == *param)?;
                swap_back(&mut p.versions, *new_at, old);
            }
            Undo::Row { table, new_at, old } => {
                let t = policy.tables.iter_mut().find(|t| t.name == *table)?;
                swap_back(&mut t.rows, *new_at, old);
            }
        }
        let mut plan = Plan::compile(policy, Vec::new()).ok()?;
        plan.copy_file_names(new);
        Some(plan)
    }
}
