//! `stackel study` and `stackel merge`: the flags, the study they build, and
//! the shard logic (run one shard, resume, merge shards exactly).

use crate::output::{write_outputs, Format};
use crate::{fail, load, CliError};
use clap::Args;
use stackel_jit::DynGame;
use stackel_runtime::data::Sampler;
use stackel_runtime::{
    Dynamics, Game, Init, Noise, Optimizer, Record, Schedule, Study, StudyResult,
};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// `--param name=value[,value...]`: a param set before anything runs.
#[derive(Args, Clone, Debug, Default)]
pub struct ParamArgs {
    /// Set a param: `a=110` or, for an array param, all its entries
    /// `alpha=1.0,1.3` (row-major). Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub params: Vec<String>,
}

impl ParamArgs {
    /// `g` with the params set.
    pub fn apply(&self, mut g: DynGame) -> Result<DynGame, CliError> {
        if self.params.is_empty() {
            return Ok(g);
        }
        let mut p = vec![0.0; g.np()];
        g.params(&mut p);
        for spec in &self.params {
            let Some((name, values)) = spec.split_once('=') else {
                fail!("--param takes NAME=VALUE, not `{spec}`");
            };
            let info = g.info();
            let Some(param) = info.params.iter().find(|q| q.name == name.trim()) else {
                let names: Vec<&str> = info.params.iter().map(|q| q.name).collect();
                fail!(
                    "the game has no param `{}` (its params: {})",
                    name.trim(),
                    names.join(", ")
                );
            };
            let v = parse_list(values, "--param")?;
            if v.len() != param.len {
                fail!(
                    "param `{}` has {} entries, {} given",
                    param.name,
                    param.len,
                    v.len()
                );
            }
            p[param.offset..param.offset + param.len].copy_from_slice(&v);
        }
        g.set_params(&p);
        Ok(g)
    }
}

/// The flags of `stackel study`.
#[derive(Args, Debug)]
pub struct StudyArgs {
    /// The game file.
    pub game: PathBuf,
    /// The learning rule: simultaneous, two-timescale, lola or best-response.
    #[arg(long, default_value = "two-timescale")]
    pub rule: String,
    /// Step sizes of simultaneous play and best response (every player):
    /// `a,k0,p` for gamma_k = a / (k + k0)^p.
    #[arg(long, value_name = "A,K0,P", allow_hyphen_values = true)]
    pub rate: Option<String>,
    /// The leader's step sizes (two-timescale, LOLA): `a,k0,p`.
    #[arg(long, value_name = "A,K0,P", allow_hyphen_values = true)]
    pub leader_rate: Option<String>,
    /// The followers' step sizes (two-timescale, LOLA): `a,k0,p`.
    #[arg(long, value_name = "A,K0,P", allow_hyphen_values = true)]
    pub follower_rate: Option<String>,
    /// Regularisation eta of the implicit map (Stackelberg rules).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub eta: f64,
    /// Number of trajectories.
    #[arg(long, default_value_t = 1000)]
    pub trajectories: u64,
    /// Steps per trajectory.
    #[arg(long, default_value_t = 1000)]
    pub steps: u64,
    /// Variance of the gradient noise (every coordinate).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub noise: f64,
    /// Every trajectory starts here: one value per coordinate.
    #[arg(
        long,
        value_name = "X1,X2,...",
        conflicts_with = "init_box",
        allow_hyphen_values = true
    )]
    pub init: Option<String>,
    /// Starts uniform in a box: `lo,hi` for all coordinates, or one pair each.
    #[arg(
        long,
        value_name = "LO,HI[,...]",
        allow_hyphen_values = true,
        conflicts_with = "init_kaiming"
    )]
    pub init_box: Option<String>,
    /// Starts from PyTorch's default initialisation of linear layers
    /// (Kaiming-uniform per player part; networks).
    #[arg(long, conflicts_with = "init")]
    pub init_kaiming: bool,
    /// Feed a data input, resampled every step: `NAME=normal` (standard
    /// normal entries) or `NAME=mixture:VAR:M1;M2;...` (rows drawn from a
    /// Gaussian mixture with equal weights, variance VAR, means M1, M2, ...
    /// each `x,y,...`). Repeatable, one per data input.
    #[arg(long = "data", value_name = "NAME=SAMPLER", allow_hyphen_values = true)]
    pub data: Vec<String>,
    /// Step with Adam (beta 0.9, 0.999, eps 1e-8) on each player's
    /// direction instead of plain gradient steps.
    #[arg(long)]
    pub adam: bool,
    /// Seed of the random streams (same seed, same results, any sharding).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Run on the GPU engine (Vulkan; built with the `gpu` feature).
    #[arg(long)]
    pub gpu: bool,
    /// Compute in f32 instead of f64.
    #[arg(long)]
    pub f32: bool,
    /// Run only shard i of n (`i/n`, 0-based), e.g. one job of a job array.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Skip the run when `--out` already holds this exact study's result.
    #[arg(long)]
    pub resume: bool,
    /// Track lock-in to this point: the step after which each trajectory
    /// stays within --eps of it (the `lock_in` column), and the mean distance.
    #[arg(long, value_name = "X1,X2,...", allow_hyphen_values = true)]
    pub target: Option<String>,
    /// The lock-in radius around --target.
    #[arg(long, default_value_t = 0.1)]
    pub eps: f64,
    /// Count basins: each final state goes to the nearest of these points
    /// (repeatable; the `basin` column and the summary's counts).
    #[arg(long = "basin", value_name = "X1,X2,...", allow_hyphen_values = true)]
    pub basins: Vec<String>,
    /// Output formats besides result.json: csv, json, parquet (comma-separated).
    #[arg(long, default_value = "csv,json")]
    pub format: String,
    #[command(flatten)]
    pub params: ParamArgs,
}

