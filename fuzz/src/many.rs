//! Many-benefit policies from small inputs: the last `benefit` block of a
//! policy text is copied `n` times under new ids, so that a fuzz input of a
//! few hundred bytes reaches the work of a policy with hundreds of benefits
//! (libFuzzer's inputs stay small). Shared by the `eval_many_benefits`
//! target and `crates/eval/tests/fuzz_harness.rs`; depends on `std` only.

/// Most copies made, `1 + 2 * 255` (a 50 KB policy with 400 benefits once
/// cost 62 s per decision).
pub const MAX_COPIES: usize = 511;

/// Splits `data` into (copies, policy text, facts JSON): the first byte
/// gives `1 + 2 * byte` copies, then the policy, a NUL, and the facts
/// (`{}` when there is no NUL).
pub fn split(data: &[u8]) -> Option<(usize, &str, &str)> {
    let (&count, rest) = data.split_first()?;
    let (policy, facts) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (rest.get(..i)?, rest.get(i + 1..)?),
        None => (rest, &b"{}"[..]),
    };
    let copies = (1 + 2 * usize::from(count)).min(MAX_COPIES);
    Some((copies, std::str::from_utf8(policy).ok()?, std::str::from_utf8(facts).ok()?))
}

/// `text` with its last `benefit NAME` block (from that line to the end)
/// appended `copies` more times, each renamed `NAME_k`. `None` when there
/// is no line starting with `benefit `.
pub fn replicate_last_benefit(text: &str, copies: usize) -> Option<String> {
    let start = text.rmatch_indices("\nbenefit ").next().map(|(i, _)| i + 1).or_else(|| text.starts_with("benefit ").then_some(0))?;
    let block = text.get(start..)?;
    let after = block.strip_prefix("benefit ")?;
    let name_len = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
    let (name, tail) = after.split_at(name_len);
    if name.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + block.len().saturating_mul(copies));
    out.push_str(text);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for k in 0..copies {
        out.push_str(&format!("benefit {name}_{k}{tail}"));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Some(out)
}
