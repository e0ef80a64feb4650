//! Columnar decisions: decide an Arrow [`RecordBatch`](arrow_array::RecordBatch)
//! whose columns are a policy's facts, and stream Parquet, CSV and JSON
//! lines populations through the engine in constant memory.
//!
//! Column names and types come from the policy's declarations
//! ([`schema::fact_schema`]); a column that is not a fact, or whose type
//! cannot hold its fact, is an [`Error::Column`] naming it. The column
//! kernels ([`kernel`]) decide over whole columns the rows they decide
//! exactly; every other row is turned into the engine's facts through the
//! public builder and decided by the row interpreter. Either way a row's
//! decision is exactly the one `Plan::decide` gives for the same facts as
//! JSON (differential tests, a property test and a fuzz target hold the
//! paths together).
//!
//! ```
//! use policy_arrow::{BatchDecider, BatchOptions};
//! use policy_eval::Engine;
//! use policy_core::loader::MemoryLoader;
//!
//! let mut loader = MemoryLoader::new();
//! loader.add_policy("demo.policy", r#"
//! policy demo.training "示例"
//!   in_force 2021-01-01 .. 2021-12-31
//! input days: int in 0 .. 365 "培训天数"
//! benefit training "培训补贴" {
//!   payee training_institution
//!   require days >= 3 "不少于3天"
//!   amount days * 100 yuan
//! }
//! "#);
//! let engine = Engine::from_loader(&loader).map_err(|e| e.to_string())?;
//! let plan = engine.plan("demo.training").ok_or("no plan")?;
//! let rows = serde_json::json!([{"days": 12}, {"days": 2}, {}]);
//! let batch = policy_arrow::encode::batch_from_json(plan.policy(), rows.as_array().ok_or("rows")?)?;
//! let mut opts = BatchOptions::default();
//! opts.decide.reference_date = "2021-06-01".parse().ok();
//! let decisions = BatchDecider::new(plan, opts)?.decide(&batch, None)?;
//! assert_eq!(decisions.num_rows(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod decide;
pub mod encode;
#[cfg(feature = "files")]
pub mod files;
pub mod impact;
pub mod kernel;
pub mod read;
pub mod sample;
pub mod schema;
pub mod summary;

pub use decide::{BatchDecider, BatchOptions, RowResult, STATUSES};
pub use summary::Summary;

/// Why a batch or a file could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A column does not fit the policy: not a fact, or of a type that
    /// cannot hold its fact.
    #[error("column `{column}`: {message}")]
    Column {
        /// The column (with the path inside it, e.g. `history[].year`).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The engine refused (e.g. an unknown benefit).
    #[error(transparent)]
    Eval(#[from] policy_eval::EvalError),
    /// Arrow could not build or read an array.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Parquet could not read or write.
    #[cfg(feature = "files")]
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Anything else, said in words.
    #[error("{0}")]
    Other(String),
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error::Other(s)
    }
}
