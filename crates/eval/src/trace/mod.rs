//! The explained trace: a tree per benefit, each node with its kind, source
//! span and text, the values it read, its result and its citation. Recorded
//! as an event log while deciding (`log`) and built as a tree only when
//! asked for; rendered as JSON (serde) or as text for people.
//!
//! Names, labels, citations and sources are reference-counted text shared
//! with the plan: building a tree copies none of them.

use policy_core::checked::{CheckedPolicy, Citation, Type};
use policy_core::value::Value;
use std::sync::Arc;

/// How much to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceLevel {
    /// Nothing: no trace is built.
    #[default]
    Off,
    /// Benefits, their conditions and amount steps, without read values or nested steps.
    Summary,
    /// Everything.
    Full,
}

/// The trace of one decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trace {
    /// Level recorded.
    pub level: TraceLevel,
    /// One root node per benefit decided.
    pub benefits: Vec<TraceNode>,
}

impl TraceLevel {
    /// The snake_case name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            TraceLevel::Off => "off",
            TraceLevel::Summary => "summary",
            TraceLevel::Full => "full",
        }
    }
}

/// What a node records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A benefit (root).
    Benefit,
    /// The benefit's date and in-force check.
    DateCheck,
    /// Which rule version applied.
    Version,
    /// `applies_when`.
    Scope,
    /// `require`.
    Require,
    /// `exclude`.
    Exclude,
    /// A `let` evaluated.
    Let,
    /// A dated parameter read.
    Param,
    /// A table lookup.
    TableLookup,
    /// Step tiers.
    Tier,
    /// A scale (per-day schedule, brackets).
    Schedule,
    /// The base amount.
    Amount,
    /// A cap.
    Cap,
    /// An uplift.
    Uplift,
    /// An exception overriding the amount.
    Exception,
    /// An entitlement.
    Entitlement,
    /// A document required.
    Document,
    /// A deadline.
    Deadline,
    /// A computed output (`output`).
    Output,
    /// A call of a declared function (`fn`), in a full trace.
    Call,
}

impl NodeKind {
    /// The snake_case name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Benefit => "benefit",
            NodeKind::DateCheck => "date_check",
            NodeKind::Version => "version",
            NodeKind::Scope => "scope",
            NodeKind::Require => "require",
            NodeKind::Exclude => "exclude",
            NodeKind::Let => "let",
            NodeKind::Param => "param",
            NodeKind::TableLookup => "table_lookup",
            NodeKind::Tier => "tier",
            NodeKind::Schedule => "schedule",
            NodeKind::Amount => "amount",
            NodeKind::Cap => "cap",
            NodeKind::Uplift => "uplift",
            NodeKind::Exception => "exception",
            NodeKind::Entitlement => "entitlement",
            NodeKind::Document => "document",
            NodeKind::Deadline => "deadline",
            NodeKind::Output => "output",
            NodeKind::Call => "call",
        }
    }
}

/// Where a node's source text is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceRef {
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// The policy text of the step.
    pub text: String,
}

/// A value read by a step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Read {
    /// What was read (fact, let, parameter, external…).
    pub name: Arc<str>,
    /// Its value, shown by type (money `"1200.00"`, percent `"70%"`, …).
    pub value: String,
}

/// How a node came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Condition met / step applied.
    Pass,
    /// Condition failed against the applicant / step did not apply.
    Fail,
    /// Could not be decided.
    Unknown,
    /// Informational.
    Info,
}

impl Verdict {
    /// The snake_case name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unknown => "unknown",
            Verdict::Info => "info",
        }
    }
}

/// One step of the trace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceNode {
    /// Kind of step.
    pub kind: NodeKind,
    /// Stable id (benefit, condition, let, table…).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<Arc<str>>,
    /// Human label.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub label: Option<Arc<str>>,
    /// How it came out.
    pub verdict: Verdict,
    /// Its result, shown by type.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<String>,
    /// A sentence explaining the result where the kind needs one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    /// The policy source of the step (shared with the plan, which keeps one
    /// per span traced).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<Arc<SourceRef>>,
    /// Values it read, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub reads: Vec<Read>,
    /// Citation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub citation: Option<Citation>,
    /// Nested steps.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub children: Vec<TraceNode>,
    /// Which branch decided, 0-based: for `tier`, the tier that matched (the
    /// number of tiers when `else` applied); for `table_lookup`, the row
    /// found. Tools (coverage, the viewer) read it; the text does not show it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub branch: Option<usize>,
}

