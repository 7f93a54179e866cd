//! [`DynGame`]: a [`Game`] built from DSL text at run time.
//!
//! The text goes through the macro's own front end and compiler
//! (`stackel_symbolic`), in the code form the macro would choose for it:
//! - the unrolled form: every program the macro would emit is compiled to
//!   native code with Cranelift in f64 and in f32 ([`crate::JitPrograms`]);
//! - the loop form (games whose costs unroll past the size threshold, or
//!   that ask for it): the loop kernels of every method the macro's loop
//!   form generates ([`stackel_symbolic::indexed::kernel`]), compiled
//!   likewise, so the code grows with the DSL text, not with the dimensions;
//! - the tape form (games with data inputs or players made of parts:
//!   networks): the tape form's programs
//!   ([`stackel_symbolic::emit_rust::tape::ir`]) compiled likewise, each at
//!   the depth of tangent numbers its methods need (the operators forward
//!   over reverse), with the generated code's operations (the same bits);
//!   1.3-2.8x the macro's time per call for the paper's GAN
//!   (`examples/tape_speed.rs`).
//!
//! The generic `Game` methods dispatch on the number type: `f64` and `f32`
//! run the native code (through `Real::as_f64s` / `Real::as_f32s`); any
//! other `Real` (tangent numbers for exact Jacobians, dual numbers,
//! operation counters) runs the same programs or kernels through an
//! interpreter with the operations the generated code uses. A `DynGame` therefore works
//! wherever a macro game does: studies on both engines (the GPU engine runs
//! the WGSL the compiler emits for the game), equilibria, classification,
//! sensitivity, formulas, the cost report.
//!
//! `Game::info` and `Game::wgsl` return `'static` data, as a macro game's
//! are: a `DynGame` keeps them for the life of the process, once per distinct
//! game text (building the same text again reuses them), a few hundred bytes
//! plus the WGSL module.

use crate::compile::{compile_game, CompiledGame, TextGameError};
use crate::loop_game::LoopGame;
use crate::tape::TapeGame;
use crate::unrolled::UnrolledGame;
use stackel_runtime::cost::{CompiledCosts, OpCounts, SourceCost, StageCounts};
use stackel_runtime::hierarchy::NotGenerated;
use stackel_runtime::{
    BlockFormula, DataInfo, Form, Game, GameInfo, ParamInfo, PartInfo, PlayerInfo, Real,
    SecondOrderParts, StackelbergParts,
};
use stackel_symbolic::model::GameModel;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A game compiled from DSL text at run time (module docs).
///
/// ```
/// use stackel_jit::DynGame;
/// use stackel_runtime::Game;
///
/// let mut g = DynGame::from_dsl("duopoly.stk", "game Duopoly {
///     param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
///     leader q1;  follower q2;
///     cost q1 = -(a - q1 - q2 - c1) * q1;
///     cost q2 = -(a - q1 - q2 - c2) * q2;
/// }").unwrap();
/// assert_eq!((g.d1(), g.d2(), g.np()), (1, 1, 3));
/// let mut omega = [0.0; 2];
/// g.omega(&[46.0, 26.0], &mut omega);
/// assert_eq!(omega, [23.0, 0.0]);
/// g.set_params(&[110.0, 5.0, 2.0]); // a sweep needs no recompilation
/// g.omega(&[46.0, 26.0], &mut omega);
/// assert_eq!(omega, [13.0, -10.0]);
/// ```
#[derive(Clone)]
pub struct DynGame {
    code: Code,
}

/// The compiled game in its code form.
#[derive(Clone)]
enum Code {
    Unrolled(UnrolledGame),
    Loops(LoopGame),
    Tape(TapeGame),
}

/// The `'static` data of one game text (module docs).
pub(crate) struct Kept {
    pub(crate) info: GameInfo,
    /// The WGSL module; none for the tape form.
    pub(crate) wgsl: Option<String>,
    pub(crate) formulas: Vec<BlockFormula>,
    pub(crate) costs: CompiledCosts,
}

