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
//! # Bindings (group 0)
//!
//! 0. `cfg: array<u32>`: count, first trajectory (lo, hi words), first step of
//!    the dispatch, steps in it, Philox key (2 words), has-target flag,
//!    best-response Newton iterations, then per coordinate its player and its
//!    angle flag.
//! 1. `fp: array<S>`: params (NPA), sigma (N), divergence bound, eta, Adam
//!    beta1, beta2, eps, target (N), lock-in radius, Newton tolerance.
//! 2. `tab: array<S>`: per step of the dispatch, each player's gamma_k, then
//!    Adam's bias corrections 1 - beta1^(k+1), 1 - beta2^(k+1).
//! 3. `xs: array<S>`: states, trajectory-major (`xs[j * N + i]`).
//! 4. `mv: array<S>`: Adam moments m then v, trajectory-major (`2 * count * N`).
//! 5. `st: array<u32>`: per trajectory ([`ST_WORDS`] words) the fate code (0
//!    running, 1 diverged, 2 non-finite, 3 singular), the step of the fate,
//!    the lock-in step and the best-response Newton failures.

use crate::dynamics::Rule;
use crate::rng::coefficients::*;
use std::fmt::Write;

/// Precision of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    F32,
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

/// Fate codes of the `st` buffer.
pub const FATE_RUNNING: u32 = 0;
pub const FATE_DIVERGED: u32 = 1;
pub const FATE_NON_FINITE: u32 = 2;
pub const FATE_SINGULAR: u32 = 3;

/// Header words of `cfg` before the per-coordinate player indices.
pub const CFG_HEADER: usize = 9;
/// Words of the `st` buffer per trajectory: fate, its step, lock-in step,
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

/// `alias S`, `ST_EPS`, `ST_MAX`, `st_wrap_angle` (as
/// [`crate::dynamics::wrap_angle`]).
pub fn scalar_prelude(p: Precision) -> String {
    let (eps, max) = match p {
        Precision::F32 => (f32::EPSILON as f64, f32::MAX as f64),
        Precision::F64 => (f64::EPSILON, f64::MAX),
    };
    let (tau, pi) = match p {
        Precision::F32 => (
            std::f64::consts::TAU as f32 as f64,
            std::f64::consts::PI as f32 as f64,
        ),
        Precision::F64 => (std::f64::consts::TAU, std::f64::consts::PI),
    };
    format!(
        "alias S = {ty};\n\
         const ST_EPS: S = {eps};\n\
         const ST_MAX: S = {max};\n\
         // the overflow guard (crate::engine::overflow_guard): a state beyond it is non-finite\n\
         const ST_GUARD: S = {guard};\n\
         const ST_TAU: S = {tau};\n\
         const ST_PI: S = {pi};\n\
         // x - 2 pi floor((x + pi) / 2 pi), in [-pi, pi).\n\
         fn st_wrap_angle(x: S) -> S {{\n\
         \x20   let w = x - ST_TAU * floor((x + ST_PI) / ST_TAU);\n\
         \x20   return select(w, w - ST_TAU, w >= ST_PI);\n\
         }}\n",
        ty = p.wgsl(),
        eps = lit(p, eps),
        max = lit(p, max),
        guard = lit(p, max / 1_048_576.0),
        tau = lit(p, tau),
        pi = lit(p, pi),
    ) + &math_wgsl(p)
}

