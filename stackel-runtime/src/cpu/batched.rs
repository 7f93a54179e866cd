//! The small-state kernel for games that prefer batches
//! ([`Game::prefers_batches`]: games compiled at run time, whose one-point
//! methods cannot be inlined into the engine's loop). The chunk's field
//! inputs come from one call of the game's batched method (omega, or the
//! Stackelberg parts), coordinate-major; the rest of the step (the follower
//! solve, the leader's total gradient, the update) runs in loops of
//! constant length, specialised on (d1, d2) and the rule, compiled per
//! [`Simd`] tier, like the inlined kernel of generated games. The results
//! are the same, bit for bit: the same operations in the same order.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::small::{small_loop_with, SmallConsts};
use crate::dynamics::{self, Rule, SMALL_N};
use crate::game::{Game, StackelbergParts};
use crate::rng::{NoiseFloat, Simd};

/// The field inputs of every trajectory of a chunk, coordinate-major
/// (entry e of trajectory j at `[e * count + j]`).
pub(super) struct ChunkParts<T> {
    d1: usize,
    d2: usize,
    count: usize,
    /// omega (simultaneous play), or D1 f1, D2 f1, D2 f2, D22 f2, D21 f2.
    parts: Vec<Vec<T>>,
}

impl<T: NoiseFloat> ChunkParts<T> {
    /// Buffers for a chunk of `count` trajectories of `game` under `rule`.
    pub(super) fn new<G: Game>(game: &G, rule: Rule, count: usize) -> Self {
        let (d1, d2) = (game.d1(), game.d2());
        let sizes = if rule == Rule::Simultaneous {
            vec![d1 + d2]
        } else {
            vec![d1, d2, d2, d2 * d2, d2 * d1]
        };
        ChunkParts {
            d1,
            d2,
            count,
            parts: sizes.iter().map(|&k| vec![T::zero(); k * count]).collect(),
        }
    }

    /// One batched call of `game` at the chunk's states `xs`
    /// (coordinate-major): omega, or the Stackelberg parts.
    pub(super) fn fill<G: Game>(&mut self, game: &G, xs: &[T]) {
        let count = self.count;
        match &mut self.parts[..] {
            [omega] => game.omega_batch(xs, count, omega),
            [a, b, c, h, bb] => game.stackelberg_parts_batch(
                xs,
                count,
                StackelbergParts {
                    d1f1: a,
                    d2f1: b,
                    d2f2: c,
                    d22f2: h,
                    d21f2: bb,
                },
            ),
            _ => unreachable!("one or five parts"),
        }
    }

    /// Entry e of part k at trajectory j.
    ///
    /// # Safety
    /// k < the number of parts, e < that part's entries per trajectory,
    /// j < count.
    #[inline(always)]
    unsafe fn get(&self, k: usize, e: usize, j: usize) -> T {
        // SAFETY: the caller's contract; every part holds count entries per entry index.
        unsafe {
            *self
                .parts
                .get_unchecked(k)
                .get_unchecked(e * self.count + j)
        }
    }

    /// The field of `rule` at trajectory j (false: H + eta I singular), in
    /// loops of constant length D1, D2.
    ///
    /// # Safety
    /// j < count, and (D1, D2) are the game's dimensions.
    #[inline(always)]
    unsafe fn field<const D1: usize, const D2: usize>(
        &self,
        rule: Rule,
        c: &SmallConsts<T>,
        j: usize,
        out: &mut [T; SMALL_N],
    ) -> bool {
        // SAFETY (every `get` below): k < 5 parts (1 for simultaneous play),
        // e < the part's size for (D1, D2), j < count (the caller's contract).
        if rule == Rule::Simultaneous {
            for i in 0..D1 + D2 {
                out[i] = unsafe { self.get(0, i, j) };
            }
            return true;
        }
        let z = T::zero();
        let mut d1f1 = [z; SMALL_N];
        let mut lambda = [z; 2];
        let mut d2f2 = [z; 2];
        let mut h = [z; 4];
        let mut b = [z; 2 * SMALL_N];
        for e in 0..D1 {
            d1f1[e] = unsafe { self.get(0, e, j) };
        }
        for e in 0..D2 {
            lambda[e] = unsafe { self.get(1, e, j) };
            d2f2[e] = unsafe { self.get(2, e, j) };
        }
        for e in 0..D2 * D2 {
            h[e] = unsafe { self.get(3, e, j) };
        }
        for e in 0..D2 * D1 {
            b[e] = unsafe { self.get(4, e, j) };
        }
        dynamics::small_field_from_parts(
            rule,
            c.eta,
            c.gamma2,
            D1,
            D2,
            &d1f1,
            &mut lambda,
            &d2f2,
            &mut h,
            &b,
            out,
        )
    }
}

