//! The WGSL the runtime wraps around a game's module (`Game::wgsl`, contract
//! in `stackel_symbolic::emit_wgsl`): the scalar prelude, Philox4x32-10 and
//! the uniform -> normal mapping of [`crate::rng`] operation for operation,
//! and the step loop of [`crate::dynamics::step`] for one trajectory per
//! invocation and many steps per dispatch.
//!
//! The rng polynomials are written from the same coefficient tables as the
//! CPU's ([`crate::rng::coefficients`]) with round-tripping literals, and the
//! same `fma` calls, so the GPU evaluates the same operations on the same
//! numbers. Drivers may still fuse other multiplies and adds (and Vulkan lets
//! `fma` round twice), so normals agree with the CPU to a few ulps rather
//! than bit for bit; the Philox words agree exactly.
//!
//! # Bindings of the study kernel (group 0, declared in `study.wgsl`)
//!
//! 0. `config: array<u32>`: count, first trajectory (lo, hi words), first
//!    step of the dispatch, steps in it, Philox key (2 words), has-target
//!    flag, best-response Newton iterations, then per coordinate its player
//!    and its angle flag.
//! 1. `settings: array<S>`: params (NPA), sigma (N), divergence bound, eta,
//!    Adam beta1, beta2, eps, target (N), lock-in radius, Newton tolerance.
//! 2. `schedule: array<S>`: per step of the dispatch, each player's gamma_k,
//!    then Adam's bias corrections 1 - beta1^(k+1), 1 - beta2^(k+1).
//! 3. `states: array<S>`: states, trajectory-major (`states[j * N + i]`).
//! 4. `moments: array<S>`: Adam moments m then v, trajectory-major
//!    (`2 * count * N`).
//! 5. `fates: array<u32>`: per trajectory ([`ST_WORDS`] words) the fate code
//!    (0 running, 1 diverged, 2 non-finite, 3 singular), the step of the
//!    fate, the lock-in step and the best-response Newton failures.
//!
//! # Layout
//!
//! - [`prelude`]: `alias S`, constants, `st_wrap_angle` and the
//!   transcendental functions the game modules call;
//! - [`rng`]: Philox4x32-10 and the uniform -> normal mapping;
//! - [`study`]: the study kernel (bindings, step loop, best response);
//! - [`diagnostics`]: the rng, math and ceiling kernels of the tests and benches.
//!
//! Fixed WGSL lives in `.wgsl` files next to these modules (`step/` holds
//! the fragments of the step loop, one per rule and option, assembled by
//! [`study_kernel`]); precision- or size-dependent constants are `const`
//! lines the host prepends to them. What is still formatted in Rust are the
//! templates with values written into them: the polynomial coefficients of
//! the rng and f64 maths (from the CPU's tables), the kernel header with the
//! game's sizes, and the noise loop with its pair count.

use std::fmt::Write;

pub mod diagnostics;
pub mod loops;
pub mod prelude;
pub mod rng;
pub mod study;

pub use diagnostics::{ceiling_kernel, math_kernel, rng_kernel};
pub use loops::{loops_kernel, LoopSpec};
pub use prelude::scalar_prelude;
pub use rng::{normals_wgsl, step_normals_wgsl, PHILOX_WGSL};
pub use study::{study_kernel, KernelSpec};

/// Precision of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `f32` scalars (every adapter).
    F32,
    /// `f64` scalars (adapters with `SHADER_F64`).
    F64,
}

impl Precision {
    /// Bytes per scalar.
    pub fn size(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }
    /// The WGSL type name.
    pub fn wgsl(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

/// Fate codes of the `fates` buffer.
/// Still running.
pub const FATE_RUNNING: u32 = 0;
/// Left the divergence bound (|x_i| > bound).
pub const FATE_DIVERGED: u32 = 1;
/// A state beyond the overflow guard or not finite.
pub const FATE_NON_FINITE: u32 = 2;
/// H = D22 f2 + eta I singular in the follower solve.
pub const FATE_SINGULAR: u32 = 3;
pub use loops::FATE_NOT_CONVERGED;

/// Header words of `config` before the per-coordinate player indices.
pub const CFG_HEADER: usize = 9;
/// Words of the `fates` buffer per trajectory: fate, its step, lock-in step,
/// best-response Newton failures.
pub const ST_WORDS: usize = 4;
/// Workgroup size of every kernel.
pub const WORKGROUP: u32 = 64;

/// A float literal of precision `p` that parses back to exactly `v`
/// (`v` already rounded to `p`).
fn lit(p: Precision, v: f64) -> String {
    match p {
        Precision::F32 => {
            let f = v as f32;
            format!("{f:?}f")
        }
        Precision::F64 => {
            let t = format!("{v:?}");
            if t.contains('.') || t.contains('e') {
                format!("f64({t})")
            } else {
                format!("f64({t}.0)")
            }
        }
    }
}

/// f32 constants the CPU computes as `a / b` in f32.
fn q32(a: f32, b: f32) -> String {
    lit(Precision::F32, (a / b) as f64)
}
/// f64 constants the CPU computes as `a / b` in f64.
fn q64(a: f64, b: f64) -> String {
    lit(Precision::F64, a / b)
}

/// `var name = c0; name = fma(name, z, c1); ...`: Horner's rule as in
/// [`crate::rng`], coefficients highest degree first.
fn horner_wgsl(p: Precision, name: &str, coeffs: &[f64]) -> String {
    let mut s = format!("    var {name} = {};\n", lit(p, coeffs[0]));
    for &c in &coeffs[1..] {
        let _ = writeln!(s, "    {name} = fma({name}, z, {});", lit(p, c));
    }
    s
}
