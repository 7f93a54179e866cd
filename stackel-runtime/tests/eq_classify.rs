//! Classifier verdicts against dense reference computations: the
//! two-timescale (tau -> 0) verdict and the unsymmetrised Stackelberg
//! Hessian on random general-sum quadratic games.

mod eq_support;

use eq_support::{QuadraticGame, Rng};
use nalgebra::DMatrix;
use stackel_runtime::equilibria::{classify, find_critical_points, Field, Verdict};

/// Sub-block of a row-major n x n matrix as a DMatrix.
fn block(
    a: &[f64],
    n: usize,
    r: std::ops::Range<usize>,
    c: std::ops::Range<usize>,
) -> DMatrix<f64> {
    DMatrix::from_fn(r.len(), c.len(), |i, j| a[(r.start + i) * n + c.start + j])
}

fn sorted_eigs(m: &DMatrix<f64>) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = nalgebra::Schur::try_new(m.clone(), f64::EPSILON, 10_000)
        .expect("reference Schur converges")
        .complex_eigenvalues()
        .iter()
        .map(|c| (c.re, c.im))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    v
}

/// f_i = x^T A_i x / 2 + b_i^T x: H = A2_22, B = A2_21, phi = 0, so the
/// Stackelberg Hessian is
/// A1_11 - B^T H^-1 A1_21 - (A1_12 - B^T H^-1 A1_22) H^-1 B, and the
/// two-timescale limit is stable iff spec(H) and spec(that) lie in the open
/// right half plane.
#[test]
fn two_timescale_verdict_and_unsymmetrised_stackelberg_hessian_match_dense_reference() {
    const D1: usize = 3;
    const D2: usize = 2;
    let n = D1 + D2;
    let mut rng = Rng::new(42);
    let (mut yes, mut no) = (0, 0);
    for _ in 0..150 {
        let s1 = rng.uniform(-1.0, 3.0);
        let s2 = rng.uniform(-1.0, 3.0);
        let g = QuadraticGame::<D1, D2>::random_general(&mut rng, s1, s2);
        let h = block(&g.a2, n, D1..n, D1..n);
        let Some(hinv) = h.clone().try_inverse() else {
            continue;
        };
        let b = block(&g.a2, n, D1..n, 0..D1);
        let a11 = block(&g.a1, n, 0..D1, 0..D1);
        let a12 = block(&g.a1, n, 0..D1, D1..n);
        let a21 = block(&g.a1, n, D1..n, 0..D1);
        let a22 = block(&g.a1, n, D1..n, D1..n);
        let hs = &a11
            - b.transpose() * &hinv * &a21
            - (&a12 - b.transpose() * &hinv * &a22) * &hinv * &b;
        let found =
            find_critical_points(&g, Field::STACKELBERG, &[vec![0.0; n]], &Default::default())
                .unwrap();
        let Some(p) = found.points.first() else {
            continue;
        };
        let c = classify(&g, &p.x, &Default::default()).unwrap();
        let ours = c
            .spectra
            .stackelberg_hessian_unsymmetrised
            .as_ref()
            .unwrap();
        let reference = sorted_eigs(&hs);
        for (e, r) in ours.iter().zip(&reference) {
            assert!(
                (e.re - r.0).abs() + (e.im - r.1).abs() < 1e-9 * (1.0 + hs.norm()),
                "{ours:?} vs {reference:?}"
            );
        }
        let min_re = |v: &[(f64, f64)]| v.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
        let m = min_re(&sorted_eigs(&h)).min(min_re(&reference));
        if m.abs() < 1e-6 {
            continue; // too close to call for the reference
        }
        let want = if m > 0.0 { Verdict::Yes } else { Verdict::No };
        assert_eq!(c.stable_two_timescale, want, "min Re = {m}: {c:?}");
        if want == Verdict::Yes {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(
        yes > 10 && no > 10,
        "both outcomes covered ({yes} yes, {no} no)"
    );
}

/// A block with a NaN entry (a cost undefined at the point) is a typed
/// `SpectrumFailed` error naming the matrix, not a hang or a panic.
#[test]
fn non_finite_blocks_are_a_typed_spectrum_error() {
    use stackel_runtime::equilibria::EquilibriumError;
    let mut g = QuadraticGame::<2, 1>::random_general(&mut Rng::new(5), 1.0, 1.0);
    g.a1[1] = f64::NAN;
    g.a1[3] = f64::NAN;
    match classify(&g, &[0.1, 0.2, 0.3], &Default::default()) {
        Err(EquilibriumError::SpectrumFailed(e)) => {
            assert_eq!(e.matrix, "J");
            assert_eq!(e.n, 3);
        }
        other => panic!("expected SpectrumFailed, got {other:?}"),
    }
}
