//! Parser unit tests: the precedence table, sum bodies, literals, and the
//! spans and messages of syntax errors.

use proc_macro2::TokenStream;
use quote::quote;
use stackel_symbolic::ast::{ExprKind, Item};
use stackel_symbolic::parse::{parse_expression, parse_game};

/// The expression fully parenthesised: `(a + (b * c))`, `(-x)`, `sum[i](body)`.
fn show(e: &stackel_symbolic::ast::Expr) -> String {
    match &e.kind {
        ExprKind::Num(n) => match n.int {
            Some(i) => i.to_string(),
            None => format!("{:?}", n.value),
        },
        ExprKind::Name(id) => id.to_string(),
        ExprKind::Index { name, indices, .. } => {
            let ix: Vec<String> = indices.iter().map(show).collect();
            format!("{name}[{}]", ix.join(", "))
        }
        ExprKind::Neg(a) => format!("(-{})", show(a)),
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
        }
        ExprKind::Call { name, args, .. } => {
            let a: Vec<String> = args.iter().map(show).collect();
            format!("{name}({})", a.join(", "))
        }
        ExprKind::Sum { binders, body, .. } => {
            let b: Vec<String> = binders
                .iter()
                .map(|b| {
                    let dots = if b.inclusive { "..=" } else { ".." };
                    format!("{} in {}{dots}{}", b.var, show(&b.lo), show(&b.hi))
                })
                .collect();
            format!("sum[{}]{{{}}}", b.join(", "), show(body))
        }
    }
}

fn parsed(tokens: TokenStream) -> String {
    show(&parse_expression(tokens).unwrap())
}

fn parse_error(tokens: TokenStream) -> String {
    parse_expression(tokens).unwrap_err().messages().join("\n")
}

#[test]
fn power_binds_tighter_than_unary_minus_and_products() {
    assert_eq!(parsed(quote!(-x ^ 2)), "(-(x ^ 2))");
    assert_eq!(parsed(quote!(a * b ^ 2)), "(a * (b ^ 2))");
    assert_eq!(parsed(quote!(a / b ^ 2)), "(a / (b ^ 2))");
    assert_eq!(parsed(quote!(2 ^ 3 ^ 2)), "(2 ^ (3 ^ 2))");
    assert_eq!(parsed(quote!(x ^ -1)), "(x ^ (-1))");
    assert_eq!(parsed(quote!(-x ^ -y ^ 2)), "(-(x ^ (-(y ^ 2))))");
    assert_eq!(parsed(quote!((-x) ^ 2)), "((-x) ^ 2)");
}

#[test]
fn additive_and_multiplicative_are_left_associative() {
    assert_eq!(parsed(quote!(a - b - c)), "((a - b) - c)");
    assert_eq!(parsed(quote!(a / b / c)), "((a / b) / c)");
    assert_eq!(parsed(quote!(a + b * c)), "(a + (b * c))");
    assert_eq!(parsed(quote!(a * b + c)), "((a * b) + c)");
    assert_eq!(parsed(quote!(a - -b)), "(a - (-b))");
    assert_eq!(parsed(quote!(-a * b)), "((-a) * b)");
    assert_eq!(parsed(quote!((a + b) * c)), "((a + b) * c)");
}

#[test]
fn sum_body_is_one_multiplicative_term() {
    assert_eq!(
        parsed(quote!(sum(i in 0..n) x[i] * y[i] + 1)),
        "(sum[i in 0..n]{(x[i] * y[i])} + 1)"
    );
    assert_eq!(
        parsed(quote!(sum(i in 0..n) x[i] ^ 2 / 2 - c)),
        "(sum[i in 0..n]{((x[i] ^ 2) / 2)} - c)"
    );
    assert_eq!(
        parsed(quote!(2 * sum(i in 0..3, j in 1..=M) v[i, j])),
        "(2 * sum[i in 0..3, j in 1..=M]{v[i, j]})"
    );
    assert_eq!(
        parsed(quote!(sum(i in 0..n) (x[i] + y[i]))),
        "sum[i in 0..n]{(x[i] + y[i])}"
    );
    assert_eq!(
        parsed(quote!(sum(i in 0..n) -x[i + 1] * sum(k in 0..M - 1) w[k])),
        "sum[i in 0..n]{((-x[(i + 1)]) * sum[k in 0..(M - 1)]{w[k]})}"
    );
}

#[test]
fn calls_indices_and_literals() {
    assert_eq!(
        parsed(quote!(min(exp(x), ln(y)) + sigmoid(z[M - 1]))),
        "(min(exp(x), ln(y)) + sigmoid(z[(M - 1)]))"
    );
    assert_eq!(parsed(quote!(1e-3 * 100 + 2.5)), "((0.001 * 100) + 2.5)");
    assert_eq!(parsed(quote!(pi / 8.0)), "(pi / 8.0)");
    // A negative literal token (as other macros may pass along) reads as a negation.
    let minus = proc_macro2::TokenTree::Literal(proc_macro2::Literal::f64_unsuffixed(-1.5));
    let value = parsed(TokenStream::from_iter([minus]));
    assert!(value == "(-1.5)" || value == "-1.5", "{value}");
}

