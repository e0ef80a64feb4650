//! `policy._native`: the engine for Python. The Python package `policy`
//! wraps it (dicts in and out, pyarrow Tables through the Arrow C stream
//! interface, Spark through `mapInArrow`).

use arrow_array::{Array, StructArray};
use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow_data::ArrayData;
use arrow_pyarrow::{IntoPyArrow, PyArrowType, ToPyArrow};
use arrow_schema::Schema;
use policy_arrow::impact::{pairs_batch, pairs_schema, ImpactOptions, ImpactRun};
use policy_arrow::sample::Sampler;
use policy_arrow::{BatchDecider, BatchOptions};
use policy_core::loader::{read_source, DirLoader};
use policy_eval::{DecideOptions, EvalError, Plan, TraceLevel};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::sync::Arc;

create_exception!(_native, PolicyError, PyException, "The engine refused: a policy that does not compile, an unknown policy or benefit.");
create_exception!(_native, FactsError, PolicyError, "The facts do not fit the policy's declared inputs.");
create_exception!(
    _native,
    ColumnError,
    PolicyError,
    "A column of a table does not fit the policy (not a fact, or of a type that cannot hold it)."
);

fn eval_err(e: EvalError) -> PyErr {
    match &e {
        EvalError::Policy { name, diagnostics } => {
            let lines: Vec<String> =
                diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} [{}] {}", d.file, d.code.id, d.message)).collect();
            PolicyError::new_err(format!("policy `{name}` has errors:\n{}", lines.join("\n")))
        }
        EvalError::Facts(_) => FactsError::new_err(e.to_string()),
        _ => PolicyError::new_err(e.to_string()),
    }
}

fn arrow_err(e: policy_arrow::Error) -> PyErr {
    match e {
        policy_arrow::Error::Column { .. } => ColumnError::new_err(e.to_string()),
        policy_arrow::Error::Eval(e) => eval_err(e),
        other => PolicyError::new_err(other.to_string()),
    }
}

/// A pyarrow RecordBatch through the Arrow C data interface, zero copy,
/// except that a buffer not aligned as Arrow requires for its type (Spark's
/// Arrow batches may carry decimal128 values at 8-byte offsets) is copied to
/// an aligned one, rather than refused.
fn record_batch(batch: &Bound<'_, PyAny>) -> PyResult<RecordBatch> {
    let PyArrowType(mut data): PyArrowType<ArrayData> = batch.extract()?;
    data.align_buffers();
    if !matches!(data.data_type(), arrow_schema::DataType::Struct(_)) {
        return Err(PolicyError::new_err("expected a record batch"));
    }
    data.validate_full().map_err(|e| PolicyError::new_err(format!("an invalid Arrow batch: {e}")))?;
    let s = StructArray::from(data);
    if s.null_count() > 0 {
        return Err(PolicyError::new_err("a record batch with null rows"));
    }
    Ok(RecordBatch::from(s))
}

fn parse_date(s: Option<&str>) -> PyResult<Option<chrono::NaiveDate>> {
    s.map(|s| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| PolicyError::new_err(format!("`{s}` is not a date (YYYY-MM-DD)")))
    })
    .transpose()
}

/// The compiled policies of a folder.
#[pyclass(frozen)]
struct Engine {
    engine: policy_eval::Engine,
    dir: std::path::PathBuf,
}

#[pymethods]
impl Engine {
    #[new]
    fn new(policies_dir: &str) -> PyResult<Self> {
        if !std::path::Path::new(policies_dir).is_dir() {
            return Err(PolicyError::new_err(format!("`{policies_dir}` is not a folder of policies")));
        }
        Ok(Engine { engine: policy_eval::Engine::from_dir(policies_dir).map_err(eval_err)?, dir: policies_dir.into() })
    }

    /// The ids of the loaded policies.
    fn policies(&self) -> Vec<String> {
        self.engine.ids().map(str::to_string).collect()
    }

