//! `stackel`: Stackelberg games as text files, from a shell.
//!
//! A game file holds the DSL exactly as inside `stackel_game! { ... }` (see
//! `games/*.stk`). The game is compiled to native code at run time
//! (`stackel_jit::DynGame`), so no Rust build is needed:
//!
//! ```text
//! stackel check games/duopoly.stk
//! stackel formulas games/duopoly.stk
//! stackel equilibria games/duopoly.stk --box 0,100
//! stackel study games/duopoly.stk --rule two-timescale --leader-rate 1,11,1 \
//!     --follower-rate 1,11,0.6667 --trajectories 100000 --steps 10000 --noise 10 \
//!     --init 10,10 --seed 1 --out out/
//! stackel study ... --shard 3/8 --out out/shard3   # one of 8 jobs
//! stackel merge out/ out/shard*                     # the whole study, exactly
//! ```
//!
//! Errors (a missing file, bad flags, an invalid game) are one clear message
//! on stderr and exit code 1 (2 for command-line syntax); no partial output
//! file is ever left (files are written under a temporary name and renamed).

mod output;
mod parquet_file;
mod study;

use clap::{Parser, Subcommand};
use stackel_jit::DynGame;
use stackel_runtime::equilibria::{grid_starts, EquilibriumReport, Field};
use stackel_runtime::Game;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Learning dynamics in Stackelberg games, from game files.
#[derive(Parser)]
#[command(name = "stackel", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check a game file; print its players, dimensions and params.
    Check {
        /// The game file (the DSL as inside `stackel_game! { ... }`).
        game: PathBuf,
    },
    /// Print the simplified formula of every derivative block.
    Formulas {
        /// The game file.
        game: PathBuf,
        #[command(flatten)]
        params: study::ParamArgs,
    },
    /// Find and classify the critical points of simultaneous play (Nash
    /// candidates) and of the Stackelberg dynamics in a box.
    Equilibria {
        /// The game file.
        game: PathBuf,
        /// The search box: `lo,hi` for every coordinate, or one `lo,hi` pair
        /// per coordinate (`lo1,hi1,lo2,hi2,...`). Angles default to
        /// [-pi, pi), other coordinates to [-10, 10].
        #[arg(long = "box", value_name = "LO,HI[,...]", allow_hyphen_values = true)]
        bounds: Option<String>,
        /// Starts per coordinate of the grid of Newton starts.
        #[arg(long, default_value_t = 5)]
        grid: usize,
        /// Which field: `simultaneous`, `stackelberg` or `both`.
        #[arg(long, default_value = "both")]
        field: String,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        params: study::ParamArgs,
    },
    /// Run a Monte-Carlo study of a learning rule and write its results.
    Study(Box<study::StudyArgs>),
    /// Merge shard outputs into the whole study, exactly (`StudyResult::merge`).
    Merge {
        /// The output folder of the merged study.
        out: PathBuf,
        /// The shards' output folders (each holds a `result.json`).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
    },
}

/// A user-facing error: printed on stderr, exit code 1.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// `Err(CliError(format!(...)))`.
#[macro_export]
macro_rules! fail {
    ($($t:tt)*) => {
        return Err($crate::CliError(format!($($t)*)))
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // DSL errors come rendered, rustc-style, with their own `error:`
            if e.0.starts_with("error") {
                eprintln!("{e}");
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Check { game } => check(&game),
        Command::Formulas { game, params } => {
            let g = params.apply(load(&game)?)?;
            for block in g.formulas() {
                println!("{} {:?}", block.block, block.shape);
                for e in &block.entries {
                    println!("  {e}");
                }
            }
            Ok(())
        }
        Command::Equilibria {
            game,
            bounds,
            grid,
            field,
            json,
            params,
        } => equilibria(
            &params.apply(load(&game)?)?,
            bounds.as_deref(),
            grid,
            &field,
            json,
        ),
        Command::Study(args) => study::run(&args),
        Command::Merge { out, shards } => study::merge(&out, &shards),
    }
}

/// The text of a game file.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))
}

/// A game file compiled to native code.
pub fn load(path: &Path) -> Result<DynGame, CliError> {
    let text = read_text(path)?;
    DynGame::from_dsl(&path.display().to_string(), &text).map_err(|e| CliError(e.to_string()))
}

