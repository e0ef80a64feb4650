//! Deciding a record batch: the columns are checked against the policy's
//! declarations once per batch, the column kernels (`kernel`) decide the
//! rows they decide exactly, every other row becomes facts and is decided
//! by the row interpreter, and the decisions become columns again.

use crate::encode::scaled;
use crate::kernel::{KernelBatch, Kernels};
use crate::read::row_facts;
use crate::schema::{check_type, facts_of, DECIMAL_PRECISION, DECIMAL_SCALE};
use crate::summary::Summary;
use crate::Error;
use arrow_array::builder::StringBuilder;
use arrow_array::types::Int8Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Int64Array, Int8Array, ListArray, RecordBatch,
    StringArray, StructArray,
};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use policy_core::checked::Type;
use policy_eval::{DecideOptions, Facts, OutputScalar, Plan};
use std::sync::Arc;

pub use crate::summary::{RowResult, STATUSES};

/// How a batch is decided.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// The engine's options (reference date, benefits; the trace is not
    /// written to columns).
    pub decide: DecideOptions,
    /// Input columns that are not facts but are copied to the output as
    /// they are (an applicant id, say). Any other column that is not a fact
    /// is an error.
    pub keep: Vec<String>,
    /// Status as `Utf8` instead of a dictionary (for consumers without
    /// dictionary support, such as Spark's Arrow bridge).
    pub plain_status: bool,
    /// Decide the rows of a batch on rayon's threads.
    pub parallel: bool,
    /// Decide every row with the row interpreter, the column kernels off
    /// (for the differential tests and comparisons).
    pub row_only: bool,
}

/// Decides record batches against one plan.
#[derive(Debug)]
pub struct BatchDecider<'p> {
    plan: &'p Plan,
    opts: BatchOptions,
    benefits: Vec<Arc<str>>,
    /// Per benefit (in the order of `benefits`), the outputs it declares.
    outputs: Vec<Vec<(Arc<str>, Type)>>,
    /// The column kernels, or why the row interpreter decides every row.
    kernels: Result<Kernels, String>,
}

/// Where a row's decision comes from.
#[derive(Debug, Clone, Copy)]
enum Src<'a> {
    Row(&'a RowResult),
    Kernel(usize),
}

impl<'p> BatchDecider<'p> {
    /// A decider; `Err` when `opts` names a benefit the policy lacks.
    pub fn new(plan: &'p Plan, opts: BatchOptions) -> Result<Self, Error> {
        let all = &plan.policy().benefits;
        for b in &opts.decide.benefits {
            if !all.iter().any(|d| *d.id == **b) {
                return Err(Error::Eval(policy_eval::EvalError::UnknownBenefit(b.clone())));
            }
        }
        let chosen: Vec<_> =
            all.iter().filter(|d| opts.decide.benefits.is_empty() || opts.decide.benefits.iter().any(|b| **b == *d.id)).collect();
        let benefits: Vec<Arc<str>> = chosen.iter().map(|d| d.id.clone()).collect();
        let outputs = chosen.iter().map(|d| d.outputs.iter().map(|o| (o.id.clone(), o.ty.clone())).collect()).collect();
        let kernels = if opts.row_only {
            Err("the kernels are off (`row_only`)".to_string())
        } else {
            Kernels::new(plan, &benefits, &opts.decide, &opts.keep)
        };
        Ok(BatchDecider { plan, opts, benefits, outputs, kernels })
    }

    /// The column kernels, or why every row goes to the row interpreter.
    pub fn kernels(&self) -> Result<&Kernels, &str> {
        self.kernels.as_ref().map_err(String::as_str)
    }

    /// The plan.
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// The benefits decided, in declaration order.
    pub fn benefits(&self) -> &[Arc<str>] {
        &self.benefits
    }

    /// Checks `schema` against the policy: every column is a fact of a type
    /// it can be read as, or a kept column. The error names the column.
    pub fn check_schema(&self, schema: &Schema) -> Result<(), Error> {
        let p = self.plan.policy();
        for f in schema.fields() {
            if self.opts.keep.iter().any(|k| k == f.name()) {
                continue;
            }
            match facts_of(p).find(|(n, _)| *n == f.name()) {
                None => {
                    let hint = policy_core::check::did_you_mean(f.name(), facts_of(p).map(|(n, _)| n))
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default();
                    return Err(Error::Column {
                        column: f.name().clone(),
                        message: format!("not an input or external of policy `{}`{hint}", p.meta.id),
                    });
                }
                Some((_, ty)) => check_type(p, f.data_type(), ty)
                    .map_err(|(path, want)| Error::Column { column: format!("{}{path}", f.name()), message: format!("expected {want}") })?,
            }
        }
        Ok(())
    }

