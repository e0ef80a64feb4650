//! A decision's JSON written in one pass into a reused buffer: the bytes
//! `serde_json::to_string` gives for the same decision (the serde derive on
//! [`Decision`] stays the reference and the reader; a test compares the two
//! on every golden case of every bundled policy and on text that needs
//! escaping), without a serializer's per-byte escaping or an allocation per
//! money figure. The service path (`Decider::decide`, then
//! [`Decision::write_json`]) allocates nothing once its buffer has grown.
//!
//! A trace in the decision is written by serde; a trace recorded as an
//! event log (`Decider::decide_logged`) is written straight from the log
//! (`tracelog/json.rs`), the same bytes without building the tree.

use crate::decision::{
    AmountRange, BenefitDecision, DateSource, DateUsed, Deadline, Decision, Failure, FailureKind, Outcome, OutputScalar, OutputValue,
    PolicyRef, Status, Warning,
};
use crate::jsonbytes::{citation, string, uint};
use chrono::NaiveDate;
use policy_core::checked::Payee;
use rust_decimal::Decimal;

impl Decision {
    /// Appends the decision's JSON to `out`: exactly what
    /// `serde_json::to_string(self)` gives, in one pass.
    pub fn write_json(&self, out: &mut String) {
        self.write_json_with(out, None);
    }

    /// [`Decision::write_json`], the trace written from `log` when the
    /// decision holds none.
    pub(crate) fn write_json_with(&self, out: &mut String, log: Option<(&crate::tracelog::Log, &crate::plan::Plan)>) {
        out.push_str("{\"schema_version\":");
        uint(out, self.schema_version);
        out.push_str(",\"policy\":");
        policy(out, &self.policy);
        out.push_str(",\"engine_version\":");
        string(out, &self.engine_version);
        out.push_str(",\"reference_date\":");
        match self.reference_date {
            Some(d) => date(out, d),
            None => out.push_str("null"),
        }
        out.push_str(",\"benefits\":[");
        for (i, b) in self.benefits.iter().enumerate() {
            comma(out, i);
            benefit(out, b);
        }
        out.push(']');
        if !self.warnings.is_empty() {
            out.push_str(",\"warnings\":[");
            for (i, w) in self.warnings.iter().enumerate() {
                comma(out, i);
                warning(out, w);
            }
            out.push(']');
        }
        match (&self.trace, log) {
            (Some(t), _) => {
                out.push_str(",\"trace\":");
                match serde_json::to_string(t) {
                    Ok(s) => out.push_str(&s),
                    // A trace is plain data; serde cannot fail on it.
                    Err(_) => out.push_str("null"),
                }
            }
            (None, Some((log, plan))) if log.level != crate::trace::TraceLevel::Off => {
                out.push_str(",\"trace\":");
                log.write_json(plan, out);
            }
            _ => {}
        }
        out.push('}');
    }
}

fn comma(out: &mut String, i: usize) {
    if i > 0 {
        out.push(',');
    }
}

fn date(out: &mut String, d: NaiveDate) {
    out.push('"');
    policy_core::value::push_date(out, d);
    out.push('"');
}

fn money(out: &mut String, d: Decimal) {
    out.push('"');
    policy_core::value::push_plain(out, d, 2);
    out.push('"');
}

fn strings<S: AsRef<str>>(out: &mut String, xs: &[S]) {
    out.push('[');
    for (i, x) in xs.iter().enumerate() {
        comma(out, i);
        string(out, x.as_ref());
    }
    out.push(']');
}

fn policy(out: &mut String, p: &PolicyRef) {
    out.push_str("{\"id\":");
    string(out, &p.id);
    out.push_str(",\"title\":");
    string(out, &p.title);
    out.push_str(",\"documents\":");
    strings(out, &p.documents);
    out.push_str(",\"version\":");
    match &p.version {
        Some(v) => string(out, v),
        None => out.push_str("null"),
    }
    if let Some(a) = &p.amends {
        out.push_str(",\"amends\":");
        string(out, a);
    }
    out.push_str(",\"content_hash\":");
    string(out, &p.content_hash);
    out.push('}');
}

fn status_str(s: Status) -> &'static str {
    s.as_str()
}

