//! Kernels of the diagnostics, tests and benches: the rng words and normals,
//! the transcendental functions, and the bench's ceiling.

use super::{normals_wgsl, scalar_prelude, step_normals_wgsl, Precision, PHILOX_WGSL, WORKGROUP};
use std::fmt::Write;

/// The `config`, `words` and `values` bindings of every diagnostics kernel.
const BINDINGS: &str = include_str!("diagnostics.wgsl");

/// A kernel writing, for invocation j < count, the Philox block of counter
/// `(config[1] + j, config[2], config[3], config[4])` under key
/// `(config[5], config[6])` into
/// `words[4j..4j+4]` and its normals into `values[PER j..]` (diagnostics and
/// the rng tests). The counter's first word varies with j.
pub fn rng_kernel(p: Precision) -> String {
    let mut helpers = String::from(PHILOX_WGSL);
    helpers.push_str(&normals_wgsl(p));
    diagnostics_kernel(p, &helpers, include_str!("diagnostics_rng.wgsl"))
}

/// The prelude, `helpers`, the three diagnostics bindings (`config`, `words`,
/// `values`) and an entry point running `body` for invocation j < config[0].
fn diagnostics_kernel(p: Precision, helpers: &str, body: &str) -> String {
    let mut s = scalar_prelude(p);
    s.push_str(helpers);
    let _ = write!(
        s,
        "{bindings}\
         @compute @workgroup_size({wg})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
         \x20   let j = gid.x;\n\
         \x20   if (j >= config[0]) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         {body}\
         }}\n",
        wg = WORKGROUP,
        bindings = BINDINGS,
    );
    s
}

/// A kernel that evaluates the prelude's transcendental functions: for
/// invocation j < `config[0]`, with x = `values[6j]` and y = `values[6j + 1]`,
/// it writes (exp x, ln x, sin x, cos x, tan x, pow(x, y)) to `values[6j..6j + 6]`
/// (diagnostics and the accuracy tests; `words` is unused).
pub fn math_kernel(p: Precision) -> String {
    diagnostics_kernel(p, "", include_str!("diagnostics_math.wgsl"))
}

/// The bench's ceiling: the least work a noisy study kernel does, with no
/// game. For invocation j < `config[0]` (index j = gid.x + gid.y nwg.x WG), steps
/// `config[1]..config[1] + config[2]` of x_i <- x_i - 2^-7 (x_i + z_i) on `n`
/// coordinates kept in registers, the normals z drawn per step exactly as a
/// study kernel draws them (Philox4x32-10 under key `(config[3], config[4])`,
/// Box-Muller, blocks shared across steps in f32); states live in `values`
/// (`values[j n + i]`; `words` unused).
pub fn ceiling_kernel(p: Precision, n: usize) -> String {
    let pairs = crate::rng::pairs_per_state(n);
    let mut s = scalar_prelude(p);
    s.push_str(PHILOX_WGSL);
    s.push_str(&normals_wgsl(p));
    let _ = write!(
        s,
        "{bindings}\
         const N: u32 = {n}u;\n\
         @compute @workgroup_size({wg})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{\n\
         \x20   let j = gid.x + gid.y * nwg.x * {wg}u;\n\
         \x20   if (j >= config[0]) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         \x20   let key = vec2<u32>(config[3], config[4]);\n\
         \x20   var x: array<S, N>;\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       x[i] = values[j * N + i];\n\
         \x20   }}\n\
         \x20   var cw = vec4<u32>(0u);\n\
         \x20   var cb = vec2<u32>(0xffffffffu);\n\
         \x20   for (var s = 0u; s < config[2]; s++) {{\n\
         \x20       let k = config[1] + s;\n\
         {normals}\
         \x20       for (var i = 0u; i < N; i++) {{\n\
         \x20           x[i] = x[i] - S(0.0078125) * (x[i] + z[i]);\n\
         \x20       }}\n\
         \x20   }}\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       values[j * N + i] = x[i];\n\
         \x20   }}\n\
         }}\n",
        wg = WORKGROUP,
        bindings = BINDINGS,
        normals = step_normals_wgsl(p, pairs, "j, 0u"),
    );
    s
}