fn check(path: &Path) -> Result<(), CliError> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let model = stackel_symbolic::text::front_end_text(&file, &text)
        .map_err(|e| CliError(e.to_string()))?;
    let dims = |p: &stackel_symbolic::model::Player| match p.shape.dims().as_slice() {
        [] => String::new(),
        d => format!(": {d:?}"),
    };
    println!("ok: game {}", model.name);
    println!(
        "  leader {}{} ({} coordinates)",
        model.leader.name,
        dims(&model.leader),
        model.leader_dim()
    );
    for f in &model.followers {
        println!(
            "  follower {}{} ({} coordinates)",
            f.name,
            dims(f),
            f.shape.len()
        );
    }
    for p in &model.params {
        match &p.default {
            Some(v) => println!("  param {} ({} entries) = {v:?}", p.name, p.shape.len()),
            None => println!(
                "  param {} ({} entries), no default: zero until set (--param)",
                p.name,
                p.shape.len()
            ),
        }
    }
    for d in &model.data {
        println!("  data {} ({} entries)", d.name, d.shape.len());
    }
    match DynGame::from_dsl(&file, &text) {
        Ok(g) => println!(
            "  {} (study, equilibria, formulas)",
            match g.info().form {
                stackel_runtime::Form::Unrolled => {
                    "compiles to native code at run time in the unrolled form"
                }
                stackel_runtime::Form::Loops =>
                    "compiles to native code at run time in the loop form",
                stackel_runtime::Form::Tape =>
                    "compiles to native code at run time in the tape form",
            }
        ),
        Err(e) => println!("  not compiled at run time: {e}"),
    }
    Ok(())
}

/// (lo, hi) per coordinate from `--box`.
fn parse_box(g: &DynGame, spec: Option<&str>) -> Result<Vec<(f64, f64)>, CliError> {
    let n = g.n();
    let angle = g.info().angle_mask();
    let Some(spec) = spec else {
        let pi = std::f64::consts::PI;
        return Ok(angle
            .iter()
            .map(|&a| if a { (-pi, pi) } else { (-10.0, 10.0) })
            .collect());
    };
    let v = study::parse_list(spec, "--box")?;
    let pairs: Vec<(f64, f64)> = v
        .chunks(2)
        .map(|c| (c[0], *c.get(1).unwrap_or(&f64::NAN)))
        .collect();
    let pairs = match pairs.len() {
        1 => vec![pairs[0]; n],
        k if k == n => pairs,
        _ => fail!(
            "--box takes one lo,hi pair or {n} pairs (one per coordinate), got {} numbers",
            v.len()
        ),
    };
    if v.len() % 2 == 1
        || pairs
            .iter()
            .any(|(lo, hi)| lo.partial_cmp(hi) != Some(std::cmp::Ordering::Less))
    {
        fail!("--box: every pair must be lo,hi with lo < hi");
    }
    Ok(pairs)
}

fn equilibria(
    g: &DynGame,
    bounds: Option<&str>,
    grid: usize,
    field: &str,
    json: bool,
) -> Result<(), CliError> {
    let fields: Vec<Field> = match field {
        "simultaneous" => vec![Field::Simultaneous],
        "stackelberg" => vec![Field::STACKELBERG],
        "both" => vec![Field::Simultaneous, Field::STACKELBERG],
        other => fail!("--field takes simultaneous, stackelberg or both, not `{other}`"),
    };
    if grid == 0 {
        fail!("--grid must be at least 1");
    }
    let starts = grid_starts(&parse_box(g, bounds)?, grid);
    let mut reports = Vec::new();
    for f in fields {
        let r = EquilibriumReport::find(g, f, &starts, &Default::default(), &Default::default())
            .map_err(|e| CliError(format!("{e}")))?;
        reports.push(r);
    }
    if json {
        let values: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| serde_json::from_str(&r.to_json()).expect("the report's JSON parses"))
            .collect();
        println!("{}", serde_json::to_string_pretty(&values)?);
    } else {
        for r in &reports {
            println!("{r}");
        }
    }
    Ok(())
}
