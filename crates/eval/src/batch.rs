//! Deciding many applicants at once: a slice of facts (or of JSON texts)
//! decided against one plan, results in input order. With the default
//! feature `parallel` the batch is spread over the cores with rayon; without
//! it the batch is decided in order on the calling thread. Either way each
//! result is exactly what [`Plan::decide`] returns for that applicant.

use crate::decide::DecideOptions;
use crate::decision::Decision;
use crate::error::EvalError;
use crate::facts::Facts;
use crate::plan::Plan;

/// Fewest applicants one parallel task takes: a decision costs a few
/// microseconds, so smaller tasks would spend more on scheduling than on
/// deciding.
#[cfg(feature = "parallel")]
const MIN_PER_TASK: usize = 64;

/// Applicants [`DecideIter`] (and `policy eval --facts-lines`) gather
/// before deciding them as one batch. Measured (`docs/performance.md`): a
/// Jiaxing decision is about 1.5 KB of heap, and chunks of a few hundred keep
/// a chunk's decisions in the core's cache; at 4096 and more a decision costs
/// two to three times as much.
pub const DEFAULT_CHUNK: usize = 256;

impl Plan {
    /// Decides every applicant of `facts`; the results are in input order,
    /// one per applicant, each equal to `self.decide(&facts[i], opts)`.
    ///
    /// With the `parallel` feature (default) the work is spread over rayon's
    /// global thread pool (call it inside a rayon `ThreadPool::install` to
    /// choose the threads); without it, a loop on the calling thread.
    pub fn decide_batch(&self, facts: &[Facts], opts: &DecideOptions) -> Vec<Result<Decision, EvalError>> {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            facts.par_iter().with_min_len(MIN_PER_TASK).map_init(|| self.decider(), |d, f| d.decide(f, opts).cloned()).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            let mut d = self.decider();
            facts.iter().map(|f| d.decide(f, opts).cloned()).collect()
        }
    }

    /// Decides every applicant of `facts` and hands each decision, by
    /// reference with its index, to `visit`, keeping none: the way to
    /// re-check millions of claims and aggregate (count, sum, write out).
    /// Each worker decides with its own [`crate::Decider`], so with the trace
    /// off nothing is allocated per decision.
    ///
    /// With the `parallel` feature (default) `visit` is called from rayon's
    /// threads in no particular order (the index says which applicant);
    /// without it, in order on the calling thread.
    pub fn decide_each<F>(&self, facts: &[Facts], opts: &DecideOptions, visit: F)
    where
        F: Fn(usize, Result<&Decision, EvalError>) + Sync + Send,
    {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            facts
                .par_iter()
                .enumerate()
                .with_min_len(MIN_PER_TASK)
                .for_each_init(|| self.decider(), |d, (i, f)| visit(i, d.decide(f, opts)));
        }
        #[cfg(not(feature = "parallel"))]
        {
            let mut d = self.decider();
            for (i, f) in facts.iter().enumerate() {
                visit(i, d.decide(f, opts));
            }
        }
    }

    /// Decodes and decides every JSON text of `texts` (each a facts object,
    /// as [`Plan::facts_from_str`] takes); the results are in input order. A
    /// text that does not decode gives its `EvalError::Facts` in its place
    /// and the rest are decided. Decoding is spread over the cores too.
    pub fn decide_json_batch<S: AsRef<str> + Sync>(&self, texts: &[S], opts: &DecideOptions) -> Vec<Result<Decision, EvalError>> {
        let one = |t: &S| self.facts_from_str(t.as_ref()).and_then(|f| self.decide(&f, opts));
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            texts.par_iter().with_min_len(MIN_PER_TASK).map(one).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            texts.iter().map(one).collect()
        }
    }

    /// Decides a stream of applicants lazily: facts are gathered `chunk` at a
    /// time (at least 1) and each chunk is decided with
    /// [`Plan::decide_batch`]; the iterator yields the results in input
    /// order. Memory stays bounded by one chunk of facts and decisions.
    pub fn decide_iter<'a, I>(&'a self, facts: I, opts: &'a DecideOptions, chunk: usize) -> DecideIter<'a, I::IntoIter>
    where
        I: IntoIterator<Item = Facts>,
    {
        DecideIter { plan: self, opts, input: facts.into_iter(), chunk: chunk.max(1), ready: std::collections::VecDeque::new() }
    }
}

/// The iterator of [`Plan::decide_iter`].
#[derive(Debug)]
pub struct DecideIter<'a, I> {
    plan: &'a Plan,
    opts: &'a DecideOptions,
    input: I,
    chunk: usize,
    ready: std::collections::VecDeque<Result<Decision, EvalError>>,
}

impl<I: Iterator<Item = Facts>> Iterator for DecideIter<'_, I> {
    type Item = Result<Decision, EvalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() {
            let facts: Vec<Facts> = self.input.by_ref().take(self.chunk).collect();
            if facts.is_empty() {
                return None;
            }
            self.ready.extend(self.plan.decide_batch(&facts, self.opts));
        }
        self.ready.pop_front()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self.input.size_hint();
        (low.saturating_add(self.ready.len()), high.and_then(|h| h.checked_add(self.ready.len())))
    }
}