/// `st_exp`, `st_ln`, `st_sin`, `st_cos`, `st_tan` and `st_pow` for the game
/// modules (`stackel_symbolic::emit_wgsl`'s contract). f32: WGSL's builtins.
/// f64: drivers leave the builtins undefined on doubles, so they are
/// evaluated here with exact operations and `fma` only:
///
/// - ln a: a = m 2^e by exact power-of-two scalings, m in [sqrt(1/2), sqrt(2)),
///   s = (m - 1)/(m + 1), ln m = 2 s + s R(s^2) ([`LN_F64`]);
/// - exp a: k = round(a / ln 2), r = a - k ln 2 (two-part ln 2), Taylor to
///   r^13 (|r| <= 0.35), times 2^k by exact power-of-two factors (one rounding,
///   subnormal results included);
/// - sin, cos a: k = round(2a / pi), r = a - k pi/2 with fdlibm's three-part
///   pi/2 (33 + 33 + 53 bits, about 1e-31 short), [`SIN_F64`] and
///   [`COS_F64`] on r, quadrant k mod 4; tan = sin / cos;
/// - pow(a, b) = exp(b ln |a|), with the sign for integer b and a < 0, 1 for
///   b = 0, NaN for a < 0 and non-integer b (as `f64::powf`).
///
/// Accuracy against the standard library (measured on lavapipe by the
/// `gpu_engine` tests): a few ulps for exp and ln, and for sin, cos and tan
/// while |a| < 2^20 pi/2 (about 1.6e6), where every product k pi/2_i of the
/// reduction is exact even if the driver does not fuse `fma`; beyond, the
/// error grows with |a| (about 1e-7 at 1e9, f32-like). pow's relative error
/// grows like |b ln a| 1e-16.
fn math_wgsl(p: Precision) -> String {
    if p == Precision::F32 {
        // the builtins, on the finite arguments where they are defined
        return "fn st_exp_core(a: S) -> S { return exp(a); }\n\
                fn st_ln_core(a: S) -> S { return log(a); }\n\
                fn st_sincos(a: S) -> vec2<S> { return vec2<S>(sin(a), cos(a)); }\n"
            .to_string()
            + &special_wgsl(p);
    }
    let c = |v: f64| lit(p, v);
    let pow2 = |k: i32| c(2f64.powi(k));
    let mut s = String::new();
    // a = m 2^e, m in [1, 2), for finite a > 0 (subnormals first lifted by 2^128)
    s.push_str("// a = m 2^e with m in [1, 2) (finite a > 0), by exact scalings.\nfn st_split(a: f64) -> vec2<f64> {\n    var m = a;\n    var e = f64(0.0);\n");
    let _ = writeln!(
        s,
        "    if (m < {lo}) {{ m = m * {up}; e = e - f64(128.0); }}",
        lo = pow2(-896),
        up = pow2(128)
    );
    for k in [512, 256, 128, 64, 32, 16, 8, 4, 2, 1] {
        let _ = writeln!(
            s,
            "    if (m >= {big}) {{ m = m * {down}; e = e + f64({k}.0); }}",
            big = pow2(k),
            down = pow2(-k)
        );
    }
    for k in [512, 256, 128, 64, 32, 16, 8, 4, 2, 1] {
        let _ = writeln!(
            s,
            "    if (m < {small}) {{ m = m * {up}; e = e - f64({k}.0); }}",
            small = pow2(1 - k),
            up = pow2(k)
        );
    }
    s.push_str("    return vec2<f64>(m, e);\n}\n");
    // 2^k, |k| <= 1100, applied to q with a single rounding
    s.push_str("// q 2^k for integer k in [-1100, 1100], rounded once.\nfn st_ldexp(q: f64, k: f64) -> f64 {\n    var r = q;\n    var kk = k;\n");
    for _ in 0..2 {
        let _ = writeln!(
            s,
            "    if (kk > f64(511.0)) {{ r = r * {up}; kk = kk - f64(511.0); }}\n    if (kk < f64(-511.0)) {{ r = r * {down}; kk = kk + f64(511.0); }}",
            up = pow2(511),
            down = pow2(-511)
        );
    }
    s.push_str("    var f = f64(1.0);\n    let n = i32(abs(kk));\n");
    for b in 0..9 {
        let _ = writeln!(
            s,
            "    if ((n & {bit}) != 0) {{ f = f * select({up}, {down}, kk < f64(0.0)); }}",
            bit = 1 << b,
            up = pow2(1 << b),
            down = pow2(-(1 << b))
        );
    }
    s.push_str("    return r * f;\n}\n");
    let exp_taylor: Vec<f64> = {
        let mut f = vec![1.0f64];
        for k in 1..=13 {
            let prev = *f.last().unwrap();
            f.push(prev / k as f64);
        }
        f.reverse();
        f
    };
    let _ = write!(
        s,
        "// ln a for finite a > 0.\n\
         fn st_ln_core(a: f64) -> f64 {{\n\
         \x20   let me = st_split(a);\n\
         \x20   let big = me.x > {sqrt2};\n\
         \x20   let m = select(me.x, me.x * f64(0.5), big);\n\
         \x20   let e = select(me.y, me.y + f64(1.0), big);\n\
         \x20   let s = (m - f64(1.0)) / (m + f64(1.0));\n\
         \x20   let z = s * s;\n\
         {ln}\
         \x20   let lnm = fma(s, z * p, f64(2.0) * s);\n\
         \x20   return fma(e, {ln2}, lnm);\n\
         }}\n\
         // exp a for a in [ST_EXP_UNDER, ST_EXP_OVER].\n\
         fn st_exp_core(a: f64) -> f64 {{\n\
         \x20   let k = floor(a * {inv_ln2} + f64(0.5));\n\
         \x20   let z = fma(-k, {ln2_lo}, fma(-k, {ln2_hi}, a));\n\
         {ex}\
         \x20   return st_ldexp(p, k);\n\
         }}\n\
         // (sin a, cos a).\n\
         fn st_sincos(a: f64) -> vec2<f64> {{\n\
         \x20   let k = floor(a * {two_pi} + f64(0.5));\n\
         \x20   let r = fma(-k, {pio2_3}, fma(-k, {pio2_2}, fma(-k, {pio2_1}, a)));\n\
         \x20   let z = r * r;\n\
         {sin}\
         \x20   let sr = fma(r * z, sp, r);\n\
         {cos}\
         \x20   let cr = fma(z, cp, f64(1.0));\n\
         \x20   let q = k - f64(4.0) * floor(k * f64(0.25));\n\
         \x20   let swap = q == f64(1.0) || q == f64(3.0);\n\
         \x20   let s1 = select(sr, cr, swap);\n\
         \x20   let c1 = select(cr, sr, swap);\n\
         \x20   return vec2<f64>(select(s1, -s1, q >= f64(2.0)), select(c1, -c1, q == f64(1.0) || q == f64(2.0)));\n\
         }}\n\
         ",
        sqrt2 = c(std::f64::consts::SQRT_2),
        ln2 = c(std::f64::consts::LN_2),
        ln = horner_wgsl(p, "p", &LN_F64),
        inv_ln2 = c(std::f64::consts::LOG2_E),
        ln2_hi = c(6.931_471_803_691_238e-1),
        ln2_lo = c(1.908_214_929_270_587_7e-10),
        ex = horner_wgsl(p, "p", &exp_taylor),
        two_pi = c(std::f64::consts::FRAC_2_PI),
        pio2_1 = c(1.570_796_326_734_125_6),
        pio2_2 = c(6.077_100_506_303_966e-11),
        pio2_3 = c(2.022_266_248_711_166_5e-21),
        sin = horner_wgsl(p, "sp", &SIN_F64),
        cos = horner_wgsl(p, "cp", &COS_F64),
    );
    s + &special_wgsl(p)
}

