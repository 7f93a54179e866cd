//! The unrolled form of a [`crate::DynGame`]: every program the macro
//! would emit, run as native code in f64 and f32 (through
//! [`Real::as_f64s`] / [`Real::as_f32s`]) and through the interpreter for
//! any other [`Real`] (tangent numbers for exact Jacobians, dual numbers,
//! operation counters), with the operations the generated code uses.

use crate::compile::{
    default_params, CompiledUnrolled, FOLLOWER_COSTS, LEADER_COST, OMEGA, SECOND_ORDER_PARTS,
    STACKELBERG_PARTS,
};
use crate::dyn_game::{compiled_costs, game_info, keep, leak_str, Kept, Params};
use crate::{interp, JitPrograms};
use stackel_runtime::cost::CompiledCosts;
use stackel_runtime::hierarchy::NotGenerated;
use stackel_runtime::{
    BlockFormula, Form, Game, GameInfo, Real, SecondOrderParts, StackelbergParts,
};
use stackel_symbolic::ir::Program;
use std::sync::Arc;

/// A game in the unrolled form, compiled from DSL text.
#[derive(Clone)]
pub(crate) struct UnrolledGame {
    compiled: Arc<Compiled>,
    params: Params,
}

/// What every clone of a game shares.
struct Compiled {
    d1: usize,
    d2: usize,
    followers: usize,
    /// The programs, numbered as in [`CompiledGame`].
    programs: Vec<Program>,
    /// Per program: (x, lambda) entries read, and each output's length.
    shapes: Vec<Shape>,
    f64: JitPrograms,
    f32: JitPrograms,
    kept: &'static Kept,
}

struct Shape {
    x: usize,
    lambda: usize,
    outputs: Vec<usize>,
}

impl UnrolledGame {
    /// The game of `text`, compiled in the unrolled form.
    pub(crate) fn new(text: &str, compiled: CompiledUnrolled) -> Self {
        let CompiledUnrolled {
            model,
            lowered,
            programs,
            f64,
            f32,
        } = compiled;
        let kept = keep(text, || Kept {
            info: game_info(&model, lowered.derivatives.zero_sum, Form::Unrolled),
            wgsl: Some(stackel_symbolic::emit_wgsl::emit(&lowered)),
            formulas: stackel_symbolic::formula::block_formulas(&model, &lowered)
                .into_iter()
                .map(|b| BlockFormula {
                    block: leak_str(&b.block),
                    shape: b.shape,
                    entries: b.entries,
                })
                .collect(),
            costs: compiled_costs(&model, Some(&lowered), Form::Unrolled),
        });
        let params = default_params(&model);
        let shapes = programs
            .iter()
            .map(|p| {
                let s = crate::ProgramShape::of(p);
                Shape {
                    x: s.x,
                    lambda: s.lambda,
                    outputs: s.outputs,
                }
            })
            .collect();
        UnrolledGame {
            compiled: Arc::new(Compiled {
                d1: model.leader_dim(),
                d2: model.follower_dim(),
                followers: model.followers.len(),
                programs,
                shapes,
                f64,
                f32,
                kept,
            }),
            params: Params::new(params),
        }
    }

    /// The game's name in the DSL.
    fn name(&self) -> &str {
        self.compiled.kept.info.name
    }

    /// Runs program `k` (numbered as in [`CompiledGame`]) in `T`: native
    /// code for f64 and f32, the interpreter otherwise.
    ///
    /// # Panics
    /// When a slice is shorter than the program reads or writes, as a macro
    /// game's methods do.
    #[inline]
    fn run<T: Real>(&self, k: usize, x: &[T], lambda: &[T], outs: &mut [&mut [T]]) {
        let c = &*self.compiled;
        let shape = &c.shapes[k];
        assert!(
            x.len() >= shape.x && lambda.len() >= shape.lambda,
            "{}: x has {} entries (needs {}), lambda {} (needs {})",
            self.name(),
            x.len(),
            shape.x,
            lambda.len(),
            shape.lambda
        );
        assert!(outs.len() == shape.outputs.len(), "wrong number of outputs");
        for (o, &need) in outs.iter().zip(&shape.outputs) {
            assert!(
                o.len() >= need,
                "an output has {} entries, needs {need}",
                o.len()
            );
        }
        if let (Some(x), Some(lambda)) = (T::as_f64s(x), T::as_f64s(lambda)) {
            let mut ptrs = [std::ptr::null_mut::<f64>(); MAX_OUTPUTS];
            for (p, o) in ptrs.iter_mut().zip(outs.iter_mut()) {
                *p = T::as_f64s_mut(o).expect("T is f64").as_mut_ptr();
            }
            // SAFETY: program k was compiled in f64 and reads/writes within
            // the lengths checked above; the params have the game's length.
            unsafe {
                c.f64.call(
                    k,
                    x.as_ptr(),
                    self.params.f64.as_ptr(),
                    lambda.as_ptr(),
                    ptrs.as_ptr(),
                )
            }
        } else if let (Some(x), Some(lambda)) = (T::as_f32s(x), T::as_f32s(lambda)) {
            let mut ptrs = [std::ptr::null_mut::<f32>(); MAX_OUTPUTS];
            for (p, o) in ptrs.iter_mut().zip(outs.iter_mut()) {
                *p = T::as_f32s_mut(o).expect("T is f32").as_mut_ptr();
            }
            // SAFETY: as above, in f32.
            unsafe {
                c.f32.call(
                    k,
                    x.as_ptr(),
                    self.params.f32.as_ptr(),
                    lambda.as_ptr(),
                    ptrs.as_ptr(),
                )
            }
        } else {
            interp::run(&c.programs[k], x, &self.params.f64, lambda, outs);
        }
    }

