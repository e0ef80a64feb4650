//! Dated things against the policy's in-force window: a window that ends
//! before it starts (`R309`), a parameter that leaves days of the window
//! without a value, and a benefit none of whose rule versions falls in the
//! window (`R310`).

use super::Checker;
use super::Sym;
use crate::ast::{self, Item};
use crate::diag::codes;
use chrono::NaiveDate;

/// Most uncovered periods one message lists.
const MAX_LISTED: usize = 3;

impl Checker<'_> {
    /// `R309` for a reversed window; `R310` for every parameter and every
    /// benefit with version blocks of the root module that do not cover it.
    pub(super) fn check_in_force(&mut self, root: usize) {
        let Some(ast) = self.module_ast(root) else { return };
        let Some(window) = &ast.header.in_force else { return };
        let (from, until) = (window.from.as_ref().map(|d| d.value), window.until.as_ref().map(|d| d.value));
        if let (Some(f), Some(u)) = (from, until) {
            if u < f {
                self.error(root, codes::IN_FORCE_EMPTY, window.span, format!("the in-force window ends ({u}) before it starts ({f})"))
                    .help =
                    Some("every date is outside it, so every decision is `not_applicable`; swap the dates or correct the year".into());
                return;
            }
        }
        let shown = format!("{} .. {}", from.map(|d| d.to_string()).unwrap_or_default(), until.map(|d| d.to_string()).unwrap_or_default());
        for (k, item) in ast.items.iter().enumerate() {
            self.enter(root, &[k]);
            match item {
                Item::Param(p) => {
                    let Some(Sym::Param(id)) = self.lookup_sym(root, &p.name.name) else { continue };
                    let Some(def) = self.params.get(id.index()) else { continue };
                    if def.versions.is_empty() {
                        continue;
                    }
                    let periods: Vec<(NaiveDate, Option<NaiveDate>)> = def.versions.iter().map(|v| (v.from, v.until)).collect();
                    let gaps = uncovered(&periods, from, until);
                    if !gaps.is_empty() {
                        let msg = format!(
                            "parameter `{}` has no value on some days of the in-force window {shown}: {}",
                            p.name.name,
                            list(&gaps)
                        );
                        self.warning(root, codes::NOT_COVERED, p.name.span, msg).help = Some(
                            "a benefit reading it on such a day is `undetermined`; add a `from DATE => value` for those days, or correct the window"
                                .into(),
                        );
                    }
                }
                Item::Benefit(b) => self.check_version_coverage(root, b, from, until, &shown),
                _ => {}
            }
        }
        self.leave();
    }

    fn check_version_coverage(
        &mut self,
        root: usize,
        b: &ast::BenefitDecl,
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
        shown: &str,
    ) {
        let Some(def) = self.benefits.iter().find(|d| *d.id == *b.id.name) else { return };
        if def.versions.is_empty() {
            return;
        }
        // Days without a version are `not_applicable`, which a policy may
        // mean (a rule that starts later than the notice, as in the Jiaxing
        // 2019 appraisal subsidy); no version on any day of the window is not.
        let inside =
            def.versions.iter().any(|v| until.is_none_or(|u| v.from <= u) && (from.is_none() || v.until.is_none_or(|l| Some(l) >= from)));
        if !inside {
            let msg = format!("no rule version of benefit `{}` falls in the in-force window {shown}", b.id.name);
            self.warning(root, codes::NOT_COVERED, b.id.span, msg).help =
                Some("the benefit is `not_applicable` on every day the policy is in force; correct the version dates or the window".into());
        }
    }
}

/// The parts of the window `[from, until]` (either open) that no period
/// `(start, last day or open)` covers. An open window start is taken from
/// the first period (nothing before it is claimed to be in force).
pub fn uncovered(
    periods: &[(NaiveDate, Option<NaiveDate>)],
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    let mut sorted = periods.to_vec();
    sorted.sort_by_key(|p| p.0);
    let Some(first) = sorted.first() else { return Vec::new() };
    // The first day not yet covered; None once covered to the open end.
    let mut cursor = Some(from.unwrap_or(first.0));
    let mut gaps = Vec::new();
    for &(start, last) in &sorted {
        let Some(c) = cursor else { break };
        if until.is_some_and(|u| c > u) {
            break;
        }
        if c < start {
            let gap_end = start.pred_opt().map(|d| until.map_or(d, |u| d.min(u)));
            gaps.push((c, gap_end));
        }
        cursor = last.map(|l| c.max(l.succ_opt().unwrap_or(l)));
    }
    if let Some(c) = cursor {
        if until.is_none_or(|u| c <= u) {
            gaps.push((c, until));
        }
    }
    gaps
}

fn list(gaps: &[(NaiveDate, Option<NaiveDate>)]) -> String {
    let mut parts: Vec<String> = gaps
        .iter()
        .take(MAX_LISTED)
        .map(|(a, b)| match b {
            Some(b) if b == a => format!("on {a}"),
            Some(b) => format!("from {a} to {b}"),
            None => format!("from {a} on"),
        })
        .collect();
    if gaps.len() > MAX_LISTED {
        parts.push(format!("and {} more periods", gaps.len() - MAX_LISTED));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::uncovered;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn gaps_inside_the_window() {
        let p = [(d("2021-03-01"), Some(d("2021-06-30"))), (d("2021-08-01"), None)];
        assert_eq!(
            uncovered(&p, Some(d("2021-01-01")), Some(d("2021-12-31"))),
            [(d("2021-01-01"), Some(d("2021-02-28"))), (d("2021-07-01"), Some(d("2021-07-31")))]
        );
        assert_eq!(uncovered(&p, None, None), [(d("2021-07-01"), Some(d("2021-07-31")))]);
        let closed = [(d("2021-01-01"), Some(d("2021-06-30")))];
        assert_eq!(uncovered(&closed, Some(d("2021-01-01")), Some(d("2021-06-30"))), []);
        assert_eq!(uncovered(&closed, Some(d("2021-01-01")), None), [(d("2021-07-01"), None)]);
        assert_eq!(uncovered(&closed, Some(d("2021-01-01")), Some(d("2021-07-01"))), [(d("2021-07-01"), Some(d("2021-07-01")))]);
        // Periods outside the window claim nothing.
        assert_eq!(uncovered(&[(d("2020-01-01"), None)], Some(d("2021-01-01")), Some(d("2021-12-31"))), []);
    }
}
