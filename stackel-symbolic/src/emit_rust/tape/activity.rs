//! Activity analysis of the tape form's program: which lets a cost needs,
//! and which values depend on the players a gradient is taken with respect
//! to (the reverse pass skips everything else, e.g. a generator's layers in
//! the discriminator's own gradient).

use crate::model::{Expr, GameModel, LetDef};

/// What the tape form knows of a game under a mask of differentiated
/// players.
pub(super) struct Cx<'a> {
    /// The kept lets.
    lets: &'a [LetDef],
    /// Per player: is the gradient taken with respect to it?
    mask: Vec<bool>,
    /// Per let: does its value depend on a masked player?
    let_active: Vec<bool>,
}

/// Does `e` contain a sum or max/min reduction?
pub(super) fn has_reduction(e: &Expr) -> bool {
    match e {
        Expr::Sum { .. } | Expr::Fold { .. } => true,
        Expr::Neg(a) | Expr::Unary(_, a) => has_reduction(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => has_reduction(a) || has_reduction(b),
        _ => false,
    }
}

/// Number of entries of a let (1 for a scalar let).
pub(super) fn let_len(l: &LetDef) -> usize {
    l.indices
        .iter()
        .map(|(_, lo, hi)| (hi - lo) as usize)
        .product()
}

impl<'a> Cx<'a> {
    /// The analysis for gradients with respect to the players in `mask`
    /// (one flag per player, leader first).
    pub(super) fn new(model: &'a GameModel, mask: Vec<bool>) -> Self {
        let lets = &model.program.lets[..];
        let mut cx = Cx {
            lets,
            mask,
            let_active: Vec::new(),
        };
        for l in lets {
            let a = cx.active(&l.body);
            cx.let_active.push(a);
        }
        cx
    }

    /// Does let `k`'s value depend on a masked player?
    pub(super) fn is_let_active(&self, k: usize) -> bool {
        self.let_active[k]
    }

    /// Does `e` depend on a masked player (an entry, or an active let)?
    pub(super) fn active(&self, e: &Expr) -> bool {
        match e {
            Expr::Var { player, .. } | Expr::Part { player, .. } => self.mask[*player],
            Expr::Let { id, .. } => self.let_active[*id],
            Expr::Num(_) | Expr::Param { .. } | Expr::Data { .. } | Expr::SumIndex(_) => false,
            Expr::Neg(a)
            | Expr::Unary(_, a)
            | Expr::Sum { body: a, .. }
            | Expr::Fold { body: a, .. } => self.active(a),
            Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => self.active(a) || self.active(b),
        }
    }

    /// Does `e` (transitively) read player `p`'s variable?
    pub(super) fn reads_player(&self, e: &Expr, p: usize) -> bool {
        match e {
            Expr::Var { player, .. } | Expr::Part { player, .. } => *player == p,
            Expr::Let { id, .. } => self.reads_player(&self.lets[*id].body, p),
            Expr::Num(_) | Expr::Param { .. } | Expr::Data { .. } | Expr::SumIndex(_) => false,
            Expr::Neg(a)
            | Expr::Unary(_, a)
            | Expr::Sum { body: a, .. }
            | Expr::Fold { body: a, .. } => self.reads_player(a, p),
            Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
                self.reads_player(a, p) || self.reads_player(b, p)
            }
        }
    }

    /// The lets `e` needs (transitively), marked in `need`.
    pub(super) fn need(&self, e: &Expr, need: &mut [bool]) {
        match e {
            Expr::Let { id, .. } => {
                if !need[*id] {
                    need[*id] = true;
                    self.need(&self.lets[*id].body, need);
                }
            }
            Expr::Num(_)
            | Expr::Var { .. }
            | Expr::Part { .. }
            | Expr::Param { .. }
            | Expr::Data { .. }
            | Expr::SumIndex(_) => {}
            Expr::Neg(a)
            | Expr::Unary(_, a)
            | Expr::Sum { body: a, .. }
            | Expr::Fold { body: a, .. } => self.need(a, need),
            Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
                self.need(a, need);
                self.need(b, need);
            }
        }
    }
}
