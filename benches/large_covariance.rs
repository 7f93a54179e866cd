//! One two-timescale Stackelberg step of the covariance game (paper 4.3,
//! example 1) as the size m grows, through the public API: a `Study` of one
//! trajectory, no noise, the paper's schedules, the follower's implicit map
//! solved matrix-free with the paper's 5 warm-started conjugate-gradient
//! iterations (appendix C), for
//!
//! - the game written with `stackel_game!` in the loop form (m = 3 .. 40),
//! - the same game in the unrolled form where it compiles in reasonable time
//!   (m = 3, 5, 9),
//! - the hand-written nalgebra twin `stackel_testkit::twins::CovarianceM`
//!   (closed-form matrix gradients and operators): the comparison column,
//!   with the same solver and iteration count;
//!
//! on one thread, 5 interleaved runs, the median of each. It prints the time
//! per step, the ratio loop form / hand-written, and the fitted growth
//! exponent of step time in m (from m >= 9) next to the cost's own, m^3.
//!
//!     cargo bench --bench large_covariance [-- --steps K]

use stackel::dynamics::{Dynamics, FollowerSolver};
use stackel::schedule::Schedule;
use stackel::{Game, Init, Noise, Study};
use stackel_testkit::twins::CovarianceM;
use std::time::Instant;

macro_rules! loop_games {
    ($($name:ident $m:literal),*) => {$(
        stackel_testkit::covariance_game!(crate = [::stackel], $name, $m, "Covariance game in the loop form.", form = "loops");
    )*};
}
macro_rules! unrolled_games {
    ($($name:ident $m:literal),*) => {$(
        stackel_testkit::covariance_game!(crate = [::stackel], $name, $m, "Covariance game in the unrolled form.", form = "unrolled");
    )*};
}
loop_games!(Loops3 3, Loops5 5, Loops9 9, Loops15 15, Loops25 25, Loops40 40);
unrolled_games!(Unrolled3 3, Unrolled5 5, Unrolled9 9);

/// Sigma = I + 0.1 (i + j) / m^2 (symmetric, positive definite) and the
/// start V0[i, j] = 0.3 cos(i + 2 j), W0 = 0.1 sin(i - j): away from the
/// equilibrium so no step is trivially cheap.
fn problem(m: usize) -> (Vec<f64>, Vec<f64>) {
    let sigma = (0..m * m)
        .map(|k| {
            let (i, j) = (k / m, k % m);
            f64::from(u8::from(i == j)) + 0.1 * (i + j) as f64 / (m * m) as f64
        })
        .collect();
    let mut x0 = vec![0.0; 2 * m * m];
    for k in 0..m * m {
        let (i, j) = ((k / m) as f64, (k % m) as f64);
        x0[k] = 0.3 * (i + 2.0 * j).cos();
        x0[m * m + k] = 0.1 * (i - j).sin();
    }
    (sigma, x0)
}

/// Seconds per step of `steps` two-timescale steps of `game` from `x0`.
fn seconds_per_step<G: Game + Clone>(game: &G, x0: &[f64], steps: u64) -> f64 {
    let dynamics = Dynamics::two_timescale(
        Schedule::geometric(0.015, 1.0 - 1e-5),
        Schedule::geometric(0.015, 1.0 - 1e-7),
    )
    .follower_solver(
        FollowerSolver::conjugate_gradient(5)
            .warm_start(true)
            .truncated(true),
    );
    let study = Study::new(game.clone(), dynamics)
        .trajectories(1)
        .steps(steps)
        .noise(Noise::none())
        .init(Init::Point(x0.to_vec()))
        .seed(1);
    let t = Instant::now();
    let r = study.run::<f64>().expect("study runs");
    let s = t.elapsed().as_secs_f64() / steps as f64;
    assert_eq!(r.summary.finished, 1, "the trajectory ran to the end");
    s
}