    /// Runs program `k` (one with a batched form) at `count` points stored
    /// coordinate-major: x[i * count + j], outputs likewise. The batched
    /// native loop where the program has one in this precision; otherwise
    /// point by point ([`UnrolledGame::run`]).
    fn run_batch<T: Real>(&self, k: usize, xs: &[T], count: usize, outs: &mut [&mut [T]]) {
        let c = &*self.compiled;
        let shape = &c.shapes[k];
        assert!(
            xs.len() >= shape.x * count && shape.lambda == 0,
            "{}: the batch has {} entries, {count} points need {}",
            self.name(),
            xs.len(),
            shape.x * count
        );
        assert!(outs.len() == shape.outputs.len(), "wrong number of outputs");
        for (o, &need) in outs.iter().zip(&shape.outputs) {
            assert!(
                o.len() >= need * count,
                "an output has {} entries, needs {}",
                o.len(),
                need * count
            );
        }
        if let Some(x) = T::as_f64s(xs).filter(|_| c.f64.has_batch(k)) {
            let mut ptrs = [std::ptr::null_mut::<f64>(); MAX_OUTPUTS];
            for (p, o) in ptrs.iter_mut().zip(outs.iter_mut()) {
                *p = T::as_f64s_mut(o).expect("T is f64").as_mut_ptr();
            }
            // SAFETY: program k has a batched f64 form; the lengths are
            // checked above for `count` points.
            unsafe {
                c.f64.call_batch(
                    k,
                    x.as_ptr(),
                    self.params.f64.as_ptr(),
                    std::ptr::null(),
                    ptrs.as_ptr(),
                    count,
                )
            }
        } else if let Some(x) = T::as_f32s(xs).filter(|_| c.f32.has_batch(k)) {
            let mut ptrs = [std::ptr::null_mut::<f32>(); MAX_OUTPUTS];
            for (p, o) in ptrs.iter_mut().zip(outs.iter_mut()) {
                *p = T::as_f32s_mut(o).expect("T is f32").as_mut_ptr();
            }
            // SAFETY: as above, in f32.
            unsafe {
                c.f32.call_batch(
                    k,
                    x.as_ptr(),
                    self.params.f32.as_ptr(),
                    std::ptr::null(),
                    ptrs.as_ptr(),
                    count,
                )
            }
        } else {
            let n = shape.x;
            let mut x = vec![T::zero(); n];
            let mut point: Vec<Vec<T>> =
                shape.outputs.iter().map(|&m| vec![T::zero(); m]).collect();
            for j in 0..count {
                for (i, v) in x.iter_mut().enumerate() {
                    *v = xs[i * count + j];
                }
                let mut refs: Vec<&mut [T]> = point.iter_mut().map(|v| &mut v[..]).collect();
                self.run(k, &x, &[], &mut refs);
                for (o, v) in outs.iter_mut().zip(&point) {
                    for (e, value) in v.iter().enumerate() {
                        o[e * count + j] = *value;
                    }
                }
            }
        }
    }

    /// Runs the one-output program `k`.
    #[inline]
    fn run1<T: Real>(&self, k: usize, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run(k, x, lambda, &mut [out]);
    }

    /// The number of the staggered program `kind` (0 gradient, 1 Hessian,
    /// 2 phi Hessian) of player `p`, if the game has levels.
    fn staggered_program(&self, kind: usize, p: usize) -> Option<usize> {
        let players = self.compiled.followers + 1;
        let base = FOLLOWER_COSTS + self.compiled.followers;
        let count = [players, players, players - 1];
        let index = if kind == 2 { p.checked_sub(1)? } else { p };
        let k = base + count[..kind].iter().sum::<usize>() + index;
        (index < count[kind] && k < self.compiled.programs.len()).then_some(k)
    }
}

