//! Property tests of the back end on random expressions built directly as
//! `model::Expr`: simplification preserves values, every derivative block
//! agrees with central finite differences of an independent tree
//! interpreter, and CSE'd programs equal the DAG they were lowered from.

use proc_macro2::{Span, TokenStream};
use proptest::prelude::*;
use stackel_symbolic::dag::{apply_unary, Dag};
use stackel_symbolic::lower::{derive, lower, run, unroll, GameDerivatives, Output};
use stackel_symbolic::model::{
    BinOp, BinaryFn, Expr, GameModel, Index, Param, Player, Shape, SumVar, UnaryFn,
};

thread_local! {
    /// Set when the reference interpreter meets a non-finite intermediate.
    static PASSED_A_POLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The tree's value at a point, or `None` when some intermediate is not
/// finite (a pole such as `(p - p)^-1`). There the value can hang on the sign
/// of a zero (`max((-(p - p))^-1, x)` is `x` in IEEE arithmetic, because
/// `-(p - p)` is `-0`), which algebraic simplification does not keep, as in
/// every computer-algebra system: simplification preserves real values, and
/// a pole has none.
fn eval_off_poles(e: &Expr, x: &[f64], p: &[f64]) -> Option<f64> {
    PASSED_A_POLE.with(|f| f.set(false));
    let v = eval(e, x, p, &mut vec![]);
    (!PASSED_A_POLE.with(|f| f.get())).then_some(v)
}

/// Reference semantics of a model expression (tree walk, sums looped).
fn eval(e: &Expr, x: &[f64], p: &[f64], env: &mut Vec<(SumVar, i64)>) -> f64 {
    let v = eval_node(e, x, p, env);
    if !v.is_finite() {
        PASSED_A_POLE.with(|f| f.set(true));
    }
    v
}

fn eval_node(e: &Expr, x: &[f64], p: &[f64], env: &mut Vec<(SumVar, i64)>) -> f64 {
    let idx = |i: &Index, env: &Vec<(SumVar, i64)>| {
        i.offset
            + i.var
                .map_or(0, |v| env.iter().rev().find(|(w, _)| *w == v).unwrap().1)
    };
    match e {
        Expr::Num(v) => *v,
        // Test models have scalar players (x[0], x[1]) and scalar params.
        Expr::Var { player, .. } => x[*player],
        Expr::Param { param, .. } => p[*param],
        Expr::Part { .. } | Expr::Data { .. } | Expr::Let { .. } => {
            unreachable!("test models have no parts, data or kept lets")
        }
        Expr::SumIndex(i) => idx(i, env) as f64,
        Expr::Neg(a) => -eval(a, x, p, env),
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, x, p, env), eval(b, x, p, env));
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Pow => a.powf(b),
            }
        }
        Expr::Unary(f, a) => apply_unary(*f, eval(a, x, p, env)),
        Expr::Call2(f, a, b) => {
            let (a, b) = (eval(a, x, p, env), eval(b, x, p, env));
            // The runtime's convention: the first argument unless the
            // comparison says otherwise (so NaN propagates from either side).
            match f {
                BinaryFn::Min => {
                    if a <= b {
                        a
                    } else {
                        b
                    }
                }
                BinaryFn::Max => {
                    if a >= b {
                        a
                    } else {
                        b
                    }
                }
            }
        }
        Expr::Fold {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            // The first term wins ties, as in the two-argument functions.
            let mut acc: Option<f64> = None;
            for k in *lo..*hi {
                env.push((*var, k));
                let t = eval(body, x, p, env);
                env.pop();
                acc = Some(match (acc, op) {
                    (None, _) => t,
                    (Some(a), BinaryFn::Max) => {
                        if a >= t {
                            a
                        } else {
                            t
                        }
                    }
                    (Some(a), BinaryFn::Min) => {
                        if a <= t {
                            a
                        } else {
                            t
                        }
                    }
                });
            }
            acc.expect("a fold has at least one term")
        }
        Expr::Sum { var, lo, hi, body } => {
            let mut s = 0.0;
            for k in *lo..*hi {
                env.push((*var, k));
                s += eval(body, x, p, env);
                env.pop();
            }
            s
        }
    }
}

/// Scalar player `name` (level 0 for the leader `x`, else 1).
fn scalar_player(name: &str, cost: Expr) -> Player {
    Player {
        name: name.into(),
        span: Span::call_site(),
        shape: Shape::Scalar,
        angle: false,
        cost,
        cost_span: Span::call_site(),
        parts: vec![],
        level: u32::from(name != "x"),
    }
}

/// A game with scalar leader `x`, scalar follower `y`, scalar param `a`.
fn model(f1: Expr, f2: Expr) -> GameModel {
    GameModel {
        name: "Random".into(),
        name_span: Span::call_site(),
        vis: TokenStream::new(),
        attrs: TokenStream::new(),
        consts: vec![],
        params: vec![Param {
            name: "a".into(),
            span: Span::call_site(),
            shape: Shape::Scalar,
            default: Some(vec![1.0]),
        }],
        leader: scalar_player("x", f1),
        followers: vec![scalar_player("y", f2)],
        budget: None,
        data: vec![],
        program: Default::default(),
        source: Default::default(),
    }
}

