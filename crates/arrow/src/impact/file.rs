//! `policy impact` over a population file, streamed batch by batch; the
//! per-applicant pairs optionally written as Parquet.

use super::{pairs_batch, pairs_schema, Impact, ImpactRun};
use crate::files::{population, Chunk, Format};
use crate::Error;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;

/// Decides every applicant of `input` with both versions of `run`, `batch`
/// rows at a time; with `pairs`, writes one row per applicant (its row, a
/// struct per benefit: before, after, change) to that Parquet file. `progress` is told the
/// rows done after each batch.
pub fn impact_file(
    mut run: ImpactRun<'_>,
    input: (&Path, Format),
    pairs: Option<&Path>,
    batch: usize,
    mut progress: impl FnMut(u64),
) -> Result<Impact, Error> {
    let mut writer = match pairs {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
            let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
            let schema = pairs_schema(&run.benefits(), &[], false);
            Some(ArrowWriter::try_new(file, schema, Some(props))?)
        }
        None => None,
    };
    for chunk in population(input.0, input.1, batch)? {
        let found = match chunk? {
            Chunk::Batch(b) => run.add_batch(&b)?,
            Chunk::Lines(lines) => run.add_lines(&lines),
        };
        if let Some(w) = writer.as_mut() {
            let names = run.benefits();
            w.write(&pairs_batch(&found, &names, &[], false)?)?;
        }
        progress(run.applicants());
    }
    if let Some(w) = writer {
        w.close()?;
    }
    Ok(run.finish())
}
