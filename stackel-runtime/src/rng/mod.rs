//! Counter-based randomness: Philox4x32-10 (Salmon et al., "Parallel random
//! numbers: as easy as 1, 2, 3", the Random123 library) and the exact mapping
//! from its output words to uniforms and Gaussian normals.
//!
//! Every random number of a study is a pure function of
//! (seed, trajectory, step, stream, block), so results never depend on thread
//! count, chunk size, shard split or engine. The GPU kernels reproduce the same
//! streams; everything below is specified in 32-bit integer operations
//! (`mulhilo32` is also given as a 16-bit-split form) and IEEE float
//! arithmetic, with fused multiply-adds exactly where written (`mul_add`,
//! correctly rounded on every platform; never contracted implicitly).
//!
//! # Stream mapping
//!
//! - key = (seed mod 2^32, seed >> 32);
//! - the random numbers of one trajectory in one stream ([`STREAM_NOISE`],
//!   [`STREAM_INIT`]) are a sequence of Box-Muller *pairs* i = 0, 1, 2, ...;
//!   pair i lies in Philox block b = i / [`NoiseFloat::PAIRS_PER_BLOCK`] (f64:
//!   one pair per block, f32: two) at half i mod `PAIRS_PER_BLOCK`, and block
//!   b has the counter (b mod 2^32, trajectory mod 2^32, trajectory >> 32,
//!   (stream << 24) | (b >> 32)) ([`block_counter`]);
//! - a state of n coordinates takes P = ceil(n / 2) pairs ([`pairs_per_state`]);
//!   the noise of step k (k = 0, 1, ...) is pairs kP .. kP + P - 1, normal
//!   2q + e of the step being element e of pair kP + q (for odd n the last
//!   normal is dropped); random initial states are pairs 0 .. P - 1 of
//!   [`STREAM_INIT`].
//!
//! So no Philox word is wasted: an f32 state of two coordinates computes one
//! block every second step. Engines may keep a block's words from one step
//! to the next; every number is still a pure function of its pair index.
//!
//! # Words to normals
//!
//! - f64: a block (w0, w1, w2, w3) is one pair of uniforms
//!   u = ((w_a >> 5) * 2^26 + (w_b >> 6) + 1) * 2^-53 in (0, 1] from the word
//!   pairs (w0, w1) and (w2, w3).
//! - f32: each word gives u = ((w >> 8) + 1) * 2^-24 in (0, 1]; half h of a
//!   block is the pair of uniforms of words (w_2h, w_2h+1).
//! - Box-Muller of a pair (u_a, u_b): r = sqrt(-2 ln u_a),
//!   (z_a, z_b) = (r cos 2 pi u_b, r sin 2 pi u_b).
//!
//! `ln` and `sincos` are this module's own branch-free minimax polynomials
//! ([`NoiseFloat::ln_unit`], [`NoiseFloat::sincos_2pi`], [`coefficients`])
//! so that the loops vectorise; they agree with the standard library to
//! about 4e-16 (f64) and 1.5e-7 (f32), and their exact operation order is
//! the specification a kernel mirrors.

mod batch;
mod user;

pub use batch::{fill_normals, fill_normals_in, simd_tier, NoiseWords, Simd};
pub use user::{PhiloxRng, Sampler};

/// Philox4x32 multiplier of counter words 0 and 1 (Random123).
pub const PHILOX_M0: u32 = 0xD251_1F53;
/// Philox4x32 multiplier of counter words 2 and 3 (Random123).
pub const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Weyl increment of key word 0 per round (golden ratio, Random123).
pub const PHILOX_W0: u32 = 0x9E37_79B9;
/// Weyl increment of key word 1 per round (sqrt(3) - 1, Random123).
pub const PHILOX_W1: u32 = 0xBB67_AE85;

/// Version of the stream layout and the words-to-normals mapping documented
/// above; it changes whenever the numbers a seed gives change, and is part
/// of a study's fingerprint. 1: one counter per (step, block), Taylor-series
/// Box-Muller; 2: pair-indexed blocks, minimax Box-Muller with fused
/// multiply-adds.
pub const STREAM_VERSION: u32 = 2;

/// Stream of the additive gradient noise (step k: pairs kP .. kP + P - 1).
pub const STREAM_NOISE: u32 = 0;
/// Stream of random initial states (pairs 0 .. P - 1).
pub const STREAM_INIT: u32 = 1;

