//! Checker tests: what a well-formed game resolves to (indices, sum
//! indices, consts, defaults, angles, budget), and one test per kind of bad
//! input, asserting the message says what is wrong.

use proc_macro2::TokenStream;
use quote::quote;
use stackel_symbolic::front_end;
use stackel_symbolic::model::{BinOp, Expr, GameModel, Index, Shape};

fn ok(t: TokenStream) -> GameModel {
    match front_end(t) {
        Ok(m) => m,
        Err(e) => panic!("unexpected errors:\n{e}"),
    }
}

fn errors(t: TokenStream) -> Vec<String> {
    match front_end(t) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.messages(),
    }
}

/// Asserts exactly one error, containing every one of `parts`.
fn one_error(t: TokenStream, parts: &[&str]) {
    let e = errors(t);
    assert_eq!(e.len(), 1, "{e:#?}");
    for p in parts {
        assert!(e[0].contains(p), "`{p}` not in: {}", e[0]);
    }
}

#[test]
fn indices_resolve_to_sum_var_plus_offset() {
    let m = ok(quote! {
        game G {
            const N = 4;
            const L = N - 1;
            leader x: [N];
            follower y;
            cost x = sum(i in 0..L) x[i + 1] * x[i] + x[L] + sum(k in 1..=L) k * x[k - 1];
            cost y = y ^ 2;
        }
    });
    assert_eq!(
        m.consts.iter().map(|c| c.value).collect::<Vec<_>>(),
        vec![4, 3]
    );
    let Expr::Binary(BinOp::Add, first, second) = &m.leader.cost else {
        panic!("{:?}", m.leader.cost)
    };
    let Expr::Binary(BinOp::Add, sum1, last) = first.as_ref() else {
        panic!("{first:?}")
    };
    let Expr::Sum {
        var,
        lo: 0,
        hi: 3,
        body,
    } = sum1.as_ref()
    else {
        panic!("{sum1:?}")
    };
    let entry = |offset| Expr::Var {
        player: 0,
        index: vec![Index {
            var: Some(*var),
            offset,
        }],
    };
    assert_eq!(
        **body,
        Expr::Binary(BinOp::Mul, Box::new(entry(1)), Box::new(entry(0)))
    );
    assert_eq!(
        **last,
        Expr::Var {
            player: 0,
            index: vec![Index {
                var: None,
                offset: 3
            }]
        }
    );
    // `1..=L` is 1..4; `k` used as a number is the sum index itself.
    let Expr::Sum {
        var: k,
        lo: 1,
        hi: 4,
        body,
    } = second.as_ref()
    else {
        panic!("{second:?}")
    };
    let index = Index {
        var: Some(*k),
        offset: 0,
    };
    assert_eq!(
        **body,
        Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::SumIndex(index)),
            Box::new(Expr::Var {
                player: 0,
                index: vec![Index {
                    var: Some(*k),
                    offset: -1
                }]
            })
        )
    );
}

#[test]
fn defaults_angles_budget_and_constant_expressions() {
    let m = ok(quote! {
        pub game Torus {
            const K = 2;
            param phi = pi / 8.0;
            param alpha: [K] = [1.0, 1.3];
            param s: [K, 3] = [[1, 2, 3], [4, 5, -6.5]];
            param neg = -1.0;
            param f = max(sqrt(4.0), 1.0) + relu(-1) + K;
            param free;
            leader th1: angle;
            follower th2: angle[K];
            budget = 1000 * K;
            cost th1 = -alpha[0] * cos(th1 - phi) + cos(th1 - th2[0]);
            cost th2 = -alpha[1] * cos(th2[1] - phi) + cos(th2[0] - th1);
        }
    });
    let defaults: Vec<_> = m.params.iter().map(|p| p.default.clone()).collect();
    assert_eq!(
        defaults,
        vec![
            Some(vec![std::f64::consts::PI / 8.0]),
            Some(vec![1.0, 1.3]),
            Some(vec![1.0, 2.0, 3.0, 4.0, 5.0, -6.5]),
            Some(vec![-1.0]),
            Some(vec![4.0]),
            None
        ]
    );
    assert_eq!(m.params[2].shape, Shape::Matrix(2, 3));
    assert!(m.leader.angle && m.followers[0].angle);
    assert_eq!(m.followers[0].shape, Shape::Vector(2));
    assert_eq!(m.budget, Some(2000));
}

