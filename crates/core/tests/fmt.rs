//! Formatter tests: golden files, round trips over every policy in the
//! repository, and generated syntax trees.
//!
//! Regenerate the golden `*.expected` files with
//! `UPDATE_EXPECT=1 cargo test -p policy-core --test fmt`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use policy_core::ast::*;
use policy_core::fmt::{check, format, format_expr, format_source};
use policy_core::parse;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

// ===================================================================== helpers

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repo_dir() -> PathBuf {
    crate_dir().join("../..")
}

/// Files under `dir` (recursively) accepted by `keep`, sorted.
fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e == ext)
}

/// Parses text that must parse cleanly.
fn parse_ok(name: &str, text: &str) -> PolicyFile {
    let parsed = parse::parse(name, text);
    assert!(!parsed.diagnostics.iter().any(|d| d.is_error()), "{name} does not parse: {:#?}\n---\n{text}", parsed.diagnostics);
    parsed.file.expect("a tree")
}

/// Parses text, or `None` when it has errors.
fn try_parse(name: &str, text: &str) -> Option<PolicyFile> {
    let parsed = parse::parse(name, text);
    if parsed.diagnostics.iter().any(|d| d.is_error()) {
        return None;
    }
    parsed.file
}

/// Formats `text` and checks the result: same tree, same comments,
/// idempotent. Returns the formatted text.
fn assert_sound(name: &str, text: &str) -> String {
    let file = parse_ok(name, text);
    let out = format(&file, text);
    if let Err(e) = check(&file, text, &out) {
        let second = try_parse("again", &out).map(|f| format(&f, &out)).unwrap_or_default();
        panic!("{name}: {e}\n--- input\n{text}\n--- formatted\n{out}\n--- formatted twice\n{second}");
    }
    out
}

/// The first line where two texts differ, for readable failures.
fn first_difference(a: &str, b: &str) -> String {
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  expected: {x}\n  actual:   {y}", n + 1);
        }
    }
    format!("lengths differ: expected {} lines, actual {}", a.lines().count(), b.lines().count())
}

// ================================================================ golden files

#[test]
fn golden_files() {
    let dir = crate_dir().join("tests/data/fmt");
    let update = std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1");
    let inputs = files_under(&dir, &|p| has_ext(p, "policy"));
    assert!(inputs.len() >= 10, "expected the golden inputs in {}", dir.display());
    let mut failures = Vec::new();
    for input in &inputs {
        let name = input.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let text = std::fs::read_to_string(input).unwrap();
        let out = assert_sound(&name, &text);
        let expected_path = input.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &out).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_EXPECT=1", expected_path.display()));
        if out != expected {
            failures.push(format!("{name}: {}", first_difference(&expected, &out)));
        }
        // The expected text is canonical: formatting it changes nothing.
        let again = format_source(&name, &expected).unwrap_or_else(|d| panic!("{name}.expected does not parse: {d:?}"));
        if again != expected {
            failures.push(format!("{name}.expected is not a fixpoint: {}", first_difference(&expected, &again)));
        }
    }
    assert!(failures.is_empty(), "golden mismatches (UPDATE_EXPECT=1 regenerates):\n{}", failures.join("\n"));
}

#[test]
fn syntax_errors_are_returned() {
    let err = format_source("bad.policy", "policy a.b \"t\"\nlet x = \n").unwrap_err();
    assert!(!err.is_empty());
    assert!(format_source("bad.policy", "policy a.b \"t\"\nlet x = \"open\n").is_err());
}

#[test]
fn header_fields_are_reordered() {
    let src = "policy a.b \"t\" version \"2\" source \"s.txt\" in_force ..  issued 2020-01-02 region \"r\" document \"d1\" issuer \"i\" document \"d2\"\n";
    let out = assert_sound("h.policy", src);
    assert_eq!(
        out,
        "policy a.b \"t\"\n  document \"d1\"\n  document \"d2\"\n  issuer \"i\"\n  region \"r\"\n  issued 2020-01-02\n  in_force ..\n  source \"s.txt\"\n  version \"2\"\n"
    );
}

#[test]
fn every_comment_survives_once() {
    let src = "# top\npolicy a.b \"t\" # on header\n  issuer \"i\" # on issuer\n# before unit\nunit u \"U\" # on unit\nbenefit b \"B\" { # open\n  # lead\n  payee p # on payee\n  # dangling\n} # close\n# end\n";
    let out = assert_sound("c.policy", src);
    for c in [
        "# top",
        "# on header",
        "# on issuer",
        "# before unit",
        "# on unit",
        "# open",
        "# lead",
        "# on payee",
        "# dangling",
        "# close",
        "# end",
    ] {
        assert_eq!(out.matches(c).count(), 1, "{c} in\n{out}");
    }
}

