//! Extreme eigenvalues through operators (Lanczos, restarted Arnoldi) against
//! dense nalgebra spectra, and classification above the dense size.

mod mf_support;

use mf_support::{uniforms, QuadraticSpread};
use nalgebra::DMatrix;
use stackel_runtime::blocks::Workspace;
use stackel_runtime::equilibria::{
    arnoldi_extremes, classify, classify_matrix_free, eigenvalues, lanczos_extremes,
    symmetric_eigenvalues, Degeneracy, Eig, ExtremeOptions, Extremes, GameOperators, Verdict,
    DENSE_CLASSIFY_LIMIT,
};
use stackel_runtime::game::Game;
use stackel_testkit::games::{
    Covariance3, Duopoly, LeaderThreeFollowerTwo, Torus, ZeroSumExample1,
};
use stackel_testkit::twins::CovarianceM;

/// The extremes found bracket the dense spectrum `want` (ascending by real
/// part): min and max real parts agree to `tol` S, and every value found is
/// an eigenvalue (within `tol` S).
fn check(what: &str, e: &Extremes, want: &[Eig], tol: f64) {
    assert!(e.converged, "{what}: {e:?}");
    let s = want.iter().fold(1e-300f64, |m, v| m.max(v.re.hypot(v.im)));
    let (lo, hi) = (want[0].re, want[want.len() - 1].re);
    assert!(
        (e.min_re() - lo).abs() <= tol * s,
        "{what}: min {} vs {lo}",
        e.min_re()
    );
    assert!(
        (e.max_re() - hi).abs() <= tol * s,
        "{what}: max {} vs {hi}",
        e.max_re()
    );
    for f in e.all() {
        let d = want
            .iter()
            .map(|w| (w.re - f.re).hypot(w.im - f.im))
            .fold(f64::INFINITY, f64::min);
        assert!(
            d <= tol * s,
            "{what}: {f:?} is not an eigenvalue (off by {d:e})"
        );
    }
}

fn real(v: Vec<f64>) -> Vec<Eig> {
    v.into_iter().map(|re| Eig { re, im: 0.0 }).collect()
}

/// Every operator's extremes at `x` against the dense spectra of the blocks
/// the workspace forms (J and J_S when `full`, D11 f1, D22 f2, Stackelberg
/// Hessian, and the Schur complement when `schur_symmetric`), to `tol` S.
fn check_game<G: Game>(
    name: &str,
    g: &G,
    x: &[f64],
    eta: f64,
    schur_symmetric: bool,
    full: bool,
    tol: f64,
) {
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    let mut ws = Workspace::<f64>::new(g);
    let mut j = vec![0.0; n * n];
    ws.jacobian(g, x, &mut j).unwrap();
    let mut js = vec![0.0; n * n];
    ws.stackelberg_jacobian(g, x, eta, &mut js).unwrap();
    let mut hs = vec![0.0; d1 * d1];
    ws.stackelberg_hessian(g, x, eta, &mut hs).unwrap();
    let jm = DMatrix::from_row_slice(n, n, &j);
    let opts = ExtremeOptions {
        k: 2,
        ..Default::default()
    };
    let mut ops = GameOperators::new(g, x, eta);
    let spec = |a: &[f64], k: usize| eigenvalues(&DMatrix::from_row_slice(k, k, a), "A").unwrap();
    if full {
        check(
            &format!("{name} J"),
            &arnoldi_extremes(n, |v, o| ops.jacobian(v, o), &opts),
            &spec(&j, n),
            tol,
        );
        check(
            &format!("{name} J_S"),
            &arnoldi_extremes(n, |v, o| ops.stackelberg_jacobian(v, o), &opts),
            &spec(&js, n),
            tol,
        );
    }
    check(
        &format!("{name} Stackelberg Hessian"),
        &arnoldi_extremes(d1, |v, o| ops.stackelberg_hessian(v, o), &opts),
        &spec(&hs, d1),
        tol,
    );
    let d11 = symmetric_eigenvalues(&jm.view((0, 0), (d1, d1)).into_owned(), "D11").unwrap();
    check(
        &format!("{name} D11 f1"),
        &lanczos_extremes(d1, |v, o| ops.d11f1(v, o), &opts),
        &real(d11),
        tol,
    );
    let h = jm.view((d1, d1), (d2, d2)).into_owned();
    let e = if g.info().followers.len() == 1 {
        lanczos_extremes(d2, |v, o| ops.d22f2(v, o), &opts)
    } else {
        arnoldi_extremes(d2, |v, o| ops.d22f2(v, o), &opts)
    };
    check(
        &format!("{name} D22 f2"),
        &e,
        &eigenvalues(&h, "H").unwrap(),
        tol,
    );
    if schur_symmetric {
        // S = D11 f1 - D12 f1 (H + eta I)^-1 B, dense
        let c = jm.view((0, d1), (d1, d2)).into_owned();
        let b = jm.view((d1, 0), (d2, d1)).into_owned();
        let he = &h + DMatrix::identity(d2, d2) * eta;
        let s = jm.view((0, 0), (d1, d1)).into_owned() - c * he.lu().solve(&b).unwrap();
        let s = (&s + s.transpose()) * 0.5;
        check(
            &format!("{name} Schur complement"),
            &lanczos_extremes(d1, |v, o| ops.schur_complement(v, o), &opts),
            &real(symmetric_eigenvalues(&s, "S").unwrap()),
            tol,
        );
    }
    assert!(ops.solves_ok());
}

