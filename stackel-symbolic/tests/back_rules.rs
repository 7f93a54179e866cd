//! The back end's rules one by one: simplification identities and canonical
//! forms, structural sparsity, CSE, the size budget, the singular-follower
//! and zero-sum analyses, and the shape of the lowered programs.

use quote::quote;
use stackel_symbolic::dag::{Dag, Node};
use stackel_symbolic::front_end;
use stackel_symbolic::ir::{Op, Operand, Stmt};
use stackel_symbolic::lower::{
    derive, game_programs, lower_game, run, BLOCK_NAMES, SECOND_ORDER_PARTS, STACKELBERG_PARTS,
};
use stackel_symbolic::model::UnaryFn;

#[test]
fn algebraic_identities_simplify_away() {
    let mut d = Dag::new();
    let (x, y) = (d.state(0), d.state(1));
    let (zero, one, two, three) = (
        d.constant(0.0),
        d.constant(1.0),
        d.constant(2.0),
        d.constant(3.0),
    );
    assert_eq!(d.add(x, zero), x);
    assert_eq!(d.mul(x, one), x);
    let x0 = d.mul(x, zero);
    assert!(d.is_zero(x0));
    let nx = d.neg(x);
    assert_eq!(d.neg(nx), x);
    let s = d.sub(x, x);
    assert!(d.is_zero(s));
    let q = d.div(x, x);
    assert_eq!(d.as_const(q), Some(1.0));
    // c*x + d*x = (c + d)*x
    let (tx, hx) = (d.mul(two, x), d.mul(three, x));
    let five_x = d.add(tx, hx);
    let want = d.scale(5.0, x);
    assert_eq!(five_x, want);
    // x*x = x^2
    let xx = d.mul(x, x);
    assert_eq!(d.node(xx), &Node::Powi(x, 2));
    // commutative operands are ordered: one node for x*y and y*x, x+y and y+x
    assert_eq!(d.mul(x, y), d.mul(y, x));
    assert_eq!(d.add(x, y), d.add(y, x));
    // x - (x + y) = -y, numeric multiples of sums are distributed
    let xy = d.add(x, y);
    let r = d.sub(x, xy);
    assert_eq!(r, d.neg(y));
    // (2x)^2 = 4 x^2, (x^2)^3 = x^6
    let p = d.powi(tx, 2);
    let x2 = d.powi(x, 2);
    assert_eq!(p, d.scale(4.0, x2));
    let x6 = d.powi(x2, 3);
    assert_eq!(d.node(x6), &Node::Powi(x, 6));
    // constant folding of functions, powers, min/max
    let e = d.unary(UnaryFn::Exp, zero);
    assert_eq!(d.as_const(e), Some(1.0));
    let pw = d.pow(two, three);
    assert_eq!(d.as_const(pw), Some(8.0));
    let m = d.min(two, three);
    assert_eq!(d.as_const(m), Some(2.0));
    // a constant integer exponent becomes powi; a real one stays a power
    let half = d.constant(0.5);
    let sq = d.pow(x, three);
    assert_eq!(d.node(sq), &Node::Powi(x, 3));
    let root = d.pow(x, half);
    assert_eq!(d.node(root), &Node::Powf(x, half));
    // ln(exp(u)) = u
    let ex = d.unary(UnaryFn::Exp, x);
    assert_eq!(d.unary(UnaryFn::Ln, ex), x);
}

#[test]
fn division_by_negative_zero_keeps_its_sign() {
    let mut d = Dag::new();
    let x = d.state(0);
    let nz = d.constant(-0.0);
    let q = d.div(x, nz);
    assert_eq!(d.eval(q, &[2.0], &[], &[]), f64::NEG_INFINITY);
}

fn duopoly() -> proc_macro2::TokenStream {
    quote! {
        pub game Duopoly {
            param a = 100.0;
            param c1 = 5.0;
            param c2 = 2.0;
            leader q1;
            follower q2;
            let price = a - q1 - q2;
            cost q1 = -(price - c1) * q1;
            cost q2 = -(price - c2) * q2;
        }
    }
}

