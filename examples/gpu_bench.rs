//! The GPU engine on macro-generated games (the user's path,
//! `Study::engine(Engine::Gpu)`): trajectory-steps per second over a grid of
//! N and K, beside the bare Philox + Box-Muller kernel of the same shape (the
//! ceiling a study kernel can approach), and the fixed cost of one study.
//!
//! `cargo run --release --features gpu --example gpu_bench -- [--n 16,20,24]
//! [--k 1000,10000,100000] [--max-work W] [--cpu]`
//!
//! `--n` takes log2 N; cells with N K above `--max-work` (default 2^24 1e4)
//! are skipped; `--cpu` adds the CPU engine's rate at the smallest cell.
//! Defaults are sized for a real GPU (the whole run takes a few minutes on
//! an H100); on lavapipe use e.g. `--n 10,12 --k 100,1000`.

use clap::Parser;
use stackel::dynamics::Dynamics;
use stackel::engine::{Engine, Init, Noise, Study};
use stackel::gpu;
use stackel::prelude::*;
use stackel::rng::NoiseFloat;
use stackel::schedule::Schedule;
use std::time::Instant;

use stackel_testkit::games::{Duopoly, LeaderThreeFollowerTwo};

/// The `mc_throughput` study's dynamics: two-timescale Stackelberg learning,
/// gamma1 = 1/(k + 11), gamma2 = (k + 11)^(-2/3), noise variance 10.
fn dynamics() -> Dynamics {
    Dynamics::two_timescale(
        Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
        Schedule::inverse_power(1.0)
            .offset(11.0)
            .exponent(2.0 / 3.0),
    )
}

fn study<G: Game + Clone>(game: &G, start: f64, n: u64, k: u64) -> Study<G> {
    Study::new(game.clone(), dynamics())
        .trajectories(n)
        .steps(k)
        .noise(Noise::variance(10.0))
        .init(Init::Point(vec![start; game.n()]))
        .seed(1)
        .progress(false)
}

/// Seconds of `f`, and its result.
fn time<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Command line (`--help` lists it).
#[derive(Parser)]
#[command(about = "GPU engine throughput on macro games over an N x K grid")]
struct Args {
    /// log2 of the trajectory counts N, comma-separated.
    #[arg(long = "n", value_delimiter = ',', default_values_t = [16u32, 20, 24])]
    log_n: Vec<u32>,
    /// Step counts K, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1000u64, 10_000, 100_000])]
    k: Vec<u64>,
    /// Cells with N K above this are skipped.
    #[arg(long, default_value_t = (1u64 << 24) as f64 * 1e4)]
    max_work: f64,
    /// Also time the CPU engine at the smallest cell.
    #[arg(long)]
    cpu: bool,
}

/// Median seconds of a study of `n` trajectories and `k` steps on the GPU
/// engine after a warm-up run: the fixed cost when N K is small.
fn fixed_cost<T: NoiseFloat>(n: u64, k: u64) -> f64 {
    let s = study(&Duopoly::default(), 10.0, n, k).engine(Engine::Gpu);
    s.run::<T>().expect("GPU study");
    median((0..7).map(|_| time(|| s.run::<T>().unwrap()).1).collect())
}

/// One table of GPU rates for `game` in precision `T`.
fn table<G: Game + Clone, T: NoiseFloat>(name: &str, game: &G, start: f64, a: &Args) {
    let e = gpu::shared().expect("adapter");
    let prec = std::any::type_name::<T>();
    // warm-up: builds the pipelines (and lets the driver compile them)
    study(game, start, 64, 10)
        .engine(Engine::Gpu)
        .run::<T>()
        .expect("GPU study");
    e.ceiling_rate::<T>(game.n(), 64, 2)
        .expect("ceiling kernel");
    if a.cpu {
        let (n, k) = (1u64 << a.log_n[0], a.k[0]);
        let (r, t) = time(|| study(game, start, n, k).run::<T>());
        r.expect("CPU study");
        println!(
            "{name} {prec}: CPU engine ({} threads) at N = 2^{}, K = {k}: {:.2e} trajectory-steps/s",
            rayon_threads(),
            a.log_n[0],
            (n * k) as f64 / t
        );
    }
    for &ln in &a.log_n {
        for &k in &a.k {
            let n = 1u64 << ln;
            let work = (n * k) as f64;
            if work > a.max_work {
                println!("| {name} | {prec} | 2^{ln} | {k} | - | - | - |");
                continue;
            }
            let (r, t) = time(|| study(game, start, n, k).engine(Engine::Gpu).run::<T>());
            let r = r.expect("GPU study");
            let ceiling = e
                .ceiling_rate::<T>(game.n(), n as u32, k as u32)
                .expect("ceiling kernel");
            let rate = work / t;
            println!(
                "| {name} | {prec} | 2^{ln} | {k} | {rate:.2e} | {ceiling:.2e} | {:.2} |",
                rate / ceiling
            );
            assert!(r.summary.finished > 0);
        }
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
    let fixed = [(1u64 << 10, 1u64), (1 << 10, 10)];
    for (n, k) in fixed {
        println!(
            "fixed cost, duopoly f32, N = {n}, K = {k} (median of 7): {:.2} ms",
            1e3 * fixed_cost::<f32>(n, k)
        );
    }
    let big = 1u64 << a.log_n.iter().copied().max().unwrap_or(20);
    println!(
        "one study, duopoly f32, N = {big}, K = 1 (median of 7): {:.2} ms",
        1e3 * fixed_cost::<f32>(big, 1)
    );
    // where the time of that study goes (STACKEL_GPU_PROFILE, on stderr)
    std::env::set_var("STACKEL_GPU_PROFILE", "1");
    let s = study(&Duopoly::default(), 10.0, big, 1).engine(Engine::Gpu);
    s.run::<f32>().expect("GPU study");
    std::env::remove_var("STACKEL_GPU_PROFILE");
    println!(
        "\ntrajectory-steps/s; ceiling: the bare Philox + Box-Muller kernel of the same shape"
    );
    println!("| game | precision | N | K | GPU engine | ceiling | engine/ceiling |");
    println!("|---|---|---|---|---|---|---|");
    table::<Duopoly, f32>("duopoly", &Duopoly::default(), 10.0, &a);
    let five = LeaderThreeFollowerTwo;
    table::<LeaderThreeFollowerTwo, f32>("five-coordinate", &five, 0.5, &a);
    if e.supports_f64() {
        table::<Duopoly, f64>("duopoly", &Duopoly::default(), 10.0, &a);
        table::<LeaderThreeFollowerTwo, f64>("five-coordinate", &five, 0.5, &a);
    } else {
        println!("(adapter without f64: f32 only)");
    }
}
