//! Every cost and derivative block the [`Game`](../../stackel_runtime/trait.Game.html)
//! trait needs, as nodes of one DAG, with the checks only the back end can
//! make: the size budget, and a follower Hessian D22f2 that is not
//! structurally singular.
//!
//! With omega_F = (D2 f2 of each follower, stacked) and phi = lambda^T omega_F:
//! first order D1f1, D2f1, D2f2; second order D11f1, D12f1, D22f1 (rows of
//! the gradient of f1), D22f2, D21f2 (rows of the gradient of omega_F),
//! D11phi, D12phi, D21phi, D22phi (of phi, lambda held fixed); and the param
//! derivatives D1pf1, D2pf1, D2pf2, D1pphi, D2pphi.

use super::unroll::Unroller;
use crate::dag::{Dag, Id};
use crate::diff::{gradient, Gradient, Overflow};
use crate::error::Errors;
use crate::model::GameModel;

/// Default maximum number of expression nodes in one emitted block.
pub const DEFAULT_BUDGET: usize = 200_000;

/// One derivative block: `rows x cols` entries, row-major (`cols` is 1 for
/// vectors; `shape` is what the runtime documents: `[]`, `[n]` or `[r, c]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// e.g. `"D1f1"`, `"D22f2"`, `"D12phi"`, `"D1pf1"`.
    pub name: &'static str,
    /// `[n]` for a gradient, `[rows, cols]` for a matrix block.
    pub shape: Vec<usize>,
    /// The entries' DAG nodes, row-major.
    pub entries: Vec<Id>,
}

/// Every cost and derivative block of a game, as nodes of one DAG.
#[derive(Clone, Debug)]
pub struct GameDerivatives {
    /// The DAG holding the costs and every block.
    pub dag: Dag,
    /// Leader dimension d1.
    pub d1: usize,
    /// Stacked follower dimension d2.
    pub d2: usize,
    /// Number of flat params.
    pub np: usize,
    /// The leader's cost f1.
    pub f1: Id,
    /// Each follower's cost.
    pub f2: Vec<Id>,
    /// Blocks in the order of [`BLOCK_NAMES`].
    pub blocks: Vec<Block>,
    /// f2 = -f1 proven symbolically (one follower).
    pub zero_sum: bool,
}

/// The blocks [`derive()`] computes, in order.
pub const BLOCK_NAMES: [&str; 17] = [
    "D1f1", "D2f1", "D2f2", "D11f1", "D12f1", "D22f1", "D22f2", "D21f2", "D11phi", "D12phi",
    "D21phi", "D22phi", "D1pf1", "D2pf1", "D2pf2", "D1pphi", "D2pphi",
];

impl GameDerivatives {
    /// The block named `name` (one of [`BLOCK_NAMES`]).
    pub fn block(&self, name: &str) -> &Block {
        self.blocks
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no block {name}"))
    }
}

