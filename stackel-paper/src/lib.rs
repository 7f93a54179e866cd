//! Reproduction of the experiments of Fiez, Chasnov and Ratliff,
//! "Convergence of Learning Dynamics in Stackelberg Games", with stackel:
//! figures (PNG and SVG), Monte-Carlo statistics with confidence intervals,
//! and a summary that puts every measured number beside the paper's.

#![warn(missing_docs)]
pub mod common;
pub mod covariance;
pub mod duopoly;
pub mod example1;
pub mod games;
pub mod mog;
pub mod plot;
pub mod precision;
pub mod stats;
pub mod summary;
pub mod torus;

use std::path::PathBuf;

/// What to run and where to write it.
#[derive(Clone, Debug)]
pub struct Config {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Monte-Carlo trajectories per study.
    pub seeds: u64,
    /// The full-size version (longer runs, finer grids).
    pub full: bool,
    /// Master seed of every study.
    pub seed: u64,
    /// Show progress bars (on a terminal).
    pub progress: bool,
    /// Which experiments (empty: all).
    pub only: Vec<String>,
    /// A smoke-test size (about a tenth of the default steps and grids), for
    /// the test suite; numbers are less converged.
    pub quick: bool,
    /// The lengths of the mixture-of-Gaussians GANs, where set: they
    /// replace the quick / default / full sizes ([`GanLengths`]).
    pub gan: GanLengths,
}

/// Overrides of the GAN experiment's sizes (`None`: the mode's size).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GanLengths {
    /// Iterations of each figure run (default 6000, `--full` 60000).
    pub steps: Option<u64>,
    /// Trainings per rule in the study (default 64, `--full` 128).
    pub runs: Option<u64>,
    /// Iterations of each study training (default 100, `--full` 60000).
    pub study_steps: Option<u64>,
}

impl Config {
    /// Picks the step count (or grid size) for the quick / default / full modes.
    pub fn size(&self, quick: u64, default: u64, full: u64) -> u64 {
        if self.quick {
            quick
        } else if self.full {
            full
        } else {
            default
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            out: PathBuf::from("paper-out"),
            seeds: 10_000,
            full: false,
            seed: 2026,
            progress: false,
            only: vec![],
            quick: false,
            gan: GanLengths::default(),
        }
    }
}

/// The experiments, by name.
pub const EXPERIMENTS: [&str; 6] = [
    "duopoly",
    "torus",
    "example1",
    "covariance",
    "mog",
    "precision",
];

/// Runs the selected experiments and writes figures, `summary.md` and
/// `summary.json` into `cfg.out`.
pub fn reproduce(cfg: &Config) -> Result<summary::Summary, common::ExperimentError> {
    std::fs::create_dir_all(&cfg.out)?;
    let t0 = std::time::Instant::now();
    let mut sections = Vec::new();
    for name in EXPERIMENTS {
        if !cfg.only.is_empty() && !cfg.only.iter().any(|o| o == name) {
            continue;
        }
        let t = std::time::Instant::now();
        eprintln!("[stackel-paper] {name} ...");
        let mut s = match name {
            "duopoly" => duopoly::run(cfg)?,
            "torus" => torus::run(cfg)?,
            "example1" => example1::run(cfg)?,
            "mog" => mog::run(cfg)?,
            "precision" => precision::run(cfg)?,
            _ => covariance::run(cfg)?,
        };
        s.setup
            .push(format!("Run time: {:.1} s.", t.elapsed().as_secs_f64()));
        eprintln!(
            "[stackel-paper] {name} done in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        sections.push(s);
    }
    let summary = summary::Summary {
        title: "stackel: reproduction of Fiez, Chasnov, Ratliff, \"Convergence of Learning Dynamics in Stackelberg Games\"".into(),
        mode: format!(
            "{} ({} Monte-Carlo trajectories per study, seed {})",
            if cfg.full { "full" } else { "default" },
            cfg.seeds,
            cfg.seed
        ),
        sections,
        seconds: t0.elapsed().as_secs_f64(),
    };
    summary.write(&cfg.out)?;
    Ok(summary)
}