/// A game with its flat params set to (sigma, eta = m / 5).
fn with_params<G: Game>(mut g: G, sigma: &[f64], m: usize) -> G {
    let mut p = sigma.to_vec();
    p.push(m as f64 / 5.0);
    g.set_params(&p);
    g
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds per step of the unrolled game at (sigma, x0, steps).
type UnrolledRun = Box<dyn Fn(&[f64], &[f64], u64) -> f64>;

struct Row {
    m: usize,
    loops: f64,
    unrolled: Option<f64>,
    hand: f64,
}

fn measure<L: Game + Clone, H: Game + Clone>(
    m: usize,
    loops: L,
    unrolled: Option<UnrolledRun>,
    hand: H,
    budget: u64,
) -> Row {
    let (sigma, x0) = problem(m);
    let loops = with_params(loops, &sigma, m);
    let hand = with_params(hand, &sigma, m);
    // Steps per run: about `budget` multiply-adds' worth (the step costs ~m^3).
    let steps = (budget / (m * m * m) as u64).clamp(20, 200_000);
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        a.push(seconds_per_step(&loops, &x0, steps));
        if let Some(u) = &unrolled {
            b.push(u(&sigma, &x0, steps));
        }
        c.push(seconds_per_step(&hand, &x0, steps));
    }
    Row {
        m,
        loops: median(a),
        unrolled: unrolled.map(|_| median(b)),
        hand: median(c),
    }
}

fn unrolled<G: Game + Clone + 'static>(
    game: G,
    m: usize,
) -> Option<UnrolledRun> {
    Some(Box::new(move |sigma: &[f64], x0: &[f64], steps: u64| {
        seconds_per_step(&with_params(game.clone(), sigma, m), x0, steps)
    }))
}

/// A covariance game value (its params are set before each run).
macro_rules! zeroed {
    ($name:ident, $m:literal) => {
        $name {
            sigma: [[0.0; $m]; $m],
            eta: 0.0,
        }
    };
}

/// Least-squares slope of log t against log m.
fn growth_exponent(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|(m, t)| (m.ln(), t.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let budget = args
        .iter()
        .position(|a| a == "--budget")
        .and_then(|i| args.get(i + 1))
        .map_or(20_000_000, |v| v.parse().expect("--budget N"));
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("one-thread pool");
    let rows = vec![
        measure(
            3,
            zeroed!(Loops3, 3),
            unrolled(zeroed!(Unrolled3, 3), 3),
            CovarianceM::<3>::default(),
            budget,
        ),
        measure(
            5,
            zeroed!(Loops5, 5),
            unrolled(zeroed!(Unrolled5, 5), 5),
            CovarianceM::<5>::default(),
            budget,
        ),
        measure(
            9,
            zeroed!(Loops9, 9),
            unrolled(zeroed!(Unrolled9, 9), 9),
            CovarianceM::<9>::default(),
            budget,
        ),
        measure(
            15,
            zeroed!(Loops15, 15),
            None,
            CovarianceM::<15>::default(),
            budget,
        ),
        measure(
            25,
            zeroed!(Loops25, 25),
            None,
            CovarianceM::<25>::default(),
            budget,
        ),
        measure(
            40,
            zeroed!(Loops40, 40),
            None,
            CovarianceM::<40>::default(),
            budget,
        ),
    ];
    println!("one two-timescale Stackelberg step (5 warm-started CG iterations), one thread, median of 5 interleaved runs");
    println!("| m | variables | loop form (macro) | unrolled (macro) | hand-written nalgebra | loop form / hand-written |");
    println!("|---|---|---|---|---|---|");
    let us = |s: f64| format!("{:.2} us", s * 1e6);
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.2} |",
            r.m,
            2 * r.m * r.m,
            us(r.loops),
            r.unrolled.map_or("-".to_string(), us),
            us(r.hand),
            r.loops / r.hand
        );
    }
    let big: Vec<&Row> = rows.iter().filter(|r| r.m >= 9).collect();
    let fit = |f: &dyn Fn(&Row) -> f64| {
        growth_exponent(&big.iter().map(|r| (r.m as f64, f(r))).collect::<Vec<_>>())
    };
    println!(
        "growth exponent of step time in m (m >= 9): loop form {:.2}, hand-written {:.2}; the cost's own: 3",
        fit(&|r| r.loops),
        fit(&|r| r.hand)
    );
}