#[test]
fn crlf_and_bom_sources() {
    let src = "\u{FEFF}# top\r\npolicy a.b \"t\" # on header\r\n\r\n# lead\r\nlet x = 1 # trail\r\n";
    let out = assert_sound("crlf.policy", src);
    assert_eq!(out, "# top\npolicy a.b \"t\"  # on header\n\n# lead\nlet x = 1  # trail\n");
}

#[test]
fn format_expr_breaks_long_forms() {
    let e = parse::parse_expr("e", "match x { a => 1, b => 2 }").unwrap();
    assert_eq!(format_expr(&e), "match x { a => 1, b => 2 }");
    let long = format!("{{{}}}", (0..30).map(|n| format!("v{n}")).collect::<Vec<_>>().join(", "));
    let e = parse::parse_expr("e", &long).unwrap();
    let out = format_expr(&e);
    assert!(out.starts_with("{\n  v0,\n  v1,\n") && out.ends_with("  v29,\n}"), "{out}");
}

// ============================================================ repository files

#[test]
fn repo_policies_round_trip() {
    let files = files_under(&repo_dir().join("policies"), &|p| has_ext(p, "policy"));
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.display().to_string();
        if try_parse(&name, &text).is_none() {
            eprintln!("skipping {name}: it does not parse");
            continue;
        }
        assert_sound(&name, &text);
        checked += 1;
    }
    eprintln!("{checked} of {} policies round-trip", files.len());
}

/// The bundled policies are written in canonical form: `policy fmt --check
/// policies/` is clean. Run `policy fmt policies/` after editing one.
#[test]
fn bundled_policies_are_formatted() {
    let files = files_under(&repo_dir().join("policies"), &|p| has_ext(p, "policy"));
    assert!(files.len() >= 6, "expected the bundled policies");
    let mut unformatted = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.display().to_string();
        let out = format_source(&name, &text).unwrap_or_else(|d| panic!("{name} does not parse: {d:?}"));
        if out != text {
            unformatted.push(format!("{name}: {}", first_difference(&text, &out)));
        }
    }
    assert!(unformatted.is_empty(), "run `policy fmt policies/`:\n{}", unformatted.join("\n"));
}

#[test]
fn test_data_round_trips() {
    let files = files_under(&crate_dir().join("tests/data"), &|_| true);
    let mut checked = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        let name = f.display().to_string();
        if try_parse(&name, &text).is_none() {
            continue;
        }
        assert_sound(&name, &text);
        checked += 1;
    }
    assert!(checked > 0);
    eprintln!("{checked} of {} test data files parse and round-trip", files.len());
}

#[test]
fn language_doc_examples_round_trip() {
    let doc = std::fs::read_to_string(repo_dir().join("docs/language.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```policy") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(blocks.len() > 10);
    for (n, b) in blocks.iter().enumerate() {
        let text = if b.starts_with("policy") { b.clone() } else { format!("policy doc.example \"例\"\n{b}") };
        assert_sound(&format!("language.md block {}", n + 1), &text);
    }
}

// ================================================================== generators

/// The grammar's `keyword` rule: these cannot be identifiers.
const RESERVED: &[&str] = &[
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
    "_",
];

/// A usable identifier. Besides the reserved words this avoids `list`
/// (`input x: list default …` reads `list default` as a list type) and
/// `e<digits>` (read as exponent notation after a number).
fn valid_ident(s: &str) -> bool {
    let exponent = s.strip_prefix('e').is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()));
    !RESERVED.contains(&s) && s != "list" && !exponent
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z_][a-z0-9_]{0,6}",
        1 => "[一-龥]{1,3}",
        1 => prop::sample::select(vec![
            "amount", "count", "payee", "per", "unit", "source", "default", "criteria", "sum", "min", "yuan", "days", "in_force",
            "document", "input", "benefit", "first_", "iff", "notx", "android", "ore", "培训课时",
        ])
        .prop_map(String::from),
    ]
    .prop_filter("reserved word", |s| valid_ident(s))
}

fn sp() -> Span {
    Span::default()
}

fn ident() -> impl Strategy<Value = Ident> {
    name().prop_map(|name| Ident { name, span: sp() })
}

fn qualified() -> impl Strategy<Value = Ident> {
    vec(name(), 1..4).prop_map(|segs| Ident { name: segs.join("."), span: sp() })
}

