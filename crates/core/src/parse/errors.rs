//! pest's errors as diagnostics: what was expected, in the author's words
//! (keywords, rule names), reserved words, and which tokens are keywords.

use super::prescan::{CLAUSE_KEYWORDS, ITEM_KEYWORDS};
use super::Rule;
use crate::ast::Span;
use crate::diag::{codes, Diagnostic};
use std::sync::Arc;

pub(super) fn syntax_error(name: &Arc<str>, base: usize, slice: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // An error at the end of a chunk (an item cut short) points just after
    // its last token, not at the next item's first.
    let pos = pos.min(slice.trim_end().len());
    let found: String = slice.get(pos..).unwrap_or("").trim_start().chars().take_while(|c| !c.is_whitespace()).take(20).collect();
    let found_len = slice.get(pos..).map(|s| {
        let s2 = s.trim_start();
        (s.len() - s2.len()) + s2.chars().take_while(|c| !c.is_whitespace()).take(20).map(char::len_utf8).sum::<usize>()
    });
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            // A few keywords are named; many are summed up by what they start.
            let many = positives.iter().filter(|r| is_keyword(**r)).count() > 3;
            let mut names: Vec<std::borrow::Cow<'static, str>> = positives
                .iter()
                .map(|r| match keyword_group(*r) {
                    Some(group) if many => std::borrow::Cow::Borrowed(group),
                    _ => rule_name(*r),
                })
                .collect();
            names.sort_unstable();
            names.dedup();
            match names.split_last() {
                None => "something else".to_string(),
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => {
                    let rest: Vec<&str> = rest.iter().map(|n| n.as_ref()).collect();
                    format!("{} or {}", rest.join(", "), last)
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    // An invisible or unexpected character is named by its code point
    // (a leading NUL once read "expected `policy`, found `policy`").
    let odd = found.chars().find_map(crate::lexical::describe);
    let found_text = match (&odd, found.is_empty()) {
        (_, true) => "end of input".to_string(),
        (Some(what), false) => format!("`{}`: the character {what}", crate::lexical::escape_unusual(&found)),
        (None, false) => format!("`{found}`"),
    };
    let start = base + pos;
    let end = start + found_len.unwrap_or(0).max(1);
    let mut d = Diagnostic::error(
        codes::SYNTAX,
        name,
        Span::new(start, end.min(base + slice.len()).max(start)),
        format!("expected {expected}, found {found_text}"),
    )
    .with_label(format!("expected {expected}"));
    if odd.is_some() {
        d = d.with_help("delete the character: most editors do not show it");
    }
    let word: String = found.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if !word.is_empty() && expected.contains("a name") && RESERVED.contains(&word.as_str()) {
        d = d.with_help(format!("`{word}` is a reserved word; choose another name"));
    }
    if found.starts_with('=')
        && !found.starts_with("==")
        && !found.starts_with("=>")
        && (expected.contains("`==`") || expected.contains("an operator"))
    {
        d = d.with_help("comparison is written `==`");
    }
    d
}

/// Words that cannot be names (the grammar's `keyword` rule).
pub(super) const RESERVED: &[&str] = &[
    "not_computable",
    "default",
    "applies_when",
    "defined_in",
    "dated_by",
    "deadline",
    "override",
    "entitle",
    "exclude",
    "require",
    "assert",
    "policy",
    "set_by",
    "uplift",
    "false",
    "first",
    "match",
    "needs",
    "quote",
    "scale",
    "tiers",
    "until",
    "where",
    "cite",
    "else",
    "from",
    "next",
    "then",
    "true",
    "when",
    "and",
    "cap",
    "for",
    "let",
    "not",
    "use",
    "as",
    "at",
    "fn",
    "if",
    "in",
    "or",
];

fn rule_name(r: Rule) -> std::borrow::Cow<'static, str> {
    if let Some(word) = keyword_text(r) {
        return format!("`{word}`").into();
    }
    std::borrow::Cow::Borrowed(match r {
        Rule::EOI => "end of input",
        Rule::ident | Rule::path => "a name",
        Rule::qualified_name => "a dotted policy id",
        Rule::string => "a string",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::number | Rule::quantity | Rule::bound => "a number",
        Rule::expr | Rule::operand => "an expression",
        Rule::infix => "an operator",
        Rule::postfix | Rule::field_access | Rule::index_access | Rule::conversion => "`.`, `[` or `as`",
        Rule::type_expr | Rule::list_type | Rule::named_type => "a type",
        Rule::header_field
        | Rule::h_document
        | Rule::h_issuer
        | Rule::h_region
        | Rule::h_issued
        | Rule::h_in_force
        | Rule::h_source
        | Rule::h_version
        | Rule::h_amends => "a header field",
        Rule::header => "the `policy` header",
        Rule::use_decl
        | Rule::unit_decl
        | Rule::convert_decl
        | Rule::enum_decl
        | Rule::record_decl
        | Rule::input_decl
        | Rule::param_decl
        | Rule::external_decl
        | Rule::table_decl
        | Rule::let_decl
        | Rule::fn_decl
        | Rule::assert_decl
        | Rule::clause_decl
        | Rule::benefit_decl
        | Rule::amend_decl
        | Rule::repeal_decl => "a declaration",
        Rule::amend_param => "`param NAME { … }`",
        Rule::amend_benefit => "`benefit ID { … }`",
        Rule::replace_change | Rule::repeal_change => "a change",
        Rule::payee_clause
        | Rule::cite_clause
        | Rule::dated_by_clause
        | Rule::applies_clause
        | Rule::require_clause
        | Rule::exclude_clause
        | Rule::amount_clause
        | Rule::cap_clause
        | Rule::uplift_clause
        | Rule::override_clause
        | Rule::per_clause
        | Rule::entitle_clause
        | Rule::deadline_clause
        | Rule::needs_clause
        | Rule::output_clause
        | Rule::version_block => "a benefit clause",
        Rule::cite => "`cite`",
        Rule::cite_policy => "an imported policy's alias",
        Rule::range => "`in`",
        Rule::default_clause => "`default`",
        Rule::param_version => "`from DATE => value`",
        Rule::defined_in | Rule::set_by => "`defined_in` or `set_by`",
        Rule::row => "a table row",
        Rule::variant => "a variant",
        Rule::field_decl => "a field",
        Rule::column | Rule::columns => "a column",
        Rule::quote | Rule::not_computable => "`quote` or `not_computable`",
        Rule::tier | Rule::tier_test | Rule::tier_cmp | Rule::tier_range => "a tier",
        Rule::tier_else => "`else =>`",
        Rule::scale_band => "a band (`first N at RATE`)",
        Rule::scale_rest => "`then at RATE`",
        Rule::match_arm | Rule::match_pattern => "a match arm",
        Rule::block => "`{`",
        Rule::cond_id => "a condition id",
        Rule::op_ge => "`>=`",
        Rule::op_le => "`<=`",
        Rule::op_eq => "`==`",
        Rule::op_ne => "`!=`",
        Rule::op_gt => "`>`",
        Rule::op_lt => "`<`",
        Rule::unit_suffix | Rule::percent_sign => "a unit",
        _ => "more input",
    })
}

/// What a keyword starts, for summing up a long list of expected keywords.
fn keyword_group(r: Rule) -> Option<&'static str> {
    let word = keyword_text(r)?;
    if ITEM_KEYWORDS.contains(&word.as_str()) {
        Some("a declaration")
    } else if CLAUSE_KEYWORDS.contains(&word.as_str()) {
        Some("a benefit clause")
    } else {
        None
    }
}