fn covariance(m: usize, budget: Option<usize>) -> proc_macro2::TokenStream {
    let m = proc_macro2::Literal::usize_unsuffixed(m);
    let budget = budget.map(|b| {
        let b = proc_macro2::Literal::usize_unsuffixed(b);
        quote!(budget = #b;)
    });
    quote! {
        pub game Covariance {
            const M = #m;
            param sigma: [M, M];
            param eta = 0.6;
            leader v: [M, M];
            follower w: [M, M];
            #budget
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }
    }
}

#[test]
fn structurally_zero_and_constant_entries_cost_nothing() {
    let d = derive(&front_end(duopoly()).unwrap()).unwrap();
    // Duopoly's Hessians are constants: no instructions at all.
    let p = d.program(&["D11f1", "D12f1", "D22f1", "D22f2", "D21f2"]);
    assert!(p.body.is_empty(), "{:?}", p.body);
    let consts: Vec<Vec<Operand>> = p.outputs.iter().map(|o| o.entries.clone()).collect();
    assert_eq!(
        consts,
        vec![
            vec![Operand::Const(2.0)],
            vec![Operand::Const(1.0)],
            vec![Operand::Const(0.0)],
            vec![Operand::Const(2.0)],
            vec![Operand::Const(1.0)],
        ]
    );
    // Covariance: D22f2 = eta I, every off-diagonal entry a structural zero.
    let d = derive(&front_end(covariance(3, None)).unwrap()).unwrap();
    let h = d.program(&["D22f2"]);
    assert!(h.body.is_empty());
    for (k, e) in h.outputs[0].entries.iter().enumerate() {
        let want = if k % 10 == 0 {
            Operand::Param(9)
        } else {
            Operand::Const(0.0)
        };
        assert_eq!(*e, want, "entry {k}");
    }
}

#[test]
fn shared_subexpressions_are_computed_once() {
    let m = front_end(quote! {
        game Shared {
            leader x;
            follower y;
            cost x = exp(x * y) + sin(exp(x * y)) * exp(x * y);
            cost y = y^2 + exp(x * y);
        }
    })
    .unwrap();
    let d = derive(&m).unwrap();
    let p = d.program(&STACKELBERG_PARTS);
    let exps = p
        .body
        .iter()
        .filter(|Stmt::Assign(i)| matches!(i.op, Op::Unary(UnaryFn::Exp, _)))
        .count();
    assert_eq!(exps, 1, "{:#?}", p.body);
    // ... and every temporary is used.
    let mut used = vec![false; p.temp_count()];
    let mut mark = |o: &Operand| {
        if let Operand::Tmp(t) = o {
            used[*t as usize] = true;
        }
    };
    for stmt in &p.body {
        stmt.operands().iter().for_each(&mut mark);
    }
    for o in &p.outputs {
        o.entries.iter().for_each(&mut mark);
    }
    assert!(used.iter().all(|u| *u), "dead temporaries in {:#?}", p.body);
}

#[test]
fn over_budget_blocks_are_reported_by_name_and_size() {
    let e = derive(&front_end(covariance(3, Some(20))).unwrap()).unwrap_err();
    let msgs = e.messages();
    assert!(
        msgs.iter().any(|m| m.starts_with("the block D1f1 of game Covariance needs ")
            && m.contains("expression nodes, over the budget of 20; reduce the dimension or raise it with `budget = N;`")),
        "{msgs:?}"
    );
    // A game far too large for its budget stops early instead of running away.
    let e = derive(&front_end(covariance(40, Some(1000))).unwrap()).unwrap_err();
    assert!(
        e.messages()[0].contains("over the budget of 1_000"),
        "{:?}",
        e.messages()
    );
    // The default budget accepts the paper's M = 9.
    assert!(derive(&front_end(covariance(9, None)).unwrap()).is_ok());
}

#[test]
fn singular_follower_hessians_are_rejected() {
    let e = derive(
        &front_end(quote! {
            game Lazy { leader x; follower y; cost x = x^2 + y^2; cost y = (x - 1)^2; }
        })
        .unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(
        e.messages()[0].contains("the cost of follower `y` does not depend on `y`"),
        "{e}"
    );
    let e = derive(
        &front_end(quote! {
            game Linear { leader x; follower y: [2]; cost x = x^2; cost y = x * y[0] + y[1]^2; }
        })
        .unwrap(),
    )
    .unwrap_err();
    assert!(
        e.messages()[0].contains("is at most linear in `y[0]`"),
        "{e}"
    );
    // Two followers with zero own curvature but a nonsingular coupled H are fine.
    assert!(derive(
        &front_end(quote! {
            game Coupled { leader x; follower y; follower z; cost x = x^2; cost y = y * z + x * y; cost z = z * y; }
        })
        .unwrap()
    )
    .is_ok());
}

#[test]
fn zero_sum_is_proved_symbolically() {
    let zs = |cost_y: proc_macro2::TokenStream| {
        let m = front_end(quote! {
            game G { param a = 1.0; leader x; follower y; cost x = a * x * y - x^2 + y^2 - sin(x + y); cost y = #cost_y; }
        })
        .unwrap();
        derive(&m).unwrap().zero_sum
    };
    assert!(zs(quote!(-(a * x * y - x ^ 2 + y ^ 2 - sin(x + y)))));
    assert!(zs(quote!(x ^ 2 - y * x * a - y ^ 2 + sin(y + x))));
    assert!(!zs(quote!(
        x ^ 2 - y * x * a - y ^ 2 + sin(y + x) + 0.001 * y ^ 2
    )));
}

#[test]
fn game_programs_have_the_documented_outputs() {
    let p = game_programs(&front_end(covariance(2, None)).unwrap()).unwrap();
    assert_eq!((p.d1, p.d2, p.np), (4, 4, 5));
    assert_eq!(p.angle_mask, vec![false; 8]);
    let names: Vec<(&str, Vec<usize>)> = p
        .stackelberg_parts
        .outputs
        .iter()
        .map(|o| (o.name.as_str(), o.shape.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("d1f1", vec![4]),
            ("d2f1", vec![4]),
            ("d2f2", vec![4]),
            ("d22f2", vec![4, 4]),
            ("d21f2", vec![4, 4]),
        ]
    );
    assert_eq!(p.omega.outputs[0].shape, vec![8]);
    assert!(!p.omega.uses_lambda);
    // omega at a point: D1f1 = -2 (W + W^T)/2 ... checked numerically:
    // f = sum W_ij (S_ij - (V V^T)_ij); D_V f = -(W + W^T) V.
    let x: Vec<f64> = (0..8).map(|k| 0.1 * k as f64 - 0.3).collect();
    let params = [0.5, 0.1, 0.1, 0.7, 0.6];
    let out = run(&p.omega, &x, &params, &[]).remove(0);
    let (v, w) = (&x[..4], &x[4..]);
    for i in 0..2 {
        for k in 0..2 {
            let want: f64 = (0..2)
                .map(|j| -(w[i * 2 + j] + w[j * 2 + i]) * v[j * 2 + k])
                .sum();
            assert!((out[i * 2 + k] - want).abs() < 1e-12);
        }
    }
}

/// Every program of the lowered bundle, run by the interpreter, against
/// the DAG evaluation of the entries it stands for (an independent path:
/// the DAG interpreter sees no CSE, no value numbering, no renumbering).
#[test]
fn the_bundle_holds_every_program_the_emitters_read() {
    let game = quote! {
        game Mixed {
            param a = 1.5;
            leader u: [2];
            follower y;
            follower z: [2];
            cost u = exp(a * u[0] * y) + u[1]^2 * z[0] - sin(u[0] + z[1]);
            cost y = y^2 + u[0] * y * z[1];
            cost z = sum(k in 0..2) z[k]^2 * (1.0 + u[k]^2) + z[0] * z[1] * y;
        }
    };
    let model = front_end(game).unwrap();
    let l = lower_game(&model).unwrap();
    let d = &l.derivatives;
    let (x, p, lam) = ([0.3, -0.7, 0.4, 1.1, -0.2], [1.5], [0.6, -1.3, 0.8]);
    let dag = |ids: &[stackel_symbolic::dag::Id]| -> Vec<f64> {
        ids.iter().map(|e| d.dag.eval(*e, &x, &p, &lam)).collect()
    };
    let close = |what: &str, got: &[f64], want: &[f64]| {
        assert_eq!(got.len(), want.len(), "{what}");
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                "{what}: {g} vs {w}"
            );
        }
    };
    // costs
    close("f1", &run(&l.leader_cost, &x, &p, &lam)[0], &dag(&[d.f1]));
    assert_eq!(l.follower_costs.len(), 2);
    for (prog, f) in l.follower_costs.iter().zip(&d.f2) {
        close("f2", &run(prog, &x, &p, &lam)[0], &dag(&[*f]));
    }
    // one program per block, in BLOCK_NAMES order
    assert_eq!(l.blocks.len(), BLOCK_NAMES.len());
    for name in BLOCK_NAMES {
        let prog = l.block(name);
        assert_eq!(prog.outputs[0].name, name.to_lowercase());
        close(
            name,
            &run(prog, &x, &p, &lam)[0],
            &dag(&d.block(name).entries),
        );
    }
    // the fused parts: their outputs are the blocks, named and in order
    for (prog, names) in [
        (&l.field.stackelberg_parts, &STACKELBERG_PARTS[..]),
        (&l.second_order_parts, &SECOND_ORDER_PARTS[..]),
    ] {
        let values = run(prog, &x, &p, &lam);
        assert_eq!(values.len(), names.len());
        for ((out, got), name) in prog.outputs.iter().zip(&values).zip(names) {
            assert_eq!(out.name, name.to_lowercase());
            close(name, got, &dag(&d.block(name).entries));
        }
    }
    // omega = (D1f1, D2f2), and the dimensions the emitters size with
    let mut omega = dag(&d.block("D1f1").entries);
    omega.extend(dag(&d.block("D2f2").entries));
    close("omega", &run(&l.field.omega, &x, &p, &lam)[0], &omega);
    assert_eq!((l.field.d1, l.field.d2, l.field.np), (2, 3, 1));
    assert!(l.second_order_parts.uses_lambda && !l.field.stackelberg_parts.uses_lambda);
}

#[test]
fn emitted_code_is_allocation_free_straight_line_rust() {
    let code = stackel_symbolic::compile(duopoly()).unwrap().to_string();
    let file: syn::File = syn::parse_str(&code).expect("emitted code parses");
    // the impl sits in `const _: () = { use <runtime path> as __stackel; impl .. };`
    let in_const: Vec<syn::Item> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Const(c) => match &*c.expr {
                syn::Expr::Block(b) => Some(&b.block.stmts),
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .filter_map(|s| match s {
            syn::Stmt::Item(i) => Some(i.clone()),
            _ => None,
        })
        .collect();
    let imp = in_const
        .iter()
        .find_map(|i| match i {
            syn::Item::Impl(imp)
                if imp.trait_.is_some() && quote!(#imp).to_string().contains("Game") =>
            {
                Some(imp)
            }
            _ => None,
        })
        .unwrap();
    for item in &imp.items {
        if let syn::ImplItem::Fn(f) = item {
            let name = f.sig.ident.to_string();
            let block = &f.block;
            let body = quote!(#block).to_string();
            if name != "formulas" && name != "wgsl" {
                assert!(
                    !body.contains("vec !") && !body.contains("Vec") && !body.contains("for "),
                    "{name}: {body}"
                );
            }
        }
    }
    assert!(code.contains("impl :: core :: default :: Default for Duopoly"));
}

/// Line of the first token of the first `compile_error!` an error expands to.
fn error_line(e: &stackel_symbolic::Errors) -> usize {
    let tokens = e.to_compile_errors();
    tokens.into_iter().next().unwrap().span().start().line
}

#[test]
fn back_end_errors_point_at_the_game_name_and_the_follower_cost() {
    let src = "game Lazy {\n    leader x;\n    follower y;\n    cost x = x^2 + y^2;\n    cost y = (x - 1)^2;\n}";
    let tokens: proc_macro2::TokenStream = src.parse().unwrap();
    let e = derive(&front_end(tokens).unwrap()).unwrap_err();
    assert_eq!(error_line(&e), 5, "{e}");
    let src = "game Big {\n    leader x: [3];\n    follower y;\n    budget = 3;\n    cost x = sum(i in 0..3) x[i]^2 * y;\n    cost y = y^2 * x[0];\n}";
    let tokens: proc_macro2::TokenStream = src.parse().unwrap();
    let e = derive(&front_end(tokens).unwrap()).unwrap_err();
    assert!(e.messages()[0].contains("of game Big needs"), "{e}");
    assert_eq!(error_line(&e), 1, "{e}");
}
