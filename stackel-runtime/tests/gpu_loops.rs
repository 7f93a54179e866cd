//! The GPU engine's loop-form kernel (games compiled with `form = "loops"`,
//! vectors in storage buffers, the matrix-free follower solve by conjugate
//! gradients) on a real Vulkan adapter (lavapipe in CI): studies agree with
//! the CPU engine trajectory by trajectory (final states, fates, follower
//! solve counts), the unrolled and loop forms of one game agree on the GPU,
//! a tight iteration cap gives the same not-converged fates on both engines,
//! and what the kernel does not run is a typed error.
//!
//! Runs under `gpu_common/harness.rs` (`harness = false`): without an
//! adapter the GPU tests are reported ignored, or fail with
//! `STACKEL_REQUIRE_GPU=1`.

#[path = "gpu_common/compare.rs"]
mod compare;
#[path = "gpu_common/harness.rs"]
mod harness;

use stackel_macros::stackel_game;
use stackel_runtime::dynamics::{Dynamics, FollowerSolver, Rule};
use stackel_runtime::engine::{Init, Noise, Study};
use stackel_runtime::game::Form;
use stackel_runtime::gpu::{GpuEngine, GpuError, GpuOptions};
use stackel_runtime::krylov::{KrylovOptions, Method};
use stackel_runtime::record::{Fate, StudyResult};
use stackel_runtime::rng::NoiseFloat;
use stackel_runtime::schedule::{Optimizer, Schedule};
use stackel_runtime::Game;

stackel_testkit::covariance_game!(
    crate = [stackel_runtime],
    CovLoops,
    3,
    "The covariance game at m = 3 (paper 4.3), loop form.",
    sigma = [[1.0, 0.2, 0.0], [0.2, 0.8, 0.1], [0.0, 0.1, 0.5]],
    form = "loops"
);

stackel_testkit::covariance_game!(
    crate = [stackel_runtime],
    CovUnrolled,
    3,
    "The same game, unrolled.",
    sigma = [[1.0, 0.2, 0.0], [0.2, 0.8, 0.1], [0.0, 0.1, 0.5]],
    form = "unrolled"
);

stackel_game! {
    #[stackel(crate = stackel_runtime, form = "loops")]
    /// Covariance with a discriminator whose neighbouring entries are
    /// coupled: H = D22 f2 is no longer a multiple of I, so CG needs several
    /// iterations per solve (shifted indices: guarded entries).
    game CovCoupled {
        const M = 3;
        param sigma: [M, M] = [[1.0, 0.2, 0.0], [0.2, 0.8, 0.1], [0.0, 0.1, 0.5]];
        param eta = 0.6;
        leader v: [M, M];
        follower w: [M, M];
        let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
        cost v = f;
        cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2
            + 0.2 * sum(i in 0..M - 1, j in 0..M) w[i, j] * w[i + 1, j]
            + 0.1 * sum(i in 0..M, j in 0..M) (1.0 + 0.5 * v[i, j]^2) * w[i, j]^2;
    }
}

fn cg(tol: f64, max_iter: u32) -> FollowerSolver {
    FollowerSolver::krylov(KrylovOptions {
        method: Method::Cg,
        tol,
        max_iter,
        ..KrylovOptions::default()
    })
}

/// The CG tolerance each precision reaches (f32 rounds at ~1e-7).
fn tol_of<T: NoiseFloat>() -> f64 {
    if std::mem::size_of::<T>() == 8 {
        1e-10
    } else {
        1e-5
    }
}

/// 48 noisy trajectories from a box around 0, 150 steps.
fn study<G: Game + Clone>(game: G, dynamics: Dynamics) -> Study<G> {
    Study::new(game, dynamics)
        .trajectories(48)
        .steps(150)
        .noise(Noise::variance(1e-4))
        .init(Init::Box {
            lo: vec![-1.0; 18],
            hi: vec![1.0; 18],
        })
        .seed(7)
}

fn two_timescale() -> Dynamics {
    Dynamics::two_timescale(Schedule::constant(0.02), Schedule::constant(0.1))
}

/// Final states within `tol` (relative to max(1, |x|)), same fates.
fn agree(a: &StudyResult, b: &StudyResult, tol: f64, what: &str) {
    compare::assert_agree(a, b, tol, what);
}

fn finished(r: &StudyResult) -> usize {
    r.fates.iter().filter(|f| f.is_finished()).count()
}

