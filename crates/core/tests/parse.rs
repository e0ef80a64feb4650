//! Parser unit tests, one per construct: header fields, every item kind,
//! every benefit clause, every expression form, precedence, comments,
//! Unicode identifiers and string escapes.
//!
//! Expressions are compared through a compact S-expression rendering
//! ([`sexpr`]) with [`check`]; items through a predicate or a rendering with
//! [`check_item`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::ast::*;
use policy_core::diag::Diagnostic;
use policy_core::parse::{parse, parse_bytes, parse_expr};

// ===================================================================== helpers

/// A compact, unambiguous rendering of an expression.
fn sexpr(e: &Expr) -> String {
    let all = |xs: &[Expr]| xs.iter().map(sexpr).collect::<Vec<_>>().join(" ");
    match &e.kind {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number { value, suffix } => match suffix {
            None => value.to_string(),
            Some(Suffix::Percent) => format!("{value}%"),
            Some(Suffix::Unit(u)) => format!("{value}[{}]", u.name),
        },
        ExprKind::Date(d) => d.to_string(),
        ExprKind::Text(s) => format!("{s:?}"),
        ExprKind::Path(segs) => segs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("."),
        ExprKind::Field(b, f) => format!("(. {} {})", sexpr(b), f.name),
        ExprKind::Index(b, ks) => format!("(index {} {})", sexpr(b), all(ks)),
        ExprKind::Convert(b, u) => format!("(as {} {})", sexpr(b), u.name),
        ExprKind::Unary(UnOp::Neg, x) => format!("(- {})", sexpr(x)),
        ExprKind::Unary(UnOp::Not, x) => format!("(not {})", sexpr(x)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), sexpr(a), sexpr(b)),
        ExprKind::Paren(x) => format!("(paren {})", sexpr(x)),
        ExprKind::Set(xs) => format!("{{{}}}", all(xs)),
        ExprKind::List(xs) => format!("[{}]", all(xs)),
        ExprKind::If { branches, otherwise } => {
            let bs: Vec<String> = branches.iter().map(|(c, v)| format!("{} {}", sexpr(c), sexpr(v))).collect();
            format!("(if {} else {})", bs.join(" "), sexpr(otherwise))
        }
        ExprKind::Match { scrutinee, arms } => {
            let arms: Vec<String> = arms
                .iter()
                .map(|a| {
                    let pats =
                        if a.patterns.is_empty() { "_".to_string() } else { a.patterns.iter().map(sexpr).collect::<Vec<_>>().join("|") };
                    format!("({pats} => {})", sexpr(&a.value))
                })
                .collect();
            format!("(match {} {})", sexpr(scrutinee), arms.join(" "))
        }
        ExprKind::Tiers { subject, tiers, otherwise } => {
            let mut parts: Vec<String> = tiers
                .iter()
                .map(|t| match &t.test {
                    TierTest::Cmp(op, b) => format!("({} {} => {})", op.symbol(), sexpr(b), sexpr(&t.value)),
                    TierTest::Range(a, b) => format!("({} .. {} => {})", sexpr(a), sexpr(b), sexpr(&t.value)),
                })
                .collect();
            if let Some(o) = otherwise {
                parts.push(format!("(else {})", sexpr(o)));
            }
            format!("(tiers {} {})", sexpr(subject), parts.join(" "))
        }
        ExprKind::Scale { subject, bands, rest } => {
            let mut parts: Vec<String> = bands.iter().map(|b| format!("(band {} {})", sexpr(&b.width), sexpr(&b.rate))).collect();
            if let Some(r) = rest {
                parts.push(format!("(then {})", sexpr(r)));
            }
            format!("(scale {} {})", sexpr(subject), parts.join(" "))
        }
        ExprKind::Quantifier { kind, var, list, filter } => {
            let k = match kind {
                QuantKind::Count => "count",
                QuantKind::Any => "any",
                QuantKind::All => "all",
            };
            let w = filter.as_ref().map(|f| format!(" where {}", sexpr(f))).unwrap_or_default();
            format!("({k} {} in {}{w})", var.name, sexpr(list))
        }
        ExprKind::Aggregate { kind, value, var, list, filter } => {
            let k = match kind {
                AggKind::Sum => "sum",
                AggKind::Min => "min",
                AggKind::Max => "max",
                AggKind::Avg => "avg",
            };
            let w = filter.as_ref().map(|f| format!(" where {}", sexpr(f))).unwrap_or_default();
            format!("({k} {} for {} in {}{w})", sexpr(value), var.name, sexpr(list))
        }
        ExprKind::Call(f, args) => format!("(call {} {})", f.name, all(args)),
    }
}

/// Parses `input` as an expression and compares its rendering.
fn check(input: &str, expected: &str) {
    match parse_expr("test", input) {
        Ok(e) => assert_eq!(sexpr(&e), expected, "input: {input}"),
        Err(d) => panic!("`{input}` does not parse: {d:#?}"),
    }
}

/// Parses `input` as an expression that must fail with `code`.
fn check_err(input: &str, code: &str) {
    match parse_expr("test", input) {
        Ok(e) => panic!("`{input}` parsed as {}", sexpr(&e)),
        Err(d) => assert!(d.iter().any(|d| d.code.id == code), "`{input}`: expected {code}, got {d:#?}"),
    }
}

