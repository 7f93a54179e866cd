//! A game text through the whole compiler at run time: the model, every
//! program the macro would emit (the 17 blocks, both kinds of cost, omega,
//! the fused Stackelberg and second-order parts, the staggered blocks) and
//! their native code in f64 and f32, which [`crate::DynGame`] runs; and
//! why a text cannot be compiled ([`TextGameError`]).

use crate::{JitError, JitPrograms, Precision};
use stackel_runtime::dynamics::small_kernel_fits;
use stackel_symbolic::ir::Program;
use stackel_symbolic::lower::{lower_game, BLOCK_NAMES};
use stackel_symbolic::model::GameModel;
use stackel_symbolic::text::{from_errors, front_end_text, DslError};

/// Why a game given as text cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum TextGameError {
    /// The text is not a valid game: every error with its line and column.
    #[error("{0}")]
    Dsl(#[from] DslError),
    /// The game needs a form run-time compilation does not have yet.
    #[error("game `{game}` takes the {form} form ({why}); run-time compilation covers the unrolled form")]
    Form {
        /// The game's name.
        game: String,
        /// `loops` or `tape`.
        form: &'static str,
        /// What makes it so.
        why: &'static str,
    },
    /// Code generation failed.
    #[error(transparent)]
    Jit(#[from] JitError),
    /// Params of the wrong length.
    #[error("the game has {need} flat params, {got} were given")]
    Params {
        /// NP.
        need: usize,
        /// Given.
        got: usize,
    },
}

/// Program numbers inside each [`JitPrograms`]: the blocks in the order of
/// [`BLOCK_NAMES`], then these.
pub(crate) const LEADER_COST: usize = BLOCK_NAMES.len();
pub(crate) const OMEGA: usize = LEADER_COST + 1;
pub(crate) const STACKELBERG_PARTS: usize = LEADER_COST + 2;
pub(crate) const SECOND_ORDER_PARTS: usize = LEADER_COST + 3;
/// Then one cost per follower, then (games with levels) each player's
/// staggered gradient, each player's staggered Hessian and each follower's
/// staggered phi Hessian.
pub(crate) const FOLLOWER_COSTS: usize = LEADER_COST + 4;

/// A game text through the whole compiler: the model, the lowered
/// programs, the program list (numbered as above) and its native code in
/// both precisions (compiled in parallel).
pub(crate) struct CompiledGame {
    pub(crate) model: GameModel,
    pub(crate) lowered: stackel_symbolic::lower::Lowered,
    pub(crate) programs: Vec<Program>,
    pub(crate) f64: JitPrograms,
    pub(crate) f32: JitPrograms,
}

/// The flat params as declared (declaration order, row-major; 0 where a
/// param has no default).
pub(crate) fn default_params(model: &GameModel) -> Vec<f64> {
    model
        .params
        .iter()
        .flat_map(|p| {
            p.default
                .clone()
                .unwrap_or_else(|| vec![0.0; p.shape.len()])
        })
        .collect()
}

/// Parses, checks, differentiates and compiles the game in `text`.
pub(crate) fn compile_game(file: &str, text: &str) -> Result<CompiledGame, TextGameError> {
    let model = front_end_text(file, text)?;
    if let Some(why) = unsupported(&model) {
        return Err(why);
    }
    let lowered = lower_game(&model).map_err(|e| from_errors(file, text, &e))?;
    let mut programs: Vec<Program> = lowered.blocks.clone();
    programs.extend([
        lowered.leader_cost.clone(),
        lowered.field.omega.clone(),
        lowered.field.stackelberg_parts.clone(),
        lowered.second_order_parts.clone(),
    ]);
    programs.extend(lowered.follower_costs.iter().cloned());
    if let Some(s) = &lowered.staggered {
        programs.extend(s.gradients.iter().cloned());
        programs.extend(s.hessians.iter().cloned());
        programs.extend(s.phi_hessians.iter().cloned());
    }
    let refs: Vec<&Program> = programs.iter().collect();
    // the engines call the batched field only where the small-state kernel
    // steps the game; a batched loop around a big program would only cost
    // compile time (register allocation grows faster than the program)
    let batched: &[usize] = if small_kernel_fits(model.leader_dim(), model.follower_dim()) {
        &[OMEGA, STACKELBERG_PARTS]
    } else {
        &[]
    };
    let (f64, f32) = std::thread::scope(|s| {
        let f32 = s.spawn(|| JitPrograms::compile_with_batches(&refs, batched, Precision::F32));
        let f64 = JitPrograms::compile_with_batches(&refs, batched, Precision::F64);
        (f64, f32.join().expect("the f32 compilation does not panic"))
    });
    Ok(CompiledGame {
        f64: f64?,
        f32: f32?,
        model,
        lowered,
        programs,
    })
}

/// The reason `model` cannot be compiled at run time yet, if any.
fn unsupported(model: &GameModel) -> Option<TextGameError> {
    let form = |form: &'static str, why: &'static str| TextGameError::Form {
        game: model.name.clone(),
        form,
        why,
    };
    let players = std::iter::once(&model.leader).chain(&model.followers);
    if !model.data.is_empty() {
        return Some(form("tape", "it has data inputs"));
    }
    if players.clone().any(|p| !p.parts.is_empty()) {
        return Some(form("tape", "a player is made of parts"));
    }
    let options = stackel_symbolic::emit_rust::Options::of(&model.attrs).ok()?;
    match stackel_symbolic::choose_form(model, &options) {
        stackel_symbolic::emit_rust::Form::Loops => {
            Some(form("loops", "its costs unroll past the size threshold"))
        }
        stackel_symbolic::emit_rust::Form::Tape => Some(form("tape", "the game asks for it")),
        stackel_symbolic::emit_rust::Form::Unrolled => None,
    }
}
