//! Staggered (three-level) Stackelberg hierarchies, appendix F.1: the DSL's
//! `follower z after y;`, the generated blocks and the runtime's composed
//! total derivatives, held to closed forms and to finite differences of
//! nested best responses solved numerically from hand-written costs.

use stackel::hierarchy::{find_staggered, Hierarchy, HierarchyError};
use stackel::prelude::*;
use stackel::{Schedule, StudyError};

stackel_game! {
    /// A three-level quadratic chain: x leads y, y leads z.
    pub game Quad3 {
        leader x;
        follower y;
        follower z after y;
        cost x = (x - 2.0)^2 + x * z + y^2;
        cost y = y^2 + y * z - 4.0 * y;
        cost z = z^2 - z * (x + y);
    }
}

stackel_game! {
    /// A non-quadratic three-level chain with random coefficients.
    pub game Rand3 {
        param p: [6] = [0, 0, 0, 0, 0, 0];
        param q: [6] = [0, 0, 0, 0, 0, 0];
        param s: [6] = [0, 0, 0, 0, 0, 0];
        leader x;
        follower y;
        follower z after y;
        cost x = x^2 + p[0]*x*y + p[1]*x*z + p[2]*y*z^2 + p[3]*sin(x*z) + p[4]*x*y^2*z + p[5]*exp(0.5*y);
        cost y = y^2 + q[0]*y*x + q[1]*y*z + q[2]*cos(y + z) + q[3]*y^2*z + q[4]*x*z^2 + q[5]*y^3*x;
        cost z = z^2 + s[0]*z*x + s[1]*z*y + s[2]*z^2*y + s[3]*sin(z*x*y) + s[4]*z^3 + s[5]*exp(0.3*z*x);
    }
}

/// The costs of `Rand3` written again by hand (the independent reference).
fn rand3_costs(c: &[f64; 18], x: f64, y: f64, z: f64) -> [f64; 3] {
    let (p, q, s) = (&c[0..6], &c[6..12], &c[12..18]);
    [
        x * x
            + p[0] * x * y
            + p[1] * x * z
            + p[2] * y * z * z
            + p[3] * (x * z).sin()
            + p[4] * x * y * y * z
            + p[5] * (0.5 * y).exp(),
        y * y
            + q[0] * y * x
            + q[1] * y * z
            + q[2] * (y + z).cos()
            + q[3] * y * y * z
            + q[4] * x * z * z
            + q[5] * y.powi(3) * x,
        z * z
            + s[0] * z * x
            + s[1] * z * y
            + s[2] * z * z * y
            + s[3] * (z * x * y).sin()
            + s[4] * z.powi(3)
            + s[5] * (0.3 * z * x).exp(),
    ]
}

/// Newton on a scalar condition d/dv F(v) = 0, derivatives by central
/// differences of `f` (step `h` for the first, `2h` for the second).
fn minimise_1d(f: &dyn Fn(f64) -> f64, mut v: f64, h: f64) -> f64 {
    for _ in 0..100 {
        let d1 = (f(v + h) - f(v - h)) / (2.0 * h);
        let h2 = 10.0 * h;
        let d2 = (f(v + h2) - 2.0 * f(v) + f(v - h2)) / (h2 * h2);
        let step = d1 / d2;
        v -= step;
        if step.abs() < 1e-13 {
            break;
        }
    }
    v
}

/// Nested best responses of a three-level chain with costs `f(x, y, z)`:
/// r3(x, y) minimises f_3 over z, r2(x) minimises F2(x, y) = f_2(x, y, r3(x, y)),
/// with difference steps `h` (inner, middle).
struct Nested<'a> {
    f: &'a dyn Fn(f64, f64, f64) -> [f64; 3],
    h: [f64; 2],
}

impl Nested<'_> {
    fn r3(&self, x: f64, y: f64) -> f64 {
        minimise_1d(&|z| (self.f)(x, y, z)[2], 0.0, self.h[0])
    }
    fn big_f2(&self, x: f64, y: f64) -> f64 {
        (self.f)(x, y, self.r3(x, y))[1]
    }
    fn r2(&self, x: f64) -> f64 {
        minimise_1d(&|y| self.big_f2(x, y), 0.0, self.h[1])
    }
    fn big_f1(&self, x: f64) -> f64 {
        let y = self.r2(x);
        (self.f)(x, y, self.r3(x, y))[0]
    }
}