/// (hi, lo) words of the 64-bit product a * b.
#[inline(always)]
pub fn mulhilo32(a: u32, b: u32) -> (u32, u32) {
    let p = (a as u64) * (b as u64);
    ((p >> 32) as u32, p as u32)
}

/// [`mulhilo32`] with 16-bit halves only (no 64-bit integers), the form a
/// WGSL kernel uses; equal to `mulhilo32` for all inputs.
pub fn mulhilo32_split16(a: u32, b: u32) -> (u32, u32) {
    let (a0, a1) = (a & 0xffff, a >> 16);
    let (b0, b1) = (b & 0xffff, b >> 16);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    let hi = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);
    let lo = a.wrapping_mul(b);
    (hi, lo)
}

/// Philox4x32 with 10 rounds: the block cipher of counter `ctr` under `key`.
#[inline(always)]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = ctr;
    let [mut k0, mut k1] = key;
    for r in 0..10 {
        if r > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let (hi0, lo0) = mulhilo32(PHILOX_M0, c0);
        let (hi1, lo1) = mulhilo32(PHILOX_M1, c2);
        (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
    }
    [c0, c1, c2, c3]
}

/// The Philox key of a seed: (low word, high word).
#[inline(always)]
pub fn seed_key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// The Philox counter of block `block` of (trajectory, stream):
/// (block mod 2^32, trajectory mod 2^32, trajectory >> 32,
/// (stream << 24) | (block >> 32)); blocks are numbered below 2^56.
#[inline(always)]
pub fn block_counter(block: u64, trajectory: u64, stream: u32) -> [u32; 4] {
    [
        block as u32,
        trajectory as u32,
        (trajectory >> 32) as u32,
        (stream << 24) | ((block >> 32) as u32 & 0x00ff_ffff),
    ]
}

/// Box-Muller pairs a state of `n` coordinates takes per step: ceil(n / 2).
#[inline(always)]
pub fn pairs_per_state(n: usize) -> usize {
    n.div_ceil(2)
}

/// (block, half) of pair `pair` of a stream in precision `T`.
#[inline(always)]
pub fn pair_position<T: NoiseFloat>(pair: u64) -> (u64, usize) {
    let per = T::PAIRS_PER_BLOCK as u64;
    (pair / per, (pair % per) as usize)
}

/// Precision-specific randomness: how Philox words become uniforms and
/// normals, plus the vectorisable `ln`/`sincos` used by Box-Muller.
pub trait NoiseFloat: crate::real::Float {
    /// Box-Muller pairs in one Philox block (1 for f64, 2 for f32).
    const PAIRS_PER_BLOCK: usize;
    /// Normals produced by one Philox block: 2 [`Self::PAIRS_PER_BLOCK`].
    const NORMALS_PER_BLOCK: usize = 2 * Self::PAIRS_PER_BLOCK;
    /// The integer numerator of a uniform: u = numerator 2^-p (f64: u64,
    /// p = 53; f32: u32, p = 24).
    type Numerator: Copy + Default + Send + Sync + std::fmt::Debug;
    /// The uniform numerators of a block's words, pair by pair (f64: 2, from
    /// the word pairs (w0, w1), (w2, w3); f32: 4, one per word); unused
    /// entries are zero.
    fn numerators(w: [u32; 4]) -> [Self::Numerator; 4];
    /// The uniform in (0, 1] of a numerator (exact).
    fn uniform_of(m: Self::Numerator) -> Self;
    /// The uniform in (0, 1] of the word pair (a, b) (f64: both used; f32: `a` only).
    #[inline(always)]
    fn uniform(a: u32, b: u32) -> Self {
        Self::uniform_of(Self::numerators([a, b, a, b])[0])
    }
    /// The pair of uniforms at half `half` of block words `w`.
    #[inline(always)]
    fn pair_uniforms(w: [u32; 4], half: usize) -> (Self, Self) {
        let m = Self::numerators(w);
        (
            Self::uniform_of(m[2 * half]),
            Self::uniform_of(m[2 * half + 1]),
        )
    }
    /// ln u for u in [2^-60, 1] (normal floats), branch-free.
    fn ln_unit(u: Self) -> Self;
    /// (sin 2 pi u, cos 2 pi u) for u = m 2^-p in (0, 1], branch-free.
    fn sincos_2pi(u: Self) -> (Self, Self);
    /// [`Self::sincos_2pi`] of u = [`Self::uniform_of`]`(m)`, the same values,
    /// with the quadrant reduction done on the integer numerator (cheaper on
    /// vector units): q = round(4u) = (m + 2^(p-3)) >> (p-2) and
    /// t = u - q/4 = (m - q 2^(p-2)) 2^-p, both exact.
    fn sincos_2pi_of(m: Self::Numerator) -> (Self, Self);
    /// The normals of one Philox block, pair by pair (`out.len()` = `NORMALS_PER_BLOCK`).
    #[inline(always)]
    fn normals(w: [u32; 4], out: &mut [Self]) {
        for h in 0..Self::PAIRS_PER_BLOCK {
            let (ua, ub) = Self::pair_uniforms(w, h);
            (out[2 * h], out[2 * h + 1]) = box_muller(ua, ub);
        }
    }
}