/// `st_exp`, `st_ln`, `st_sin`, `st_cos`, `st_tan` and `st_pow`: every IEEE
/// special case is branched on explicitly, its result made from a bit
/// pattern (`st_inf`, `st_nan`) as `f64::exp`, `ln`, `sin`, `powf` give
/// it, and only finite, in-range arguments reach the `_core` functions.
/// Nothing is left to the driver: WGSL lets it assume that arithmetic never
/// overflows, and log, pow and sqrt are undefined at or below 0 on GPUs
/// (an H100 gave NaN for an f64 ln 0 made by overflow). ln 0 = -inf, ln of
/// a negative = NaN, ln inf = inf; exp overflow = inf, exp underflow and
/// exp(-inf) = 0; sin, cos, tan of +-inf = NaN; NaN in gives NaN out, except
/// pow(x, 0) = pow(1, y) = 1; pow follows the IEEE rules for zeros,
/// infinities and negative bases (a zero base is taken as +0).
fn special_wgsl(p: Precision) -> String {
    // exp overflows above ln(MAX); below `under` it is under half the least
    // subnormal and rounds to 0
    let (over, under) = match p {
        Precision::F32 => (88.722_83_f32 as f64, -103.98),
        Precision::F64 => (709.782712893384, -745.2),
    };
    format!(
        "const ST_EXP_OVER: S = {over};\n\
         const ST_EXP_UNDER: S = {under};\n\
         fn st_inf() -> S {{\n\
         \x20   return S(bitcast<f32>(0x7f800000u));\n\
         }}\n\
         fn st_nan() -> S {{\n\
         \x20   return S(bitcast<f32>(0x7fc00000u));\n\
         }}\n\
         fn st_is_nan(a: S) -> bool {{\n\
         \x20   return !(a == a);\n\
         }}\n\
         fn st_exp(a: S) -> S {{\n\
         \x20   if (st_is_nan(a)) {{\n\
         \x20       return st_nan();\n\
         \x20   }}\n\
         \x20   if (a > ST_EXP_OVER) {{\n\
         \x20       return st_inf();\n\
         \x20   }}\n\
         \x20   if (a < ST_EXP_UNDER) {{\n\
         \x20       return S(0.0);\n\
         \x20   }}\n\
         \x20   return st_exp_core(a);\n\
         }}\n\
         fn st_ln(a: S) -> S {{\n\
         \x20   if (st_is_nan(a) || a < S(0.0)) {{\n\
         \x20       return st_nan();\n\
         \x20   }}\n\
         \x20   if (a == S(0.0)) {{\n\
         \x20       return -st_inf();\n\
         \x20   }}\n\
         \x20   if (a > ST_MAX) {{\n\
         \x20       return st_inf();\n\
         \x20   }}\n\
         \x20   return st_ln_core(a);\n\
         }}\n\
         fn st_sin(a: S) -> S {{\n\
         \x20   if (!(abs(a) <= ST_MAX)) {{\n\
         \x20       return st_nan();\n\
         \x20   }}\n\
         \x20   return st_sincos(a).x;\n\
         }}\n\
         fn st_cos(a: S) -> S {{\n\
         \x20   if (!(abs(a) <= ST_MAX)) {{\n\
         \x20       return st_nan();\n\
         \x20   }}\n\
         \x20   return st_sincos(a).y;\n\
         }}\n\
         fn st_tan(a: S) -> S {{\n\
         \x20   if (!(abs(a) <= ST_MAX)) {{\n\
         \x20       return st_nan();\n\
         \x20   }}\n\
         \x20   let sc = st_sincos(a);\n\
         \x20   return sc.x / sc.y;\n\
         }}\n\
         fn st_pow(a: S, b: S) -> S {{\n\
         \x20   if (b == S(0.0) || a == S(1.0)) {{\n\
         \x20       return S(1.0);\n\
         \x20   }}\n\
         \x20   if (st_is_nan(a) || st_is_nan(b)) {{\n\
         \x20       return st_nan();\n\
         \x20   }}\n\
         \x20   let aa = abs(a);\n\
         \x20   if (abs(b) > ST_MAX) {{\n\
         \x20       if (aa == S(1.0)) {{\n\
         \x20           return S(1.0);\n\
         \x20       }}\n\
         \x20       return select(S(0.0), st_inf(), (aa > S(1.0)) == (b > S(0.0)));\n\
         \x20   }}\n\
         \x20   if (aa == S(0.0)) {{\n\
         \x20       return select(st_inf(), S(0.0), b > S(0.0));\n\
         \x20   }}\n\
         \x20   let bi = floor(b);\n\
         \x20   let odd = bi == b && bi - S(2.0) * floor(bi * S(0.5)) == S(1.0);\n\
         \x20   var m = select(S(0.0), st_inf(), b > S(0.0));\n\
         \x20   if (aa <= ST_MAX) {{\n\
         \x20       if (a < S(0.0) && bi != b) {{\n\
         \x20           return st_nan();\n\
         \x20       }}\n\
         \x20       m = st_exp(b * st_ln_core(aa));\n\
         \x20   }}\n\
         \x20   return select(m, -m, a < S(0.0) && odd);\n\
         }}\n",
        over = lit(p, over),
        under = lit(p, under),
    )
}

/// Philox4x32-10 with 16-bit-split multiplies ([`crate::rng::mulhilo32_split16`]).
pub const PHILOX_WGSL: &str = "\
// (hi, lo) of the 64-bit product a * b from 16-bit halves.
fn st_mulhilo(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, a * b);
}
// Philox4x32 with 10 rounds.
fn st_philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = ctr;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        if (r > 0u) {
            k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let m0 = st_mulhilo(0xD2511F53u, c.x);
        let m1 = st_mulhilo(0xCD9E8D57u, c.z);
        c = vec4<u32>(m1.x ^ c.y ^ k.x, m1.y, m0.x ^ c.w ^ k.y, m0.y);
    }
    return c;
}
";

