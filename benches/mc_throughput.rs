//! Throughput of the batched CPU engine on games written with
//! `stackel_game!` (the user's path), each beside its hand-written twin in
//! `stackel_testkit::twins` (the comparison column), run side by side in this
//! process: the same study, 5 interleaved runs, the median of each.
//!
//! The headline study is the duopoly's two-timescale Stackelberg dynamics
//! (leader 1/(k + 11), follower (k + 11)^(-2/3), noise variance 10, start
//! (10, 10), N = 1e5, K = 1e4: the study of `../shared/bench/mc_jax.py`), in
//! f64 and f32, beside the bare Philox + Box-Muller loop (the ceiling) and,
//! when `python3 -c "import jax"` works, the JAX reference on the same study
//! with each of JAX's two generators (threefry, the default, and rbg). The
//! torus, example 1 and the covariance game (m = 3) run the same kind of
//! study (two-timescale, same schedules) at smaller K.
//!
//!     cargo bench --bench mc_throughput -- [--study duopoly|torus|example1|covariance|all]
//!         [--n N] [--k K] [--reps R] [--chunk C] [--simd avx512|avx2|baseline]
//!         [--no-jax] [--jax-script PATH]
//!
//! The JAX script defaults to `$STACKEL_MC_JAX`, else `../shared/bench/mc_jax.py`
//! from the project root.

use rayon::prelude::*;
use stackel::dynamics::Dynamics;
use stackel::engine::{fill_normals_in, simd_tier, Init, Noise, NoiseWords, Simd, Study};
use stackel::rng::{self, NoiseFloat};
use stackel::schedule::Schedule;
use stackel::Game;
use stackel_testkit::twins as reference;
use std::path::PathBuf;
use std::time::Instant;

use stackel_testkit::games;

struct Args {
    study: String,
    n: Option<u64>,
    k: Option<u64>,
    reps: usize,
    chunk: usize,
    simd: Simd,
    jax: bool,
    jax_script: PathBuf,
}

fn args() -> Args {
    let default_script = std::env::var_os("STACKEL_MC_JAX")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/mc_jax.py")
        });
    let mut a = Args {
        study: "all".into(),
        n: None,
        k: None,
        reps: 5,
        chunk: 2048,
        simd: Simd::Avx512,
        jax: true,
        jax_script: default_script,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = |i: usize| v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--study" => {
                a.study = next(i);
                i += 1;
            }
            "--n" => {
                a.n = Some(next(i).parse().expect("--n takes a number"));
                i += 1;
            }
            "--k" => {
                a.k = Some(next(i).parse().expect("--k takes a number"));
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
            "--jax-script" => {
                a.jax_script = PathBuf::from(next(i));
                i += 1;
            }
            "--no-jax" => a.jax = false,
            // cargo bench passes --bench to harness = false targets
            "--bench" => {}
            other => {
                eprintln!(
                    "unknown argument {other}; use --study NAME --n N --k K --reps R --chunk C --simd avx512|avx2|baseline --no-jax --jax-script PATH"
                );
                std::process::exit(2);
            }
        }
        i += 1;
    }
    a
}

/// One study's settings (everything but the game).
#[derive(Clone)]
struct Spec {
    name: &'static str,
    n: u64,
    k: u64,
    variance: f64,
    start: Vec<f64>,
}

impl Spec {
    fn all(a: &Args) -> Vec<Spec> {
        let covariance_start: Vec<f64> = (0..18)
            .map(|i| if i % 9 % 4 == 0 { 1.0 } else { 0.1 })
            .collect();
        let specs = vec![
            Spec {
                name: "duopoly",
                n: 100_000,
                k: 10_000,
                variance: 10.0,
                start: vec![10.0, 10.0],
            },
            Spec {
                name: "torus",
                n: 100_000,
                k: 1_000,
                variance: 0.1,
                start: vec![1.0, -1.0],
            },
            Spec {
                name: "example1",
                n: 100_000,
                k: 1_000,
                variance: 0.1,
                start: vec![1.0, 1.0],
            },
            Spec {
                name: "covariance",
                n: 10_000,
                k: 500,
                variance: 0.01,
                start: covariance_start,
            },
        ];
        specs
            .into_iter()
            .filter(|s| a.study == "all" || a.study == s.name)
            .map(|s| Spec {
                n: a.n.unwrap_or(s.n),
                k: a.k.unwrap_or(s.k),
                ..s
            })
            .collect()
    }
}

