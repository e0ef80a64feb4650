//! What `policy test` gathers while it runs, and the two machine reports:
//! `--format json` (one document) and `--format junit` (JUnit XML, as CI
//! dashboards read it: a `testsuite` per case file, a `testcase` per case, a
//! `failure` per failing case, an `error` suite per file that could not be
//! run).

use crate::support::term::{print_error, Term};
use policy_eval::cases::{Case, CaseFile};
use policy_eval::testing::{CaseReport, Counts, FileReport, Golden};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Every file's cases, and the problems that stopped files from running.
#[derive(Debug, Default)]
pub struct Run {
    /// Case files run, each with its cases' times.
    files: Vec<(FileReport, Vec<Duration>)>,
    /// (file, message) for each file that could not be read or run, and a run where no case ran.
    pub problems: Vec<(String, String)>,
    /// Cases left out by the filters.
    pub filtered_out: usize,
}

impl Run {
    /// Records a problem, printing it for people (`human`).
    pub fn problem(&mut self, human: bool, term: Term, file: &str, message: String) {
        if human {
            print_error(term, &message);
        }
        self.problems.push((file.to_string(), message));
    }

    /// Records a file's cases as run.
    pub fn add(&mut self, report: FileReport, times: Vec<Duration>) {
        self.files.push((report, times));
    }

    /// Records the selected cases of a file whose policy cannot be loaded, each failing with `why`.
    pub fn unloadable(&mut self, path: &Path, file: &CaseFile, select: &dyn Fn(&Case) -> bool, why: String) {
        let cases: Vec<CaseReport> = file
            .cases
            .iter()
            .filter(|c| select(c))
            .map(|c| CaseReport { name: c.name.clone(), trace_file: None, mismatches: vec![why.clone()], golden: Golden::NotCompared })
            .collect();
        let times = vec![Duration::ZERO; cases.len()];
        let report = FileReport { path: path.to_path_buf(), policy: file.policy.clone(), cases, obsolete: Vec::new() };
        self.files.push((report, times));
    }

    /// Cases passed.
    pub fn passed(&self) -> usize {
        self.files.iter().map(|(f, _)| f.passed()).sum()
    }

    /// Cases failed.
    pub fn failed(&self) -> usize {
        self.files.iter().map(|(f, _)| f.failed()).sum()
    }

