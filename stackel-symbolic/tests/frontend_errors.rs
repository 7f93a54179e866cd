//! Errors of tensor lets, reductions and indices: one test per kind of bad
//! input, asserting the message says what is wrong and what is allowed, and
//! that it points at the offending tokens.

use proc_macro2::TokenStream;
use quote::quote;
use stackel_symbolic::front_end;

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
fn non_affine_indices_say_what_is_allowed() {
    for index in [quote!(i * i), quote!(2 * i), quote!(i / 2), quote!(-i)] {
        one_error(
            quote! {
                game G {
                    leader v: [4];
                    follower y;
                    cost v = sum(i in 0..2) v[#index] * y;
                    cost y = y^2;
                }
            },
            &[
                "not a sum index plus a constant",
                "coefficient 1",
                "`x[i + 1]`",
            ],
        );
    }
    one_error(
        quote! {
            game G {
                leader v: [4];
                follower y;
                cost v = sum(i in 0..2, j in 0..2) v[i + j] * y;
                cost y = y^2;
            }
        },
        &["only one sum index"],
    );
}

#[test]
fn out_of_range_names_the_first_bad_value() {
    one_error(
        quote! {
            game G {
                const M = 3;
                leader v: [M];
                follower y;
                cost v = sum(i in 0..M) v[i + 1] * y;
                cost y = y^2;
            }
        },
        &[
            "runs over 1..=3 for `i` in 0..3",
            "`v` has 3 entries",
            "indices 0..=2",
            "at `i = 2` it is 3",
        ],
    );
    one_error(
        quote! {
            game G {
                leader v: [3, 3];
                follower y;
                cost v = sum(i in 0..3) v[1, i - 2] * y;
                cost y = y^2;
            }
        },
        &["runs over -2..=0", "at `i = 0` it is -2"],
    );
}

#[test]
fn unbound_index_in_a_tensor_let() {
    one_error(
        quote! {
            game G {
                leader w: [3, 2];
                follower y;
                let h[j in 0..3] = w[j, i] * y;
                cost w = sum(j in 0..3) h[j];
                cost y = y^2;
            }
        },
        &[
            "unbound index `i` in the body of let `h`",
            "the let's own indices (`j`)",
            "let h[.., i in 0..n]",
            "sum(i in 0..n)",
        ],
    );
}

#[test]
fn tensor_let_shape_mismatches() {
    let game = |uses: TokenStream| {
        quote! {
            game G {
                leader x: [3];
                follower y;
                let h[i in 0..3, j in 0..2] = x[i] * j;
                let f = x[0] * y;
                cost x = #uses;
                cost y = y^2;
            }
        }
    };
    one_error(
        game(quote!(h[0] * y)),
        &["`h` is a let with 2 indices (`h[i, j]`), found 1"],
    );
    one_error(
        game(quote!(h * y)),
        &["`h` is a let with 2 indices, not a number", "`h[i, j]`"],
    );
    one_error(
        game(quote!(f[0] * y + h[0, 0])),
        &[
            "`f` is a scalar let; it cannot be indexed",
            "let f[i in 0..n]",
        ],
    );
    one_error(
        game(quote!(sum(k in 0..3) h[k, k] * y)),
        &[
            "let `h` is declared for `j in 0..2`",
            "indices 0..=1",
            "at `k = 2` it is 2",
        ],
    );
    one_error(
        game(quote!(h[3, 0] * y)),
        &["this index is 3", "let `h` is declared for `i in 0..3`"],
    );
}

#[test]
fn let_index_used_outside_its_let() {
    one_error(
        quote! {
            game G {
                leader x: [3];
                follower y;
                let h[j in 0..3] = x[j];
                cost x = h[0] * x[j];
                cost y = y^2;
            }
        },
        &["`j` is an index of let `h` used outside the let"],
    );
}

#[test]
fn tensor_let_declarations() {
    one_error(
        quote! {
            game G {
                leader x: [3];
                follower y;
                let h[i in 2..2] = x[i];
                cost x = x[0] * y;
                cost y = y^2;
            }
        },
        &["let `h` has an empty range for its index `i`"],
    );
    one_error(
        quote! {
            game G {
                leader x: [3];
                follower y;
                let h[x in 0..3] = y;
                cost x = x[0] * y;
                cost y = y^2;
            }
        },
        &["index `x` of let `h` has the same name as the leader"],
    );
    one_error(
        quote! {
            game G {
                leader x: [3];
                follower y;
                let h[i in 0..3] = sum(i in 0..2) x[i];
                cost x = x[0] * y;
                cost y = y^2;
            }
        },
        &["already bound by an enclosing sum or by the let"],
    );
    // Lets keep their order: a later let is not visible, indexed or not.
    one_error(
        quote! {
            game G {
                leader x: [3];
                follower y;
                let g[i in 0..3] = h[i];
                let h[i in 0..3] = x[i];
                cost x = g[0] * y;
                cost y = y^2;
            }
        },
        &["let `h` is declared later"],
    );
}

#[test]
fn empty_mean_max_min_are_errors_and_an_empty_sum_is_zero() {
    for op in ["mean", "max", "min"] {
        let src = format!(
            "game G {{ const N = 0; leader x: [3]; follower y; cost x = {op}(i in 0..N) x[i] * y; cost y = y^2; }}"
        );
        one_error(
            src.parse().unwrap(),
            &[
                &format!("`{op}` over an empty range: `i` in 0..0 takes no value"),
                "need at least one term",
                "empty `sum`",
            ],
        );
    }
    let m = front_end(quote! {
        game G {
            const N = 0;
            leader x: [3];
            follower y;
            cost x = sum(i in 0..N) x[i] * y + x[0] * y;
            cost y = y^2;
        }
    });
    assert!(m.is_ok());
}

#[test]
fn max_and_min_stay_two_argument_functions_without_a_binder() {
    let m = front_end(quote! {
        game G {
            leader x: [2];
            follower y;
            cost x = max(x[0], y) + min(x[1], max(y, 1)) + max(i in 0..2) x[i];
            cost y = y^2;
        }
    });
    assert!(m.is_ok(), "{}", m.err().unwrap());
    one_error(
        quote! {
            game G {
                leader x;
                follower y;
                cost x = max(x) * y;
                cost y = y^2;
            }
        },
        &["takes 2 arguments"],
    );
}

#[test]
fn mean_is_a_reserved_name_and_a_reduction() {
    one_error(
        quote! {
            game G {
                leader x;
                follower y;
                param mean = 1.0;
                cost x = x * y;
                cost y = y^2;
            }
        },
        &["`mean` is a built-in name"],
    );
    one_error(
        quote! {
            game G {
                leader x;
                follower y;
                cost x = mean(x) * y;
                cost y = y^2;
            }
        },
        &["`in` and a range"],
    );
    one_error(
        quote! {
            game G {
                const N = mean(i in 0..2) i;
                leader x;
                follower y;
                cost x = x * y;
                cost y = y^2;
            }
        },
        &["a `mean` is not allowed here"],
    );
}