    /// The schema of the decisions of a batch whose kept columns are those
    /// of `input`: the kept columns, `error` (why a row was not decided),
    /// then one struct column per benefit: status, amount (exact
    /// Decimal128), failed condition ids, missing facts, and, for a benefit
    /// that declares outputs, `outputs`: a struct with one column per output
    /// (`bool` as Boolean, `int` as Int64, `date` as Date32, every other type
    /// as its exact text, as in the decision's JSON; null where the benefit
    /// reports no value).
    pub fn output_schema(&self, input: &Schema) -> SchemaRef {
        let mut fields: Vec<Field> =
            self.opts.keep.iter().filter_map(|k| input.field_with_name(k).ok()).map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new("error", DataType::Utf8, true));
        for (bi, b) in self.benefits.iter().enumerate() {
            fields.push(Field::new(b.as_ref(), DataType::Struct(self.benefit_fields(bi)), false));
        }
        Arc::new(Schema::new(fields))
    }

    fn benefit_fields(&self, bi: usize) -> Fields {
        let status =
            if self.opts.plain_status { DataType::Utf8 } else { DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)) };
        let list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
        let mut fields = vec![
            Field::new("status", status, true),
            Field::new("amount", DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE), true),
            Field::new("failed", list.clone(), true),
            Field::new("missing", list, true),
        ];
        if let Some(outs) = self.outputs.get(bi).filter(|o| !o.is_empty()) {
            fields.push(Field::new("outputs", DataType::Struct(output_fields(outs)), true));
        }
        Fields::from(fields)
    }

    /// The facts of every row of `batch` (after [`Self::check_schema`]).
    pub fn facts(&self, batch: &RecordBatch) -> Result<Vec<Result<Facts, String>>, Error> {
        self.check_schema(batch.schema().as_ref())?;
        let p = self.plan.policy();
        let mut columns: Vec<(&str, &Type, &dyn Array)> = Vec::new();
        for (name, ty) in facts_of(p) {
            if let Some(c) = batch.column_by_name(name) {
                columns.push((name, ty, c.as_ref()));
            }
        }
        Ok((0..batch.num_rows()).map(|row| row_facts(self.plan, &columns, row)).collect())
    }

    /// Decides facts, one result per row in order.
    pub fn decide_facts(&self, facts: Vec<Result<Facts, String>>) -> Vec<RowResult> {
        let opts = &self.opts.decide;
        if self.opts.parallel {
            let ok: Vec<Facts> = facts.iter().filter_map(|f| f.as_ref().ok().cloned()).collect();
            let mut decided = self.plan.decide_batch(&ok, opts).into_iter();
            facts
                .into_iter()
                .map(|f| match f {
                    Ok(_) => match decided.next() {
                        Some(d) => d.map_err(|e| e.to_string()),
                        None => Err("internal: a decision is missing".into()),
                    },
                    Err(e) => Err(e),
                })
                .collect()
        } else {
            let mut decider = self.plan.decider();
            facts
                .into_iter()
                .map(|f| {
                    let f = f?;
                    decider.decide(&f, opts).map_err(|e| e.to_string())?;
                    Ok(decider.take())
                })
                .collect()
        }
    }

    /// Decides every row of `batch`; the decisions as a record batch in
    /// [`Self::output_schema`], and the summary updated when given.
    pub fn decide(&self, batch: &RecordBatch, summary: Option<&mut Summary>) -> Result<RecordBatch, Error> {
        Ok(self.decide_counted(batch, summary)?.0)
    }

    /// As [`Self::decide`], with the number of rows the column kernels
    /// decided (the others went to the row interpreter).
    pub fn decide_counted(&self, batch: &RecordBatch, summary: Option<&mut Summary>) -> Result<(RecordBatch, usize), Error> {
        self.check_schema(batch.schema().as_ref())?;
        let fast = self.kernels.as_ref().ok().map(|k| k.run(self.plan, batch));
        let decided = |row: usize| fast.as_ref().is_some_and(|k| k.decided.get(row).copied().unwrap_or(false));
        let p = self.plan.policy();
        let mut columns: Vec<(&str, &Type, &dyn Array)> = Vec::new();
        for (name, ty) in facts_of(p) {
            if let Some(c) = batch.column_by_name(name) {
                columns.push((name, ty, c.as_ref()));
            }
        }
        let facts = (0..batch.num_rows()).filter(|r| !decided(*r)).map(|row| row_facts(self.plan, &columns, row)).collect();
        let rows = self.decide_facts(facts);
        let mut slow = rows.iter();
        let mut srcs = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            if decided(row) {
                srcs.push(Src::Kernel(row));
            } else {
                srcs.push(Src::Row(slow.next().ok_or_else(|| Error::Other("internal: a decision is missing".into()))?));
            }
        }
        if let Some(s) = summary {
            match &fast {
                Some(k) => self.summarize(s, k, &srcs),
                None => srcs.iter().for_each(|src| {
                    if let Src::Row(r) = src {
                        s.add(r);
                    }
                }),
            }
        }
        let count = fast.as_ref().map_or(0, |k| k.count);
        Ok((self.build(batch.schema().as_ref(), self.kept(batch), &srcs, fast.as_ref())?, count))
    }

    /// The kept columns of `batch`, in the order of the options.
    pub fn kept(&self, batch: &RecordBatch) -> Vec<ArrayRef> {
        self.opts.keep.iter().filter_map(|k| batch.column_by_name(k).cloned()).collect()
    }

    /// Decisions as a record batch in [`Self::output_schema`]`(input)`, with
    /// `kept` the kept columns in order.
    pub fn to_batch(&self, input: &Schema, kept: Vec<ArrayRef>, rows: &[RowResult]) -> Result<RecordBatch, Error> {
        let srcs: Vec<Src<'_>> = rows.iter().map(Src::Row).collect();
        self.build(input, kept, &srcs, None)
    }

    fn build(&self, input: &Schema, kept: Vec<ArrayRef>, rows: &[Src<'_>], fast: Option<&KernelBatch>) -> Result<RecordBatch, Error> {
        let schema = self.output_schema(input);
        let mut errors: Vec<Option<String>> = rows
            .iter()
            .map(|r| match r {
                Src::Row(r) => r.as_ref().err().cloned(),
                Src::Kernel(_) => None,
            })
            .collect();
        let mut columns = kept;
        let mut benefit_columns = Vec::with_capacity(self.benefits.len());
        for (bi, b) in self.benefits.iter().enumerate() {
            let mut status: Vec<Option<i8>> = Vec::with_capacity(rows.len());
            let mut amount: Vec<Option<i128>> = Vec::with_capacity(rows.len());
            if let (Some(fast), true) = (fast, outs_empty(self.outputs.get(bi)) && rows.iter().all(|r| matches!(r, Src::Kernel(_)))) {
                benefit_columns.push(self.kernel_columns(bi, fast, rows.len())?);
                continue;
            }
            let mut failed = Lists::new(rows.len());
            let mut missing = Lists::new(rows.len());
            let outs = self.outputs.get(bi).map_or(&[][..], Vec::as_slice);
            let mut out_values: Vec<Vec<Option<&OutputScalar>>> = vec![Vec::with_capacity(rows.len()); outs.len()];
            for (row, r) in rows.iter().enumerate() {
                let r = match r {
                    Src::Row(r) => r,
                    Src::Kernel(k) => {
                        let Some(fast) = fast else { return Err(Error::Other("internal: no kernel decisions".into())) };
                        let run = fast.benefits.get(bi).ok_or_else(|| Error::Other("internal: no kernel benefit".into()))?;
                        status.push(run.status.get(*k).and_then(|s| i8::try_from(*s).ok()));
                        amount.push(match run.amount.get(*k).copied().flatten() {
                            None => None,
                            Some((m, s)) => Some(rescale(m, s)?),
                        });
                        for id in fast.failed(bi, *k) {
                            failed.values.append_value(&id);
                        }
                        failed.append(true);
                        missing.append(true);
                        for col in &mut out_values {
                            col.push(None);
                        }
                        continue;
                    }
                };
                let d = r
                    .as_ref()
                    .ok()
                    .and_then(|d| d.benefits.get(bi).filter(|x| x.id == *b).or_else(|| d.benefits.iter().find(|x| x.id == *b)));
                match d {
                    None => {
                        status.push(None);
                        amount.push(None);
                        failed.append_null();
                        missing.append_null();
                        for col in &mut out_values {
                            col.push(None);
                        }
                    }
                    Some(d) => {
                        status.push(STATUSES.iter().position(|s| *s == d.status).and_then(|i| i8::try_from(i).ok()));
                        amount.push(match d.amount.map(scaled).transpose() {
                            Ok(a) => a,
                            Err(e) => {
                                if let Some(slot) = errors.get_mut(row) {
                                    slot.get_or_insert_with(|| format!("benefit `{b}`: amount {e}"));
                                }
                                None
                            }
                        });
                        for f in &d.failed {
                            failed.values.append_value(&f.id);
                        }
                        failed.append(true);
                        for m in &d.missing {
                            missing.values.append_value(m);
                        }
                        missing.append(true);
                        for ((id, _), col) in outs.iter().zip(&mut out_values) {
                            col.push(d.outputs.iter().find(|o| o.id == *id).map(|o| &o.value));
                        }
                    }
                }
            }
            let status: ArrayRef = if self.opts.plain_status {
                Arc::new(
                    status
                        .iter()
                        .map(|k| k.and_then(|k| STATUSES.get(usize::try_from(k).ok()?)).map(|s| s.as_str()))
                        .collect::<StringArray>(),
                )
            } else {
                let values: ArrayRef = Arc::new(STATUSES.iter().map(|s| Some(s.as_str())).collect::<StringArray>());
                Arc::new(DictionaryArray::<Int8Type>::try_new(Int8Array::from(status), values)?)
            };
            let amount: ArrayRef = Arc::new(Decimal128Array::from(amount).with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)?);
            let mut children: Vec<ArrayRef> = vec![status, amount, failed.finish()?, missing.finish()?];
            if !outs.is_empty() {
                let mut out_columns = Vec::with_capacity(outs.len());
                for ((id, ty), col) in outs.iter().zip(&out_values) {
                    out_columns.push(output_column(b, id, ty, col, &mut errors)?);
                }
                children.push(Arc::new(StructArray::try_new(output_fields(outs), out_columns, None)?));
            }
            benefit_columns.push(Arc::new(StructArray::try_new(self.benefit_fields(bi), children, None)?) as ArrayRef);
        }
        columns.push(if errors.iter().all(Option::is_none) {
            Arc::new(StringArray::new_null(errors.len()))
        } else {
            Arc::new(errors.iter().map(|e| e.as_deref()).collect::<StringArray>())
        });
        columns.extend(benefit_columns);
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

fn outs_empty(o: Option<&Vec<(Arc<str>, Type)>>) -> bool {
    o.is_none_or(Vec::is_empty)
}

impl BatchDecider<'_> {
    /// Adds a batch's rows to the summary as the row path would, row after
    /// row: counts per status, and per benefit the total of the amounts.
    /// Rounding makes a total depend on the order of its additions, so the
    /// amounts are added in row order (the kernels' rows among the row
    /// path's), except when the batch's whole sum with the running total,
    /// computed exactly on integers, needs no rounding and is not zero: the
    /// amounts are never negative, so then every partial sum is exact too,
    /// in any order, and the one addition gives what adding them one by one
    /// gives, scale included. That scale is rust_decimal's: the largest of
    /// the non-zero terms' (a zero added to a number leaves it as it is, and
    /// a number added to a zero total replaces it).
    fn summarize(&self, s: &mut Summary, k: &KernelBatch, srcs: &[Src<'_>]) {
        // Rows and counts.
        for src in srcs {
            match src {
                Src::Row(Err(_)) => {
                    s.rows += 1;
                    s.errors += 1;
                }
                Src::Row(Ok(d)) => {
                    s.rows += 1;
                    for b in &d.benefits {
                        s.add_count(&b.id, b.status, 1);
                    }
                }
                Src::Kernel(_) => s.add_row(),
            }
        }
        for (bi, b) in self.benefits.iter().enumerate() {
            let Some(run) = k.benefits.get(bi) else { continue };
            let mut counts = [0u64; 4];
            for (row, decided) in k.decided.iter().enumerate() {
                if *decided {
                    if let Some(c) = run.status.get(row).and_then(|x| counts.get_mut(usize::from(*x))) {
                        *c += 1;
                    }
                }
            }
            for (i, c) in counts.iter().enumerate() {
                if let Some(st) = STATUSES.get(i).filter(|_| *c > 0) {
                    s.add_count(b, *st, *c);
                }
            }
        }
        // Totals.
        let parts = |d: rust_decimal::Decimal| (d.mantissa(), u8::try_from(d.scale()).unwrap_or(u8::MAX));
        for (bi, b) in self.benefits.iter().enumerate() {
            let Some(run) = k.benefits.get(bi) else { continue };
            let amount_of = |src: &Src<'_>| -> Option<Option<(i128, u8)>> {
                match src {
                    Src::Kernel(row) => run.amount.get(*row).copied().flatten().map(Some),
                    Src::Row(Ok(d)) => d.benefits.iter().find(|x| *x.id == **b).and_then(|x| x.amount).map(|a| Some(parts(a))),
                    Src::Row(Err(_)) => None,
                }
            };
            let Some(total) = s.benefits.iter().find(|x| x.id == **b).and_then(|x| x.total) else { continue };
            let mut any = false;
            // `None`: not exact (added one by one below); `Some(None)`: zero
            // so far; `Some(Some(x))`: the exact non-zero sum so far.
            let start = parts(total);
            let mut sum: Option<Option<(i128, u8)>> = Some((start.0 != 0).then_some(start));
            for src in srcs {
                if let Some(a) = amount_of(src) {
                    any = true;
                    sum = match (sum, a) {
                        (None, _) | (_, None) => None,
                        // A zero term leaves the total as it is.
                        (Some(t), Some((0, _))) => Some(t),
                        // The first non-zero term replaces a zero total.
                        (Some(None), Some(m)) => Some(Some(m)),
                        (Some(Some((t, ts))), Some((m, ms))) => {
                            let scale = ts.max(ms);
                            let up = |x: i128, from: u8| x.checked_mul(crate::kernel::kernels::pow10(u32::from(scale - from))?);
                            up(t, ts).zip(up(m, ms)).and_then(|(x, y)| x.checked_add(y)).map(|r| Some((r, scale)))
                        }
                    };
                }
            }
            if !any {
                continue;
            }
            match sum.flatten().and_then(crate::kernel::kernels::decimal) {
                Some(exact) => {
                    if let Some(x) = s.benefits.iter_mut().find(|x| x.id == **b) {
                        x.total = Some(exact);
                    }
                }
                None => {
                    for src in srcs {
                        if let Some(a) = amount_of(src) {
                            s.add_amount(b, a.and_then(crate::kernel::kernels::decimal));
                        }
                    }
                }
            }
        }
    }

    /// Benefit `bi`'s struct column when the kernels decided every row.
    fn kernel_columns(&self, bi: usize, fast: &KernelBatch, n: usize) -> Result<ArrayRef, Error> {
        let run = fast.benefits.get(bi).ok_or_else(|| Error::Other("internal: no kernel benefit".into()))?;
        let keys: Vec<i8> = run.status.iter().take(n).map(|s| i8::try_from(*s).unwrap_or(3)).collect();
        let status: ArrayRef = if self.opts.plain_status {
            Arc::new(keys.iter().map(|k| STATUSES.get(usize::try_from(*k).unwrap_or(3)).map(|s| s.as_str())).collect::<StringArray>())
        } else {
            let values: ArrayRef = Arc::new(STATUSES.iter().map(|s| Some(s.as_str())).collect::<StringArray>());
            Arc::new(DictionaryArray::<Int8Type>::try_new(Int8Array::from(keys), values)?)
        };
        let mut amounts = Vec::with_capacity(n);
        let mut valid = Vec::with_capacity(n);
        for a in run.amount.iter().take(n) {
            match a {
                Some((m, s)) => {
                    amounts.push(rescale(*m, *s)?);
                    valid.push(true);
                }
                None => {
                    amounts.push(0);
                    valid.push(false);
                }
            }
        }
        let amount: ArrayRef = Arc::new(
            Decimal128Array::new(amounts.into(), Some(arrow_buffer::NullBuffer::from(valid)))
                .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)?,
        );
        // Failed ids straight from each row's bit set; no missing fact.
        let ids = fast.ids.get(bi).map_or(&[][..], Vec::as_slice);
        let mut failed = Lists::new(n);
        for set in run.failed.iter().take(n) {
            let mut bits = *set;
            while bits != 0 {
                let i = usize::try_from(bits.trailing_zeros()).unwrap_or(usize::MAX);
                if let Some(id) = ids.get(i) {
                    failed.values.append_value(id);
                }
                bits &= bits - 1;
            }
            failed.append(true);
        }
        let item = Arc::new(Field::new("item", DataType::Utf8, true));
        let missing: ArrayRef = Arc::new(ListArray::try_new(
            item,
            arrow_buffer::OffsetBuffer::new_zeroed(n),
            Arc::new(StringArray::from(Vec::<&str>::new())),
            None,
        )?);
        let children: Vec<ArrayRef> = vec![status, amount, failed.finish()?, missing];
        Ok(Arc::new(StructArray::try_new(self.benefit_fields(bi), children, None)?))
    }
}

