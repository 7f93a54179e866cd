//! The tape form of a [`crate::DynGame`] (games with data inputs or players
//! made of parts): the methods the macro's tape form generates
//! (`stackel_symbolic::emit_rust::tape`), each a [`TapeProgram`] in the
//! caller's number type: the costs and the gradients in `T`, the operators
//! forward over reverse on `Tangent<T>` (split for directions on the
//! followers: the direction-free lets in `T`), phi's third-order products on
//! `Tangent<Tangent<T>>`, the param blocks on tangents of the params, the
//! dense blocks column by column from the operators, as the generated code
//! computes them (so the same bits).
//!
//! For `T` = f64 and f32 the programs run as native code at the depth each
//! method needs ([`native`]; the tangent programs' methods are in
//! `operators.rs`); for any other `T` (tangent numbers of a caller, dual
//! numbers, operation counters), and for a program whose indices cannot be
//! proven in range, through the interpreter ([`run`]).

pub(crate) mod native;
mod operators;
pub(crate) mod run;

use crate::compile::default_params;
use crate::dyn_game::{compiled_costs, dense, game_info, keep, Kept, Params};
use crate::{JitError, Precision};
use native::{Lens, NativeTape};
use stackel_runtime::cost::CompiledCosts;
use stackel_runtime::{BlockFormula, Form, Game, GameInfo, Real};
use stackel_symbolic::emit_rust::tape::ir::{TapeProgram, TapePrograms};
use stackel_symbolic::model::GameModel;
use std::sync::Arc;

/// The next compiled game's number.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A game in the tape form, compiled from DSL text.
#[derive(Clone)]
pub(crate) struct TapeGame {
    compiled: Arc<Compiled>,
    params: Params,
}

struct Compiled {
    /// This compilation's number (the key of its memoised lets).
    id: u64,
    programs: TapePrograms,
    kept: &'static Kept,
    lens: Lens,
    f64: NativeTape,
    f32: NativeTape,
    /// Native program numbers: `costs[c]`, `grads[depth][which][c]`.
    numbers: Numbers,
}

/// Where each program's native code is (`None`: interpreted).
struct Numbers {
    costs: Vec<Option<usize>>,
    omega: Option<usize>,
    grads: [[Vec<Option<usize>>; 4]; 3],
    /// The split programs of directions on the followers: each follower
    /// cost's primal program (plain), `splits[which - 1][c]` (tangents).
    primal: Vec<Option<usize>>,
    splits: [Vec<Option<usize>>; 3],
    /// How many are `None`.
    interpreted: usize,
}

/// Where a program of [`native_list`] belongs.
#[derive(Clone, Copy)]
enum Slot {
    Cost(usize),
    Omega,
    Grad {
        depth: usize,
        which: usize,
        c: usize,
    },
    Primal(usize),
    Split {
        which: usize,
        c: usize,
    },
}

/// The programs each method runs natively, with their depths: every cost
/// (plain), omega (plain), the gradients of which 1-3 (plain: D1f1, D2f1,
/// each follower's own), every gradient at depth 1 (the operators) and the
/// whole gradient at depth 2 (phi); the split programs of directions on
/// the followers (the primal one plain, the rest at depth 1).
fn native_list(programs: &TapePrograms) -> Vec<(&TapeProgram, u32, Slot)> {
    let mut list: Vec<_> = programs
        .costs
        .iter()
        .enumerate()
        .map(|(c, prog)| (prog, 0, Slot::Cost(c)))
        .collect();
    list.push((&programs.omega, 0, Slot::Omega));
    for (depth, whiches) in [(0usize, &[1usize, 2, 3][..]), (1, &[0, 1, 2, 3]), (2, &[0])] {
        for &which in whiches {
            for (c, prog) in programs.grads[which].iter().enumerate() {
                if let Some(prog) = prog {
                    list.push((prog, depth as u32, Slot::Grad { depth, which, c }));
                }
            }
        }
    }
    for (c, split) in programs.follower_tangents.iter().enumerate() {
        if let Some(split) = split {
            list.push((&split.primal, 0, Slot::Primal(c)));
            for (w, tangent) in split.tangent.iter().enumerate() {
                list.push((tangent, 1, Slot::Split { which: w + 1, c }));
            }
        }
    }
    list
}