#[cfg(test)]
mod tests {
    use crate::cases::CaseFile;
    use crate::{DecideOptions, Engine, Facts, Plan, TraceLevel};
    use std::path::Path;

    fn policies() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
    }

    /// Every golden case's facts for `file`, with its reference date.
    fn cases(plan: &Plan, file: &str) -> Vec<(Facts, Option<chrono::NaiveDate>, String)> {
        let text = std::fs::read_to_string(policies().join(file)).unwrap();
        let cf: CaseFile = serde_json::from_str(&text).unwrap();
        cf.cases.iter().map(|c| (plan.facts_from_json(&c.facts).unwrap(), c.as_of, c.facts.to_string())).collect()
    }

    const FILES: [(&str, &str); 6] = [
        ("jiaxing.digital_training_2021", "jiaxing/digital_training_2021.cases.json"),
        ("jiaxing.skills_upgrading_2019", "jiaxing/skills_upgrading_2019.cases.json"),
        ("datong.big_data_training_2022", "datong/big_data_training_2022.cases.json"),
        ("hangzhou.skills_upgrading_2020", "hangzhou/skills_upgrading_2020.cases.json"),
        ("zhejiang.digital_engineer_2023", "zhejiang/digital_engineer_2023.cases.json"),
        ("jinhua.digital_engineer_2024", "jinhua/digital_engineer_2024.cases.json"),
    ];

    #[test]
    fn batch_equals_sequential_decisions_in_order() {
        let engine = Engine::from_dir(policies()).unwrap();
        for (id, file) in FILES {
            let plan = engine.plan(id).unwrap();
            let cs = cases(plan, file);
            // Repeat the cases so the batch is split across tasks and threads,
            // with one reference date for the whole batch (as the CLI does).
            let facts: Vec<Facts> = cs.iter().map(|c| c.0.clone()).cycle().take(cs.len() * 8).collect();
            for trace in [TraceLevel::Off, TraceLevel::Full] {
                let opts = DecideOptions { reference_date: cs.first().and_then(|c| c.1), trace, ..Default::default() };
                let want: Vec<_> = facts.iter().map(|f| plan.decide(f, &opts)).collect();
                let got = plan.decide_batch(&facts, &opts);
                assert_eq!(got.len(), want.len(), "{id}");
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g, w, "{id}: applicant {i} differs");
                }
                let streamed: Vec<_> = plan.decide_iter(facts.iter().cloned(), &opts, 7).collect();
                assert_eq!(streamed, want, "{id}: decide_iter");
            }
        }
    }

    #[test]
    fn decide_each_visits_every_applicant_once_with_its_decision() {
        let engine = Engine::from_dir(policies()).unwrap();
        for (id, file) in FILES {
            let plan = engine.plan(id).unwrap();
            let cs = cases(plan, file);
            let facts: Vec<Facts> = cs.iter().map(|c| c.0.clone()).cycle().take(cs.len() * 8).collect();
            let opts = DecideOptions { reference_date: cs.first().and_then(|c| c.1), ..Default::default() };
            let seen: Vec<std::sync::Mutex<Option<crate::Decision>>> = facts.iter().map(|_| std::sync::Mutex::new(None)).collect();
            plan.decide_each(&facts, &opts, |i, d| {
                let mut slot = seen[i].lock().unwrap();
                assert!(slot.is_none(), "{id}: applicant {i} visited twice");
                *slot = Some(d.unwrap().clone());
            });
            for (i, (f, s)) in facts.iter().zip(seen).enumerate() {
                assert_eq!(s.into_inner().unwrap(), Some(plan.decide(f, &opts).unwrap()), "{id}: applicant {i}");
            }
        }
    }

    #[test]
    fn json_batch_decodes_each_text_and_keeps_bad_ones_in_place() {
        let engine = Engine::from_dir(policies()).unwrap();
        let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
        let cs = cases(plan, "jiaxing/digital_training_2021.cases.json");
        let mut texts: Vec<String> = cs.iter().map(|c| c.2.clone()).collect();
        texts.insert(3, "{not json".into());
        texts.insert(5, r#"{"clock_hours": "many"}"#.into());
        let opts = DecideOptions { reference_date: "2021-10-15".parse().ok(), ..Default::default() };
        let got = plan.decide_json_batch(&texts, &opts);
        assert_eq!(got.len(), texts.len());
        for (t, g) in texts.iter().zip(&got) {
            let want = plan.facts_from_str(t).and_then(|f| plan.decide(&f, &opts));
            assert_eq!(g, &want);
        }
        assert!(matches!(got[3], Err(crate::EvalError::Facts(_))));
        assert!(matches!(got[5], Err(crate::EvalError::Facts(_))));
    }

    #[test]
    fn empty_batch_and_unknown_benefit() {
        let engine = Engine::from_dir(policies()).unwrap();
        let plan = engine.plan("datong.big_data_training_2022").unwrap();
        assert!(plan.decide_batch(&[], &DecideOptions::default()).is_empty());
        assert_eq!(plan.decide_iter(Vec::new(), &DecideOptions::default(), 0).count(), 0);
        let opts = DecideOptions { benefits: vec!["nope".into()], ..Default::default() };
        let got = plan.decide_batch(&[Facts::empty(plan), Facts::empty(plan)], &opts);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|r| matches!(r, Err(crate::EvalError::UnknownBenefit(_)))));
    }
}
