//! The study kernel of loop-form (large) games: one trajectory per
//! invocation, many steps per dispatch, the step loop of
//! [`crate::dynamics::step`] with every vector of the trajectory in a
//! storage buffer (a 1250-entry state does not belong in private arrays).
//!
//! The game's module is `stackel_symbolic::emit_wgsl_loops`'s (contract
//! there): its functions read and write the trajectory's work area through
//! `st_ld` / `st_st` at base offsets. The kernel's binding 4 (the Adam
//! moments of the unrolled kernel) is that work area, [`work_len`] scalars
//! per trajectory: x, the previous x, the field g, the normals z, then
//! Adam's m and v, then for the follower solve lambda (kept across steps
//! and dispatches: the warm start), r, p, q, D2 f1, B^T lambda, and one
//! scalar for the trajectory's largest relative residual.
//!
//! Two-timescale steps solve (H^T + eta I) lambda = D2 f1 by conjugate
//! gradients on `game_h_tmul`, operation for operation as
//! [`crate::krylov::Krylov::cg`] (start, stopping test, breakdown test,
//! report), then Df1 = D1 f1 - `game_b_tmul`(lambda). A solve that misses
//! the tolerance without `truncated` ends the trajectory with fate
//! [`FATE_NOT_CONVERGED`] at that step, its state untouched, as on the CPU.
//!
//! With [`LoopSpec::workgroup`] one workgroup runs one trajectory, its
//! threads sharing the game's loops (entries `lid, lid + WG, ...`), sums over
//! vectors reduced in workgroup memory (in another order than the CPU's, so
//! results differ at the rounding level) and barriers between phases. On
//! lavapipe (2 cores) it is 7-16x slower than one trajectory per invocation
//! (`examples/gpu_loops_bench`), which stays the default.
//!
//! Status words per trajectory ([`LOOP_WORDS`]): fate, its step, lock-in
//! step, (unused), then the follower solves' statistics: solves,
//! iterations, most iterations of one solve, solves that missed the
//! tolerance.

use super::{normals_wgsl, scalar_prelude, Precision, CFG_HEADER, PHILOX_WGSL, WORKGROUP};
use crate::dynamics::Rule;
use crate::krylov::KrylovOptions;
use std::fmt::Write;

/// The follower solve failed to reach its tolerance (not truncated).
pub const FATE_NOT_CONVERGED: u32 = 4;
/// Status words per trajectory of the loop-form kernel.
pub const LOOP_WORDS: usize = 8;

/// The compile-time shape of a loop-form study kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopSpec {
    /// Scalar type of the kernel.
    pub precision: Precision,
    /// Simultaneous gradient play or two-timescale Stackelberg.
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
    /// The follower solve (conjugate gradients), for two-timescale steps.
    pub krylov: KrylovOptions,
    /// One trajectory per workgroup (its threads share the loops) instead
    /// of one per invocation.
    pub workgroup: bool,
}

/// Offsets in a trajectory's work area (see the module docs).
struct Layout {
    x: usize,
    prev: usize,
    g: usize,
    z: usize,
    m: usize,
    v: usize,
    lam: usize,
    r: usize,
    p: usize,
    q: usize,
    b: usize,
    bt: usize,
    res: usize,
    len: usize,
}

fn layout(n: usize, d1: usize, d2: usize, pairs: usize) -> Layout {
    let x = 0;
    let prev = n;
    let g = 2 * n;
    let z = 3 * n;
    let m = z + 2 * pairs;
    let v = m + n;
    let lam = v + n;
    let (r, p, q, b) = (lam + d2, lam + 2 * d2, lam + 3 * d2, lam + 4 * d2);
    let bt = lam + 5 * d2;
    let res = bt + d1;
    Layout {
        x,
        prev,
        g,
        z,
        m,
        v,
        lam,
        r,
        p,
        q,
        b,
        bt,
        res,
        len: res + 1,
    }
}