/// Which players a gradient program differentiates (`__tape_grad`).
#[derive(Clone, Copy)]
enum Which {
    All = 0,
    Leader = 1,
    Followers = 2,
    Own = 3,
}

impl TapeGame {
    /// The game of `text` (`model`, checked for the tape form), its
    /// programs compiled to native code in f64 and f32.
    pub(crate) fn new(text: &str, model: &GameModel) -> Result<Self, JitError> {
        let programs = TapePrograms::new(model);
        let lens = Lens {
            x: model.leader_dim() + model.follower_dim() + model.data_len(),
            p: model.param_len(),
            grad: model.leader_dim() + model.follower_dim(),
            lets: programs.let_lens.clone(),
        };
        let list = native_list(&programs);
        let progs: Vec<(&TapeProgram, u32)> = list.iter().map(|&(p, d, _)| (p, d)).collect();
        let (f64, f32) = std::thread::scope(|s| {
            let f32 = s.spawn(|| NativeTape::compile(&progs, &lens, Precision::F32));
            let f64 = NativeTape::compile(&progs, &lens, Precision::F64);
            (f64, f32.join().expect("the f32 compilation does not panic"))
        });
        let ((f64, found), (f32, _)) = (f64?, f32?);
        let mut numbers = Numbers {
            costs: vec![None; programs.costs.len()],
            omega: None,
            grads: std::array::from_fn(|_| {
                std::array::from_fn(|_| vec![None; programs.costs.len()])
            }),
            primal: vec![None; programs.costs.len()],
            splits: std::array::from_fn(|_| vec![None; programs.costs.len()]),
            interpreted: found.iter().filter(|n| n.is_none()).count(),
        };
        for ((_, _, slot), number) in list.iter().zip(found) {
            match *slot {
                Slot::Cost(c) => numbers.costs[c] = number,
                Slot::Omega => numbers.omega = number,
                Slot::Grad { depth, which, c } => numbers.grads[depth][which][c] = number,
                Slot::Primal(c) => numbers.primal[c] = number,
                Slot::Split { which, c } => numbers.splits[which - 1][c] = number,
            }
        }
        drop((list, progs));
        let kept = keep(text, || Kept {
            info: game_info(
                model,
                stackel_symbolic::emit_rust::tape::zero_sum(model),
                Form::Tape,
            ),
            wgsl: None,
            formulas: vec![BlockFormula {
                block: "program",
                shape: vec![model.program.lets.len() + model.program.costs.len()],
                entries: stackel_symbolic::emit_rust::tape::program_entries(model),
            }],
            costs: compiled_costs(model, None, Form::Tape),
        });
        Ok(TapeGame {
            compiled: Arc::new(Compiled {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                programs,
                kept,
                lens,
                f64,
                f32,
                numbers,
            }),
            params: Params::new(default_params(model)),
        })
    }

    /// The number of programs left to the interpreter in f64 and f32
    /// (indices not proven in range).
    pub(crate) fn interpreted_programs(&self) -> usize {
        self.compiled.numbers.interpreted
    }

    fn dims(&self) -> (usize, usize, usize, usize) {
        let [d1, d2, _, nd] = self.compiled.programs.dims;
        (d1, d2, d1 + d2, nd)
    }

    fn followers(&self) -> usize {
        self.compiled.programs.blocks.len()
    }

    /// `__tape_params`: the flat params as `S`.
    fn params_as<S: Real>(&self) -> Vec<S> {
        self.params.f64.iter().map(|&v| S::of(v)).collect()
    }

    /// Runs `prog` at `x` (N player entries, then the data); a gradient
    /// program adds into `g` (N entries; empty for a cost program).
    fn exec<S: Real>(&self, prog: &TapeProgram, x: &[S], p: &[S], g: &mut [S]) -> S {
        let (_, _, n, nd) = self.dims();
        let g = if prog.passes.is_empty() {
            g
        } else {
            &mut g[..n]
        };
        run::run(prog, self.compiled.lens.lets.len(), &x[..n + nd], p, g)
    }