    /// Decides one applicant: facts as JSON text, the decision as JSON text.
    #[pyo3(signature = (policy_id, facts_json, as_of=None, benefits=None, trace=false))]
    fn decide_json(
        &self,
        policy_id: &str,
        facts_json: &str,
        as_of: Option<&str>,
        benefits: Option<Vec<String>>,
        trace: bool,
    ) -> PyResult<String> {
        let plan = self.engine.plan(policy_id).ok_or_else(|| eval_err(EvalError::UnknownPolicy(policy_id.into())))?;
        let facts = plan.facts_from_str(facts_json).map_err(eval_err)?;
        let opts = DecideOptions {
            reference_date: parse_date(as_of)?,
            benefits: benefits.unwrap_or_default(),
            trace: if trace { TraceLevel::Full } else { TraceLevel::Off },
        };
        // The trace, when asked for, is recorded as an event log and
        // written straight from it (the same JSON as the built tree's).
        let mut decider = plan.decider();
        decider.decide_logged(&facts, &opts).map_err(eval_err)?;
        let mut out = String::new();
        decider.write_json(&mut out);
        Ok(out)
    }

    /// Decides every row of an Arrow stream (a pyarrow Table or
    /// RecordBatchReader, through the Arrow C data interface: the Python
    /// side hands its schema and its record batches one by one); returns a
    /// pyarrow RecordBatchReader of decisions.
    #[pyo3(signature = (policy_id, schema, batches, as_of=None, benefits=None, keep=None, plain_status=false))]
    #[allow(clippy::too_many_arguments)]
    fn decide_stream(
        &self,
        py: Python<'_>,
        policy_id: &str,
        schema: PyArrowType<Schema>,
        batches: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        benefits: Option<Vec<String>>,
        keep: Option<Vec<String>>,
        plain_status: bool,
    ) -> PyResult<Py<PyAny>> {
        let plan = self.engine.plan(policy_id).ok_or_else(|| eval_err(EvalError::UnknownPolicy(policy_id.into())))?;
        let opts = BatchOptions {
            decide: DecideOptions { reference_date: parse_date(as_of)?, benefits: benefits.unwrap_or_default(), trace: TraceLevel::Off },
            keep: keep.unwrap_or_default(),
            plain_status,
            parallel: true,
            row_only: false,
        };
        let decider = BatchDecider::new(plan, opts).map_err(arrow_err)?;
        let input_schema = Arc::new(schema.0);
        let mut out: Vec<RecordBatch> = Vec::new();
        for batch in batches.try_iter()? {
            let batch = record_batch(&batch?)?;
            out.push(decider.decide(&batch, None).map_err(arrow_err)?);
        }
        // With no batch, the schema still says what the decisions hold.
        decider.check_schema(&input_schema).map_err(arrow_err)?;
        let schema = decider.output_schema(&input_schema);
        let iter: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(out.into_iter().map(Ok), schema));
        Ok(iter.into_pyarrow(py)?.unbind())
    }

    /// Compares two versions of a policy (each a policy id of this engine,
    /// or a path to a `.policy` file) over an Arrow stream of applicants.
    /// Returns the report as JSON text, the report as text, and a pyarrow
    /// RecordBatchReader with one row per applicant (`row`, the kept
    /// columns, a struct per benefit: before, after, change).
    #[pyo3(signature = (base, new, schema, batches, as_of=None, benefits=None, keep=None, examples=3, plain_status=false))]
    #[allow(clippy::too_many_arguments)]
    fn impact_stream(
        &self,
        py: Python<'_>,
        base: &str,
        new: &str,
        schema: PyArrowType<Schema>,
        batches: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        benefits: Option<Vec<String>>,
        keep: Option<Vec<String>>,
        examples: usize,
        plain_status: bool,
    ) -> PyResult<(String, String, Py<PyAny>)> {
        let (base, new) = (self.plan_of(base)?, self.plan_of(new)?);
        let opts = ImpactOptions {
            reference_date: parse_date(as_of)?,
            benefits: benefits.unwrap_or_default(),
            examples,
            parallel: true,
            keep: keep.unwrap_or_default(),
        };
        let mut run = ImpactRun::new(&base, &new, opts).map_err(arrow_err)?;
        let input_schema = Arc::new(schema.0);
        let names: Vec<String> = run.benefits().iter().map(|s| s.to_string()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let kept_fields: Vec<arrow_schema::Field> =
            run.kept(&RecordBatch::new_empty(input_schema.clone())).into_iter().map(|(f, _)| f).collect();
        let mut out: Vec<RecordBatch> = Vec::new();
        for batch in batches.try_iter()? {
            let batch = record_batch(&batch?)?;
            let pairs = run.add_batch(&batch).map_err(arrow_err)?;
            out.push(pairs_batch(&pairs, &names, &run.kept(&batch), plain_status).map_err(arrow_err)?);
        }
        let schema = pairs_schema(&names, &kept_fields, plain_status);
        let impact = run.finish();
        let json = serde_json::to_string(&impact).map_err(|e| PolicyError::new_err(e.to_string()))?;
        let text = impact.render_text();
        let iter: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(out.into_iter().map(Ok), schema));
        Ok((json, text, iter.into_pyarrow(py)?.unbind()))
    }

    /// `n` applicants drawn from a policy's declarations with `seed`
    /// (`policy sample`), as a pyarrow RecordBatchReader in the policy's
    /// canonical schema.
    #[pyo3(signature = (policy, n, seed=0, batch_size=65536))]
    fn sample_stream(&self, py: Python<'_>, policy: &str, n: usize, seed: u64, batch_size: usize) -> PyResult<Py<PyAny>> {
        let plan = self.plan_of(policy)?;
        let mut sampler = Sampler::new(&plan, seed);
        let mut out = Vec::new();
        let mut left = n;
        while left > 0 {
            let k = left.min(batch_size.max(1));
            out.push(sampler.batch(&plan, k).map_err(arrow_err)?);
            left -= k;
        }
        let schema = std::sync::Arc::new(policy_arrow::schema::fact_schema(plan.policy()));
        let iter: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(out.into_iter().map(Ok), schema));
        Ok(iter.into_pyarrow(py)?.unbind())
    }

    /// The canonical Arrow schema of a policy's facts (a pyarrow Schema).
    fn fact_schema(&self, py: Python<'_>, policy_id: &str) -> PyResult<Py<PyAny>> {
        let plan = self.engine.plan(policy_id).ok_or_else(|| eval_err(EvalError::UnknownPolicy(policy_id.into())))?;
        Ok(policy_arrow::schema::fact_schema(plan.policy()).to_pyarrow(py)?.unbind())
    }
}

