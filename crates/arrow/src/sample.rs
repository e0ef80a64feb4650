//! Synthetic populations (`policy sample`): applicants drawn from a
//! policy's declarations, weighted toward its thresholds, deterministic for
//! a seed.
//!
//! Each fact's values come from [`policy_eval::diff::boundaries`], the
//! threshold exploration `policy diff` searches witnesses with: every
//! constant a fact is compared against in conditions, tiers and tables
//! (and its declared bounds), with the values just below and just above it,
//! so both sides of every boundary are drawn; every enum variant; lists and
//! records built from a typical applicant. The same exploration gives, per
//! benefit, a base applicant (coordinate ascent towards eligibility).
//!
//! An applicant is, one time in five, drawn fact by fact; otherwise it is
//! one of the base applicants (uniformly) with each fact redrawn with
//! probability 2/n (n facts: two redrawn on average, none 13 % of the
//! time), so that most applicants sit near eligibility and one or two
//! thresholds away from it, on either side. A fact is drawn so:
//!
//! - 2 % of the time it is absent (the applicant did not give it);
//! - for numbers and dates, 25 % of the time a value drawn uniformly
//!   between two neighbouring candidates (so the population also fills the
//!   ranges between thresholds);
//! - otherwise one of the candidates, uniformly.
//!
//! Decide a sample of a policy without `application_date` at a date inside
//! its in-force window (`--as-of`): the bases are eligible at its middle.
//!
//! The generator is SplitMix64 seeded with the seed: the same seed, policy
//! and count give the same applicants on every machine and every batch
//! size (no floats are involved: draws are integers, money is built from
//! them exactly).

use crate::encode::batch_from_json;
use crate::schema::facts_of;
use crate::Error;
use arrow_array::RecordBatch;
use chrono::NaiveDate;
use policy_core::checked::Type;
use policy_eval::Plan;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

/// Per mille of applicants drawn fact by fact rather than from a base.
const INDEPENDENT_PER_MILLE: u64 = 200;
/// Facts redrawn per applicant on average, when drawn from a base.
const REDRAWN_PER_APPLICANT: u64 = 2;
/// Per mille of draws in which a fact is absent.
const ABSENT_PER_MILLE: u64 = 20;
/// Per mille of draws of a number or date taken between two candidates.
const BETWEEN_PER_MILLE: u64 = 250;
/// Steps per unit when drawing a decimal between two candidates (cents).
const DECIMAL_PLACES: u32 = 2;

/// SplitMix64 (Steele, Lea and Flood 2014): small, fast, and fixed, so a
/// seed means the same population in every version of this crate.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0), without modulo bias worth
    /// speaking of (Lemire's multiply-shift).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An integer in `lo..=hi` (`lo` when `hi < lo`).
    fn between(&mut self, lo: i128, hi: i128) -> i128 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo).unsigned_abs().saturating_add(1);
        let span = u64::try_from(span).unwrap_or(u64::MAX);
        lo + i128::from(self.below(span))
    }
}

/// Where a number or date may also be drawn between candidates.
#[derive(Debug, Clone)]
enum Range {
    None,
    Int(Vec<i64>),
    /// Decimal candidates; `true` for percents (written `70.5%`).
    Dec(Vec<Decimal>, bool),
    Date(Vec<NaiveDate>),
}

#[derive(Debug, Clone)]
struct FactDraw {
    name: String,
    /// The candidates (absent excluded).
    values: Vec<Json>,
    /// The value of each base applicant (`None`: absent).
    bases: Vec<Option<Json>>,
    range: Range,
}

/// Draws applicants for one policy.
#[derive(Debug, Clone)]
pub struct Sampler {
    facts: Vec<FactDraw>,
    bases: usize,
    rng: SplitMix64,
}

