//! Model expressions into indexed expressions, sums kept (no unrolling).

use super::expr::{
    self, add2, div, entry, mk, mul2, neg, num, pow, sub, unary, Aff, Ix, Leaf, Node, E,
};
use crate::model::{BinOp, BinaryFn, Expr, Index, SumVar};

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
        Expr::Part { .. } | Expr::Data { .. } | Expr::Let { .. } => {
            unreachable!("games with player parts or data inputs take the tape form (choose_form), and costs have lets inlined")
        }
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
        // max/min over k in lo..hi: the chain op(t_lo, op(t_lo+1, ...)) of the
        // terms with k substituted (the two-argument op picks its first
        // argument on a tie, so the smallest k wins, as the unrolled form).
        // The chain grows with the range: a reduction is not kept as a loop.
        Expr::Fold {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            let terms: Vec<E> = (*lo..*hi)
                .map(|k| build(&substitute(body, *var, k)))
                .collect();
            let mut it = terms.into_iter().rev();
            let last = it.next().expect("the checker rejects empty reductions");
            it.fold(last, |acc, t| match op {
                BinaryFn::Min => mk(Node::Min(t, acc)),
                BinaryFn::Max => mk(Node::Max(t, acc)),
            })
        }
    }
}

/// `e` with the reduction index `var` replaced by the constant `k`.
fn substitute(e: &Expr, var: SumVar, k: i64) -> Expr {
    let at = |i: &Index| match i.var {
        Some(v) if v == var => Index {
            var: None,
            offset: i.offset + k,
        },
        _ => *i,
    };
    let sub = |a: &Expr| Box::new(substitute(a, var, k));
    match e {
        Expr::Num(v) => Expr::Num(*v),
        Expr::Var { player, index } => Expr::Var {
            player: *player,
            index: index.iter().map(at).collect(),
        },
        Expr::Param { param, index } => Expr::Param {
            param: *param,
            index: index.iter().map(at).collect(),
        },
        Expr::Part {
            player,
            part,
            index,
        } => Expr::Part {
            player: *player,
            part: *part,
            index: index.iter().map(at).collect(),
        },
        Expr::Data { data, index } => Expr::Data {
            data: *data,
            index: index.iter().map(at).collect(),
        },
        Expr::Let { id, index } => Expr::Let {
            id: *id,
            index: index.iter().map(at).collect(),
        },
        Expr::SumIndex(i) => match i.var {
            Some(v) if v == var => Expr::Num((i.offset + k) as f64),
            _ => Expr::SumIndex(*i),
        },
        Expr::Neg(a) => Expr::Neg(sub(a)),
        Expr::Binary(op, a, b) => Expr::Binary(*op, sub(a), sub(b)),
        Expr::Unary(f, a) => Expr::Unary(*f, sub(a)),
        Expr::Call2(f, a, b) => Expr::Call2(*f, sub(a), sub(b)),
        Expr::Sum {
            var: v,
            lo,
            hi,
            body,
        } => Expr::Sum {
            var: *v,
            lo: *lo,
            hi: *hi,
            body: sub(body),
        },
        Expr::Fold {
            op,
            var: v,
            lo,
            hi,
            body,
        } => Expr::Fold {
            op: *op,
            var: *v,
            lo: *lo,
            hi: *hi,
            body: sub(body),
        },
    }
}

/// The largest index variable number used in `e` (bound or free), if any.
pub fn max_var(e: &Expr) -> Option<u32> {
    let idx = |i: &[Index]| i.iter().filter_map(|i| i.var.map(|v| v.0)).max();
    match e {
        Expr::Num(_) => None,
        Expr::Var { index, .. }
        | Expr::Param { index, .. }
        | Expr::Part { index, .. }
        | Expr::Data { index, .. }
        | Expr::Let { index, .. } => idx(index),
        Expr::SumIndex(i) => idx(std::slice::from_ref(i)),
        Expr::Neg(a) | Expr::Unary(_, a) => max_var(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => max_var(a).max(max_var(b)),
        Expr::Sum { var, body, .. } | Expr::Fold { var, body, .. } => {
            Some(var.0).max(max_var(body))
        }
    }
}
