//! `stackel-paper`: reproduce the paper's experiments.
//!
//! ```text
//! cargo run --release -p stackel-paper -- [--out DIR] [--full] [--seeds N] [--seed S] [--only NAME]...
//! ```

use stackel_paper::{reproduce, Config, EXPERIMENTS};
use std::io::IsTerminal;
use std::process::ExitCode;

const USAGE: &str =
    "usage: stackel-paper [--out DIR] [--full] [--seeds N] [--seed S] [--only NAME]...
  --out DIR    output folder (default paper-out)
  --full       full-size runs (longer, finer; minutes to tens of minutes)
  --seeds N    Monte-Carlo trajectories per study (default 10000)
  --seed S     master seed (default 2026)
  --only NAME  run only this experiment (duopoly, torus, example1, covariance); repeatable";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut cfg = Config {
        progress: std::io::stderr().is_terminal(),
        ..Config::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--out" => cfg.out = val("--out")?.into(),
            "--full" => cfg.full = true,
            "--seeds" => {
                cfg.seeds = val("--seeds")?
                    .parse()
                    .map_err(|e| format!("--seeds: {e}"))?;
                if cfg.seeds == 0 {
                    return Err("--seeds must be at least 1".into());
                }
            }
            "--seed" => cfg.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--only" => {
                let v = val("--only")?;
                if !EXPERIMENTS.contains(&v.as_str()) {
                    return Err(format!(
                        "unknown experiment {v:?}; choose from {EXPERIMENTS:?}"
                    ));
                }
                cfg.only.push(v);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(cfg)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
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