/// One plain step of every running trajectory of the chunk (the contract
/// of the small kernel's `small_steps`), from `parts`, in the best tier.
#[allow(clippy::too_many_arguments)]
pub(super) fn batched_steps<T: NoiseFloat>(
    simd: Simd,
    parts: &ChunkParts<T>,
    rule: Rule,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    assert_eq!(parts.count, active.len());
    match simd {
        // SAFETY: `simd` is at most simd_tier(), which checked the CPU.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { batched_avx512(parts, rule, c, z, xs, active, bad) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { batched_avx2(parts, rule, c, z, xs, active, bad) },
        _ => batched_generic(parts, rule, c, z, xs, active, bad),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn batched_avx512<T: NoiseFloat>(
    parts: &ChunkParts<T>,
    rule: Rule,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    batched_generic(parts, rule, c, z, xs, active, bad)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn batched_avx2<T: NoiseFloat>(
    parts: &ChunkParts<T>,
    rule: Rule,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    batched_generic(parts, rule, c, z, xs, active, bad)
}

/// `batched_dims::<D1, D2>` for the chunk's (d1, d2): every pair the small
/// kernel admits (d1 + d2 <= 8, d2 in 1..=2).
#[inline(always)]
fn batched_generic<T: NoiseFloat>(
    parts: &ChunkParts<T>,
    rule: Rule,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    macro_rules! dims {
        ($(($a:literal, $b:literal)),*) => {
            match (parts.d1, parts.d2) {
                $(($a, $b) => batched_dims::<T, $a, $b>(parts, rule, c, z, xs, active, bad),)*
                (d1, d2) => unreachable!("the small kernel does not take d1 = {d1}, d2 = {d2}"),
            }
        };
    }
    dims!(
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 1),
        (5, 1),
        (6, 1),
        (7, 1),
        (1, 2),
        (2, 2),
        (3, 2),
        (4, 2),
        (5, 2),
        (6, 2)
    )
}

/// The chunk loop for one (D1, D2), one loop per rule.
#[inline(always)]
fn batched_dims<T: NoiseFloat, const D1: usize, const D2: usize>(
    parts: &ChunkParts<T>,
    rule: Rule,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    let count = parts.count;
    let run = |rule: Rule, xs: &mut [T], bad: &mut [bool]| {
        // SAFETY: small_loop_with calls the field with j < count, and
        // (D1, D2) are the parts' dimensions (matched by the caller).
        let field = |_: &[T], j: usize, f: &mut [T; SMALL_N]| unsafe {
            debug_assert!(j < count);
            parts.field::<D1, D2>(rule, c, j, f)
        };
        small_loop_with(D1 + D2, c.any_angle, c, z, xs, active, bad, field)
    };
    match rule {
        Rule::Simultaneous => run(Rule::Simultaneous, xs, bad),
        Rule::TwoTimescale => run(Rule::TwoTimescale, xs, bad),
        Rule::Lola => run(Rule::Lola, xs, bad),
        Rule::BestResponse | Rule::Staggered => {
            unreachable!("the small kernel excludes best response and staggered play")
        }
    }
}