/// The most output arrays a game program writes (the second-order parts).
const MAX_OUTPUTS: usize = 9;

/// Number of block `name` among the programs.
const fn block(name: &str) -> usize {
    let names = stackel_symbolic::lower::BLOCK_NAMES;
    let mut k = 0;
    while k < names.len() {
        if const_eq(names[k], name) {
            return k;
        }
        k += 1;
    }
    panic!("no such block")
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Game for UnrolledGame {
    #[inline]
    fn d1(&self) -> usize {
        self.compiled.d1
    }
    #[inline]
    fn d2(&self) -> usize {
        self.compiled.d2
    }
    #[inline]
    fn np(&self) -> usize {
        self.params.f64.len()
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
        let mut out = [T::zero()];
        self.run1(LEADER_COST, x, &[], &mut out);
        out[0]
    }

    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        assert!(i < self.compiled.followers, "follower {i} does not exist");
        let mut out = [T::zero()];
        self.run1(FOLLOWER_COSTS + i, x, &[], &mut out);
        out[0]
    }

    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D1f1"), x, &[], out)
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D2f1"), x, &[], out)
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D2f2"), x, &[], out)
    }
    #[inline]
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(OMEGA, x, &[], out)
    }
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D11f1"), x, &[], out)
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D12f1"), x, &[], out)
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D22f1"), x, &[], out)
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D22f2"), x, &[], out)
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D21f2"), x, &[], out)
    }

    #[inline]
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        self.run(
            STACKELBERG_PARTS,
            x,
            &[],
            &mut [out.d1f1, out.d2f1, out.d2f2, out.d22f2, out.d21f2],
        )
    }

    /// True where the field has a native batched form: games small enough
    /// for the engine's small-state kernel (d1 + d2 <= 8, d2 <= 2).
    fn prefers_batches(&self) -> bool {
        self.compiled.f64.has_batch(STACKELBERG_PARTS)
    }

    fn omega_batch<T: Real>(&self, xs: &[T], count: usize, out: &mut [T]) {
        self.run_batch(OMEGA, xs, count, &mut [out])
    }

    fn stackelberg_parts_batch<T: Real>(
        &self,
        xs: &[T],
        count: usize,
        out: StackelbergParts<'_, T>,
    ) {
        self.run_batch(
            STACKELBERG_PARTS,
            xs,
            count,
            &mut [out.d1f1, out.d2f1, out.d2f2, out.d22f2, out.d21f2],
        )
    }

    fn second_order_parts<T: Real>(&self, x: &[T], lambda: &[T], out: SecondOrderParts<'_, T>) {
        self.run(
            SECOND_ORDER_PARTS,
            x,
            lambda,
            &mut [
                out.d11f1, out.d12f1, out.d22f1, out.d22f2, out.d21f2, out.d11phi, out.d12phi,
                out.d21phi, out.d22phi,
            ],
        )
    }

    fn d11phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run1(block("D11phi"), x, lambda, out)
    }
    fn d12phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run1(block("D12phi"), x, lambda, out)
    }
    fn d21phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run1(block("D21phi"), x, lambda, out)
    }
    fn d22phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run1(block("D22phi"), x, lambda, out)
    }

    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D1pf1"), x, &[], out)
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D2pf1"), x, &[], out)
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run1(block("D2pf2"), x, &[], out)
    }
    fn d1p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run1(block("D1pphi"), x, lambda, out)
    }
    fn d2p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.run1(block("D2pphi"), x, lambda, out)
    }

    fn staggered_gradient<T: Real>(
        &self,
        p: usize,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        let k = self.staggered_program(0, p).ok_or(NotGenerated)?;
        self.run1(k, x, &[], out);
        Ok(())
    }
    fn staggered_hessian<T: Real>(
        &self,
        p: usize,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        let k = self.staggered_program(1, p).ok_or(NotGenerated)?;
        self.run1(k, x, &[], out);
        Ok(())
    }
    fn staggered_phi_hessian<T: Real>(
        &self,
        p: usize,
        x: &[T],
        lambda: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        let k = self.staggered_program(2, p).ok_or(NotGenerated)?;
        self.run1(k, x, lambda, out);
        Ok(())
    }

    fn formulas(&self) -> Vec<BlockFormula> {
        self.compiled.kept.formulas.clone()
    }

    fn wgsl(&self) -> Option<&'static str> {
        self.compiled.kept.wgsl.as_deref()
    }

    fn compiled_costs(&self) -> Option<&'static CompiledCosts> {
        Some(&self.compiled.kept.costs)
    }
}
