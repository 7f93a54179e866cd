//! The study kernel: one trajectory per invocation, many steps per dispatch,
//! the step loop of [`crate::dynamics::step`].

use super::{
    normals_wgsl, scalar_prelude, step_normals_wgsl, Precision, CFG_HEADER, PHILOX_WGSL, ST_WORDS,
    WORKGROUP,
};
use crate::dynamics::Rule;
use std::fmt::Write;

/// The compile-time shape of a study kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSpec {
    /// Scalar type of the kernel.
    pub precision: Precision,
    /// The learning rule of the step.
    pub rule: Rule,
    /// Adam moments on the step (else plain gradient steps).
    pub adam: bool,
    /// Gaussian noise sigma_i z_i added to the field.
    pub noise: bool,
    /// Leader dimension d1.
    pub d1: usize,
    /// Follower dimension d2.
    pub d2: usize,
    /// Number of game params np.
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
        "\nconst N: u32 = {n}u;\n\
         const D1: u32 = {d1}u;\n\
         const D2: u32 = {d2}u;\n\
         const NPA: u32 = {npa}u;\n\
         const ROW: u32 = {row}u;\n\
         const CONFIG_PLAYER: u32 = {hdr}u;\n\
         const FATE_WORDS: u32 = {stw}u;\n\
         {layout}\n\
         @compute @workgroup_size({wg})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{\n\
         \x20   let j = gid.x + gid.y * nwg.x * {wg}u;\n\
         \x20   let count = config[0];\n\
         \x20   if (j >= count || fates[FATE_WORDS * j] != 0u) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         \x20   let tlo = config[1] + j;\n\
         \x20   let thi = config[2] + select(0u, 1u, tlo < config[1]);\n\
         \x20   let step0 = config[3];\n\
         \x20   let nsteps = config[4];\n\
         \x20   let key = vec2<u32>(config[5], config[6]);\n\
         \x20   let has_target = config[7] != 0u;\n\
         \x20   var x: array<S, N>;\n\
         \x20   var p: array<S, NPA>;\n\
         \x20   var m: array<S, N>;\n\
         \x20   var v: array<S, N>;\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       x[i] = states[j * N + i];\n\
         \x20   }}\n\
         \x20   for (var i = 0u; i < NPA; i++) {{\n\
         \x20       p[i] = settings[i];\n\
         \x20   }}\n\
         \x20   var sigma: array<S, N>;\n\
         \x20   var player: array<u32, N>;\n\
         \x20   for (var i = 0u; i < N; i++) {{\n\
         \x20       sigma[i] = settings[SETTINGS_SIGMA + i];\n\
         \x20       player[i] = config[CONFIG_PLAYER + i];\n\
         \x20   }}\n",
        d1 = spec.d1,
        d2 = spec.d2,
        hdr = CFG_HEADER,
        stw = ST_WORDS,
        wg = WORKGROUP,
        layout = include_str!("study.wgsl"),
    );
    if spec.adam {
        s.push_str(include_str!("step/adam_load.wgsl"));
    }
    s.push_str(include_str!("step/loop_head.wgsl"));
    match spec.rule {
        Rule::Simultaneous => s.push_str("        g = game_omega(x, p);\n"),
        Rule::TwoTimescale if spec.small && spec.d2 == 2 => {
            s.push_str(include_str!("step/two_timescale_small.wgsl"))
        }
        Rule::TwoTimescale => s.push_str(include_str!("step/two_timescale.wgsl")),
        Rule::Lola if spec.small => s.push_str(include_str!("step/lola_small.wgsl")),
        Rule::Lola => s.push_str(include_str!("step/lola.wgsl")),
        Rule::BestResponse => {
            s.push_str(best_response_wgsl());
            s.push_str(include_str!("step/best_response_field.wgsl"));
        }
        Rule::Staggered => unreachable!("the GPU engine rejects staggered play before building"),
    }
    if spec.noise {
        s.push_str(&step_normals_wgsl(p, pairs, "tlo, thi"));
        s.push_str(
            "        for (var i = 0u; i < N; i++) {\n\
             \x20           g[i] = g[i] + sigma[i] * z[i];\n\
             \x20       }\n",
        );
    }
    let update_to = if spec.rule == Rule::BestResponse {
        "D1"
    } else {
        "N"
    };
    let _ = writeln!(s, "        for (var i = 0u; i < {update_to}; i++) {{");
    s.push_str("            let gain = schedule[row + player[i]];\n");
    if spec.adam {
        s.push_str(include_str!("step/adam_update.wgsl"));
    } else {
        s.push_str("            x[i] = x[i] - gain * g[i];\n");
    }
    s.push_str(include_str!("step/update_tail.wgsl"));
    if spec.adam {
        s.push_str(include_str!("step/adam_store.wgsl"));
    }
    s.push_str(include_str!("step/store_fates.wgsl"));
    s.push_str(game_wgsl);
    s
}

/// x2 <- r(x1) in the step loop of a study kernel: the damped Newton
/// iteration of [`crate::dynamics::best_response`] on D2 f2(x1, .) = 0, warm
/// started at the current x2, operation for operation (inf-norms with its
/// NaN-blind `max`, the game module's follower solve `game_lu_factor` and
/// `game_lu_solve`, the WGSL copy of [`crate::linalg::Lu`], and its singularity test, the same line search); a failure increments
/// `newton_failures` and the step goes on with the best iterate.
fn best_response_wgsl() -> &'static str {
    include_str!("best_response.wgsl")
}