impl std::fmt::Debug for DynGame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut params = vec![0.0; self.np()];
        self.params(&mut params);
        f.debug_struct("DynGame")
            .field("name", &self.name())
            .field("form", &self.info().form)
            .field("d1", &self.d1())
            .field("d2", &self.d2())
            .field("params", &params)
            .finish()
    }
}

/// A game's flat params (declaration order, row-major), and the same
/// rounded to f32 for the f32 code.
#[derive(Clone)]
pub(crate) struct Params {
    pub(crate) f64: Vec<f64>,
    pub(crate) f32: Vec<f32>,
}

impl Params {
    pub(crate) fn new(f64: Vec<f64>) -> Self {
        Params {
            f32: f64.iter().map(|&v| v as f32).collect(),
            f64,
        }
    }

    /// `Game::params`.
    pub(crate) fn get(&self, out: &mut [f64]) {
        out[..self.f64.len()].copy_from_slice(&self.f64);
    }

    /// `Game::set_params`: the first NP entries of `p`.
    pub(crate) fn set(&mut self, p: &[f64]) {
        let n = self.f64.len();
        self.f64.copy_from_slice(&p[..n]);
        for (q, v) in self.f32.iter_mut().zip(&self.f64) {
            *q = *v as f32;
        }
    }
}

/// `$body` with `$g` the game in its form.
macro_rules! dispatch {
    ($self:expr, $g:ident => $body:expr) => {
        match &$self.code {
            Code::Unrolled($g) => $body,
            Code::Loops($g) => $body,
            Code::Tape($g) => $body,
        }
    };
}

impl DynGame {
    /// Parses, checks, differentiates and compiles the game in `text`
    /// (shown as `file` in error messages), in the code form the macro
    /// would choose (unrolled, loops or tape). Errors are the macro's, with
    /// line and column ([`TextGameError::Dsl`]); the unrolled form forced
    /// on players made of parts is [`TextGameError::Form`].
    pub fn from_dsl(file: &str, text: &str) -> Result<Self, TextGameError> {
        let code = match compile_game(file, text)? {
            CompiledGame::Unrolled(c) => Code::Unrolled(UnrolledGame::new(text, *c)),
            CompiledGame::Loops(c) => Code::Loops(LoopGame::new(text, *c)),
            CompiledGame::Tape(model) => Code::Tape(TapeGame::new(text, &model)?),
        };
        Ok(DynGame { code })
    }

    /// Sets the flat params (declaration order, row-major) like
    /// [`Game::set_params`], but a slice of the wrong length is the typed
    /// error [`TextGameError::Params`] instead of a panic.
    pub fn try_set_params(&mut self, p: &[f64]) -> Result<(), TextGameError> {
        if p.len() != self.np() {
            return Err(TextGameError::Params {
                need: self.np(),
                got: p.len(),
            });
        }
        self.set_params(p);
        Ok(())
    }

    /// The game's name in the DSL.
    pub fn name(&self) -> &str {
        self.info().name
    }

    /// The number of this game's programs that run through the interpreter
    /// in f64 and f32 because the compiler could not prove their indices in
    /// range (tape form; 0 in the other forms, whose code is always
    /// native). 0 for every game the tests have met.
    pub fn interpreted_programs(&self) -> usize {
        match &self.code {
            Code::Tape(g) => g.interpreted_programs(),
            Code::Unrolled(_) | Code::Loops(_) => 0,
        }
    }

    /// The number of followers.
    pub fn followers(&self) -> usize {
        self.info().followers.len()
    }
}