/// `st_pair_normals(w, half) -> vec2<S>` (Box-Muller of one pair) and
/// `st_normals(w) -> array<S, PER>` ([`crate::rng::NoiseFloat::normals`]) in WGSL.
pub fn normals_wgsl(p: Precision) -> String {
    let mut s = String::new();
    s.push_str(
        "// (sin, cos) of a + q pi/2 from (sin a, cos a), q in {0, 1, 2, 3}.\n\
         fn st_quadrant(q: S, s: S, c: S) -> vec2<S> {\n\
         \x20   let swap = q == S(1.0) || q == S(3.0);\n\
         \x20   let s1 = select(s, c, swap);\n\
         \x20   let c1 = select(c, s, swap);\n\
         \x20   let neg_s = q == S(2.0) || q == S(3.0);\n\
         \x20   let neg_c = q == S(1.0) || q == S(2.0);\n\
         \x20   return vec2<S>(select(s1, -s1, neg_s), select(c1, -c1, neg_c));\n\
         }\n",
    );
    // the precision-specific parts: uniforms, the exponent split of u, constants
    let (ty, head, split, coeffs): (&str, String, String, [Vec<f64>; 3]) = match p {
        Precision::F32 => (
            "f32",
            format!(
                "const ST_NORMALS: u32 = 4u;\n\
                 fn st_uniform(a: u32) -> f32 {{\n\
                 \x20   return f32((a >> 8u) + 1u) * {inv24};\n\
                 }}\n",
                inv24 = q32(1.0, 16_777_216.0),
            ),
            format!(
                "    let bits = bitcast<u32>(u);\n\
                 \x20   let mant = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);\n\
                 \x20   let ebits = bitcast<f32>((bits >> 23u) | 0x4b000000u);\n\
                 \x20   var e = ebits - {ebias};\n",
                ebias = lit(p, (8_388_608.0f32 + 127.0) as f64),
            ),
            [&LN_F32[..], &SIN_F32[..], &COS_F32[..]].map(|c| c.iter().map(|&v| v as f64).collect()),
        ),
        // No f64 bitcasts in WGSL: the binary exponent of u in [2^-60, 1]
        // is found by exact scalings by powers of two, which gives the same
        // (mantissa, exponent) as the CPU's bit split.
        Precision::F64 => (
            "f64",
            format!(
                "const ST_NORMALS: u32 = 2u;\n\
                 fn st_uniform(a: u32, b: u32) -> f64 {{\n\
                 \x20   return (f64(a >> 5u) * f64(67108864.0) + f64(b >> 6u) + f64(1.0)) * {inv53};\n\
                 }}\n",
                inv53 = q64(1.0, 9_007_199_254_740_992.0),
            ),
            "    var mant = u;\n\
             \x20   var e = f64(0.0);\n\
             \x20   if (mant < f64(1.0)) {\n\
             \x20       if (mant < f64(1.0) / f64(4294967296.0)) { mant = mant * f64(4294967296.0); e = e - f64(32.0); }\n\
             \x20       if (mant < f64(1.0) / f64(65536.0)) { mant = mant * f64(65536.0); e = e - f64(16.0); }\n\
             \x20       if (mant < f64(1.0) / f64(256.0)) { mant = mant * f64(256.0); e = e - f64(8.0); }\n\
             \x20       if (mant < f64(1.0) / f64(16.0)) { mant = mant * f64(16.0); e = e - f64(4.0); }\n\
             \x20       if (mant < f64(1.0) / f64(4.0)) { mant = mant * f64(4.0); e = e - f64(2.0); }\n\
             \x20       if (mant < f64(1.0) / f64(2.0)) { mant = mant * f64(2.0); e = e - f64(1.0); }\n\
             \x20       mant = mant * f64(2.0);\n\
             \x20       e = e - f64(1.0);\n\
             \x20   }\n"
                .into(),
            [LN_F64.to_vec(), SIN_F64.to_vec(), COS_F64.to_vec()],
        ),
    };
    let c = |v: f64| lit(p, v);
    let (sqrt2, ln2, tau) = match p {
        Precision::F32 => (
            std::f32::consts::SQRT_2 as f64,
            std::f32::consts::LN_2 as f64,
            std::f32::consts::TAU as f64,
        ),
        Precision::F64 => (
            std::f64::consts::SQRT_2,
            std::f64::consts::LN_2,
            std::f64::consts::TAU,
        ),
    };
    s.push_str(&head);
    let _ = write!(
        s,
        "fn st_ln_unit(u: {ty}) -> {ty} {{\n\
         {split}\
         \x20   let big = mant > {sqrt2};\n\
         \x20   let m = select(mant, mant * {half}, big);\n\
         \x20   e = select(e, e + {one}, big);\n\
         \x20   let s = (m - {one}) / (m + {one});\n\
         \x20   let z = s * s;\n\
         {ln}\
         \x20   let r = z * p;\n\
         \x20   let lnm = fma(s, r, {two} * s);\n\
         \x20   return fma(e, {ln2}, lnm);\n\
         }}\n\
         fn st_sincos_2pi(u: {ty}) -> vec2<{ty}> {{\n\
         \x20   let q = floor(u * {four} + {half});\n\
         \x20   let t = u - q * {quarter};\n\
         \x20   let a = t * {tau};\n\
         \x20   let z = a * a;\n\
         {sin}\
         \x20   let s = fma(a * z, sp, a);\n\
         {cos}\
         \x20   let c = fma(z, cp, {one});\n\
         \x20   return st_quadrant(q - {four} * floor(q * {quarter}), s, c);\n\
         }}\n\
         fn st_box_muller(ua: {ty}, ub: {ty}) -> vec2<{ty}> {{\n\
         \x20   let r = sqrt({mtwo} * st_ln_unit(ua));\n\
         \x20   let sc = st_sincos_2pi(ub);\n\
         \x20   return vec2<{ty}>(r * sc.y, r * sc.x);\n\
         }}\n",
        sqrt2 = c(sqrt2),
        ln2 = c(ln2),
        tau = c(tau),
        one = c(1.0),
        half = c(0.5),
        two = c(2.0),
        mtwo = c(-2.0),
        four = c(4.0),
        quarter = c(0.25),
        ln = horner_wgsl(p, "p", &coeffs[0]),
        sin = horner_wgsl(p, "sp", &coeffs[1]),
        cos = horner_wgsl(p, "cp", &coeffs[2]),
    );
    s.push_str(match p {
        Precision::F32 => {
            "fn st_pair_normals(w: vec4<u32>, half: u32) -> vec2<f32> {\n\
             \x20   let h = half == 1u;\n\
             \x20   return st_box_muller(st_uniform(select(w.x, w.z, h)), st_uniform(select(w.y, w.w, h)));\n\
             }\n\
             fn st_normals(w: vec4<u32>) -> array<f32, 4> {\n\
             \x20   let a = st_pair_normals(w, 0u);\n\
             \x20   let b = st_pair_normals(w, 1u);\n\
             \x20   return array<f32, 4>(a.x, a.y, b.x, b.y);\n\
             }\n"
        }
        Precision::F64 => {
            "fn st_pair_normals(w: vec4<u32>, half: u32) -> vec2<f64> {\n\
             \x20   return st_box_muller(st_uniform(w.x, w.y), st_uniform(w.z, w.w));\n\
             }\n\
             fn st_normals(w: vec4<u32>) -> array<f64, 2> {\n\
             \x20   let a = st_pair_normals(w, 0u);\n\
             \x20   return array<f64, 2>(a.x, a.y);\n\
             }\n"
        }
    });
    s
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

/// The compile-time shape of a study kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSpec {
    pub precision: Precision,
    pub rule: Rule,
    pub adam: bool,
    pub noise: bool,
    pub d1: usize,
    pub d2: usize,
    pub np: usize,
    /// Number of players (leader + followers).
    pub players: usize,
    /// Mirror the CPU engine's small-state kernel
    /// ([`crate::dynamics::small_field`]: d2 = 2 by Cramer's rule, LOLA's
    /// gamma2 applied to D2 f1 first) instead of the general step.
    pub small: bool,
}