fn var(player: usize) -> Expr {
    Expr::Var {
        player,
        index: vec![],
    }
}

fn b(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Random expressions over x, y, a, constants and a sum index, with every
/// operator and function of the DSL and the `max`/`min` folds.
fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        Just(var(0)),
        Just(var(1)),
        Just(Expr::Param {
            param: 0,
            index: vec![]
        }),
        (-2.0..2.0f64).prop_map(|v| Expr::Num((v * 4.0).round() / 4.0)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), 0..4usize).prop_map(|(a, c, k)| {
                let op = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div][k];
                Expr::Binary(op, b(a), b(c))
            }),
            (inner.clone(), -3..4i32).prop_map(|(a, n)| Expr::Binary(
                BinOp::Pow,
                b(a),
                b(Expr::Num(n.into()))
            )),
            // a real exponent on a positive base: exp(u)^v
            (inner.clone(), inner.clone()).prop_map(|(a, c)| Expr::Binary(
                BinOp::Pow,
                b(Expr::Unary(UnaryFn::Exp, b(a))),
                b(c)
            )),
            (inner.clone(), 0..11usize).prop_map(|(a, k)| Expr::Unary(UnaryFn::ALL[k], b(a))),
            (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(a, c, m)| Expr::Call2(
                if m { BinaryFn::Min } else { BinaryFn::Max },
                b(a),
                b(c)
            )),
            inner.clone().prop_map(|a| Expr::Neg(b(a))),
            // max/min over i in 0..3 of (i - 1) a - i^2 / 4: the terms
            // -a, -1/4, a - 1 cross, so each can be the one picked.
            (inner.clone(), any::<bool>()).prop_map(|(a, m)| {
                let i = |offset| {
                    b(Expr::SumIndex(Index {
                        var: Some(SumVar(8)),
                        offset,
                    }))
                };
                Expr::Fold {
                    op: if m { BinaryFn::Min } else { BinaryFn::Max },
                    var: SumVar(8),
                    lo: 0,
                    hi: 3,
                    body: b(Expr::Binary(
                        BinOp::Sub,
                        b(Expr::Binary(BinOp::Mul, i(-1), b(a))),
                        b(Expr::Binary(
                            BinOp::Mul,
                            b(Expr::Num(0.25)),
                            b(Expr::Binary(BinOp::Mul, i(0), i(0))),
                        )),
                    )),
                }
            }),
            inner.prop_map(|a| Expr::Sum {
                var: SumVar(7),
                lo: 0,
                hi: 3,
                body: b(Expr::Binary(
                    BinOp::Mul,
                    b(Expr::SumIndex(Index {
                        var: Some(SumVar(7)),
                        offset: 1
                    })),
                    b(a)
                )),
            }),
        ]
    })
}

/// Central difference of `f` at `v` with step `h`.
fn central(f: &dyn Fn(f64) -> f64, v: f64, h: f64) -> f64 {
    (f(v + h) - f(v - h)) / (2.0 * h)
}

/// Checks `got` against the derivative of `f` at `v` where finite
/// differences are reliable there: two step sizes agree, and so do the
/// one-sided differences (a point exactly at a kink, e.g. a tie of `max`,
/// gives consistent but meaningless central differences).
fn check_derivative(
    what: &str,
    got: f64,
    f: &dyn Fn(f64) -> f64,
    v: f64,
) -> Result<(), TestCaseError> {
    let (d1, d2) = (central(f, v, 1e-4), central(f, v, 5e-5));
    if !(d1.is_finite() && d2.is_finite()) || (d1 - d2).abs() > 1e-6 * (1.0 + d2.abs()) {
        return Ok(());
    }
    let h = 1e-6;
    let (fwd, bwd) = ((f(v + h) - f(v)) / h, (f(v) - f(v - h)) / h);
    if !(fwd.is_finite() && bwd.is_finite()) || (fwd - bwd).abs() > 1e-3 * (1.0 + fwd.abs()) {
        return Ok(());
    }
    prop_assert!(
        (got - d2).abs() <= 1e-5 * (1.0 + d2.abs()),
        "{what}: symbolic {got} vs finite differences {d2}"
    );
    Ok(())
}

fn block_values(d: &GameDerivatives, name: &str, x: &[f64], p: &[f64], l: &[f64]) -> Vec<f64> {
    run(&d.program(&[name]), x, p, l).remove(0)
}

