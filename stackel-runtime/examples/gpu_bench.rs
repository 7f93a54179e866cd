//! GPU engine vs CPU engine on the same studies: trajectory-steps per second.
//!
//! `cargo run --release -p stackel-runtime --features gpu --example gpu_bench -- [N] [K]`
//! (defaults N = 65536 trajectories, K = 1000 steps). Prints the adapter, then
//! per study and precision the CPU and GPU rates (best of 3 runs each), their
//! ratio, and the largest difference between the engines' mean final states.

#[path = "../tests/gpu_common/ir_games.rs"]
mod ir_games;

use stackel_runtime::dynamics::Dynamics;
use stackel_runtime::engine::{Init, Noise, Study};
use stackel_runtime::gpu::{self, GpuEngine, StudySpec};
use stackel_runtime::record::{Record, StudyResult};
use stackel_runtime::rng::NoiseFloat;
use stackel_runtime::schedule::Schedule;
use stackel_runtime::Game;
use stackel_symbolic::emit_wgsl::emit_game;
use stackel_testkit::twins::{Duopoly, Torus};
use std::f64::consts::PI;
use std::time::Instant;

struct Bench<G> {
    name: &'static str,
    game: G,
    wgsl: String,
    dynamics: Dynamics,
    noise: Noise,
    init: Init,
}

/// Timed runs per engine and study; the fastest counts.
const REPEATS: usize = 3;

fn time<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn run<G: Game + Clone, T: NoiseFloat>(e: &GpuEngine, b: &Bench<G>, n: u64, k: u64) {
    let record = Record::finals();
    let study = Study::new(b.game.clone(), b.dynamics.clone())
        .trajectories(n)
        .steps(k)
        .noise(b.noise.clone())
        .init(b.init.clone())
        .seed(1)
        .progress(false);
    let spec = |n: u64| StudySpec {
        game: &b.game,
        dynamics: &b.dynamics,
        range: (0, n),
        steps: k,
        noise: &b.noise,
        init: &b.init,
        seed: 1,
        record: &record,
        divergence_bound: 1e8,
        small_kernel: true,
        fingerprint: String::new(),
    };
    // warm-up: builds and caches the pipeline
    let warm = e.run_with_wgsl::<G, T>(&spec(64), &b.wgsl);
    if let Err(err) = warm {
        println!(
            "{:<28} {:>4}: GPU error: {err}",
            b.name,
            std::any::type_name::<T>()
        );
        return;
    }
    // best of REPEATS runs each (other load on the machine only slows runs down)
    let (mut cpu, mut tc) = time(|| study.run::<T>());
    let (mut gpu, mut tg) = time(|| e.run_with_wgsl::<G, T>(&spec(n), &b.wgsl));
    for _ in 1..REPEATS {
        let (c, t) = time(|| study.run::<T>());
        if t < tc {
            (cpu, tc) = (c, t);
        }
        let (g, t) = time(|| e.run_with_wgsl::<G, T>(&spec(n), &b.wgsl));
        if t < tg {
            (gpu, tg) = (g, t);
        }
    }
    let (cpu, gpu): (StudyResult, StudyResult) = match (cpu, gpu) {
        (Ok(c), Ok(g)) => (c, g),
        (c, g) => {
            println!("{}: cpu {:?} gpu {:?}", b.name, c.err(), g.err());
            return;
        }
    };
    let work = (n * k) as f64;
    let dmean = cpu
        .summary
        .mean
        .iter()
        .zip(&gpu.summary.mean)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "{:<28} {:>4}: CPU {:>9.3e} traj-steps/s ({:>6.2} s)  GPU {:>9.3e} ({:>6.2} s)  GPU/CPU {:>5.2}x  |mean diff| {:.1e}  finished {}/{}",
        b.name,
        std::any::type_name::<T>(),
        work / tc,
        tc,
        work / tg,
        tg,
        tc / tg,
        dmean,
        gpu.summary.finished,
        n
    );
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(65_536);
    let k = args.get(1).copied().unwrap_or(1000);
    let e = match gpu::shared() {
        Ok(e) => e,
        Err(err) => {
            eprintln!("no GPU engine: {err}");
            std::process::exit(1);
        }
    };
    println!("adapter: {}", e.description());
    println!(
        "CPU engine threads: {}; N = {n} trajectories, K = {k} steps",
        rayon::current_num_threads()
    );
    let k1 = Schedule::inverse_power(1.0).offset(10.0).exponent(1.0);
    let k23 = Schedule::inverse_power(1.0)
        .offset(10.0)
        .exponent(2.0 / 3.0);
    let duopoly = |name, dynamics| Bench {
        name,
        game: Duopoly::default(),
        wgsl: emit_game(&ir_games::duopoly()),
        dynamics,
        noise: Noise::variance(10.0),
        init: Init::Box {
            lo: vec![0.0, 0.0],
            hi: vec![60.0, 60.0],
        },
    };
    let torus = |name, dynamics| Bench {
        name,
        game: Torus::default(),
        wgsl: emit_game(&ir_games::torus()),
        dynamics,
        noise: Noise::variance(0.01),
        init: Init::Box {
            lo: vec![-PI, -PI],
            hi: vec![PI, PI],
        },
    };
    let benches = [
        duopoly("duopoly simultaneous", Dynamics::simultaneous(k1)),
        duopoly("duopoly two-timescale", Dynamics::two_timescale(k1, k23)),
    ];
    let tori = [
        torus("torus simultaneous", Dynamics::simultaneous(k23)),
        torus("torus two-timescale", Dynamics::two_timescale(k1, k23)),
    ];
    for b in &benches {
        run::<Duopoly, f32>(e, b, n, k);
    }
    for b in &tori {
        run::<Torus, f32>(e, b, n, k);
    }
    if e.supports_f64() {
        for b in &benches {
            run::<Duopoly, f64>(e, b, n, k);
        }
        for b in &tori {
            run::<Torus, f64>(e, b, n, k);
        }
    }
}