    /// `--format json`: `{"passed", "failed", "filtered_out", "golden_traces", "files": [{"path",
    /// "policy", "cases": [{"name", "passed", "seconds", "failures", "golden"}], "obsolete_traces"}],
    /// "errors": [{"file", "message"}]}`.
    pub fn json(&self, counts: Counts) -> String {
        let files: Vec<serde_json::Value> = self
            .files
            .iter()
            .map(|(f, times)| {
                let cases: Vec<serde_json::Value> = f
                    .cases
                    .iter()
                    .zip(times)
                    .map(|(c, t)| {
                        serde_json::json!({
                            "name": c.name,
                            "passed": c.passed(),
                            "seconds": t.as_secs_f64(),
                            "failures": failures(c),
                            "golden": golden_word(&c.golden),
                        })
                    })
                    .collect();
                serde_json::json!({
                    "path": f.path.display().to_string(),
                    "policy": f.policy,
                    "cases": cases,
                    "obsolete_traces": f.obsolete.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let errors: Vec<serde_json::Value> =
            self.problems.iter().map(|(file, message)| serde_json::json!({ "file": file, "message": message })).collect();
        let doc = serde_json::json!({
            "passed": self.passed(),
            "failed": self.failed(),
            "filtered_out": self.filtered_out,
            "golden_traces": {
                "unchanged": counts.unchanged,
                "changed": counts.changed,
                "missing": counts.missing,
                "added": counts.added,
                "rewritten": counts.rewritten,
                "errors": counts.errors,
            },
            "files": files,
            "errors": errors,
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// `--format junit`: JUnit XML.
    pub fn junit(&self) -> String {
        let total_time: Duration = self.files.iter().flat_map(|(_, t)| t.iter()).sum();
        let tests: usize = self.files.iter().map(|(f, _)| f.cases.len()).sum();
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"policy test\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
            self.failed(),
            self.problems.len(),
            secs(total_time)
        );
        for (f, times) in &self.files {
            let path = f.path.display().to_string();
            let time: Duration = times.iter().sum();
            let _ = writeln!(
                x,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{}\">",
                attr(&path),
                f.cases.len(),
                f.failed(),
                secs(time)
            );
            for (c, t) in f.cases.iter().zip(times) {
                let head = format!(
                    "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{}\"",
                    attr(&c.name),
                    attr(&f.policy),
                    attr(&path),
                    secs(*t)
                );
                let why = failures(c);
                if why.is_empty() {
                    let _ = writeln!(x, "{head}/>");
                } else {
                    let first = why.first().map(String::as_str).unwrap_or_default();
                    let _ = writeln!(x, "{head}>");
                    let _ = writeln!(x, "      <failure message=\"{}\">{}</failure>", attr(first), text(&why.join("\n")));
                    let _ = writeln!(x, "    </testcase>");
                }
            }
            let _ = writeln!(x, "  </testsuite>");
        }
        for (file, message) in &self.problems {
            let name = if file.is_empty() { "policy test" } else { file.as_str() };
            let _ = writeln!(x, "  <testsuite name=\"{}\" tests=\"0\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">", attr(name));
            let _ = writeln!(x, "    <error message=\"{}\"/>", attr(message));
            let _ = writeln!(x, "  </testsuite>");
        }
        x.push_str("</testsuites>\n");
        x
    }
}

/// Each reason a case failed: its mismatches, then its golden trace's.
fn failures(c: &CaseReport) -> Vec<String> {
    let mut out = c.mismatches.clone();
    match &c.golden {
        Golden::Changed { diff, rules } => {
            let at = if rules.is_empty() { String::new() } else { format!(" at {}", rules.join(", ")) };
            out.push(format!("trace differs from its golden trace{at}\n{diff}"));
        }
        Golden::Missing { required: true } => out.push("no golden trace (required under CI=true)".into()),
        Golden::Error(e) => out.push(e.clone()),
        Golden::Missing { required: false } | Golden::Unchanged | Golden::Added | Golden::Rewritten | Golden::NotCompared => {}
    }
    out
}

/// How the golden trace compared, as one word.
fn golden_word(g: &Golden) -> &'static str {
    match g {
        Golden::Unchanged => "unchanged",
        Golden::Changed { .. } => "changed",
        Golden::Missing { .. } => "missing",
        Golden::Added => "added",
        Golden::Rewritten => "rewritten",
        Golden::NotCompared => "not_compared",
        Golden::Error(_) => "error",
    }
}

/// A time for people: `0.42 ms`, `12 ms`, `1.3 s`.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// Seconds with millisecond digits, as JUnit's `time` wants.
fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Text as XML 1.0 character data: `&`, `<`, `>` escaped; characters XML
/// 1.0 cannot carry at all (C0 controls but tab and line breaks, U+FFFE,
/// U+FFFF) written as `\u{…}`.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as an XML attribute value in double quotes (line breaks kept as character references).
fn attr(s: &str) -> String {
    text(s).replace('"', "&quot;").replace('\n', "&#10;").replace('\r', "&#13;").replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_quotes_and_characters_xml_cannot_carry() {
        assert_eq!(text("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(text("nul\u{0}bell\u{7}"), "nul\\u{0}bell\\u{7}");
        assert_eq!(attr("say \"hi\"\nnow"), "say &quot;hi&quot;&#10;now");
    }

    #[test]
    fn times_read_well() {
        assert_eq!(millis(Duration::from_micros(420)), "0.42 ms");
        assert_eq!(millis(Duration::from_millis(12)), "12 ms");
        assert_eq!(millis(Duration::from_millis(1300)), "1.3 s");
    }
}
