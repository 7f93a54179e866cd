//! Philox4x32-10 and the uniform -> normal mapping of [`crate::rng`] in WGSL.

use super::{horner_wgsl, lit, q32, q64, Precision};
use crate::rng::coefficients::*;
use std::fmt::Write;

/// Philox4x32-10 with 16-bit-split multiplies ([`crate::rng::mulhilo32_split16`]).
pub const PHILOX_WGSL: &str = include_str!("philox.wgsl");

/// `st_pair_normals(w, half) -> vec2<S>` (Box-Muller of one pair) and
/// `st_normals(w) -> array<S, PER>` ([`crate::rng::NoiseFloat::normals`]) in WGSL.
pub fn normals_wgsl(p: Precision) -> String {
    let mut s = String::new();
    s.push_str(include_str!("quadrant.wgsl"));
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
            include_str!("f64_uniform_split.wgsl")
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
            include_str!("normals_f32.wgsl")
        }
        Precision::F64 => {
            include_str!("normals_f64.wgsl")
        }
    });
    s
}

/// The normals `z: array<S, 2 pairs>` of step `k` inside a kernel's step
/// loop (8-space indent), as [`crate::rng`] draws them: pair i = k P + q of
/// the trajectory's stream lies in Philox block i / PER at half i mod PER;
/// the block of the previous pair is kept in `(cw, cb)`. `counter` is the
/// WGSL of the counter's middle words (the trajectory index, lo and hi).
/// The study kernel and the bench's ceiling kernel share it.
pub fn step_normals_wgsl(p: Precision, pairs: usize, counter: &str) -> String {
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
    format!(
        "        var z: array<S, {zn}>;\n\
         \x20       let kp = st_mulhilo(k, {pairs}u);\n\
         \x20       for (var q = 0u; q < {pairs}u; q++) {{\n\
         \x20           let ilo = kp.y + q;\n\
         \x20           let ihi = kp.x + select(0u, 1u, ilo < kp.y);\n\
         {block}\
         \x20           if (blo != cb.x || bhi != cb.y) {{\n\
         \x20               cw = st_philox(vec4<u32>(blo, {counter}, bhi & 0x00ffffffu), key);\n\
         \x20               cb = vec2<u32>(blo, bhi);\n\
         \x20           }}\n\
         \x20           let pr = st_pair_normals(cw, half);\n\
         \x20           z[2u * q] = pr.x;\n\
         \x20           z[2u * q + 1u] = pr.y;\n\
         \x20       }}\n",
        zn = 2 * pairs,
    )
}