/// A point of CovarianceM<M> with a random SPD sigma, V and a small W.
fn covariance_point<const M: usize>(seed: u64) -> (CovarianceM<M>, Vec<f64>) {
    let a = DMatrix::from_vec(M, M, uniforms(seed, M * M));
    let sigma = &a * a.transpose() / M as f64 + DMatrix::identity(M, M);
    let g = CovarianceM::<M>::new(sigma.as_slice().to_vec(), 0.7);
    let mut x = uniforms(seed + 1, 2 * M * M);
    for w in &mut x[M * M..] {
        *w *= 0.2;
    }
    (g, x)
}

#[test]
fn extremes_match_dense_spectra_on_covariance_games() {
    for eta in [0.0, 0.2] {
        let (g, x) = covariance_point::<3>(1);
        check_game("CovarianceM<3>", &g, &x, eta, true, true, 1e-8);
        let (g, x) = covariance_point::<5>(2);
        check_game("CovarianceM<5>", &g, &x, eta, true, true, 1e-8);
    }
    // m = 9: the d1 = 81 operators here; J and J_S (n = 162) against dense
    // spectra in the large_covariance example (a 162 x 162 dense
    // eigenvalue reference takes tens of seconds in an unoptimised test build)
    let (g, x) = covariance_point::<9>(3);
    check_game("CovarianceM<9>", &g, &x, 0.0, true, false, 1e-8);
}

#[test]
fn extremes_match_dense_spectra_on_the_macro_paper_games() {
    let mut c3 = Covariance3::default();
    let (g, x) = covariance_point::<3>(4);
    let mut p = vec![0.0; 10];
    g.params(&mut p);
    c3.set_params(&p);
    let t = 1e-8;
    check_game("Covariance3", &c3, &x, 0.1, true, true, t);
    let duopoly = Duopoly::default();
    check_game("Duopoly", &duopoly, &[46.0, 26.0], 0.0, false, true, t);
    check_game("Duopoly", &duopoly, &[10.0, 60.0], 0.0, false, true, t);
    check_game(
        "Torus",
        &Torus::default(),
        &[0.3, -1.2],
        0.0,
        false,
        true,
        t,
    );
    let zs = ZeroSumExample1::default();
    check_game("ZeroSumExample1", &zs, &[0.4, -0.7], 0.0, true, true, t);
    // J has a defective double eigenvalue 2 there: rounding splits it by
    // ~ sqrt(u) |J|, in the dense reference as in Arnoldi, so the
    // comparison is at 1e-6 instead of 1e-8
    let l3 = LeaderThreeFollowerTwo;
    let x5 = [0.1, 0.2, 0.3, -0.4, 0.5];
    check_game("LeaderThreeFollowerTwo", &l3, &x5, 0.0, false, true, 1e-6);
    let q = QuadraticSpread::new(30.0, 9);
    check_game(
        "QuadraticSpread",
        &q,
        &uniforms(11, 28),
        0.0,
        false,
        true,
        t,
    );
}

/// The matrix-free classification decides as the dense one where the dense
/// verdicts are decided by a margin.
#[test]
fn matrix_free_classification_agrees_with_the_dense_one_on_small_games() {
    let d = Duopoly::default();
    for x in [[46.0, 26.0], [92.0 / 3.0, 101.0 / 3.0], [10.0, 10.0]] {
        let dense = classify(&d, &x, &Default::default()).unwrap();
        let mf = classify_matrix_free(&d, &x, &Default::default(), &Default::default()).unwrap();
        assert!(mf.spectra.extremes_only && !dense.spectra.extremes_only);
        assert_eq!(
            [
                dense.differential_nash,
                dense.differential_stackelberg,
                dense.stable_simultaneous,
                dense.stable_stackelberg,
                dense.stable_two_timescale
            ],
            [
                mf.differential_nash,
                mf.differential_stackelberg,
                mf.stable_simultaneous,
                mf.stable_stackelberg,
                mf.stable_two_timescale
            ],
            "{x:?}"
        );
    }
    // the quadratic game's unique critical points of omega and omega_S
    let q = QuadraticSpread::new(30.0, 9);
    for x in [vec![0.0; 28], uniforms(3, 28)] {
        let dense = classify(&q, &x, &Default::default()).unwrap();
        let mf = classify_matrix_free(&q, &x, &Default::default(), &Default::default()).unwrap();
        assert_eq!(dense.differential_nash, mf.differential_nash);
        assert_eq!(dense.stable_stackelberg, mf.stable_stackelberg);
        assert_eq!(dense.stable_simultaneous, mf.stable_simultaneous);
    }
}

