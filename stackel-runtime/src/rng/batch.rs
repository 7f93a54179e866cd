//! Batch noise: the normals of one step for a whole chunk of trajectories,
//! structure of arrays, in one Philox pass and one Box-Muller pass that the
//! compiler vectorises ([`Simd`] tiers chosen at run time). Every number
//! equals the scalar reference [`super::normals_for`] of its trajectory.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::NoiseFloat;

/// The uniform numerators ([`NoiseFloat::numerators`]) of one Philox block
/// for a chunk of trajectories, structure of arrays, and the block they
/// hold: the noise pass reuses them when a step's first pair lies in the
/// block the previous step computed last (f32 states with an odd number of
/// pairs per step, e.g. two coordinates: one block per two steps). The cache
/// changes only the work, never a number.
#[derive(Clone, Debug)]
pub struct NoiseWords<T: NoiseFloat> {
    numerators: Vec<T::Numerator>,
    /// (key, first trajectory, count, block) of `numerators`.
    holds: Option<([u32; 2], u64, usize, u64)>,
}

impl<T: NoiseFloat> NoiseWords<T> {
    /// Scratch for chunks of up to `count` trajectories.
    pub fn new(count: usize) -> Self {
        NoiseWords {
            numerators: vec![T::Numerator::default(); 2 * T::PAIRS_PER_BLOCK * count],
            holds: None,
        }
    }
}

/// Fills the `n` standard normals (rounded up to even) of step `step` of
/// trajectories first..first + count into `z` (row r, normal r of every
/// trajectory: z[r * count + j]). Per Box-Muller pair q of the step: the
/// Philox pass of its block into `nw` (unless `nw` holds it already), then
/// Box-Muller of that pair's half ([`crate::rng`]'s stream mapping).
#[inline(always)]
fn fill_normals_generic<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    // uniforms per block: one row of numerators each
    let rows = 2 * T::PAIRS_PER_BLOCK;
    if nw.numerators.len() < rows * count {
        nw.numerators.resize(rows * count, T::Numerator::default());
        nw.holds = None;
    }
    let pairs = super::pairs_per_state(n);
    let (m0, rest) = nw.numerators[..rows * count].split_at_mut(count);
    let (m1, rest) = rest.split_at_mut(count);
    let (m2, m3) = rest.split_at_mut(if rows == 4 { count } else { 0 });
    for q in 0..pairs {
        let (b, half) = super::pair_position::<T>(step as u64 * pairs as u64 + q as u64);
        let tag = Some((key, first, count, b));
        if nw.holds != tag {
            // runs of trajectories with one high word: the counter's words
            // 0, 2, 3 are then loop-invariant, and so are the products of
            // Philox's first rounds that depend on them alone
            let mut j0 = 0;
            while j0 < count {
                let t0 = first + j0 as u64;
                let run = (count - j0).min(((1u64 << 32) - (t0 & 0xffff_ffff)) as usize);
                let [c0, lo, hi, c3] = super::block_counter(b, t0, super::STREAM_NOISE);
                let end = j0 + run;
                let counter = |j: usize| [c0, lo.wrapping_add(j as u32), hi, c3];
                if rows == 2 {
                    for (j, (a0, a1)) in m0[j0..end].iter_mut().zip(&mut m1[j0..end]).enumerate() {
                        let m = T::numerators(super::philox4x32_10(counter(j), key));
                        (*a0, *a1) = (m[0], m[1]);
                    }
                } else {
                    for (j, (((a0, a1), a2), a3)) in m0[j0..end]
                        .iter_mut()
                        .zip(&mut m1[j0..end])
                        .zip(&mut m2[j0..end])
                        .zip(&mut m3[j0..end])
                        .enumerate()
                    {
                        let m = T::numerators(super::philox4x32_10(counter(j), key));
                        (*a0, *a1, *a2, *a3) = (m[0], m[1], m[2], m[3]);
                    }
                }
                j0 = end;
            }
            nw.holds = tag;
        }
        let (ra, rb) = z[2 * q * count..(2 * q + 2) * count].split_at_mut(count);
        let (ma, mb) = if half == 0 {
            (&*m0, &*m1)
        } else {
            (&*m2, &*m3)
        };
        for j in 0..count {
            let (za, zb) = super::box_muller_of::<T>(ma[j], mb[j]);
            ra[j] = za;
            rb[j] = zb;
        }
    }
}

/// The vector instruction sets the CPU engine's hot loops are compiled for,
/// chosen at run time. Every tier computes the same results (the compiler
/// never contracts a multiply and an add; the rng's explicit `mul_add`s are
/// correctly rounded on every tier, in software where the CPU has no FMA);
/// only the speed differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    /// The target's baseline.
    Baseline,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 (F, DQ, VL) with AVX2 and FMA.
    Avx512,
}

/// The tier this CPU runs ([`Simd`]).
pub fn simd_tier() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let avx512 = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl");
        if avx2 && avx512 {
            return Simd::Avx512;
        }
        if avx2 {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fill_normals_avx2<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    fill_normals_generic(key, step, first, count, n, nw, z)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn fill_normals_avx512<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    fill_normals_generic(key, step, first, count, n, nw, z)
}

/// The noise pass of one step for a chunk of trajectories: the `n`
/// standard normals (rounded up to even) of trajectories first..first +
/// count at `step`, row r of `z` (len >= `(n + 1) / 2 * 2 * count`) holding
/// normal r of every trajectory (z[r * count + j]); `nw` is the chunk's
/// Philox scratch, kept from step to step. Runs the best [`Simd`] tier of
/// the CPU (same results in every tier). Also the bare-RNG ceiling of
/// benchmarks.
pub fn fill_normals<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    fill_normals_in(simd_tier(), key, step, first, count, n, nw, z)
}

/// [`fill_normals`] in vector tier `tier` (lowered to what the CPU has).
#[allow(clippy::too_many_arguments)]
pub fn fill_normals_in<T: NoiseFloat>(
    tier: Simd,
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    match tier.min(simd_tier()) {
        // SAFETY: simd_tier checked that the CPU has the enabled features.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { fill_normals_avx512(key, step, first, count, n, nw, z) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { fill_normals_avx2(key, step, first, count, n, nw, z) },
        _ => fill_normals_generic(key, step, first, count, n, nw, z),
    }
}