impl Sampler {
    /// A sampler for `plan`'s facts, seeded with `seed`.
    pub fn new(plan: &Plan, seed: u64) -> Self {
        let found = policy_eval::diff::boundaries(plan);
        let facts = facts_of(plan.policy())
            .map(|(name, ty)| {
                let values: Vec<Json> = found
                    .values
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.iter().filter(|x| !x.is_null()).cloned().collect())
                    .unwrap_or_default();
                let range = range_of(ty, &values);
                let bases = found.bases.iter().map(|b| b.get(name).filter(|v| !v.is_null()).cloned()).collect();
                FactDraw { name: name.to_string(), values, bases, range }
            })
            .collect();
        Sampler { facts, bases: found.bases.len(), rng: SplitMix64::new(seed) }
    }

    /// The candidate values of each fact (absent excluded), in declaration order.
    pub fn candidates(&self) -> impl Iterator<Item = (&str, &[Json])> {
        self.facts.iter().map(|f| (f.name.as_str(), f.values.as_slice()))
    }

    /// The next applicant, as JSON facts (an absent fact has no key).
    pub fn applicant(&mut self) -> Map<String, Json> {
        let mut row = Map::new();
        let base = if self.bases == 0 || self.rng.below(1000) < INDEPENDENT_PER_MILLE {
            None
        } else {
            usize::try_from(self.rng.below(self.bases as u64)).ok()
        };
        let n = self.facts.len().max(1) as u64;
        for f in &self.facts {
            let kept = match base {
                Some(b) if self.rng.below(n) >= REDRAWN_PER_APPLICANT => Some(f.bases.get(b).cloned().flatten()),
                _ => None,
            };
            let v = match kept {
                Some(v) => v,
                None => draw(&mut self.rng, f),
            };
            if let Some(v) = v {
                row.insert(f.name.clone(), v);
            }
        }
        row
    }

    /// The next `n` applicants as JSON facts objects.
    pub fn applicants(&mut self, n: usize) -> Vec<Json> {
        (0..n).map(|_| Json::Object(self.applicant())).collect()
    }

    /// The next `n` applicants as a record batch in the policy's canonical
    /// schema ([`crate::schema::fact_schema`]).
    pub fn batch(&mut self, plan: &Plan, n: usize) -> Result<RecordBatch, Error> {
        let rows = self.applicants(n);
        Ok(batch_from_json(plan.policy(), &rows)?)
    }
}

