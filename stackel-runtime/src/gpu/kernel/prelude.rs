//! The scalar prelude every kernel starts with: `alias S`, its constants,
//! `st_wrap_angle` and the transcendental functions of the game modules.

use super::{horner_wgsl, lit, Precision};
use crate::rng::coefficients::*;
use std::fmt::Write;

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
    s.push_str(include_str!("f64_split.wgsl"));
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
    s.push_str(include_str!("f64_ldexp.wgsl"));
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
        "const ST_EXP_OVER: S = {over};\nconst ST_EXP_UNDER: S = {under};\n{body}",
        over = lit(p, over),
        under = lit(p, under),
        body = include_str!("special.wgsl"),
    )
}