#[test]
fn several_followers_are_numbered_in_order() {
    let m = ok(quote! {
        game G {
            follower a;
            leader l;
            follower b: [2];
            cost b = b[0] * l + b[1] ^ 2;
            cost a = a * l;
            cost l = l ^ 2 + a + b[1];
        }
    });
    assert_eq!(m.leader.name, "l");
    let names: Vec<_> = m.followers.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(m.player_offset(2), 2);
    assert_eq!(
        m.followers[0].cost,
        Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Var {
                player: 1,
                index: vec![]
            }),
            Box::new(Expr::Var {
                player: 0,
                index: vec![]
            })
        )
    );
}

#[test]
fn unknown_name_suggests_a_near_one() {
    one_error(
        quote!(game G { leader x1; follower y; cost x1 = x1 * y; cost y = y * x2; }),
        &["unknown name `x2`", "did you mean `x1`?"],
    );
}

#[test]
fn name_declared_twice() {
    one_error(
        quote!(game G { param a = 1; leader a; follower y; cost a = a; cost y = y; }),
        &["`a` is declared twice", "already a param"],
    );
}

#[test]
fn player_without_cost_and_with_two() {
    one_error(
        quote!(game G { leader x; follower y; cost x = x * y; }),
        &["follower `y` has no cost", "cost y = .."],
    );
    one_error(
        quote!(game G { leader x; follower y; cost x = x; cost y = y; cost x = x * y; }),
        &["`x` has two costs"],
    );
}

#[test]
fn cost_for_a_non_player() {
    one_error(
        quote!(game G { param p; leader x; follower y; cost x = x; cost y = y; cost p = x; }),
        &["`p` is a param, not a player"],
    );
}

#[test]
fn leader_and_follower_counts() {
    one_error(
        quote!(game G { follower y; cost y = y; }),
        &["has no leader", "exactly one `leader"],
    );
    one_error(
        quote!(game G { leader x; leader z; follower y; cost x = x; cost y = y; }),
        &["exactly one leader", "`x` is already the leader"],
    );
    one_error(
        quote!(game G { leader x; cost x = x; }),
        &["has no follower"],
    );
}

#[test]
fn index_range_and_count() {
    one_error(
        quote!(game G { leader x: [3]; follower y; cost x = sum(i in 0..3) x[i + 1]; cost y = y; }),
        &["index out of range", "runs over 1..=3", "indices 0..=2"],
    );
    one_error(
        quote!(game G { leader x: [3]; follower y; cost x = x[3]; cost y = y; }),
        &["index out of range", "is 3"],
    );
    one_error(
        quote!(game G { leader x: [3]; follower y; cost x = x[-1]; cost y = y; }),
        &["index out of range", "is -1"],
    );
    one_error(
        quote!(game G { leader v: [2, 2]; follower y; cost v = v[0]; cost y = y; }),
        &["2x2 matrix", "takes 2 indices", "found 1"],
    );
    one_error(
        quote!(game G { leader x; follower y; cost x = x[0]; cost y = y; }),
        &["scalar", "cannot be indexed"],
    );
    one_error(
        quote!(game G { leader x: [2]; follower y; cost x = x; cost y = y; }),
        &["vector of 2 entries", "not a number", "`x[i]`"],
    );
    one_error(
        quote!(game G { leader x: [4]; follower y; cost x = sum(i in 0..2) x[2 * i]; cost y = y; }),
        &["not a sum index plus a constant"],
    );
}

#[test]
fn sum_index_scoping() {
    one_error(
        quote!(game G { leader x: [2]; follower y; cost x = sum(i in 0..2) sum(i in 0..2) x[i]; cost y = y; }),
        &["sum index `i` is already bound by an enclosing sum"],
    );
    one_error(
        quote!(game G { leader x: [2]; follower y: [2]; cost x = sum(i in 0..2) x[i] + y[i]; cost y = y[0]; }),
        &[
            "`i` is a sum index used outside its sum",
            "first `+` or `-`",
        ],
    );
    one_error(
        quote!(game G { leader x: [2]; follower y; cost x = sum(y in 0..2) x[y]; cost y = y; }),
        &["sum index `y` has the same name as a follower"],
    );
    one_error(
        quote!(game G { leader x: [3]; follower y; cost x = sum(i in 0..3) sum(j in 0..i) x[j]; cost y = y; }),
        &["`i` is a sum index", "constant integer"],
    );
    one_error(
        quote!(game G { leader x: [3]; follower y; cost x = sum(i in 0..2.5) x[i]; cost y = y; }),
        &["sum bound must be an integer"],
    );
    one_error(
        quote!(game G { leader x: [3]; follower y; cost x = sum(i in 3..1) x[i]; cost y = y; }),
        &["backwards"],
    );
}