    /// `__tape_cost`: cost `c` (0 the leader, 1.. the followers).
    fn cost<S: Real>(&self, c: usize, x: &[S]) -> S {
        let cd = &*self.compiled;
        if let Some(k) = cd.numbers.costs[c] {
            let prog = &cd.programs.costs[c];
            if let Some(x) = S::as_f64s(x) {
                let v = cd
                    .f64
                    .run(k, prog, &cd.lens, &[x], &[&self.params.f64], &mut []);
                return S::of(v[0]);
            }
            if let Some(x) = S::as_f32s(x) {
                let v = cd
                    .f32
                    .run(k, prog, &cd.lens, &[x], &[&self.params.f32], &mut []);
                return S::of(v[0] as f64);
            }
        }
        let p = self.params_as::<S>();
        self.exec(&cd.programs.costs[c], x, &p, &mut [])
    }

    /// `__tape_grad`: cost `c` and, added into `g`, its gradient over the
    /// players `which` selects.
    fn grad<S: Real>(&self, which: Which, c: usize, x: &[S], p: &[S], g: &mut [S]) -> S {
        match &self.compiled.programs.grads[which as usize][c] {
            Some(prog) => self.exec(prog, x, p, g),
            None => S::of(f64::NAN),
        }
    }

    /// `__tape_gradient`: the gradient of cost `c` over the players
    /// `which` selects into `g` (zeroed first).
    fn gradient<T: Real>(&self, which: Which, c: usize, x: &[T], g: &mut [T]) {
        let (_, _, n, nd) = self.dims();
        g[..n].iter_mut().for_each(|v| *v = T::zero());
        let cd = &*self.compiled;
        if let (Some(k), Some(prog)) = (
            cd.numbers.grads[0][which as usize][c],
            &cd.programs.grads[which as usize][c],
        ) {
            macro_rules! native {
                ($as:ident, $as_mut:ident, $code:expr, $p:expr) => {
                    if let Some(x) = T::$as(&x[..n + nd]) {
                        let g = T::$as_mut(&mut g[..n]).expect("g has x's number type");
                        $code.run(k, prog, &cd.lens, &[x], &[$p], &mut [g]);
                        return;
                    }
                };
            }
            native!(as_f64s, as_f64s_mut, cd.f64, &self.params.f64);
            native!(as_f32s, as_f32s_mut, cd.f32, &self.params.f32);
        }
        let p = self.params_as::<T>();
        self.grad(which, c, x, &p, g);
    }

    /// `__tape_place`: follower i's block of `v` (d2 entries) in a zero
    /// direction over the N player entries.
    fn place<T: Real>(&self, i: usize, v: &[T]) -> Vec<T> {
        let (d1, _, n, _) = self.dims();
        let mut dir = vec![T::zero(); n];
        let (o, l) = self.compiled.programs.blocks[i];
        dir[o..o + l].copy_from_slice(&v[o - d1..o - d1 + l]);
        dir
    }

    /// `__tape_param_block`: rows `rows` of d/dp_k of grad f1 (or of
    /// D phi with `lambda`), for each param k.
    fn param_block<T: Real>(
        &self,
        x: &[T],
        lambda: Option<&[T]>,
        rows: (usize, usize),
        out: &mut [T],
    ) {
        let (_, _, n, _) = self.dims();
        let np = self.params.f64.len();
        let w = rows.1 - rows.0;
        let zero = vec![T::zero(); n];
        let mut h = vec![T::zero(); n];
        let mut acc = vec![T::zero(); n];
        let mut pdir = vec![0.0f64; np];
        for k in 0..np {
            pdir[k] = 1.0;
            acc.iter_mut().for_each(|v| *v = T::zero());
            match lambda {
                None => self.hvp(Which::All, 0, x, &zero, &pdir, &mut acc),
                Some(lambda) => {
                    for i in 0..self.followers() {
                        let dir = self.place(i, lambda);
                        self.hvp2(i + 1, x, &dir, &zero, &pdir, &mut h);
                        for j in 0..n {
                            acc[j] += h[j];
                        }
                    }
                }
            }
            for r in 0..w {
                out[r * np + k] = acc[rows.0 + r];
            }
            pdir[k] = 0.0;
        }
    }
}

