//! The inline policy and the `crate` option, on emitted code.

use quote::quote;

/// The `#[inline...]` attribute text directly before `fn name<`.
fn inline_of(code: &str, name: &str) -> String {
    let at = code
        .find(&format!("fn {name} <"))
        .unwrap_or_else(|| panic!("no fn {name}"));
    let start = code[..at].rfind("# [inline").expect("an inline attribute");
    code[start..at].trim().to_string()
}

#[test]
fn small_games_force_inlining_of_every_hot_method() {
    let code = crate::compile(quote! {
        game Duopoly {
            param a = 100.0; param c1 = 5.0; param c2 = 2.0;
            leader q1; follower q2;
            let price = a - q1 - q2;
            cost q1 = -(price - c1) * q1;
            cost q2 = -(price - c2) * q2;
        }
    })
    .unwrap()
    .to_string();
    for f in [
        "leader_cost",
        "follower_cost",
        "omega",
        "stackelberg_parts",
        "second_order_parts",
        "d1f1",
        "d22phi",
    ] {
        assert_eq!(inline_of(&code, f), "# [inline (always)]", "{f}");
    }
}

#[test]
fn large_programs_keep_the_inline_hint() {
    // covariance m = 9: its second-order blocks run to thousands of
    // instructions, well past INLINE_ALWAYS_MAX
    let code = crate::compile(quote! {
        game Covariance {
            const M = 9;
            param eta = 0.6;
            leader v: [M, M];
            follower w: [M, M];
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }
    })
    .unwrap()
    .to_string();
    assert_eq!(inline_of(&code, "second_order_parts"), "# [inline]");
    assert_eq!(inline_of(&code, "d11phi"), "# [inline]");
}

fn duopoly_with(attr: proc_macro2::TokenStream) -> Result<String, crate::Errors> {
    crate::compile(quote! {
        #attr
        /// A duopoly.
        pub game Duopoly {
            param a = 100.0;
            leader q1; follower q2;
            cost q1 = -(a - q1 - q2) * q1;
            cost q2 = -(a - q1 - q2) * q2;
        }
    })
    .map(|t| t.to_string())
}

#[test]
fn the_runtime_path_defaults_to_stackel() {
    let code = duopoly_with(quote!()).unwrap();
    assert!(code.contains("use :: stackel as __stackel ;"), "{code}");
    assert!(code.contains("impl __stackel :: Game for Duopoly"));
}