fn payee_str(p: Payee) -> &'static str {
    match p {
        Payee::Person => "person",
        Payee::Enterprise => "enterprise",
        Payee::TrainingInstitution => "training_institution",
        Payee::EvaluationInstitution => "evaluation_institution",
        Payee::Organiser => "organiser",
    }
}

fn kind_str(k: FailureKind) -> &'static str {
    match k {
        FailureKind::Require => "require",
        FailureKind::Exclude => "exclude",
        FailureKind::Scope => "scope",
        FailureKind::NoRow => "no_row",
        FailureKind::NoTier => "no_tier",
        FailureKind::NotInForce => "not_in_force",
        FailureKind::NoVersion => "no_version",
    }
}

fn benefit(out: &mut String, b: &BenefitDecision) {
    out.push_str("{\"id\":");
    string(out, &b.id);
    out.push_str(",\"label\":");
    string(out, &b.label);
    out.push_str(",\"status\":\"");
    out.push_str(status_str(b.status));
    out.push('"');
    if let Some(a) = b.amount {
        out.push_str(",\"amount\":");
        money(out, a);
    }
    if let Some(r) = &b.amount_range {
        out.push_str(",\"amount_range\":");
        range(out, r);
    }
    if let Some(p) = &b.period {
        out.push_str(",\"period\":");
        string(out, p);
    }
    if let Some(p) = b.payee {
        out.push_str(",\"payee\":\"");
        out.push_str(payee_str(p));
        out.push('"');
    }
    if let Some(d) = &b.date {
        out.push_str(",\"date\":");
        date_used(out, d);
    }
    if let Some(v) = b.version {
        out.push_str(",\"version\":");
        date(out, v);
    }
    if !b.failed.is_empty() {
        out.push_str(",\"failed\":[");
        for (i, f) in b.failed.iter().enumerate() {
            comma(out, i);
            failure(out, f);
        }
        out.push(']');
    }
    if !b.missing.is_empty() {
        out.push_str(",\"missing\":");
        strings(out, &b.missing);
    }
    if !b.errors.is_empty() {
        out.push_str(",\"errors\":");
        strings(out, &b.errors);
    }
    for (key, xs) in [("entitlements", &b.entitlements), ("documents", &b.documents)] {
        if !xs.is_empty() {
            out.push_str(",\"");
            out.push_str(key);
            out.push_str("\":[");
            for (i, o) in xs.iter().enumerate() {
                comma(out, i);
                outcome(out, o);
            }
            out.push(']');
        }
    }
    if !b.deadlines.is_empty() {
        out.push_str(",\"deadlines\":[");
        for (i, d) in b.deadlines.iter().enumerate() {
            comma(out, i);
            deadline(out, d);
        }
        out.push(']');
    }
    if !b.outputs.is_empty() {
        out.push_str(",\"outputs\":[");
        for (i, o) in b.outputs.iter().enumerate() {
            comma(out, i);
            output(out, o);
        }
        out.push(']');
    }
    citation(out, &b.citation);
    out.push('}');
}

fn range(out: &mut String, r: &AmountRange) {
    out.push_str("{\"low\":");
    money(out, r.low);
    out.push_str(",\"high\":");
    money(out, r.high);
    out.push_str(",\"set_by\":");
    string(out, &r.set_by);
    out.push_str(",\"criteria\":");
    strings(out, &r.criteria);
    out.push('}');
}

fn date_used(out: &mut String, d: &DateUsed) {
    out.push_str("{\"date\":");
    date(out, d.date);
    out.push_str(match d.source {
        DateSource::Reference => ",\"source\":\"reference\"",
        DateSource::DatedBy => ",\"source\":\"dated_by\"",
    });
    if let Some(l) = &d.label {
        out.push_str(",\"label\":");
        string(out, l);
    }
    out.push('}');
}

fn failure(out: &mut String, f: &Failure) {
    out.push_str("{\"id\":");
    string(out, &f.id);
    out.push_str(",\"kind\":\"");
    out.push_str(kind_str(f.kind));
    out.push_str("\",\"label\":");
    string(out, &f.label);
    citation(out, &f.citation);
    out.push('}');
}

fn outcome(out: &mut String, o: &Outcome) {
    out.push_str("{\"label\":");
    string(out, &o.label);
    citation(out, &o.citation);
    if !o.depends_on.is_empty() {
        out.push_str(",\"depends_on\":");
        strings(out, &o.depends_on);
    }
    out.push('}');
}

