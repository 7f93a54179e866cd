//! From the checked model to programs, once: unrolls the costs into the DAG
//! and differentiates every block ([`derive()`]), then lowers every program an
//! emitter needs into one bundle, [`Lowered`] ([`lower_game`]). The emitters
//! (Rust, WGSL, formulas) read the bundle and never call back here.
//!
//! Files: `unroll` (model expressions into the DAG), `derive` (the blocks
//! and the back end's checks), `cse` (DAG nodes to one CSE'd program), `run`
//! (an interpreter for tests).

mod cse;
mod derive;
mod run;
mod staggered;
mod unroll;

pub use cse::{lower, Output};
pub use derive::{budget, derive, Block, GameDerivatives, BLOCK_NAMES, DEFAULT_BUDGET};
pub use run::run;
pub use staggered::{staggered_programs, StaggeredPrograms};
pub use unroll::unroll;

use crate::dag::Id;
use crate::error::Errors;
use crate::ir::{GamePrograms, Program};
use crate::model::GameModel;

/// The blocks of `Game::stackelberg_parts`, fused into one program (outputs
/// named in lower case, in this order): what omega_S = (D1f1 - D21f2^T
/// (D22f2 + eta I)^-T D2f1, D2f2) needs.
pub const STACKELBERG_PARTS: [&str; 5] = ["D1f1", "D2f1", "D2f2", "D22f2", "D21f2"];

/// The blocks of `Game::second_order_parts`, fused into one program: what
/// the Stackelberg Jacobian J_S needs at (x, lambda).
pub const SECOND_ORDER_PARTS: [&str; 9] = [
    "D11f1", "D12f1", "D22f1", "D22f2", "D21f2", "D11phi", "D12phi", "D21phi", "D22phi",
];

/// A game lowered once: every program the emitters need, and the derivative
/// DAG the formula printer reads.
///
/// Each program is a list of statements ([`crate::ir::Stmt`]); today they
/// are straight-line assignments, and the bundle's shape does not depend on
/// that.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The costs and every block as DAG nodes (for the formula printer).
    pub derivatives: GameDerivatives,
    /// omega and the fused Stackelberg parts, with the dimensions and the
    /// angle mask: everything the WGSL module is built from.
    pub field: GamePrograms,
    /// f1, as one scalar output "cost".
    pub leader_cost: Program,
    /// f2 of each follower, as one scalar output "cost" each.
    pub follower_costs: Vec<Program>,
    /// [`SECOND_ORDER_PARTS`], fused.
    pub second_order_parts: Program,
    /// One program per block, in the order of [`BLOCK_NAMES`], its one
    /// output named by the block in lower case.
    pub blocks: Vec<Program>,
    /// The blocks of a staggered hierarchy (a game with `follower z after
    /// y;`), `None` for other games.
    pub staggered: Option<StaggeredPrograms>,
}

impl Lowered {
    /// The program of the block named `name` (one of [`BLOCK_NAMES`]).
    pub fn block(&self, name: &str) -> &Program {
        let k = BLOCK_NAMES
            .iter()
            .position(|b| *b == name)
            .unwrap_or_else(|| panic!("no block {name}"));
        &self.blocks[k]
    }
}

/// Derives every block of `model` and lowers every program of the bundle.
pub fn lower_game(model: &GameModel) -> Result<Lowered, Errors> {
    let mut d = derive(model)?;
    let staggered = if model.is_staggered() {
        let limit = budget(model).saturating_mul(8).saturating_add(100_000);
        Some(staggered_programs(model, &mut d, limit)?)
    } else {
        None
    };
    let field = field_programs(model, &d);
    let leader_cost = d.cost_program(d.f1);
    let follower_costs = d.f2.iter().map(|f| d.cost_program(*f)).collect();
    let second_order_parts = d.program(&SECOND_ORDER_PARTS);
    let blocks = BLOCK_NAMES.iter().map(|b| d.program(&[b])).collect();
    Ok(Lowered {
        derivatives: d,
        field,
        leader_cost,
        follower_costs,
        second_order_parts,
        blocks,
        staggered,
    })
}

/// The field programs of `model` alone (what the GPU engine runs; see
/// [`GamePrograms`]).
pub fn game_programs(model: &GameModel) -> Result<GamePrograms, Errors> {
    Ok(field_programs(model, &derive(model)?))
}

/// [`GamePrograms`] from already derived blocks.
fn field_programs(model: &GameModel, d: &GameDerivatives) -> GamePrograms {
    let mut angle_mask = Vec::new();
    for p in 0..=model.followers.len() {
        let pl = model.player(p);
        angle_mask.extend(std::iter::repeat_n(pl.angle, pl.shape.len()));
    }
    GamePrograms {
        d1: d.d1,
        d2: d.d2,
        np: d.np,
        angle_mask,
        omega: d.omega_program(),
        stackelberg_parts: d.program(&STACKELBERG_PARTS),
    }
}

impl GameDerivatives {
    /// One program computing the named blocks (fused: shared nodes once),
    /// each output named by its block in lower case.
    pub fn program(&self, names: &[&str]) -> Program {
        let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        let outputs: Vec<Output<'_>> = names
            .iter()
            .zip(&lowered)
            .map(|(n, low)| {
                let b = self.block(n);
                Output {
                    name: low,
                    shape: b.shape.clone(),
                    entries: &b.entries,
                }
            })
            .collect();
        lower(&self.dag, &outputs)
    }

    /// omega = (D1 f1, D2 f2) as one output "omega".
    fn omega_program(&self) -> Program {
        let entries: Vec<Id> = self
            .block("D1f1")
            .entries
            .iter()
            .chain(&self.block("D2f2").entries)
            .copied()
            .collect();
        lower(
            &self.dag,
            &[Output {
                name: "omega",
                shape: vec![self.d1 + self.d2],
                entries: &entries,
            }],
        )
    }

    /// The cost `f` (f1 or one follower's) as one scalar output "cost".
    fn cost_program(&self, f: Id) -> Program {
        lower(
            &self.dag,
            &[Output {
                name: "cost",
                shape: vec![],
                entries: &[f],
            }],
        )
    }
}