/// Box-Muller of two uniforms (u_a in (0, 1] for the radius).
#[inline(always)]
pub fn box_muller<T: NoiseFloat>(ua: T, ub: T) -> (T, T) {
    let r = (T::of(-2.0) * T::ln_unit(ua)).sqrt();
    let (s, c) = T::sincos_2pi(ub);
    (r * c, r * s)
}

/// [`box_muller`] of the uniforms of two numerators (the same values; the
/// form the batched engine runs).
#[inline(always)]
pub fn box_muller_of<T: NoiseFloat>(ma: T::Numerator, mb: T::Numerator) -> (T, T) {
    let r = (T::of(-2.0) * T::ln_unit(T::uniform_of(ma))).sqrt();
    let (s, c) = T::sincos_2pi_of(mb);
    (r * c, r * s)
}

/// Minimax coefficients of the Box-Muller polynomials, highest degree
/// first, evaluated by Horner's rule with fused multiply-adds
/// ([`f64::mul_add`], correctly rounded on every IEEE platform, so every
/// vector tier and the baseline give the same bits). f64: fdlibm's
/// `__ieee754_log` (Lg7..Lg1), `__kernel_sin` (S6..S1) and `__kernel_cos`
/// (C6..C1, then -1/2); f32: FreeBSD's float kernels (`e_logf`, `k_sinf`,
/// `k_cosf`).
pub mod coefficients {
    /// R(z) / z with ln(1 + f) = 2 s + s R(z), s = f / (2 + f), z = s^2, |s| < 0.1716.
    pub const LN_F64: [f64; 7] = [
        0.14798198605116586,
        0.15313837699209373,
        0.1818357216161805,
        0.22222198432149784,
        0.2857142874366239,
        0.3999999999940942,
        0.6666666666666735,
    ];
    /// (sin a - a) / a^3 as a polynomial in z = a^2, |a| <= pi/4.
    pub const SIN_F64: [f64; 6] = [
        1.58969099521155e-10,
        -2.5050760253406863e-08,
        2.7557313707070068e-06,
        -0.0001984126982985795,
        0.00833333333332249,
        -0.16666666666666632,
    ];
    /// (cos a - 1) / a^2 as a polynomial in z = a^2, |a| <= pi/4.
    pub const COS_F64: [f64; 7] = [
        -1.1359647557788195e-11,
        2.087572321298175e-09,
        -2.7557314351390663e-07,
        2.480158728947673e-05,
        -0.001388888888887411,
        0.0416666666666666,
        -0.5,
    ];
    /// As [`LN_F64`], f32 (error below 2^-34 before rounding).
    pub const LN_F32: [f32; 4] = [0.242_790_79, 0.284_987_87, 0.400_009_72, 0.666_666_6];
    /// As [`SIN_F64`], f32.
    pub const SIN_F32: [f32; 4] = [2.718_311_4e-6, -1.983_933_5e-4, 8.333_329e-3, -0.166_666_67];
    /// As [`COS_F64`], f32.
    pub const COS_F32: [f32; 4] = [2.439_044_9e-5, -1.388_676_3e-3, 4.166_662_3e-2, -0.5];
}

use coefficients::*;

/// sum c_i z^(len-1-i) by Horner's rule with fused multiply-adds.
#[inline(always)]
fn horner64(z: f64, c: &[f64]) -> f64 {
    let mut p = c[0];
    for &ci in &c[1..] {
        p = p.mul_add(z, ci);
    }
    p
}