const HEADER: &str = "policy test.parse \"解析测试\"\n";

/// Parses a file made of [`HEADER`] and `items`, which must parse cleanly.
fn file(items: &str) -> PolicyFile {
    let text = format!("{HEADER}{items}");
    let parsed = parse("test.policy", &text);
    assert!(parsed.diagnostics.is_empty(), "`{items}` has diagnostics: {:#?}", parsed.diagnostics);
    parsed.file.expect("a tree")
}

/// Parses one item and checks it with `pred`.
fn check_item(src: &str, pred: impl Fn(&Item) -> bool) {
    let f = file(src);
    assert_eq!(f.items.len(), 1, "`{src}` is not one item: {:#?}", f.items);
    assert!(pred(&f.items[0]), "`{src}` parsed as {:#?}", f.items[0]);
}

/// Parses a file that must fail; returns its diagnostics.
fn errors(items: &str) -> Vec<Diagnostic> {
    let text = format!("{HEADER}{items}");
    let parsed = parse("test.policy", &text);
    assert!(!parsed.diagnostics.is_empty(), "`{items}` parsed without diagnostics");
    parsed.diagnostics
}

/// The clauses of a one-benefit file.
fn clauses(body: &str) -> Vec<BenefitClause> {
    let f = file(&format!("benefit b \"补贴\" {{\n{body}\n}}\n"));
    match f.items.into_iter().next() {
        Some(Item::Benefit(b)) => b.clauses,
        other => panic!("not a benefit: {other:#?}"),
    }
}

fn one_clause(body: &str) -> BenefitClause {
    let mut cs = clauses(body);
    assert_eq!(cs.len(), 1, "`{body}` is not one clause: {cs:#?}");
    cs.remove(0)
}

fn s(x: &Str) -> &str {
    &x.value
}

// ===================================================================== header

#[test]
fn header_with_every_field() {
    let text = "policy jiaxing.digital_training_2021 \"关于做好2021年全市数字经济领域职业技能培训工作的通知\"
  document \"嘉经信数经〔2021〕32号\"
  document \"嘉人社〔2021〕1号\"
  issuer \"嘉兴市经济和信息化局\"
  region \"嘉兴市\"
  issued 2021-07-22
  in_force 2021-01-01 .. 2021-12-31
  source \"digital_training_2021.source.txt\"
  version \"1\"
";
    let parsed = parse("h.policy", text);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let h = parsed.file.expect("tree").header;
    assert_eq!(h.id.name, "jiaxing.digital_training_2021");
    assert_eq!(s(&h.title), "关于做好2021年全市数字经济领域职业技能培训工作的通知");
    assert_eq!(h.documents.iter().map(s).collect::<Vec<_>>(), ["嘉经信数经〔2021〕32号", "嘉人社〔2021〕1号"]);
    assert_eq!(h.issuer.as_ref().map(s), Some("嘉兴市经济和信息化局"));
    assert_eq!(h.region.as_ref().map(s), Some("嘉兴市"));
    assert_eq!(h.issued.as_ref().map(|d| d.value.to_string()).as_deref(), Some("2021-07-22"));
    let f = h.in_force.expect("in_force");
    assert_eq!(f.from.map(|d| d.value.to_string()).as_deref(), Some("2021-01-01"));
    assert_eq!(f.until.map(|d| d.value.to_string()).as_deref(), Some("2021-12-31"));
    assert_eq!(h.source.as_ref().map(s), Some("digital_training_2021.source.txt"));
    assert_eq!(h.version.as_ref().map(s), Some("1"));
}

#[test]
fn header_fields_in_any_order() {
    let parsed = parse("h.policy", "policy a.b \"t\"\n  version \"2\"\n  issued 2020-01-01\n  document \"x\"\n");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let h = parsed.file.expect("tree").header;
    assert_eq!(h.version.as_ref().map(s), Some("2"));
    assert_eq!(h.documents.len(), 1);
}

#[test]
fn in_force_with_open_ends() {
    let open_end = parse("h.policy", "policy a.b \"t\"\n  in_force 2024-05-01 ..\n").file.expect("tree").header.in_force.expect("in_force");
    assert!(open_end.from.is_some() && open_end.until.is_none());
    let open_start =
        parse("h.policy", "policy a.b \"t\"\n  in_force .. 2024-05-01\n").file.expect("tree").header.in_force.expect("in_force");
    assert!(open_start.from.is_none() && open_start.until.is_some());
    assert_eq!(open_start.until.map(|d| d.value.to_string()).as_deref(), Some("2024-05-01"));
}

#[test]
fn header_only_file_has_no_items() {
    let parsed = parse("h.policy", "policy a \"t\"");
    assert!(parsed.diagnostics.is_empty());
    let f = parsed.file.expect("tree");
    assert_eq!(f.header.id.name, "a");
    assert!(f.items.is_empty());
}

#[test]
fn header_errors() {
    let d = parse("h.policy", "policy a.b \"t\"\n  issuer \"x\"\n  issuer \"y\"\n").diagnostics;
    assert_eq!(d.iter().map(|d| d.code.id).collect::<Vec<_>>(), ["P010"]);
    let d = parse("h.policy", "policy a.b \"t\"\n  issued 2021-02-29\n").diagnostics;
    assert_eq!(d.iter().map(|d| d.code.id).collect::<Vec<_>>(), ["P007"]);
    let p = parse("h.policy", "input x: int\n");
    assert!(p.file.is_none());
    assert_eq!(p.diagnostics[0].code.id, "P001");
    assert!(parse("h.policy", "").file.is_none());
}

