//! Model expressions into the DAG: every sum unrolled into its terms, every
//! `max`/`min` fold into a chain of two-argument `max`/`min`, every
//! index resolved to a flat state or param entry.

use crate::dag::{Dag, Id};
use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index, SumVar};
use std::collections::HashMap;

/// Unrolls model expressions into a DAG.
pub(super) struct Unroller<'m> {
    model: &'m GameModel,
    offsets: Vec<usize>,
    param_offsets: Vec<usize>,
    env: HashMap<SumVar, i64>,
    /// Stop unrolling sums once the DAG has this many nodes.
    pub(super) limit: usize,
    pub(super) overflow: bool,
}

impl<'m> Unroller<'m> {
    pub(super) fn new(model: &'m GameModel) -> Self {
        let players = 1 + model.followers.len();
        let offsets = (0..players).map(|p| model.player_offset(p)).collect();
        let mut param_offsets = Vec::new();
        let mut o = 0;
        for p in &model.params {
            param_offsets.push(o);
            o += p.shape.len();
        }
        Unroller {
            model,
            offsets,
            param_offsets,
            env: HashMap::new(),
            limit: usize::MAX,
            overflow: false,
        }
    }

    /// Puts back the binding of `var` from around a sum or fold (the
    /// checker gives every index its own id; hand-built models may reuse one).
    fn restore(&mut self, var: SumVar, outer: Option<i64>) {
        match outer {
            Some(v) => self.env.insert(var, v),
            None => self.env.remove(&var),
        };
    }

    fn index_value(&self, i: &Index) -> i64 {
        i.offset + i.var.map_or(0, |v| self.env[&v])
    }

    fn indices(&self, index: &[Index]) -> Vec<usize> {
        index.iter().map(|i| self.index_value(i) as usize).collect()
    }

    pub(super) fn expr(&mut self, dag: &mut Dag, e: &Expr) -> Id {
        match e {
            Expr::Num(v) => dag.constant(*v),
            Expr::Var { player, index } => {
                let shape = self.model.player(*player).shape;
                let k = self.offsets[*player] + shape.flat(&self.indices(index));
                dag.state(k)
            }
            Expr::Param { param, index } => {
                let shape = self.model.params[*param].shape;
                let k = self.param_offsets[*param] + shape.flat(&self.indices(index));
                dag.param(k)
            }
            Expr::Part {
                player,
                part,
                index,
            } => {
                let part = &self.model.player(*player).parts[*part];
                let k = self.offsets[*player] + part.offset + part.shape.flat(&self.indices(index));
                dag.state(k)
            }
            Expr::Data { .. } | Expr::Let { .. } => {
                unreachable!("games with data inputs take the tape form (choose_form), and costs have lets inlined")
            }
            Expr::SumIndex(i) => dag.constant(self.index_value(i) as f64),
            Expr::Neg(a) => {
                let a = self.expr(dag, a);
                dag.neg(a)
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(dag, a);
                let b = self.expr(dag, b);
                match op {
                    BinOp::Add => dag.add(a, b),
                    BinOp::Sub => dag.sub(a, b),
                    BinOp::Mul => dag.mul(a, b),
                    BinOp::Div => dag.div(a, b),
                    BinOp::Pow => dag.pow(a, b),
                }
            }
            Expr::Unary(f, a) => {
                let a = self.expr(dag, a);
                dag.unary(*f, a)
            }
            Expr::Call2(f, a, b) => {
                let a = self.expr(dag, a);
                let b = self.expr(dag, b);
                match f {
                    BinaryFn::Min => dag.min(a, b),
                    BinaryFn::Max => dag.max(a, b),
                }
            }
            Expr::Sum { var, lo, hi, body } => {
                let mut terms = Vec::with_capacity((hi - lo).max(0) as usize);
                let outer = self.env.get(var).copied();
                for k in *lo..*hi {
                    if dag.len() > self.limit {
                        self.overflow = true;
                        break;
                    }
                    self.env.insert(*var, k);
                    terms.push(self.expr(dag, body));
                }
                self.restore(*var, outer);
                dag.sum(terms)
            }
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                // The chain op(op(t_lo, t_lo+1), ...): on a tie the earlier
                // term is kept (the two-argument functions keep their first).
                let mut acc: Option<Id> = None;
                let outer = self.env.get(var).copied();
                for k in *lo..*hi {
                    if dag.len() > self.limit {
                        self.overflow = true;
                        break;
                    }
                    self.env.insert(*var, k);
                    let t = self.expr(dag, body);
                    acc = Some(match acc {
                        None => t,
                        Some(a) => match op {
                            BinaryFn::Min => dag.min(a, t),
                            BinaryFn::Max => dag.max(a, t),
                        },
                    });
                }
                self.restore(*var, outer);
                // lo < hi (checked); only an overflow stops before a term.
                acc.unwrap_or_else(|| dag.constant(0.0))
            }
        }
    }
}

/// Unrolls an expression of `model` (sums expanded) into `dag`.
pub fn unroll(model: &GameModel, dag: &mut Dag, e: &Expr) -> Id {
    Unroller::new(model).expr(dag, e)
}