#[test]
fn levels_come_from_after() {
    let g = Quad3;
    let levels: Vec<u32> = g.info().players().map(|p| p.level).collect();
    assert_eq!(levels, [0, 1, 2]);
    let h = Hierarchy::of(&g).unwrap();
    assert_eq!(h.levels(), 3);
    assert_eq!(h.below(0), [1, 2]);
    assert_eq!(h.upper(1), [0, 1]);
}

/// (a) The quadratic chain's staggered point in closed form: z = (x + y) / 2,
/// F2 = 1.5 y^2 + x y / 2 - 4 y gives y = (4 - x / 2) / 3, and
/// dF1/dx = 52 x / 18 - 34 / 9 = 0 gives x = 17/13, y = 29/26, z = 63/52.
#[test]
fn quadratic_chain_closed_form() {
    let g = Quad3;
    let h = Hierarchy::of(&g).unwrap();
    let star = [17.0 / 13.0, 29.0 / 26.0, 63.0 / 52.0];
    let mut f = [1.0; 3];
    h.staggered_field(&g, &star, &mut f).unwrap();
    assert!(f.iter().all(|v| v.abs() < 1e-12), "{f:?}");
    // The same point from nested numerical solves of the hand-written costs.
    let costs = |x: f64, y: f64, z: f64| {
        [
            (x - 2.0).powi(2) + x * z + y * y,
            y * y + y * z - 4.0 * y,
            z * z - z * (x + y),
        ]
    };
    // Central differences are exact on quadratics: wide steps, no truncation.
    let nested = Nested {
        f: &costs,
        h: [0.1, 0.1],
    };
    let x = minimise_1d(&|x| nested.big_f1(x), 0.0, 0.1);
    let y = nested.r2(x);
    let z = nested.r3(x, y);
    for (a, b) in [x, y, z].iter().zip(&star) {
        assert!((a - b).abs() < 1e-9, "nested {:?} vs {star:?}", [x, y, z]);
    }
    // Newton on the staggered field finds it from afar, and classifies it.
    let found = find_staggered(&h, &g, &[-3.0, 4.0, 1.0], 1e-12, 50).unwrap();
    for (a, b) in found.x.iter().zip(&star) {
        assert!((a - b).abs() < 1e-10, "{found:?}");
    }
    let report = h.classify(&g, &found.x).unwrap();
    assert!(report.is_staggered_stackelberg(1e-10), "{report:?}");
    // S_x = d^2F1/dx^2 = 52/18, S_y = d^2F2/dy^2 = 3, S_z = 2.
    let s: Vec<f64> = report.second_order.iter().map(|(_, e)| e[0]).collect();
    for (a, b) in s.iter().zip([52.0 / 18.0, 3.0, 2.0]) {
        assert!((a - b).abs() < 1e-10, "{s:?}");
    }
}

/// Deterministic coefficients in [-0.3, 0.3] from a seed (splitmix64).
fn coefficients(seed: u64) -> [f64; 18] {
    let mut state = seed;
    let mut c = [0.0; 18];
    for v in &mut c {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        *v = 0.6 * (z as f64 / u64::MAX as f64) - 0.3;
    }
    c
}