impl Engine {
    /// A policy id of this engine, or a `.policy` file (its imports
    /// resolved in its own `policies/` tree, else beside it, then in this
    /// engine's folder).
    fn plan_of(&self, arg: &str) -> PyResult<Arc<Plan>> {
        if let Some(p) = self.engine.plan(arg) {
            return Ok(p.clone());
        }
        let path = std::path::Path::new(arg);
        if !path.is_file() {
            return Err(eval_err(EvalError::UnknownPolicy(arg.into())));
        }
        let root = path
            .ancestors()
            .find(|a| a.file_name().is_some_and(|n| n == "policies"))
            .or_else(|| path.parent().and_then(|p| p.parent()))
            .unwrap_or(std::path::Path::new("."));
        let mut roots = vec![root.to_path_buf()];
        roots.push(self.dir.clone());
        let source = read_source(path).map_err(|e| PolicyError::new_err(e.to_string()))?;
        let loader = DirLoader::new(&roots);
        Ok(Arc::new(policy_eval::compile(&source, &loader).map_err(eval_err)?))
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add("PolicyError", m.py().get_type::<PolicyError>())?;
    m.add("FactsError", m.py().get_type::<FactsError>())?;
    m.add("ColumnError", m.py().get_type::<ColumnError>())?;
    Ok(())
}
