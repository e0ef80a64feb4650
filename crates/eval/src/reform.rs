//! Reforms of one figure: a plan in which named parameters take other values.
//!
//! A golden case may say `"parameters": {"standard": "1200"}` to decide its
//! facts under a one-figure reform without a new policy file; `policy impact`
//! style what-ifs use the same call.

use crate::plan::Plan;
use crate::EvalError;
use policy_core::checked::{CExpr, CKind, ParamVersionDef};

impl Plan {
    /// The plan with each named parameter (qualified when imported, as in a
    /// trace) taking the given value on every date, in place of its dated
    /// versions. The value is read as a fact of the parameter's type would
    /// be (`"1200"`, `"70%"`, `"2021-06-01"`, `true`). The parameter keeps
    /// its citation; its versions' citations go, since the document no
    /// longer states the figure.
    pub fn with_parameters(&self, overrides: &serde_json::Map<String, serde_json::Value>) -> Result<Plan, EvalError> {
        let mut policy = self.policy().clone();
        for (name, json) in overrides {
            let Some(i) = policy.params.iter().position(|p| p.name == *name) else {
                return Err(EvalError::UnknownParameter(name.clone()));
            };
            let Some(def) = policy.params.get_mut(i) else { continue };
            let value = self.decode(&format!("parameters.{name}"), json, &def.ty, None, 0).map_err(EvalError::Facts)?;
            let Some(first) = def.versions.first() else { continue };
            let expr = CExpr { kind: CKind::Const(value), ty: def.ty.clone(), span: first.value.span, file: first.value.file };
            def.versions = vec![ParamVersionDef { from: chrono::NaiveDate::MIN, until: None, value: expr, cite: None }];
        }
        let mut plan = Plan::compile(policy, self.warnings().to_vec())?;
        plan.copy_file_names(self);
        Ok(plan)
    }
}
