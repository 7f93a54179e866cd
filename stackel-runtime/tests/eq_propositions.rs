//! The paper's propositions on random games (seeded, >= 1000 games per
//! proposition, dims 1-3): quadratic games with hand-written derivatives and
//! non-quadratic ones through `autodiff::DualGame`. Equilibria are found by
//! `find_critical_points` and classified by `classify`; a game is filtered
//! only by the proposition's own hypotheses, the number that satisfied them
//! is asserted to be substantial, and any counterexample fails the test with
//! the game and the classification.

mod eq_support;

use std::fmt::Debug;

use eq_support::{PerturbedQuadratic, QuadraticGame, Rng};
use nalgebra::{DMatrix, DVector};
use stackel_runtime::autodiff::DualGame;
use stackel_runtime::equilibria::{
    classify, find_critical_points, Classification, Field, FindOptions, Verdict,
};
use stackel_runtime::Game;

#[derive(Default)]
struct Tally {
    games: usize,
    points: usize,
    hypothesis: usize,
    counterexamples: Vec<String>,
}

impl Tally {
    fn check(&self, name: &str, min_hypothesis: usize) {
        assert!(
            self.counterexamples.is_empty(),
            "{name}: {} counterexample(s) among {} points satisfying the hypotheses; first:\n{}",
            self.counterexamples.len(),
            self.hypothesis,
            self.counterexamples[0]
        );
        assert!(
            self.hypothesis >= min_hypothesis,
            "{name}: only {} of {} critical points ({} games) satisfied the hypotheses",
            self.hypothesis,
            self.points,
            self.games
        );
    }
}

/// Critical points of `field` from `starts`, classified.
fn classified<G: Game>(g: &G, field: Field, starts: &[Vec<f64>]) -> Vec<Classification> {
    let found = find_critical_points(g, field, starts, &FindOptions::default()).unwrap();
    found
        .points
        .iter()
        .map(|p| classify(g, &p.x, &Default::default()).unwrap())
        .collect()
}

/// Proposition 1 (zero-sum): every stable critical point of x' = -omega_S
/// is a differential Stackelberg equilibrium.
fn proposition_1<G: Game + Debug>(g: &G, starts: &[Vec<f64>], t: &mut Tally) {
    t.games += 1;
    for c in classified(g, Field::STACKELBERG, starts) {
        t.points += 1;
        if c.stable_stackelberg == Verdict::Yes {
            t.hypothesis += 1;
            if c.differential_stackelberg != Verdict::Yes {
                t.counterexamples.push(format!("{g:?}\n{c:#?}"));
            }
        }
    }
}

/// Proposition 2 (zero-sum): stable differential Nash equilibria are
/// differential Stackelberg equilibria.
fn proposition_2<G: Game + Debug>(g: &G, starts: &[Vec<f64>], t: &mut Tally) {
    t.games += 1;
    for c in classified(g, Field::Simultaneous, starts) {
        t.points += 1;
        if c.differential_nash == Verdict::Yes && c.stable_simultaneous == Verdict::Yes {
            t.hypothesis += 1;
            if c.differential_stackelberg != Verdict::Yes {
                t.counterexamples.push(format!("{g:?}\n{c:#?}"));
            }
        }
    }
}

/// Corollary 1 (zero-sum, x1, x2 scalar): a non-Nash attracting critical
/// point of x' = -omega at which -D22 f = D22 f2 > 0 is a differential
/// Stackelberg equilibrium and an attractor of x' = -omega_S.
fn corollary_1<G: Game + Debug>(g: &G, starts: &[Vec<f64>], t: &mut Tally) {
    assert_eq!((g.d1(), g.d2()), (1, 1));
    t.games += 1;
    for c in classified(g, Field::Simultaneous, starts) {
        t.points += 1;
        let follower_convex = c.spectra.d22f2[0].re > 0.0;
        if c.stable_simultaneous == Verdict::Yes
            && c.differential_nash == Verdict::No
            && follower_convex
        {
            t.hypothesis += 1;
            if c.differential_stackelberg != Verdict::Yes || c.stable_stackelberg != Verdict::Yes {
                t.counterexamples.push(format!("{g:?}\n{c:#?}"));
            }
        }
    }
}

