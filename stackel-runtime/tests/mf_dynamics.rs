//! The matrix-free follower solve in the dynamics: it reproduces the dense
//! path, counts non-convergence as a typed failure, records its iterations,
//! and warm starts save iterations.

mod mf_support;

use mf_support::QuadraticSpread;
use stackel_runtime::dynamics::{Dynamics, FollowerSolver, DENSE_FOLLOWER_LIMIT};
use stackel_runtime::engine::{Init, Noise, Study};
use stackel_runtime::game::Game;
use stackel_runtime::record::{Fate, Record, StudyResult, SUMMARY_COVARIANCE_LIMIT};
use stackel_runtime::schedule::Schedule;
use stackel_runtime::{Plan, Rule};
use stackel_testkit::games::Covariance3;
use stackel_testkit::twins::CovarianceM;

fn two_timescale(eta: f64) -> Dynamics {
    Dynamics::two_timescale(
        Schedule::inverse_power(0.05).offset(10.0).exponent(1.0),
        Schedule::inverse_power(0.2)
            .offset(10.0)
            .exponent(2.0 / 3.0),
    )
    .eta(eta)
}

fn study<G: Game + Clone>(g: &G, d: Dynamics, trajectories: u64, steps: u64) -> Study<G> {
    let n = g.n();
    Study::new(g.clone(), d)
        .trajectories(trajectories)
        .steps(steps)
        .noise(Noise::variance(0.01))
        .init(Init::Box {
            lo: vec![-1.0; n],
            hi: vec![1.0; n],
        })
        .seed(17)
        .record(Record::finals().paths(10, Some(3)))
}

/// Final states and recorded paths agree entry by entry within `tol`
/// (relative to 1 + |dense|), and the fates are equal.
fn assert_reproduces(dense: &StudyResult, mf: &StudyResult, tol: f64) {
    assert_eq!(dense.fates, mf.fates);
    let mut worst = 0.0f64;
    let pairs = dense.final_states.iter().zip(&mf.final_states).chain(
        dense
            .paths
            .iter()
            .zip(&mf.paths)
            .flat_map(|(a, b)| a.states.iter().zip(&b.states)),
    );
    for (a, b) in pairs {
        worst = worst.max((a - b).abs() / (1.0 + a.abs()));
    }
    assert!(worst <= tol, "matrix-free vs dense: {worst:e}");
    assert!(dense.follower_solves.is_none());
}

fn tight() -> FollowerSolver {
    FollowerSolver::conjugate_gradient(100).tolerance(1e-14)
}

#[test]
fn matrix_free_two_timescale_reproduces_the_dense_path_on_covariance_games() {
    for eta in [0.0, 0.1] {
        let d = two_timescale(eta);
        let g5 = CovarianceM::<5>::default();
        let dense = study(&g5, d.clone(), 12, 150).run::<f64>().unwrap();
        let mf = study(&g5, d.clone().follower_solver(tight()), 12, 150)
            .run::<f64>()
            .unwrap();
        assert_eq!(dense.summary.finished, 12, "the reference must not diverge");
        assert_reproduces(&dense, &mf, 1e-10);
        let stats = mf.follower_solves.unwrap();
        assert_eq!(stats.solves, 12 * 150);
        // H + eta I = (0.6 + eta) I: CG converges in one iteration
        assert_eq!(stats.max_iterations, 1);
        assert!(stats.max_residual <= 1e-14 && stats.not_converged == 0);

        let mut sigma = vec![0.0; 9];
        for (k, s) in [1.5, 0.2, -0.1, 0.2, 1.0, 0.3, -0.1, 0.3, 0.8]
            .iter()
            .enumerate()
        {
            sigma[k] = *s;
        }
        let g3 = CovarianceM::<3>::new(sigma.clone(), 0.4);
        let mut m3 = Covariance3::default();
        let mut p = sigma.clone();
        p.push(0.4);
        m3.set_params(&p);
        let dense = study(&g3, d.clone(), 12, 200).run::<f64>().unwrap();
        for solver in [tight(), FollowerSolver::gmres(5, 50).tolerance(1e-14)] {
            let mf = study(&g3, d.clone().follower_solver(solver), 12, 200)
                .run::<f64>()
                .unwrap();
            assert_reproduces(&dense, &mf, 1e-10);
            let mf_macro = study(&m3, d.clone().follower_solver(solver), 12, 200)
                .run::<f64>()
                .unwrap();
            assert_reproduces(&dense, &mf_macro, 1e-10);
        }
    }
}