impl Game for TapeGame {
    fn d1(&self) -> usize {
        self.dims().0
    }
    fn d2(&self) -> usize {
        self.dims().1
    }
    fn np(&self) -> usize {
        self.params.f64.len()
    }
    fn nd(&self) -> usize {
        self.dims().3
    }
    fn info(&self) -> &'static GameInfo {
        &self.compiled.kept.info
    }
    fn params(&self, out: &mut [f64]) {
        self.params.get(out);
    }
    fn set_params(&mut self, p: &[f64]) {
        self.params.set(p);
    }

    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.cost(0, x)
    }

    /// f_{2^i}; NaN for an index past the last follower.
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        if i >= self.followers() {
            return T::of(f64::NAN);
        }
        self.cost(i + 1, x)
    }

    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let mut g = vec![T::zero(); n];
        self.gradient(Which::Leader, 0, x, &mut g);
        out[..d1].copy_from_slice(&g[..d1]);
    }

    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let mut g = vec![T::zero(); n];
        self.gradient(Which::Followers, 0, x, &mut g);
        out[..n - d1].copy_from_slice(&g[d1..n]);
    }

    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let mut g = vec![T::zero(); n];
        for (i, &(o, l)) in self.compiled.programs.blocks.iter().enumerate() {
            self.gradient(Which::Own, i + 1, x, &mut g);
            out[o - d1..o - d1 + l].copy_from_slice(&g[o..o + l]);
        }
    }

    /// One forward pass, then each player's gradient of its own cost
    /// (`__tape_omega`).
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (_, _, n, nd) = self.dims();
        let cd = &*self.compiled;
        let out = &mut out[..n];
        out.iter_mut().for_each(|v| *v = T::zero());
        if let Some(k) = cd.numbers.omega {
            let prog = &cd.programs.omega;
            macro_rules! native {
                ($as:ident, $as_mut:ident, $code:expr, $p:expr) => {
                    if let Some(x) = T::$as(&x[..n + nd]) {
                        let g = T::$as_mut(out).expect("out has x's number type");
                        $code.run(k, prog, &cd.lens, &[x], &[$p], &mut [g]);
                        return;
                    }
                };
            }
            native!(as_f64s, as_f64s_mut, cd.f64, &self.params.f64);
            native!(as_f32s, as_f32s_mut, cd.f32, &self.params.f32);
        }
        let p = self.params_as::<T>();
        self.exec(&cd.programs.omega, x, &p, out);
    }

    fn d22f2_mul<T: Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
        let (d1, d2, n, _) = self.dims();
        let mut dir = vec![T::zero(); n];
        dir[d1..].copy_from_slice(&w[..d2]);
        let mut h = vec![T::zero(); n];
        for (i, &(o, l)) in self.compiled.programs.blocks.iter().enumerate() {
            self.follower_hvp(Which::Own, i + 1, x, &dir, &mut h);
            out[o - d1..o - d1 + l].copy_from_slice(&h[o..o + l]);
        }
    }

    fn d21f2_mul<T: Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let mut dir = vec![T::zero(); n];
        dir[..d1].copy_from_slice(&u[..d1]);
        let mut h = vec![T::zero(); n];
        for (i, &(o, l)) in self.compiled.programs.blocks.iter().enumerate() {
            self.hvp(Which::Own, i + 1, x, &dir, &[], &mut h);
            out[o - d1..o - d1 + l].copy_from_slice(&h[o..o + l]);
        }
    }

    fn d22f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        let (d1, d2, n, _) = self.dims();
        let mut h = vec![T::zero(); n];
        out[..d2].iter_mut().for_each(|o| *o = T::zero());
        for i in 0..self.followers() {
            let dir = self.place(i, v);
            self.follower_hvp(Which::Followers, i + 1, x, &dir, &mut h);
            for j in 0..d2 {
                out[j] += h[d1 + j];
            }
        }
    }

    fn d21f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let mut h = vec![T::zero(); n];
        out[..d1].iter_mut().for_each(|o| *o = T::zero());
        for i in 0..self.followers() {
            let dir = self.place(i, v);
            self.follower_hvp(Which::Leader, i + 1, x, &dir, &mut h);
            for j in 0..d1 {
                out[j] += h[j];
            }
        }
    }

    fn f1_hvp<T: Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
        self.hvp(Which::All, 0, x, dir, &[], out);
    }

    fn phi_hvp<T: Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
        let (_, _, n, _) = self.dims();
        let mut h = vec![T::zero(); n];
        out[..n].iter_mut().for_each(|o| *o = T::zero());
        for i in 0..self.followers() {
            let d1 = self.place(i, lambda);
            self.hvp2(i + 1, x, &d1, dir, &[], &mut h);
            for j in 0..n {
                out[j] += h[j];
            }
        }
    }

    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        dense(|e, c| self.f1_hvp(x, e, c), n, n, (0, d1), (0, d1), out)
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        dense(|e, c| self.f1_hvp(x, e, c), n, n, (d1, n), (0, d1), out)
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        dense(|e, c| self.f1_hvp(x, e, c), n, n, (d1, n), (d1, n), out)
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (_, d2, _, _) = self.dims();
        let h = |e: &[T], c: &mut [T]| self.d22f2_mul(x, e, c);
        dense(h, d2, d2, (0, d2), (0, d2), out)
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, d2, _, _) = self.dims();
        let b = |e: &[T], c: &mut [T]| self.d21f2_mul(x, e, c);
        dense(b, d1, d2, (0, d1), (0, d2), out)
    }
    fn d11phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let phi = |e: &[T], c: &mut [T]| self.phi_hvp(x, lambda, e, c);
        dense(phi, n, n, (0, d1), (0, d1), out)
    }
    fn d12phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let phi = |e: &[T], c: &mut [T]| self.phi_hvp(x, lambda, e, c);
        dense(phi, n, n, (d1, n), (0, d1), out)
    }
    fn d21phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let phi = |e: &[T], c: &mut [T]| self.phi_hvp(x, lambda, e, c);
        dense(phi, n, n, (0, d1), (d1, n), out)
    }
    fn d22phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let phi = |e: &[T], c: &mut [T]| self.phi_hvp(x, lambda, e, c);
        dense(phi, n, n, (d1, n), (d1, n), out)
    }

    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, _, _) = self.dims();
        self.param_block(x, None, (0, d1), out);
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        self.param_block(x, None, (d1, n), out);
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        let np = self.params.f64.len();
        let zero = vec![T::zero(); n];
        let mut h = vec![T::zero(); n];
        let mut pdir = vec![0.0f64; np];
        for k in 0..np {
            pdir[k] = 1.0;
            for (i, &(o, l)) in self.compiled.programs.blocks.iter().enumerate() {
                self.hvp(Which::Own, i + 1, x, &zero, &pdir, &mut h);
                for r in o..o + l {
                    out[(r - d1) * np + k] = h[r];
                }
            }
            pdir[k] = 0.0;
        }
    }
    fn d1p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, _, _) = self.dims();
        self.param_block(x, Some(lambda), (0, d1), out);
    }
    fn d2p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n, _) = self.dims();
        self.param_block(x, Some(lambda), (d1, n), out);
    }

    fn formulas(&self) -> Vec<BlockFormula> {
        self.compiled.kept.formulas.clone()
    }

    /// None: the tape form has no WGSL (the GPU engine reports it as
    /// unsupported, as for a macro game in the tape form).
    fn wgsl(&self) -> Option<&'static str> {
        self.compiled.kept.wgsl.as_deref()
    }

    fn compiled_costs(&self) -> Option<&'static CompiledCosts> {
        Some(&self.compiled.kept.costs)
    }
}