impl TraceNode {
    /// A node of `kind` with nothing recorded yet.
    pub fn new(kind: NodeKind) -> Self {
        TraceNode {
            kind,
            id: None,
            label: None,
            verdict: Verdict::Info,
            result: None,
            note: None,
            source: None,
            reads: Vec::new(),
            citation: None,
            children: Vec::new(),
            branch: None,
        }
    }
}

/// Shows a value by its static type.
pub fn show_value(p: &CheckedPolicy, v: &Value, ty: &Type) -> String {
    match (v, ty) {
        (Value::Num(_) | Value::Bool(_) | Value::Date(_) | Value::Text(_) | Value::Enum(_), _) => {
            let mut out = String::with_capacity(12);
            push_value(&mut out, p, v, ty);
            out
        }
        _ => show_composite(p, v, ty),
    }
}

/// Appends a value as [`show_value`] shows it, without a string of its
/// own for a number, a boolean, a date, a text or an enum variant.
pub fn push_value(out: &mut String, p: &CheckedPolicy, v: &Value, ty: &Type) {
    match (v, ty) {
        (Value::Num(d), Type::Money) => policy_core::value::push_plain(out, *d, 2),
        (Value::Num(d), Type::Percent) => policy_core::value::push_percent(out, *d),
        (Value::Num(d), Type::Quantity(u)) => {
            policy_core::value::push_plain(out, *d, 0);
            out.push(' ');
            out.push_str(p.units.get(u.index()).map(|u| u.name.as_str()).unwrap_or(""));
        }
        (Value::Num(d), _) => policy_core::value::push_plain(out, *d, 0),
        (Value::Bool(b), _) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Date(d), _) => policy_core::value::push_date(out, *d),
        (Value::Text(s), _) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        (Value::Enum(i), Type::Enum(e)) => match p.enums.get(e.index()).and_then(|e| e.variants.get(*i as usize)) {
            Some((n, Some(l))) => {
                out.push_str(n);
                out.push_str(" (");
                out.push_str(l);
                out.push(')');
            }
            Some((n, None)) => out.push_str(n),
            None => {
                out.push('#');
                out.push_str(&i.to_string());
            }
        },
        (Value::Enum(i), _) => {
            out.push('#');
            out.push_str(&i.to_string());
        }
        _ => out.push_str(&show_composite(p, v, ty)),
    }
}