#[test]
fn byte_order_mark_and_ideographic_space_are_whitespace() {
    let parsed = parse("h.policy", "\u{FEFF}policy a.b \"t\"\u{3000}\n  region \"嘉兴\"\n");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
}

#[test]
fn parse_bytes_checks_utf8() {
    assert!(parse_bytes("b.policy", b"policy a \"t\"\n").diagnostics.is_empty());
    let d = parse_bytes("b.policy", b"policy a \"\xff\"\n").diagnostics;
    assert_eq!(d[0].code.id, "P005");
    assert!(d[0].message.contains("offset 10"), "{}", d[0].message);
}

// ===================================================================== items

#[test]
fn use_with_and_without_alias() {
    check_item(
        "use zhejiang.digital_engineer_2023 as zj\n",
        |i| matches!(i, Item::Use(u) if u.policy.name == "zhejiang.digital_engineer_2023" && u.alias.as_ref().is_some_and(|a| a.name == "zj")),
    );
    check_item("use zhejiang.digital_engineer_2023\n", |i| matches!(i, Item::Use(u) if u.alias.is_none()));
}

#[test]
fn unit_declaration() {
    check_item("unit lesson_hour \"课时\"\n", |i| matches!(i, Item::Unit(u) if u.name.name == "lesson_hour" && u.label.value == "课时"));
}

#[test]
fn convert_declaration() {
    check_item("convert 3 clock_hour = 4 lesson_hour cite \"五（一）\"\n", |i| match i {
        Item::Convert(c) => {
            sexpr(&c.from) == "3[clock_hour]"
                && sexpr(&c.to) == "4[lesson_hour]"
                && c.cite.as_ref().is_some_and(|c| c.clause.value == "五（一）")
        }
        _ => false,
    });
    check_item("convert 3 clock_hour = 4 lesson_hour\n", |i| matches!(i, Item::Convert(c) if c.cite.is_none()));
}

#[test]
fn enum_declaration() {
    check_item("enum level \"证书等级\" { junior \"初级\", intermediate \"中级\", senior \"高级\" }\n", |i| match i {
        Item::Enum(e) => {
            e.name.name == "level"
                && e.label.as_ref().map(s) == Some("证书等级")
                && e.variants.iter().map(|v| v.name.name.as_str()).collect::<Vec<_>>() == ["junior", "intermediate", "senior"]
                && e.variants[1].label.as_ref().map(s) == Some("中级")
        }
        _ => false,
    });
    // No labels, trailing comma, multi-line.
    check_item(
        "enum e {\n  a,\n  b,\n}\n",
        |i| matches!(i, Item::Enum(e) if e.label.is_none() && e.variants.len() == 2 && e.variants[0].label.is_none()),
    );
    check_item("enum empty {}\n", |i| matches!(i, Item::Enum(e) if e.variants.is_empty()));
}

#[test]
fn record_declaration() {
    check_item(
        "record claim \"已享受的补贴\" {\n  year: int \"年度\",\n  level: zj.level \"等级\",\n  items: list int,\n}\n",
        |i| match i {
            Item::Record(r) => {
                r.name.name == "claim"
                    && r.fields.len() == 3
                    && matches!(&r.fields[0].ty, TypeExpr::Named(t) if t.name == "int")
                    && matches!(&r.fields[1].ty, TypeExpr::Named(t) if t.name == "zj.level")
                    && matches!(&r.fields[2].ty, TypeExpr::List(t) if t.name == "int")
                    && r.fields[2].label.is_none()
            }
            _ => false,
        },
    );
}

#[test]
fn input_declarations() {
    check_item("input attendance: percent in 0% .. 100% \"班级平均出勤率\"\n", |i| match i {
        Item::Input(d) => {
            let r = d.range.as_ref().expect("range");
            d.name.name == "attendance"
                && r.low.as_ref().map(sexpr).as_deref() == Some("0%")
                && r.high.as_ref().map(sexpr).as_deref() == Some("100%")
                && d.default.is_none()
                && d.label.as_ref().map(s) == Some("班级平均出勤率")
        }
        _ => false,
    });
    check_item("input hours: clock_hour in 0 clock_hour .. \"小时\"\n", |i| match i {
        Item::Input(d) => d.range.as_ref().is_some_and(|r| r.low.is_some() && r.high.is_none()),
        _ => false,
    });
    check_item("input delta: int in -5 .. 5\n", |i| match i {
        Item::Input(d) => d.range.as_ref().and_then(|r| r.low.as_ref()).map(sexpr).as_deref() == Some("(- 5)") && d.label.is_none(),
        _ => false,
    });
    check_item("input history: list claim default [] \"历史\"\n", |i| match i {
        Item::Input(d) => matches!(&d.ty, TypeExpr::List(t) if t.name == "claim") && d.default.as_ref().map(sexpr).as_deref() == Some("[]"),
        _ => false,
    });
    check_item(
        "input trade: bool default false \"受影响\"\n",
        |i| matches!(i, Item::Input(d) if d.default.as_ref().map(sexpr).as_deref() == Some("false")),
    );
}