/// `1234567` -> `"1_234_567"`.
fn grouped(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// The size budget of `model`.
pub fn budget(model: &GameModel) -> usize {
    model.budget.unwrap_or(DEFAULT_BUDGET)
}

/// Builds every cost and derivative block of `model`, checking the size
/// budget and that the follower Hessian is not structurally singular.
pub fn derive(model: &GameModel) -> Result<GameDerivatives, Errors> {
    let (d1, d2, np) = (model.leader_dim(), model.follower_dim(), model.param_len());
    let n = d1 + d2;
    let budget = budget(model);
    // The DAG holds all blocks plus intermediate adjoints: allow it a
    // multiple of the per-block budget before stopping.
    let limit = budget.saturating_mul(8).saturating_add(100_000);
    let mut dag = Dag::new();
    let mut unroller = Unroller::new(model);
    unroller.limit = limit;
    let f1 = unroller.expr(&mut dag, &model.leader.cost);
    let f2: Vec<Id> = model
        .followers
        .iter()
        .map(|f| unroller.expr(&mut dag, &f.cost))
        .collect();
    if unroller.overflow {
        return Err(Errors::at(
            model.name_span,
            format!(
                "the costs of game {} need more than {} expression nodes once their sums are \
                 unrolled, over the budget of {} per block; reduce the dimension or raise it \
                 with `budget = N;`",
                model.name,
                grouped(dag.len()),
                grouped(budget)
            ),
        ));
    }
    let overflow = |what: &str, o: Overflow| {
        Errors::at(
            model.name_span,
            format!(
                "the derivatives of game {} need more than {} expression nodes (stopped while \
                 building {what}), over the budget of {} per block; reduce the dimension or \
                 raise it with `budget = N;`",
                model.name,
                grouped(o.nodes),
                grouped(budget)
            ),
        )
    };
    let grad = |dag: &mut Dag, f: Id, what: &str| -> Result<Gradient, Errors> {
        gradient(dag, f, n, np, limit).map_err(|o| overflow(what, o))
    };
    let g1 = grad(&mut dag, f1, "D1f1")?;
    let mut omega_f = Vec::with_capacity(d2);
    let mut own_gradients_zero = Vec::new();
    for (i, f) in f2.iter().enumerate() {
        let g = grad(&mut dag, *f, "D2f2")?;
        let off = model.player_offset(i + 1);
        let own = &g.state[off..off + model.followers[i].shape.len()];
        own_gradients_zero.push(own.iter().all(|e| dag.is_zero(*e)));
        omega_f.extend_from_slice(own);
    }
    let d1f1 = g1.state[..d1].to_vec();
    let d2f1 = g1.state[d1..].to_vec();

    // Second order: one sweep per gradient entry gives a row w.r.t. all
    // states and params.
    let rows = |dag: &mut Dag, entries: &[Id], what: &str| -> Result<Vec<Gradient>, Errors> {
        entries.iter().map(|e| grad(dag, *e, what)).collect()
    };
    let h1 = rows(&mut dag, &d1f1, "D11f1")?;
    let h21 = rows(&mut dag, &d2f1, "D22f1")?;
    let hf = rows(&mut dag, &omega_f, "D22f2")?;
    let lambda_terms: Vec<Id> = omega_f
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let l = dag.lambda(k);
            dag.mul(l, *w)
        })
        .collect();
    let phi = dag.sum(lambda_terms);
    let gphi = grad(&mut dag, phi, "D1phi")?;
    let hphi1 = rows(&mut dag, &gphi.state[..d1], "D11phi")?;
    let hphi2 = rows(&mut dag, &gphi.state[d1..], "D22phi")?;

    let cat = |rows: &[Gradient], pick: &dyn Fn(&Gradient) -> Vec<Id>| -> Vec<Id> {
        rows.iter().flat_map(pick).collect()
    };
    let x1 = |g: &Gradient| g.state[..d1].to_vec();
    let x2 = |g: &Gradient| g.state[d1..].to_vec();
    let p = |g: &Gradient| g.param.clone();
    let block = |name, shape: Vec<usize>, entries| Block {
        name,
        shape,
        entries,
    };
    let blocks = vec![
        block("D1f1", vec![d1], d1f1.clone()),
        block("D2f1", vec![d2], d2f1.clone()),
        block("D2f2", vec![d2], omega_f.clone()),
        block("D11f1", vec![d1, d1], cat(&h1, &x1)),
        block("D12f1", vec![d1, d2], cat(&h1, &x2)),
        block("D22f1", vec![d2, d2], cat(&h21, &x2)),
        block("D22f2", vec![d2, d2], cat(&hf, &x2)),
        block("D21f2", vec![d2, d1], cat(&hf, &x1)),
        block("D11phi", vec![d1, d1], cat(&hphi1, &x1)),
        block("D12phi", vec![d1, d2], cat(&hphi1, &x2)),
        block("D21phi", vec![d2, d1], cat(&hphi2, &x1)),
        block("D22phi", vec![d2, d2], cat(&hphi2, &x2)),
        block("D1pf1", vec![d1, np], cat(&h1, &p)),
        block("D2pf1", vec![d2, np], cat(&h21, &p)),
        block("D2pf2", vec![d2, np], cat(&hf, &p)),
        block("D1pphi", vec![d1, np], cat(&hphi1, &p)),
        block("D2pphi", vec![d2, np], cat(&hphi2, &p)),
    ];

    let mut errors = Errors::new();
    check_block_sizes(model, &dag, &blocks, budget, &mut errors);
    let d22f2 = &blocks[6];
    check_follower_curvature(model, &dag, d22f2, &own_gradients_zero, &mut errors);
    errors.into_result()?;

    let zero_sum = f2.len() == 1 && {
        let s = dag.add(f1, f2[0]);
        dag.is_zero(s)
    };
    Ok(GameDerivatives {
        dag,
        d1,
        d2,
        np,
        f1,
        f2,
        blocks,
        zero_sum,
    })
}

/// One error per block whose operation count exceeds `budget`.
fn check_block_sizes(
    model: &GameModel,
    dag: &Dag,
    blocks: &[Block],
    budget: usize,
    errors: &mut Errors,
) {
    for b in blocks {
        let size = dag.op_count(&b.entries);
        if size > budget {
            errors.push(
                model.name_span,
                format!(
                    "the block {} of game {} needs {} expression nodes, over the budget of {}; \
                     reduce the dimension or raise it with `budget = N;`",
                    b.name,
                    model.name,
                    grouped(size),
                    grouped(budget)
                ),
            );
        }
    }
}

/// One error per follower whose cost does not depend on its own variable,
/// or whose row of H = D22f2 is structurally zero (H is then singular).
fn check_follower_curvature(
    model: &GameModel,
    dag: &Dag,
    d22f2: &Block,
    own_gradients_zero: &[bool],
    errors: &mut Errors,
) {
    let (h, d2) = (&d22f2.entries, d22f2.shape[0]);
    let mut row = 0;
    for (i, follower) in model.followers.iter().enumerate() {
        let di = follower.shape.len();
        let name = &follower.name;
        if own_gradients_zero[i] {
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` does not depend on `{name}`, so D22f2 (the \
                     follower Hessian) is singular and its best response is undefined; a \
                     follower's cost must depend on its own variable"
                ),
            );
        } else if let Some(r) =
            (row..row + di).find(|r| h[r * d2..(r + 1) * d2].iter().all(|e| dag.is_zero(*e)))
        {
            let coord = follower.shape.entry_label(name, r - row);
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` is at most linear in `{coord}` (its row of \
                     D22f2 is structurally zero), so D22f2 (the follower Hessian) is singular \
                     and the implicit map is undefined; the follower's cost must be curved in \
                     each of its own entries (e.g. add a regulariser like `0.5*{coord}^2`)"
                ),
            );
        }
        row += di;
    }
}