fn loop_study_agrees<T: NoiseFloat>(e: &GpuEngine, tol: f64) {
    for (name, dynamics) in [
        (
            "two-timescale",
            two_timescale().follower_solver(cg(tol_of::<T>(), 50)),
        ),
        (
            "simultaneous",
            Dynamics::simultaneous(Schedule::constant(0.05)),
        ),
        (
            "two-timescale, Adam",
            two_timescale()
                .follower_solver(cg(tol_of::<T>(), 50))
                .optimizer(Optimizer::adam()),
        ),
    ] {
        let s = study(CovLoops::default(), dynamics);
        let cpu = s.run::<T>().unwrap();
        let gpu = e.run_study::<_, T>(&s).unwrap();
        agree(&cpu, &gpu, tol, name);
        assert!(finished(&cpu) > 40, "{name}: most trajectories finish");
        assert_eq!(cpu.fingerprint, gpu.fingerprint);
        // follower solves: one per step of every trajectory, the same count
        // of iterations (CG converges in one step on H = (0.6 + 0) I)
        let (c, g) = (cpu.follower_solves.unwrap(), gpu.follower_solves.unwrap());
        assert_eq!(c.solves, g.solves, "{name}");
        assert_eq!(c.not_converged, g.not_converged, "{name}");
        assert!(
            c.iterations.abs_diff(g.iterations) <= c.solves / 100,
            "{name}: {c:?} {g:?}"
        );
    }
}

fn covariance_loop_form_agrees_with_cpu_engine(e: &'static GpuEngine) {
    assert_eq!(CovLoops::default().info().form, Form::Loops);
    loop_study_agrees::<f32>(e, 1e-4);
    if e.supports_f64() {
        loop_study_agrees::<f64>(e, 1e-10);
    } else {
        eprintln!("adapter without f64: the f64 study is not checked");
    }
}

fn coupled_follower_solve_agrees_with_cpu_engine(e: &'static GpuEngine) {
    let s = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 50)),
    );
    let cpu = s.run::<f32>().unwrap();
    let gpu = e.run_study::<_, f32>(&s).unwrap();
    agree(&cpu, &gpu, 1e-4, "coupled, CG");
    let (c, g) = (cpu.follower_solves.unwrap(), gpu.follower_solves.unwrap());
    assert!(c.max_iterations > 1, "H is not a multiple of I: {c:?}");
    assert_eq!(c.solves, g.solves);
    assert_eq!(c.max_iterations, g.max_iterations, "{c:?} {g:?}");
    assert!(g.max_residual <= 1e-5, "{g:?}");
}

fn tight_iteration_cap_gives_typed_not_converged_fates(e: &'static GpuEngine) {
    // one CG iteration cannot solve the coupled system to 1e-5: every
    // trajectory stops at its first step, on both engines
    let s = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 1)),
    );
    let cpu = s.run::<f32>().unwrap();
    let gpu = e.run_study::<_, f32>(&s).unwrap();
    assert_eq!(cpu.fates, gpu.fates);
    assert!(
        gpu.fates
            .iter()
            .all(|f| matches!(f, Fate::NotConverged { step: 0 })),
        "{:?}",
        &gpu.fates[..4]
    );
    agree(&cpu, &gpu, 0.0, "stopped before the first update");
    let (c, g) = (cpu.follower_solves.unwrap(), gpu.follower_solves.unwrap());
    assert_eq!((c.solves, c.not_converged), (48, 48));
    assert_eq!((g.solves, g.not_converged), (48, 48));
    // truncated: the same cap is used as it is, and trajectories go on
    let s = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 1).truncated(true)),
    );
    let cpu = s.run::<f32>().unwrap();
    let gpu = e.run_study::<_, f32>(&s).unwrap();
    agree(&cpu, &gpu, 1e-4, "truncated");
    assert_eq!(
        cpu.follower_solves.unwrap().solves,
        gpu.follower_solves.unwrap().solves
    );
    assert!(finished(&gpu) > 40);
}

fn warm_start_survives_dispatch_boundaries(e: &'static GpuEngine) {
    // lambda is kept in the work area between dispatches: cutting the 150
    // steps into dispatches of 7 changes nothing, not even the iteration
    // counts (a lost warm start would cost iterations at every cut)
    let s = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 50)),
    );
    let whole = e.run_study::<_, f32>(&s).unwrap();
    let cut = GpuEngine::with_options(GpuOptions {
        steps_per_dispatch: 7,
        ..GpuOptions::default()
    })
    .unwrap();
    let parts = cut.run_study::<_, f32>(&s).unwrap();
    assert_eq!(whole.final_states, parts.final_states);
    assert_eq!(whole.fates, parts.fates);
    assert_eq!(whole.follower_solves, parts.follower_solves);
    // without a warm start each solve starts from 0: more iterations
    let cold = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 50).warm_start(false)),
    );
    let cpu = cold.run::<f32>().unwrap();
    let gpu = e.run_study::<_, f32>(&cold).unwrap();
    agree(&cpu, &gpu, 1e-4, "cold start");
    let (w, c) = (whole.follower_solves.unwrap(), gpu.follower_solves.unwrap());
    assert!(c.iterations > w.iterations, "cold {c:?} vs warm {w:?}");
}