#[test]
fn param_declaration() {
    let src = "param junior_standard: money \"初级工培训补贴标准\" cite \"三\" {\n  from 2016-01-01 => 800 yuan cite \"三（二）\"\n  from 2020-07-01 until 2021-12-31 => 1000 yuan\n}\n";
    check_item(src, |i| match i {
        Item::Param(p) => {
            p.name.name == "junior_standard"
                && p.cite.as_ref().is_some_and(|c| c.clause.value == "三")
                && p.versions.len() == 2
                && p.versions[0].until.is_none()
                && p.versions[0].cite.is_some()
                && sexpr(&p.versions[0].value) == "800[yuan]"
                && p.versions[1].until.as_ref().map(|d| d.value.to_string()).as_deref() == Some("2021-12-31")
                && p.versions[1].cite.is_none()
        }
        _ => false,
    });
}

#[test]
fn external_declarations() {
    let set_by = "external apprentice_amount: money in 4000 yuan .. 10000 yuan \"职工学徒企业补贴\"\n  set_by \"人力社保部门\" criteria \"产业急需程度\", \"学徒类型\"\n  cite \"三（一）\"\n";
    check_item(set_by, |i| match i {
        Item::External(x) => {
            matches!(&x.source, ExternalSource::SetBy { authority, criteria } if authority.value == "人力社保部门" && criteria.len() == 2)
                && x.range.is_some()
                && x.cite.is_some()
        }
        _ => false,
    });
    check_item(
        "external standard: money \"标准\" set_by \"部门\"\n",
        |i| matches!(i, Item::External(x) if matches!(&x.source, ExternalSource::SetBy { criteria, .. } if criteria.is_empty())),
    );
    check_item(
        "external special: money in 0 yuan .. 650 yuan \"特种作业\"\n  defined_in \"市级行业主管部门拟定的补贴标准\"\n",
        |i| matches!(i, Item::External(x) if matches!(&x.source, ExternalSource::DefinedIn(d) if d.value == "市级行业主管部门拟定的补贴标准") && x.cite.is_none()),
    );
}

#[test]
fn table_declaration() {
    let src = "table catalogue(occupation: occupation, level: level) -> (hours: lesson_hour, amount: money)\n  \"目录\" cite \"附件2\" {\n  big_data, junior => 128 lesson_hour, 3300 yuan\n  big_data, intermediate => 128 lesson_hour, 3900 yuan;\n}\n";
    check_item(src, |i| match i {
        Item::Table(t) => {
            t.name.name == "catalogue"
                && t.keys.iter().map(|c| c.name.name.as_str()).collect::<Vec<_>>() == ["occupation", "level"]
                && t.values.iter().map(|c| c.name.name.as_str()).collect::<Vec<_>>() == ["hours", "amount"]
                && t.label.as_ref().map(s) == Some("目录")
                && t.rows.len() == 2
                && t.rows[1].keys.iter().map(sexpr).collect::<Vec<_>>() == ["big_data", "intermediate"]
                && t.rows[1].values.iter().map(sexpr).collect::<Vec<_>>() == ["128[lesson_hour]", "3900[yuan]"]
        }
        _ => false,
    });
    check_item(
        "table empty(k: int) -> (v: int) {\n}\n",
        |i| matches!(i, Item::Table(t) if t.rows.is_empty() && t.label.is_none() && t.cite.is_none()),
    );
}

#[test]
fn let_declarations() {
    check_item("let lessons = hours as lesson_hour \"折算课时\" cite \"五（一）\"\n", |i| match i {
        Item::Let(l) => {
            l.name.name == "lessons"
                && l.ty.is_none()
                && sexpr(&l.value) == "(as hours lesson_hour)"
                && l.label.is_some()
                && l.cite.is_some()
        }
        _ => false,
    });
    check_item("let n: int = count(c in history)\n", |i| match i {
        Item::Let(l) => matches!(&l.ty, Some(TypeExpr::Named(t)) if t.name == "int") && l.label.is_none(),
        _ => false,
    });
}

#[test]
fn assert_declarations() {
    check_item("assert quota_total: sum(r.persons for r in quota) == 11000 \"合计\" cite \"附件\"\n", |i| match i {
        Item::Assert(a) => {
            a.id.as_ref().is_some_and(|id| id.name == "quota_total")
                && sexpr(&a.expr) == "(== (sum r.persons for r in quota) 11000)"
                && a.cite.is_some()
        }
        _ => false,
    });
    check_item("assert 1 < 2 \"显然\"\n", |i| matches!(i, Item::Assert(a) if a.id.is_none() && a.label.value == "显然"));
}

#[test]
fn clause_declarations() {
    check_item("clause \"五（一）\" \"补贴标准\" quote \"培训课时达 32 课时的，补贴 800 元\"\n", |i| match i {
        Item::Clause(c) => {
            c.number.value == "五（一）"
                && c.title.as_ref().map(s) == Some("补贴标准")
                && matches!(&c.body, ClauseBody::Quote(q) if q.value.contains("800 元"))
        }
        _ => false,
    });
    check_item(
        "clause \"三\" not_computable \"procedure\"\n",
        |i| matches!(i, Item::Clause(c) if c.title.is_none() && matches!(&c.body, ClauseBody::NotComputable(r) if r.value == "procedure")),
    );
}