/// A list-of-text column built row by row (offsets and values directly).
struct Lists {
    offsets: Vec<i32>,
    values: StringBuilder,
    valid: Vec<bool>,
}

impl Lists {
    fn new(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Lists { offsets, values: StringBuilder::new(), valid: Vec::with_capacity(rows) }
    }
    /// Ends the current row (its values appended before).
    fn append(&mut self, valid: bool) {
        self.offsets.push(i32::try_from(arrow_array::builder::ArrayBuilder::len(&self.values)).unwrap_or(i32::MAX));
        self.valid.push(valid);
    }
    fn append_null(&mut self) {
        self.append(false);
    }
    fn finish(mut self) -> Result<ArrayRef, Error> {
        let field = Arc::new(Field::new("item", DataType::Utf8, true));
        let offsets = arrow_buffer::OffsetBuffer::new(arrow_buffer::ScalarBuffer::from(self.offsets));
        let nulls = (!self.valid.iter().all(|v| *v)).then(|| arrow_buffer::NullBuffer::from(self.valid));
        Ok(Arc::new(ListArray::try_new(field, offsets, Arc::new(self.values.finish()), nulls)?))
    }
}

/// A kernel's amount (mantissa, scale) at the output column's scale; the
/// kernels leave to the row path any amount the column cannot hold.
fn rescale(m: i128, s: u8) -> Result<i128, Error> {
    let target = u32::from(DECIMAL_SCALE.unsigned_abs());
    let s = u32::from(s);
    let bad = || Error::Other(format!("internal: the amount {m}e-{s} does not fit the column"));
    if s >= target {
        let f = crate::kernel::kernels::pow10(s - target).ok_or_else(bad)?;
        Ok(m / f)
    } else {
        m.checked_mul(crate::kernel::kernels::pow10(target - s).ok_or_else(bad)?).ok_or_else(bad)
    }
}

