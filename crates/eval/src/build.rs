//! Building a [`Plan`] from a checked policy: fact slots resolved, tables
//! indexed by key, the text decisions and traces share built once, the
//! policy's assertions verified (by the interpreter, over no facts), and
//! the compiled plan made. It sits above `plan`, `interp`, `facts` and
//! `compiled`, so that `plan` itself depends on none of the evaluators.

use crate::decision::PolicyRef;
use crate::error::EvalError;
use crate::interp::{Budget, Ctx, MAX_COMPILE_STEPS};
use crate::plan::{Plan, Shared};
use policy_core::checked::{CheckedPolicy, InputId, Type};
use policy_core::diag::{codes, Diagnostic};
use policy_core::value::Value;
use std::sync::Arc;

impl Plan {
    /// Compiles a checked policy; fails when a policy assertion does not hold.
    pub fn compile(policy: CheckedPolicy, warnings: Vec<Diagnostic>) -> Result<Plan, EvalError> {
        let input_slots = policy.inputs.iter().enumerate().map(|(i, d)| (d.name.clone(), i)).collect();
        let external_slots = policy.externals.iter().enumerate().map(|(i, d)| (d.name.clone(), i)).collect();
        let indexes = policy
            .tables
            .iter()
            .map(|t| t.rows.iter().enumerate().map(|(i, r)| (r.iter().take(t.key_count).cloned().collect::<Vec<_>>(), i)).collect())
            .collect();
        let table_lists = policy.tables.iter().map(|t| Value::List(t.rows.iter().map(|r| Value::Record(r.clone())).collect())).collect();
        let application_date = policy
            .inputs
            .iter()
            .position(|i| i.name == "application_date" && i.ty == Type::Date)
            .and_then(|i| u32::try_from(i).ok())
            .map(InputId);
        let let_deps = policy
            .lets
            .iter()
            .map(|l| {
                let mut deps = Vec::new();
                let mut e = l.value.clone();
                policy_core::check::walk_mut(&mut e, &mut |x| {
                    if let policy_core::checked::CKind::Let(id) = x.kind {
                        if !deps.contains(&id.index()) {
                            deps.push(id.index());
                        }
                    }
                });
                deps
            })
            .collect();
        let line_starts =
            policy.files.iter().map(|f| std::iter::once(0).chain(f.text.match_indices('\n').map(|(i, _)| i + 1)).collect()).collect();
        let file_names = policy.files.iter().map(|f| f.name.clone()).collect();
        let window = format!(
            "{} .. {}",
            policy.meta.in_force_from.map(|d| d.to_string()).unwrap_or_default(),
            policy.meta.in_force_until.map(|d| d.to_string()).unwrap_or_default()
        );
        let shared = Shared {
            policy: Arc::new(PolicyRef {
                id: policy.meta.id.clone(),
                title: policy.meta.title.clone(),
                documents: policy.meta.documents.clone(),
                version: policy.meta.version.clone(),
                amends: policy.meta.amends.clone(),
                content_hash: policy.meta.content_hash.clone(),
            }),
            engine_version: Arc::from(env!("CARGO_PKG_VERSION")),
            input_names: policy.inputs.iter().map(|i| Arc::from(i.name.as_str())).collect(),
            external_names: policy.externals.iter().map(|x| Arc::from(x.name.as_str())).collect(),
            lets: policy.lets.iter().map(|d| named(&d.name, d.label.as_deref())).collect(),
            params: policy.params.iter().map(|d| named(&d.name, d.label.as_deref())).collect(),
            fns: policy.functions.iter().map(|d| named(&d.name, d.label.as_deref())).collect(),
            tables: policy.tables.iter().map(|d| named(&d.name, d.label.as_deref())).collect(),
            as_of: Arc::from("as_of"),
            no_row_ids: policy.tables.iter().map(|t| Arc::from(format!("no_row:{}", t.name))).collect(),
            empty: Arc::from(""),
            authorities: policy
                .externals
                .iter()
                .map(|x| {
                    x.set_by
                        .as_ref()
                        .map(|(who, criteria)| (Arc::from(who.as_str()), criteria.iter().map(|c| Arc::from(c.as_str())).collect()))
                })
                .collect(),
            in_force_id: Arc::from("in_force"),
            in_force_label: Arc::from(format!("the date is outside the policy's in-force window {window}")),
            version_id: Arc::from("version"),
            output_types: {
                let mut types: Vec<(policy_core::checked::Type, Arc<str>)> = Vec::new();
                for o in policy.benefits.iter().flat_map(|b| &b.outputs) {
                    if !types.iter().any(|(t, _)| *t == o.ty) {
                        types.push((o.ty.clone(), Arc::from(policy.type_name(&o.ty))));
                    }
                }
                types
            },
        };
        let slot_index =
            crate::facts::SlotIndex::new(policy.inputs.iter().map(|i| i.name.as_str()), policy.externals.iter().map(|x| x.name.as_str()));
        let mut plan = Plan {
            slot_index,
            shared,
            policy: Arc::new(policy),
            input_slots,
            external_slots,
            indexes,
            table_lists,
            application_date,
            let_deps,
            line_starts,
            file_names,
            sources: Default::default(),
            warnings,
            date_free: Vec::new(),
            refusing: (Vec::new(), Vec::new()),
            compiled: crate::plan::Compiled(Box::new(crate::compiled::Program::default())),
        };
        let failures = plan.verify_assertions();
        if failures.is_empty() {
            plan.date_free = crate::compiled::date_free(&plan);
            plan.refusing = crate::compiled::refusing(&plan);
            plan.compiled = crate::plan::Compiled(Box::new(crate::compiled::compile(&plan)));
            Ok(plan)
        } else {
            let mut diagnostics = std::mem::take(&mut plan.warnings);
            diagnostics.extend(failures);
            Err(EvalError::Policy { name: plan.policy.meta.id.clone(), diagnostics })
        }
    }