/// CovarianceM at m = 25 (n = 1250 > DENSE_CLASSIFY_LIMIT) at an equilibrium
/// V V^T = Sigma = I (V = Q orthogonal), W = 0. With B U = U Q^T + Q U^T,
/// B^T B = 4 on U = X Q, X symmetric, and 0 on X antisymmetric (the
/// rotations V -> V R of the orbit V V^T = Sigma), and at W = 0, lambda = 0:
/// D11 f1 = 0, H = eta I, J = [[0, -B^T], [B, eta I]],
/// J_S = [[B^T B / eta, -B^T], [B, eta I]], H_S = 2 B^T B / eta. So
/// spec(H_S) = {0, 8 / eta}, spec(J_S) = {0, eta, roots of t^2 - (4/eta + eta) t + 8},
/// spec(J) = {0, eta, eta/2 +- i sqrt(4 - eta^2/4)}: every verdict that
/// touches the orbit's zero directions is Degenerate, the follower's is Yes.
#[test]
fn covariance_m25_equilibrium_is_classified_as_the_math_says() {
    const M: usize = 25;
    let eta = 0.6;
    let g = CovarianceM::<M>::new(DMatrix::<f64>::identity(M, M).as_slice().to_vec(), eta);
    let q = DMatrix::from_vec(M, M, uniforms(5, M * M)).qr().q();
    let mut x = vec![0.0; 2 * M * M];
    for a in 0..M {
        for b in 0..M {
            x[a * M + b] = q[(a, b)];
        }
    }
    assert_eq!((CovarianceM::<M>::N, DENSE_CLASSIFY_LIMIT), (1250, 400));
    let c = classify(&g, &x, &Default::default()).unwrap();
    assert!(
        c.spectra.extremes_only,
        "the matrix-free path above the dense size"
    );
    assert!(c.omega_residual < 1e-12 && c.omega_s_residual.unwrap() < 1e-12);

    let s = &c.spectra;
    let tol = 1e-8;
    let (a, b) = (4.0 / eta + eta, 8.0);
    let (r_lo, r_hi) = (
        (a - (a * a - 4.0 * b).sqrt()) / 2.0,
        (a + (a * a - 4.0 * b).sqrt()) / 2.0,
    );
    let close = |got: f64, want: f64| (got - want).abs() <= tol * (1.0 + want.abs());
    let js = s.j_s.as_ref().unwrap();
    assert!(
        close(js[0].re, 0.0) && close(js[js.len() - 1].re, r_hi),
        "{js:?}"
    );
    for e in js {
        assert!(
            [0.0, eta, r_lo, r_hi].iter().any(|w| close(e.re, *w)) && e.im.abs() < tol,
            "{e:?} is not in spec(J_S)"
        );
    }
    let hs = s.stackelberg_hessian.as_ref().unwrap();
    assert!(
        close(hs[0], 0.0) && close(hs[hs.len() - 1], 8.0 / eta),
        "{hs:?}"
    );
    assert!(s.d11f1.iter().all(|v| v.abs() < tol));
    assert!(s.d22f2.iter().all(|v| close(v.re, eta)));
    assert!(
        close(s.j[0].re, 0.0) && close(s.j[s.j.len() - 1].re, eta),
        "{:?}",
        s.j
    );

    assert_eq!(c.differential_nash, Verdict::Degenerate); // D11 f1 = 0
    assert_eq!(c.differential_stackelberg, Verdict::Degenerate); // H_S >= 0, singular
    assert_eq!(c.stable_stackelberg, Verdict::Degenerate); // 0 in spec(J_S), the rest > 0
    assert_eq!(c.stable_simultaneous, Verdict::Degenerate);
    assert_eq!(c.stable_two_timescale, Verdict::Degenerate);
    for d in [
        Degeneracy::SingularJs,
        Degeneracy::SemidefiniteStackelbergHessian,
        Degeneracy::SemidefiniteLeaderHessian,
    ] {
        assert!(c.degenerate.contains(&d), "{d:?} in {:?}", c.degenerate);
    }
    assert!(!c.degenerate.contains(&Degeneracy::SingularFollowerHessian));
    assert!(!c
        .degenerate
        .contains(&Degeneracy::SemidefiniteFollowerHessian));

    // off the orbit, at V = 2 Q (V V^T = 4 I != Sigma): not critical, so No
    let x2: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
    let c2 = classify(&g, &x2, &Default::default()).unwrap();
    assert_eq!(c2.differential_stackelberg, Verdict::No);
    assert_eq!(c2.stable_stackelberg, Verdict::No);
}