/// (b) Random three-level games: the composed implicit maps and total
/// gradients match finite differences of the nested best responses, and
/// the adjoint-formula Jacobian rows of the lower levels match the exact
/// (tangent) Jacobian of the staggered field.
#[test]
fn random_chains_match_nested_finite_differences() {
    for seed in 0..6u64 {
        let c = coefficients(seed);
        let mut g = Rand3::default();
        g.set_params(&c);
        let h = Hierarchy::of(&g).unwrap();
        let costs = |x: f64, y: f64, z: f64| rand3_costs(&c, x, y, z);
        let nested = Nested {
            f: &costs,
            h: [1e-5, 1e-4],
        };
        let x = 0.8 * coefficients(seed + 100)[0] / 0.3;
        let y0 = 0.7 * coefficients(seed + 200)[1] / 0.3;
        let e = 1e-4;

        // Level 1 at (x, y0, r3(x, y0)): Dr_{>1} and g_y against r3 and F2.
        let z0 = nested.r3(x, y0);
        let t = h.total_fields(&g, &[x, y0, z0]).unwrap();
        let dr3 = [
            (nested.r3(x + e, y0) - nested.r3(x - e, y0)) / (2.0 * e),
            (nested.r3(x, y0 + e) - nested.r3(x, y0 - e)) / (2.0 * e),
        ];
        for (a, b) in t.implicit_maps[1].iter().zip(dr3) {
            assert!(
                (a - b).abs() < 1e-6,
                "seed {seed}: Dr3 {:?} vs {dr3:?}",
                t.implicit_maps[1]
            );
        }
        let dfy = (nested.big_f2(x, y0 + e) - nested.big_f2(x, y0 - e)) / (2.0 * e);
        assert!(
            (t.field[1] - dfy).abs() < 1e-6,
            "seed {seed}: g_y {} vs {dfy}",
            t.field[1]
        );

        // Level 0 at (x, r2(x), r3(x, r2(x))): Dr_{>0} and g_x against r2, r3 and F1.
        let y = nested.r2(x);
        let z = nested.r3(x, y);
        let t = h.total_fields(&g, &[x, y, z]).unwrap();
        let e = 1e-3;
        let (yp, ym) = (nested.r2(x + e), nested.r2(x - e));
        let dr = [
            (yp - ym) / (2.0 * e),
            (nested.r3(x + e, yp) - nested.r3(x - e, ym)) / (2.0 * e),
        ];
        for (a, b) in t.implicit_maps[0].iter().zip(dr) {
            assert!(
                (a - b).abs() < 1e-5,
                "seed {seed}: Dr {:?} vs {dr:?}",
                t.implicit_maps[0]
            );
        }
        let dfx = (nested.big_f1(x + e) - nested.big_f1(x - e)) / (2.0 * e);
        assert!(
            (t.field[0] - dfx).abs() < 1e-5,
            "seed {seed}: g_x {} vs {dfx}",
            t.field[0]
        );

        // The adjoint formula's rows (levels 1 and 2) against the tangent Jacobian.
        let jac = h.jacobian(&g, &[x, y0, z0]).unwrap();
        let t = h.total_fields(&g, &[x, y0, z0]).unwrap();
        for (a, b) in t.lower_jacobian.iter().zip(&jac[3..]) {
            assert!(
                (a - b).abs() < 1e-12,
                "seed {seed}: {:?} vs {:?}",
                t.lower_jacobian,
                &jac[3..]
            );
        }
        // And the leader's tangent row against central differences of g_x.
        let mut fp = [0.0; 3];
        let mut fm = [0.0; 3];
        let e = 1e-5;
        for j in 0..3 {
            let mut xp = [x, y0, z0];
            let mut xm = xp;
            xp[j] += e;
            xm[j] -= e;
            h.staggered_field(&g, &xp, &mut fp).unwrap();
            h.staggered_field(&g, &xm, &mut fm).unwrap();
            let fd = (fp[0] - fm[0]) / (2.0 * e);
            assert!(
                (jac[j] - fd).abs() < 1e-7,
                "seed {seed}: DF[0,{j}] {} vs {fd}",
                jac[j]
            );
        }
    }
}

/// A two-level game does not generate the staggered blocks: a typed error.
#[test]
fn plain_games_report_not_generated() {
    let g = stackel_testkit::games::Duopoly::default();
    let h = Hierarchy::of(&g).unwrap();
    let mut f = [0.0; 2];
    assert!(matches!(
        h.staggered_field(&g, &[1.0, 2.0], &mut f),
        Err(HierarchyError::NotGenerated(_))
    ));
}

/// Regularisation per level: eta_0 > 0 changes only the leader's field.
#[test]
fn eta_per_level() {
    let g = Quad3;
    let h = Hierarchy::of(&g).unwrap();
    let x = [0.3, -0.2, 0.5];
    let mut f0 = [0.0; 3];
    let mut f1 = [0.0; 3];
    h.staggered_field(&g, &x, &mut f0).unwrap();
    let hr = h.clone().with_etas(&[0.5, 0.0]).unwrap();
    hr.staggered_field(&g, &x, &mut f1).unwrap();
    assert!((f0[0] - f1[0]).abs() > 1e-6);
    assert_eq!(&f0[1..], &f1[1..]);
    assert!(h.clone().with_etas(&[0.1]).is_err());
}

