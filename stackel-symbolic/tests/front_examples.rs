//! The two example games of the DSL reference produce the expected checked
//! model: dimensions, params, defaults, players and resolved costs.

use quote::quote;
use stackel_symbolic::model::{BinOp, Expr, Index, Shape, SumVar};

fn duopoly() -> proc_macro2::TokenStream {
    quote! {
        /// Cournot duopoly; firm 1 leads.
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

fn covariance() -> proc_macro2::TokenStream {
    quote! {
        /// Covariance estimation with a quadratic discriminator (paper 4.3, example 1).
        pub game Covariance {
            const M = 3;
            param sigma: [M, M];
            param eta = 0.6;
            leader v: [M, M];
            follower w: [M, M];
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }
    }
}

fn var(player: usize) -> Expr {
    Expr::Var {
        player,
        index: vec![],
    }
}

fn param(param: usize) -> Expr {
    Expr::Param {
        param,
        index: vec![],
    }
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

#[test]
fn duopoly_model() {
    let m = stackel_symbolic::front_end(duopoly()).unwrap();
    assert_eq!(m.name, "Duopoly");
    assert_eq!(m.vis.to_string(), "pub");
    assert!(m
        .attrs
        .to_string()
        .contains("Cournot duopoly; firm 1 leads."));
    let params: Vec<_> = m
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.shape, p.default.clone()))
        .collect();
    assert_eq!(
        params,
        vec![
            ("a", Shape::Scalar, Some(vec![100.0])),
            ("c1", Shape::Scalar, Some(vec![5.0])),
            ("c2", Shape::Scalar, Some(vec![2.0])),
        ]
    );
    assert_eq!(
        (m.leader.name.as_str(), m.leader.shape),
        ("q1", Shape::Scalar)
    );
    assert_eq!(m.followers.len(), 1);
    assert_eq!(m.followers[0].name, "q2");
    assert!(!m.leader.angle);
    assert_eq!(m.budget, None);
    // price = (a - q1) - q2, inlined into both costs.
    let price = bin(BinOp::Sub, bin(BinOp::Sub, param(0), var(0)), var(1));
    let leader_cost = bin(
        BinOp::Mul,
        Expr::Neg(Box::new(bin(BinOp::Sub, price.clone(), param(1)))),
        var(0),
    );
    let follower_cost = bin(
        BinOp::Mul,
        Expr::Neg(Box::new(bin(BinOp::Sub, price, param(2)))),
        var(1),
    );
    assert_eq!(m.leader.cost, leader_cost);
    assert_eq!(m.followers[0].cost, follower_cost);
}

/// Every sum variable bound in `e`, in order of appearance.
fn sum_vars(e: &Expr, out: &mut Vec<SumVar>) {
    match e {
        Expr::Sum { var, body, .. } => {
            out.push(*var);
            sum_vars(body, out);
        }
        Expr::Neg(a) | Expr::Unary(_, a) => sum_vars(a, out),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
            sum_vars(a, out);
            sum_vars(b, out);
        }
        _ => {}
    }
}

#[test]
fn covariance_model() {
    let m = stackel_symbolic::front_end(covariance()).unwrap();
    assert_eq!(m.consts.len(), 1);
    assert_eq!((m.consts[0].name.as_str(), m.consts[0].value), ("M", 3));
    assert_eq!(m.params[0].name, "sigma");
    assert_eq!(m.params[0].shape, Shape::Matrix(3, 3));
    assert_eq!(m.params[0].default, None);
    assert_eq!(m.params[1].default, Some(vec![0.6]));
    assert_eq!(m.leader.shape, Shape::Matrix(3, 3));
    assert_eq!(m.followers[0].shape, Shape::Matrix(3, 3));
    assert_eq!(
        (m.leader_dim(), m.follower_dim(), m.param_len()),
        (9, 9, 10)
    );
    // The leader's cost is f itself: sum_i sum_j w[i,j] * (sigma[i,j] - sum_k v[i,k] v[j,k]).
    let Expr::Sum {
        var: i,
        lo: 0,
        hi: 3,
        body,
    } = &m.leader.cost
    else {
        panic!("leader cost is not a sum: {:?}", m.leader.cost)
    };
    let Expr::Sum {
        var: j,
        lo: 0,
        hi: 3,
        body,
    } = body.as_ref()
    else {
        panic!("inner is not a sum: {body:?}")
    };
    let Expr::Binary(BinOp::Mul, w, _) = body.as_ref() else {
        panic!("body is not a product: {body:?}")
    };
    let at = |v: &SumVar| Index {
        var: Some(*v),
        offset: 0,
    };
    assert_eq!(
        **w,
        Expr::Var {
            player: 1,
            index: vec![at(i), at(j)]
        }
    );
    // f is inlined twice: each copy has its own sum variables, all distinct.
    let mut vars = Vec::new();
    sum_vars(&m.leader.cost, &mut vars);
    sum_vars(&m.followers[0].cost, &mut vars);
    assert_eq!(vars.len(), 3 + 3 + 2);
    let mut unique = vars.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), vars.len(), "sum variables repeat: {vars:?}");
}