fn text_value() -> impl Strategy<Value = String> {
    r#"[a-z #"\\\n\t中文（一）{}\[\]=>-]{0,12}"#
}

fn string() -> impl Strategy<Value = Str> {
    text_value().prop_map(|value| Str { value, span: sp() })
}

fn date_value() -> impl Strategy<Value = NaiveDate> {
    (1000i32..=9999, 1u32..=12, 1u32..=31).prop_filter_map("calendar date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

fn date_lit() -> impl Strategy<Value = DateLit> {
    date_value().prop_map(|value| DateLit { value, span: sp() })
}

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        3 => (0i64..2000, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => (0i64..i64::MAX, 0u32..12).prop_map(|(m, s)| Decimal::new(m, s)),
    ]
}

fn ex(kind: ExprKind) -> Expr {
    Expr { kind, span: sp() }
}

fn number() -> impl Strategy<Value = Expr> {
    let suffix = prop_oneof![
        3 => Just(None),
        1 => Just(Some(Suffix::Percent)),
        1 => Just(Some(Suffix::Unit(Ident { name: "yuan".into(), span: sp() }))),
        1 => ident().prop_map(|u| Some(Suffix::Unit(u))),
        1 => (name(), name()).prop_map(|(a, z)| Some(Suffix::Unit(Ident { name: format!("{a}.{z}"), span: sp() }))),
    ];
    (decimal(), suffix).prop_map(|(value, suffix)| ex(ExprKind::Number { value, suffix }))
}

fn path() -> impl Strategy<Value = Expr> {
    vec(ident(), 1..4).prop_map(|p| ex(ExprKind::Path(p)))
}

fn leaf_expr() -> BoxedStrategy<Expr> {
    prop_oneof![
        any::<bool>().prop_map(|b| ex(ExprKind::Bool(b))),
        number(),
        date_value().prop_map(|d| ex(ExprKind::Date(d))),
        text_value().prop_map(|s| ex(ExprKind::Text(s))),
        path(),
    ]
    .boxed()
}

fn binop() -> impl Strategy<Value = BinOp> {
    use BinOp::*;
    prop::sample::select(vec![Or, And, Eq, Ne, Lt, Le, Gt, Ge, In, Add, Sub, Mul, Div])
}

fn b(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Expressions of every form, nested up to depth 4, in the shape the parser
/// produces (see [`normalize`]).
fn expr() -> BoxedStrategy<Expr> {
    leaf_expr()
        .prop_recursive(4, 40, 4, |inner| {
            let call_name = ident().prop_filter("quantifier name", |i| !["count", "any", "all"].contains(&i.name.as_str()));
            let tier_test = prop_oneof![
                (prop::sample::select(vec![BinOp::Ge, BinOp::Gt, BinOp::Le, BinOp::Lt]), inner.clone())
                    .prop_map(|(op, x)| TierTest::Cmp(op, x)),
                (inner.clone(), inner.clone()).prop_map(|(lo, hi)| TierTest::Range(lo, hi)),
            ];
            let arm = (vec(path(), 0..3), inner.clone()).prop_map(|(patterns, value)| MatchArm { patterns, value, span: sp() });
            prop_oneof![
                (inner.clone(), ident()).prop_map(|(e, f)| ex(ExprKind::Field(b(e), f))),
                (inner.clone(), vec(inner.clone(), 1..3)).prop_map(|(e, k)| ex(ExprKind::Index(b(e), k))),
                (inner.clone(), ident()).prop_map(|(e, u)| ex(ExprKind::Convert(b(e), u))),
                (prop::sample::select(vec![UnOp::Neg, UnOp::Not]), inner.clone()).prop_map(|(op, e)| ex(ExprKind::Unary(op, b(e)))),
                (binop(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| ex(ExprKind::Binary(op, b(l), b(r)))),
                (binop(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| ex(ExprKind::Binary(op, b(l), b(r)))),
                inner.clone().prop_map(|e| ex(ExprKind::Paren(b(e)))),
                vec(inner.clone(), 1..4).prop_map(|v| ex(ExprKind::Set(v))),
                vec(inner.clone(), 0..4).prop_map(|v| ex(ExprKind::List(v))),
                (vec((inner.clone(), inner.clone()), 1..3), inner.clone())
                    .prop_map(|(branches, o)| ex(ExprKind::If { branches, otherwise: b(o) })),
                (inner.clone(), vec(arm, 1..4)).prop_map(|(s, arms)| ex(ExprKind::Match { scrutinee: b(s), arms })),
                (inner.clone(), vec((tier_test, inner.clone()), 1..4), option::of(inner.clone())).prop_map(|(s, t, o)| {
                    let tiers = t.into_iter().map(|(test, value)| Tier { test, value, span: sp() }).collect();
                    ex(ExprKind::Tiers { subject: b(s), tiers, otherwise: o.map(b) })
                }),
                (inner.clone(), vec((inner.clone(), inner.clone()), 1..3), option::of(inner.clone())).prop_map(|(s, bs, r)| {
                    let bands = bs.into_iter().map(|(width, rate)| Band { width, rate, span: sp() }).collect();
                    ex(ExprKind::Scale { subject: b(s), bands, rest: r.map(b) })
                }),
                (
                    prop::sample::select(vec![QuantKind::Count, QuantKind::Any, QuantKind::All]),
                    ident(),
                    inner.clone(),
                    option::of(inner.clone())
                )
                    .prop_map(|(kind, var, l, f)| ex(ExprKind::Quantifier { kind, var, list: b(l), filter: f.map(b) })),
                (
                    prop::sample::select(vec![AggKind::Sum, AggKind::Min, AggKind::Max, AggKind::Avg]),
                    inner.clone(),
                    ident(),
                    inner.clone(),
                    option::of(inner.clone())
                )
                    .prop_map(|(kind, v, var, l, f)| ex(ExprKind::Aggregate {
                        kind,
                        value: b(v),
                        var,
                        list: b(l),
                        filter: f.map(b)
                    })),
                (call_name, vec(inner.clone(), 0..4)).prop_map(|(f, args)| ex(ExprKind::Call(f, args))),
            ]
        })
        .prop_map(normalize)
        .boxed()
}

fn paren(e: Expr) -> Expr {
    ex(ExprKind::Paren(b(e)))
}

/// Where the grammar takes an operand (prefix operand, tier range end, band
/// width), a binary expression is written in parentheses.
fn operand_ok(e: Expr) -> Expr {
    if matches!(e.kind, ExprKind::Binary(..)) {
        paren(e)
    } else {
        e
    }
}

/// The base of a postfix is a primary: binary and prefix expressions are
/// parenthesised.
fn postfix_ok(e: Expr) -> Expr {
    if matches!(e.kind, ExprKind::Binary(..) | ExprKind::Unary(..)) {
        paren(e)
    } else {
        e
    }
}

/// Puts a random tree in the shape the parser gives the same text: `Paren`
/// nodes where precedence needs them, and `a.b` as one path.
fn normalize(e: Expr) -> Expr {
    use ExprKind::*;
    let n = |e: Box<Expr>| b(normalize(*e));
    let all = |v: Vec<Expr>| v.into_iter().map(normalize).collect::<Vec<_>>();
    let kind = match e.kind {
        Field(base, f) => match normalize(*base) {
            Expr { kind: Path(mut p), .. } => {
                p.push(f);
                Path(p)
            }
            base => Field(b(postfix_ok(base)), f),
        },
        Index(base, keys) => Index(b(postfix_ok(normalize(*base))), all(keys)),
        Convert(base, u) => Convert(b(postfix_ok(normalize(*base))), u),
        Unary(op, x) => Unary(op, b(operand_ok(normalize(*x)))),
        Binary(op, l, r) => {
            let (l, r) = (normalize(*l), normalize(*r));
            let l = match &l.kind {
                Binary(lop, ..) if lop.precedence() < op.precedence() => paren(l),
                _ => l,
            };
            let r = match &r.kind {
                Binary(rop, ..) if rop.precedence() <= op.precedence() => paren(r),
                _ => r,
            };
            Binary(op, b(l), b(r))
        }
        Paren(x) => Paren(n(x)),
        Set(v) => Set(all(v)),
        List(v) => List(all(v)),
        If { branches, otherwise } => {
            If { branches: branches.into_iter().map(|(c, v)| (normalize(c), normalize(v))).collect(), otherwise: n(otherwise) }
        }
        Match { scrutinee, arms } => {
            Match { scrutinee: n(scrutinee), arms: arms.into_iter().map(|a| MatchArm { value: normalize(a.value), ..a }).collect() }
        }
        Tiers { subject, tiers, otherwise } => Tiers {
            subject: n(subject),
            tiers: tiers
                .into_iter()
                .map(|t| Tier {
                    test: match t.test {
                        TierTest::Cmp(op, x) => TierTest::Cmp(op, normalize(x)),
                        TierTest::Range(lo, hi) => TierTest::Range(operand_ok(normalize(lo)), operand_ok(normalize(hi))),
                    },
                    value: normalize(t.value),
                    span: t.span,
                })
                .collect(),
            otherwise: otherwise.map(n),
        },
        Scale { subject, bands, rest } => Scale {
            subject: n(subject),
            bands: bands
                .into_iter()
                .map(|x| Band { width: operand_ok(normalize(x.width)), rate: normalize(x.rate), span: x.span })
                .collect(),
            rest: rest.map(n),
        },
        Quantifier { kind, var, list, filter } => Quantifier { kind, var, list: n(list), filter: filter.map(n) },
        Aggregate { kind, value, var, list, filter } => Aggregate { kind, value: n(value), var, list: n(list), filter: filter.map(n) },
        Call(f, args) => Call(f, all(args)),
        k @ (Bool(_) | Number { .. } | Date(_) | Text(_) | Path(_)) => k,
    };
    ex(kind)
}

fn small_expr() -> BoxedStrategy<Expr> {
    prop_oneof![3 => leaf_expr(), 2 => expr()].boxed()
}

fn ty() -> impl Strategy<Value = TypeExpr> {
    prop_oneof![
        3 => ident().prop_map(TypeExpr::Named),
        1 => qualified().prop_map(TypeExpr::Named),
        1 => ident().prop_map(TypeExpr::List),
    ]
}

fn cite() -> impl Strategy<Value = Cite> {
    (string(), option::of(string())).prop_map(|(clause, quote)| Cite { policy: None, clause, quote, span: sp() })
}

fn bound() -> impl Strategy<Value = Expr> {
    (number(), any::<bool>()).prop_map(|(n, neg)| if neg { ex(ExprKind::Unary(UnOp::Neg, b(n))) } else { n })
}

fn range() -> impl Strategy<Value = RangeDecl> {
    (option::of(bound()), option::of(bound())).prop_map(|(low, high)| RangeDecl { low, high, span: sp() })
}

fn leaf_clause() -> BoxedStrategy<BenefitClause> {
    let kind = prop::sample::select(vec![ConditionKind::Applies, ConditionKind::Require, ConditionKind::Exclude]);
    let step = (small_expr(), option::of(string()), option::of(cite()))
        .prop_map(|(expr, label, cite)| AmountStep { expr, label, cite, span: sp() })
        .boxed();
    let outcome = (string(), option::of(small_expr()), option::of(cite()))
        .prop_map(|(label, when, cite)| Outcome { label, when, cite, span: sp() })
        .boxed();
    prop_oneof![
        ident().prop_map(BenefitClause::Payee),
        ident().prop_map(BenefitClause::Per),
        cite().prop_map(BenefitClause::Cite),
        (small_expr(), option::of(string())).prop_map(|(expr, label)| BenefitClause::DatedBy { expr, label, span: sp() }),
        (kind, option::of(ident()), small_expr(), string(), option::of(cite()))
            .prop_map(|(kind, id, expr, label, cite)| { BenefitClause::Condition(Condition { kind, id, expr, label, cite, span: sp() }) }),
        step.clone().prop_map(BenefitClause::Amount),
        step.prop_map(BenefitClause::Cap),
        (option::of(ident()), small_expr(), small_expr(), option::of(date_lit()), string(), option::of(cite())).prop_map(
            |(id, rate, when, until, label, cite)| BenefitClause::Uplift(Uplift { id, rate, when, until, label, cite, span: sp() })
        ),
        (option::of(ident()), small_expr(), small_expr(), string(), option::of(cite()))
            .prop_map(|(id, when, value, label, cite)| BenefitClause::Override(Override { id, when, value, label, cite, span: sp() })),
        outcome.clone().prop_map(BenefitClause::Entitle),
        outcome.prop_map(BenefitClause::Needs),
        (string(), small_expr(), option::of(cite())).prop_map(|(label, expr, cite)| BenefitClause::Deadline {
            label,
            expr,
            cite,
            span: sp()
        }),
        (ident(), option::of(ty()), small_expr(), option::of(string()), option::of(cite()))
            .prop_map(|(id, ty, value, label, cite)| { BenefitClause::Output(OutputDecl { id, ty, value, label, cite, span: sp() }) }),
    ]
    .boxed()
}

fn clauses() -> impl Strategy<Value = Vec<BenefitClause>> {
    let version = (date_lit(), option::of(date_lit()), vec(leaf_clause(), 0..4))
        .prop_map(|(from, until, clauses)| BenefitClause::Version(VersionBlock { from, until, clauses, span: sp() }));
    vec(prop_oneof![6 => leaf_clause(), 1 => version], 0..7).prop_map(|mut cs| {
        fix_cites(&mut cs);
        cs
    })
}

/// `amount x` followed by `cite "…"` on the next line is read as one clause
/// (`amount x cite "…"`): no text gives a clause without a citation followed
/// by a benefit-level `cite`, so generated trees avoid that shape.
fn fix_cites(cs: &mut [BenefitClause]) {
    for k in 0..cs.len() {
        let next_is_cite = matches!(cs.get(k + 1), Some(BenefitClause::Cite(_)));
        let Some(c) = cs.get_mut(k) else { continue };
        let slot = match c {
            BenefitClause::Condition(x) => Some(&mut x.cite),
            BenefitClause::Amount(x) | BenefitClause::Cap(x) => Some(&mut x.cite),
            BenefitClause::Uplift(x) => Some(&mut x.cite),
            BenefitClause::Override(x) => Some(&mut x.cite),
            BenefitClause::Entitle(x) | BenefitClause::Needs(x) => Some(&mut x.cite),
            BenefitClause::Deadline { cite, .. } => Some(cite),
            BenefitClause::Output(x) => Some(&mut x.cite),
            BenefitClause::Version(v) => {
                fix_cites(&mut v.clauses);
                None
            }
            _ => None,
        };
        if let Some(slot) = slot {
            if next_is_cite && slot.is_none() {
                *slot = Some(Cite { policy: None, clause: Str { value: "x".into(), span: sp() }, quote: None, span: sp() });
            }
        }
    }
}

fn column() -> impl Strategy<Value = Column> {
    (ident(), ty()).prop_map(|(name, ty)| Column { name, ty })
}

fn item() -> BoxedStrategy<Item> {
    let variant = (ident(), option::of(string())).prop_map(|(name, label)| Variant { name, label, span: sp() });
    let field = (ident(), ty(), option::of(string())).prop_map(|(name, ty, label)| FieldDecl { name, ty, label, span: sp() });
    let version = (date_lit(), option::of(date_lit()), small_expr(), option::of(cite()))
        .prop_map(|(from, until, value, cite)| ParamVersion { from, until, value, cite, span: sp() })
        .boxed();
    let source = prop_oneof![
        string().prop_map(ExternalSource::DefinedIn),
        (string(), vec(string(), 0..3)).prop_map(|(authority, criteria)| ExternalSource::SetBy { authority, criteria }),
    ];
    let row = (vec(small_expr(), 1..3), vec(small_expr(), 1..3)).prop_map(|(keys, values)| Row { keys, values, span: sp() });
    prop_oneof![
        (qualified(), option::of(ident())).prop_map(|(policy, alias)| Item::Use(UseDecl { policy, alias, span: sp() })),
        (ident(), string()).prop_map(|(name, label)| Item::Unit(UnitDecl { name, label, span: sp() })),
        (number(), number(), option::of(cite())).prop_map(|(from, to, cite)| Item::Convert(ConvertDecl { from, to, cite, span: sp() })),
        (ident(), option::of(string()), vec(variant, 0..4)).prop_map(|(name, label, variants)| Item::Enum(EnumDecl {
            name,
            label,
            variants,
            span: sp()
        })),
        (ident(), option::of(string()), vec(field, 0..4)).prop_map(|(name, label, fields)| Item::Record(RecordDecl {
            name,
            label,
            fields,
            span: sp()
        })),
        (ident(), ty(), option::of(range()), option::of(small_expr()), option::of(string()))
            .prop_map(|(name, ty, range, default, label)| Item::Input(InputDecl { name, ty, range, default, label, span: sp() })),
        (ident(), ty(), option::of(string()), option::of(cite()), vec(version.clone(), 0..3))
            .prop_map(|(name, ty, label, cite, versions)| Item::Param(ParamDecl { name, ty, label, cite, versions, span: sp() })),
        (ident(), ty(), option::of(range()), string(), source, option::of(cite())).prop_map(|(name, ty, range, label, source, cite)| {
            Item::External(ExternalDecl { name, ty, range, label, source, cite, span: sp() })
        }),
        (ident(), vec(column(), 1..3), vec(column(), 1..3), option::of(string()), option::of(cite()), vec(row, 0..4)).prop_map(
            |(name, keys, values, label, cite, rows)| Item::Table(TableDecl { name, keys, values, label, cite, rows, span: sp() })
        ),
        (ident(), option::of(ty()), expr(), option::of(string()), option::of(cite()))
            .prop_map(|(name, ty, value, label, cite)| Item::Let(LetDecl { name, ty, value, label, cite, span: sp() })),
        (option::of(ident()), small_expr(), string(), option::of(cite())).prop_map(|(id, expr, label, cite)| Item::Assert(AssertDecl {
            id,
            expr,
            label,
            cite,
            span: sp()
        })),
        (string(), option::of(string()), prop_oneof![string().prop_map(ClauseBody::Quote), string().prop_map(ClauseBody::NotComputable)])
            .prop_map(|(number, title, body)| Item::Clause(ClauseDecl { number, title, body, span: sp() })),
        (ident(), string(), clauses()).prop_map(|(id, label, clauses)| Item::Benefit(BenefitDecl { id, label, clauses, span: sp() })),
        (ident(), vec(version.clone(), 0..3)).prop_map(|(name, versions)| Item::Amend(AmendDecl::Param(AmendParam {
            name,
            versions,
            span: sp()
        }))),
        (ident(), option::of(string()), changes()).prop_map(|(id, label, changes)| Item::Amend(AmendDecl::Benefit(AmendBenefit {
            id,
            label,
            changes,
            span: sp()
        }))),
        (ident(), option::of(cite())).prop_map(|(benefit, cite)| Item::Repeal(RepealDecl { benefit, cite, span: sp() })),
    ]
    .boxed()
}

/// The changes of an `amend benefit`: added clauses (no benefit-level
/// `cite`, which would read as the citation of the change before it),
/// replaced rules, repeals.
fn changes() -> impl Strategy<Value = Vec<Change>> {
    let add = prop_oneof![
        6 => leaf_clause().prop_filter("no bare cite", |c| !matches!(c, BenefitClause::Cite(_))),
        1 => clauses().prop_filter_map("one version", |cs| cs.into_iter().find(|c| matches!(c, BenefitClause::Version(_)))),
    ]
    .prop_map(Change::Add);
    let replaceable = leaf_clause().prop_filter("a replaceable rule", |c| {
        matches!(
            c,
            BenefitClause::Condition(_)
                | BenefitClause::Amount(_)
                | BenefitClause::Cap(_)
                | BenefitClause::Uplift(_)
                | BenefitClause::Override(_)
                | BenefitClause::Output(_)
        )
    });
    let replace = replaceable.prop_map(|clause| Change::Replace { clause, span: sp() });
    let repeal = (ident(), option::of(cite())).prop_map(|(id, cite)| Change::Repeal { id, cite, span: sp() });
    vec(prop_oneof![3 => add, 2 => replace, 1 => repeal], 0..5)
}

fn header() -> impl Strategy<Value = Header> {
    let in_force = (option::of(date_lit()), option::of(date_lit())).prop_map(|(from, until)| InForce { from, until, span: sp() });
    (
        qualified(),
        string(),
        vec(string(), 0..3),
        (option::of(string()), option::of(string()), option::of(date_lit())),
        (option::of(in_force), option::of(string()), option::of(string()), option::of(qualified())),
    )
        .prop_map(|(id, title, documents, (issuer, region, issued), (in_force, source, version, amends))| Header {
            id,
            title,
            documents,
            issuer,
            region,
            issued,
            in_force,
            source,
            version,
            amends,
            span: sp(),
        })
}

fn policy_file() -> impl Strategy<Value = PolicyFile> {
    (header(), vec(item(), 0..8)).prop_map(|(header, items)| PolicyFile { header, items })
}

fn minimal_header() -> Header {
    Header {
        id: Ident { name: "gen.test".into(), span: sp() },
        title: Str { value: "t".into(), span: sp() },
        documents: Vec::new(),
        issuer: None,
        region: None,
        issued: None,
        in_force: None,
        source: None,
        version: None,
        amends: None,
        span: sp(),
    }
}

/// Prints a generated tree, parses it back and checks it is the same tree and
/// a fixpoint.
fn round_trip(file: &PolicyFile) -> Result<String, TestCaseError> {
    let out = format(file, "");
    let parsed = parse::parse("generated.policy", &out);
    prop_assert!(parsed.diagnostics.is_empty(), "formatter output does not parse: {:#?}\n---\n{out}", parsed.diagnostics);
    // The parser's fast path and its reference (pest) agree, spans included
    // (`tests/parse_fast.rs`).
    let reference = parse::parse_reference("generated.policy", &out);
    prop_assert!(format!("{parsed:?}") == format!("{reference:?}"), "fast path and pest differ\n---\n{out}");
    let back = parsed.file.expect("a tree");
    prop_assert!(&back == file, "tree changed\n---\n{out}\n--- {:#?}\n--- {:#?}", file, back);
    let again = format(&back, &out);
    prop_assert!(again == out, "not idempotent\n--- first\n{out}\n--- second\n{again}");
    Ok(out)
}

/// Adds comments to formatted text: `(where, own line?)` picks a line and
/// whether the comment goes on its own line before it or at its end.
fn add_comments(text: &str, spots: &[(prop::sample::Index, bool)]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut before: Vec<Vec<String>> = vec![Vec::new(); lines.len()];
    let mut after: Vec<Vec<String>> = vec![Vec::new(); lines.len()];
    for (n, (at, own)) in spots.iter().enumerate() {
        let k = at.index(lines.len());
        let c = format!("# c{n} \"q\" # {}", if *own { "own" } else { "trailing" });
        if *own {
            before[k].push(c);
        } else if after[k].is_empty() {
            after[k].push(c);
        }
    }
    let mut out = String::new();
    for (k, l) in lines.iter().enumerate() {
        for c in &before[k] {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str(l);
        for c in &after[k] {
            out.push_str("  ");
            out.push_str(c);
        }
        out.push('\n');
    }
    out
}

/// Breaks lines of formatted text with comments: each picked space outside a
/// string becomes `  # cN` and a newline. The result is usually not in
/// canonical layout, and has comments in the middle of constructs.
fn split_with_comments(text: &str, spots: &[prop::sample::Index]) -> String {
    let mut spaces = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ' ' if !in_string => spaces.push(i),
            _ => {}
        }
    }
    if spaces.is_empty() {
        return text.to_string();
    }
    let mut picked: Vec<usize> = spots.iter().map(|s| *s.get(&spaces)).collect();
    picked.sort_unstable();
    picked.dedup();
    let mut out = String::new();
    let mut last = 0;
    for (n, at) in picked.iter().enumerate() {
        out.push_str(&text[last..*at]);
        out.push_str(&format!("  # split {n}\n"));
        last = at + 1;
    }
    out.push_str(&text[last..]);
    out
}

// ==================================================================== proptests

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_expressions_round_trip(e in expr()) {
        let text = format_expr(&e);
        let back = parse::parse_expr("expr", &text);
        prop_assert!(back.as_ref() == Ok(&e), "{text}\n--- {:#?}\n--- {:#?}", e, back);
        let file = PolicyFile {
            header: minimal_header(),
            items: vec![Item::Let(LetDecl {
                name: Ident { name: "x".into(), span: sp() },
                ty: None,
                value: e,
                label: None,
                cite: None,
                span: sp(),
            })],
        };
        round_trip(&file)?;
    }

    #[test]
    fn generated_files_round_trip(f in policy_file()) {
        round_trip(&f)?;
    }

    #[test]
    fn generated_comments_survive(f in policy_file(), spots in vec((any::<prop::sample::Index>(), any::<bool>()), 0..8)) {
        let out = round_trip(&f)?;
        let commented = add_comments(&out, &spots);
        let parsed = parse::parse("commented.policy", &commented);
        let reference = parse::parse_reference("commented.policy", &commented);
        prop_assert!(format!("{parsed:?}") == format!("{reference:?}"), "fast path and pest differ\n---\n{commented}");
        prop_assert!(parsed.diagnostics.is_empty(), "{:#?}\n---\n{commented}", parsed.diagnostics);
        let back = parsed.file.expect("a tree");
        prop_assert!(back == f, "comments changed the tree\n---\n{commented}");
        let formatted = format(&back, &commented);
        let checked = check(&back, &commented, &formatted);
        prop_assert!(checked.is_ok(), "{:?}\n--- commented\n{commented}\n--- formatted\n{formatted}", checked);
    }

    #[test]
    fn comments_inside_constructs_survive(f in policy_file(), spots in vec(any::<prop::sample::Index>(), 1..6)) {
        let out = round_trip(&f)?;
        let split = split_with_comments(&out, &spots);
        // A line break can change the reading (`800 yuan` split before
        // `yuan`, a line starting with `input`): only same-tree texts count.
        let Some(back) = try_parse("split.policy", &split) else { return Ok(()) };
        if back != f {
            return Ok(());
        }
        let formatted = format(&back, &split);
        let checked = check(&back, &split, &formatted);
        prop_assert!(checked.is_ok(), "{:?}\n--- split\n{split}\n--- formatted\n{formatted}", checked);
    }
}
