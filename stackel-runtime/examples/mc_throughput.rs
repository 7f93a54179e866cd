//! Throughput of the batched CPU engine on the duopoly's two-timescale
//! Stackelberg dynamics (leader 1/(k + 11), follower (k + 11)^(-2/3), noise
//! variance 10, start (10, 10): the study of /work/shared/bench), in f64 and
//! f32, beside the bare Philox + Box-Muller loop (the ceiling) and, when
//! `python3 -c "import jax"` works, the JAX reference on the same study with
//! each of JAX's two generators (threefry, the default, and rbg).
//!
//!     cargo run --release -p stackel-runtime --example mc_throughput -- [--n N] [--k K] [--reps R] [--chunk C] [--simd T] [--no-jax] [--bench-dir DIR]

use rayon::prelude::*;
use stackel_runtime::dynamics::Dynamics;
use stackel_runtime::engine::{fill_normals_in, simd_tier, Init, Noise, NoiseWords, Simd, Study};
use stackel_runtime::reference::Duopoly;
use stackel_runtime::rng::{self, NoiseFloat};
use stackel_runtime::schedule::Schedule;
use std::time::Instant;

struct Args {
    n: u64,
    k: u64,
    reps: usize,
    chunk: usize,
    simd: Simd,
    jax: bool,
    bench_dir: String,
}

fn args() -> Args {
    let mut a = Args {
        n: 100_000,
        k: 10_000,
        reps: 2,
        chunk: 2048,
        simd: Simd::Avx512,
        jax: true,
        bench_dir: "/work/shared/bench".into(),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = |i: usize| v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--n" => {
                a.n = next(i).parse().expect("--n takes a number");
                i += 1;
            }
            "--k" => {
                a.k = next(i).parse().expect("--k takes a number");
                i += 1;
            }
            "--simd" => {
                a.simd = match next(i).as_str() {
                    "avx512" => Simd::Avx512,
                    "avx2" => Simd::Avx2,
                    "baseline" => Simd::Baseline,
                    other => panic!("--simd takes avx512, avx2 or baseline, not {other:?}"),
                };
                i += 1;
            }
            "--chunk" => {
                a.chunk = next(i).parse().expect("--chunk takes a number");
                i += 1;
            }
            "--reps" => {
                a.reps = next(i).parse().expect("--reps takes a number");
                i += 1;
            }
            "--bench-dir" => {
                a.bench_dir = next(i);
                i += 1;
            }
            "--no-jax" => a.jax = false,
            other => {
                eprintln!(
                    "unknown argument {other}; use --n N --k K --reps R --chunk C --simd avx512|avx2|baseline --no-jax --bench-dir DIR"
                );
                std::process::exit(2);
            }
        }
        i += 1;
    }
    a
}

/// Trajectory-steps per second of the engine on the study, per wall-clock
/// second and per CPU-second of this process (with `noise` false: the same
/// dynamics without noise, i.e. the game update alone).
fn engine<T: NoiseFloat>(a: &Args, noise: bool) -> (f64, f64, Vec<f64>) {
    let (n, k) = (a.n, a.k);
    let study = Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
            Schedule::inverse_power(1.0)
                .offset(11.0)
                .exponent(2.0 / 3.0),
        ),
    )
    .trajectories(n)
    .steps(k)
    .noise(Noise::variance(if noise { 10.0 } else { 0.0 }))
    .init(Init::Point(vec![10.0, 10.0]))
    .seed(1)
    .chunk_size(a.chunk)
    .simd(a.simd)
    .progress(false);
    let (t, c) = (Instant::now(), cpu_seconds(false));
    let r = study.run::<T>().expect("valid study");
    let s = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds(false) - c;
    let steps = n as f64 * k as f64;
    (steps / s, steps / cpu, r.summary.mean)
}

/// CPU seconds (user + system) used so far by this process, or by its
/// finished child processes, from /proc/self/stat (clock ticks of 1/100 s);
/// NaN where that file does not exist.
fn cpu_seconds(children: bool) -> f64 {
    let read = || -> Option<f64> {
        let s = std::fs::read_to_string("/proc/self/stat").ok()?;
        // fields after the command name, starting with field 3 (state)
        let f: Vec<&str> = s[s.rfind(')')? + 2..].split_whitespace().collect();
        let (u, k) = if children { (16, 17) } else { (14, 15) };
        Some((f[u - 3].parse::<f64>().ok()? + f[k - 3].parse::<f64>().ok()?) / 100.0)
    };
    read().unwrap_or(f64::NAN)
}

/// The bare noise loop: the 2 normals per trajectory-step, same chunks, no game.
fn ceiling<T: NoiseFloat>(a: &Args) -> f64 {
    let (n, k, chunk) = (a.n, a.k, a.chunk);
    let starts: Vec<u64> = (0..n).step_by(chunk).collect();
    let t = Instant::now();
    let sum: f64 = starts
        .into_par_iter()
        .map(|s| {
            let count = (n - s).min(chunk as u64) as usize;
            let mut words = NoiseWords::new(count);
            let mut z = vec![T::zero(); 2 * count];
            let mut acc = T::zero();
            for step in 0..k {
                fill_normals_in(
                    a.simd,
                    rng::seed_key(1),
                    step as u32,
                    s,
                    count,
                    2,
                    &mut words,
                    &mut z,
                );
                acc += z[step as usize % count];
            }
            acc.re()
        })
        .sum();
    let s = t.elapsed().as_secs_f64();
    assert!(sum.is_finite());
    n as f64 * k as f64 / s
}