/// The whole study kernel: prelude, rng, the game's module, the step loop.
pub fn study_kernel(spec: &KernelSpec, game_wgsl: &str) -> String {
    let p = spec.precision;
    let n = spec.d1 + spec.d2;
    let npa = spec.np.max(1);
    let row = spec.players + 2;
    let pairs = crate::rng::pairs_per_state(n);
    let mut s = scalar_prelude(p);
    s.push_str(PHILOX_WGSL);
    s.push_str(&normals_wgsl(p));
    let _ = write!(
        s,
        "\n@group(0) @binding(0) var<storage, read> cfg: array<u32>;\n\
         @group(0) @binding(1) var<storage, read> fp: array<S>;\n\
         @group(0) @binding(2) var<storage, read> tab: array<S>;\n\
         @group(0) @binding(3) var<storage, read_write> xs: array<S>;\n\
         @group(0) @binding(4) var<storage, read_write> mv: array<S>;\n\
         @group(0) @binding(5) var<storage, read_write> st: array<u32>;\n\
         const N: u32 = {n}u;\n\
         const D1: u32 = {d1}u;\n\
         const D2: u32 = {d2}u;\n\
         const NPA: u32 = {npa}u;\n\
         const ROW: u32 = {row}u;\n\
         const FP_SIGMA: u32 = NPA;\n\
         const FP_BOUND: u32 = NPA + N;\n\
         const FP_ETA: u32 = NPA + N + 1u;\n\
         const FP_ADAM: u32 = NPA + N + 2u;\n\
         const FP_TARGET: u32 = NPA + N + 5u;\n\
         const FP_EPS: u32 = NPA + 2u * N + 5u;\n\
         const FP_NTOL: u32 = NPA + 2u * N + 6u;\n\
         const CFG_PLAYER: u32 = {hdr}u;\n\
         const ST: u32 = {stw}u;\n\
         const CFG_ANGLE: u32 = {hdr}u + N;\n\
         \n\
         fn st_dist(x: array<S, N>) -> S {{\n\
         \x20   var s = S(0.0);\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       var d = x[i] - fp[FP_TARGET + i];\n\
         \x20       if (cfg[CFG_ANGLE + i] != 0u) {{\n\
         \x20           d = st_wrap_angle(d);\n\
         \x20       }}\n\
         \x20       s += d * d;\n\
         \x20   }}\n\
         \x20   return sqrt(s);\n\
         }}\n\
         \n\
         @compute @workgroup_size({wg})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{\n\
         \x20   let j = gid.x + gid.y * nwg.x * {wg}u;\n\
         \x20   let count = cfg[0];\n\
         \x20   if (j >= count || st[ST * j] != 0u) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         \x20   let tlo = cfg[1] + j;\n\
         \x20   let thi = cfg[2] + select(0u, 1u, tlo < cfg[1]);\n\
         \x20   let step0 = cfg[3];\n\
         \x20   let nsteps = cfg[4];\n\
         \x20   let key = vec2<u32>(cfg[5], cfg[6]);\n\
         \x20   let has_target = cfg[7] != 0u;\n\
         \x20   var x: array<S, N>;\n\
         \x20   var p: array<S, NPA>;\n\
         \x20   var m: array<S, N>;\n\
         \x20   var v: array<S, N>;\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       x[i] = xs[j * N + i];\n\
         \x20   }}\n\
         \x20   for (var i = 0u; i < NPA; i++) {{\n\
         \x20       p[i] = fp[i];\n\
         \x20   }}\n\
         \x20   var sigma: array<S, N>;\n\
         \x20   var player: array<u32, N>;\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       sigma[i] = fp[FP_SIGMA + i];\n\
         \x20       player[i] = cfg[CFG_PLAYER + i];\n\
         \x20   }}\n",
        d1 = spec.d1,
        d2 = spec.d2,
        hdr = CFG_HEADER,
        stw = ST_WORDS,
        wg = WORKGROUP,
    );
    if spec.adam {
        s.push_str(
            "    for (var i = 0u; i < N; i++) {\n\
             \x20       m[i] = mv[2u * j * N + i];\n\
             \x20       v[i] = mv[2u * j * N + N + i];\n\
             \x20   }\n\
             \x20   let beta1 = fp[FP_ADAM];\n\
             \x20   let beta2 = fp[FP_ADAM + 1u];\n\
             \x20   let adam_eps = fp[FP_ADAM + 2u];\n",
        );
    }
    s.push_str(
        "    let eta = fp[FP_ETA];\n\
         \x20   let bound = fp[FP_BOUND];\n\
         \x20   let lock_eps = fp[FP_EPS];\n\
         \x20   var lock = st[ST * j + 2u];\n\
         \x20   var newton_failures = st[ST * j + 3u];\n\
         \x20   var fate = 0u;\n\
         \x20   var fate_step = 0u;\n\
         \x20   var cw = vec4<u32>(0u);\n\
         \x20   var cb = vec2<u32>(0xffffffffu);\n\
         \x20   for (var s = 0u; s < nsteps; s++) {\n\
         \x20       let k = step0 + s;\n\
         \x20       let row = s * ROW;\n\
         \x20       let prev = x;\n\
         \x20       var g: array<S, N>;\n",
    );
    match spec.rule {
        Rule::Simultaneous => s.push_str("        g = game_omega(x, p);\n"),
        Rule::TwoTimescale if spec.small && spec.d2 == 2 => s.push_str(
            "        var q = game_stackelberg_parts(x, p);\n\
             \x20       let h00 = q.d22f2[0] + eta;\n\
             \x20       let h01 = q.d22f2[1];\n\
             \x20       let h10 = q.d22f2[2];\n\
             \x20       let h11 = q.d22f2[3] + eta;\n\
             \x20       let det = h00 * h11 - h01 * h10;\n\
             \x20       if (det == S(0.0) || !st_finite(det)) {\n\
             \x20           fate = 3u;\n\
             \x20           fate_step = k;\n\
             \x20           break;\n\
             \x20       }\n\
             \x20       let l0 = (h11 * q.d2f1[0] - h10 * q.d2f1[1]) / det;\n\
             \x20       let l1 = (h00 * q.d2f1[1] - h01 * q.d2f1[0]) / det;\n\
             \x20       for (var i = 0u; i < D1; i++) {\n\
             \x20           var acc = q.d21f2[i] * l0;\n\
             \x20           acc += q.d21f2[D1 + i] * l1;\n\
             \x20           g[i] = q.d1f1[i] - acc;\n\
             \x20       }\n\
             \x20       g[D1] = q.d2f2[0];\n\
             \x20       g[D1 + 1u] = q.d2f2[1];\n",
        ),
        Rule::TwoTimescale => s.push_str(
            "        let field = game_omega_s(x, p, eta);\n\
             \x20       if (!field.ok) {\n\
             \x20           fate = 3u;\n\
             \x20           fate_step = k;\n\
             \x20           break;\n\
             \x20       }\n\
             \x20       g = field.v;\n",
        ),
        Rule::Lola if spec.small => s.push_str(
            "        var q = game_stackelberg_parts(x, p);\n\
             \x20       let gamma2 = tab[row + 1u];\n\
             \x20       for (var i = 0u; i < D1; i++) {\n\
             \x20           var acc = q.d21f2[i] * (gamma2 * q.d2f1[0]);\n\
             \x20           for (var a = 1u; a < D2; a++) {\n\
             \x20               acc += q.d21f2[a * D1 + i] * (gamma2 * q.d2f1[a]);\n\
             \x20           }\n\
             \x20           g[i] = q.d1f1[i] - acc;\n\
             \x20       }\n\
             \x20       for (var i = 0u; i < D2; i++) {\n\
             \x20           g[D1 + i] = q.d2f2[i];\n\
             \x20       }\n",
        ),
        Rule::Lola => s.push_str(
            "        var q = game_stackelberg_parts(x, p);\n\
             \x20       let gamma2 = tab[row + 1u];\n\
             \x20       for (var i = 0u; i < D1; i++) {\n\
             \x20           var acc = S(0.0);\n\
             \x20           for (var a = 0u; a < D2; a++) {\n\
             \x20               acc += q.d21f2[a * D1 + i] * q.d2f1[a];\n\
             \x20           }\n\
             \x20           g[i] = q.d1f1[i] - gamma2 * acc;\n\
             \x20       }\n\
             \x20       for (var i = 0u; i < D2; i++) {\n\
             \x20           g[D1 + i] = q.d2f2[i];\n\
             \x20       }\n",
        ),
        Rule::BestResponse => {
            s.push_str(&best_response_wgsl(spec.d2));
            s.push_str(
                "        let field = game_omega_s(x, p, eta);\n\
                 \x20       if (!field.ok) {\n\
                 \x20           x = prev;\n\
                 \x20           fate = 3u;\n\
                 \x20           fate_step = k;\n\
                 \x20           break;\n\
                 \x20       }\n\
                 \x20       g = field.v;\n",
            );
        }
    }
    if spec.noise {
        // pair i = k P + q of the trajectory's stream lies in block i / PER
        // at half i mod PER (crate::rng); the block of the previous pair is
        // kept in (cw, cb)
        let block = match p {
            Precision::F32 => {
                "            let blo = (ilo >> 1u) | (ihi << 31u);\n\
                 \x20           let bhi = ihi >> 1u;\n\
                 \x20           let half = ilo & 1u;\n"
            }
            Precision::F64 => {
                "            let blo = ilo;\n\
                 \x20           let bhi = ihi;\n\
                 \x20           let half = 0u;\n"
            }
        };
        let _ = write!(
            s,
            "        var z: array<S, {zn}>;\n\
             \x20       let kp = st_mulhilo(k, {pairs}u);\n\
             \x20       for (var q = 0u; q < {pairs}u; q++) {{\n\
             \x20           let ilo = kp.y + q;\n\
             \x20           let ihi = kp.x + select(0u, 1u, ilo < kp.y);\n\
             {block}\
             \x20           if (blo != cb.x || bhi != cb.y) {{\n\
             \x20               cw = st_philox(vec4<u32>(blo, tlo, thi, bhi & 0x00ffffffu), key);\n\
             \x20               cb = vec2<u32>(blo, bhi);\n\
             \x20           }}\n\
             \x20           let pr = st_pair_normals(cw, half);\n\
             \x20           z[2u * q] = pr.x;\n\
             \x20           z[2u * q + 1u] = pr.y;\n\
             \x20       }}\n\
             \x20       for (var i = 0u; i < N; i++) {{\n\
             \x20           g[i] = g[i] + sigma[i] * z[i];\n\
             \x20       }}\n",
            zn = 2 * pairs,
        );
    }
    let update_to = if spec.rule == Rule::BestResponse {
        "D1"
    } else {
        "N"
    };
    let _ = writeln!(s, "        for (var i = 0u; i < {update_to}; i++) {{");
    s.push_str("            let gain = tab[row + player[i]];\n");
    if spec.adam {
        s.push_str(
            "            m[i] = beta1 * m[i] + (S(1.0) - beta1) * g[i];\n\
             \x20           v[i] = beta2 * v[i] + (S(1.0) - beta2) * g[i] * g[i];\n\
             \x20           let mh = m[i] / tab[row + ROW - 2u];\n\
             \x20           let vh = v[i] / tab[row + ROW - 1u];\n\
             \x20           x[i] = x[i] - gain * mh / (sqrt(vh) + adam_eps);\n",
        );
    } else {
        s.push_str("            x[i] = x[i] - gain * g[i];\n");
    }
    s.push_str(
        "        }\n\
         \x20       x = game_wrap(x);\n\
         \x20       var bad = false;\n\
         \x20       var far = false;\n\
         \x20       for (var i = 0u; i < N; i++) {\n\
         \x20           bad = bad || !(abs(x[i]) <= ST_GUARD);\n\
         \x20           far = far || abs(x[i]) > bound;\n\
         \x20       }\n\
         \x20       if (bad) {\n\
         \x20           x = prev;\n\
         \x20           fate = 2u;\n\
         \x20           fate_step = k;\n\
         \x20           break;\n\
         \x20       }\n\
         \x20       if (far) {\n\
         \x20           fate = 1u;\n\
         \x20           fate_step = k;\n\
         \x20           break;\n\
         \x20       }\n\
         \x20       if (has_target && st_dist(x) > lock_eps) {\n\
         \x20           lock = k + 2u;\n\
         \x20       }\n\
         \x20   }\n\
         \x20   for (var i = 0u; i < N; i++) {\n\
         \x20       xs[j * N + i] = x[i];\n\
         \x20   }\n",
    );
    if spec.adam {
        s.push_str(
            "    for (var i = 0u; i < N; i++) {\n\
             \x20       mv[2u * j * N + i] = m[i];\n\
             \x20       mv[2u * j * N + N + i] = v[i];\n\
             \x20   }\n",
        );
    }
    s.push_str(
        "    st[ST * j] = fate;\n\
         \x20   st[ST * j + 1u] = fate_step;\n\
         \x20   st[ST * j + 2u] = lock;\n\
         \x20   st[ST * j + 3u] = newton_failures;\n\
         }\n\n",
    );
    s.push_str(game_wgsl);
    s
}

