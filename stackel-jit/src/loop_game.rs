//! The loop form of a [`crate::DynGame`]: the methods the macro's loop form
//! generates (`stackel_symbolic::emit_rust::loops`), each one loop kernel
//! run as native code in f64 and f32 and through the kernel interpreter
//! for any other [`Real`]; the dense blocks column by column from the
//! operators and the param blocks one unit param direction at a time, as
//! the generated loop form builds them; every other method the trait's
//! default, as for a macro game in the loop form.

use crate::compile::{default_params, CompiledLoops};
use crate::dyn_game::{compiled_costs, dense, game_info, keep, leak_str, Kept, Params};
use crate::interp::{run_kernel, KernelData};
use crate::kernels::{JitKernels, KernelArgs};
use stackel_runtime::cost::CompiledCosts;
use stackel_runtime::{BlockFormula, Form, Game, GameInfo, Real};
use stackel_symbolic::indexed::kernel::{LoopKernels, Method};
use std::sync::Arc;

/// A game in the loop form, compiled from DSL text.
#[derive(Clone)]
pub(crate) struct LoopGame {
    compiled: Arc<Compiled>,
    params: Params,
}

struct Compiled {
    kernels: LoopKernels,
    f64: JitKernels,
    f32: JitKernels,
    kept: &'static Kept,
}

impl LoopGame {
    /// The game of `text`, compiled in the loop form.
    pub(crate) fn new(text: &str, compiled: CompiledLoops) -> Self {
        let CompiledLoops {
            model,
            kernels,
            f64,
            f32,
            wgsl,
            formulas,
            zero_sum,
        } = compiled;
        let kept = keep(text, || Kept {
            info: game_info(&model, zero_sum, Form::Loops),
            wgsl: Some(wgsl),
            formulas: formulas
                .into_iter()
                .map(|b| BlockFormula {
                    block: leak_str(&b.block),
                    shape: b.shape,
                    entries: b.entries,
                })
                .collect(),
            costs: compiled_costs(&model, None, Form::Loops),
        });
        let params = default_params(&model);
        LoopGame {
            compiled: Arc::new(Compiled {
                kernels,
                f64,
                f32,
                kept,
            }),
            params: Params::new(params),
        }
    }

    /// Runs kernel `which` in `T`: native code for f64 and f32, the
    /// interpreter otherwise.
    ///
    /// # Panics
    /// When a slice is shorter than the kernel reads or writes, as a macro
    /// game's methods do.
    fn run<T: Real>(
        &self,
        which: Method,
        x: &[T],
        lambda: &[T],
        dir: &[T],
        pdir: &[T],
        out: &mut [T],
    ) {
        let c = &*self.compiled;
        let k = c.kernels.number(which).expect("the follower exists");
        let kernel = &c.kernels.kernels[k];
        // native code where T is f64 or f32
        macro_rules! native {
            ($as:ident, $as_mut:ident, $jit:expr, $p:expr) => {
                if let (Some(x), Some(lambda), Some(dir), Some(pdir)) =
                    (T::$as(x), T::$as(lambda), T::$as(dir), T::$as(pdir))
                {
                    let out = T::$as_mut(out).expect("out has the number type of x");
                    let args = KernelArgs {
                        x,
                        p: $p,
                        lambda,
                        dir,
                        pdir,
                        out,
                    };
                    if let Some((a, got, need)) = args.short(kernel) {
                        panic!(
                            "{}: {a:?} has {got} entries, needs {need}",
                            self.info().name
                        );
                    }
                    // SAFETY: the kernels of this precision, and every
                    // array is as long as the kernel reads or writes
                    // (checked above).
                    unsafe { $jit.call(k, args) };
                    return;
                }
            };
        }
        native!(as_f64s, as_f64s_mut, c.f64, &self.params.f64);
        native!(as_f32s, as_f32s_mut, c.f32, &self.params.f32);
        let data = KernelData {
            x,
            p: &self.params.f64,
            lambda,
            dir,
            pdir,
        };
        run_kernel(kernel, &data, out);
    }