impl Game for DynGame {
    #[inline]
    fn d1(&self) -> usize {
        dispatch!(self, g => g.d1())
    }
    #[inline]
    fn d2(&self) -> usize {
        dispatch!(self, g => g.d2())
    }
    #[inline]
    fn np(&self) -> usize {
        dispatch!(self, g => g.np())
    }
    #[inline]
    fn nd(&self) -> usize {
        dispatch!(self, g => g.nd())
    }
    fn info(&self) -> &'static GameInfo {
        dispatch!(self, g => g.info())
    }
    fn params(&self, out: &mut [f64]) {
        dispatch!(self, g => g.params(out))
    }
    fn set_params(&mut self, p: &[f64]) {
        match &mut self.code {
            Code::Unrolled(g) => g.set_params(p),
            Code::Loops(g) => g.set_params(p),
            Code::Tape(g) => g.set_params(p),
        }
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        dispatch!(self, g => g.leader_cost(x))
    }
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        dispatch!(self, g => g.follower_cost(i, x))
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d1f1(x, out))
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d2f1(x, out))
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d2f2(x, out))
    }
    #[inline]
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.omega(x, out))
    }
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d11f1(x, out))
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d12f1(x, out))
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d22f1(x, out))
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d22f2(x, out))
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d21f2(x, out))
    }
    #[inline]
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        dispatch!(self, g => g.stackelberg_parts(x, out))
    }
    fn prefers_batches(&self) -> bool {
        dispatch!(self, g => g.prefers_batches())
    }
    fn omega_batch<T: Real>(&self, xs: &[T], count: usize, out: &mut [T]) {
        dispatch!(self, g => g.omega_batch(xs, count, out))
    }
    fn stackelberg_parts_batch<T: Real>(
        &self,
        xs: &[T],
        count: usize,
        out: StackelbergParts<'_, T>,
    ) {
        dispatch!(self, g => g.stackelberg_parts_batch(xs, count, out))
    }
    fn second_order_parts<T: Real>(&self, x: &[T], lambda: &[T], out: SecondOrderParts<'_, T>) {
        dispatch!(self, g => g.second_order_parts(x, lambda, out))
    }
    fn d11phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d11phi(x, lambda, out))
    }
    fn d12phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d12phi(x, lambda, out))
    }
    fn d21phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d21phi(x, lambda, out))
    }
    fn d22phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d22phi(x, lambda, out))
    }
    fn d22f2_mul<T: Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d22f2_mul(x, w, out))
    }
    fn d22f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d22f2_tmul(x, v, out))
    }
    fn d21f2_mul<T: Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d21f2_mul(x, u, out))
    }
    fn d21f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d21f2_tmul(x, v, out))
    }
    fn f1_hvp<T: Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
        dispatch!(self, g => g.f1_hvp(x, dir, out))
    }
    fn phi_hvp<T: Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
        dispatch!(self, g => g.phi_hvp(x, lambda, dir, out))
    }
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d1p_f1(x, out))
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d2p_f1(x, out))
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d2p_f2(x, out))
    }
    fn d1p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d1p_phi(x, lambda, out))
    }
    fn d2p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        dispatch!(self, g => g.d2p_phi(x, lambda, out))
    }
    fn staggered_gradient<T: Real>(
        &self,
        p: usize,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        dispatch!(self, g => g.staggered_gradient(p, x, out))
    }
    fn staggered_hessian<T: Real>(
        &self,
        p: usize,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        dispatch!(self, g => g.staggered_hessian(p, x, out))
    }
    fn staggered_phi_hessian<T: Real>(
        &self,
        p: usize,
        x: &[T],
        lambda: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        dispatch!(self, g => g.staggered_phi_hessian(p, x, lambda, out))
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        dispatch!(self, g => g.formulas())
    }
    fn source(&self) -> Option<&'static stackel_runtime::source::GameSource> {
        dispatch!(self, g => g.source())
    }
    fn wgsl(&self) -> Option<&'static str> {
        dispatch!(self, g => g.wgsl())
    }
    fn compiled_costs(&self) -> Option<&'static CompiledCosts> {
        dispatch!(self, g => g.compiled_costs())
    }
}