/// [`horner64`] in f32.
#[inline(always)]
fn horner32(z: f32, c: &[f32]) -> f32 {
    let mut p = c[0];
    for &ci in &c[1..] {
        p = p.mul_add(z, ci);
    }
    p
}

impl NoiseFloat for f64 {
    const PAIRS_PER_BLOCK: usize = 1;

    type Numerator = u64;

    /// (w_a >> 5) 2^26 + (w_b >> 6) + 1, in [1, 2^53].
    #[inline(always)]
    fn numerators(w: [u32; 4]) -> [u64; 4] {
        let m = |a: u32, b: u32| ((((a >> 5) as u64) << 26) | (b >> 6) as u64) + 1;
        [m(w[0], w[1]), m(w[2], w[3]), 0, 0]
    }

    #[inline(always)]
    fn uniform_of(m: u64) -> f64 {
        // below 2^53 + 1: the conversion is exact
        m as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// u = 2^e m with m in [sqrt(1/2), sqrt(2)); with s = (m - 1)/(m + 1),
    /// ln m = 2 s + s R(s^2) ([`coefficients::LN_F64`]), ln u = e ln 2 + ln m.
    #[inline(always)]
    fn ln_unit(u: f64) -> f64 {
        let bits = u.to_bits();
        let mant = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
        // exponent as a float without integer-to-float conversion
        let ebits = f64::from_bits((bits >> 52) | 0x4330_0000_0000_0000);
        let e = ebits - (4_503_599_627_370_496.0 + 1023.0);
        let big = mant > std::f64::consts::SQRT_2;
        let m = if big { mant * 0.5 } else { mant };
        let e = if big { e + 1.0 } else { e };
        let s = (m - 1.0) / (m + 1.0);
        let z = s * s;
        let r = z * horner64(z, &LN_F64);
        let lnm = s.mul_add(r, 2.0 * s);
        e.mul_add(std::f64::consts::LN_2, lnm)
    }

    /// t = u - q/4 with q = round(4u) (exact), angle a = 2 pi t in [-pi/4, pi/4],
    /// sin a = a + a^3 S(a^2), cos a = 1 + a^2 C(a^2) ([`coefficients`]),
    /// then the quadrant q mod 4.
    #[inline(always)]
    fn sincos_2pi(u: f64) -> (f64, f64) {
        let q = (u * 4.0 + 0.5).floor();
        let t = u - q * 0.25;
        let (s, c) = sincos_reduced64(t * std::f64::consts::TAU);
        quadrant(q - 4.0 * (q * 0.25).floor(), s, c)
    }

    #[inline(always)]
    fn sincos_2pi_of(m: u64) -> (f64, f64) {
        let q = (m + (1 << 50)) >> 51;
        let t = (m as i64 - ((q as i64) << 51)) as f64;
        // t 2^-53 tau rounds as (t 2^-53) tau: the scaling is a power of two
        let (s, c) = sincos_reduced64(t * (std::f64::consts::TAU / 9_007_199_254_740_992.0));
        quadrant_of(q as u32, s, c)
    }
}

/// (sin a, cos a) for |a| <= pi/4: a + a^3 S(a^2), 1 + a^2 C(a^2).
#[inline(always)]
fn sincos_reduced64(a: f64) -> (f64, f64) {
    let z = a * a;
    let s = (a * z).mul_add(horner64(z, &SIN_F64), a);
    let c = z.mul_add(horner64(z, &COS_F64), 1.0);
    (s, c)
}

/// (sin a, cos a) for |a| <= pi/4, f32.
#[inline(always)]
fn sincos_reduced32(a: f32) -> (f32, f32) {
    let z = a * a;
    let s = (a * z).mul_add(horner32(z, &SIN_F32), a);
    let c = z.mul_add(horner32(z, &COS_F32), 1.0);
    (s, c)
}

/// [`quadrant`] with q given as an integer (only q mod 4 matters).
#[inline(always)]
fn quadrant_of<T: crate::real::Float>(q: u32, s: T, c: T) -> (T, T) {
    let (s1, c1) = if q & 1 != 0 { (c, s) } else { (s, c) };
    let neg_s = q & 2 != 0;
    let neg_c = (q + 1) & 2 != 0;
    (if neg_s { -s1 } else { s1 }, if neg_c { -c1 } else { c1 })
}

/// (sin, cos) of a + q pi/2 from (sin a, cos a), q in {0, 1, 2, 3}, by selects.
#[inline(always)]
fn quadrant<T: crate::real::Float>(q: T, s: T, c: T) -> (T, T) {
    let one = T::one();
    let swap = q == one || q == T::of(3.0);
    let (s1, c1) = if swap { (c, s) } else { (s, c) };
    let neg_s = q == T::of(2.0) || q == T::of(3.0);
    let neg_c = q == one || q == T::of(2.0);
    (if neg_s { -s1 } else { s1 }, if neg_c { -c1 } else { c1 })
}

impl NoiseFloat for f32 {
    const PAIRS_PER_BLOCK: usize = 2;