/// Exact mean and covariance of x_K for an affine field F(x) = A x - b under
/// x <- x - G_k (F(x) + w_k), w_k ~ N(0, var I): m <- m - G (A m - b),
/// C <- M C M^T + var G^2 (M = I - G A), from `x0`.
fn exact_moments3(
    a: [[f64; 3]; 3],
    b: [f64; 3],
    sched: &[Schedule; 3],
    var: f64,
    x0: [f64; 3],
    steps: u64,
) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut m = x0;
    let mut c = [[0.0; 3]; 3];
    for k in 0..steps {
        let g: Vec<f64> = sched.iter().map(|s| s.gamma(k)).collect();
        let f: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a[i][j] * m[j]).sum::<f64>() - b[i])
            .collect();
        for i in 0..3 {
            m[i] -= g[i] * f[i];
        }
        let mm: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| f64::from(u8::from(i == j)) - g[i] * a[i][j])
                    .collect()
            })
            .collect();
        let mut nc = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                for p in 0..3 {
                    for q in 0..3 {
                        nc[i][j] += mm[i][p] * c[p][q] * mm[j][q];
                    }
                }
            }
            nc[i][i] += g[i] * g[i] * var;
        }
        c = nc;
    }
    (m, c)
}

/// Sample mean within `z` standard errors of `want` in every coordinate.
fn mean_within(r: &StudyResult, want: [f64; 3], c: [[f64; 3]; 3], z: f64, what: &str) {
    let s = &r.summary;
    assert_eq!(s.finished, s.trajectories, "{what}");
    let n = s.finished as f64;
    for i in 0..3 {
        let se = (c[i][i] / n).sqrt();
        let dev = (s.mean[i] - want[i]) / se;
        assert!(
            dev.abs() < z,
            "{what}: coordinate {i}: mean {} want {} ({dev:.2} SE, SE {se:.3e})",
            s.mean[i],
            want[i]
        );
    }
}

/// Sample variances within `z` relative standard errors (sqrt(2 / n)) of `c`.
fn variance_within(r: &StudyResult, c: [[f64; 3]; 3], z: f64, what: &str) {
    let n = r.summary.finished as f64;
    for (i, row) in c.iter().enumerate() {
        let rel = r.summary.covariance[i * 3 + i] / row[i] - 1.0;
        assert!(
            rel.abs() < z * (2.0 / n).sqrt(),
            "{what}: coordinate {i}: variance ratio - 1 = {rel}"
        );
    }
}

/// (c) Three firms, a = 100, c = (5, 2, 3). In the chain 1 -> 2 -> 3 the
/// staggered field is affine: g3 = q1 + q2 + 2 q3 - 97, g2 = q1 + 1.5 q2 +
/// q3 - 98 (Dr3 = (-1/2, -1/2)), g1 = 1.25 q1 + q2 + q3 - 95 (Dr_{>1} =
/// (-1/2, -1/4)), zero at (43.5, 27.75, 12.875). The three-timescale study
/// ends there in mean; the tree 1 -> {2, 3} under two-timescale play
/// (omega_S = (4/3 q1 + q2 + q3 - 95, ..)) ends at (45, 18, 17).
#[test]
fn oligopoly_studies_end_at_closed_forms() {
    use stackel_testkit::games::{ChainOligopoly, TreeOligopoly};
    let k0 = 11.0;
    // gamma_i = a_i / (k + 11)^e_i: the leader's a = 4 makes the slow
    // manifold's transient (slope 1/2 for the chain's leader) decay like
    // k^-2, well inside the standard error after 3000 steps.
    let s = |a: f64, e: f64| Schedule::inverse_power(a).offset(k0).exponent(e);
    let (steps, var, x0) = (3000, 10.0, [10.0, 10.0, 10.0]);

    let chain = ChainOligopoly::default();
    let h = Hierarchy::of(&chain).unwrap();
    let jac = h.jacobian(&chain, &x0).unwrap();
    let a = [[1.25, 1.0, 1.0], [1.0, 1.5, 1.0], [1.0, 1.0, 2.0]];
    for i in 0..3 {
        for j in 0..3 {
            assert!((jac[i * 3 + j] - a[i][j]).abs() < 1e-12, "{jac:?}");
        }
    }
    let sched = [s(4.0, 1.0), s(2.0, 0.8), s(1.0, 0.6)];
    let r = Study::new(chain, Dynamics::staggered(sched.to_vec()))
        .trajectories(600)
        .steps(steps)
        .noise(Noise::variance(var))
        .init(Init::Point(x0.to_vec()))
        .seed(7)
        .run::<f64>()
        .unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let (m, c) = exact_moments3(a, [95.0, 98.0, 97.0], &sched, var, x0, steps);
    mean_within(&r, m, c, 5.0, "three-timescale, exact moments");
    variance_within(&r, c, 5.0, "three-timescale");
    mean_within(
        &r,
        [43.5, 27.75, 12.875],
        c,
        5.0,
        "three-timescale, staggered point",
    );

    let tree = TreeOligopoly::default();
    let sched = [s(4.0, 1.0), s(1.0, 2.0 / 3.0), s(1.0, 2.0 / 3.0)];
    let r = Study::new(tree, Dynamics::two_timescale(sched[0], sched[1]))
        .trajectories(600)
        .steps(steps)
        .noise(Noise::variance(var))
        .init(Init::Point(x0.to_vec()))
        .seed(8)
        .run::<f64>()
        .unwrap();
    let a = [[4.0 / 3.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]];
    let (m, c) = exact_moments3(a, [95.0, 98.0, 97.0], &sched, var, x0, steps);
    mean_within(&r, m, c, 5.0, "two-timescale, exact moments");
    variance_within(&r, c, 5.0, "two-timescale");
    mean_within(
        &r,
        [45.0, 18.0, 17.0],
        c,
        5.0,
        "two-timescale, Stackelberg point",
    );
}