/// One run's trajectory-steps per second (wall clock and CPU time of this
/// process) and final mean; `noise` false runs the same dynamics without
/// noise (the game update alone).
struct Rate {
    wall: f64,
    cpu: f64,
    mean: Vec<f64>,
}

fn engine<G: Game, T: NoiseFloat>(game: G, s: &Spec, a: &Args, noise: bool) -> Rate {
    let study = Study::new(
        game,
        Dynamics::two_timescale(
            Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
            Schedule::inverse_power(1.0)
                .offset(11.0)
                .exponent(2.0 / 3.0),
        ),
    )
    .trajectories(s.n)
    .steps(s.k)
    .noise(Noise::variance(if noise { s.variance } else { 0.0 }))
    .init(Init::Point(s.start.clone()))
    .seed(1)
    .chunk_size(a.chunk)
    .simd(a.simd)
    .progress(false);
    let (t, c) = (Instant::now(), cpu_seconds(false));
    let r = study.run::<T>().expect("valid study");
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds(false) - c;
    let steps = s.n as f64 * s.k as f64;
    Rate {
        wall: steps / wall,
        cpu: steps / cpu,
        mean: r.summary.mean,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// The macro game and its twin on one study in one precision: medians over
/// `reps` interleaved runs (wall clock, CPU time) of (macro, twin), and the
/// largest difference of their final means.
struct Pair {
    macro_wall: f64,
    twin_wall: f64,
    macro_cpu: f64,
    mean_gap: f64,
}

fn pair<M: Game + Clone, W: Game + Clone, T: NoiseFloat>(
    m: &M,
    w: &W,
    s: &Spec,
    a: &Args,
    noise: bool,
) -> Pair {
    let (mut mw, mut tw, mut mc) = (vec![], vec![], vec![]);
    let mut gap = 0.0f64;
    for rep in 0..a.reps {
        // alternate which one goes first, so drift hits both alike
        let (rm, rt) = if rep % 2 == 0 {
            let rm = engine::<M, T>(m.clone(), s, a, noise);
            (rm, engine::<W, T>(w.clone(), s, a, noise))
        } else {
            let rt = engine::<W, T>(w.clone(), s, a, noise);
            (engine::<M, T>(m.clone(), s, a, noise), rt)
        };
        for (x, y) in rm.mean.iter().zip(&rt.mean) {
            gap = gap.max((x - y).abs());
        }
        mw.push(rm.wall);
        tw.push(rt.wall);
        mc.push(rm.cpu);
    }
    Pair {
        macro_wall: median(mw),
        twin_wall: median(tw),
        macro_cpu: median(mc),
        mean_gap: gap,
    }
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
fn ceiling<T: NoiseFloat>(s: &Spec, a: &Args) -> f64 {
    let (n, k, chunk) = (s.n, s.k, a.chunk);
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
    let secs = t.elapsed().as_secs_f64();
    assert!(sum.is_finite());
    n as f64 * k as f64 / secs
}

/// JAX's throughput on the duopoly study in `dtype` with its random-number
/// generator `rng` (threefry, the default, or rbg), per wall-clock second
/// (from the reference script's JSON) and per CPU-second (the child's CPU
/// time less that of importing jax and of compiling), if it runs.
fn jax(s: &Spec, a: &Args, dtype: &str, rng: &str) -> Option<(f64, f64)> {
    let dir = a.jax_script.parent()?;
    let script = a.jax_script.file_name()?;
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
        .current_dir(dir)
        .arg(script)
        .args(["--N", &s.n.to_string(), "--K", &s.k.to_string()])
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
    let steps = s.n as f64 * s.k as f64;
    Some((wall, steps / (cpu - import_cpu - compile)))
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

/// Macro game vs twin on study `s`, f64 then f32: one table row each.
fn compare<M: Game + Clone, W: Game + Clone>(m: M, w: W, s: &Spec, a: &Args) -> [Pair; 2] {
    let p64 = pair::<M, W, f64>(&m, &w, s, a, true);
    let p32 = pair::<M, W, f32>(&m, &w, s, a, true);
    for (p, prec) in [(&p64, "f64"), (&p32, "f32")] {
        println!(
            "| {} | {prec} | {:.3e} | {:.3e} | {:.3} | {:.1e} |",
            s.name,
            p.macro_wall,
            p.twin_wall,
            p.macro_wall / p.twin_wall,
            p.mean_gap
        );
    }
    [p64, p32]
}

fn main() {
    let a = args();
    let threads = rayon::current_num_threads();
    let simd = a.simd.min(simd_tier());
    println!(
        "{threads} threads, vector tier: {simd:?}, load average at start: {}",
        load_average()
    );
    println!(
        "macro game (stackel_game!) vs its hand-written twin (stackel_testkit::twins), two-timescale; median of {} interleaved runs, trajectory-steps/s:",
        a.reps
    );
    println!();
    println!("| study | precision | macro game | hand-written twin | macro / twin | largest gap of final means |");
    println!("|---|---|---|---|---|---|");
    let specs = Spec::all(&a);
    let mut duopoly = None;
    for s in &specs {
        match s.name {
            "duopoly" => {
                duopoly = Some((
                    s.clone(),
                    compare(
                        games::Duopoly::default(),
                        reference::Duopoly::default(),
                        s,
                        &a,
                    ),
                ))
            }
            "torus" => {
                compare(games::Torus::default(), reference::Torus::default(), s, &a);
            }
            "example1" => {
                compare(
                    games::ZeroSumExample1::default(),
                    reference::ZeroSumExample1::default(),
                    s,
                    &a,
                );
            }
            _ => {
                compare(
                    games::Covariance3::default(),
                    reference::Covariance3::default(),
                    s,
                    &a,
                );
            }
        }
    }
    println!("load average at end of the comparison: {}", load_average());
    let Some((s, [p64, p32])) = duopoly else {
        return;
    };

    // The duopoly beside the noise ceiling, the update alone and JAX.
    let (c64, c32) = (
        median((0..a.reps).map(|_| ceiling::<f64>(&s, &a)).collect()),
        median((0..a.reps).map(|_| ceiling::<f32>(&s, &a)).collect()),
    );
    let quiet = |f32: bool| {
        let game = games::Duopoly::default();
        median(
            (0..a.reps)
                .map(|_| {
                    if f32 {
                        engine::<_, f32>(game, &s, &a, false).wall
                    } else {
                        engine::<_, f64>(game, &s, &a, false).wall
                    }
                })
                .collect(),
        )
    };
    let (u64_, u32_) = (quiet(false), quiet(true));
    let jax_rates: Vec<JaxRun> = if a.jax {
        ["threefry", "rbg"]
            .iter()
            .filter_map(|rng| {
                Some((
                    *rng,
                    jax(&s, &a, "float64", rng)?,
                    jax(&s, &a, "float32", rng)?,
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    println!();
    println!(
        "duopoly two-timescale, N = {}, K = {}, median of {} runs, trajectory-steps/s:",
        s.n, s.k, a.reps
    );
    println!();
    println!("| | f64 | f32 |");
    println!("|---|---|---|");
    let (e64, e32) = (p64.macro_wall, p32.macro_wall);
    println!("| stackel engine, macro `Duopoly` | {e64:.3e} | {e32:.3e} |");
    println!(
        "| stackel engine, hand-written `reference::Duopoly` | {:.3e} | {:.3e} |",
        p64.twin_wall, p32.twin_wall
    );
    println!("| bare Philox + Box-Muller (ceiling) | {c64:.3e} | {c32:.3e} |");
    println!(
        "| macro engine / ceiling | {:.2} | {:.2} |",
        e64 / c64,
        e32 / c32
    );
    println!("| macro engine without noise (game update only) | {u64_:.3e} | {u32_:.3e} |");
    println!(
        "| macro engine, per CPU-second | {:.3e} | {:.3e} |",
        p64.macro_cpu, p32.macro_cpu
    );
    if !a.jax {
        return;
    }
    if jax_rates.is_empty() {
        println!(
            "(JAX reference not run: python3 with jax or {} unavailable)",
            a.jax_script.display()
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
        "| macro engine / the faster JAX | {:.1} | {:.1} |",
        e64 / j64,
        e32 / j32
    );
    println!(
        "| the faster JAX, per CPU-second (import, compile excluded) | {q64:.3e} | {q32:.3e} |"
    );
    println!(
        "| macro engine / the faster JAX, per CPU-second | {:.1} | {:.1} |",
        p64.macro_cpu / q64,
        p32.macro_cpu / q32
    );
    println!("load average at end: {}", load_average());
}