type Check<G> = fn(&G, &[Vec<f64>], &mut Tally);

/// Random zero-sum quadratic games of dims (D1, D2) through `check`.
fn zero_sum_quadratic<const D1: usize, const D2: usize>(
    rng: &mut Rng,
    games: usize,
    check: Check<QuadraticGame<D1, D2>>,
    t: &mut Tally,
) {
    for _ in 0..games {
        let g = {
            let (s1, s2) = (rng.uniform(-2.0, 2.0), rng.uniform(-1.0, 3.0));
            QuadraticGame::<D1, D2>::random_zero_sum(rng, s1, s2)
        };
        check(&g, &[vec![0.0; D1 + D2]], t);
    }
}

/// Random zero-sum non-quadratic games (quadratic + eps * smooth terms,
/// autodiff) of dims (D1, D2), solved from the origin and a random start.
fn zero_sum_perturbed<const D1: usize, const D2: usize>(
    rng: &mut Rng,
    games: usize,
    check: Check<DualGame<PerturbedQuadratic<D1, D2>>>,
    t: &mut Tally,
) {
    for _ in 0..games {
        let q = {
            let (s1, s2) = (rng.uniform(-2.0, 2.0), rng.uniform(-1.0, 3.0));
            QuadraticGame::<D1, D2>::random_zero_sum(rng, s1, s2)
        };
        let eps = rng.uniform(0.05, 0.4);
        let g = DualGame::new(PerturbedQuadratic::new(rng, q, eps)).unwrap();
        let far: Vec<f64> = (0..D1 + D2).map(|_| rng.uniform(-1.0, 1.0)).collect();
        check(&g, &[vec![0.0; D1 + D2], far], t);
    }
}

/// Runs `$body::<D1, D2>` for every (D1, D2) in {1, 2, 3}^2.
macro_rules! all_dims {
    ($f:ident, $rng:expr, $games:expr, $check:ident, $t:expr) => {{
        $f::<1, 1>($rng, $games, $check, $t);
        $f::<1, 2>($rng, $games, $check, $t);
        $f::<1, 3>($rng, $games, $check, $t);
        $f::<2, 1>($rng, $games, $check, $t);
        $f::<2, 2>($rng, $games, $check, $t);
        $f::<2, 3>($rng, $games, $check, $t);
        $f::<3, 1>($rng, $games, $check, $t);
        $f::<3, 2>($rng, $games, $check, $t);
        $f::<3, 3>($rng, $games, $check, $t);
    }};
}

#[test]
fn proposition_1_stable_stackelberg_critical_points_are_differential_stackelberg() {
    let mut rng = Rng::new(101);
    let mut t = Tally::default();
    all_dims!(zero_sum_quadratic, &mut rng, 112, proposition_1, &mut t);
    assert!(t.games >= 1000);
    t.check("Proposition 1 (quadratic)", 150);
    let mut t = Tally::default();
    // J_S of a DualGame needs third derivatives (phi's blocks): fewer games
    // keep the debug-mode run short; 1008 + 252 games in all.
    all_dims!(zero_sum_perturbed, &mut rng, 28, proposition_1, &mut t);
    assert!(t.games >= 250);
    t.check("Proposition 1 (non-quadratic)", 40);
}

#[test]
fn proposition_2_stable_differential_nash_are_differential_stackelberg() {
    let mut rng = Rng::new(202);
    let mut t = Tally::default();
    all_dims!(zero_sum_quadratic, &mut rng, 112, proposition_2, &mut t);
    assert!(t.games >= 1000);
    t.check("Proposition 2 (quadratic)", 150);
    let mut t = Tally::default();
    all_dims!(zero_sum_perturbed, &mut rng, 112, proposition_2, &mut t);
    assert!(t.games >= 1000);
    t.check("Proposition 2 (non-quadratic)", 150);
}