/// Scalars of the work area per trajectory for a state of d1 + d2 entries.
pub fn work_len(d1: usize, d2: usize) -> usize {
    let n = d1 + d2;
    layout(n, d1, d2, crate::rng::pairs_per_state(n)).len
}

/// `v` as a WGSL literal of type `S` rounded to precision `p`.
fn scalar(p: Precision, v: f64) -> String {
    match p {
        Precision::F32 => format!("S({:?}f)", v as f32),
        Precision::F64 => {
            let t = format!("{v:?}");
            if t.contains('.') || t.contains('e') {
                format!("S({t})")
            } else {
                format!("S({t}.0)")
            }
        }
    }
}

/// The CG solve of (H^T + eta I) lambda = D2 f1 (see the module docs).
const CG_WGSL: &str = include_str!("loops/cg.wgsl");

/// The whole loop-form study kernel: prelude, rng, step loop, the game's
/// module.
pub fn loops_kernel(spec: &LoopSpec, game_wgsl: &str) -> String {
    let p = spec.precision;
    let (d1, d2) = (spec.d1, spec.d2);
    let n = d1 + d2;
    let pairs = crate::rng::pairs_per_state(n);
    let l = layout(n, d1, d2, pairs);
    let mut s = scalar_prelude(p);
    s.push_str(PHILOX_WGSL);
    s.push_str(&normals_wgsl(p));
    let k = &spec.krylov;
    let _ = write!(
        s,
        "\nconst N: u32 = {n}u;\n\
         const D1: u32 = {d1}u;\n\
         const D2: u32 = {d2}u;\n\
         const NPA: u32 = {npa}u;\n\
         const ROW: u32 = {row}u;\n\
         const CONFIG_PLAYER: u32 = {hdr}u;\n\
         const FATE_WORDS: u32 = {words}u;\n\
         const W: u32 = {w}u;\n\
         const OX: u32 = {ox}u;\n\
         const OPREV: u32 = {oprev}u;\n\
         const OG: u32 = {og}u;\n\
         const OZ: u32 = {oz}u;\n\
         const OM: u32 = {om}u;\n\
         const OV: u32 = {ov}u;\n\
         const OL: u32 = {olam}u;\n\
         const OR: u32 = {or}u;\n\
         const OP: u32 = {op}u;\n\
         const OQ: u32 = {oq}u;\n\
         const OB: u32 = {ob}u;\n\
         const OBT: u32 = {obt}u;\n\
         const ORES: u32 = {ores}u;\n\
         const KRYLOV_MAX_ITER: u32 = {maxit}u;\n\
         const KRYLOV_TOL: S = {tol};\n\
         const KRYLOV_WARM: bool = {warm};\n\
         const KRYLOV_TRUNCATED: bool = {trunc};\n\
         {layout}\n\
         {body}",
        npa = spec.np.max(1),
        row = spec.players + 2,
        hdr = CFG_HEADER,
        words = LOOP_WORDS,
        w = l.len,
        ox = l.x,
        oprev = l.prev,
        og = l.g,
        oz = l.z,
        om = l.m,
        ov = l.v,
        olam = l.lam,
        or = l.r,
        op = l.p,
        oq = l.q,
        ob = l.b,
        obt = l.bt,
        ores = l.res,
        maxit = k.max_iter,
        tol = scalar(p, k.tol),
        warm = k.warm_start,
        trunc = k.truncated,
        layout = include_str!("study.wgsl"),
        body = include_str!("loops/access.wgsl"),
    );
    s.push_str(CG_WGSL);
    if spec.workgroup {
        let _ = writeln!(s, "const WG: u32 = {WORKGROUP}u;");
        s.push_str(include_str!("loops/workgroup.wgsl"));
        s.push_str(&workgroup_main(spec, pairs));
        s.push_str(game_wgsl);
        return s;
    }
    let _ = write!(
        s,
        "@compute @workgroup_size({WORKGROUP})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{\n\
         \x20   let j = gid.x + gid.y * nwg.x * {WORKGROUP}u;\n"
    );
    s.push_str(include_str!("loops/head.wgsl"));
    if spec.adam {
        s.push_str(
            "    let beta1 = settings[SETTINGS_ADAM];\n\
             \x20   let beta2 = settings[SETTINGS_ADAM + 1u];\n\
             \x20   let adam_eps = settings[SETTINGS_ADAM + 2u];\n",
        );
    }
    s.push_str(include_str!("loops/loop_head.wgsl"));
    match spec.rule {
        Rule::Simultaneous => s.push_str("        game_omega(xb, wb + OG, 0u, 1u);\n"),
        _ => s.push_str(include_str!("loops/two_timescale.wgsl")),
    }
    if spec.noise {
        s.push_str(&noise_wgsl(p, pairs));
    }
    s.push_str(
        "        for (var i = 0u; i < N; i++) {\n\
         \x20           let gain = schedule[row + config[CONFIG_PLAYER + i]];\n",
    );
    s.push_str(&coordinate_update(spec));
    s.push_str("        }\n");
    s.push_str(include_str!("loops/tail.wgsl"));
    s.push_str(game_wgsl);
    s
}