/// The keyword a `k_…` rule matches (`k_else` is `else`, `k__` is `_`).
fn keyword_text(r: Rule) -> Option<String> {
    if !is_keyword(r) {
        return None;
    }
    let name = format!("{r:?}");
    Some(name.strip_prefix("k_").unwrap_or(&name).to_string())
}

pub(super) fn is_keyword(r: Rule) -> bool {
    matches!(
        r,
        Rule::k__
            | Rule::k_all
            | Rule::k_amend
            | Rule::k_amends
            | Rule::k_repeal
            | Rule::k_replace
            | Rule::k_amount
            | Rule::k_any
            | Rule::k_applies_when
            | Rule::k_as
            | Rule::k_assert
            | Rule::k_at
            | Rule::k_avg
            | Rule::k_benefit
            | Rule::k_cap
            | Rule::k_cite
            | Rule::k_clause
            | Rule::k_convert
            | Rule::k_count
            | Rule::k_criteria
            | Rule::k_dated_by
            | Rule::k_deadline
            | Rule::k_default
            | Rule::k_defined_in
            | Rule::k_document
            | Rule::k_else
            | Rule::k_entitle
            | Rule::k_enum
            | Rule::k_exclude
            | Rule::k_external
            | Rule::k_first
            | Rule::k_for
            | Rule::k_from
            | Rule::k_if
            | Rule::k_in_force
            | Rule::k_input
            | Rule::k_issued
            | Rule::k_issuer
            | Rule::k_let
            | Rule::k_fn
            | Rule::k_list
            | Rule::k_match
            | Rule::k_max
            | Rule::k_min
            | Rule::k_needs
            | Rule::k_next
            | Rule::k_not_computable
            | Rule::k_output
            | Rule::k_override
            | Rule::k_param
            | Rule::k_payee
            | Rule::k_per
            | Rule::k_policy
            | Rule::k_quote
            | Rule::k_record
            | Rule::k_region
            | Rule::k_require
            | Rule::k_scale
            | Rule::k_set_by
            | Rule::k_source
            | Rule::k_sum
            | Rule::k_table
            | Rule::k_then
            | Rule::k_tiers
            | Rule::k_unit
            | Rule::k_until
            | Rule::k_uplift
            | Rule::k_use
            | Rule::k_version
            | Rule::k_when
            | Rule::k_where
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_in
    )
}
