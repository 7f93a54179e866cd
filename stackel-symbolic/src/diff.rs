//! Reverse-mode symbolic differentiation on the DAG.
//!
//! One backward sweep from a scalar node gives its whole gradient (w.r.t.
//! every state entry and every param) as DAG nodes; differentiating each
//! gradient entry again gives a row of a second-order block, so no
//! third-order tensor is ever built. Lambda entries and constants are held
//! fixed. Adjoint contributions are collected per node and summed once
//! (through the simplifying [`Dag::sum`]), so like terms cancel.
//!
//! Non-smooth functions use their almost-everywhere derivatives:
//! abs' = sign (0 at 0), relu' = heaviside (0 at 0), d min(a, b)/da =
//! [a <= b], d max(a, b)/da = [b <= a] (the first argument wins ties).

use crate::dag::{Dag, Id, Node};
use crate::model::UnaryFn;
use std::collections::HashMap;

/// The gradient of one scalar node.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    /// d f / d `x[k]` for every flat state entry.
    pub state: Vec<Id>,
    /// d f / d `p[k]` for every flat param entry.
    pub param: Vec<Id>,
}

/// The DAG grew past its node limit during a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// Number of nodes when the sweep stopped.
    pub nodes: usize,
}

/// Reverse sweep from `f`: its gradient w.r.t. the `n` state entries and
/// `np` params. Stops with [`Overflow`] once the DAG exceeds `limit` nodes.
pub fn gradient(
    dag: &mut Dag,
    f: Id,
    n: usize,
    np: usize,
    limit: usize,
) -> Result<Gradient, Overflow> {
    let zero = dag.constant(0.0);
    let mut grad = Gradient {
        state: vec![zero; n],
        param: vec![zero; np],
    };
    if !dag.varies(f) {
        return Ok(grad);
    }
    let order: Vec<Id> = dag
        .reachable(&[f])
        .into_iter()
        .filter(|&id| dag.varies(id))
        .collect();
    let one = dag.constant(1.0);
    let mut adjoint: HashMap<Id, Vec<Id>> = HashMap::new();
    adjoint.insert(f, vec![one]);
    for &id in order.iter().rev() {
        let Some(parts) = adjoint.remove(&id) else {
            continue;
        };
        let a = dag.sum(parts);
        if dag.is_zero(a) {
            continue;
        }
        if dag.len() > limit {
            return Err(Overflow { nodes: dag.len() });
        }
        let mut push = |dag: &Dag, child: Id, contribution: Id| {
            if dag.varies(child) && !dag.is_zero(contribution) {
                adjoint.entry(child).or_default().push(contribution);
            }
        };
        match dag.node(id).clone() {
            Node::State(k) => grad.state[k as usize] = a,
            Node::Param(k) => grad.param[k as usize] = a,
            Node::Const(_) | Node::Lambda(_) => {}
            Node::Add(xs) => {
                for x in xs.iter() {
                    push(dag, *x, a);
                }
            }
            Node::Mul(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    if !dag.varies(*x) {
                        continue;
                    }
                    let mut others: Vec<Id> = xs
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, y)| *y)
                        .collect();
                    others.push(a);
                    let c = dag.product(others);
                    push(dag, *x, c);
                }
            }
            Node::Powi(x, m) => {
                let k = dag.constant(f64::from(m));
                let c = dag.product_of_powers(vec![(k, 1), (x, m - 1), (a, 1)]);
                push(dag, x, c);
            }
            Node::Powf(x, y) => {
                if dag.varies(x) {
                    // d/dx x^y = y x^(y-1)
                    let minus_one = dag.constant(-1.0);
                    let y1 = dag.add(y, minus_one);
                    let p = dag.pow(x, y1);
                    let c = dag.product(vec![y, p, a]);
                    push(dag, x, c);
                }
                if dag.varies(y) {
                    // d/dy x^y = x^y ln x
                    let l = dag.unary(UnaryFn::Ln, x);
                    let c = dag.product(vec![id, l, a]);
                    push(dag, y, c);
                }
            }
            Node::Unary(fun, u) => {
                let d = unary_derivative(dag, fun, u, id);
                let c = dag.mul(d, a);
                push(dag, u, c);
            }
            Node::Sign(_) | Node::Heaviside(_) | Node::Le(_, _) => {}
            Node::Min(x, y) => {
                let pick_x = dag.le(x, y);
                min_max_adjoint(dag, &mut push, x, y, pick_x, a);
            }
            Node::Max(x, y) => {
                let pick_x = dag.le(y, x);
                min_max_adjoint(dag, &mut push, x, y, pick_x, a);
            }
        }
    }
    Ok(grad)
}

/// Adjoints of min/max: `a * pick_x` to x and `a * (1 - pick_x)` to y.
fn min_max_adjoint(
    dag: &mut Dag,
    push: &mut impl FnMut(&Dag, Id, Id),
    x: Id,
    y: Id,
    pick_x: Id,
    a: Id,
) {
    let cx = dag.mul(pick_x, a);
    push(dag, x, cx);
    let one = dag.constant(1.0);
    let not_x = dag.sub(one, pick_x);
    let cy = dag.mul(not_x, a);
    push(dag, y, cy);
}

/// f'(u) for the DSL's functions, reusing the node `fu` = f(u) where the
/// derivative is expressed through it.
fn unary_derivative(dag: &mut Dag, f: UnaryFn, u: Id, fu: Id) -> Id {
    match f {
        UnaryFn::Exp => fu,
        UnaryFn::Ln => dag.powi(u, -1),
        // 1 / (2 sqrt(u))
        UnaryFn::Sqrt => {
            let half = dag.constant(0.5);
            dag.product_of_powers(vec![(half, 1), (fu, -1)])
        }
        UnaryFn::Sin => dag.unary(UnaryFn::Cos, u),
        UnaryFn::Cos => {
            let s = dag.unary(UnaryFn::Sin, u);
            dag.neg(s)
        }
        // 1 + tan^2
        UnaryFn::Tan => {
            let one = dag.constant(1.0);
            let sq = dag.powi(fu, 2);
            dag.add(one, sq)
        }
        // 1 - tanh^2
        UnaryFn::Tanh => {
            let one = dag.constant(1.0);
            let sq = dag.powi(fu, 2);
            dag.sub(one, sq)
        }
        // s (1 - s)
        UnaryFn::Sigmoid => {
            let one = dag.constant(1.0);
            let c = dag.sub(one, fu);
            dag.mul(fu, c)
        }
        UnaryFn::Softplus => dag.unary(UnaryFn::Sigmoid, u),
        UnaryFn::Abs => dag.sign(u),
        UnaryFn::Relu => dag.heaviside(u),
    }
}