/// The step's normals into the work area: the unrolled kernel's
/// [`super::step_normals_wgsl`] (same Philox blocks and counters, so the
/// same numbers as the CPU engine), written to `moments[wb + OZ + ..]`.
fn noise_wgsl(p: Precision, pairs: usize) -> String {
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
        "        let kp = st_mulhilo(k, {pairs}u);\n\
         \x20       for (var q = 0u; q < {pairs}u; q++) {{\n\
         \x20           let ilo = kp.y + q;\n\
         \x20           let ihi = kp.x + select(0u, 1u, ilo < kp.y);\n\
         {block}\
         \x20           if (blo != cb.x || bhi != cb.y) {{\n\
         \x20               cw = st_philox(vec4<u32>(blo, tlo, thi, bhi & 0x00ffffffu), key);\n\
         \x20               cb = vec2<u32>(blo, bhi);\n\
         \x20           }}\n\
         \x20           let pr = st_pair_normals(cw, half);\n\
         \x20           moments[wb + OZ + 2u * q] = pr.x;\n\
         \x20           moments[wb + OZ + 2u * q + 1u] = pr.y;\n\
         \x20       }}\n"
    )
}

/// The entry point of the one-trajectory-per-workgroup kernel (see
/// `loops/workgroup.wgsl`): the per-invocation step loop with every vector
/// loop split over the workgroup and a barrier wherever a vector written by
/// some threads is read by others.
fn workgroup_main(spec: &LoopSpec, pairs: usize) -> String {
    let p = spec.precision;
    let mut s = format!(
        "@compute @workgroup_size({WORKGROUP})\n\
         fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, \
         @builtin(local_invocation_index) lid: u32) {{\n\
         \x20   let j = wid.x + wid.y * nwg.x;\n\
         \x20   let count = config[0];\n\
         \x20   if (j >= count) {{\n\
         \x20       return;\n\
         \x20   }}\n\
         \x20   if (lid == 0u) {{\n\
         \x20       st_word = fates[FATE_WORDS * j];\n\
         \x20   }}\n\
         \x20   if (workgroupUniformLoad(&st_word) != 0u) {{\n\
         \x20       return;\n\
         \x20   }}\n"
    );
    s.push_str(
        "    let tlo = config[1] + j;\n\
         \x20   let thi = config[2] + select(0u, 1u, tlo < config[1]);\n\
         \x20   let step0 = config[3];\n\
         \x20   let nsteps = config[4];\n\
         \x20   let key = vec2<u32>(config[5], config[6]);\n\
         \x20   let has_target = config[7] != 0u;\n\
         \x20   let wb = j * W;\n\
         \x20   let xb = wb + OX;\n\
         \x20   for (var i = lid; i < N; i += WG) {\n\
         \x20       moments[xb + i] = states[j * N + i];\n\
         \x20   }\n",
    );
    if spec.adam {
        s.push_str(
            "    let beta1 = settings[SETTINGS_ADAM];\n\
             \x20   let beta2 = settings[SETTINGS_ADAM + 1u];\n\
             \x20   let adam_eps = settings[SETTINGS_ADAM + 2u];\n",
        );
    }
    s.push_str(
        "    let eta = settings[SETTINGS_ETA];\n\
         \x20   let bound = settings[SETTINGS_BOUND];\n\
         \x20   let lock_eps = settings[SETTINGS_EPS];\n\
         \x20   var lock = fates[FATE_WORDS * j + 2u];\n\
         \x20   var solves = fates[FATE_WORDS * j + 4u];\n\
         \x20   var iters = fates[FATE_WORDS * j + 5u];\n\
         \x20   var max_it = fates[FATE_WORDS * j + 6u];\n\
         \x20   var missed = fates[FATE_WORDS * j + 7u];\n\
         \x20   var fate = 0u;\n\
         \x20   var fate_step = 0u;\n\
         \x20   var cw = vec4<u32>(0u);\n\
         \x20   var cb = vec2<u32>(0xffffffffu);\n\
         \x20   for (var s = 0u; s < nsteps; s++) {\n\
         \x20       let k = step0 + s;\n\
         \x20       let row = s * ROW;\n\
         \x20       for (var i = lid; i < N; i += WG) {\n\
         \x20           moments[wb + OPREV + i] = moments[xb + i];\n\
         \x20       }\n\
         \x20       workgroupBarrier();\n",
    );
    match spec.rule {
        Rule::Simultaneous => s.push_str("        game_omega(xb, wb + OG, lid, WG);\n"),
        _ => s.push_str(
            "        game_d1f1(xb, wb + OG, lid, WG);\n\
             \x20       game_d2f1(xb, wb + OB, lid, WG);\n\
             \x20       game_d2f2(xb, wb + OG + D1, lid, WG);\n\
             \x20       let rep = st_wcg(xb, wb, eta, lid);\n\
             \x20       solves += 1u;\n\
             \x20       iters += rep.it;\n\
             \x20       max_it = max(max_it, rep.it);\n\
             \x20       if (lid == 0u) {\n\
             \x20           let worst = moments[wb + ORES];\n\
             \x20           if (rep.rel > worst || rep.rel != rep.rel) {\n\
             \x20               moments[wb + ORES] = rep.rel;\n\
             \x20           }\n\
             \x20       }\n\
             \x20       if (!rep.converged) {\n\
             \x20           missed += 1u;\n\
             \x20           if (!KRYLOV_TRUNCATED) {\n\
             \x20               fate = 4u;\n\
             \x20               fate_step = k;\n\
             \x20               break;\n\
             \x20           }\n\
             \x20       }\n\
             \x20       workgroupBarrier();\n\
             \x20       game_b_tmul(xb, wb + OL, wb + OBT, lid, WG);\n\
             \x20       workgroupBarrier();\n\
             \x20       for (var i = lid; i < D1; i += WG) {\n\
             \x20           moments[wb + OG + i] = moments[wb + OG + i] - moments[wb + OBT + i];\n\
             \x20       }\n",
        ),
    }
    if spec.noise {
        let noise = noise_wgsl(p, pairs).replace(
            &format!("for (var q = 0u; q < {pairs}u; q++)"),
            &format!("for (var q = lid; q < {pairs}u; q += WG)"),
        );
        s.push_str(&noise);
    }
    s.push_str(
        "        workgroupBarrier();\n\
         \x20       for (var i = lid; i < N; i += WG) {\n\
         \x20           let gain = schedule[row + config[CONFIG_PLAYER + i]];\n",
    );
    s.push_str(&coordinate_update(spec));
    s.push_str(
        "        }\n\
         \x20       workgroupBarrier();\n\
         \x20       game_wrap(xb, lid, WG);\n\
         \x20       workgroupBarrier();\n\
         \x20       var mine = 0u;\n\
         \x20       var d2sum = S(0.0);\n\
         \x20       for (var i = lid; i < N; i += WG) {\n\
         \x20           let xi = moments[xb + i];\n\
         \x20           if (!(abs(xi) <= ST_GUARD)) {\n\
         \x20               mine = mine | 1u;\n\
         \x20           }\n\
         \x20           if (abs(xi) > bound) {\n\
         \x20               mine = mine | 2u;\n\
         \x20           }\n\
         \x20           var d = xi - settings[SETTINGS_TARGET + i];\n\
         \x20           if (config[CONFIG_ANGLE + i] != 0u) {\n\
         \x20               d = st_wrap_angle(d);\n\
         \x20           }\n\
         \x20           d2sum += d * d;\n\
         \x20       }\n\
         \x20       let flags = st_wor(mine, lid);\n\
         \x20       if ((flags & 1u) != 0u) {\n\
         \x20           for (var i = lid; i < N; i += WG) {\n\
         \x20               moments[xb + i] = moments[wb + OPREV + i];\n\
         \x20           }\n\
         \x20           fate = 2u;\n\
         \x20           fate_step = k;\n\
         \x20           break;\n\
         \x20       }\n\
         \x20       if ((flags & 2u) != 0u) {\n\
         \x20           fate = 1u;\n\
         \x20           fate_step = k;\n\
         \x20           break;\n\
         \x20       }\n\
         \x20       let dist = sqrt(st_wsum(d2sum, lid));\n\
         \x20       if (has_target && dist > lock_eps) {\n\
         \x20           lock = k + 2u;\n\
         \x20       }\n\
         \x20   }\n\
         \x20   workgroupBarrier();\n\
         \x20   for (var i = lid; i < N; i += WG) {\n\
         \x20       states[j * N + i] = moments[xb + i];\n\
         \x20   }\n\
         \x20   if (lid == 0u) {\n\
         \x20       fates[FATE_WORDS * j] = fate;\n\
         \x20       fates[FATE_WORDS * j + 1u] = fate_step;\n\
         \x20       fates[FATE_WORDS * j + 2u] = lock;\n\
         \x20       fates[FATE_WORDS * j + 3u] = bitcast<u32>(f32(moments[wb + ORES]));\n\
         \x20       fates[FATE_WORDS * j + 4u] = solves;\n\
         \x20       fates[FATE_WORDS * j + 5u] = iters;\n\
         \x20       fates[FATE_WORDS * j + 6u] = max_it;\n\
         \x20       fates[FATE_WORDS * j + 7u] = missed;\n\
         \x20   }\n\
         }\n",
    );
    s
}