    type Numerator = u32;

    /// (w >> 8) + 1, in [1, 2^24], per word.
    #[inline(always)]
    fn numerators(w: [u32; 4]) -> [u32; 4] {
        w.map(|x| (x >> 8) + 1)
    }

    #[inline(always)]
    fn uniform_of(m: u32) -> f32 {
        m as f32 * (1.0 / 16_777_216.0)
    }

    /// As for f64 with [`coefficients::LN_F32`].
    #[inline(always)]
    fn ln_unit(u: f32) -> f32 {
        let bits = u.to_bits();
        let mant = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
        let ebits = f32::from_bits((bits >> 23) | 0x4b00_0000);
        let e = ebits - (8_388_608.0 + 127.0);
        let big = mant > std::f32::consts::SQRT_2;
        let m = if big { mant * 0.5 } else { mant };
        let e = if big { e + 1.0 } else { e };
        let s = (m - 1.0) / (m + 1.0);
        let z = s * s;
        let r = z * horner32(z, &LN_F32);
        let lnm = s.mul_add(r, 2.0 * s);
        e.mul_add(std::f32::consts::LN_2, lnm)
    }

    /// As for f64 with [`coefficients::SIN_F32`] and [`coefficients::COS_F32`].
    #[inline(always)]
    fn sincos_2pi(u: f32) -> (f32, f32) {
        let q = (u * 4.0 + 0.5).floor();
        let t = u - q * 0.25;
        let (s, c) = sincos_reduced32(t * std::f32::consts::TAU);
        quadrant(q - 4.0 * (q * 0.25).floor(), s, c)
    }

    #[inline(always)]
    fn sincos_2pi_of(m: u32) -> (f32, f32) {
        let q = (m + (1 << 21)) >> 22;
        let t = (m as i32 - ((q as i32) << 22)) as f32;
        let (s, c) = sincos_reduced32(t * (std::f32::consts::TAU / 16_777_216.0));
        quadrant_of(q, s, c)
    }
}

/// The `out.len()` uniforms in (0, 1] (or normals, with `normal`) of pairs
/// `first_pair`, `first_pair + 1`, ... of (seed, trajectory, stream).
fn pairs_for<T: NoiseFloat>(
    seed: u64,
    trajectory: u64,
    stream: u32,
    first_pair: u64,
    normal: bool,
    out: &mut [T],
) {
    let key = seed_key(seed);
    let mut block = None;
    let mut w = [0u32; 4];
    for (q, chunk) in out.chunks_mut(2).enumerate() {
        let (b, h) = pair_position::<T>(first_pair + q as u64);
        if block != Some(b) {
            w = philox4x32_10(block_counter(b, trajectory, stream), key);
            block = Some(b);
        }
        let (ua, ub) = T::pair_uniforms(w, h);
        let pair = if normal { box_muller(ua, ub) } else { (ua, ub) };
        chunk[0] = pair.0;
        if let Some(o) = chunk.get_mut(1) {
            *o = pair.1;
        }
    }
}

/// The `out.len()` = n standard normals of (seed, trajectory, stream) at
/// `step` (pairs step P .. step P + P - 1, P = ceil(n / 2)): the scalar
/// reference of what the batched engine computes.
pub fn normals_for<T: NoiseFloat>(
    seed: u64,
    trajectory: u64,
    step: u32,
    stream: u32,
    out: &mut [T],
) {
    let first = step as u64 * pairs_per_state(out.len()) as u64;
    pairs_for(seed, trajectory, stream, first, true, out)
}

/// The `out.len()` uniforms in (0, 1] of pairs 0, 1, ... of (seed,
/// trajectory, stream): random initial states.
pub fn uniforms_for<T: NoiseFloat>(seed: u64, trajectory: u64, stream: u32, out: &mut [T]) {
    pairs_for(seed, trajectory, stream, 0, false, out)
}