#[test]
fn benefit_declaration() {
    check_item(
        "benefit training_subsidy \"培训补贴\" {\n  payee training_institution\n  amount 800 yuan\n}\n",
        |i| matches!(i, Item::Benefit(b) if b.id.name == "training_subsidy" && b.label.value == "培训补贴" && b.clauses.len() == 2),
    );
    check_item("benefit empty \"空\" {}\n", |i| matches!(i, Item::Benefit(b) if b.clauses.is_empty()));
}

#[test]
fn items_keep_source_order_and_spans() {
    let f = file("unit u \"单位\"\nlet a = 1\nlet b = 2\n");
    let names: Vec<&str> = f
        .items
        .iter()
        .map(|i| match i {
            Item::Unit(u) => u.name.name.as_str(),
            Item::Let(l) => l.name.name.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["u", "a", "b"]);
    let text = format!("{HEADER}unit u \"单位\"\nlet a = 1\nlet b = 2\n");
    let Item::Let(b) = &f.items[2] else { panic!() };
    assert_eq!(&text[b.name.span.start..b.name.span.end], "b");
    assert_eq!(&text[b.value.span.start..b.value.span.end], "2");
}

// ===================================================================== benefit clauses

#[test]
fn payee_cite_and_per() {
    assert!(matches!(one_clause("payee person"), BenefitClause::Payee(p) if p.name == "person"));
    assert!(matches!(one_clause("cite \"五（一）\""), BenefitClause::Cite(c) if c.clause.value == "五（一）" && c.quote.is_none()));
    assert!(matches!(one_clause("cite \"五\" quote \"原文\""), BenefitClause::Cite(c) if c.quote.as_ref().map(s) == Some("原文")));
    assert!(matches!(one_clause("per year"), BenefitClause::Per(p) if p.name == "year"));
}

#[test]
fn dated_by_clause() {
    assert!(
        matches!(one_clause("dated_by certificate_date \"以证书编号生成日为准\""), BenefitClause::DatedBy { expr, label: Some(l), .. } if sexpr(&expr) == "certificate_date" && l.value == "以证书编号生成日为准")
    );
    assert!(
        matches!(one_clause("dated_by start + 1 month"), BenefitClause::DatedBy { expr, label: None, .. } if sexpr(&expr) == "(+ start 1[month])")
    );
}

#[test]
fn condition_clauses() {
    let cs = clauses(
        "applies_when certified: has_certificate \"取得证书\" cite \"五（一）\"\n  require hours >= 32 \"够课时\"\n  exclude low: attendance <= 70% \"出勤率低\" cite \"五（二）\"",
    );
    let conds: Vec<&Condition> = cs.iter().filter_map(|c| if let BenefitClause::Condition(c) = c { Some(c) } else { None }).collect();
    assert_eq!(conds.len(), 3);
    assert_eq!(conds.iter().map(|c| c.kind).collect::<Vec<_>>(), [ConditionKind::Applies, ConditionKind::Require, ConditionKind::Exclude]);
    assert_eq!(conds[0].id.as_ref().map(|i| i.name.as_str()), Some("certified"));
    assert!(conds[1].id.is_none());
    assert_eq!(sexpr(&conds[1].expr), "(>= hours 32)");
    assert_eq!(conds[2].label.value, "出勤率低");
    assert!(conds[0].cite.is_some() && conds[1].cite.is_none());
}

#[test]
fn condition_id_is_not_a_path() {
    // `id:` needs the colon right after a name; `a.b` is an expression.
    let BenefitClause::Condition(c) = one_clause("require a.b \"x\"") else { panic!() };
    assert!(c.id.is_none());
    assert_eq!(sexpr(&c.expr), "a.b");
}

#[test]
fn amount_and_cap_clauses() {
    let cs = clauses("amount tiers lessons { >= 48 lesson_hour => 1200 yuan } \"标准\" cite \"五（一）\"\n  cap 3000 yuan \"上限\"");
    assert!(matches!(&cs[0], BenefitClause::Amount(a) if a.label.as_ref().map(s) == Some("标准") && a.cite.is_some()));
    assert!(matches!(&cs[1], BenefitClause::Cap(a) if sexpr(&a.expr) == "3000[yuan]" && a.cite.is_none()));
}

#[test]
fn uplift_clause() {
    let BenefitClause::Uplift(u) = one_clause("uplift trade: 30% when trade_friction until 2021-12-31 \"经贸摩擦\" cite \"三\"")
    else {
        panic!()
    };
    assert_eq!(u.id.as_ref().map(|i| i.name.as_str()), Some("trade"));
    assert_eq!(sexpr(&u.rate), "30%");
    assert_eq!(sexpr(&u.when), "trade_friction");
    assert_eq!(u.until.as_ref().map(|d| d.value.to_string()).as_deref(), Some("2021-12-31"));
    let BenefitClause::Uplift(u) = one_clause("uplift 10% when a and b \"上浮\"") else { panic!() };
    assert!(u.id.is_none() && u.until.is_none() && u.cite.is_none());
    assert_eq!(sexpr(&u.when), "(and a b)");
}

#[test]
fn override_clause() {
    let BenefitClause::Override(o) = one_clause("override disabled: when disabled => amount * 2 \"残疾人\" cite \"四\"") else {
        panic!()
    };
    assert_eq!(o.id.as_ref().map(|i| i.name.as_str()), Some("disabled"));
    assert_eq!(sexpr(&o.when), "disabled");
    assert_eq!(sexpr(&o.value), "(* amount 2)");
    let BenefitClause::Override(o) = one_clause("override when x > 1 => 0 yuan \"例外\"") else { panic!() };
    assert!(o.id.is_none());
}

#[test]
fn outcome_clauses() {
    let cs = clauses("entitle \"高技能人才\" when level == senior cite \"六\"\n  entitle \"称号\"\n  needs \"身份证\"\n  needs \"证书\" when certified\n  deadline \"申请截止\" issue_date + 12 months cite \"七\"");
    assert!(
        matches!(&cs[0], BenefitClause::Entitle(o) if o.label.value == "高技能人才" && o.when.as_ref().map(sexpr).as_deref() == Some("(== level senior)") && o.cite.is_some())
    );
    assert!(matches!(&cs[1], BenefitClause::Entitle(o) if o.when.is_none()));
    assert!(matches!(&cs[2], BenefitClause::Needs(o) if o.label.value == "身份证" && o.when.is_none()));
    assert!(matches!(&cs[3], BenefitClause::Needs(o) if o.when.is_some()));
    assert!(
        matches!(&cs[4], BenefitClause::Deadline { label, expr, cite: Some(_), .. } if label.value == "申请截止" && sexpr(expr) == "(+ issue_date 12[months])")
    );
}

#[test]
fn version_blocks() {
    let cs = clauses("payee person\n  from 2020-01-01 until 2020-12-31 {\n    amount 800 yuan\n  }\n  from 2021-01-01 {\n    require ok: x \"好\"\n    amount 1000 yuan\n  }");
    let versions: Vec<&VersionBlock> = cs.iter().filter_map(|c| if let BenefitClause::Version(v) = c { Some(v) } else { None }).collect();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].from.value.to_string(), "2020-01-01");
    assert_eq!(versions[0].until.as_ref().map(|d| d.value.to_string()).as_deref(), Some("2020-12-31"));
    assert_eq!(versions[0].clauses.len(), 1);
    assert!(versions[1].until.is_none());
    assert_eq!(versions[1].clauses.len(), 2);
}