fn deadline(out: &mut String, d: &Deadline) {
    out.push_str("{\"label\":");
    string(out, &d.label);
    out.push_str(",\"date\":");
    date(out, d.date);
    citation(out, &d.citation);
    out.push('}');
}

fn output(out: &mut String, o: &OutputValue) {
    out.push_str("{\"id\":");
    string(out, &o.id);
    if let Some(l) = &o.label {
        out.push_str(",\"label\":");
        string(out, l);
    }
    out.push_str(",\"type\":");
    string(out, &o.ty);
    out.push_str(",\"value\":");
    match &o.value {
        OutputScalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        OutputScalar::Text(t) => string(out, t),
    }
    citation(out, &o.citation);
    out.push('}');
}

fn warning(out: &mut String, w: &Warning) {
    out.push('{');
    if let Some(f) = &w.fact {
        out.push_str("\"fact\":");
        string(out, f);
        out.push(',');
    }
    out.push_str("\"message\":");
    string(out, &w.message);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Text that needs every kind of escape, in every string field.
    #[test]
    fn escapes_like_serde() {
        let odd = "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} 中文 é \u{2028}";
        let cite = Some(policy_core::checked::Citation { document: Arc::from(odd), clause: Arc::from("一"), quote: Some(Arc::from(odd)) });
        let b = BenefitDecision {
            id: Arc::from(odd),
            label: Arc::from(odd),
            status: Status::Undetermined,
            amount: Some(Decimal::new(-12345, 3)),
            amount_range: Some(AmountRange {
                low: Decimal::ZERO,
                high: Decimal::MAX,
                set_by: Arc::from(odd),
                criteria: Arc::from([Arc::from(odd), Arc::from("")]),
            }),
            period: Some(Arc::from(odd)),
            payee: Some(Payee::EvaluationInstitution),
            date: Some(DateUsed { date: NaiveDate::MIN, source: DateSource::Reference, label: Some(Arc::from(odd)) }),
            version: Some(NaiveDate::MAX),
            failed: vec![
                Failure { id: Arc::from(odd), kind: FailureKind::NoVersion, label: Arc::from(odd), citation: cite.clone() },
                Failure { id: Arc::from("x"), kind: FailureKind::NoRow, label: Arc::from(""), citation: None },
            ],
            missing: vec![Arc::from(odd)],
            errors: vec![odd.into()],
            entitlements: vec![Outcome { label: Arc::from(odd), citation: cite.clone(), depends_on: vec![Arc::from(odd)] }],
            documents: vec![Outcome { label: Arc::from(odd), citation: None, depends_on: vec![] }],
            deadlines: vec![Deadline {
                label: Arc::from(odd),
                date: NaiveDate::from_ymd_opt(12, 1, 2).unwrap_or_default(),
                citation: cite.clone(),
            }],
            outputs: vec![
                OutputValue { id: Arc::from(odd), label: None, ty: Arc::from("bool"), value: OutputScalar::Bool(false), citation: None },
                OutputValue {
                    id: Arc::from("t"),
                    label: Some(Arc::from(odd)),
                    ty: Arc::from(odd),
                    value: OutputScalar::Text(odd.into()),
                    citation: cite.clone(),
                },
            ],
            citation: cite,
        };
        let d = Decision {
            schema_version: 4_294_967_295,
            policy: Arc::new(PolicyRef {
                id: odd.into(),
                title: odd.into(),
                documents: vec![odd.into(), String::new()],
                version: None,
                amends: Some(odd.into()),
                content_hash: "abc".into(),
            }),
            engine_version: Arc::from(odd),
            reference_date: NaiveDate::from_ymd_opt(2024, 2, 29),
            benefits: vec![b.clone(), BenefitDecision { amount: Some(Decimal::new(5, 0)), amount_range: None, ..b }],
            warnings: vec![Warning { fact: Some(odd.into()), message: odd.into() }, Warning { fact: None, message: String::new() }],
            trace: None,
        };
        let mut out = String::new();
        d.write_json(&mut out);
        assert_eq!(out, serde_json::to_string(&d).unwrap_or_default());
    }
}