/// A kernel writing, for invocation j < count, the Philox block of counter
/// (cfg[1] + j, cfg[2], cfg[3], cfg[4]) under key (cfg[5], cfg[6]) into
/// `words[4j..4j+4]` and its normals into `out[PER j..]` (diagnostics and
/// the rng tests). The counter's first word varies with j.
pub fn rng_kernel(p: Precision) -> String {
    let mut helpers = String::from(PHILOX_WGSL);
    helpers.push_str(&normals_wgsl(p));
    diagnostics_kernel(
        p,
        &helpers,
        "    let w = st_philox(vec4<u32>(cfg[1] + j, cfg[2], cfg[3], cfg[4]), vec2<u32>(cfg[5], cfg[6]));\n\
         \x20   words[4u * j] = w.x;\n\
         \x20   words[4u * j + 1u] = w.y;\n\
         \x20   words[4u * j + 2u] = w.z;\n\
         \x20   words[4u * j + 3u] = w.w;\n\
         \x20   let z = st_normals(w);\n\
         \x20   for (var e = 0u; e < ST_NORMALS; e++) {\n\
         \x20       out[ST_NORMALS * j + e] = z[e];\n\
         \x20   }\n",
    )
}

/// The prelude, `helpers`, the three diagnostics bindings (`cfg`, `words`,
/// `out`) and an entry point running `body` for invocation j < cfg[0].
fn diagnostics_kernel(p: Precision, helpers: &str, body: &str) -> String {
    let mut s = scalar_prelude(p);
    s.push_str(helpers);
    let _ = write!(
        s,
        "@group(0) @binding(0) var<storage, read> cfg: array<u32>;\n\
         @group(0) @binding(1) var<storage, read_write> words: array<u32>;\n\
         @group(0) @binding(2) var<storage, read_write> out: array<S>;\n\
         @compute @workgroup_size({wg})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
         \x20   let j = gid.x;\n\
         \x20   if (j >= cfg[0]) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         {body}\
         }}\n",
        wg = WORKGROUP,
    );
    s
}

