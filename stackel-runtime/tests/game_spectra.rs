//! `game_spectra` (matrix-free extremes of J, S, D11 f1, D22 f2) against
//! dense nalgebra eigenvalues of the formed blocks, and the Nash /
//! non-Nash Stackelberg / neither verdict on points of known kind.

#[path = "eq_support/mod.rs"]
mod eq_support;

use eq_support::{QuadraticGame, Rng};
use nalgebra::DMatrix;
use stackel_runtime::equilibria::{
    eigenvalues, game_spectra, game_spectra_dense, BlockSpectrum, PointKind, SpectraError,
    SpectraOptions,
};
use stackel_runtime::Game;
use stackel_testkit::twins::CovarianceM;

/// The dense blocks D11 f1, D12 f1, D21 f2, D22 f2 (nalgebra, independent
/// of the operator methods).
fn blocks<G: Game>(g: &G, x: &[f64]) -> [DMatrix<f64>; 4] {
    let (d1, d2) = (g.d1(), g.d2());
    let form = |r: usize, c: usize, f: &dyn Fn(&mut [f64])| {
        let mut v = vec![0.0; r * c];
        f(&mut v);
        DMatrix::from_row_slice(r, c, &v)
    };
    [
        form(d1, d1, &|o| g.d11f1(x, o)),
        form(d1, d2, &|o| g.d12f1(x, o)),
        form(d2, d1, &|o| g.d21f2(x, o)),
        form(d2, d2, &|o| g.d22f2(x, o)),
    ]
}

/// Distinct eigenvalues (re, im) of `m` (dense QR), sorted
/// by real part, values within 1e-8 of the scale merged.
fn distinct_eigs(m: &DMatrix<f64>) -> Vec<(f64, f64)> {
    // the runtime's bounded QR (nalgebra's Schur, then EISPACK hqr); nalgebra's
    // unbounded `complex_eigenvalues` stalls on the covariance J's multiple eigenvalues
    let mut v: Vec<(f64, f64)> = eigenvalues(m, "reference")
        .unwrap()
        .iter()
        .map(|c| (c.re, c.im))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let s = v.iter().map(|e| e.0.hypot(e.1)).fold(0.0, f64::max);
    let mut out: Vec<(f64, f64)> = Vec::new();
    for e in v {
        if !out
            .iter()
            .any(|d| (d.0 - e.0).abs() <= 1e-8 * s && (d.1 - e.1).abs() <= 1e-8 * s)
        {
            out.push(e);
        }
    }
    out
}

/// The block's smallest and largest real parts equal the dense ones
/// within `tol` times the dense scale.
fn assert_matches(b: &BlockSpectrum, m: &DMatrix<f64>, count: usize, tol: f64) {
    let want = distinct_eigs(m);
    let s = want.iter().map(|e| e.0.hypot(e.1)).fold(0.0, f64::max);
    let k = count.min(want.len());
    let lo: Vec<f64> = want[..k].iter().map(|e| e.0).collect();
    let hi: Vec<f64> = want[want.len() - k..].iter().map(|e| e.0).collect();
    let got_lo: Vec<f64> = b.smallest.iter().map(|e| e.re).collect();
    let got_hi: Vec<f64> = b.largest.iter().map(|e| e.re).collect();
    assert_eq!(got_lo.len(), k, "{}: {got_lo:?} vs {lo:?}", b.matrix);
    for (g, w) in got_lo.iter().zip(&lo).chain(got_hi.iter().zip(&hi)) {
        assert!(
            (g - w).abs() <= tol * s,
            "{}: got {got_lo:?} / {got_hi:?}, want {lo:?} / {hi:?}",
            b.matrix
        );
    }
    assert!(b.converged, "{}", b.matrix);
    assert!((b.scale - s).abs() <= 1e-6 * s, "{}: scale", b.matrix);
}