#[test]
fn matrix_free_best_response_and_lola_reproduce_the_dense_path() {
    let g = QuadraticSpread::new(50.0, 3);
    let k = Schedule::inverse_power(0.05).offset(10.0).exponent(1.0);
    let f = Schedule::inverse_power(0.01)
        .offset(10.0)
        .exponent(2.0 / 3.0);
    for d in [Dynamics::best_response(k), Dynamics::lola(k, f)] {
        let dense = study(&g, d.clone(), 6, 40).run::<f64>().unwrap();
        let mf = study(&g, d.clone().follower_solver(tight()), 6, 40)
            .run::<f64>()
            .unwrap();
        assert_eq!(dense.summary.finished, 6);
        assert_reproduces(&dense, &mf, 1e-9);
        assert_eq!(mf.newton_failures, dense.newton_failures);
        let stats = mf.follower_solves.unwrap();
        if d.rule == Rule::Lola {
            assert_eq!(stats.solves, 0, "LOLA solves nothing");
        } else {
            assert!(stats.solves >= 6 * 40 && stats.not_converged == 0);
        }
    }
}

#[test]
fn a_solve_that_misses_its_tolerance_is_a_typed_failure_unless_truncated() {
    let g = QuadraticSpread::new(100.0, 5);
    let d = two_timescale(0.0);
    let capped = FollowerSolver::conjugate_gradient(2).tolerance(1e-12);
    let r = study(&g, d.clone().follower_solver(capped), 8, 20)
        .run::<f64>()
        .unwrap();
    assert!(r.fates.iter().all(|f| *f == Fate::NotConverged { step: 0 }));
    assert_eq!(r.summary.not_converged, 8);
    assert_eq!(r.summary.finished, 0);
    let s = r.follower_solves.unwrap();
    assert_eq!((s.solves, s.not_converged, s.max_iterations), (8, 8, 2));
    assert!(s.max_residual > 1e-12);
    let mut csv = Vec::new();
    r.write_csv(&mut csv).unwrap();
    assert!(String::from_utf8(csv)
        .unwrap()
        .contains(",not_converged,0,"));

    // the same cap, truncated (the paper's fixed iteration count): runs on
    let r = study(&g, d.follower_solver(capped.truncated(true)), 8, 20)
        .run::<f64>()
        .unwrap();
    assert_eq!(r.summary.finished, 8);
    let s = r.follower_solves.unwrap();
    assert_eq!((s.solves, s.max_iterations), (8 * 20, 2));
    assert_eq!(s.not_converged, 8 * 20);
    assert_eq!(s.iterations, 2 * 8 * 20);
}

#[test]
fn warm_start_saves_iterations_and_keeps_the_trajectories() {
    // kappa(H) = 4: CG gains a factor ~ (2 - 1) / (2 + 1) per iteration, so
    // 1e-8 takes ~ 16 of the 24 iterations from a cold start
    let g = QuadraticSpread::new(4.0, 7);
    let d = two_timescale(0.0);
    let cold = FollowerSolver::conjugate_gradient(200)
        .tolerance(1e-8)
        .warm_start(false);
    let warm = cold.warm_start(true);
    let quiet = |d: Dynamics| study(&g, d, 10, 400).noise(Noise::none());
    let dense = quiet(d.clone()).run::<f64>().unwrap();
    let rc = quiet(d.clone().follower_solver(cold)).run::<f64>().unwrap();
    let rw = quiet(d.clone().follower_solver(warm)).run::<f64>().unwrap();
    assert_reproduces(&dense, &rc, 1e-8);
    assert_reproduces(&dense, &rw, 1e-8);
    let (sc, sw) = (rc.follower_solves.unwrap(), rw.follower_solves.unwrap());
    assert_eq!(sc.solves, sw.solves);
    // cold: every solve starts from |r| = |b|; warm: from the previous
    // step's lambda, whose residual is the (small) change of b and H lambda
    assert!(
        sw.mean_iterations() < 0.75 * sc.mean_iterations(),
        "warm {} vs cold {}",
        sw.mean_iterations(),
        sc.mean_iterations()
    );
    assert!(sw.max_residual <= 1e-8 && sc.max_residual <= 1e-8);

    // the warm start is per trajectory: results do not depend on chunks or threads
    let rw2 = quiet(d.follower_solver(warm))
        .chunk_size(3)
        .run::<f64>()
        .unwrap();
    assert_eq!(rw.final_states, rw2.final_states);
    assert_eq!(rw.follower_solves, rw2.follower_solves);
}