/// x2 <- r(x1) in the step loop of a study kernel: the damped Newton
/// iteration of [`crate::dynamics::best_response`] on D2 f2(x1, .) = 0, warm
/// started at the current x2, operation for operation (inf-norms with its
/// NaN-blind `max`, the LU of [`crate::linalg::Lu`] with partial pivoting and
/// its singularity test, the same line search); a failure increments
/// `newton_failures` and the step goes on with the best iterate.
fn best_response_wgsl(d2: usize) -> String {
    let mut s = String::from(
        "        {\n\
         \x20           let atol = fp[FP_NTOL];\n\
         \x20           let rtol = select(S(4.0) * ST_EPS, atol, atol >= S(4.0) * ST_EPS);\n\
         \x20           var om = game_omega(x, p);\n\
         \x20           var norm = S(0.0);\n\
         \x20           for (var a = 0u; a < D2; a++) {\n\
         \x20               norm = select(abs(om[D1 + a]), norm, norm >= abs(om[D1 + a]));\n\
         \x20           }\n\
         \x20           var failed = false;\n\
         \x20           var converged = false;\n\
         \x20           for (var it = 0u; it < cfg[8]; it++) {\n\
         \x20               if (!st_finite(norm)) {\n\
         \x20                   failed = true;\n\
         \x20                   break;\n\
         \x20               }\n\
         \x20               if (norm <= atol) {\n\
         \x20                   converged = true;\n\
         \x20                   break;\n\
         \x20               }\n\
         \x20               let q = game_stackelberg_parts(x, p);\n\
         \x20               var lu = q.d22f2;\n\
         \x20               var lam: array<S, D2>;\n\
         \x20               for (var a = 0u; a < D2; a++) {\n\
         \x20                   lam[a] = om[D1 + a];\n\
         \x20               }\n\
         \x20               var ok = true;\n",
    );
    if d2 == 1 {
        s.push_str(
            "                ok = lu[0] != S(0.0) && st_finite(lu[0]);\n\
             \x20               lam[0] = lam[0] / lu[0];\n",
        );
    } else {
        let _ = write!(
            s,
            "                var piv: array<u32, {d2}>;\n\
             \x20               var scale = S(0.0);\n\
             \x20               for (var e = 0u; e < {nn}u; e++) {{\n\
             \x20                   scale = select(abs(lu[e]), scale, scale >= abs(lu[e]));\n\
             \x20               }}\n\
             \x20               let tol = S({d2}.0) * ST_EPS * scale;\n\
             \x20               for (var c = 0u; c < {d2}u && ok; c++) {{\n\
             \x20                   var pc = c;\n\
             \x20                   var best = abs(lu[c * {d2}u + c]);\n\
             \x20                   for (var i = c + 1u; i < {d2}u; i++) {{\n\
             \x20                       let v = abs(lu[i * {d2}u + c]);\n\
             \x20                       if (v > best) {{\n\
             \x20                           best = v;\n\
             \x20                           pc = i;\n\
             \x20                       }}\n\
             \x20                   }}\n\
             \x20                   if (best <= tol || !st_finite(best) || best == S(0.0)) {{\n\
             \x20                       ok = false;\n\
             \x20                       break;\n\
             \x20                   }}\n\
             \x20                   piv[c] = pc;\n\
             \x20                   if (pc != c) {{\n\
             \x20                       for (var jj = 0u; jj < {d2}u; jj++) {{\n\
             \x20                           let t = lu[c * {d2}u + jj];\n\
             \x20                           lu[c * {d2}u + jj] = lu[pc * {d2}u + jj];\n\
             \x20                           lu[pc * {d2}u + jj] = t;\n\
             \x20                       }}\n\
             \x20                   }}\n\
             \x20                   let d = lu[c * {d2}u + c];\n\
             \x20                   for (var i = c + 1u; i < {d2}u; i++) {{\n\
             \x20                       let f = lu[i * {d2}u + c] / d;\n\
             \x20                       lu[i * {d2}u + c] = f;\n\
             \x20                       if (f != S(0.0)) {{\n\
             \x20                           for (var jj = c + 1u; jj < {d2}u; jj++) {{\n\
             \x20                               lu[i * {d2}u + jj] -= f * lu[c * {d2}u + jj];\n\
             \x20                           }}\n\
             \x20                       }}\n\
             \x20                   }}\n\
             \x20               }}\n\
             \x20               if (ok) {{\n\
             \x20                   for (var c = 0u; c < {d2}u; c++) {{\n\
             \x20                       let t = lam[c];\n\
             \x20                       lam[c] = lam[piv[c]];\n\
             \x20                       lam[piv[c]] = t;\n\
             \x20                   }}\n\
             \x20                   for (var i = 0u; i < {d2}u; i++) {{\n\
             \x20                       var acc = lam[i];\n\
             \x20                       for (var jj = 0u; jj < i; jj++) {{\n\
             \x20                           acc -= lu[i * {d2}u + jj] * lam[jj];\n\
             \x20                       }}\n\
             \x20                       lam[i] = acc;\n\
             \x20                   }}\n\
             \x20                   for (var ii = 0u; ii < {d2}u; ii++) {{\n\
             \x20                       let i = {last}u - ii;\n\
             \x20                       var acc = lam[i];\n\
             \x20                       for (var jj = i + 1u; jj < {d2}u; jj++) {{\n\
             \x20                           acc -= lu[i * {d2}u + jj] * lam[jj];\n\
             \x20                       }}\n\
             \x20                       lam[i] = acc / lu[i * {d2}u + i];\n\
             \x20                   }}\n\
             \x20               }}\n",
            nn = d2 * d2,
            last = d2 - 1,
        );
    }
    s.push_str(
        "                if (!ok) {\n\
         \x20                   failed = true;\n\
         \x20                   break;\n\
         \x20               }\n\
         \x20               var lnorm = S(0.0);\n\
         \x20               var xnorm = S(0.0);\n\
         \x20               for (var a = 0u; a < D2; a++) {\n\
         \x20                   lnorm = select(abs(lam[a]), lnorm, lnorm >= abs(lam[a]));\n\
         \x20                   xnorm = select(abs(x[D1 + a]), xnorm, xnorm >= abs(x[D1 + a]));\n\
         \x20               }\n\
         \x20               let small = lnorm <= rtol * (S(1.0) + xnorm);\n\
         \x20               var alpha = S(1.0);\n\
         \x20               var accepted = false;\n\
         \x20               for (var ls = 0u; ls < 30u; ls++) {\n\
         \x20                   var trial = x;\n\
         \x20                   for (var a = 0u; a < D2; a++) {\n\
         \x20                       trial[D1 + a] = x[D1 + a] - alpha * lam[a];\n\
         \x20                   }\n\
         \x20                   let tom = game_omega(trial, p);\n\
         \x20                   var tn = S(0.0);\n\
         \x20                   for (var a = 0u; a < D2; a++) {\n\
         \x20                       tn = select(abs(tom[D1 + a]), tn, tn >= abs(tom[D1 + a]));\n\
         \x20                   }\n\
         \x20                   if (st_finite(tn) && tn < norm) {\n\
         \x20                       x = trial;\n\
         \x20                       om = tom;\n\
         \x20                       norm = tn;\n\
         \x20                       accepted = true;\n\
         \x20                       break;\n\
         \x20                   }\n\
         \x20                   alpha = alpha * S(0.5);\n\
         \x20               }\n\
         \x20               if (small) {\n\
         \x20                   converged = true;\n\
         \x20                   break;\n\
         \x20               }\n\
         \x20               if (!accepted) {\n\
         \x20                   failed = true;\n\
         \x20                   break;\n\
         \x20               }\n\
         \x20           }\n\
         \x20           if (failed || (!converged && !(norm <= atol))) {\n\
         \x20               newton_failures += 1u;\n\
         \x20           }\n\
         \x20       }\n",
    );
    s
}

