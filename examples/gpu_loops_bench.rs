//! The GPU engine's loop-form kernel against the CPU engine on the
//! covariance game at m = 3, 9, 25 (state sizes 18, 162, 1250), compiled in
//! the loop form: trajectory-steps per second of the same study (two-timescale
//! Stackelberg learning with the matrix-free CG follower solve, noise) on both
//! engines in the same process, and their ratio.
//!
//! Both layouts of the loop-form kernel are measured: one trajectory per
//! invocation (the default) and one per workgroup
//! (`GpuOptions::loop_workgroup`, the workgroup's threads sharing each
//! trajectory's loops).
//!
//! `cargo run --release --features gpu --example gpu_loops_bench -- [--traj 256]
//! [--steps 100] [--f64]`
//!
//! Each rate is the median of 3 runs after a warm-up run (which compiles the
//! GPU pipeline). On lavapipe the "GPU" is the CPU itself (LLVM-compiled
//! SPIR-V on the same cores), so the ratio measures the kernel's code, not a
//! device.

use clap::Parser;
use stackel::dynamics::{Dynamics, FollowerSolver};
use stackel::engine::{Init, Noise, Study};
use stackel::gpu::{self, GpuEngine, GpuOptions};
use stackel::krylov::{KrylovOptions, Method};
use stackel::prelude::*;
use stackel::rng::NoiseFloat;
use stackel::schedule::Schedule;
use std::time::Instant;

stackel_testkit::covariance_game!(
    crate = [stackel],
    Cov3,
    3,
    "Covariance estimation (paper 4.3), m = 3, loop form.",
    form = "loops"
);

stackel_testkit::covariance_game!(
    crate = [stackel],
    Cov9,
    9,
    "Covariance estimation, m = 9, loop form.",
    form = "loops"
);

stackel_testkit::covariance_game!(
    crate = [stackel],
    Cov25,
    25,
    "Covariance estimation, m = 25, loop form.",
    form = "loops"
);

/// Command line (`--help` lists it).
#[derive(Parser)]
#[command(about = "loop-form GPU kernel vs CPU engine, covariance m = 3, 9, 25")]
struct Args {
    /// Trajectories per study.
    #[arg(long, default_value_t = 256)]
    traj: u64,
    /// Steps per study.
    #[arg(long, default_value_t = 100)]
    steps: u64,
    /// Also measure f64 (adapters with SHADER_F64).
    #[arg(long)]
    f64: bool,
}

/// The study: identity sigma (each diagonal entry 1), v from a box of
/// half-width 0.5 / sqrt(m), CG to 1e-5 (f32) or 1e-10 (f64).
fn study<G: Game + Clone, T: NoiseFloat>(game: G, m: usize, traj: u64, steps: u64) -> Study<G> {
    let tol = if std::mem::size_of::<T>() == 8 {
        1e-10
    } else {
        1e-5
    };
    let dynamics = Dynamics::two_timescale(Schedule::constant(0.02), Schedule::constant(0.1))
        .follower_solver(FollowerSolver::krylov(KrylovOptions {
            method: Method::Cg,
            tol,
            max_iter: 50,
            ..KrylovOptions::default()
        }));
    let h = 0.5 / (m as f64).sqrt();
    let n = game.n();
    Study::new(game, dynamics)
        .trajectories(traj)
        .steps(steps)
        .noise(Noise::variance(1e-4))
        .init(Init::Box {
            lo: vec![-h; n],
            hi: vec![h; n],
        })
        .seed(3)
        .progress(false)
}

/// The m x m identity (the covariance to estimate).
fn identity<const M: usize>() -> [[f64; M]; M] {
    let mut a = [[0.0; M]; M];
    for (i, r) in a.iter_mut().enumerate() {
        r[i] = 1.0;
    }
    a
}

/// Median trajectory-steps/s of 3 runs of `run` (after one warm-up run,
/// which compiles the GPU pipeline) and the finished count of the last.
fn rate(run: impl Fn() -> StudyResult, work: u64) -> (f64, u64) {
    run();
    let mut rates = Vec::new();
    let mut finished = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = run();
        let dt = t.elapsed().as_secs_f64();
        finished = r.summary.finished;
        rates.push(work as f64 / dt);
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    (rates[1], finished)
}

fn row<G: Game + Clone, T: NoiseFloat>(game: G, m: usize, prec: &str, a: &Args, wg: &GpuEngine) {
    let n = game.n();
    let s = study::<G, T>(game, m, a.traj, a.steps);
    let work = a.traj * a.steps;
    let (c, cf) = rate(|| s.run::<T>().expect("CPU study"), work);
    let (g, gf) = rate(
        || {
            gpu::shared()
                .unwrap()
                .run_study::<G, T>(&s)
                .expect("GPU study")
        },
        work,
    );
    let (w, wf) = rate(|| wg.run_study::<G, T>(&s).expect("GPU study"), work);
    println!(
        "| {m} | {} | {prec} | {c:.3e} | {g:.3e} | {w:.3e} | {:.2} | {:.2} | {cf}/{gf}/{wf} of {} |",
        n,
        g / c,
        w / c,
        a.traj
    );
}

fn main() {
    let a = Args::parse();
    let e = match gpu::shared() {
        Ok(e) => e,
        Err(err) => {
            eprintln!("no GPU engine: {err}");
            std::process::exit(1);
        }
    };
    println!("adapter: {}", e.description());
    println!(
        "cpu threads: {}; {} trajectories x {} steps, two-timescale, CG follower solve",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        a.traj,
        a.steps
    );
    let wg = GpuEngine::with_options(GpuOptions {
        loop_workgroup: true,
        ..GpuOptions::default()
    })
    .expect("GPU engine");
    println!(
        "| m | N | precision | CPU engine | GPU, trajectory per invocation | GPU, trajectory per workgroup | inv./CPU | wg/CPU | finished (CPU/inv./wg) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    row::<Cov3, f32>(
        Cov3 {
            sigma: identity(),
            eta: 0.6,
        },
        3,
        "f32",
        &a,
        &wg,
    );
    row::<Cov9, f32>(
        Cov9 {
            sigma: identity(),
            eta: 0.6,
        },
        9,
        "f32",
        &a,
        &wg,
    );
    row::<Cov25, f32>(
        Cov25 {
            sigma: identity(),
            eta: 0.6,
        },
        25,
        "f32",
        &a,
        &wg,
    );
    if a.f64 && e.supports_f64() {
        row::<Cov3, f64>(
            Cov3 {
                sigma: identity(),
                eta: 0.6,
            },
            3,
            "f64",
            &a,
            &wg,
        );
        row::<Cov9, f64>(
            Cov9 {
                sigma: identity(),
                eta: 0.6,
            },
            9,
            "f64",
            &a,
            &wg,
        );
        row::<Cov25, f64>(
            Cov25 {
                sigma: identity(),
                eta: 0.6,
            },
            25,
            "f64",
            &a,
            &wg,
        );
    }
}
