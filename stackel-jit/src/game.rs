//! A whole game compiled from text at run time: every program the macro
//! would emit (the 17 blocks, both kinds of cost, omega and the fused
//! Stackelberg and second-order parts), in f64 and in f32, with the game's
//! dimensions and settable params.

use crate::{JitError, JitPrograms, Precision};
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
    let batched = [OMEGA, STACKELBERG_PARTS];
    let (f64, f32) = std::thread::scope(|s| {
        let f32 = s.spawn(|| JitPrograms::compile_with_batches(&refs, &batched, Precision::F32));
        let f64 = JitPrograms::compile_with_batches(&refs, &batched, Precision::F64);
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

/// A game compiled from DSL text to native code (module docs).
///
/// ```
/// use stackel_jit::TextGame;
///
/// let mut g = TextGame::from_text("duopoly.stk", "game Duopoly {
///     param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
///     leader q1;  follower q2;
///     cost q1 = -(a - q1 - q2 - c1) * q1;
///     cost q2 = -(a - q1 - q2 - c2) * q2;
/// }").unwrap();
/// assert_eq!((g.d1(), g.d2(), g.np()), (1, 1, 3));
/// let mut omega = [0.0; 2];
/// g.omega_f64(&[46.0, 26.0], &mut omega).unwrap();
/// assert_eq!(omega, [23.0, 0.0]);
/// g.set_params(&[110.0, 5.0, 2.0]).unwrap(); // a sweep needs no recompilation
/// g.omega_f64(&[46.0, 26.0], &mut omega).unwrap();
/// assert_eq!(omega, [13.0, -10.0]);
/// ```
#[derive(Debug)]
pub struct TextGame {
    name: String,
    d1: usize,
    d2: usize,
    followers: usize,
    params: Vec<f64>,
    params32: Vec<f32>,
    param_names: Vec<String>,
    f64: JitPrograms,
    f32: JitPrograms,
}

impl TextGame {
    /// Parses, checks, differentiates and compiles the game in `text`
    /// (shown as `file` in error messages), both precisions at once.
    pub fn from_text(file: &str, text: &str) -> Result<Self, TextGameError> {
        let CompiledGame {
            model, f64, f32, ..
        } = compile_game(file, text)?;
        let params = default_params(&model);
        Ok(TextGame {
            name: model.name.clone(),
            d1: model.leader_dim(),
            d2: model.follower_dim(),
            followers: model.followers.len(),
            params32: params.iter().map(|&v| v as f32).collect(),
            params,
            param_names: model.params.iter().map(|p| p.name.clone()).collect(),
            f64,
            f32,
        })
    }

    /// The game's name in the DSL.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Leader dimension d1.
    pub fn d1(&self) -> usize {
        self.d1
    }
    /// Stacked follower dimension d2.
    pub fn d2(&self) -> usize {
        self.d2
    }
    /// Number of flat params.
    pub fn np(&self) -> usize {
        self.params.len()
    }
    /// Number of followers.
    pub fn followers(&self) -> usize {
        self.followers
    }
    /// The params' names in declaration order.
    pub fn param_names(&self) -> &[String] {
        &self.param_names
    }
    /// The flat params (declaration order, row-major).
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// Sets the flat params: the next call uses them, no recompilation.
    pub fn set_params(&mut self, p: &[f64]) -> Result<(), TextGameError> {
        if p.len() != self.params.len() {
            return Err(TextGameError::Params {
                need: self.params.len(),
                got: p.len(),
            });
        }
        self.params.copy_from_slice(p);
        self.params32 = p.iter().map(|&v| v as f32).collect();
        Ok(())
    }

    fn block_number(name: &str) -> Result<usize, JitError> {
        BLOCK_NAMES
            .iter()
            .position(|b| *b == name)
            .ok_or(JitError::NoProgram(usize::MAX, BLOCK_NAMES.len()))
    }

    /// Block `name` (one of [`BLOCK_NAMES`]: `D1f1`, `D22f2`, `D11phi`,
    /// `D2pf2`, ...) at `x` (and `lambda` for the phi blocks) in f64.
    pub fn block_f64(
        &self,
        name: &str,
        x: &[f64],
        lambda: &[f64],
        out: &mut [f64],
    ) -> Result<(), JitError> {
        let k = Self::block_number(name)?;
        self.f64.run_f64(k, x, &self.params, lambda, &mut [out])
    }
    /// Block `name` in f32.
    pub fn block_f32(
        &self,
        name: &str,
        x: &[f32],
        lambda: &[f32],
        out: &mut [f32],
    ) -> Result<(), JitError> {
        let k = Self::block_number(name)?;
        self.f32.run_f32(k, x, &self.params32, lambda, &mut [out])
    }
    /// f1 (cost 0) or follower i's cost (cost i + 1) in f64.
    pub fn cost_f64(&self, cost: usize, x: &[f64]) -> Result<f64, JitError> {
        let k = if cost == 0 {
            LEADER_COST
        } else {
            FOLLOWER_COSTS + cost - 1
        };
        let mut out = [0.0];
        self.f64.run_f64(k, x, &self.params, &[], &mut [&mut out])?;
        Ok(out[0])
    }
    /// omega = (D1 f1, D2 f2) in f64.
    pub fn omega_f64(&self, x: &[f64], out: &mut [f64]) -> Result<(), JitError> {
        self.f64.run_f64(OMEGA, x, &self.params, &[], &mut [out])
    }
    /// omega in f32.
    pub fn omega_f32(&self, x: &[f32], out: &mut [f32]) -> Result<(), JitError> {
        self.f32.run_f32(OMEGA, x, &self.params32, &[], &mut [out])
    }
    /// D1f1, D2f1, D2f2, D22f2 and D21f2 in one pass, in f64.
    pub fn stackelberg_parts_f64(&self, x: &[f64], out: [&mut [f64]; 5]) -> Result<(), JitError> {
        let mut out = out;
        self.f64
            .run_f64(STACKELBERG_PARTS, x, &self.params, &[], &mut out)
    }
    /// The nine second-order blocks of J_S (D11f1, D12f1, D22f1, D22f2,
    /// D21f2, D11phi, D12phi, D21phi, D22phi) in one pass, in f64.
    pub fn second_order_parts_f64(
        &self,
        x: &[f64],
        lambda: &[f64],
        out: [&mut [f64]; 9],
    ) -> Result<(), JitError> {
        let mut out = out;
        self.f64
            .run_f64(SECOND_ORDER_PARTS, x, &self.params, lambda, &mut out)
    }
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