/// Scalar zero-sum games for Corollary 1, with the coupling D12 f scaled by
/// up to 3 so that non-Nash attractors (D11 f < 0 < -D22 f, stable J) are
/// common.
fn scalar_zero_sum(rng: &mut Rng) -> QuadraticGame<1, 1> {
    let (s1, s2) = (rng.uniform(-2.0, 1.0), rng.uniform(-1.0, 3.0));
    let mut g = QuadraticGame::<1, 1>::random_zero_sum(rng, s1, s2);
    let k = rng.uniform(1.0, 3.0);
    for m in [&mut g.a1, &mut g.a2] {
        m[1] *= k;
        m[2] *= k;
    }
    g
}

#[test]
fn corollary_1_scalar_non_nash_attractors_are_stackelberg_attractors() {
    let mut rng = Rng::new(303);
    let mut t = Tally::default();
    for _ in 0..1000 {
        let g = scalar_zero_sum(&mut rng);
        corollary_1(&g, &[vec![0.0; 2]], &mut t);
    }
    t.check("Corollary 1 (quadratic)", 100);
    let mut t = Tally::default();
    for _ in 0..1000 {
        let q = scalar_zero_sum(&mut rng);
        let eps = rng.uniform(0.05, 0.4);
        let g = DualGame::new(PerturbedQuadratic::new(&mut rng, q, eps)).unwrap();
        let far = vec![rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)];
        corollary_1(&g, &[vec![0.0; 2], far], &mut t);
    }
    t.check("Corollary 1 (non-quadratic)", 80);
}

/// The quadratic game's equilibria in closed form: Nash solves
/// [A1 rows of x1; A2 rows of x2] x = -[b1_1; b2_2]; Stackelberg minimises
/// f1(x1, r(x1)) over x = M x1 + m, M = [I; -A2_22^-1 A2_21],
/// m = [0; -A2_22^-1 b2_2]: x1* = -(M^T A1 M)^-1 M^T (A1 m + b1).
/// Returns (nash, stackelberg, M^T A1 M).
fn closed_forms<const D1: usize, const D2: usize>(
    g: &QuadraticGame<D1, D2>,
) -> Option<(DVector<f64>, DVector<f64>, DMatrix<f64>)> {
    let n = D1 + D2;
    let a1 = DMatrix::from_row_slice(n, n, &g.a1);
    let a2 = DMatrix::from_row_slice(n, n, &g.a2);
    let b1 = DVector::from_column_slice(&g.b1);
    let b2 = DVector::from_column_slice(&g.b2);
    let mut jm = a1.clone();
    jm.view_mut((D1, 0), (D2, n))
        .copy_from(&a2.view((D1, 0), (D2, n)));
    let mut rhs = -b1.clone();
    rhs.view_mut((D1, 0), (D2, 1))
        .copy_from(&(-b2.rows(D1, D2)));
    let nash = jm.lu().solve(&rhs)?;
    let h_inv = a2.view((D1, D1), (D2, D2)).into_owned().try_inverse()?;
    let mut m_mat = DMatrix::zeros(n, D1);
    m_mat.view_mut((0, 0), (D1, D1)).fill_with_identity();
    m_mat
        .view_mut((D1, 0), (D2, D1))
        .copy_from(&(-&h_inv * a2.view((D1, 0), (D2, D1))));
    let mut m = DVector::zeros(n);
    m.rows_mut(D1, D2).copy_from(&(-&h_inv * b2.rows(D1, D2)));
    let reduced = m_mat.transpose() * &a1 * &m_mat;
    let x1 = reduced
        .clone()
        .lu()
        .solve(&(-(m_mat.transpose() * (&a1 * &m + &b1))))?;
    Some((nash, &m_mat * x1 + m, reduced))
}

