//! Model expressions into indexed expressions, sums kept (no unrolling).

use super::expr::{
    self, add2, div, entry, mk, mul2, neg, num, pow, sub, unary, Aff, Ix, Leaf, Node, E,
};
use crate::model::{BinOp, BinaryFn, Expr, Index};

/// The index variable of a model sum index (same number).
fn aff(i: &Index) -> Aff {
    Aff {
        var: i.var.map(|v| Ix(v.0)),
        offset: i.offset,
    }
}

/// The indexed form of a checked model expression.
pub fn build(e: &Expr) -> E {
    match e {
        Expr::Num(v) => num(*v),
        Expr::Var { player, index } => entry(Leaf::State(*player), index.iter().map(aff).collect()),
        Expr::Param { param, index } => entry(Leaf::Param(*param), index.iter().map(aff).collect()),
        Expr::SumIndex(i) => {
            let a = aff(i);
            match a.var {
                None => num(a.offset as f64),
                Some(_) => mk(Node::Index(a)),
            }
        }
        Expr::Neg(a) => neg(build(a)),
        Expr::Binary(op, a, b) => {
            let (a, b) = (build(a), build(b));
            match op {
                BinOp::Add => add2(a, b),
                BinOp::Sub => sub(a, b),
                BinOp::Mul => mul2(a, b),
                BinOp::Div => div(a, b),
                BinOp::Pow => pow(a, b),
            }
        }
        Expr::Unary(f, a) => unary(*f, build(a)),
        Expr::Call2(f, a, b) => {
            let (a, b) = (build(a), build(b));
            match f {
                BinaryFn::Min => mk(Node::Min(a, b)),
                BinaryFn::Max => mk(Node::Max(a, b)),
            }
        }
        Expr::Sum { var, lo, hi, body } => expr::sum(Ix(var.0), *lo, *hi, build(body)),
    }
}

/// The largest index variable number used in `e` (bound or free), if any.
pub fn max_var(e: &Expr) -> Option<u32> {
    let idx = |i: &[Index]| i.iter().filter_map(|i| i.var.map(|v| v.0)).max();
    match e {
        Expr::Num(_) => None,
        Expr::Var { index, .. } | Expr::Param { index, .. } => idx(index),
        Expr::SumIndex(i) => idx(std::slice::from_ref(i)),
        Expr::Neg(a) | Expr::Unary(_, a) => max_var(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => max_var(a).max(max_var(b)),
        Expr::Sum { var, body, .. } => Some(var.0).max(max_var(body)),
    }
}