fn one_trajectory_per_workgroup_agrees_with_cpu_engine(_: &'static GpuEngine) {
    // the workgroup's threads share each trajectory's loops; sums over a
    // vector are reduced in another order than the CPU's: rounding-level
    // differences only
    let wg = Box::leak(Box::new(
        GpuEngine::with_options(GpuOptions {
            loop_workgroup: true,
            ..GpuOptions::default()
        })
        .unwrap(),
    ));
    loop_study_agrees::<f32>(wg, 1e-4);
    if wg.supports_f64() {
        loop_study_agrees::<f64>(wg, 1e-10);
    }
    let s = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 50)),
    );
    let cpu = s.run::<f32>().unwrap();
    let gpu = wg.run_study::<_, f32>(&s).unwrap();
    agree(&cpu, &gpu, 1e-4, "workgroup, coupled");
    let s = study(
        CovCoupled::default(),
        two_timescale().follower_solver(cg(1e-5, 1)),
    );
    let gpu = wg.run_study::<_, f32>(&s).unwrap();
    assert!(gpu
        .fates
        .iter()
        .all(|f| matches!(f, Fate::NotConverged { step: 0 })));
}

fn unrolled_and_loop_forms_agree_on_the_gpu(e: &'static GpuEngine) {
    assert_eq!(CovUnrolled::default().info().form, Form::Unrolled);
    for dynamics in [
        Dynamics::simultaneous(Schedule::constant(0.05)),
        two_timescale(),
    ] {
        let rule = dynamics.rule;
        let unrolled = study(
            CovUnrolled::default(),
            dynamics.clone().follower_solver(FollowerSolver::Dense),
        );
        let loops = study(
            CovLoops::default(),
            dynamics.clone().follower_solver(cg(1e-6, 50)),
        );
        let a = e.run_study::<_, f32>(&unrolled).unwrap();
        let b = e.run_study::<_, f32>(&loops).unwrap();
        agree(&a, &b, 1e-4, &format!("{rule:?}: unrolled vs loop form"));
        if e.supports_f64() {
            let a = e.run_study::<_, f64>(&unrolled).unwrap();
            let b = e
                .run_study::<_, f64>(&study(
                    CovLoops::default(),
                    dynamics.follower_solver(cg(1e-12, 50)),
                ))
                .unwrap();
            agree(
                &a,
                &b,
                1e-9,
                &format!("{rule:?} f64: unrolled vs loop form"),
            );
        }
    }
}

fn unsupported_combinations_are_typed_errors(e: &'static GpuEngine) {
    let cases = [
        (
            Dynamics::two_timescale(Schedule::constant(0.02), Schedule::constant(0.1))
                .follower_solver(FollowerSolver::Dense),
            "dense follower solve",
        ),
        (
            two_timescale().follower_solver(FollowerSolver::bicgstab(20)),
            "BiCgStab",
        ),
        (
            Dynamics::lola(Schedule::constant(0.02), Schedule::constant(0.1)),
            "Lola",
        ),
    ];
    for (dynamics, what) in cases {
        let err = e
            .run_study::<_, f32>(&study(CovLoops::default(), dynamics))
            .unwrap_err();
        assert!(
            matches!(&err, GpuError::Unsupported(m) if m.contains(what)),
            "{err}"
        );
    }
    // an unrolled game with a matrix-free solve names the way out
    let err = e
        .run_study::<_, f32>(&study(
            CovUnrolled::default(),
            two_timescale().follower_solver(cg(1e-5, 10)),
        ))
        .unwrap_err();
    assert!(
        matches!(&err, GpuError::Unsupported(m) if m.contains("form = \"loops\"")),
        "{err}"
    );
    assert_eq!(two_timescale().rule, Rule::TwoTimescale);
}

fn main() {
    harness::run(gpu_tests![
        covariance_loop_form_agrees_with_cpu_engine,
        coupled_follower_solve_agrees_with_cpu_engine,
        tight_iteration_cap_gives_typed_not_converged_fates,
        warm_start_survives_dispatch_boundaries,
        one_trajectory_per_workgroup_agrees_with_cpu_engine,
        unrolled_and_loop_forms_agree_on_the_gpu,
        unsupported_combinations_are_typed_errors,
    ])
}