/// [`show_value`] of a duration, a record or a list.
fn show_composite(p: &CheckedPolicy, v: &Value, ty: &Type) -> String {
    match (v, ty) {
        (Value::Duration(d), _) => format!("{} {:?}", d.amount, d.unit).to_lowercase(),
        (Value::Record(fields), Type::Record(r)) => {
            let def = p.records.get(r.index());
            let parts: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| match def.and_then(|d| d.fields.get(i)) {
                    Some((name, fty, _)) => format!("{name}: {}", show_value(p, f, fty)),
                    None => format!("{f:?}"),
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        (Value::Record(_), _) => "{…}".into(),
        (Value::List(xs), Type::List(elem)) => {
            if xs.len() <= 3 && !matches!(**elem, Type::Record(_)) {
                format!("[{}]", xs.iter().map(|x| show_value(p, x, elem)).collect::<Vec<_>>().join(", "))
            } else {
                format!("[{} item{}]", xs.len(), if xs.len() == 1 { "" } else { "s" })
            }
        }
        (Value::List(xs), _) => format!("[{} items]", xs.len()),
        _ => {
            let mut out = String::new();
            push_value(&mut out, p, v, ty);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `push_value` writes what the formatter gave before it (the
    /// reference), for every scalar kind, at edges of scale and sign.
    #[test]
    fn pushed_values_are_the_references() {
        use policy_core::loader::MemoryLoader;
        let mut loader = MemoryLoader::new();
        loader.add_policy(
            "t.policy",
            "policy t.p \"测试\"\nunit hour \"小时\"\nenum kind \"类\" { a \"甲\", b }\ninput k: kind \"类\"\ninput h: hour \"时\"\nbenefit b \"补贴\" {\n  require k == kind.a \"甲\"\n  amount h / 1 hour * 1 yuan\n}\n",
        );
        let engine = crate::Engine::from_loader(&loader).unwrap();
        let p = engine.plan("t.p").unwrap().policy();
        let nums =
            ["0", "-0.00", "1", "-1.50", "1200", "0.70", "79228162514264337593543950335", "0.0000000000000000000000000001", "12.345000"];
        let types = [Type::Money, Type::Percent, Type::Int, Type::Decimal, Type::Quantity(policy_core::checked::UnitId(0))];
        let mut values: Vec<(Value, Type)> = Vec::new();
        for n in nums {
            for t in &types {
                values.push((Value::Num(n.parse().unwrap()), t.clone()));
            }
        }
        values.push((Value::Bool(true), Type::Bool));
        values.push((Value::Bool(false), Type::Bool));
        values.push((Value::Date(chrono::NaiveDate::MIN), Type::Date));
        values.push((Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()), Type::Date));
        values.push((Value::Text(Arc::from("嘉兴 \"x\"")), Type::Text));
        for i in 0..3 {
            values.push((Value::Enum(i), Type::Enum(policy_core::checked::EnumId(0))));
            values.push((Value::Enum(i), Type::Int));
        }
        // How a scalar was shown before `push_value`, with the formatter.
        use policy_core::value::{money_string, percent_string, push_plain};
        let plain = |d: &rust_decimal::Decimal| {
            let mut out = String::new();
            push_plain(&mut out, *d, 0);
            out
        };
        let reference = |v: &Value, ty: &Type| -> String {
            match (v, ty) {
                (Value::Num(d), Type::Money) => money_string(*d),
                (Value::Num(d), Type::Percent) => percent_string(*d),
                (Value::Num(d), Type::Quantity(u)) => format!("{} {}", plain(d), p.units[u.index()].name),
                (Value::Num(d), _) => plain(d),
                (Value::Bool(b), _) => b.to_string(),
                (Value::Date(d), _) => d.to_string(),
                (Value::Text(s), _) => format!("\"{s}\""),
                (Value::Enum(i), Type::Enum(e)) => p.enums[e.index()]
                    .variants
                    .get(*i as usize)
                    .map(|(n, l)| match l {
                        Some(l) => format!("{n} ({l})"),
                        None => n.clone(),
                    })
                    .unwrap_or_else(|| format!("#{i}")),
                (Value::Enum(i), _) => format!("#{i}"),
                _ => unreachable!(),
            }
        };
        for (v, t) in values {
            let mut out = String::from("»");
            push_value(&mut out, p, &v, &t);
            assert_eq!(out, format!("»{}", reference(&v, &t)), "{v:?} as {t:?}");
            assert_eq!(show_value(p, &v, &t), reference(&v, &t));
        }
    }

    /// The names `as_str` gives are serde's.
    #[test]
    fn names_are_serdes() {
        use NodeKind::*;
        for k in [
            Benefit,
            DateCheck,
            Version,
            Scope,
            Require,
            Exclude,
            Let,
            Param,
            TableLookup,
            Tier,
            Schedule,
            Amount,
            Cap,
            Uplift,
            Exception,
            Entitlement,
            Document,
            Deadline,
            Output,
            Call,
        ] {
            assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{}\"", k.as_str())));
        }
        for v in [Verdict::Pass, Verdict::Fail, Verdict::Unknown, Verdict::Info] {
            assert_eq!(serde_json::to_string(&v).ok(), Some(format!("\"{}\"", v.as_str())));
        }
        for l in [TraceLevel::Off, TraceLevel::Summary, TraceLevel::Full] {
            assert_eq!(serde_json::to_string(&l).ok(), Some(format!("\"{}\"", l.as_str())));
        }
    }
}