/// Staggered play needs a staggered game on the CPU engine: typed errors.
#[test]
fn staggered_rule_needs_levels() {
    let s = Schedule::constant(0.01);
    let err = Study::new(
        stackel_testkit::games::Duopoly::default(),
        Dynamics::staggered(vec![s, s]),
    )
    .steps(1)
    .run::<f64>()
    .unwrap_err();
    assert!(
        matches!(err, StudyError::Hierarchy(HierarchyError::NotGenerated(_))),
        "{err}"
    );
    // Levels on one timescale: a warning per pair of players not separated.
    let fast = Schedule::inverse_power(1.0).offset(1.0).exponent(0.6);
    let slow = Schedule::inverse_power(1.0).offset(1.0).exponent(1.0);
    let chain = stackel_testkit::games::ChainOligopoly::default();
    let study = Study::new(chain, Dynamics::staggered(vec![slow, fast, fast]));
    let w = study.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(matches!(
        w[0],
        stackel::dynamics::Warning::LevelsNotSeparated {
            upper: 1,
            lower: 2,
            ..
        }
    ));
}

stackel_game! {
    /// A mixed tree: y and u follow x simultaneously; z and w (a vector)
    /// follow y, playing simultaneously among themselves.
    pub game Tree {
        leader x: [2];
        follower y;
        follower z after y;
        follower w: [2] after y;
        follower u;
        cost x = x[0]^2 + x[1]^2 + x[0] * y * z + w[1] * u;
        cost y = y^2 + y * (z + w[0]) * x[1] + 0.3 * sin(u * y);
        cost z = z^2 + 0.5 * z * y^2 + 0.2 * z^3 * x[0] + w[0] * z;
        cost w = w[0]^2 + w[1]^2 + 0.4 * w[0] * w[1] * z + 0.2 * exp(w[1] * y);
        cost u = u^2 + u * x[0];
    }
}