/// A kernel that evaluates the prelude's transcendental functions: for
/// invocation j < cfg[0], with x = out[6j] and y = out[6j + 1], it writes
/// (exp x, ln x, sin x, cos x, tan x, pow(x, y)) to out[6j..6j + 6]
/// (diagnostics and the accuracy tests; `words` is unused).
pub fn math_kernel(p: Precision) -> String {
    diagnostics_kernel(
        p,
        "",
        "    let x = out[6u * j];\n\
         \x20   let y = out[6u * j + 1u];\n\
         \x20   out[6u * j] = st_exp(x);\n\
         \x20   out[6u * j + 1u] = st_ln(x);\n\
         \x20   out[6u * j + 2u] = st_sin(x);\n\
         \x20   out[6u * j + 3u] = st_cos(x);\n\
         \x20   out[6u * j + 4u] = st_tan(x);\n\
         \x20   out[6u * j + 5u] = st_pow(x, y);\n",
    )
}

/// The bench's ceiling: the least work a noisy study kernel does, with no
/// game. For invocation j < cfg[0] (index j = gid.x + gid.y nwg.x WG), steps
/// cfg[1]..cfg[1] + cfg[2] of x_i <- x_i - 2^-7 (x_i + z_i) on `n`
/// coordinates kept in registers, the normals z drawn per step exactly as a
/// study kernel draws them (Philox4x32-10 under key (cfg[3], cfg[4]),
/// Box-Muller, blocks shared across steps in f32); states live in `out`
/// (`out[j n + i]`; `words` unused).
pub fn ceiling_kernel(p: Precision, n: usize) -> String {
    let pairs = crate::rng::pairs_per_state(n);
    let block = match p {
        Precision::F32 => {
            "            let blo = (ilo >> 1u) | (ihi << 31u);\n\
             \x20           let bhi = ihi >> 1u;\n\
             \x20           let half = ilo & 1u;\n"
        }
        Precision::F64 => {
            "            let blo = ilo;\n\
             \x20           let bhi = ihi;\n\
             \x20           let half = 0u;\n"
        }
    };
    let mut s = scalar_prelude(p);
    s.push_str(PHILOX_WGSL);
    s.push_str(&normals_wgsl(p));
    let _ = write!(
        s,
        "@group(0) @binding(0) var<storage, read> cfg: array<u32>;\n\
         @group(0) @binding(1) var<storage, read_write> words: array<u32>;\n\
         @group(0) @binding(2) var<storage, read_write> out: array<S>;\n\
         const N: u32 = {n}u;\n\
         @compute @workgroup_size({wg})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{\n\
         \x20   let j = gid.x + gid.y * nwg.x * {wg}u;\n\
         \x20   if (j >= cfg[0]) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         \x20   let key = vec2<u32>(cfg[3], cfg[4]);\n\
         \x20   var x: array<S, N>;\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       x[i] = out[j * N + i];\n\
         \x20   }}\n\
         \x20   var cw = vec4<u32>(0u);\n\
         \x20   var cb = vec2<u32>(0xffffffffu);\n\
         \x20   for (var s = 0u; s < cfg[2]; s++) {{\n\
         \x20       let k = cfg[1] + s;\n\
         \x20       var z: array<S, {zn}>;\n\
         \x20       let kp = st_mulhilo(k, {pairs}u);\n\
         \x20       for (var q = 0u; q < {pairs}u; q++) {{\n\
         \x20           let ilo = kp.y + q;\n\
         \x20           let ihi = kp.x + select(0u, 1u, ilo < kp.y);\n\
         {block}\
         \x20           if (blo != cb.x || bhi != cb.y) {{\n\
         \x20               cw = st_philox(vec4<u32>(blo, j, 0u, bhi & 0x00ffffffu), key);\n\
         \x20               cb = vec2<u32>(blo, bhi);\n\
         \x20           }}\n\
         \x20           let pr = st_pair_normals(cw, half);\n\
         \x20           z[2u * q] = pr.x;\n\
         \x20           z[2u * q + 1u] = pr.y;\n\
         \x20       }}\n\
         \x20       for (var i = 0u; i < N; i++) {{\n\
         \x20           x[i] = x[i] - S(0.0078125) * (x[i] + z[i]);\n\
         \x20       }}\n\
         \x20   }}\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       out[j * N + i] = x[i];\n\
         \x20   }}\n\
         }}\n",
        wg = WORKGROUP,
        zn = 2 * pairs,
    );
    s
}