/// The Arrow type of an output of type `ty`: Boolean, Int64 and Date32 for
/// `bool`, `int` and `date`; exact text (as in the decision's JSON) for the
/// rest, so that no number is rounded on the way.
fn output_type(ty: &Type) -> DataType {
    match ty {
        Type::Bool => DataType::Boolean,
        Type::Int => DataType::Int64,
        Type::Date => DataType::Date32,
        _ => DataType::Utf8,
    }
}

fn output_fields(outs: &[(Arc<str>, Type)]) -> Fields {
    outs.iter().map(|(id, ty)| Field::new(id.as_ref(), output_type(ty), true)).collect()
}

/// One output's column. A value that does not read as its declared type
/// (which the engine never produces) is a row error, never a silent null.
fn output_column(
    benefit: &str,
    id: &str,
    ty: &Type,
    values: &[Option<&OutputScalar>],
    errors: &mut [Option<String>],
) -> Result<ArrayRef, Error> {
    let mut bad = |row: usize, v: &OutputScalar| {
        if let Some(slot) = errors.get_mut(row) {
            slot.get_or_insert_with(|| format!("benefit `{benefit}`: output `{id}` = {v} is not a {}", output_type(ty)));
        }
    };
    Ok(match output_type(ty) {
        DataType::Boolean => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(row, v)| match v {
                    None => None,
                    Some(OutputScalar::Bool(b)) => Some(*b),
                    Some(other) => {
                        bad(row, other);
                        None
                    }
                })
                .collect::<BooleanArray>(),
        ),
        DataType::Int64 => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    let v = (*v)?;
                    let n = match v {
                        OutputScalar::Text(t) => t.parse::<i64>().ok(),
                        OutputScalar::Bool(_) => None,
                    };
                    if n.is_none() {
                        bad(row, v);
                    }
                    n
                })
                .collect::<Int64Array>(),
        ),
        DataType::Date32 => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            Arc::new(
                values
                    .iter()
                    .enumerate()
                    .map(|(row, v)| {
                        let v = (*v)?;
                        let n = match v {
                            OutputScalar::Text(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                                .ok()
                                .and_then(|d| i32::try_from(d.signed_duration_since(epoch).num_days()).ok()),
                            OutputScalar::Bool(_) => None,
                        };
                        if n.is_none() {
                            bad(row, v);
                        }
                        n
                    })
                    .collect::<Date32Array>(),
            )
        }
        _ => Arc::new(values.iter().map(|v| v.map(|v| v.to_string())).collect::<StringArray>()),
    })
}