fn min_eig(m: &DMatrix<f64>) -> f64 {
    // bounded iteration (never nalgebra's unbounded max_niter = 0)
    nalgebra::SymmetricEigen::try_new(m.clone(), f64::EPSILON, 10_000)
        .expect("symmetric QR converges")
        .eigenvalues
        .min()
}

/// Proposition 7 on one general-sum quadratic game: with a strictly convex
/// follower (unique best response), a leader strictly convex in its own
/// action (the unique critical point of omega is the unique Nash
/// equilibrium) and a strictly convex reduced leader cost (unique
/// Stackelberg equilibrium), f1 at the Stackelberg equilibrium <= f1 at Nash.
fn proposition_7<const D1: usize, const D2: usize>(rng: &mut Rng, games: usize, t: &mut Tally) {
    for _ in 0..games {
        let g = {
            let (s1, s2) = (rng.uniform(-0.5, 3.0), rng.uniform(-0.5, 3.0));
            QuadraticGame::<D1, D2>::random_general(rng, s1, s2)
        };
        t.games += 1;
        let n = D1 + D2;
        let a1 = DMatrix::from_row_slice(n, n, &g.a1);
        let a2 = DMatrix::from_row_slice(n, n, &g.a2);
        let Some((nash, stack, reduced)) = closed_forms(&g) else {
            continue;
        };
        t.points += 1;
        let hyp = min_eig(&a2.view((D1, D1), (D2, D2)).into_owned()) > 1e-6
            && min_eig(&a1.view((0, 0), (D1, D1)).into_owned()) > 1e-6
            && min_eig(&reduced) > 1e-6;
        if !hyp {
            continue;
        }
        t.hypothesis += 1;
        let start = [vec![0.0; n]];
        let sim = classified(&g, Field::Simultaneous, &start);
        let st = classified(&g, Field::STACKELBERG, &start);
        let ok_points = sim.len() == 1
            && st.len() == 1
            && (DVector::from_column_slice(&sim[0].x) - &nash).amax() < 1e-8 * (1.0 + nash.amax())
            && (DVector::from_column_slice(&st[0].x) - &stack).amax() < 1e-8 * (1.0 + stack.amax())
            && sim[0].differential_nash == Verdict::Yes
            && st[0].differential_stackelberg == Verdict::Yes;
        let (f_nash, f_stack) = (
            sim.first().map(|c| c.costs[0]),
            st.first().map(|c| c.costs[0]),
        );
        let inequality = match (f_nash, f_stack) {
            (Some(n), Some(s)) => s <= n + 1e-10 * (1.0 + n.abs()),
            _ => false,
        };
        if !ok_points || !inequality {
            t.counterexamples.push(format!(
                "{g:?}\nclosed forms: Nash {nash:?}, Stackelberg {stack:?}\nfound: {sim:#?}\n{st:#?}"
            ));
        }
    }
}

#[test]
fn proposition_7_leader_cost_at_stackelberg_is_at_most_at_nash() {
    let mut rng = Rng::new(707);
    let mut t = Tally::default();
    proposition_7::<1, 1>(&mut rng, 112, &mut t);
    proposition_7::<1, 2>(&mut rng, 112, &mut t);
    proposition_7::<1, 3>(&mut rng, 112, &mut t);
    proposition_7::<2, 1>(&mut rng, 112, &mut t);
    proposition_7::<2, 2>(&mut rng, 112, &mut t);
    proposition_7::<2, 3>(&mut rng, 112, &mut t);
    proposition_7::<3, 1>(&mut rng, 112, &mut t);
    proposition_7::<3, 2>(&mut rng, 112, &mut t);
    proposition_7::<3, 3>(&mut rng, 112, &mut t);
    assert!(t.games >= 1000);
    t.check("Proposition 7", 250);
}
