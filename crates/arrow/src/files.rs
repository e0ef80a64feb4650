//! Populations in files: Parquet, CSV or JSON lines in; Parquet or JSON
//! lines out; streamed batch by batch, so memory is bounded by the batch
//! size, not by the population.

use crate::decide::{BatchDecider, RowResult};
use crate::summary::Summary;
use crate::Error;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::path::Path;
use std::sync::Arc;

/// Rows read, decided and written together by default.
pub const DEFAULT_BATCH: usize = 8192;

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// CSV with a header row; every cell is read as text, as JSON facts
    /// would carry it (an empty cell is a fact not supplied).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file name's extension says (`.parquet`, `.csv`,
    /// `.jsonl`/`.ndjson`).
    pub fn of_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "parquet" => Ok(Format::Parquet),
            "csv" => Ok(Format::Csv),
            "jsonl" => Ok(Format::Jsonl),
            _ => Err(format!("unknown format `{s}` (parquet, csv or jsonl)")),
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

/// Where decisions go.
enum Sink {
    Parquet(Box<Option<ArrowWriter<File>>>, File),
    Jsonl(BufWriter<File>),
}

impl Sink {
    fn write(
        &mut self,
        decider: &BatchDecider<'_>,
        input: &Schema,
        kept: Vec<arrow_array::ArrayRef>,
        rows: &[RowResult],
        first_row: u64,
        path: &Path,
    ) -> Result<(), Error> {
        match self {
            Sink::Parquet(..) => {
                let batch = decider.to_batch(input, kept, rows)?;
                self.write_batch(&batch, path)?;
            }
            Sink::Jsonl(out) => {
                for (i, r) in rows.iter().enumerate() {
                    let row = first_row + i as u64 + 1;
                    let line = match r {
                        Ok(d) => serde_json::to_string(d),
                        Err(e) => serde_json::to_string(&serde_json::json!({"row": row, "error": e})),
                    }
                    .map_err(|e| Error::Other(format!("cannot write a decision as JSON: {e}")))?;
                    out.write_all(line.as_bytes()).map_err(io(path))?;
                    out.write_all(b"\n").map_err(io(path))?;
                }
            }
        }
        Ok(())
    }

    /// Writes a batch of decisions (Parquet only).
    fn write_batch(&mut self, batch: &RecordBatch, path: &Path) -> Result<(), Error> {
        let Sink::Parquet(writer, file) = self else { return Err(Error::Other("internal: a batch for a JSON lines sink".into())) };
        if writer.is_none() {
            let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
            **writer = Some(ArrowWriter::try_new(file.try_clone().map_err(io(path))?, batch.schema(), Some(props))?);
        }
        if let Some(w) = writer.as_mut() {
            w.write(batch)?;
        }
        Ok(())
    }

    fn finish(self, decider: &BatchDecider<'_>, path: &Path) -> Result<(), Error> {
        match self {
            Sink::Parquet(w, file) => {
                if let Some(w) = *w {
                    w.close()?;
                    return Ok(());
                }
                // No rows: still a valid file, with the schema of no kept columns.
                let schema = decider.output_schema(&Schema::empty());
                let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
                ArrowWriter::try_new(file, schema, Some(props))?.close()?;
            }
            Sink::Jsonl(mut out) => out.flush().map_err(io(path))?,
        }
        Ok(())
    }
}