/// Mixed trees: the adjoint formula's Jacobian rows (levels 1 and 2, with a
/// non-symmetric D G) equal the tangent Jacobian, the tangent Jacobian equals
/// central differences of the field, and Dr_{>0} solves D G_{>0} Dr = -D_0 G.
#[test]
fn mixed_tree_jacobians_agree() {
    let g = Tree;
    let h = Hierarchy::of(&g).unwrap();
    assert_eq!(h.players_at(1), [1, 4]);
    assert_eq!(h.players_at(2), [2, 3]);
    let n = 7;
    let x: Vec<f64> = (0..n)
        .map(|k| 0.2 + 0.13 * k as f64 - 0.04 * (k * k) as f64)
        .collect();
    let t = h.total_fields(&g, &x).unwrap();
    let jac = h.jacobian(&g, &x).unwrap();
    let below = h.below(0);
    for (r, &c) in below.iter().enumerate() {
        for j in 0..n {
            let (a, b) = (t.lower_jacobian[r * n + j], jac[c * n + j]);
            assert!((a - b).abs() < 1e-12, "row {c} col {j}: {a} vs {b}");
        }
    }
    let e = 1e-6;
    let (mut fp, mut fm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[j] += e;
        xm[j] -= e;
        h.staggered_field(&g, &xp, &mut fp).unwrap();
        h.staggered_field(&g, &xm, &mut fm).unwrap();
        for i in 0..n {
            let fd = (fp[i] - fm[i]) / (2.0 * e);
            assert!(
                (jac[i * n + j] - fd).abs() < 1e-6,
                "DF[{i},{j}] {} vs {fd}",
                jac[i * n + j]
            );
        }
    }
    // D G_{>0} Dr_{>0} = -D_0 G_{>0} (rows below(0), columns upper(0) = x).
    let upper = h.upper(0);
    let dr = &t.implicit_maps[0];
    for &c in &below {
        for (s, &u) in upper.iter().enumerate() {
            let lhs: f64 = below
                .iter()
                .enumerate()
                .map(|(q, &cq)| jac[c * n + cq] * dr[q * upper.len() + s])
                .sum();
            assert!((lhs + jac[c * n + u]).abs() < 1e-10, "Dr row {c} col {u}");
        }
    }
}

stackel_game! {
    /// The quadratic chain with a concave middle player: its reduced cost
    /// F2 = -1.5 y^2 + x y / 2 - 4 y has S_y = -3.
    pub game Quad3Concave {
        leader x;
        follower y;
        follower z after y;
        cost x = (x - 2.0)^2 + x * z + y^2;
        cost y = -2.0 * y^2 + y * z - 4.0 * y;
        cost z = z^2 - z * (x + y);
    }
}

/// Classification: the chain oligopoly's point is a stable staggered
/// Stackelberg point; a critical point of a chain whose middle player's
/// reduced cost is concave fails that player's second-order condition.
#[test]
fn classification_of_staggered_points() {
    let g = stackel_testkit::games::ChainOligopoly::default();
    let h = Hierarchy::of(&g).unwrap();
    let report = h.classify(&g, &[43.5, 27.75, 12.875]).unwrap();
    assert!(
        report.is_staggered_stackelberg(1e-9) && report.is_stable(),
        "{report:?}"
    );
    // S_1 = 1.25 - 1/2 - 1/4, S_2 = 1.5 - 1/2, S_3 = 2.
    let s: Vec<f64> = report.second_order.iter().map(|(_, e)| e[0]).collect();
    for (a, b) in s.iter().zip([0.5, 1.0, 2.0]) {
        assert!((a - b).abs() < 1e-12, "{s:?}");
    }

    let g = Quad3Concave;
    let h = Hierarchy::of(&g).unwrap();
    let found = find_staggered(&h, &g, &[0.0, 0.0, 0.0], 1e-12, 50).unwrap();
    assert!(found.residual <= 1e-12, "{found:?}");
    let report = h.classify(&g, &found.x).unwrap();
    assert!(!report.second_order_holds(), "{report:?}");
    assert_eq!(report.second_order[1].0, 1);
    assert!(
        (report.second_order[1].1[0] + 3.0).abs() < 1e-10,
        "{report:?}"
    );
    assert!(!report.is_staggered_stackelberg(1e-9));
}

stackel_game! {
    /// A four-level chain: it compiles, and the runtime says how deep it goes.
    pub game Chain4 {
        leader a;
        follower b;
        follower c after b;
        follower d after c;
        cost a = a^2 + a * b;
        cost b = b^2 + b * c;
        cost c = c^2 + c * d;
        cost d = d^2 + d * a;
    }
}

#[test]
fn deeper_chains_are_a_typed_error() {
    let levels: Vec<u32> = Chain4.info().players().map(|p| p.level).collect();
    assert_eq!(levels, [0, 1, 2, 3]);
    assert_eq!(
        Hierarchy::of(&Chain4).unwrap_err(),
        HierarchyError::TooDeep { levels: 4 }
    );
}
