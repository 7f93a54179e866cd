//! The CPU engine's small-state kernel (d1 + d2 <= 8, d2 <= 2, plain
//! steps, not best response): one step of a whole chunk with
//! [`dynamics::small_field`] on stack arrays, branch-free so that the
//! compiler vectorises it across trajectories, compiled per [`Simd`] tier.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::batched::ChunkParts;
use super::Prepared;
use crate::dynamics;
use crate::game::Game;
use crate::plan::{beyond_guard, overflow_guard};
use crate::real::Real;
use crate::record::Fate;
use crate::rng::{NoiseFloat, Simd};

/// One plain step of every running trajectory of a chunk with the
/// small-state kernel ([`dynamics::small_field`]): x_i <- x_i - gamma_i
/// (g_i + sigma_i z_i), angles wrapped; a trajectory whose step is singular,
/// not finite or beyond the bound is left unmoved and flagged in `bad`.
/// Runs the best [`Simd`] tier of the CPU (same results in every tier).
/// `batch`: the chunk's buffers for games that prefer batches (allocated on
/// the first step).
#[allow(clippy::too_many_arguments)]
pub(super) fn small_steps<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
    batch: &mut Option<ChunkParts<T>>,
) {
    if game.prefers_batches() {
        // the game's one-point calls cannot be inlined here (run-time
        // code): the chunk's Stackelberg parts in one call, then the steps
        let c = SmallConsts::new(p, gains);
        let parts = batch.get_or_insert_with(|| ChunkParts::new(game, rule, active.len()));
        parts.fill(game, xs);
        return super::batched::batched_steps(p.simd, parts, rule, &c, z, xs, active, bad);
    }
    match p.simd {
        // SAFETY: Prepared::simd is at most simd_tier(), which checked the CPU.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { small_steps_avx512(game, rule, p, gains, z, xs, active, bad) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { small_steps_avx2(game, rule, p, gains, z, xs, active, bad) },
        _ => small_steps_generic(game, rule, p, gains, z, xs, active, bad),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn small_steps_avx512<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    small_steps_generic(game, rule, p, gains, z, xs, active, bad)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn small_steps_avx2<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    small_steps_generic(game, rule, p, gains, z, xs, active, bad)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small_steps_generic<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    use dynamics::Rule::*;
    let c = SmallConsts::new(p, gains);
    // one loop per (rule, angles) so that each is branch-free and vectorises
    match (rule, c.any_angle) {
        (Simultaneous, false) => small_loop(game, Simultaneous, false, &c, z, xs, active, bad),
        (Simultaneous, true) => small_loop(game, Simultaneous, true, &c, z, xs, active, bad),
        (TwoTimescale, false) => small_loop(game, TwoTimescale, false, &c, z, xs, active, bad),
        (TwoTimescale, true) => small_loop(game, TwoTimescale, true, &c, z, xs, active, bad),
        (Lola, false) => small_loop(game, Lola, false, &c, z, xs, active, bad),
        (Lola, true) => small_loop(game, Lola, true, &c, z, xs, active, bad),
        (BestResponse | Staggered, _) => {
            unreachable!("the small kernel excludes best response and staggered play")
        }
    }
}

/// A step's constants for the small kernel, in fixed-size arrays.
pub(super) struct SmallConsts<T> {
    pub(super) gains: [T; dynamics::SMALL_N],
    pub(super) sigma: [T; dynamics::SMALL_N],
    pub(super) angle: [bool; dynamics::SMALL_N],
    pub(super) any_angle: bool,
    pub(super) gamma2: T,
    pub(super) eta: T,
    pub(super) bound: T,
}

impl<T: NoiseFloat> SmallConsts<T> {
    pub(super) fn new(p: &Prepared<T>, gains: &[T]) -> Self {
        let mut c = SmallConsts {
            gains: [T::zero(); dynamics::SMALL_N],
            sigma: [T::zero(); dynamics::SMALL_N],
            angle: [false; dynamics::SMALL_N],
            any_angle: p.angle.iter().any(|a| *a),
            gamma2: gains[p.dims[0]],
            eta: p.eta,
            // |v| <= bound also rejects NaN, infinities and the overflow guard
            bound: if p.bound < overflow_guard::<T>() {
                p.bound
            } else {
                overflow_guard::<T>()
            },
        };
        let n = p.n;
        c.gains[..n].copy_from_slice(&gains[..n]);
        c.sigma[..n].copy_from_slice(&p.sigma[..n]);
        c.angle[..n].copy_from_slice(&p.angle[..n]);
        c
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small_loop<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    any_angle: bool,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    let at = |x: &[T], _: usize, f: &mut [T; dynamics::SMALL_N]| {
        dynamics::small_field(game, rule, c.eta, c.gamma2, x, f)
    };
    small_loop_with(game.n(), any_angle, c, z, xs, active, bad, at)
}

/// The chunk loop of [`small_loop`] with the field of trajectory j (state
/// x) given by `field(x, j, out)` (false: singular).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn small_loop_with<T: NoiseFloat>(
    n: usize,
    any_angle: bool,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
    field: impl Fn(&[T], usize, &mut [T; dynamics::SMALL_N]) -> bool,
) {
    let count = active.len();
    // the unchecked reads and writes below index i * count + j, i < n, j < count
    assert!(n <= dynamics::SMALL_N && xs.len() == n * count && z.len() >= n * count);
    assert!(bad.len() == count);
    for j in 0..count {
        // SAFETY: j < count and the lengths asserted above.
        let (xn, ok_field, x) = unsafe { small_update(n, any_angle, c, z, xs, j, count, &field) };
        let mut ok = ok_field & active[j];
        for v in &xn[..n] {
            ok &= Real::abs(*v) <= c.bound;
        }
        for i in 0..n {
            // SAFETY: i < n and j < count, and xs.len() == n * count (asserted above).
            unsafe { *xs.get_unchecked_mut(i * count + j) = if ok { xn[i] } else { x[i] } };
        }
        bad[j] = active[j] & !ok;
    }
}

/// The small-kernel step of trajectory j: (new state, field not singular,
/// old state), the field of the old state from `field`.
///
/// # Safety
/// j < count, xs.len() >= n count and z.len() >= n count.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn small_update<T: NoiseFloat>(
    n: usize,
    any_angle: bool,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &[T],
    j: usize,
    count: usize,
    field: &impl Fn(&[T], usize, &mut [T; dynamics::SMALL_N]) -> bool,
) -> ([T; dynamics::SMALL_N], bool, [T; dynamics::SMALL_N]) {
    let mut x = [T::zero(); dynamics::SMALL_N];
    for i in 0..n {
        // SAFETY: i < n, j < count, xs.len() >= n * count (the caller's contract).
        x[i] = unsafe { *xs.get_unchecked(i * count + j) };
    }
    let mut f = [T::zero(); dynamics::SMALL_N];
    let ok = field(&x[..n], j, &mut f);
    let mut xn = x;
    for i in 0..n {
        // SAFETY: as above, z.len() >= n * count.
        let zi = unsafe { *z.get_unchecked(i * count + j) };
        xn[i] = x[i] - c.gains[i] * (f[i] + c.sigma[i] * zi);
    }
    if any_angle {
        for i in 0..n {
            if c.angle[i] {
                xn[i] = dynamics::wrap_angle(xn[i]);
            }
        }
    }
    (xn, ok, x)
}

/// Why a flagged small-kernel step failed, and the state to keep.
#[allow(clippy::too_many_arguments)]
pub(super) fn small_failure<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &[T],
    j: usize,
    k: u64,
) -> (Fate, [T; dynamics::SMALL_N]) {
    let c = SmallConsts::new(p, gains);
    let n = game.n();
    let count = xs.len() / n;
    assert!(j < count && z.len() >= n * count);
    let field = |x: &[T], _: usize, f: &mut [T; dynamics::SMALL_N]| {
        dynamics::small_field(game, rule, c.eta, c.gamma2, x, f)
    };
    // SAFETY: asserted just above.
    let (xn, ok, x) = unsafe { small_update(n, c.any_angle, &c, z, xs, j, count, &field) };
    if !ok {
        (Fate::Singular { step: k }, x)
    } else if xn[..n].iter().any(|v| beyond_guard(*v)) {
        (Fate::NonFinite { step: k }, x)
    } else {
        (Fate::Diverged { step: k }, xn)
    }
}