/// J, S = D11 f1 - D12 f1 (D22 f2 + eta I)^-1 D21 f2, D11 f1, D22 f2.
fn dense_matrices<G: Game>(g: &G, x: &[f64], eta: f64) -> [DMatrix<f64>; 4] {
    let [a, c, b, h] = blocks(g, x);
    let (d1, d2) = (g.d1(), g.d2());
    let mut j = DMatrix::zeros(d1 + d2, d1 + d2);
    j.view_mut((0, 0), (d1, d1)).copy_from(&a);
    j.view_mut((0, d1), (d1, d2)).copy_from(&c);
    j.view_mut((d1, 0), (d2, d1)).copy_from(&b);
    j.view_mut((d1, d1), (d2, d2)).copy_from(&h);
    let hr = &h + DMatrix::identity(d2, d2) * eta;
    let s = &a - &c * hr.lu().solve(&b).unwrap();
    [j, s, a, h]
}

fn check_against_dense<G: Game>(g: &G, x: &[f64], opts: &SpectraOptions, tol: f64) {
    let sp = game_spectra(g, x, opts).unwrap();
    let [j, s, a, h] = dense_matrices(g, x, opts.eta);
    assert_matches(&sp.jacobian, &j, opts.count, tol);
    assert_matches(&sp.schur, &s, opts.count, tol);
    assert_matches(&sp.d11f1, &a, opts.count, tol);
    assert_matches(&sp.d22f2, &h, opts.count, tol);
    assert!(sp.inner_residual <= 1e-12, "{}", sp.inner_residual);
    // the library's own dense path agrees too
    let dn = game_spectra_dense(g, x, opts).unwrap();
    assert_matches(&dn.jacobian, &j, opts.count, 1e-9);
    assert_matches(&dn.schur, &s, opts.count, 1e-9);
    assert_eq!(sp.verdict(), dn.verdict());
}

#[test]
fn covariance_twin_spectra_match_dense_eigenvalues_at_random_points() {
    let mut rng = Rng::new(7);
    for trial in 0..3 {
        let g = CovarianceM::<5>::default();
        let x: Vec<f64> = (0..g.n()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        // H formed (d2 = 25 is under the dense-follower limit) and fully
        // matrix-free (inner Krylov solves for S).
        for dense_follower_limit in [SpectraOptions::default().dense_follower_limit, 0] {
            let opts = SpectraOptions {
                eta: 0.1 * trial as f64,
                dense_follower_limit,
                ..Default::default()
            };
            check_against_dense(&g, &x, &opts, 1e-7);
        }
    }
}

#[test]
fn random_quadratic_twin_with_complex_jacobian_eigenvalues() {
    let mut rng = Rng::new(11);
    let g = QuadraticGame::<70, 70>::random_general(&mut rng, 1.0, 20.0);
    let x: Vec<f64> = (0..140).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let [j, ..] = dense_matrices(&g, &x, 0.0);
    let complex = distinct_eigs(&j)
        .iter()
        .filter(|e| e.1.abs() > 1e-6)
        .count();
    assert!(complex > 10, "J should have complex eigenvalues: {complex}");
    check_against_dense(&g, &x, &SpectraOptions::default(), 1e-7);
}

/// A 2 + 2 zero-sum quadratic game f1 = -f2 = 1/2 x^T A x with blocks
/// A11 = diag(p, q), A12 = diag(c, 0), A22 = -I: D22 f2 = I,
/// S = A11 + A12 A12^T = diag(p + c^2, q).
fn zero_sum_2x2(p: f64, q: f64, c: f64) -> QuadraticGame<2, 2> {
    let mut a = vec![0.0; 16];
    a[0] = p;
    a[5] = q;
    a[2] = c;
    a[8] = c;
    a[10] = -1.0;
    a[15] = -1.0;
    QuadraticGame {
        a2: a.iter().map(|v| -v).collect(),
        a1: a,
        b1: vec![0.0; 4],
        b2: vec![0.0; 4],
        zero_sum: true,
    }
}

fn res(b: &BlockSpectrum) -> Vec<f64> {
    b.smallest.iter().map(|e| e.re).collect()
}

#[test]
fn verdict_on_points_of_known_kind() {
    let x = [0.3, -0.2, 0.5, 0.1];
    let opts = SpectraOptions::default();
    // Nash: A11 = diag(1, 2) > 0, D22 f2 = I > 0
    let sp = game_spectra(&zero_sum_2x2(1.0, 2.0, 3.0), &x, &opts).unwrap();
    assert_eq!(sp.verdict(), PointKind::Nash);
    // D11 f1 = diag(-1, 2) indefinite, S = diag(8, 2) > 0
    let sp = game_spectra(&zero_sum_2x2(-1.0, 2.0, 3.0), &x, &opts).unwrap();
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len() && a.iter().zip(b).all(|(u, v)| (u - v).abs() < 1e-10)
    };
    assert!(close(&res(&sp.d11f1), &[-1.0, 2.0]), "{sp}");
    assert!(close(&res(&sp.schur), &[2.0, 8.0]), "{sp}");
    assert!(close(&res(&sp.d22f2), &[1.0]), "{sp}");
    assert_eq!(sp.verdict(), PointKind::NonNashStackelberg, "{sp}");
    // S = diag(-0.75, 2): neither
    let sp = game_spectra(&zero_sum_2x2(-1.0, 2.0, 0.5), &x, &opts).unwrap();
    assert!(close(&res(&sp.schur), &[-0.75, 2.0]), "{sp}");
    assert_eq!(sp.verdict(), PointKind::Neither);
    // D22 f2 indefinite: neither, even with D11 f1 > 0
    let mut g = zero_sum_2x2(1.0, 2.0, 0.0);
    g.a2[15] = -1.0; // D22 f2 = diag(1, -1)
    let sp = game_spectra(&g, &x, &opts).unwrap();
    assert_eq!(sp.verdict(), PointKind::Neither);
    // a random general-sum quadratic with both own blocks shifted far up
    let mut rng = Rng::new(3);
    let g = QuadraticGame::<40, 30>::random_general(&mut rng, 30.0, 30.0);
    let xs: Vec<f64> = (0..70).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let sp = game_spectra(&g, &xs, &opts).unwrap();
    let [_, _, a, h] = dense_matrices(&g, &xs, 0.0);
    assert!(distinct_eigs(&a)[0].0 > 0.0 && distinct_eigs(&h)[0].0 > 0.0);
    assert_eq!(sp.verdict(), PointKind::Nash);
}

