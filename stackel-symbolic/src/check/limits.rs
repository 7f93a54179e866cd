//! Limits on what one game may ask of the compiler, and the sizes they
//! are checked on.

use super::*;

/// Most expression nodes inlined from lets into one statement.
pub(super) const MAX_INLINED: usize = 1 << 20;

/// Highest resolved expression tree, lets inlined (bounds the recursion of
/// the back end).
pub(super) const MAX_RESOLVED_HEIGHT: u32 = 1024;

/// Most entries in one player variable or param.
pub(super) const MAX_ENTRIES: usize = 1 << 20;

/// Most terms in one sum, counting the terms of the enclosing sums too
/// (`sum(i in 0..n) sum(j in 0..m)` has n * m); the back end unrolls sums.
pub(super) const MAX_SUM_TERMS: i64 = 1 << 20;

/// Number of nodes in a resolved expression.
pub(super) fn expr_size(e: &Expr) -> usize {
    1 + match e {
        Expr::Num(_)
        | Expr::Var { .. }
        | Expr::Param { .. }
        | Expr::Part { .. }
        | Expr::Data { .. }
        | Expr::Let { .. }
        | Expr::SumIndex(_) => 0,
        Expr::Neg(a)
        | Expr::Unary(_, a)
        | Expr::Sum { body: a, .. }
        | Expr::Fold { body: a, .. } => expr_size(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => expr_size(a) + expr_size(b),
    }
}
