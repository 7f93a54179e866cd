//! Fuzzing the classifier (issue 10): seeded random games, degenerate ones
//! included (zero blocks, rank-deficient or zero D22 f2, zero-sum games with
//! purely imaginary spectra, the covariance game's symmetric orbits, scales
//! from 1e-8 to 1e8), at random points and at their critical points. Every
//! point is classified without panic or hang, and every verdict is either
//! the same at a point moved by 1e-12 relative or `Degenerate` at one of the
//! two.

mod eq_support;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use eq_support::{Covariance, PerturbedQuadratic, QuadraticGame, Rng};
use nalgebra::{DMatrix, DVector};
use stackel_runtime::autodiff::DualGame;
use stackel_runtime::blocks::Workspace;
use stackel_runtime::equilibria::{classify, find_critical_points, Field, Verdict};
use stackel_runtime::Game;

#[derive(Default, Debug)]
struct Tally {
    points: usize,
    yes: usize,
    no: usize,
    degenerate: usize,
}

/// Classifies `x` and `x` moved by 1e-12 max|x| in a random direction and
/// checks that no verdict flips between `Yes` and `No`.
fn check<G: Game>(g: &G, x: &[f64], rng: &mut Rng, t: &mut Tally, what: &str) {
    let opts = Default::default();
    let c = classify(g, x, &opts).unwrap_or_else(|e| panic!("{what}: {e} at {x:?}"));
    let v = |c: &stackel_runtime::equilibria::Classification| {
        [
            c.differential_nash,
            c.differential_stackelberg,
            c.stable_simultaneous,
            c.stable_stackelberg,
            c.stable_two_timescale,
            c.non_nash_attractor,
        ]
    };
    let v0 = v(&c);
    for e in v0 {
        match e {
            Verdict::Yes => t.yes += 1,
            Verdict::No => t.no += 1,
            Verdict::Degenerate => t.degenerate += 1,
        }
    }
    t.points += 1;
    let xmax = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    {
        let y: Vec<f64> = x
            .iter()
            .map(|v| v + 1e-12 * xmax * rng.uniform(-1.0, 1.0))
            .collect();
        let cy = classify(g, &y, &opts).unwrap_or_else(|e| panic!("{what}: {e} at {y:?}"));
        for (k, (a, b)) in v0.iter().zip(v(&cy)).enumerate() {
            let flip = matches!(
                (a, b),
                (Verdict::Yes, Verdict::No) | (Verdict::No, Verdict::Yes)
            );
            assert!(
                !flip,
                "{what}: verdict {k} flips {a} -> {b} under a 1e-12 perturbation at {x:?}\n{c:?}\n{cy:?}"
            );
        }
    }
}

/// Zeros of omega (via J) and of omega_S (via J_S) of a quadratic game:
/// both fields are affine, F(x) = DF x + F(0).
fn quadratic_critical_points<const D1: usize, const D2: usize>(
    g: &QuadraticGame<D1, D2>,
) -> Vec<Vec<f64>> {
    let n = D1 + D2;
    let mut ws = Workspace::<f64>::new(g);
    let zero = vec![0.0; n];
    let mut out = Vec::new();
    let mut j = vec![0.0; n * n];
    let mut f0 = vec![0.0; n];
    ws.jacobian(g, &zero, &mut j).unwrap();
    g.omega(&zero, &mut f0);
    let solve = |j: &[f64], f0: &[f64]| {
        DMatrix::from_row_slice(n, n, j)
            .lu()
            .solve(&(-DVector::from_column_slice(f0)))
            .filter(|x| x.iter().all(|v| v.is_finite()))
            .map(|x| x.iter().copied().collect::<Vec<f64>>())
    };
    out.extend(solve(&j, &f0));
    if ws.stackelberg_jacobian(g, &zero, 0.0, &mut j).is_ok()
        && ws.omega_s(g, &zero, 0.0, &mut f0).is_ok()
    {
        out.extend(solve(&j, &f0));
    }
    out
}