/// Numbers separated by commas.
pub fn parse_list(s: &str, flag: &str) -> Result<Vec<f64>, CliError> {
    s.split(',')
        .map(|t| {
            let t = t.trim();
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| CliError(format!("{flag}: `{t}` is not a finite number")))
        })
        .collect()
}

/// `a,k0,p` as gamma_k = a / (k + k0)^p.
fn schedule(spec: Option<&str>, flag: &str) -> Result<Schedule, CliError> {
    let Some(spec) = spec else {
        fail!("this rule needs {flag} a,k0,p (gamma_k = a / (k + k0)^p)");
    };
    let v = parse_list(spec, flag)?;
    let [a, k0, p] = v[..] else {
        fail!("{flag} takes three numbers a,k0,p, got {}", v.len());
    };
    if a <= 0.0 || k0 < 0.0 || p < 0.0 {
        fail!("{flag}: need a > 0, k0 >= 0 and p >= 0");
    }
    Ok(Schedule::inverse_power(a).offset(k0).exponent(p))
}

fn dynamics(args: &StudyArgs) -> Result<Dynamics, CliError> {
    let (leader, follower) = (args.leader_rate.as_deref(), args.follower_rate.as_deref());
    let d = match args.rule.as_str() {
        "simultaneous" => Dynamics::simultaneous(schedule(args.rate.as_deref(), "--rate")?),
        "best-response" => Dynamics::best_response(schedule(args.rate.as_deref(), "--rate")?),
        "two-timescale" => Dynamics::two_timescale(
            schedule(leader, "--leader-rate")?,
            schedule(follower, "--follower-rate")?,
        ),
        "lola" => Dynamics::lola(
            schedule(leader, "--leader-rate")?,
            schedule(follower, "--follower-rate")?,
        ),
        other => {
            fail!("--rule takes simultaneous, two-timescale, lola or best-response, not `{other}`")
        }
    };
    if !(args.eta >= 0.0 && args.eta.is_finite()) {
        fail!("--eta must be finite and >= 0");
    }
    let d = d.eta(args.eta);
    Ok(if args.adam {
        d.optimizer(Optimizer::adam())
    } else {
        d
    })
}

