//! A small GAN trained by the engine: data inputs resampled every step from
//! Philox samplers, Kaiming-uniform init, Adam, the regularised Stackelberg
//! leader update. The conjugate-gradient follower solve (matrix-free, as the
//! paper's GAN experiments) against the dense exact solve of
//! (D22f2 + eta I) on a network small enough to form D22f2.

use stackel::data::Sampler;
use stackel::dynamics::FollowerSolver;
use stackel::prelude::*;
use stackel::{Form, Init, Optimizer, Schedule};

stackel_game! {
    /// A small relu GAN: 8 samples, latent dimension 3, 4 hidden units,
    /// the saturating objective with a little weight decay on the
    /// discriminator.
    pub game TinyGan {
        const B = 8;
        const Z = 3;
        const H = 4;
        data x: [B, 2];
        data z: [B, Z];
        leader gen { w1: [H, Z], b1: [H], w2: [2, H], b2: [2] };
        follower disc { v1: [H, 2], c1: [H], v2: [H], c2 };
        let g[b in 0..B, k in 0..2] = sum(i in 0..H) w2[k, i] * relu(sum(j in 0..Z) w1[i, j] * z[b, j] + b1[i]) + b2[k];
        let dr[b in 0..B] = sum(j in 0..H) v2[j] * softplus(sum(i in 0..2) v1[j, i] * x[b, i] + c1[j]) + c2;
        let df[b in 0..B] = sum(j in 0..H) v2[j] * softplus(sum(i in 0..2) v1[j, i] * g[b, i] + c1[j]) + c2;
        let loss_d = -mean(b in 0..B) (log_sigmoid(dr[b]) + log_sigmoid(-df[b]));
        cost gen = -loss_d;
        cost disc = loss_d + 0.05 * sum(j in 0..H) v2[j]^2 + 0.05 * c2^2;
    }
}

fn study(solver: FollowerSolver, steps: u64) -> StudyResult {
    let means = vec![
        vec![1.5, 0.0],
        vec![0.0, 1.5],
        vec![-1.5, 0.0],
        vec![0.0, -1.5],
    ];
    let dynamics = Dynamics::two_timescale(
        Schedule::geometric(1e-3, 1.0 - 1e-5),
        Schedule::geometric(1e-3, 1.0 - 1e-7),
    )
    .eta(1.0)
    .optimizer(Optimizer::adam())
    .follower_solver(solver);
    Study::new(TinyGan, dynamics)
        .trajectories(3)
        .steps(steps)
        .noise(Noise::none())
        .init(Init::kaiming_uniform())
        .data("x", Sampler::gaussian_mixture(means, 0.15))
        .data("z", Sampler::standard_normal())
        .seed(7)
        .run::<f64>()
        .expect("the study runs")
}

#[test]
fn tiny_gan_is_a_tape_game_with_data() {
    assert_eq!(TinyGan.info().form, Form::Tape);
    assert_eq!((TinyGan::D1, TinyGan::D2, TinyGan::ND), (26, 17, 40));
    // The weight decay makes it general-sum.
    assert!(!TinyGan.info().zero_sum);
    let parts: Vec<&str> = TinyGan.info().followers[0]
        .parts
        .iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(parts, ["v1", "c1", "v2", "c2"]);
}

/// Conjugate gradients run to convergence give the dense exact leader
/// update: the trajectories agree to rounding.
#[test]
fn converged_cg_leader_update_equals_the_dense_exact_update() {
    let d2 = TinyGan::D2 as u32;
    let dense = study(FollowerSolver::Dense, 30);
    let cg = study(
        FollowerSolver::conjugate_gradient(4 * d2).tolerance(1e-13),
        30,
    );
    assert_eq!(dense.summary.finished, 3);
    assert_eq!(cg.summary.finished, 3);
    for (a, b) in dense.final_states.iter().zip(&cg.final_states) {
        assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
    }
}

/// The paper's solve (5 CG iterations, warm start, truncated) follows the
/// exact update closely: the warm start carries the solve across steps.
#[test]
fn five_warm_started_cg_iterations_follow_the_exact_update() {
    let dense = study(FollowerSolver::Dense, 30);
    let cg5 = study(
        FollowerSolver::conjugate_gradient(5)
            .warm_start(true)
            .truncated(true),
        30,
    );
    assert_eq!(cg5.summary.finished, 3);
    let mut worst: f64 = 0.0;
    for (a, b) in dense.final_states.iter().zip(&cg5.final_states) {
        worst = worst.max((a - b).abs());
    }
    // 30 Adam steps of size 1e-3 move each weight by up to 0.03; the
    // truncated solve changes them by about 1.5e-5 (measured), a bound of
    // 1e-4 leaves room for rounding across platforms.
    eprintln!("CG(5) warm-started vs dense exact, after 30 steps: largest difference {worst:.3e}");
    assert!(worst < 1e-4, "largest difference {worst}");
    assert!(worst > 0.0, "5 iterations on 17 unknowns are not exact");
}

/// The same study gives the same result whatever the chunking (one
/// trajectory per task or all in one chunk).
#[test]
fn gan_studies_do_not_depend_on_chunking() {
    let run = |chunk: usize| {
        let means = vec![vec![1.0, 0.0], vec![-1.0, 0.0]];
        Study::new(
            TinyGan,
            Dynamics::simultaneous(Schedule::constant(1e-2)).optimizer(Optimizer::adam()),
        )
        .trajectories(4)
        .steps(10)
        .noise(Noise::none())
        .init(Init::kaiming_uniform())
        .data("x", Sampler::gaussian_mixture(means, 0.3))
        .data("z", Sampler::standard_normal())
        .chunk_size(chunk)
        .seed(3)
        .run::<f32>()
        .expect("the study runs")
    };
    assert_eq!(run(1).final_states, run(64).final_states);
}
