//! Forward-mode differentiation at the index level.
//!
//! [`tangent`] is the directional derivative of an expression, given the
//! tangent of every entry it reads. Both derivatives the game needs are
//! tangents:
//! - the gradient by player P, with free output indices (a, b): the tangent
//!   of `P[e1, e2]` is `delta(e1, a) delta(e2, b)` (deltas are resolved
//!   afterwards, see [`super::resolve`]);
//! - the product of a Jacobian with a direction `dir`: the tangent of
//!   `P[e]` is `dir_P[e]` (no delta at all).
//!
//! Non-smooth functions use the DAG's almost-everywhere derivatives:
//! abs' = sign, relu' = heaviside, `d min(a, b) = [a <= b] da + [a > b] db`,
//! `d max(a, b) = [b <= a] da + [b > a] db`.

use super::expr::{
    add, add2, div, mk, mul, mul2, neg, num, pow, sub, sum, unary, Aff, Leaf, Node, E,
};
use crate::model::UnaryFn;

/// The derivative of `e` when each entry `leaf[index]` moves with
/// `seed(leaf, index)` (`None`: held fixed).
pub fn tangent(e: &E, seed: &dyn Fn(Leaf, &[Aff]) -> Option<E>) -> E {
    match &e.node {
        Node::Num(_)
        | Node::Index(_)
        | Node::Range { .. }
        | Node::Delta(..)
        | Node::Sign(_)
        | Node::Heaviside(_)
        | Node::Le(..) => num(0.0),
        Node::Entry { leaf, index } => seed(*leaf, index).unwrap_or_else(|| num(0.0)),
        Node::Add(xs) => add(xs.iter().map(|x| tangent(x, seed)).collect()),
        Node::Mul(xs) => {
            let mut terms = Vec::new();
            for (i, x) in xs.iter().enumerate() {
                let d = tangent(x, seed);
                if d.is_zero() {
                    continue;
                }
                let mut f: Vec<E> = xs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, y)| y.clone())
                    .collect();
                f.push(d);
                terms.push(mul(f));
            }
            add(terms)
        }
        Node::Div(a, b) => {
            // da (1/b) - a db (1/b^2): the tangents stay factors of a
            // product, where the deltas of a gradient can be resolved
            let (da, db) = (tangent(a, seed), tangent(b, seed));
            let first = mul2(da, div(num(1.0), b.clone()));
            if db.is_zero() {
                return first;
            }
            let second = mul(vec![a.clone(), db, div(num(1.0), pow(b.clone(), num(2.0)))]);
            sub(first, second)
        }
        Node::Pow(a, b) => {
            let (da, db) = (tangent(a, seed), tangent(b, seed));
            let mut terms = Vec::new();
            if !da.is_zero() {
                // b a^(b - 1) da
                let b1 = match b.as_num() {
                    Some(v) => num(v - 1.0),
                    None => sub(b.clone(), num(1.0)),
                };
                terms.push(mul(vec![b.clone(), pow(a.clone(), b1), da]));
            }
            if !db.is_zero() {
                // a^b ln(a) db
                terms.push(mul(vec![e.clone(), unary(UnaryFn::Ln, a.clone()), db]));
            }
            add(terms)
        }
        Node::Unary(f, u) => {
            let du = tangent(u, seed);
            if du.is_zero() {
                return du;
            }
            mul2(unary_derivative(*f, u, e), du)
        }
        Node::Min(a, b) => pick(mk(Node::Le(a.clone(), b.clone())), a, b, seed),
        Node::Max(a, b) => pick(mk(Node::Le(b.clone(), a.clone())), a, b, seed),
        Node::Sum { var, lo, hi, body } => sum(*var, *lo, *hi, tangent(body, seed)),
    }
}

/// `pick_a da + (1 - pick_a) db`.
fn pick(pick_a: E, a: &E, b: &E, seed: &dyn Fn(Leaf, &[Aff]) -> Option<E>) -> E {
    let (da, db) = (tangent(a, seed), tangent(b, seed));
    let first = mul2(pick_a.clone(), da);
    if db.is_zero() {
        return first;
    }
    add2(first, mul2(sub(num(1.0), pick_a), db))
}

/// f'(u), reusing `fu` = f(u) where the derivative is expressed through it.
fn unary_derivative(f: UnaryFn, u: &E, fu: &E) -> E {
    let u = u.clone();
    let fu = fu.clone();
    match f {
        UnaryFn::Exp => fu,
        UnaryFn::Ln => div(num(1.0), u),
        UnaryFn::Sqrt => div(num(0.5), fu),
        UnaryFn::Sin => unary(UnaryFn::Cos, u),
        UnaryFn::Cos => neg(unary(UnaryFn::Sin, u)),
        UnaryFn::Tan => add2(num(1.0), pow(fu, num(2.0))),
        UnaryFn::Tanh => sub(num(1.0), pow(fu, num(2.0))),
        UnaryFn::Sigmoid => mul2(fu.clone(), sub(num(1.0), fu)),
        UnaryFn::Softplus => unary(UnaryFn::Sigmoid, u),
        UnaryFn::Abs => mk(Node::Sign(u)),
        UnaryFn::Relu => mk(Node::Heaviside(u)),
    }
}