#[test]
fn auto_goes_matrix_free_above_the_dense_limit_and_skips_the_small_kernel() {
    let d = two_timescale(0.0);
    // d2 = 529 > DENSE_FOLLOWER_LIMIT = 256, N = 1058 > SUMMARY_COVARIANCE_LIMIT
    let big = CovarianceM::<23>::default();
    assert_eq!(
        (DENSE_FOLLOWER_LIMIT, SUMMARY_COVARIANCE_LIMIT),
        (256, 1024)
    );
    let small = CovarianceM::<3>::default();
    let (noise, init, rec) = (Noise::none(), Init::Point(vec![0.0; 18]), Record::finals());
    let plan = |g: &CovarianceM<3>, d: &Dynamics| {
        Plan {
            game: g,
            dynamics: d,
            range: (0, 1),
            steps: 1,
            noise: &noise,
            init: &init,
            seed: 0,
            record: &rec,
            divergence_bound: 1e6,
            small_kernel: true,
            data: &[],
            fingerprint: String::new(),
        }
        .matrix_free()
    };
    assert!(plan(&small, &d).is_none());
    assert!(plan(&small, &d.clone().follower_solver(tight())).is_some());
    assert!(d.follower_solver.resolve_for(&big).is_some());
    // a loop-form game goes matrix-free at any size
    let mut loops = *small.info();
    loops.form = stackel_runtime::Form::Loops;
    assert!(FollowerSolver::Auto.resolve(&loops, 9).is_some());
    assert!(FollowerSolver::Dense.resolve(&loops, 9).is_none());
    assert!(FollowerSolver::Dense.resolve_for(&big).is_none());
    // the default study on the big game records matrix-free solves
    let r = study(&big, d.clone(), 2, 3).run::<f64>().unwrap();
    let s = r.follower_solves.unwrap();
    assert_eq!(s.solves, 6);
    assert_eq!(r.summary.finished, 2);
    // no O(N^2) object in the result: the summary keeps the mean only
    assert!(r.summary.covariance.is_empty());
    assert_eq!(r.summary.mean.len(), 2 * 23 * 23);
    // f32 too
    let r32 = study(&big, d, 2, 3).run::<f32>().unwrap();
    assert_eq!(r32.follower_solves.unwrap().solves, 6);
}

/// A small game (d <= 8) forced matrix-free runs the general step, not the
/// small kernel, and agrees with the dense path.
#[test]
fn forced_matrix_free_on_a_small_game_agrees_with_the_small_kernel() {
    let g = stackel_testkit::twins::Duopoly::default();
    let d = Dynamics::two_timescale(
        Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
        Schedule::inverse_power(1.0)
            .offset(11.0)
            .exponent(2.0 / 3.0),
    );
    let base = |d: Dynamics| {
        Study::new(g, d)
            .trajectories(50)
            .steps(100)
            .noise(Noise::variance(1.0))
            .init(Init::Box {
                lo: vec![0.0, 0.0],
                hi: vec![90.0, 90.0],
            })
            .seed(3)
    };
    let dense = base(d.clone()).run::<f64>().unwrap();
    let mf = base(d.follower_solver(tight())).run::<f64>().unwrap();
    assert_eq!(dense.fates, mf.fates);
    for (a, b) in dense.final_states.iter().zip(&mf.final_states) {
        assert!((a - b).abs() <= 1e-10 * (1.0 + a.abs()));
    }
    assert_eq!(mf.follower_solves.unwrap().solves, 50 * 100);
}
