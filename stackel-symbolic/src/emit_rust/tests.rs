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
