//! The distribution of per-applicant changes in amount, in bounded memory.
//!
//! Each distinct change is counted exactly while there are at most
//! [`MAX_BUCKETS`] of them (the usual case: a policy pays a few tiers, so
//! an amendment moves applicants by a few distinct sums). Past that, the
//! changes are grouped in buckets of a power-of-ten width (`[low, low +
//! width)`), widened until at most half of [`MAX_BUCKETS`] remain, and
//! quantiles are then the lower bound of their bucket.

use rust_decimal::Decimal;

/// Most buckets held.
pub const MAX_BUCKETS: usize = 1024;

/// The quantiles reported, in percent.
pub const QUANTILES: [u8; 5] = [10, 25, 50, 75, 90];

/// Changes counted by value (or by bucket).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DeltaHistogram {
    /// Changes counted.
    pub count: u64,
    /// Changes up (more money).
    pub increases: u64,
    /// Changes down.
    pub decreases: u64,
    /// Changes that could not be computed (the difference overflowed).
    pub overflowed: u64,
    /// The smallest change.
    #[serde(with = "policy_eval::decision::opt_money")]
    pub min: Option<Decimal>,
    /// The largest change.
    #[serde(with = "policy_eval::decision::opt_money")]
    pub max: Option<Decimal>,
    /// `None`: each bucket is one exact value; else every bucket spans
    /// `[low, low + width)`.
    #[serde(with = "policy_eval::decision::opt_money")]
    pub width: Option<Decimal>,
    /// Buckets in increasing order of `low`.
    pub buckets: Vec<Bucket>,
    /// The quantiles of [`QUANTILES`], once [`DeltaHistogram::finish`]ed.
    pub quantiles: Vec<Quantile>,
}

/// A bucket of changes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bucket {
    /// The change (or the bucket's lower bound).
    #[serde(with = "policy_eval::decision::money")]
    pub low: Decimal,
    /// Applicants.
    pub count: u64,
}

/// A quantile of the changes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Quantile {
    /// In percent (50: the median).
    pub percent: u8,
    /// The change (or its bucket's lower bound).
    #[serde(with = "policy_eval::decision::money")]
    pub value: Decimal,
}

impl DeltaHistogram {
    /// Counts a change (`None`: it overflowed).
    pub fn add(&mut self, delta: Option<Decimal>) {
        let Some(d) = delta else {
            self.overflowed += 1;
            return;
        };
        self.count += 1;
        if d > Decimal::ZERO {
            self.increases += 1;
        } else if d < Decimal::ZERO {
            self.decreases += 1;
        }
        self.min = Some(self.min.map_or(d, |m| m.min(d)));
        self.max = Some(self.max.map_or(d, |m| m.max(d)));
        let key = match self.width {
            Some(w) => bucket_of(d, w),
            None => d.normalize(),
        };
        self.insert(key, 1);
        if self.buckets.len() > MAX_BUCKETS {
            self.widen();
        }
    }

    fn insert(&mut self, low: Decimal, count: u64) {
        match self.buckets.binary_search_by(|b| b.low.cmp(&low)) {
            Ok(i) => {
                if let Some(b) = self.buckets.get_mut(i) {
                    b.count += count;
                }
            }
            Err(i) => self.buckets.insert(i, Bucket { low, count }),
        }
    }

    /// Groups the buckets by ten times the width (0.01 to begin with)
    /// until at most half of [`MAX_BUCKETS`] remain.
    fn widen(&mut self) {
        let mut width = self.width.unwrap_or(Decimal::new(1, 3));
        while self.buckets.len() > MAX_BUCKETS / 2 {
            let Some(w) = width.checked_mul(Decimal::TEN) else { return };
            width = w;
            let old = std::mem::take(&mut self.buckets);
            for b in old {
                self.insert(bucket_of(b.low, width), b.count);
            }
        }
        self.width = Some(width);
    }

    /// The value below which `percent` % of the changes fall (the lower
    /// bound of its bucket when bucketed); `None` when no change was counted.
    pub fn quantile(&self, percent: u8) -> Option<Decimal> {
        let total: u64 = self.buckets.iter().map(|b| b.count).sum();
        if total == 0 {
            return None;
        }
        // The smallest value whose cumulative count reaches ⌈p·n/100⌉.
        let rank = (u128::from(total) * u128::from(percent.min(100))).div_ceil(100).max(1);
        let mut seen = 0u128;
        for b in &self.buckets {
            seen += u128::from(b.count);
            if seen >= rank {
                return Some(b.low);
            }
        }
        self.buckets.last().map(|b| b.low)
    }

