//! Training the mixture-of-Gaussians GANs: the two rules of Appendix D.1
//! (simultaneous gradient descent, Stackelberg learning with the regularised
//! leader update), as stackel studies with data inputs, and the evaluation
//! of a parameter vector at a fixed batch (losses, samples, spectra).

use super::coverage::Mixture;
use super::games::{Activation, BATCH, GEN_DIM, LATENT};
use super::spectra::{gan_spectra, Budget};
use crate::common::ExperimentError;
use serde::Serialize;
use stackel::data::{sample_batch, Sampler};
use stackel::dynamics::{Dynamics, FollowerSolver};
use stackel::engine::{Init, Noise, Study};
use stackel::equilibria::GameSpectra;
use stackel::record::Record;
use stackel::schedule::{Optimizer, Schedule};
use stackel::Game;

/// eta of the regularised implicit map (Appendix C, D.1).
pub const ETA: f64 = 1.0;

/// One of the paper's two mixture-of-Gaussians experiments.
#[derive(Clone, Debug, Serialize)]
pub struct Setting {
    /// Short name (file stems): "diamond" or "circle".
    pub name: &'static str,
    /// The real distribution.
    pub mixture: Mixture,
    /// Hidden activation of both networks.
    pub activation: Activation,
    /// Initial learning rate gamma_i of both players.
    pub lr: f64,
    /// The GAN objective, in words.
    pub objective: &'static str,
}

impl Setting {
    /// Diamond: 4 Gaussians, tanh, saturating objective, gamma = 1e-4.
    pub fn diamond() -> Self {
        Setting {
            name: "diamond",
            mixture: Mixture::diamond(),
            activation: Activation::Tanh,
            lr: 1e-4,
            objective: "saturating",
        }
    }
    /// Circle: 8 Gaussians, ReLU, non-saturating objective, gamma = 4e-4.
    pub fn circle() -> Self {
        Setting {
            name: "circle",
            mixture: Mixture::circle(),
            activation: Activation::Relu,
            lr: 4e-4,
            objective: "non-saturating",
        }
    }
    /// The real-data sampler (components picked uniformly, N(mu, sigma^2 I)).
    pub fn real_sampler(&self) -> Sampler {
        Sampler::gaussian_mixture(self.mixture.mean_rows(), self.mixture.variance)
    }
}

/// The learning rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Rule {
    /// Simultaneous gradient descent, nu1 = nu2 = 1 - 1e-7.
    Simultaneous,
    /// Stackelberg learning: the leader follows
    /// D1f1 - D21f2^T (D22f2 + eta I)^-1 D2f1 (5 warm-started CG
    /// iterations), nu1 = 1 - 1e-5, nu2 = 1 - 1e-7.
    Stackelberg,
}

impl Rule {
    /// Both rules, in the paper's order.
    pub const BOTH: [Rule; 2] = [Rule::Simultaneous, Rule::Stackelberg];
    /// The rule's name in the paper's words.
    pub fn label(self) -> &'static str {
        match self {
            Rule::Simultaneous => "simultaneous gradient descent",
            Rule::Stackelberg => "Stackelberg learning",
        }
    }
    /// Short name (file stems, JSON).
    pub fn key(self) -> &'static str {
        match self {
            Rule::Simultaneous => "simultaneous",
            Rule::Stackelberg => "stackelberg",
        }
    }
    /// The dynamics of Appendix D.1: Adam (0.9, 0.999, 1e-8) on
    /// gamma_{i,k} = gamma nu_i^k.
    pub fn dynamics(self, lr: f64) -> Dynamics {
        let follower = Schedule::geometric(lr, 1.0 - 1e-7);
        match self {
            Rule::Simultaneous => Dynamics::simultaneous(follower)
                .schedules(vec![follower, follower])
                .optimizer(Optimizer::adam()),
            Rule::Stackelberg => {
                Dynamics::two_timescale(Schedule::geometric(lr, 1.0 - 1e-5), follower)
                    .eta(ETA)
                    .optimizer(Optimizer::adam())
                    .follower_solver(
                        FollowerSolver::conjugate_gradient(5)
                            .warm_start(true)
                            .truncated(true),
                    )
            }
        }
    }
}