/// Writes `n` applicants drawn with `seed` to `path` as Parquet (the
/// canonical schema, snappy), JSON lines (one facts object a line, absent
/// facts left out) or CSV (a header of every fact, each cell as JSON facts
/// text would carry it, empty when absent; lists and records cannot be
/// written as CSV). `batch` applicants are held at a time; `progress` is
/// told how many are written. The same arguments give the same bytes.
#[cfg(feature = "files")]
pub fn write_sample(
    plan: &Plan,
    n: u64,
    seed: u64,
    (path, format): (&std::path::Path, crate::files::Format),
    batch: usize,
    mut progress: impl FnMut(u64),
) -> Result<(), Error> {
    use crate::files::Format;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    use std::io::Write;
    let io = |source| Error::Io { path: path.display().to_string(), source };
    let p = plan.policy();
    let names: Vec<&str> = facts_of(p).map(|(n, _)| n).collect();
    if format == Format::Csv {
        if let Some((name, _)) = facts_of(p).find(|(_, ty)| matches!(ty, Type::List(_) | Type::Record(_))) {
            return Err(Error::Other(format!("fact `{name}` is a list or record, which CSV cannot hold: write .parquet or .jsonl")));
        }
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let mut sampler = Sampler::new(plan, seed);
    let batch = batch.max(1);
    let mut done = 0u64;
    match format {
        Format::Parquet => {
            let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
            let schema = std::sync::Arc::new(crate::schema::fact_schema(p));
            let mut w = ArrowWriter::try_new(file, schema, Some(props))?;
            while done < n {
                let k = usize::try_from((n - done).min(batch as u64)).unwrap_or(batch);
                w.write(&sampler.batch(plan, k)?)?;
                done += k as u64;
                progress(done);
            }
            w.close()?;
        }
        Format::Jsonl | Format::Csv => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
            if format == Format::Csv {
                writeln!(out, "{}", names.iter().map(|n| csv_cell(n)).collect::<Vec<_>>().join(",")).map_err(io)?;
            }
            while done < n {
                let row = sampler.applicant();
                let line = if format == Format::Jsonl {
                    serde_json::to_string(&row).map_err(|e| Error::Other(e.to_string()))?
                } else {
                    let cells: Vec<String> = names
                        .iter()
                        .map(|name| match row.get(*name) {
                            None | Some(Json::Null) => String::new(),
                            Some(Json::String(s)) => csv_cell(s),
                            Some(v) => csv_cell(&v.to_string()),
                        })
                        .collect();
                    cells.join(",")
                };
                out.write_all(line.as_bytes()).map_err(io)?;
                out.write_all(b"\n").map_err(io)?;
                done += 1;
                if done.checked_rem(batch as u64) == Some(0) || done == n {
                    progress(done);
                }
            }
            out.flush().map_err(io)?;
        }
    }
    Ok(())
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
#[cfg(feature = "files")]
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One fact drawn on its own (`None`: absent).
fn draw(rng: &mut SplitMix64, f: &FactDraw) -> Option<Json> {
    if f.values.is_empty() || rng.below(1000) < ABSENT_PER_MILLE {
        return None;
    }
    if rng.below(1000) < BETWEEN_PER_MILLE {
        if let Some(v) = between(rng, &f.range) {
            return Some(v);
        }
    }
    let i = usize::try_from(rng.below(f.values.len() as u64)).unwrap_or(0);
    f.values.get(i).cloned()
}

fn range_of(ty: &Type, values: &[Json]) -> Range {
    let range = match ty {
        Type::Int => {
            let mut v: Vec<i64> = values.iter().filter_map(Json::as_i64).collect();
            v.sort_unstable();
            Range::Int(v)
        }
        Type::Decimal | Type::Money | Type::Quantity(_) | Type::Percent => {
            let percent = matches!(ty, Type::Percent);
            let mut v: Vec<Decimal> = values
                .iter()
                .filter_map(|x| match x {
                    Json::String(s) => s.strip_suffix('%').unwrap_or(s).parse().ok(),
                    Json::Number(n) => n.to_string().parse().ok(),
                    _ => None,
                })
                .collect();
            v.sort_unstable();
            Range::Dec(v, percent)
        }
        Type::Date => {
            let mut v: Vec<NaiveDate> = values.iter().filter_map(|x| x.as_str()?.parse().ok()).collect();
            v.sort_unstable();
            Range::Date(v)
        }
        _ => Range::None,
    };
    match &range {
        Range::Int(v) if v.len() >= 2 => range,
        Range::Dec(v, _) if v.len() >= 2 => range,
        Range::Date(v) if v.len() >= 2 => range,
        _ => Range::None,
    }
}

/// A value drawn uniformly between two neighbouring candidates.
fn between(rng: &mut SplitMix64, range: &Range) -> Option<Json> {
    let pick = |rng: &mut SplitMix64, len: usize| usize::try_from(rng.below(len.saturating_sub(1) as u64)).unwrap_or(0);
    match range {
        Range::None => None,
        Range::Int(v) => {
            let i = pick(rng, v.len());
            let (lo, hi) = (*v.get(i)?, *v.get(i + 1)?);
            let x = rng.between(i128::from(lo), i128::from(hi));
            Some(Json::from(i64::try_from(x).ok()?))
        }
        Range::Dec(v, percent) => {
            let i = pick(rng, v.len());
            let (lo, hi) = (*v.get(i)?, *v.get(i + 1)?);
            let unit = Decimal::from(10u64.pow(DECIMAL_PLACES));
            let (a, b) = (lo.checked_mul(unit)?.ceil(), hi.checked_mul(unit)?.floor());
            let (a, b) = (i128::try_from(a).ok()?, i128::try_from(b).ok()?);
            if b < a {
                return None;
            }
            let x = Decimal::from_i128_with_scale(rng.between(a, b), DECIMAL_PLACES).normalize();
            Some(Json::String(if *percent { format!("{x}%") } else { x.to_string() }))
        }
        Range::Date(v) => {
            let i = pick(rng, v.len());
            let (lo, hi) = (*v.get(i)?, *v.get(i + 1)?);
            let days = rng.between(0, i128::from((hi - lo).num_days()));
            let d = lo.checked_add_signed(chrono::TimeDelta::try_days(i64::try_from(days).ok()?)?)?;
            Some(Json::String(d.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn splitmix_matches_an_independent_transcription() {
        // Seed 1234567, as an independent Python transcription of Vigna's
        // splitmix64.c gives them.
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn below_stays_below() {
        let mut r = SplitMix64::new(7);
        for n in [1u64, 2, 3, 10, 1000] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
    }
}
