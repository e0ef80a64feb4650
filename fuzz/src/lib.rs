//! Helpers shared by the fuzz targets (see `docs/robustness.md`).
//!
//! Everything here may panic: a panic is how a fuzz target reports a
//! violated property. None of this is library code.

pub mod columnar;
pub mod many;
pub mod tree;

use chrono::NaiveDate;
use policy_core::loader::{scan_policy_id, LoadError, Loader, MemoryLoader, Source};
use policy_eval::{DecideOptions, Decision, Facts, Plan, TraceLevel};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The repository root (the parent of `fuzz/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `policies/` of the repository.
pub fn policies_dir() -> PathBuf {
    repo_root().join("policies")
}

/// Every bundled policy (`policies/*/*.policy`) and its source document
/// (`*.source.txt`, registered under its file name), read once.
pub fn bundled_loader() -> &'static MemoryLoader {
    static LOADER: OnceLock<MemoryLoader> = OnceLock::new();
    LOADER.get_or_init(|| {
        let mut loader = MemoryLoader::new();
        let mut regions: Vec<PathBuf> = std::fs::read_dir(policies_dir())
            .expect("policies/ is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        regions.sort();
        for region in regions {
            // Regular files only: a region also holds folders (`*.traces/` golden traces).
            let mut files: Vec<PathBuf> = std::fs::read_dir(&region)
                .expect("region directory is readable")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for f in files {
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                let text = std::fs::read_to_string(&f).expect("bundled file is UTF-8");
                if name.ends_with(".policy") {
                    loader.add_policy(&f.display().to_string(), &text);
                } else if name.ends_with(".source.txt") {
                    loader.add_document(&name, &text);
                }
            }
        }
        assert!(loader.ids().any(|id| id == "zhejiang.digital_engineer_2023"), "the Zhejiang policy is bundled");
        loader
    })
}

/// The bundled policies plus the fuzzed one (under the id its header
/// declares, so that it can `use` itself or be part of a cycle).
pub struct FuzzLoader {
    base: &'static MemoryLoader,
    own: Option<(String, Source)>,
}

impl FuzzLoader {
    /// Bundled policies plus `source`.
    pub fn new(source: &Source) -> Self {
        let own = std::str::from_utf8(&source.bytes).ok().and_then(scan_policy_id).map(|id| (id, source.clone()));
        FuzzLoader { base: bundled_loader(), own }
    }
}

impl Loader for FuzzLoader {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        match &self.own {
            Some((own, src)) if own == id => Ok(src.clone()),
            _ => self.base.load_policy(id),
        }
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        self.base.load_document(policy_name, path)
    }
}

/// A fuzzed source named `fuzz.policy`.
pub fn source(bytes: &[u8]) -> Source {
    Source { name: Arc::from("fuzz.policy"), bytes: Arc::from(bytes) }
}

/// Splits off a two-byte reference-date selector: `0` is no reference date
/// (the `application_date` fact, if any, decides), `n` is 2014-01-01 plus
/// `n - 1` days (up to the year 2193).
pub fn split_date(data: &[u8]) -> (Option<NaiveDate>, &[u8]) {
    match data {
        [a, b, rest @ ..] => {
            let n = u16::from_le_bytes([*a, *b]);
            let date = if n == 0 {
                None
            } else {
                NaiveDate::from_ymd_opt(2014, 1, 1).and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(n) - 1)))
            };
            (date, rest)
        }
        _ => (None, &[]),
    }
}

/// The selector [`split_date`] reads back as `date`.
pub fn date_prefix(date: Option<NaiveDate>) -> [u8; 2] {
    let base = NaiveDate::from_ymd_opt(2014, 1, 1).expect("valid date");
    let n = match date {
        None => 0u16,
        Some(d) => u16::try_from((d - base).num_days() + 1).unwrap_or(0),
    };
    n.to_le_bytes()
}

/// Decides `facts` at every trace level and asserts the decisions are
/// identical apart from the trace, and that the compiled plan (trace off)
/// decides as the interpreter (`Plan::decide_reference`); also renders the full trace as text and
/// the decision as JSON (neither may panic). Returns the decision.
pub fn decide_every_level(plan: &Plan, facts: &Facts, reference_date: Option<NaiveDate>) -> Option<Decision> {
    let decide = |trace| plan.decide(facts, &DecideOptions { reference_date, trace, ..Default::default() });
    let full = decide(TraceLevel::Full);
    let summary = decide(TraceLevel::Summary);
    let off = decide(TraceLevel::Off);
    let strip = |r: Result<Decision, policy_eval::EvalError>| {
        r.map(|mut d| {
            d.trace = None;
            d
        })
        .map_err(|e| e.to_string())
    };
    if let Ok(d) = &full {
        let _ = policy_eval::render_text(d);
        let json = serde_json::to_string(d).expect("a decision serialises");
        let back: Decision = serde_json::from_str(&json).expect("a decision reads back");
        assert_eq!(&back, d, "decision JSON round trip");
        logged_as_built(plan, facts, reference_date, d, &json);
    }
    // The compiled plan (trace off, when it decides) against the
    // interpreter, the reference: the same decision and the same JSON.
    let reference = plan.decide_reference(facts, &DecideOptions { reference_date, ..Default::default() });
    match (&off, &reference) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "the compiled plan and the interpreter disagree");
            let json = |d: &Decision| serde_json::to_string(d).expect("a decision serialises");
            assert_eq!(json(a), json(b), "the compiled plan's JSON differs from the interpreter's");
        }
        (a, b) => assert_eq!(
            a.as_ref().err().map(ToString::to_string),
            b.as_ref().err().map(ToString::to_string),
            "the compiled plan and the interpreter disagree"
        ),
    }
    let (full, summary, off) = (strip(full), strip(summary), strip(off));
    assert_eq!(full, off, "decision differs between trace levels full and off");
    assert_eq!(summary, off, "decision differs between trace levels summary and off");
    off.ok()
}

/// The full trace recorded as an event log (`Decider::decide_logged`) and
/// built later (`Decider::trace`) or written as JSON straight from the log
/// (`Decider::write_json`) is the tree `decide` built, and serde's bytes.
pub fn logged_as_built(plan: &Plan, facts: &Facts, reference_date: Option<NaiveDate>, built: &Decision, json: &str) {
    let mut decider = plan.decider();
    let opts = DecideOptions { reference_date, trace: TraceLevel::Full, ..Default::default() };
    let logged = decider.decide_logged(facts, &opts).expect("decided with the tree, so decided logged").clone();
    assert!(logged.trace.is_none(), "decide_logged built the tree");
    assert_eq!(decider.trace().as_ref(), built.trace.as_ref(), "the trace built from the log differs");
    let mut written = String::new();
    decider.write_json(&mut written);
    assert_eq!(written, json, "the JSON written from the log differs from serde's");
}