// ===================================================================== expressions: literals

#[test]
fn literals() {
    check("true", "true");
    check("false", "false");
    check("32", "32");
    check("12.50", "12.50");
    check("70%", "70%");
    check("800 yuan", "800[yuan]");
    check("800 元", "800[yuan]");
    check("800元", "800[yuan]");
    check("[800 元]", "[800[yuan]]");
    check("800 元 + 1 元", "(+ 800[yuan] 1[yuan])");
    // `元` starts a longer unit name only when a name character or `.name` follows.
    check("3 元宝", "3[元宝]");
    check("0 元.a", "0[元.a]");
    check("0 yuan.a", "0[yuan.a]");
    check("1200.00 yuan", "1200.00[yuan]");
    check("10 days", "10[days]");
    check("1 year", "1[year]");
    check("32 lesson_hour", "32[lesson_hour]");
    check("2021-12-31", "2021-12-31");
    check("\"南湖\"", "\"南湖\"");
    check("[]", "[]");
    check("[1, 2,]", "[1 2]");
}

#[test]
fn number_limits() {
    check("9999999999999999999999999999", "9999999999999999999999999999");
    check_err("99999999999999999999999999999", "P006");
    check_err("123456789012345678901234567890 yuan", "P006");
    check_err("1e5", "P006");
    check_err("1e999999", "P006");
    check_err("2021-02-30", "P007");
    check_err("2021-13-01", "P007");
    check("2024-02-29", "2024-02-29");
}

