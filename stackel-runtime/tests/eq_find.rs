//! The finder's bookkeeping: failed solves are reported with their reason,
//! bad input is a typed error, starts helpers, the report's table and JSON.

mod eq_support;

use eq_support::QuadraticGame;
use stackel_runtime::equilibria::{
    classify, find_critical_points, grid_starts, random_starts, Degeneracy, EquilibriumError,
    EquilibriumReport, FailureReason, Field, FindOptions, Verdict,
};
use stackel_testkit::twins::Duopoly;

/// f1 = x^2/2 + x y, f2 = x y: the follower's cost is linear in y, so
/// D22 f2 = 0 and omega_S does not exist anywhere; omega = (x + y, x) has the
/// single zero (0, 0), where J = [[1, 1], [1, 0]] is indefinite.
fn linear_follower() -> QuadraticGame<1, 1> {
    QuadraticGame {
        a1: vec![1.0, 1.0, 1.0, 0.0],
        b1: vec![0.0, 0.0],
        a2: vec![0.0, 1.0, 1.0, 0.0],
        b2: vec![0.0, 0.0],
        zero_sum: false,
    }
}

#[test]
fn failed_solves_are_counted_with_their_reason() {
    let g = linear_follower();
    let starts = grid_starts(&[(-1.0, 1.0), (-1.0, 1.0)], 3);
    let found =
        find_critical_points(&g, Field::STACKELBERG, &starts, &FindOptions::default()).unwrap();
    assert!(found.points.is_empty());
    assert_eq!(found.failures.len(), 9);
    assert_eq!(
        found
            .failure_counts()
            .get(&FailureReason::SingularFollowerHessian),
        Some(&9)
    );
    let sim = EquilibriumReport::find(
        &g,
        Field::Simultaneous,
        &starts,
        &FindOptions::default(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(sim.points.len(), 1);
    let p = &sim.points[0];
    assert!(p.x.iter().all(|v| v.abs() < 1e-12));
    // D22 f2 = 0: the follower's Hessian is neither > 0 nor < 0
    assert_eq!(p.differential_nash, Verdict::Degenerate);
    assert_eq!(p.differential_stackelberg, Verdict::Degenerate);
    assert!(p.spectra.j_s.is_none());
    // J = [[1, 1], [1, 0]] has eigenvalues (1 +- sqrt 5) / 2: a saddle
    assert_eq!(p.stable_simultaneous, Verdict::No);
    assert!((p.spectra.j[0].re - (1.0 - 5f64.sqrt()) / 2.0).abs() < 1e-12);
}

#[test]
fn bad_points_are_typed_errors() {
    let g = Duopoly::default();
    let e = find_critical_points(
        &g,
        Field::Simultaneous,
        &[vec![1.0, 2.0], vec![1.0]],
        &Default::default(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        EquilibriumError::Dimension {
            index: 1,
            expected: 2,
            got: 1
        }
    );
    let e = find_critical_points(
        &g,
        Field::Simultaneous,
        &[vec![f64::NAN, 2.0]],
        &Default::default(),
    )
    .unwrap_err();
    assert_eq!(e, EquilibriumError::NonFinite { index: 0 });
    assert!(classify(&g, &[1.0, 2.0, 3.0], &Default::default()).is_err());
}

#[test]
fn start_helpers_cover_the_box() {
    let grid = grid_starts(&[(0.0, 1.0), (-2.0, 2.0)], 3);
    assert_eq!(grid.len(), 9);
    assert!(grid.contains(&vec![0.0, -2.0]) && grid.contains(&vec![1.0, 2.0]));
    assert!(grid.contains(&vec![0.5, 0.0]));
    let r = random_starts(&[(0.0, 1.0), (-2.0, 2.0)], 500, 9);
    assert_eq!(r, random_starts(&[(0.0, 1.0), (-2.0, 2.0)], 500, 9));
    assert!(r
        .iter()
        .all(|x| (0.0..1.0).contains(&x[0]) && (-2.0..2.0).contains(&x[1])));
    let mean: f64 = r.iter().map(|x| x[1]).sum::<f64>() / 500.0;
    // uniform on [-2, 2): sd of the mean 4 / sqrt(12 * 500) ~ 0.052
    assert!(mean.abs() < 0.25, "{mean}");
}

#[test]
fn report_prints_a_table_and_round_trips_as_json() {
    let g = Duopoly::default();
    let starts = random_starts(&[(0.0, 100.0), (0.0, 100.0)], 20, 1);
    let r = EquilibriumReport::find(
        &g,
        Field::STACKELBERG,
        &starts,
        &Default::default(),
        &Default::default(),
    )
    .unwrap();
    let text = r.to_string();
    assert!(
        text.contains("Duopoly") && text.contains("omega_S"),
        "{text}"
    );
    assert!(
        text.contains("46.00000") && text.contains("26.00000"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["points"][0]["differential_stackelberg"], "Yes");
    assert_eq!(v["hits"][0], 20);
    assert!((v["points"][0]["x"][0].as_f64().unwrap() - 46.0).abs() < 1e-9);
    assert_eq!(v["coordinates"][1], "q2");
}

/// Zero-sum bilinear game f = x y (+ a regularised variant): the classic
/// rotation. At (0, 0), J = [[0, 1], [-1, 0]] has eigenvalues +-i, so
/// stability under simultaneous play is marginal, and D11 f1 = 0 makes the
/// Nash test inconclusive; the follower's D22 f2 = 0 as well.
#[test]
fn marginal_and_semidefinite_cases_are_degenerate() {
    let g = QuadraticGame::<1, 1> {
        a1: vec![0.0, 1.0, 1.0, 0.0],
        b1: vec![0.0, 0.0],
        a2: vec![0.0, -1.0, -1.0, 0.0],
        b2: vec![0.0, 0.0],
        zero_sum: true,
    };
    let c = classify(&g, &[0.0, 0.0], &Default::default()).unwrap();
    assert_eq!(c.stable_simultaneous, Verdict::Degenerate);
    assert_eq!(c.differential_nash, Verdict::Degenerate);
    assert_eq!(c.non_nash_attractor, Verdict::Degenerate);
    assert!(c.degenerate.contains(&Degeneracy::MarginalJ));
    assert!(c.degenerate.contains(&Degeneracy::SingularFollowerHessian));
    assert!((c.spectra.j[0].im.abs() - 1.0).abs() < 1e-12 && c.spectra.j[0].re.abs() < 1e-12);
    // With eta = 1, H + eta I = 1 and Df1 = D1 f1 - B^T (H + eta I)^-T D2 f1
    // = y + x, so omega_S = (x + y, -x) vanishes at the origin; the report
    // classifies with the solved field's eta.
    let r = EquilibriumReport::find(
        &g,
        Field::Stackelberg { eta: 1.0 },
        &[vec![0.3, -0.2]],
        &Default::default(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(r.classify_options.eta, 1.0);
    assert_eq!(r.points.len(), 1);
    assert!(r.points[0].omega_s_residual.unwrap() < 1e-10);
}

/// The bounds option: with `bounds` the finder returns exactly the points of
/// an unbounded run that lie in the box; with `keep_outside` it returns all
/// of them and tags the others; malformed bounds are a typed error.
#[test]
fn bounds_drop_or_tag_points_outside_the_box() {
    use stackel_testkit::twins::ZeroSumExample1;
    let g = ZeroSumExample1::default();
    let starts = grid_starts(&[(-6.0, 6.0), (-6.0, 6.0)], 9);
    let all =
        find_critical_points(&g, Field::Simultaneous, &starts, &FindOptions::default()).unwrap();
    let bx = vec![(-2.0, 2.0), (-2.0, 2.0)];
    let inside = |x: &[f64]| x.iter().all(|v| (-2.0..=2.0).contains(v));
    let n_in = all.points.iter().filter(|p| inside(&p.x)).count();
    assert!(
        n_in > 0 && n_in < all.points.len(),
        "the box must split the points"
    );
    assert!(all.points.iter().all(|p| !p.outside));
    let opts = FindOptions {
        bounds: Some(bx.clone()),
        ..Default::default()
    };
    let boxed = find_critical_points(&g, Field::Simultaneous, &starts, &opts).unwrap();
    assert_eq!(boxed.points.len(), n_in);
    assert!(boxed.points.iter().all(|p| inside(&p.x) && !p.outside));
    let hits_out: usize = all
        .points
        .iter()
        .filter(|p| !inside(&p.x))
        .map(|p| p.hits)
        .sum();
    assert_eq!(boxed.dropped_outside, hits_out);
    let kept = find_critical_points(
        &g,
        Field::Simultaneous,
        &starts,
        &FindOptions {
            keep_outside: true,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(kept.points.len(), all.points.len());
    assert_eq!(kept.dropped_outside, 0);
    assert!(kept.points.iter().all(|p| p.outside != inside(&p.x)));
    for bad in [vec![(-1.0, 1.0)], vec![(1.0, -1.0), (0.0, 1.0)]] {
        let o = FindOptions {
            bounds: Some(bad),
            ..Default::default()
        };
        assert!(matches!(
            find_critical_points(&g, Field::Simultaneous, &starts, &o),
            Err(EquilibriumError::Bounds { expected: 2, .. })
        ));
    }
}