#[test]
fn functions_and_arity() {
    one_error(
        quote!(game G { leader x; follower y; cost x = expp(x); cost y = y; }),
        &[
            "unknown function `expp`",
            "exp, ln, sqrt",
            "min, max",
            "did you mean `exp`?",
        ],
    );
    one_error(
        quote!(game G { leader x; follower y; cost x = min(x); cost y = y; }),
        &["`min` takes 2 arguments, found 1"],
    );
    one_error(
        quote!(game G { leader x; follower y; cost x = sin(x, y); cost y = y; }),
        &["`sin` takes 1 argument, found 2"],
    );
}

#[test]
fn dimensions_must_be_positive_integers() {
    one_error(
        quote!(game G { leader x: [2.0]; follower y; cost x = x[0]; cost y = y; }),
        &["dimension must be an integer", "write `2`"],
    );
    one_error(
        quote!(game G { const N = 0; leader x: [N]; follower y; cost x = x[0]; cost y = y; }),
        &["positive integers, found 0"],
    );
    one_error(
        quote!(game G { param p = 1; leader x: [p]; follower y; cost x = x[0]; cost y = y; }),
        &["`p` is a param", "dimension must be an integer"],
    );
    one_error(
        quote!(game G { const N = M; const M = 2; leader x; follower y; cost x = x; cost y = y; }),
        &["const `M` is declared later"],
    );
    one_error(
        quote!(game G { const N = 2 ^ 70; leader x; follower y; cost x = x; cost y = y; }),
        &["overflow"],
    );
}

#[test]
fn sizes_are_bounded() {
    one_error(
        quote!(game G { const N = 2 ^ 40; leader x: [N, N]; follower y; cost x = x[0, 0]; cost y = y; }),
        &["`x` is too large", "at most 1048576 entries"],
    );
    one_error(
        quote!(game G { leader x; follower y; cost x = sum(i in -9000000000000000000..9000000000000000000) x; cost y = y; }),
        &["the range of `i` is too long"],
    );
    one_error(
        quote!(game G { const N = 2 ^ 11; leader x; follower y; cost x = sum(i in 0..N) sum(j in 0..N) x; cost y = y; }),
        &["the range of `j` is too long", "with the sums around it"],
    );
}