/// A dense block column by column from an operator (the macro's
/// `emit_rust::loops::blocks::dense`, which the loop and tape forms
/// share): for each unit direction e_j, j in `cols`, rows `rows` of
/// `op(e_j)` into column j - cols.0 of `out`.
pub(crate) fn dense<T: Real>(
    op: impl Fn(&[T], &mut [T]),
    dir_len: usize,
    col_len: usize,
    cols: (usize, usize),
    rows: (usize, usize),
    out: &mut [T],
) {
    let width = cols.1 - cols.0;
    let mut e = vec![T::zero(); dir_len];
    let mut col = vec![T::zero(); col_len];
    for j in cols.0..cols.1 {
        e[j] = T::one();
        op(&e, &mut col);
        e[j] = T::zero();
        for r in rows.0..rows.1 {
            out[(r - rows.0) * width + (j - cols.0)] = col[r];
        }
    }
}

/// The kept data of `text`, built by `make` the first time (module docs).
pub(crate) fn keep(text: &str, make: impl FnOnce() -> Kept) -> &'static Kept {
    static KEPT: OnceLock<Mutex<HashMap<String, &'static Kept>>> = OnceLock::new();
    let mut map = KEPT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(text.to_string())
        .or_insert_with(|| Box::leak(Box::new(make())))
}

pub(crate) fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

pub(crate) fn leak_slice<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// `Game::info` of `model`, as the macro emits it (`emit_rust::items`).
pub(crate) fn game_info(model: &GameModel, zero_sum: bool, form: Form) -> GameInfo {
    let player = |p: usize| {
        let pl = model.player(p);
        PlayerInfo {
            name: leak_str(&pl.name),
            shape: leak_slice(pl.shape.dims()),
            offset: model.player_offset(p),
            dim: pl.shape.len(),
            angle: pl.angle,
            level: pl.level,
            parts: leak_slice(
                pl.parts
                    .iter()
                    .map(|pt| PartInfo {
                        name: leak_str(&pt.name),
                        shape: leak_slice(pt.shape.dims()),
                        offset: pt.offset,
                        len: pt.shape.len(),
                    })
                    .collect(),
            ),
        }
    };
    let mut offset = 0;
    let params = model
        .params
        .iter()
        .map(|p| {
            let info = ParamInfo {
                name: leak_str(&p.name),
                shape: leak_slice(p.shape.dims()),
                offset,
                len: p.shape.len(),
            };
            offset += p.shape.len();
            info
        })
        .collect();
    GameInfo {
        name: leak_str(&model.name),
        leader: player(0),
        followers: leak_slice((1..=model.followers.len()).map(player).collect()),
        params: leak_slice(params),
        zero_sum,
        form,
        data: leak_slice(
            model
                .data
                .iter()
                .map(|d| DataInfo {
                    name: leak_str(&d.name),
                    shape: leak_slice(d.shape.dims()),
                    offset: d.offset,
                    len: d.shape.len(),
                })
                .collect(),
        ),
    }
}

/// `Game::compiled_costs` of `model` in `form`, as the macro emits it
/// (`stackel_symbolic::cost::compiled_costs_method`): the stage counts for
/// the unrolled form (`lowered`).
pub(crate) fn compiled_costs(
    model: &GameModel,
    lowered: Option<&stackel_symbolic::lower::Lowered>,
    form: Form,
) -> CompiledCosts {
    use stackel_symbolic::cost::{source_counts, stages, Counts};
    let ops = |c: &Counts| OpCounts::new(c.add, c.mul, c.div, c.trans, c.powi, c.other);
    let sources = std::iter::once(&model.leader)
        .chain(&model.followers)
        .map(|p| SourceCost {
            player: leak_str(&p.name),
            ops: ops(&source_counts(&p.cost)),
        })
        .collect();
    let stages = lowered
        .map(stages)
        .unwrap_or_default()
        .iter()
        .map(|s| StageCounts {
            block: leak_str(&s.block),
            tree: ops(&s.tree),
            dag: ops(&s.dag),
            cse: ops(&s.cse),
        })
        .collect();
    CompiledCosts {
        form,
        sources: leak_slice(sources),
        stages: leak_slice(stages),
    }
}
