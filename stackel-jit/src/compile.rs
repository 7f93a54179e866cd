//! A game text through the whole compiler at run time, in the code form
//! the macro would choose for it:
//! - unrolled: every program the macro would emit (the 17 blocks, both
//!   kinds of cost, omega, the fused Stackelberg and second-order parts, the
//!   staggered blocks) and their native code in f64 and f32;
//! - loops: the loop kernels of every method the loop form generates
//!   ([`LoopKernels`]) and their native code in f64 and f32;
//!
//! which [`crate::DynGame`] runs; and why a text cannot be compiled
//! ([`TextGameError`]).

use crate::kernels::JitKernels;
use crate::{JitError, JitPrograms, Precision};
use stackel_runtime::dynamics::small_kernel_fits;
use stackel_symbolic::emit_rust::loops::check_followers;
use stackel_symbolic::emit_rust::{Form, Options};
use stackel_symbolic::formula::BlockFormulas;
use stackel_symbolic::indexed::kernel::{Kernel, LoopKernels};
use stackel_symbolic::indexed::IndexedGame;
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
    /// The game asks for a form run-time compilation does not have for it.
    #[error("game `{game}` asks for the {form} form, which run-time compilation does not have for {why}: drop the forced form (such a game takes the tape form)")]
    Form {
        /// The game's name.
        game: String,
        /// `unrolled`.
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

/// A game text through the whole compiler, in its code form.
pub(crate) enum CompiledGame {
    /// The unrolled form.
    Unrolled(Box<CompiledUnrolled>),
    /// The loop form.
    Loops(Box<CompiledLoops>),
    /// The tape form: the checked model (the programs are built from it).
    Tape(Box<GameModel>),
}

/// The unrolled form: the model, the lowered programs, the program list
/// (numbered as above) and its native code in both precisions (compiled in
/// parallel).
pub(crate) struct CompiledUnrolled {
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

/// The loop form: the model, the loop kernels (numbered as
/// [`LoopKernels::number`]) and their native code in both precisions, the
/// loop-form WGSL module, the index-level formulas, and whether f2 = -f1
/// structurally.
pub(crate) struct CompiledLoops {
    pub(crate) model: GameModel,
    pub(crate) kernels: LoopKernels,
    pub(crate) f64: JitKernels,
    pub(crate) f32: JitKernels,
    pub(crate) wgsl: String,
    pub(crate) formulas: Vec<BlockFormulas>,
    pub(crate) zero_sum: bool,
}

/// Parses, checks, differentiates and compiles the game in `text`.
pub(crate) fn compile_game(file: &str, text: &str) -> Result<CompiledGame, TextGameError> {
    let model = front_end_text(file, text)?;
    match form_of(file, text, &model)? {
        Form::Loops => compile_loops(file, text, model).map(|c| CompiledGame::Loops(Box::new(c))),
        Form::Tape => {
            stackel_symbolic::emit_rust::tape::check_followers(&model)
                .map_err(|e| from_errors(file, text, &e))?;
            Ok(CompiledGame::Tape(Box::new(model)))
        }
        _ => compile_unrolled(file, text, model).map(|c| CompiledGame::Unrolled(Box::new(c))),
    }
}

/// The loop form of `model` (the macro's `emit_rust::loops`, as kernels).
fn compile_loops(file: &str, text: &str, model: GameModel) -> Result<CompiledLoops, TextGameError> {
    let g = IndexedGame::new(&model);
    check_followers(&model, &g).map_err(|e| from_errors(file, text, &e))?;
    let kernels = LoopKernels::new(&g);
    let refs: Vec<&Kernel> = kernels.kernels.iter().collect();
    let (f64, f32) = std::thread::scope(|s| {
        let f32 = s.spawn(|| JitKernels::compile(&refs, Precision::F32));
        let f64 = JitKernels::compile(&refs, Precision::F64);
        (f64, f32.join().expect("the f32 compilation does not panic"))
    });
    Ok(CompiledLoops {
        f64: f64?,
        f32: f32?,
        wgsl: stackel_symbolic::emit_wgsl_loops::emit_indexed(&model, &g),
        formulas: stackel_symbolic::formula::indexed_block_formulas(&model, &g),
        zero_sum: g.zero_sum(),
        kernels,
        model,
    })
}

/// The unrolled form of `model`.
fn compile_unrolled(
    file: &str,
    text: &str,
    model: GameModel,
) -> Result<CompiledUnrolled, TextGameError> {
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
    Ok(CompiledUnrolled {
        f64: f64?,
        f32: f32?,
        model,
        lowered,
        programs,
    })
}

/// The code form the macro would generate `model` in; the macro's errors
/// for a form that cannot generate the game, and [`TextGameError::Form`]
/// for the one the macro has and run-time compilation does not (the
/// unrolled form of players made of parts).
fn form_of(file: &str, text: &str, model: &GameModel) -> Result<Form, TextGameError> {
    let form = |form: &'static str, why: &'static str| TextGameError::Form {
        game: model.name.clone(),
        form,
        why,
    };
    let options = Options::of(&model.attrs).map_err(|e| from_errors(file, text, &e))?;
    let chosen = stackel_symbolic::choose_form(model, &options);
    stackel_symbolic::check_form(model, chosen).map_err(|e| from_errors(file, text, &e))?;
    if chosen == Form::Unrolled
        && std::iter::once(&model.leader)
            .chain(&model.followers)
            .any(|p| !p.parts.is_empty())
    {
        return Err(form("unrolled", "players made of parts"));
    }
    Ok(chosen)
}