/// A random quadratic game with one of six structures, scaled by `s`.
fn quadratic_game<const D1: usize, const D2: usize>(
    rng: &mut Rng,
    mode: usize,
    s: f64,
) -> QuadraticGame<D1, D2> {
    let n = D1 + D2;
    let (s1, s2) = (rng.uniform(-1.0, 2.0), rng.uniform(-1.0, 2.0));
    let mut g = if mode == 5 || rng.uniform(0.0, 1.0) < 0.3 {
        QuadraticGame::<D1, D2>::random_zero_sum(rng, s1, s2)
    } else {
        QuadraticGame::<D1, D2>::random_general(rng, s1, s2)
    };
    let zero_sum = g.zero_sum;
    let set = |a: &mut Vec<f64>,
               rows: std::ops::Range<usize>,
               cols: std::ops::Range<usize>,
               f: &dyn Fn(usize, usize) -> f64| {
        for r in rows.clone() {
            for c in cols.clone() {
                a[r * n + c] = f(r, c);
            }
        }
    };
    let u: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    match mode {
        // zero leader block D11 f1
        1 => set(&mut g.a1, 0..D1, 0..D1, &|_, _| 0.0),
        // no coupling: D12 f1 = 0, D21 f2 = 0
        2 => {
            set(&mut g.a1, 0..D1, D1..n, &|_, _| 0.0);
            set(&mut g.a1, D1..n, 0..D1, &|_, _| 0.0);
            set(&mut g.a2, 0..D1, D1..n, &|_, _| 0.0);
            set(&mut g.a2, D1..n, 0..D1, &|_, _| 0.0);
        }
        // rank-one D22 f2 = u u^T (singular when d2 > 1)
        3 => set(&mut g.a2, D1..n, D1..n, &|r, c| u[r] * u[c]),
        // zero D22 f2: no implicit map at all
        4 => set(&mut g.a2, D1..n, D1..n, &|_, _| 0.0),
        // zero-sum with zero diagonal blocks: spec J on the imaginary axis
        5 => {
            set(&mut g.a1, 0..D1, 0..D1, &|_, _| 0.0);
            set(&mut g.a1, D1..n, D1..n, &|_, _| 0.0);
        }
        _ => {}
    }
    if zero_sum && mode != 3 && mode != 4 {
        g.a2 = g.a1.iter().map(|v| -v).collect();
    }
    for v in
        g.a1.iter_mut()
            .chain(g.a2.iter_mut())
            .chain(g.b1.iter_mut())
            .chain(g.b2.iter_mut())
    {
        *v *= s;
    }
    g
}

fn fuzz_quadratic<const D1: usize, const D2: usize>(rng: &mut Rng, games: usize, t: &mut Tally) {
    for i in 0..games {
        let mode = i % 6;
        let s = [1e-8, 1.0, 1e8][rng.int(0, 2)];
        let g = quadratic_game::<D1, D2>(rng, mode, s);
        let what = format!("quadratic {D1}+{D2} mode {mode} scale {s:e}");
        for _ in 0..4 {
            let x: Vec<f64> = (0..D1 + D2).map(|_| rng.uniform(-3.0, 3.0)).collect();
            check(&g, &x, rng, t, &what);
        }
        for x in quadratic_critical_points(&g) {
            check(&g, &x, rng, t, &what);
        }
    }
}

fn random_spd(rng: &mut Rng, m: usize, s: f64) -> Vec<f64> {
    let a = DMatrix::from_fn(m, m, |_, _| rng.uniform(-1.0, 1.0));
    let p = &a * a.transpose() + DMatrix::identity(m, m) * 0.1;
    (p * s).iter().copied().collect() // symmetric, so column-major = row-major
}

#[test]
fn classifier_fuzz_no_panic_no_hang_no_flip() {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut rng = Rng::new(2026);
        let mut t = Tally::default();
        fuzz_quadratic::<2, 2>(&mut rng, 1100, &mut t);
        fuzz_quadratic::<3, 1>(&mut rng, 550, &mut t);
        fuzz_quadratic::<1, 3>(&mut rng, 550, &mut t);
        // symmetric orbits: the covariance game at m = 2
        for _ in 0..200 {
            let s = [1e-4, 1.0, 1e4][rng.int(0, 2)];
            let g =
                Covariance::<2>::new(random_spd(&mut rng, 2, s), rng.uniform(0.1, 1.0) * s.sqrt());
            let what = format!("covariance scale {s:e}");
            let x = g.equilibrium(rng.uniform(-3.0, 3.0));
            check(&g, &x, &mut rng, &mut t, &what);
            let mut y = x.clone();
            for w in &mut y[4..] {
                *w = 1e-14 * rng.uniform(-1.0, 1.0);
            }
            check(&g, &y, &mut rng, &mut t, &what);
            let z: Vec<f64> = (0..8).map(|_| rng.uniform(-2.0, 2.0) * s.sqrt()).collect();
            check(&g, &z, &mut rng, &mut t, &what);
        }
        // non-quadratic games (x-dependent blocks) at the finder's points
        for i in 0..20 {
            let q = QuadraticGame::<2, 2>::random_general(&mut rng, 1.0, 1.5);
            let g = DualGame::new(PerturbedQuadratic::new(&mut rng, q, 0.3)).unwrap();
            let field = if i % 2 == 0 {
                Field::Simultaneous
            } else {
                Field::STACKELBERG
            };
            let starts: Vec<Vec<f64>> = (0..4)
                .map(|_| (0..4).map(|_| rng.uniform(-2.0, 2.0)).collect())
                .collect();
            let found = find_critical_points(&g, field, &starts, &Default::default()).unwrap();
            for p in &found.points {
                check(&g, &p.x, &mut rng, &mut t, "perturbed quadratic (critical)");
            }
            let x: Vec<f64> = (0..4).map(|_| rng.uniform(-2.0, 2.0)).collect();
            check(&g, &x, &mut rng, &mut t, "perturbed quadratic");
        }
        let _ = tx.send(t);
    });
    let t = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("the fuzz did not finish: a classification hangs (or panicked)");
    println!("{t:?}");
    assert!(t.points >= 10_000, "{t:?}");
    assert!(
        t.yes > 1000 && t.no > 1000 && t.degenerate > 1000,
        "all verdicts occur: {t:?}"
    );
}