/// The body of the per-coordinate update loop, both layouts: the noisy
/// gradient g_i = field_i + sigma_i z_i (or the field), then the plain step
/// x_i -= gain g_i or Adam's x_i -= gain m^_i / (sqrt(v^_i) + eps).
fn coordinate_update(spec: &LoopSpec) -> String {
    let mut s = String::new();
    if spec.noise {
        s.push_str(
            "            let gi = moments[wb + OG + i] + settings[SETTINGS_SIGMA + i] * moments[wb + OZ + i];\n",
        );
    } else {
        s.push_str("            let gi = moments[wb + OG + i];\n");
    }
    if spec.adam {
        s.push_str(
            "            let mi = beta1 * moments[wb + OM + i] + (S(1.0) - beta1) * gi;\n\
             \x20           let vi = beta2 * moments[wb + OV + i] + (S(1.0) - beta2) * gi * gi;\n\
             \x20           moments[wb + OM + i] = mi;\n\
             \x20           moments[wb + OV + i] = vi;\n\
             \x20           let mh = mi / schedule[row + ROW - 2u];\n\
             \x20           let vh = vi / schedule[row + ROW - 1u];\n\
             \x20           moments[xb + i] = moments[xb + i] - gain * mh / (sqrt(vh) + adam_eps);\n",
        );
    } else {
        s.push_str("            moments[xb + i] = moments[xb + i] - gain * gi;\n");
    }
    s
}