    /// Evaluates every `assert`; each that does not hold becomes an error.
    fn verify_assertions(&self) -> Vec<Diagnostic> {
        let facts = crate::facts::Facts::empty(self);
        let mut out = Vec::new();
        // Steps spent by the assertions so far, against MAX_COMPILE_STEPS.
        let mut spent = 0u64;
        for a in &self.policy.asserts {
            let file = self.policy.files.get(a.origin.file.index()).map(|f| f.name.clone()).unwrap_or_else(|| Arc::from(""));
            let mut scratch = crate::interp::Scratch::default();
            let mut ctx = Ctx::new(self, &facts, None, None, &mut scratch);
            ctx.share_budget(MAX_COMPILE_STEPS.saturating_sub(spent), Budget::Compile);
            let result = ctx.eval(&a.expr);
            spent = spent.saturating_add(ctx.steps());
            match result {
                Ok(Value::Bool(true)) => {}
                Ok(_) => {
                    let detail = explain_comparison(self, &a.expr, &facts, &mut spent);
                    out.push(
                        Diagnostic::error(
                            codes::ASSERT_FAILED,
                            &file,
                            a.origin.span,
                            format!("assertion `{}` does not hold: {}", a.id, a.label),
                        )
                        .with_label(detail.unwrap_or_else(|| "false".into()))
                        .with_help("the policy's data disagrees with the document's stated total; check the table against the source"),
                    );
                }
                Err(stop) => out.push(Diagnostic::error(
                    codes::CONST_EVAL,
                    &file,
                    a.origin.span,
                    format!("assertion `{}` could not be evaluated: {}", a.id, stop.describe()),
                )),
            }
        }
        out
    }
}

/// For `a == b` style assertions: "left is X, right is Y".
fn explain_comparison(plan: &Plan, e: &policy_core::checked::CExpr, facts: &crate::facts::Facts, spent: &mut u64) -> Option<String> {
    use policy_core::checked::CKind;
    let CKind::Binary(op, a, b) = &e.kind else { return None };
    let mut scratch = crate::interp::Scratch::default();
    let mut ctx = Ctx::new(plan, facts, None, None, &mut scratch);
    ctx.share_budget(MAX_COMPILE_STEPS.saturating_sub(*spent), Budget::Compile);
    let sides = (ctx.eval(a), ctx.eval(b));
    *spent = spent.saturating_add(ctx.steps());
    let (Ok(x), Ok(y)) = sides else { return None };
    let p = plan.policy();
    Some(format!(
        "left side is {}, right side is {} (`{}` is false)",
        crate::trace::show_value(p, &x, &a.ty),
        crate::trace::show_value(p, &y, &b.ty),
        op.symbol()
    ))
}

/// A name and an optional label, shared.
fn named(name: &str, label: Option<&str>) -> (Arc<str>, Option<Arc<str>>) {
    (Arc::from(name), label.map(Arc::from))
}
