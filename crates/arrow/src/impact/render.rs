//! The impact report for people.

use super::{BenefitImpact, Impact};
use rust_decimal::Decimal;
use std::fmt::Write as _;

fn money(d: Option<Decimal>) -> String {
    d.map(policy_core::value::money_string).unwrap_or_else(|| "overflowed".into())
}

fn signed(d: Decimal) -> String {
    if d > Decimal::ZERO {
        format!("+{}", policy_core::value::money_string(d))
    } else {
        policy_core::value::money_string(d)
    }
}

fn opt_signed(d: Option<Decimal>) -> String {
    d.map(signed).unwrap_or_else(|| "—".into())
}

impl Impact {
    /// The report: per benefit, the status changes, the amount changes,
    /// the total cost before and after, the distribution of the changes,
    /// and examples with both versions' outcomes side by side.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        if self.base_policy == self.new_policy {
            let _ = writeln!(out, "policy impact {}", self.new_policy);
        } else {
            let _ = writeln!(out, "policy impact {} → {}", self.base_policy, self.new_policy);
        }
        let _ = write!(out, "{} applicants", self.applicants);
        if self.base_errors + self.new_errors > 0 {
            let _ = write!(out, " ({} refused by the base version, {} by the new one)", self.base_errors, self.new_errors);
        }
        out.push('\n');
        for b in &self.benefits {
            out.push('\n');
            render_benefit(&mut out, b);
        }
        out
    }
}

fn render_benefit(out: &mut String, b: &BenefitImpact) {
    let _ = writeln!(out, "{}", b.id);
    let _ = writeln!(out, "  {} changed status, {} changed amount only, {} unchanged", b.status_changed, b.amount_changed, b.unchanged);
    let change = b.total_change.map(signed).unwrap_or_else(|| "overflowed".into());
    let _ = writeln!(out, "  total cost: {} → {} ({change})", money(b.total_before), money(b.total_after));
    let width = b.transitions.iter().map(|t| t.from.len() + t.to.len() + 3).max().unwrap_or(0);
    let _ = writeln!(out, "  status (base → new):");
    for t in &b.transitions {
        let pair = format!("{} → {}", t.from, t.to);
        let mark = if t.from == t.to { " " } else { "*" };
        let _ = writeln!(out, "   {mark} {pair:<width$}  {}", t.count);
    }
    let h = &b.changes;
    if h.count > 0 {
        let _ = writeln!(out, "  changes in amount: {} applicants, {} up, {} down", h.count, h.increases, h.decreases);
        match h.width {
            None => {
                let shown: Vec<String> = h.buckets.iter().take(12).map(|k| format!("{} × {}", signed(k.low), k.count)).collect();
                let more = if h.buckets.len() > 12 { format!(", … ({} distinct)", h.buckets.len()) } else { String::new() };
                let _ = writeln!(out, "    {}{more}", shown.join(", "));
            }
            Some(w) => {
                let _ = writeln!(
                    out,
                    "    in {} buckets {} wide, from {} to {}",
                    h.buckets.len(),
                    money(Some(w)),
                    opt_signed(h.min),
                    opt_signed(h.max)
                );
            }
        }
        if !h.quantiles.is_empty() {
            let q: Vec<String> = h.quantiles.iter().map(|q| format!("p{} {}", q.percent, signed(q.value))).collect();
            let _ = writeln!(out, "    min {}, {}, max {}", opt_signed(h.min), q.join(", "), opt_signed(h.max));
        }
    }
    if h.overflowed > 0 {
        let _ = writeln!(out, "    ({} changes overflowed)", h.overflowed);
    }
    let mut kind = "";
    for e in &b.examples {
        if e.kind != kind {
            kind = &e.kind;
            let _ = writeln!(out, "  example: {kind}");
        }
        let _ = writeln!(out, "   row {}:", e.row);
        out.push_str(&e.witness.render_text());
    }
}