#[test]
fn the_crate_option_replaces_every_runtime_path() {
    for attr in [
        quote!(#[stackel(crate = stackel_runtime)]),
        quote!(#[stackel(crate = "stackel_runtime")]),
    ] {
        let code = duopoly_with(attr).unwrap();
        assert!(
            code.contains("use stackel_runtime as __stackel ;"),
            "{code}"
        );
        assert!(!code.contains(":: stackel ::"), "{code}");
        assert!(!code.contains("# [stackel"), "the option is not passed on");
        // the other attributes still reach the struct
        assert!(code.contains("# [doc = r\" A duopoly.\"]"), "{code}");
    }
    let code = duopoly_with(quote!(#[stackel(crate = crate::runtime)])).unwrap();
    assert!(
        code.contains("use crate :: runtime as __stackel ;"),
        "{code}"
    );
}

#[test]
fn bad_crate_options_are_errors() {
    let e = duopoly_with(quote!(#[stackel(krate = x)])).unwrap_err();
    assert!(e.messages()[0].contains("unknown stackel option"), "{e}");
    let e = duopoly_with(quote!(#[stackel(crate = a, crate = b)])).unwrap_err();
    assert!(e.messages()[0].contains("given twice"), "{e}");
    let e = duopoly_with(quote!(#[stackel(crate = "not a path")])).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
}

fn covariance(m: usize, attr: proc_macro2::TokenStream) -> crate::model::GameModel {
    let m = proc_macro2::Literal::usize_unsuffixed(m);
    crate::front_end(quote! {
        #attr
        game Covariance {
            const M = #m;
            param eta = 0.6;
            leader v: [M, M];
            follower w: [M, M];
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }
    })
    .unwrap()
}

fn form_of(model: &crate::model::GameModel) -> super::Form {
    crate::choose_form(model, &super::Options::of(&model.attrs).unwrap())
}

#[test]
fn the_size_rule_picks_loops_above_the_threshold() {
    use super::Form;
    // the paper's m = 9 stays unrolled; m = 15 crosses LOOP_FORM_THRESHOLD
    for (m, form) in [
        (3, Form::Unrolled),
        (9, Form::Unrolled),
        (14, Form::Unrolled),
        (15, Form::Loops),
        (25, Form::Loops),
    ] {
        let model = covariance(m, quote!());
        let size: u64 = [&model.leader, &model.followers[0]]
            .iter()
            .map(|p| crate::unrolled_size(&p.cost))
            .sum();
        assert_eq!(form_of(&model), form, "m = {m}: {size} unrolled nodes");
        assert_eq!(size > crate::LOOP_FORM_THRESHOLD, form == Form::Loops);
    }
    // the attribute forces either form
    assert_eq!(
        form_of(&covariance(25, quote!(#[stackel(form = "unrolled")]))),
        Form::Unrolled
    );
    assert_eq!(
        form_of(&covariance(3, quote!(#[stackel(form = "loops")]))),
        Form::Loops
    );
}

#[test]
fn the_loop_form_emits_loops_and_loop_form_wgsl() {
    let code = crate::back_end(&covariance(25, quote!()))
        .unwrap()
        .to_string();
    assert!(code.contains("Form :: Loops"), "{code}");
    assert!(code.contains("for i"), "loops");
    assert!(code.contains("fn wgsl"), "the loop-form WGSL module");
    assert!(code.contains("game_h_tmul"), "emit_wgsl_loops's operators");
    assert!(code.len() < 200_000, "{} bytes", code.len());
}

fn count_tokens(ts: proc_macro2::TokenStream) -> usize {
    ts.into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Group(g) => 1 + count_tokens(g.stream()),
            _ => 1,
        })
        .sum()
}

#[test]
fn loop_form_code_size_does_not_grow_with_m() {
    let tokens = |m| {
        let model = covariance(m, quote!(#[stackel(form = "loops")]));
        count_tokens(crate::back_end(&model).unwrap())
    };
    let t3 = tokens(3);
    assert_eq!(tokens(9), t3);
    assert_eq!(tokens(25), t3);
    assert_eq!(tokens(40), t3);
}

#[test]
fn bad_form_options_are_errors() {
    let e = duopoly_with(quote!(#[stackel(form = "fast")])).unwrap_err();
    assert!(e.messages()[0].contains("unknown form"), "{e}");
    let e = duopoly_with(quote!(#[stackel(form = "loops", form = "loops")])).unwrap_err();
    assert!(e.messages()[0].contains("given twice"), "{e}");
    let e = duopoly_with(quote!(#[stackel(form = loops)])).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
}

#[test]
fn loop_form_followers_need_their_own_curvature() {
    let e = crate::compile(quote! {
        #[stackel(form = "loops")]
        game G { leader x: [2]; follower y: [2]; cost x = sum(i in 0..2) x[i] * y[i]; cost y = sum(i in 0..2) x[i]^2; }
    })
    .unwrap_err();
    assert!(e.messages()[0].contains("does not depend on `y`"), "{e}");
    let e = crate::compile(quote! {
        #[stackel(form = "loops")]
        game G { leader x: [2]; follower y: [2]; cost x = sum(i in 0..2) x[i] * y[i]; cost y = sum(i in 0..2) x[i] * y[i]; }
    })
    .unwrap_err();
    assert!(e.messages()[0].contains("at most linear"), "{e}");
}

#[test]
fn loop_invariant_sums_are_computed_before_the_loop() {
    let code = crate::compile(quote! {
        #[stackel(form = "loops")]
        game G {
            leader x: [4];
            follower y: [4];
            cost x = sum(i in 0..4) tanh(x[i] + sum(k in 0..4) y[k]^2);
            cost y = sum(i in 0..4) (y[i] - x[i])^2;
        }
    })
    .unwrap()
    .to_string();
    let cost = &code[code.find("fn leader_cost").unwrap()..code.find("fn follower_cost").unwrap()];
    // the sum over k is computed once, then the loop over i reads it
    let (h, l) = (
        cost.find("let h0 : T =").expect(cost),
        cost.find("for i").expect(cost),
    );
    assert!(h < l, "{cost}");
    assert_eq!(cost.matches(" in 0 .. 4").count(), 2, "{cost}");
}

#[test]
fn matrix_product_terms_loop_over_the_contiguous_index_innermost() {
    // D_v f[a, b] = sum_j w[a, j] v[j, b] + sum_i w[i, a] v[i, b]: per row a,
    // for each j the factor w[a, j] once, then the row of v added into the
    // row of out (contiguous in b)
    let code = crate::back_end(&covariance(4, quote!(#[stackel(form = "loops")])))
        .unwrap()
        .to_string();
    let d1f1 = &code[code.find("fn d1f1").unwrap()..code.find("fn d2f1").unwrap()];
    assert_eq!(d1f1.matches("let f : T =").count(), 2, "{d1f1}");
    assert_eq!(d1f1.matches("+= f *").count(), 2, "{d1f1}");
}

#[test]
fn common_subexpressions_of_the_chain_rule_are_computed_once() {
    // D_x sum_i sigmoid(x[i] y) = sigmoid(x[a] y) (1 - sigmoid(x[a] y)) y:
    // the sigmoid once per entry
    let code = crate::compile(quote! {
        #[stackel(form = "loops")]
        game G {
            leader x: [3];
            follower y;
            cost x = sum(i in 0..3) sigmoid(x[i] * y);
            cost y = (y - x[0])^2;
        }
    })
    .unwrap()
    .to_string();
    let d1f1 = &code[code.find("fn d1f1").unwrap()..code.find("fn d2f1").unwrap()];
    assert_eq!(d1f1.matches("sigmoid").count(), 1, "{d1f1}");
    assert!(d1f1.contains("let c0 : T ="), "{d1f1}");
}