#[test]
fn syntax_errors_say_what_was_expected() {
    assert!(parse_error(quote!(a+)).contains("expected an expression"));
    assert!(parse_error(quote!(a b)).contains("found `b`"));
    assert!(parse_error(quote!(2.0f64 * x)).contains("remove `f64`"));
    assert!(parse_error(quote!("a" * x)).contains("only has numbers"));
    assert!(parse_error(quote!(sum(i of 0..3) x[i])).contains("`in`"));
    assert!(parse_error(quote!(sum(i in 0, 3) x[i])).contains("`..`"));
    assert!(parse_error(quote!(x[])).contains("empty index"));
    assert!(parse_error(quote!([1, 2])).contains("only allowed as param defaults"));
    assert!(parse_error(quote!(sum x)).contains("`(` after `sum`"));
}

/// Line and column (1-based line, 0-based column) of an error's span,
/// parsed from source text so that spans are real positions.
fn error_position(src: &str) -> Vec<(usize, usize, String)> {
    let tokens: TokenStream = src.parse().unwrap();
    let errors = match parse_game(tokens) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    };
    // `Errors` keeps spans private; recover them from the compile errors it emits.
    let compiled = errors.to_compile_errors();
    let mut out = Vec::new();
    let messages = errors.messages();
    let mut spans = Vec::new();
    for tree in compiled {
        if let proc_macro2::TokenTree::Ident(id) = &tree {
            if id == "compile_error" {
                spans.push(id.span());
            }
        }
    }
    for (span, msg) in spans.into_iter().zip(messages) {
        let start = span.start();
        out.push((start.line, start.column, msg));
    }
    out
}

#[test]
fn errors_point_at_the_offending_tokens_and_all_are_reported() {
    let src = "game G {\n    leader x;\n    let a = x +* 2;\n    param p = ;\n    follower y;\n    cost x = x ^ 2 y;\n}";
    let errors = error_position(src);
    assert_eq!(errors.len(), 3, "{errors:?}");
    // `*` after `+` on line 3, column 15.
    assert_eq!((errors[0].0, errors[0].1), (3, 15), "{errors:?}");
    assert!(errors[0].2.contains("expected an expression"));
    assert!(errors[0].2.contains("found `*`"));
    // `;` after `param p =` on line 4.
    assert_eq!((errors[1].0, errors[1].1), (4, 14), "{errors:?}");
    // stray `y` on line 6.
    assert_eq!((errors[2].0, errors[2].1), (6, 19), "{errors:?}");
    assert!(errors[2].2.contains("found `y`"));
}

#[test]
fn header_and_statements() {
    let g = parse_game(quote! {
        #[derive(Clone)]
        pub(crate) game Torus {
            param phi1 = pi / 8.0;
            param s: [2, 2] = [[1.0, 0.0], [0.0, 1.0]];
            leader th1: angle;
            follower th: angle[3];
            follower u: [2];
            budget = 5000;
            cost th1 = cos(th1);
        }
    })
    .unwrap();
    assert_eq!(g.name.to_string(), "Torus");
    assert_eq!(g.vis.to_string(), "pub (crate)");
    assert!(g.attrs.to_string().contains("derive"));
    assert_eq!(g.items.len(), 7);
    assert!(matches!(
        &g.items[2],
        Item::Player {
            angle: Some(_),
            dims: None,
            ..
        }
    ));
    assert!(matches!(
        &g.items[3],
        Item::Player { angle: Some(_), dims: Some(d), .. } if d.dims.len() == 1
    ));
    assert!(matches!(&g.items[5], Item::Budget { .. }));
}

#[test]
fn header_errors() {
    let msg = |t: TokenStream| parse_game(t).unwrap_err().messages().join("\n");
    assert!(msg(quote!()).contains("expected a game"));
    assert!(msg(quote!(
        struct G {}
    ))
    .contains("expected a game"));
    assert!(msg(quote!(pub(crate) game fn {})).contains("`fn` is a Rust keyword"));
    assert!(msg(quote!(#![inner] game G {})).contains("inner attributes"));
    assert!(msg(quote!(game G ;)).contains("`{` starting the body of game `G`"));
    assert!(msg(quote!(game G {} game H {})).contains("one game per"));
    assert!(msg(quote!(game G { player x; })).contains("unknown statement `player`"));
    assert!(msg(quote!(game G { folower x; })).contains("did you mean `follower`?"));
}

#[test]
fn syntax_errors_and_check_errors_are_reported_together_without_cascades() {
    let msg = |t: TokenStream| parse_game(t).unwrap_err().messages();
    let e = msg(quote! {
        game G {
            leader x;
            follower y;
            let f = x +* y;
            param p = ;
            cost x = f * p * zz;
            cost y = y ^ 2 x;
        }
    });
    // Three syntax errors, then the one real checking error: `f`, `p` and
    // `y`'s cost were in skipped statements and are not reported again.
    assert_eq!(e.len(), 4, "{e:#?}");
    assert!(e[..3].iter().all(|m| m.starts_with("expected")), "{e:#?}");
    assert!(e[3].contains("unknown name `zz`"), "{e:#?}");
    let e = msg(quote! {
        game G {
            folower y;
            leader x;
            cost x = x * y;
            cost y = y ^ 2;
        }
    });
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].contains("did you mean `follower`?"));
}