/// JAX's throughput on the study in `dtype` with its random-number generator
/// `rng` (threefry, the default, or rbg), per wall-clock second (from the
/// reference script's JSON) and per CPU-second (the child's CPU time less
/// that of importing jax and of compiling), if it runs.
fn jax(a: &Args, dtype: &str, rng: &str) -> Option<(f64, f64)> {
    let c0 = cpu_seconds(true);
    let ok = std::process::Command::new("python3")
        .args(["-c", "import jax, jax.numpy; jax.devices()"])
        .output()
        .ok()?
        .status
        .success();
    if !ok {
        return None;
    }
    let import_cpu = cpu_seconds(true) - c0;
    let out = std::env::temp_dir().join(format!("stackel-mc-jax-{}.json", std::process::id()));
    let c1 = cpu_seconds(true);
    let status = std::process::Command::new("python3")
        .current_dir(&a.bench_dir)
        .args([
            "mc_jax.py",
            "--N",
            &a.n.to_string(),
            "--K",
            &a.k.to_string(),
        ])
        .args([
            "--dyn",
            "stackelberg",
            "--dtype",
            dtype,
            "--rng",
            rng,
            "--out",
        ])
        .arg(&out)
        .status()
        .ok()?;
    let cpu = cpu_seconds(true) - c1;
    if !status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).ok()?).ok()?;
    let _ = std::fs::remove_file(&out);
    let run = &v["runs"].as_array()?.first()?;
    let wall = run["traj_steps_per_s"].as_f64()?;
    let compile = run["compile_s"].as_f64()?;
    let steps = a.n as f64 * a.k as f64;
    Some((wall, steps / (cpu - import_cpu - compile)))
}

fn main() {
    let a = args();
    let threads = rayon::current_num_threads();
    let simd = a.simd.min(simd_tier());
    println!(
        "duopoly two-timescale, N = {}, K = {}, {threads} threads, vector tier: {simd:?}",
        a.n, a.k
    );
    println!("load average at start: {}", load_average());
    // best of `reps` runs, the measurements interleaved (the machine may be
    // shared); with JAX, its runs sit between two halves of ours
    let mut best = [0.0f64; 8];
    let (mut m64, mut m32) = (vec![], vec![]);
    let mut measure = |best: &mut [f64; 8]| {
        let (e, c, m) = engine::<f64>(&a, true);
        (best[0], best[6], m64) = (best[0].max(e), best[6].max(c), m);
        let (e, c, m) = engine::<f32>(&a, true);
        (best[1], best[7], m32) = (best[1].max(e), best[7].max(c), m);
        best[2] = best[2].max(ceiling::<f64>(&a));
        best[3] = best[3].max(ceiling::<f32>(&a));
        best[4] = best[4].max(engine::<f64>(&a, false).0);
        best[5] = best[5].max(engine::<f32>(&a, false).0);
    };
    let first_half = if a.jax { a.reps.div_ceil(2) } else { a.reps };
    for _ in 0..first_half {
        measure(&mut best);
    }
    // JAX with each of its two generators: the comparison is with the faster
    let jax_rates: Vec<JaxRun> = if a.jax {
        ["threefry", "rbg"]
            .iter()
            .filter_map(|rng| Some((*rng, jax(&a, "float64", rng)?, jax(&a, "float32", rng)?)))
            .collect()
    } else {
        Vec::new()
    };
    for _ in first_half..a.reps {
        measure(&mut best);
    }
    let [e64, e32, c64, c32, u64_, u32_, p64, p32] = best;
    println!(
        "final mean f64 ({:.4}, {:.4}), f32 ({:.4}, {:.4}); Stackelberg (46, 26)",
        m64[0], m64[1], m32[0], m32[1]
    );
    println!("load average at end: {}", load_average());
    println!("best of {} runs, trajectory-steps per second:", a.reps);
    println!();
    println!("| | f64 | f32 |");
    println!("|---|---|---|");
    println!("| stackel engine, the study | {e64:.3e} | {e32:.3e} |");
    println!("| bare Philox + Box-Muller (ceiling) | {c64:.3e} | {c32:.3e} |");
    println!("| engine / ceiling | {:.2} | {:.2} |", e64 / c64, e32 / c32);
    println!("| engine without noise (game update only) | {u64_:.3e} | {u32_:.3e} |");
    println!("| stackel engine, per CPU-second | {p64:.3e} | {p32:.3e} |");
    if a.jax {
        if jax_rates.is_empty() {
            println!(
                "(JAX reference not run: python3 with jax or {}/mc_jax.py unavailable)",
                a.bench_dir
            );
            return;
        }
        for (rng, (j64, _), (j32, _)) in &jax_rates {
            println!("| JAX jit + scan ({rng}), same study | {j64:.3e} | {j32:.3e} |");
        }
        // per precision: the faster JAX per wall-clock second, and per CPU-second
        let best = |pick: fn(&JaxRun) -> (f64, f64)| {
            jax_rates
                .iter()
                .map(pick)
                .fold((0.0f64, 0.0f64), |a, b| (a.0.max(b.0), a.1.max(b.1)))
        };
        let ((j64, q64), (j32, q32)) = (best(|r| r.1), best(|r| r.2));
        println!(
            "| engine / the faster JAX | {:.1} | {:.1} |",
            e64 / j64,
            e32 / j32
        );
        println!(
            "| the faster JAX, per CPU-second (import, compile excluded) | {q64:.3e} | {q32:.3e} |"
        );
        println!(
            "| engine / the faster JAX, per CPU-second | {:.1} | {:.1} |",
            p64 / q64,
            p32 / q32
        );
    }
}

/// A JAX generator's (name, f64 rates, f32 rates), rates as (per wall-clock
/// second, per CPU-second).
type JaxRun = (&'static str, (f64, f64), (f64, f64));

/// The 1-minute load average (other processes competing for the cores).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