/// The study of `trajectories` trainings of `game` under `rule`: Kaiming
/// uniform initialisation and data streams from `seed` (trajectory t of
/// either rule starts at the same point and sees the same batches).
pub fn study<G: Game + Clone>(
    game: G,
    setting: &Setting,
    rule: Rule,
    trajectories: u64,
    steps: u64,
    seed: u64,
) -> Study<G> {
    Study::new(game, rule.dynamics(setting.lr))
        .trajectories(trajectories)
        .steps(steps)
        .noise(Noise::none())
        .init(Init::kaiming_uniform())
        .data("x", setting.real_sampler())
        .data("z", Sampler::standard_normal())
        .seed(seed)
}

/// Trajectory index of the evaluation batches (far from any training
/// trajectory, so evaluation data are never training data).
pub const EVAL_TRAJECTORY: u64 = 1 << 40;

/// A fixed evaluation batch: the real samples and latents the runtime would
/// give trajectory [`EVAL_TRAJECTORY`] at step `step`.
pub fn eval_batch(setting: &Setting, seed: u64, step: u64) -> Vec<f64> {
    let mut out = vec![0.0; BATCH * (2 + LATENT)];
    let (x, z) = out.split_at_mut(2 * BATCH);
    sample_batch(&setting.real_sampler(), seed, EVAL_TRAJECTORY, step, 0, x);
    sample_batch(
        &Sampler::standard_normal(),
        seed,
        EVAL_TRAJECTORY,
        step,
        1,
        z,
    );
    out
}

/// `batches` x 256 latent rows of the fixed evaluation stream.
pub fn eval_latents(setting: &Setting, seed: u64, batches: u64) -> Vec<f64> {
    (0..batches)
        .flat_map(|s| eval_batch(setting, seed, s).split_off(2 * BATCH))
        .collect()
}

/// The state `params` (length N) followed by the data `batch`.
pub fn with_batch(params: &[f64], batch: &[f64]) -> Vec<f64> {
    params.iter().chain(batch).copied().collect()
}

/// (f1, f2) at `params` on `batch`.
pub fn losses<G: Game>(game: &G, params: &[f64], batch: &[f64]) -> (f64, f64) {
    let x = with_batch(&params[..game.n()], batch);
    (game.leader_cost(&x), game.follower_cost(0, &x))
}

/// Generated points G(z) for the latent rows `z`.
pub fn samples(setting: &Setting, params: &[f64], z: &[f64]) -> Vec<[f64; 2]> {
    super::games::generate(setting.activation, &params[..GEN_DIM], z)
}

/// The end-point spectra budget: the paper's S of J's own blocks (eta =
/// 0), Ritz tolerance 1e-8, zero tolerance 1e-8, Krylov basis `basis` and
/// at most `restarts` restarts.
pub fn budget(basis: usize, restarts: usize) -> Budget {
    Budget {
        basis,
        restarts,
        tol: 1e-8,
        eta: 0.0,
        zero_tol: 1e-8,
    }
}

/// The extremes of J, S, D11f1 and D22f2 at `params` on `batch`
/// ([`gan_spectra`]).
pub fn spectra<G: Game>(
    game: &G,
    params: &[f64],
    batch: &[f64],
    b: &Budget,
) -> Result<GameSpectra, ExperimentError> {
    gan_spectra(game, &with_batch(&params[..game.n()], batch), b)
}

/// One recorded training: the states every `every` steps (and the last).
pub fn path<G: Game + Clone>(
    game: &G,
    setting: &Setting,
    rule: Rule,
    steps: u64,
    every: u64,
    seed: u64,
) -> Result<Vec<(u64, Vec<f64>)>, ExperimentError> {
    let r = study(game.clone(), setting, rule, 1, steps, seed)
        .record(Record::finals().paths(every, None))
        .run::<f64>()?;
    crate::common::first_path(&r)
}