/// Decides every applicant of `input` and writes the decisions to `output`,
/// `batch` rows at a time; `progress` is told the rows done after each
/// batch. Returns the summary.
pub fn decide_file(
    decider: &BatchDecider<'_>,
    input: (&Path, Format),
    output: (&Path, Format),
    batch: usize,
    mut progress: impl FnMut(&Summary),
) -> Result<Summary, Error> {
    let (in_path, in_fmt) = input;
    let (out_path, out_fmt) = output;
    let batch = batch.max(1);
    let mut summary = Summary::default();
    let out_file = File::create(out_path).map_err(io(out_path))?;
    let mut sink = match out_fmt {
        Format::Parquet => Sink::Parquet(Box::new(None), out_file),
        Format::Jsonl => Sink::Jsonl(BufWriter::with_capacity(1 << 16, out_file)),
        Format::Csv => return Err(Error::Other("decisions are written as Parquet or JSON lines, not CSV".into())),
    };
    let step = |sink: &mut Sink, schema: &Schema, kept, rows: Vec<RowResult>, summary: &mut Summary| -> Result<(), Error> {
        let first = summary.rows;
        summary.add_all(&rows);
        sink.write(decider, schema, kept, &rows, first, out_path)
    };
    for chunk in population(in_path, in_fmt, batch)? {
        match chunk? {
            // Decisions as columns: the column kernels decide what they can.
            Chunk::Batch(b) if matches!(sink, Sink::Parquet(..)) => {
                let out = decider.decide(&b, Some(&mut summary))?;
                sink.write_batch(&out, out_path)?;
                progress(&summary);
            }
            Chunk::Batch(b) => {
                let facts = decider.facts(&b)?;
                let rows = decider.decide_facts(facts);
                let kept = decider.kept(&b);
                step(&mut sink, b.schema().as_ref(), kept, rows, &mut summary)?;
                progress(&summary);
            }
            Chunk::Lines(lines) => {
                let plan = decider.plan();
                let facts = lines.iter().map(|l| plan.facts_from_str(l).map_err(|e| e.to_string())).collect();
                let rows = decider.decide_facts(facts);
                step(&mut sink, &Schema::empty(), Vec::new(), rows, &mut summary)?;
                progress(&summary);
            }
        }
    }
    sink.finish(decider, out_path)?;
    Ok(summary)
}

/// A piece of a population: a record batch (Parquet, CSV) or JSON lines.
#[derive(Debug)]
pub enum Chunk {
    /// Columns of facts.
    Batch(RecordBatch),
    /// One JSON facts object a line.
    Lines(Vec<String>),
}

/// The population in `path`, `batch` rows at a time: Parquet and CSV as
/// record batches (CSV cells all as text), JSON lines as lines.
pub fn population(path: &Path, format: Format, batch: usize) -> Result<Box<dyn Iterator<Item = Result<Chunk, Error>>>, Error> {
    let batch = batch.max(1);
    Ok(match format {
        Format::Parquet => {
            let file = File::open(path).map_err(io(path))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(batch).build()?;
            Box::new(reader.map(|b| Ok(Chunk::Batch(b?))))
        }
        Format::Csv => {
            let schema = csv_schema(path)?;
            let file = File::open(path).map_err(io(path))?;
            let reader = arrow_csv::ReaderBuilder::new(schema).with_header(true).with_batch_size(batch).build(file)?;
            Box::new(reader.map(|b| Ok(Chunk::Batch(b?))))
        }
        Format::Jsonl => {
            let file = File::open(path).map_err(io(path))?;
            let mut lines = BufReader::with_capacity(1 << 16, file).lines();
            let owned = path.to_path_buf();
            Box::new(std::iter::from_fn(move || {
                let mut chunk = Vec::with_capacity(batch);
                for line in lines.by_ref().take(batch) {
                    match line {
                        Ok(l) => chunk.push(l),
                        Err(source) => return Some(Err(Error::Io { path: owned.display().to_string(), source })),
                    }
                }
                (!chunk.is_empty()).then_some(Ok(Chunk::Lines(chunk)))
            }))
        }
    })
}

/// How many rows a population file holds, when that is known without
/// reading it: a Parquet file's footer says; CSV and JSON lines do not.
pub fn row_count(path: &Path, format: Format) -> Option<u64> {
    if format != Format::Parquet {
        return None;
    }
    let file = File::open(path).ok()?;
    let meta = ParquetRecordBatchReaderBuilder::try_new(file).ok()?;
    u64::try_from(meta.metadata().file_metadata().num_rows()).ok()
}

/// A CSV file's columns, from its header, all read as text.
fn csv_schema(path: &Path) -> Result<SchemaRef, Error> {
    let mut file = File::open(path).map_err(io(path))?;
    let (inferred, _) = arrow_csv::reader::Format::default().with_header(true).infer_schema(&mut file, Some(0))?;
    file.rewind().map_err(io(path))?;
    Ok(Arc::new(Schema::new(inferred.fields().iter().map(|f| Field::new(f.name(), DataType::Utf8, true)).collect::<Vec<_>>())))
}