#[test]
fn inlined_lets_are_bounded() {
    // Each let doubles the one before: a31 would be 2^31 nodes once inlined.
    let mut lets = quote!(let a0 = x * y;);
    for k in 1..32u32 {
        let prev = quote::format_ident!("a{}", k - 1);
        let next = quote::format_ident!("a{}", k);
        lets.extend(quote!(let #next = #prev * #prev;));
    }
    let e = errors(quote!(game G { leader x; follower y; #lets cost x = a31; cost y = y; }));
    assert!(!e.is_empty());
    assert!(
        e.iter().all(|m| m.contains("larger than 1048576 nodes")),
        "{e:#?}"
    );
}

#[test]
fn lets_use_earlier_lets_only() {
    one_error(
        quote!(game G { leader x; follower y; let a = b; let b = x; cost x = a; cost y = y; }),
        &["let `b` is declared later"],
    );
    one_error(
        quote!(game G { leader x; follower y; let a = a + x; cost x = a; cost y = y; }),
        &["let `a` uses itself"],
    );
}

#[test]
fn param_defaults_are_checked() {
    one_error(
        quote!(game G { param v: [3] = [1.0, 2.0]; leader x; follower y; cost x = x; cost y = y; }),
        &["expected 3 numbers here, found 2"],
    );
    one_error(
        quote!(game G { param a = x; leader x; follower y; cost x = x; cost y = y; }),
        &["`x` is the leader", "a param default is a constant"],
    );
    one_error(
        quote!(game G { param a = ln(-1.0); leader x; follower y; cost x = x; cost y = y; }),
        &["evaluates to NaN"],
    );
    one_error(
        quote!(game G { param a = [1.0]; leader x; follower y; cost x = x; cost y = y; }),
        &["is a scalar", "not an array"],
    );
}

#[test]
fn reserved_names() {
    one_error(
        quote!(game G { param exp = 1; leader x; follower y; cost x = x; cost y = y; }),
        &["`exp` is a built-in name"],
    );
    one_error(
        quote!(game G { param match = 1; leader x; follower y; cost x = x * match; cost y = y; }),
        &["`match` is a Rust keyword"],
    );
    one_error(
        quote!(game G { leader x: [2]; follower y; cost x = sum(fn in 0..2) x[fn]; cost y = y; }),
        &["`fn` is a Rust keyword"],
    );
}

#[test]
fn all_errors_of_a_game_are_reported_together() {
    let e = errors(quote! {
        game G {
            leader x: [2];
            follower y;
            follower z;
            cost x = x[2] + foo;
            cost y = sqrt(y, y) + sum(i in 0..2) x[i] * w;
            cost q = y;
        }
    });
    assert_eq!(e.len(), 6, "{e:#?}");
    assert!(e.iter().any(|m| m.contains("index out of range")));
    assert!(e.iter().any(|m| m.contains("unknown name `foo`")));
    assert!(e.iter().any(|m| m.contains("`sqrt` takes 1 argument")));
    assert!(e.iter().any(|m| m.contains("unknown name `w`")));
    assert!(e.iter().any(|m| m.contains("unknown name `q`")));
    assert!(e.iter().any(|m| m.contains("follower `z` has no cost")));
}

/// (line, column) of each error, from source text so spans are positions.
fn error_positions(src: &str) -> Vec<(usize, usize, String)> {
    let errors = match front_end(src.parse().unwrap()) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    };
    let spans = errors
        .to_compile_errors()
        .into_iter()
        .filter_map(|t| match t {
            proc_macro2::TokenTree::Ident(id) if id == "compile_error" => Some(id.span()),
            _ => None,
        });
    spans
        .zip(errors.messages())
        .map(|(s, m)| (s.start().line, s.start().column, m))
        .collect()
}

#[test]
fn check_errors_point_at_the_offending_tokens() {
    let src = "game G {
    const N = 3;
    leader x: [N];
    follower y;
    cost x = sum(i in 0..N) x[i + 1] * y + zz;
    cost y = max(y) + x[0, 1];
}";
    let e = error_positions(src);
    let at: Vec<(usize, usize)> = e.iter().map(|(l, c, _)| (*l, *c)).collect();
    // The index `i + 1`, the unknown `zz`, max's arguments, the brackets of `x[0, 1]`.
    assert_eq!(at, vec![(5, 30), (5, 43), (6, 16), (6, 23)], "{e:#?}");
    assert!(e[0].2.contains("index out of range"));
    assert!(e[1].2.contains("unknown name `zz`"));
    assert!(e[2].2.contains("`max` takes 2 arguments"));
    assert!(e[3].2.contains("takes 1 index"));
}

/// `x` inside `levels` parentheses.
fn nested_parens(levels: usize) -> TokenStream {
    let mut e = quote!(x);
    for _ in 0..levels {
        e = TokenStream::from(proc_macro2::TokenTree::Group(proc_macro2::Group::new(
            proc_macro2::Delimiter::Parenthesis,
            e,
        )));
    }
    e
}

/// `x + x + ... + x` with `terms` terms.
fn chain(terms: usize) -> TokenStream {
    let mut e = quote!(x);
    for _ in 1..terms {
        e.extend(quote!(+ x));
    }
    e
}

#[test]
fn deep_and_long_expressions_are_errors_not_crashes() {
    let deep = nested_parens(2000);
    one_error(
        quote!(game G { leader x; follower y; cost x = #deep; cost y = y; }),
        &["nested too deeply"],
    );
    let mut minus = quote!(x);
    for _ in 0..2000 {
        minus = quote!(- #minus);
    }
    one_error(
        quote!(game G { leader x; follower y; cost x = #minus; cost y = y; }),
        &["nested too deeply"],
    );
    let mut array = quote!(1.0);
    for _ in 0..2000 {
        array = quote!([#array]);
    }
    one_error(
        quote!(game G { param p: [1] = #array; leader x; follower y; cost x = x; cost y = y; }),
        &["nested too deeply"],
    );
    let long = chain(2000);
    one_error(
        quote!(game G { leader x; follower y; cost x = #long; cost y = y; }),
        &["expression too long"],
    );
    // Within the limits: 100 levels of parentheses, a chain of 400 terms.
    let (deep, long) = (nested_parens(100), chain(400));
    ok(quote!(game G { leader x; follower y; cost x = #deep * #long; cost y = y ^ 2; }));
}

#[test]
fn lets_stacked_too_high_are_an_error() {
    // Each let adds a chain of 300 to the one before: the fourth is too high.
    let long = chain(300);
    let e = errors(quote! {
        game G {
            leader x;
            follower y;
            let a0 = #long;
            let a1 = a0 + #long;
            let a2 = a1 + #long;
            let a3 = a2 + #long;
            cost x = a3;
            cost y = y;
        }
    });
    assert!(!e.is_empty());
    assert!(
        e.iter()
            .all(|m| m.contains("more than 1024 operations high")),
        "{e:#?}"
    );
}
