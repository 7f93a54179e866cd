//! `stackel-paper`: reproduce the paper's experiments.
//!
//! ```text
//! cargo run --release -p stackel-paper -- [--out DIR] [--full] [--seeds N] [--seed S] [--only NAME]...
//!     [--gan-steps K] [--gan-runs R] [--gan-study-steps K]
//! ```

use clap::Parser;
use stackel_paper::{reproduce, Config, GanLengths, EXPERIMENTS};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Reproduces the experiments of Fiez, Chasnov and Ratliff, "Convergence of
/// Learning Dynamics in Stackelberg Games": figures, Monte-Carlo statistics
/// and summary.md/json beside the paper's numbers.
#[derive(Parser, Debug)]
#[command(name = "stackel-paper")]
struct Args {
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "paper-out")]
    out: PathBuf,
    /// Full-size runs (longer, finer; minutes to tens of minutes; the
    /// mixture-of-Gaussians GANs: the paper's 60000 iterations, hours).
    #[arg(long)]
    full: bool,
    /// Monte-Carlo trajectories per study [default: 10000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    seeds: Option<u64>,
    /// Master seed [default: 2026].
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Run only this experiment; repeatable.
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(EXPERIMENTS))]
    only: Vec<String>,
    /// Iterations of each mixture-of-Gaussians figure run (the paper's
    /// figures 5 and 6) [default: 6000; with --full: 60000].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    gan_steps: Option<u64>,
    /// Trainings per rule in the mixture-of-Gaussians study [default: 64;
    /// with --full: 128].
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(1..))]
    gan_runs: Option<u64>,
    /// Iterations of each training of the mixture-of-Gaussians study
    /// [default: 100; with --full: 60000].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    gan_study_steps: Option<u64>,
}

impl Args {
    fn config(self) -> Config {
        let d = Config::default();
        Config {
            out: self.out,
            full: self.full,
            seeds: self.seeds.unwrap_or(d.seeds),
            seed: self.seed.unwrap_or(d.seed),
            only: self.only,
            gan: GanLengths {
                steps: self.gan_steps,
                runs: self.gan_runs,
                study_steps: self.gan_study_steps,
            },
            progress: std::io::stderr().is_terminal(),
            ..d
        }
    }
}

fn main() -> ExitCode {
    let cfg = Args::parse().config();
    match reproduce(&cfg) {
        Ok(summary) => {
            let bad = summary.disagreements();
            println!(
                "wrote {}/summary.md, summary.json and the figures ({:.1} s)",
                cfg.out.display(),
                summary.seconds
            );
            for (sec, row) in &bad {
                println!(
                    "DISAGREES [{sec}] {}: measured {}, reference {}",
                    row.quantity,
                    row.measured,
                    row.reference.as_deref().unwrap_or("-")
                );
            }
            if bad.is_empty() {
                println!("every checked number agrees with its reference");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_flag_parses_as_before() {
        Args::command().debug_assert();
        let d = Config::default();
        let cfg = Args::try_parse_from(["stackel-paper"]).unwrap().config();
        assert_eq!(
            (cfg.out, cfg.full, cfg.seeds, cfg.seed),
            (PathBuf::from("paper-out"), false, d.seeds, d.seed)
        );
        assert!(cfg.only.is_empty());
        let cfg = Args::try_parse_from([
            "stackel-paper",
            "--out",
            "x",
            "--full",
            "--seeds",
            "7",
            "--seed",
            "3",
            "--only",
            "torus",
            "--only",
            "duopoly",
            "--only",
            "mog",
        ])
        .unwrap()
        .config();
        assert_eq!(
            (cfg.out, cfg.full, cfg.seeds, cfg.seed),
            (PathBuf::from("x"), true, 7, 3)
        );
        assert_eq!(cfg.only, ["torus", "duopoly", "mog"]);
        assert_eq!(cfg.gan, GanLengths::default());
        let cfg = Args::try_parse_from([
            "stackel-paper",
            "--gan-steps",
            "60000",
            "--gan-runs",
            "8",
            "--gan-study-steps",
            "500",
        ])
        .unwrap()
        .config();
        assert_eq!(
            cfg.gan,
            GanLengths {
                steps: Some(60_000),
                runs: Some(8),
                study_steps: Some(500)
            }
        );
        for bad in [
            &["--seeds", "0"][..],
            &["--only", "nope"],
            &["--gan-steps", "0"],
            &["--seeds"],
            &["--frobnicate"],
        ] {
            let args = std::iter::once("stackel-paper").chain(bad.iter().copied());
            assert!(Args::try_parse_from(args).is_err(), "{bad:?}");
        }
    }
}