#[test]
fn eigenvalues_within_the_tolerance_count_as_zero() {
    let x = [0.0; 4];
    // D11 f1 = diag(1e-12, 2): zero within 1e-8 * 2, positive without tolerance
    let g = zero_sum_2x2(1e-12, 2.0, 0.0);
    let sp = game_spectra(&g, &x, &SpectraOptions::default()).unwrap();
    assert_eq!(sp.verdict(), PointKind::Neither);
    let strict = SpectraOptions {
        zero_tol: 0.0,
        ..Default::default()
    };
    let sp = game_spectra(&g, &x, &strict).unwrap();
    assert_eq!(sp.verdict(), PointKind::Nash);
}

#[test]
fn errors_are_typed() {
    let g = zero_sum_2x2(1.0, 2.0, 3.0);
    let e = game_spectra(&g, &[0.0; 3], &SpectraOptions::default()).unwrap_err();
    assert_eq!(e, SpectraError::StateLength { want: 4, got: 3 });
    // too small a basis and no restarts: reported, never silent
    let mut rng = Rng::new(5);
    let g = QuadraticGame::<100, 100>::random_general(&mut rng, 0.0, 20.0);
    let x = vec![0.1; 200];
    let tight = SpectraOptions {
        basis: 8,
        max_restarts: 0,
        ..Default::default()
    };
    let e = game_spectra(&g, &x, &tight).unwrap_err();
    assert!(matches!(e, SpectraError::NotConverged { .. }), "{e}");
    let flagged = game_spectra(
        &g,
        &x,
        &SpectraOptions {
            require_convergence: false,
            ..tight
        },
    )
    .unwrap();
    assert!(!flagged.converged());
    assert!(flagged.to_string().contains("NOT CONVERGED"));
}