const POINTS: [[f64; 4]; 3] = [
    [0.37, -0.81, 1.13, 0.7],
    [-1.21, 0.44, -0.58, -1.3],
    [0.93, 1.37, 0.29, 0.4],
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Simplification preserves the value of the cost.
    #[test]
    fn simplified_costs_keep_their_values(e in expr()) {
        let m = model(e.clone(), e.clone());
        let mut dag = Dag::new();
        let id = unroll(&m, &mut dag, &e);
        for pt in POINTS {
            let Some(want) = eval_off_poles(&e, &pt[..2], &pt[2..3]) else {
                continue;
            };
            let got = dag.eval(id, &pt[..2], &pt[2..3], &[]);
            if want.abs() < 1e8 {
                prop_assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                    "simplified {got} vs tree {want}");
            }
        }
    }

    /// Every derivative block agrees with finite differences, and every
    /// lowered program agrees with the DAG it came from.
    #[test]
    fn derivatives_match_finite_differences(e1 in expr(), e2 in expr()) {
        // The follower's cost gets a y^2 term so D22f2 is rarely
        // structurally singular (it still is when e2 cancels it).
        let f2 = Expr::Binary(BinOp::Add, b(e2), b(Expr::Binary(BinOp::Pow, b(var(1)), b(Expr::Num(2.0)))));
        let m = model(e1.clone(), f2.clone());
        let d = match derive(&m) {
            Ok(d) => d,
            Err(e) => {
                prop_assert!(e.messages().iter().all(|m| m.contains("follower `y`")), "{e}");
                return Ok(());
            }
        };
        for pt in POINTS {
            let (x, p, l) = (&pt[..2], &pt[2..3], &pt[3..4]);
            let f1v = eval(&e1, x, p, &mut vec![]);
            let f2v = eval(&f2, x, p, &mut vec![]);
            if !(f1v.is_finite() && f2v.is_finite() && f1v.abs() < 1e6 && f2v.abs() < 1e6) {
                continue;
            }
            // Derivative formulas go through other intermediates than the
            // cost (exp(u)^v: v u' exp(u)^v ...); compare only where all of
            // them are representable.
            let last = stackel_symbolic::dag::Id(d.dag.len() as u32 - 1);
            if d.dag.eval_upto(last, x, p, l).iter().any(|v| !v.is_finite() || v.abs() > 1e12) {
                continue;
            }
            let at = |f: &Expr, k: usize, v: f64| {
                let (mut xx, mut pp) = (x.to_vec(), p.to_vec());
                if k < 2 { xx[k] = v } else { pp[0] = v }
                eval(f, &xx, &pp, &mut vec![])
            };
            // First order, against the tree interpreter.
            let g = |n: &str| block_values(&d, n, x, p, l);
            check_derivative("D1f1", g("D1f1")[0], &|v| at(&e1, 0, v), x[0])?;
            check_derivative("D2f1", g("D2f1")[0], &|v| at(&e1, 1, v), x[1])?;
            check_derivative("D2f2", g("D2f2")[0], &|v| at(&f2, 1, v), x[1])?;
            // Second order and params, against the (checked) first-order blocks.
            let block_at = |n: &str, k: usize, v: f64| {
                let (mut xx, mut pp) = (x.to_vec(), p.to_vec());
                if k < 2 { xx[k] = v } else { pp[0] = v }
                block_values(&d, n, &xx, &pp, l)[0]
            };
            let pairs = [
                ("D11f1", "D1f1", 0), ("D12f1", "D1f1", 1), ("D1pf1", "D1f1", 2),
                ("D22f1", "D2f1", 1), ("D2pf1", "D2f1", 2),
                ("D22f2", "D2f2", 1), ("D21f2", "D2f2", 0), ("D2pf2", "D2f2", 2),
            ];
            for (second, first, k) in pairs {
                let at_k = if k < 2 { x[k] } else { p[0] };
                check_derivative(second, g(second)[0], &|v| block_at(first, k, v), at_k)?;
            }
            // phi = l * D2f2: its Hessian blocks are l times those of D2f2's gradient.
            let phi_pairs = [
                ("D11phi", "D21f2", 0), ("D12phi", "D21f2", 1), ("D1pphi", "D21f2", 2),
                ("D21phi", "D22f2", 0), ("D22phi", "D22f2", 1), ("D2pphi", "D22f2", 2),
            ];
            for (second, first, k) in phi_pairs {
                let at_k = if k < 2 { x[k] } else { p[0] };
                check_derivative(second, g(second)[0], &|v| l[0] * block_at(first, k, v), at_k)?;
            }
            // CSE'd programs equal the DAG evaluation of the same entries.
            // The program adds the same terms in another order (expanded
            // n-ary sums, shared partial products), so the two agree to
            // rounding in the largest value that enters the entry, not in
            // the entry itself: terms of size 1e3 may cancel to 1e-8.
            let values = d.dag.eval_upto(last, x, p, l);
            for blk in &d.blocks {
                let prog = lower(&d.dag, &[Output { name: "out", shape: blk.shape.clone(), entries: &blk.entries }]);
                let got = run(&prog, x, p, l).remove(0);
                for (e, v) in blk.entries.iter().zip(&got) {
                    let want = d.dag.eval(*e, x, p, l);
                    let scale = d.dag.reachable(&[*e]).iter().map(|n| values[n.index()].abs()).fold(0.0, f64::max);
                    if want.is_finite() {
                        prop_assert!((v - want).abs() <= 1e-9 * (1.0 + scale),
                            "{}: program {v} vs DAG {want} (largest input {scale})", blk.name);
                    }
                }
            }
        }
    }
}