/// `NAME=normal` or `NAME=mixture:VAR:M1;M2;...` (`--data`).
fn sampler(spec: &str) -> Result<(String, Sampler), CliError> {
    let Some((name, what)) = spec.split_once('=') else {
        fail!("--data takes NAME=normal or NAME=mixture:VAR:M1;M2;..., not `{spec}`");
    };
    let (name, what) = (name.trim().to_string(), what.trim());
    if what == "normal" {
        return Ok((name, Sampler::standard_normal()));
    }
    let mixture = what
        .strip_prefix("mixture:")
        .and_then(|rest| rest.split_once(':'));
    let Some((var, means)) = mixture else {
        fail!("--data {name}: the sampler is `normal` or `mixture:VAR:M1;M2;...`, not `{what}`");
    };
    let var: f64 = match var.trim().parse() {
        Ok(v) if v > 0.0 && f64::is_finite(v) => v,
        _ => fail!("--data {name}: the mixture variance must be a finite number > 0, not `{var}`"),
    };
    let means = means
        .split(';')
        .map(|m| parse_list(m, "--data"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((name, Sampler::gaussian_mixture(means, var)))
}

fn init(args: &StudyArgs, n: usize) -> Result<Init, CliError> {
    if let Some(spec) = &args.init {
        let v = parse_list(spec, "--init")?;
        if v.len() != n {
            fail!(
                "--init takes {n} numbers (one per coordinate), got {}",
                v.len()
            );
        }
        return Ok(Init::Point(v));
    }
    if let Some(spec) = &args.init_box {
        let v = parse_list(spec, "--init-box")?;
        let (lo, hi): (Vec<f64>, Vec<f64>) = match v.len() {
            2 => (vec![v[0]; n], vec![v[1]; n]),
            k if k == 2 * n => (
                v.iter().step_by(2).copied().collect(),
                v.iter().skip(1).step_by(2).copied().collect(),
            ),
            k => fail!("--init-box takes 2 or {} numbers, got {k}", 2 * n),
        };
        if lo.iter().zip(&hi).any(|(l, h)| l >= h) {
            fail!("--init-box: every pair must be lo,hi with lo < hi");
        }
        return Ok(Init::Box { lo, hi });
    }
    if args.init_kaiming {
        return Ok(Init::kaiming_uniform());
    }
    fail!("give the starts: --init x1,x2,..., --init-box lo,hi or --init-kaiming")
}

/// What to record besides the final states: lock-in to --target, basins.
fn record(args: &StudyArgs, n: usize) -> Result<Record, CliError> {
    let mut r = Record::finals();
    let point = |spec: &str, flag: &str| -> Result<Vec<f64>, CliError> {
        let v = parse_list(spec, flag)?;
        if v.len() != n {
            fail!(
                "{flag} takes {n} numbers (one per coordinate), got {}",
                v.len()
            );
        }
        Ok(v)
    };
    if let Some(spec) = &args.target {
        if !(args.eps > 0.0 && args.eps.is_finite()) {
            fail!("--eps must be finite and > 0");
        }
        r = r.target(
            point(spec, "--target")?,
            args.eps,
            args.steps.div_ceil(100).max(1),
        );
    }
    if !args.basins.is_empty() {
        let points = args
            .basins
            .iter()
            .map(|b| point(b, "--basin"))
            .collect::<Result<Vec<_>, _>>()?;
        r = r.basins(points);
    }
    Ok(r)
}

/// `i/n` with i < n.
fn parse_shard(spec: &str) -> Result<(u64, u64), CliError> {
    let parsed = spec
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((i, n)) if n > 0 && i < n => Ok((i, n)),
        _ => fail!("--shard takes i/n with 0 <= i < n, not `{spec}`"),
    }
}

/// The study the flags describe.
pub fn build(args: &StudyArgs) -> Result<Study<DynGame>, CliError> {
    let game = args.params.apply(load(&args.game)?)?;
    let n = game.n();
    if !(args.noise >= 0.0 && args.noise.is_finite()) {
        fail!("--noise is a variance: finite and >= 0");
    }
    if args.trajectories == 0 {
        fail!("--trajectories must be at least 1");
    }
    let init = init(args, n)?;
    let mut study = Study::new(game, dynamics(args)?)
        .trajectories(args.trajectories)
        .steps(args.steps)
        .noise(Noise::variance(args.noise))
        .init(init)
        .seed(args.seed)
        .progress(std::io::stderr().is_terminal());
    study = study.record(record(args, n)?);
    for spec in &args.data {
        let (name, sampler) = sampler(spec)?;
        study = study.data(&name, sampler);
    }
    if let Some(spec) = &args.shard {
        let (i, k) = parse_shard(spec)?;
        study = study.shard(i, k);
    }
    if args.gpu {
        study = gpu(study)?;
    }
    study.validate().map_err(|e| CliError(e.to_string()))?;
    Ok(study)
}

#[cfg(feature = "gpu")]
fn gpu(study: Study<DynGame>) -> Result<Study<DynGame>, CliError> {
    Ok(study.engine(stackel_runtime::Engine::Gpu))
}

#[cfg(not(feature = "gpu"))]
fn gpu(_: Study<DynGame>) -> Result<Study<DynGame>, CliError> {
    fail!("--gpu: this stackel was built without the `gpu` feature (cargo build -p stackel-cli --features gpu)")
}

/// `stackel study`.
pub fn run(args: &StudyArgs) -> Result<(), CliError> {
    let formats = Format::parse_list(&args.format)?;
    let study = build(args)?;
    let fingerprint = if args.f32 {
        study.fingerprint_for::<f32>()
    } else {
        study.fingerprint_for::<f64>()
    };
    let done = args.out.join("result.json");
    if args.resume && done.exists() {
        let old: StudyResult = read_result(&done)?;
        if old.fingerprint == fingerprint && (old.first, old.count) == shard_range(&study) {
            eprintln!(
                "{}: this study is complete, nothing to run (--resume)",
                args.out.display()
            );
            return Ok(());
        }
        eprintln!(
            "{}: holds another study; running this one",
            args.out.display()
        );
    }
    let result = if args.f32 {
        study.run::<f32>()
    } else {
        study.run::<f64>()
    }
    .map_err(|e| CliError(e.to_string()))?;
    write_outputs(&args.out, &result, &formats)?;
    eprintln!("{}", crate::output::summary_text(&result).trim_end());
    Ok(())
}

/// (first trajectory, count) of the study's shard.
fn shard_range<G: Game>(study: &Study<G>) -> (u64, u64) {
    let (first, end) = study.range();
    (first, end - first)
}

fn read_result(path: &Path) -> Result<StudyResult, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError(format!("{} is not a study result: {e}", path.display())))
}

/// `stackel merge`.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<(), CliError> {
    let parts = shards
        .iter()
        .map(|d| read_result(&d.join("result.json")))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = StudyResult::merge(parts).map_err(|e| CliError(format!("cannot merge: {e}")))?;
    write_outputs(out, &merged, &[Format::Csv, Format::Json])?;
    eprintln!(
        "merged {} shards: {} trajectories into {}",
        shards.len(),
        merged.count,
        out.display()
    );
    Ok(())
}