#[test]
fn string_escapes() {
    check(r#""a\"b""#, r#""a\"b""#);
    check(r#""back\\slash""#, r#""back\\slash""#);
    check(r#""line\nbreak\ttab""#, r#""line\nbreak\ttab""#);
    check_err(r#""\q""#, "P008");
    check_err(r#""\u4e00""#, "P008");
    check_err("\"open", "P002");
    check_err("\"two\nlines\"", "P002");
}

#[test]
fn unicode_identifiers() {
    check("培训课时", "培训课时");
    check("培训课时 >= 32", "(>= 培训课时 32)");
    check("_private", "_private");
    check("记录.字段", "记录.字段");
    let f = file("input 培训课时: int \"培训课时\"\nlet 课时数 = 培训课时 * 2\n");
    assert!(matches!(&f.items[1], Item::Let(l) if l.name.name == "课时数"));
}

#[test]
fn keywords_need_a_word_boundary() {
    // `order`, `android`, `notice`, `index` start with keywords but are names.
    check("order or android", "(or order android)");
    check("notice and index", "(and notice index)");
    check("iffy", "iffy");
    check("true_value", "true_value");
    check("asset as u", "(as asset u)");
}

// ===================================================================== expressions: operators

#[test]
fn precedence() {
    check("a or b and c", "(or a (and b c))");
    check("a and b or c", "(or (and a b) c)");
    check("a + b * c", "(+ a (* b c))");
    check("a * b + c", "(+ (* a b) c)");
    check("not a and b", "(and (not a) b)");
    check("not (a and b)", "(not (paren (and a b)))");
    check("a + b >= c * d", "(>= (+ a b) (* c d))");
    check("a == b and c != d or e", "(or (and (== a b) (!= c d)) e)");
    check("x in {1, 2} and y", "(and (in x {1 2}) y)");
    check("a + b in list", "(in (+ a b) list)");
}

#[test]
fn left_associativity() {
    check("a - b - c", "(- (- a b) c)");
    check("a / b / c", "(/ (/ a b) c)");
    check("a - b + c", "(+ (- a b) c)");
    check("a or b or c", "(or (or a b) c)");
    check("a < b == c", "(== (< a b) c)");
}

#[test]
fn unary_minus() {
    check("-x", "(- x)");
    check("-x * y", "(* (- x) y)");
    check("a - -b", "(- a (- b))");
    check("- - 3", "(- (- 3))");
    check("-800 yuan", "(- 800[yuan])");
    check("-a.b", "(- a.b)");
}

#[test]
fn every_comparison_operator() {
    for op in ["==", "!=", "<", "<=", ">", ">="] {
        check(&format!("a {op} b"), &format!("({op} a b)"));
    }
    check("a>=b", "(>= a b)");
    check("a<=b", "(<= a b)");
}

#[test]
fn postfix_chains() {
    check("a.b.c", "a.b.c");
    check("t[k].amount", "(. (index t k) amount)");
    check("zj.catalogue[occupation, zj.junior].amount", "(. (index zj.catalogue occupation zj.junior) amount)");
    check("(a).b", "(. (paren a) b)");
    check("hours as lesson_hour", "(as hours lesson_hour)");
    check("t[1][2]", "(index (index t 1) 2)");
    check("(x as u).y[1] as v", "(as (index (. (paren (as x u)) y) 1) v)");
    check("-t[1].v as u", "(- (as (. (index t 1) v) u))");
    check("a as u + b", "(+ (as a u) b)");
}

#[test]
fn dates_and_durations() {
    check("issue_date + 12 months", "(+ issue_date 12[months])");
    check("2021-12-31 - 10 days", "(- 2021-12-31 10[days])");
    check("application_date <= issue_date + 12 months", "(<= application_date (+ issue_date 12[months]))");
}

// ===================================================================== expressions: forms

#[test]
fn if_expressions() {
    check("if a { 1 } else { 2 }", "(if a 1 else 2)");
    check(
        "if attendance > 90% { 1200 yuan } else if attendance > 70% { 1000 yuan } else { 0 yuan }",
        "(if (> attendance 90%) 1200[yuan] (> attendance 70%) 1000[yuan] else 0[yuan])",
    );
    check_err("if a { 1 }", "P001");
    check_err("if a 1 else 2", "P001");
}

#[test]
fn match_expressions() {
    check(
        "match level { junior => 400 yuan, intermediate => 600 yuan }",
        "(match level (junior => 400[yuan]) (intermediate => 600[yuan]))",
    );
    check("match l { a | b => 1, _ => 2, }", "(match l (a|b => 1) (_ => 2))");
    check("match l { level.a => 1 }", "(match l (level.a => 1))");
    check_err("match l { }", "P001");
}

#[test]
fn tiers_expressions() {
    check(
        "tiers lessons { >= 48 lesson_hour => 1200 yuan, >= 40 lesson_hour => 1000 yuan, }",
        "(tiers lessons (>= 48[lesson_hour] => 1200[yuan]) (>= 40[lesson_hour] => 1000[yuan]))",
    );
    check("tiers x { > 1 => a, < 1 => b, <= 0 => c, else => d }", "(tiers x (> 1 => a) (< 1 => b) (<= 0 => c) (else d))");
    check("tiers days { 0 .. 10 => 1, 10 .. 20 => 2 }", "(tiers days (0 .. 10 => 1) (10 .. 20 => 2))");
    check("tiers d { 2021-01-01 .. 2022-01-01 => 1 }", "(tiers d (2021-01-01 .. 2022-01-01 => 1))");
    check_err("tiers x { else => 1 }", "P001");
}

#[test]
fn scale_expressions() {
    check("scale training_days { first 10 at 150 yuan, then at 100 yuan }", "(scale training_days (band 10 150[yuan]) (then 100[yuan]))");
    check(
        "scale income { first 1000 yuan at 10%, next 4000 yuan at 20%, then at 30% }",
        "(scale income (band 1000[yuan] 10%) (band 4000[yuan] 20%) (then 30%))",
    );
    check("scale d { first 5 at 1 }", "(scale d (band 5 1))");
}

#[test]
fn quantifiers_and_aggregates() {
    check("count(c in history where c.year == 2021)", "(count c in history where (== c.year 2021))");
    check("count(c in history)", "(count c in history)");
    check("any(c in history where c.level == level)", "(any c in history where (== c.level level))");
    check("all(m in members where m.passed)", "(all m in members where m.passed)");
    check("sum(m.hours for m in members where m.passed)", "(sum m.hours for m in members where m.passed)");
    check("min(r.v for r in t)", "(min r.v for r in t)");
    check("max(r.v for r in t)", "(max r.v for r in t)");
    check("avg(r.v * 2 for r in t)", "(avg (* r.v 2) for r in t)");
}

#[test]
fn calls() {
    check("min(a, b, c)", "(call min a b c)");
    check("max(a, b)", "(call max a b)");
    check("round(x * 50%, 2, half_even)", "(call round (* x 50%) 2 half_even)");
    check("age(birth, 2024-02-29)", "(call age birth 2024-02-29)");
    check("present(fact)", "(call present fact)");
    check("exists(t[k1, k2])", "(call exists (index t k1 k2))");
    check("f()", "(call f )");
}

#[test]
fn sets_and_membership() {
    check("x in {a, b, c,}", "(in x {a b c})");
    check("x in [1, 2]", "(in x [1 2])");
    check("not x in {a}", "(in (not x) {a})");
}

#[test]
fn parentheses_and_whitespace() {
    check("((a))", "(paren (paren a))");
    check("(a + b) * c", "(* (paren (+ a b)) c)");
    check("a\n  +\n  b", "(+ a b)");
    check("a\t*\tb", "(* a b)");
}

// ===================================================================== comments

#[test]
fn comments_are_trivia() {
    check("a # the first\n + b # the second", "(+ a b)");
    let f = file("# a comment before\nlet a = 1 # after code\n# between\n\nlet b = \"# not a comment\"\n# at the end");
    assert_eq!(f.items.len(), 2);
    assert!(matches!(&f.items[1], Item::Let(l) if sexpr(&l.value) == "\"# not a comment\""));
    let f = file("benefit b \"补贴\" {\n  # inside a benefit\n  payee person # trailing\n  amount 1 yuan\n}\n");
    assert!(matches!(&f.items[0], Item::Benefit(b) if b.clauses.len() == 2));
}

#[test]
fn comment_holding_a_quote_or_bracket_does_not_confuse_the_prescan() {
    let f = file("# an unbalanced \" quote and ( bracket\nlet a = 1\n");
    assert_eq!(f.items.len(), 1);
}

// ===================================================================== error recovery

#[test]
fn one_error_per_broken_item_and_the_rest_still_parse() {
    let text = format!("{HEADER}let a = 1 +\nlet b = 2\nlet c = 3 *\nlet d = 4\n");
    let parsed = parse("t.policy", &text);
    assert_eq!(parsed.diagnostics.iter().filter(|d| d.code.id == "P001").count(), 2, "{:#?}", parsed.diagnostics);
    let f = parsed.file.expect("tree");
    let names: Vec<&str> = f.items.iter().filter_map(|i| if let Item::Let(l) = i { Some(l.name.name.as_str()) } else { None }).collect();
    assert_eq!(names, ["b", "d"]);
    assert_eq!(parsed.poisoned_names, ["a", "c"]);
}

#[test]
fn an_unclosed_bracket_runs_to_the_end_of_the_file() {
    // The pre-scan splits items only outside brackets, so everything after
    // an unclosed `(` is one broken item: one error, not a cascade.
    let text = format!("{HEADER}let a = (1\nlet b = 2\nlet c = 3\n");
    let parsed = parse("t.policy", &text);
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
    assert!(parsed.file.expect("tree").items.is_empty());
}

#[test]
fn reserved_word_as_name_gets_a_hint() {
    let d = errors("input match: int \"匹配\"\n");
    assert_eq!(d[0].code.id, "P001");
    assert!(d[0].help.as_deref().is_some_and(|h| h.contains("reserved")), "{:#?}", d[0]);
}

#[test]
fn single_equals_gets_a_hint() {
    let d = errors("let a = b = 1\n");
    assert_eq!(d[0].help.as_deref(), Some("comparison is written `==`"));
}

#[test]
fn error_at_the_end_of_an_item_points_into_it() {
    let text = format!("{HEADER}let a = 1 +\n\nlet b = 2\n");
    let d = parse("t.policy", &text).diagnostics;
    let (line, _) = d[0].line_col(&text);
    assert_eq!(line, 2, "the error is on the `let a` line: {:#?}", d[0]);
}

#[test]
fn nesting_limits() {
    let ok = format!("{}x{}", "(".repeat(policy_core::limits::MAX_NESTING - 1), ")".repeat(policy_core::limits::MAX_NESTING - 1));
    assert!(parse_expr("t", &ok).is_ok());
    let deep = format!("{}x{}", "(".repeat(policy_core::limits::MAX_NESTING + 1), ")".repeat(policy_core::limits::MAX_NESTING + 1));
    check_err(&deep, "P003");
    check_err(&format!("{}x", "not ".repeat(policy_core::limits::MAX_EXPR_DEPTH + 1)), "P003");
    check_err(&format!("x{}", " + 1".repeat(policy_core::limits::MAX_EXPR_DEPTH)), "P003");
    check_err(&format!("x{}", ".f".repeat(policy_core::limits::MAX_EXPR_DEPTH)), "P003");
    assert!(parse_expr("t", &format!("x{}", " + 1".repeat(policy_core::limits::MAX_EXPR_DEPTH - 1))).is_ok());
}

#[test]
fn spans_point_at_the_text() {
    let text = "a + 培训 * 3";
    let e = parse_expr("t", text).expect("parses");
    assert_eq!(&text[e.span.start..e.span.end], text);
    let ExprKind::Binary(_, _, rhs) = &e.kind else { panic!() };
    assert_eq!(&text[rhs.span.start..rhs.span.end], "培训 * 3");
}