    /// Fills [`DeltaHistogram::quantiles`].
    pub fn finish(&mut self) {
        self.quantiles = QUANTILES.iter().filter_map(|p| self.quantile(*p).map(|value| Quantile { percent: *p, value })).collect();
    }
}

/// `floor(d / width) * width`.
fn bucket_of(d: Decimal, width: Decimal) -> Decimal {
    d.checked_div(width).and_then(|q| q.floor().checked_mul(width)).map(|x| x.normalize()).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exact_while_few_values() {
        let mut h = DeltaHistogram::default();
        for d in ["200", "200", "-800", "400", "200"] {
            h.add(Some(dec(d)));
        }
        h.finish();
        assert_eq!(h.width, None);
        assert_eq!(
            h.buckets.iter().map(|b| (b.low.to_string(), b.count)).collect::<Vec<_>>(),
            [("-800".into(), 1), ("200".into(), 3), ("400".into(), 1)]
        );
        assert_eq!((h.increases, h.decreases, h.count), (4, 1, 5));
        assert_eq!(h.quantile(10), Some(dec("-800")));
        assert_eq!(h.quantile(50), Some(dec("200")));
        assert_eq!(h.quantile(90), Some(dec("400")));
        assert_eq!((h.min, h.max), (Some(dec("-800")), Some(dec("400"))));
    }

    #[test]
    fn bounded_when_many_values() {
        let mut h = DeltaHistogram::default();
        for i in 0..100_000i64 {
            h.add(Some(Decimal::new(i * 37 - 1_000_000, 2)));
        }
        assert!(h.buckets.len() <= MAX_BUCKETS);
        let w = h.width.unwrap();
        assert_eq!(h.buckets.iter().map(|b| b.count).sum::<u64>(), 100_000);
        // Every bucket's bound is a multiple of the width, and the median's
        // bucket holds the true median (the 50,000th smallest change).
        assert!(h.buckets.iter().all(|b| (b.low / w).fract().is_zero()));
        let m = h.quantile(50).unwrap();
        let true_median = Decimal::new(49_999 * 37 - 1_000_000, 2);
        assert!(m <= true_median && true_median < m + w, "{m} {w} {true_median}");
    }

    proptest::proptest! {
        /// Whatever the changes: every one is counted once, the buckets
        /// stay sorted and bounded, each change falls in its bucket, and the
        /// quantiles rise with the percent; exact while few distinct.
        #[test]
        fn counts_are_kept_and_buckets_bounded(cents in proptest::collection::vec(-5_000_000i64..5_000_000, 0..3000), spread in 1i64..1000) {
            let mut h = DeltaHistogram::default();
            let values: Vec<Decimal> = cents.iter().map(|c| Decimal::new(c * spread, 2)).collect();
            for v in &values {
                h.add(Some(*v));
            }
            h.finish();
            proptest::prop_assert_eq!(h.count, values.len() as u64);
            proptest::prop_assert_eq!(h.buckets.iter().map(|b| b.count).sum::<u64>(), h.count);
            proptest::prop_assert!(h.buckets.len() <= MAX_BUCKETS);
            proptest::prop_assert!(h.buckets.windows(2).all(|w| w[0].low < w[1].low));
            for v in &values {
                let i = h.buckets.partition_point(|b| b.low <= *v);
                proptest::prop_assert!(i > 0);
                let b = &h.buckets[i - 1];
                match h.width {
                    None => proptest::prop_assert_eq!(b.low, *v),
                    Some(w) => proptest::prop_assert!(b.low <= *v && *v < b.low + w),
                }
            }
            let distinct: std::collections::BTreeSet<Decimal> = values.iter().map(|v| v.normalize()).collect();
            if distinct.len() <= MAX_BUCKETS {
                proptest::prop_assert_eq!(h.width, None);
            }
            proptest::prop_assert!(h.quantiles.windows(2).all(|w| w[0].value <= w[1].value));
        }
    }
}