    /// A param block (`rows` x NP) one unit param direction at a time.
    fn param_block<T: Real>(
        &self,
        which: Method,
        rows: usize,
        x: &[T],
        lambda: &[T],
        out: &mut [T],
    ) {
        let np = self.params.f64.len();
        let out = &mut out[..rows * np];
        let mut pdir = vec![T::zero(); np];
        let mut col = vec![T::zero(); rows];
        for k in 0..np {
            pdir[k] = T::one();
            self.run(which, x, lambda, &[], &pdir, &mut col);
            pdir[k] = T::zero();
            for (r, v) in col.iter().enumerate() {
                out[r * np + k] = *v;
            }
        }
    }

    fn dims(&self) -> (usize, usize, usize) {
        let [d1, d2, _] = self.compiled.kernels.dims;
        (d1, d2, d1 + d2)
    }
}

impl Game for LoopGame {
    fn d1(&self) -> usize {
        self.compiled.kernels.dims[0]
    }
    fn d2(&self) -> usize {
        self.compiled.kernels.dims[1]
    }
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
        self.run(Method::LeaderCost, x, &[], &[], &[], &mut out);
        out[0]
    }

    /// f_{2^i}; NaN for an index past the last follower, as the generated
    /// loop form.
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        if i >= self.compiled.kernels.followers {
            return T::of(f64::NAN);
        }
        let mut out = [T::zero()];
        self.run(Method::FollowerCost(i), x, &[], &[], &[], &mut out);
        out[0]
    }

    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run(Method::D1f1, x, &[], &[], &[], out)
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run(Method::D2f1, x, &[], &[], &[], out)
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run(Method::D2f2, x, &[], &[], &[], out)
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.run(Method::Omega, x, &[], &[], &[], out)
    }

    fn d22f2_mul<T: Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
        self.run(Method::HMul, x, &[], w, &[], out)
    }
    fn d22f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        self.run(Method::HTmul, x, v, &[], &[], out)
    }
    fn d21f2_mul<T: Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
        self.run(Method::BMul, x, &[], u, &[], out)
    }
    fn d21f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        self.run(Method::BTmul, x, v, &[], &[], out)
    }
    fn f1_hvp<T: Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
        self.run(Method::F1Hvp, x, &[], dir, &[], out)
    }
    fn phi_hvp<T: Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
        self.run(Method::PhiHvp, x, lambda, dir, &[], out)
    }

    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(|e, c| self.f1_hvp(x, e, c), n, n, (0, d1), (0, d1), out)
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(|e, c| self.f1_hvp(x, e, c), n, n, (d1, n), (0, d1), out)
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(|e, c| self.f1_hvp(x, e, c), n, n, (d1, n), (d1, n), out)
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (_, d2, _) = self.dims();
        dense(
            |e, c| self.d22f2_mul(x, e, c),
            d2,
            d2,
            (0, d2),
            (0, d2),
            out,
        )
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d1, d2, _) = self.dims();
        dense(
            |e, c| self.d21f2_mul(x, e, c),
            d1,
            d2,
            (0, d1),
            (0, d2),
            out,
        )
    }
    fn d11phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(
            |e, c| self.phi_hvp(x, lambda, e, c),
            n,
            n,
            (0, d1),
            (0, d1),
            out,
        )
    }
    fn d12phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(
            |e, c| self.phi_hvp(x, lambda, e, c),
            n,
            n,
            (d1, n),
            (0, d1),
            out,
        )
    }
    fn d21phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(
            |e, c| self.phi_hvp(x, lambda, e, c),
            n,
            n,
            (0, d1),
            (d1, n),
            out,
        )
    }
    fn d22phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        let (d1, _, n) = self.dims();
        dense(
            |e, c| self.phi_hvp(x, lambda, e, c),
            n,
            n,
            (d1, n),
            (d1, n),
            out,
        )
    }

    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.param_block(Method::D1pF1, self.d1(), x, &[], out)
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.param_block(Method::D2pF1, self.d2(), x, &[], out)
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.param_block(Method::D2pF2, self.d2(), x, &[], out)
    }
    fn d1p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.param_block(Method::D1pPhi, self.d1(), x, lambda, out)
    }
    fn d2p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.param_block(Method::D2pPhi, self.d2(), x, lambda, out)
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
