//! Shared checks for the `derivatives_*` integration tests: every block a
//! game emits against central finite differences, against num-dual's
//! forward-mode (hyper-)dual numbers run through the same game's costs, and
//! against the block algebra's J_S vs finite differences of omega_S.

#![allow(dead_code)]

use num_dual::{Dual64, HyperDual64};
use stackel::{Game, SecondOrderParts, StackelbergParts, Workspace};

/// Deterministic pseudo-random numbers (xorshift64) for test points.
pub struct Rng(pub u64);

impl Rng {
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// |got - want| <= tol (1 + |want|) entry by entry.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{k}]: generated {g} vs reference {w}"
        );
    }
}

type Method<G> = fn(&G, &[f64], &mut [f64]);
type PhiMethod<G> = fn(&G, &[f64], &[f64], &mut [f64]);

pub fn call<G: Game>(m: Method<G>, g: &G, x: &[f64], len: usize) -> Vec<f64> {
    let mut o = vec![f64::NAN; len];
    m(g, x, &mut o);
    o
}

pub fn call_phi<G: Game>(m: PhiMethod<G>, g: &G, x: &[f64], l: &[f64], len: usize) -> Vec<f64> {
    let mut o = vec![f64::NAN; len];
    m(g, x, l, &mut o);
    o
}

/// Jacobian (row-major, rows = outputs) of `f` w.r.t. `cols`, by central
/// differences with step `h`.
pub fn fd_jacobian(
    f: &dyn Fn(&[f64]) -> Vec<f64>,
    x: &[f64],
    cols: std::ops::Range<usize>,
    h: f64,
) -> Vec<f64> {
    let columns: Vec<Vec<f64>> = cols
        .map(|k| {
            let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
            xp[k] += h;
            xm[k] -= h;
            let (fp, fm) = (f(&xp), f(&xm));
            fp.iter()
                .zip(&fm)
                .map(|(p, m)| (p - m) / (2.0 * h))
                .collect()
        })
        .collect();
    let rows = columns.first().map_or(0, Vec::len);
    (0..rows)
        .flat_map(|r| columns.iter().map(move |c| c[r]))
        .collect()
}

/// (follower index, offset in x2, dim) for each follower.
fn followers<G: Game>(g: &G) -> Vec<(usize, usize, usize)> {
    g.info()
        .followers
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.offset - g.d1(), f.dim))
        .collect()
}

/// Gradient of a cost by forward mode (one dual pass per coordinate).
fn dual_gradient(cost: &dyn Fn(&[Dual64]) -> Dual64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|k| {
            let xd: Vec<Dual64> = x
                .iter()
                .enumerate()
                .map(|(j, v)| Dual64::new(*v, if j == k { 1.0 } else { 0.0 }))
                .collect();
            cost(&xd).eps
        })
        .collect()
}

/// Full Hessian (n x n row-major) of a scalar function by hyper-dual numbers.
fn dual_hessian(f: &dyn Fn(&[HyperDual64]) -> HyperDual64, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![0.0; n * n];
    for j in 0..n {
        for k in j..n {
            let xh: Vec<HyperDual64> = x
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    HyperDual64::new(
                        *v,
                        if i == j { 1.0 } else { 0.0 },
                        if i == k { 1.0 } else { 0.0 },
                        0.0,
                    )
                })
                .collect();
            let h = f(&xh).eps1eps2;
            out[j * n + k] = h;
            out[k * n + j] = h;
        }
    }
    out
}

/// Sub-block rows r0.., cols c0.. of an n x n matrix.
fn sub(
    m: &[f64],
    n: usize,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) -> Vec<f64> {
    rows.flat_map(|r| cols.clone().map(move |c| m[r * n + c]))
        .collect()
}

/// (B^T l, H^T l): the gradient of phi = l^T omega_F from the emitted B, H.
fn phi_gradient<G: Game>(g: &G, x: &[f64], l: &[f64]) -> Vec<f64> {
    let (d1, d2) = (g.d1(), g.d2());
    let h = call(G::d22f2, g, x, d2 * d2);
    let b = call(G::d21f2, g, x, d2 * d1);
    let mut out = vec![0.0; d1 + d2];
    for r in 0..d2 {
        for c in 0..d1 {
            out[c] += b[r * d1 + c] * l[r];
        }
        for c in 0..d2 {
            out[d1 + c] += h[r * d2 + c] * l[r];
        }
    }
    out
}

/// Every block of `g` at `x` (multiplier `l`) against num-dual (exact, to
/// `tol_exact`) and central finite differences (to `tol_fd`), the fused
/// methods against the single ones, and J_S against finite differences of
/// omega_S.
pub fn check_game<G: Game + Clone>(g: &G, x: &[f64], l: &[f64], tol_exact: f64, tol_fd: f64) {
    let (d1, d2, np) = (g.d1(), g.d2(), g.np());
    let n = d1 + d2;
    let h = 1e-5;

    // First order: num-dual and finite differences of the costs.
    let g1 = dual_gradient(&|y| g.leader_cost(y), x);
    let g1_fd = fd_jacobian(&|y| vec![g.leader_cost(y)], x, 0..n, h);
    let d1f1 = call(G::d1f1, g, x, d1);
    let d2f1 = call(G::d2f1, g, x, d2);
    assert_close("D1f1 vs dual", &d1f1, &g1[..d1], tol_exact);
    assert_close("D2f1 vs dual", &d2f1, &g1[d1..], tol_exact);
    assert_close("D1f1 vs fd", &d1f1, &g1_fd[..d1], tol_fd);
    assert_close("D2f1 vs fd", &d2f1, &g1_fd[d1..], tol_fd);
    let omega_f = call(G::d2f2, g, x, d2);
    let hess1 = dual_hessian(&|y| g.leader_cost(y), x);
    assert_close(
        "D11f1 vs dual",
        &call(G::d11f1, g, x, d1 * d1),
        &sub(&hess1, n, 0..d1, 0..d1),
        tol_exact,
    );
    assert_close(
        "D12f1 vs dual",
        &call(G::d12f1, g, x, d1 * d2),
        &sub(&hess1, n, 0..d1, d1..n),
        tol_exact,
    );
    assert_close(
        "D22f1 vs dual",
        &call(G::d22f1, g, x, d2 * d2),
        &sub(&hess1, n, d1..n, d1..n),
        tol_exact,
    );
    let hh = call(G::d22f2, g, x, d2 * d2);
    let bb = call(G::d21f2, g, x, d2 * d1);
    for (i, off, dim) in followers(g) {
        let gi = dual_gradient(&|y| g.follower_cost(i, y), x);
        let gi_fd = fd_jacobian(&|y| vec![g.follower_cost(i, y)], x, 0..n, h);
        let rows = d1 + off..d1 + off + dim;
        assert_close(
            "D2f2 vs dual",
            &omega_f[off..off + dim],
            &gi[rows.clone()],
            tol_exact,
        );
        assert_close(
            "D2f2 vs fd",
            &omega_f[off..off + dim],
            &gi_fd[rows.clone()],
            tol_fd,
        );
        let hess = dual_hessian(&|y| g.follower_cost(i, y), x);
        assert_close(
            "D22f2 vs dual",
            &hh[off * d2..(off + dim) * d2],
            &sub(&hess, n, rows.clone(), d1..n),
            tol_exact,
        );
        assert_close(
            "D21f2 vs dual",
            &bb[off * d1..(off + dim) * d1],
            &sub(&hess, n, rows, 0..d1),
            tol_exact,
        );
    }

    // Second order: finite differences of the (checked) first-order blocks.
    let fd = |f: &dyn Fn(&[f64]) -> Vec<f64>, cols| fd_jacobian(f, x, cols, h);
    let d1f1_at = |y: &[f64]| call(G::d1f1, g, y, d1);
    let d2f1_at = |y: &[f64]| call(G::d2f1, g, y, d2);
    let d2f2_at = |y: &[f64]| call(G::d2f2, g, y, d2);
    assert_close(
        "D11f1 vs fd",
        &call(G::d11f1, g, x, d1 * d1),
        &fd(&d1f1_at, 0..d1),
        tol_fd,
    );
    assert_close(
        "D12f1 vs fd",
        &call(G::d12f1, g, x, d1 * d2),
        &fd(&d1f1_at, d1..n),
        tol_fd,
    );
    assert_close(
        "D22f1 vs fd",
        &call(G::d22f1, g, x, d2 * d2),
        &fd(&d2f1_at, d1..n),
        tol_fd,
    );
    assert_close("D22f2 vs fd", &hh, &fd(&d2f2_at, d1..n), tol_fd);
    assert_close("D21f2 vs fd", &bb, &fd(&d2f2_at, 0..d1), tol_fd);

    // phi = l^T omega_F: hyper-duals through the emitted omega_F, and
    // finite differences of (B^T l, H^T l).
    let mut phi_hess = vec![0.0; n * n];
    for j in 0..n {
        for k in 0..n {
            let xh: Vec<HyperDual64> = x
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    HyperDual64::new(
                        *v,
                        f64::from(u8::from(i == j)),
                        f64::from(u8::from(i == k)),
                        0.0,
                    )
                })
                .collect();
            let mut w = vec![HyperDual64::from(0.0); d2];
            g.d2f2(&xh, &mut w);
            phi_hess[j * n + k] = w.iter().zip(l).map(|(w, l)| w.eps1eps2 * l).sum();
        }
    }
    let with_l = |m: PhiMethod<G>, len| call_phi(m, g, x, l, len);
    let (p11, p12) = (with_l(G::d11phi, d1 * d1), with_l(G::d12phi, d1 * d2));
    let (p21, p22) = (with_l(G::d21phi, d2 * d1), with_l(G::d22phi, d2 * d2));
    assert_close(
        "D11phi vs dual",
        &p11,
        &sub(&phi_hess, n, 0..d1, 0..d1),
        tol_exact,
    );
    assert_close(
        "D12phi vs dual",
        &p12,
        &sub(&phi_hess, n, 0..d1, d1..n),
        tol_exact,
    );
    assert_close(
        "D21phi vs dual",
        &p21,
        &sub(&phi_hess, n, d1..n, 0..d1),
        tol_exact,
    );
    assert_close(
        "D22phi vs dual",
        &p22,
        &sub(&phi_hess, n, d1..n, d1..n),
        tol_exact,
    );
    let phi1 = |y: &[f64]| phi_gradient(g, y, l)[..d1].to_vec();
    let phi2 = |y: &[f64]| phi_gradient(g, y, l)[d1..].to_vec();
    assert_close("D11phi vs fd", &p11, &fd(&phi1, 0..d1), tol_fd);
    assert_close("D12phi vs fd", &p12, &fd(&phi1, d1..n), tol_fd);
    assert_close("D21phi vs fd", &p21, &fd(&phi2, 0..d1), tol_fd);
    assert_close("D22phi vs fd", &p22, &fd(&phi2, d1..n), tol_fd);

    // Param derivatives: finite differences over the flat params.
    let mut p0 = vec![0.0; np];
    g.params(&mut p0);
    let by_params = |f: &dyn Fn(&G) -> Vec<f64>| {
        fd_jacobian(
            &|p| {
                let mut gp = g.clone();
                gp.set_params(p);
                f(&gp)
            },
            &p0,
            0..np,
            h,
        )
    };
    assert_close(
        "D1pf1 vs fd",
        &call(G::d1p_f1, g, x, d1 * np),
        &by_params(&|gp| call(G::d1f1, gp, x, d1)),
        tol_fd,
    );
    assert_close(
        "D2pf1 vs fd",
        &call(G::d2p_f1, g, x, d2 * np),
        &by_params(&|gp| call(G::d2f1, gp, x, d2)),
        tol_fd,
    );
    assert_close(
        "D2pf2 vs fd",
        &call(G::d2p_f2, g, x, d2 * np),
        &by_params(&|gp| call(G::d2f2, gp, x, d2)),
        tol_fd,
    );
    assert_close(
        "D1pphi vs fd",
        &with_l(G::d1p_phi, d1 * np),
        &by_params(&|gp| phi_gradient(gp, x, l)[..d1].to_vec()),
        tol_fd,
    );
    assert_close(
        "D2pphi vs fd",
        &with_l(G::d2p_phi, d2 * np),
        &by_params(&|gp| phi_gradient(gp, x, l)[d1..].to_vec()),
        tol_fd,
    );
    let mut p_back = vec![0.0; np];
    let mut gp = g.clone();
    gp.set_params(&p0);
    gp.params(&mut p_back);
    assert_eq!(p_back, p0, "params round trip");

    // Fused methods equal the single ones.
    let om = call(G::omega, g, x, n);
    assert_eq!(om[..d1], d1f1[..], "omega[..d1]");
    assert_eq!(om[d1..], omega_f[..], "omega[d1..]");
    let (mut a, mut b, mut c) = (vec![0.0; d1], vec![0.0; d2], vec![0.0; d2]);
    let (mut hp, mut bp) = (vec![0.0; d2 * d2], vec![0.0; d2 * d1]);
    g.stackelberg_parts(
        x,
        StackelbergParts {
            d1f1: &mut a,
            d2f1: &mut b,
            d2f2: &mut c,
            d22f2: &mut hp,
            d21f2: &mut bp,
        },
    );
    assert_eq!(
        (a, b, c, hp, bp),
        (d1f1, d2f1, omega_f, hh, bb),
        "stackelberg_parts"
    );

    // The fused second-order blocks equal the single ones.
    let lam: Vec<f64> = (0..d2).map(|k| 0.5 - 0.3 * k as f64).collect();
    let single = |f: fn(&G, &[f64], &mut [f64]), len: usize| call(f, g, x, len);
    let single_phi = |f: fn(&G, &[f64], &[f64], &mut [f64]), len: usize| {
        let mut o = vec![0.0; len];
        f(g, x, &lam, &mut o);
        o
    };
    let mut so: Vec<Vec<f64>> = [
        d1 * d1,
        d1 * d2,
        d2 * d2,
        d2 * d2,
        d2 * d1,
        d1 * d1,
        d1 * d2,
        d2 * d1,
        d2 * d2,
    ]
    .iter()
    .map(|&len| vec![0.0; len])
    .collect();
    {
        let [a, b, c, d, e, f, h, i, j] = &mut so[..] else {
            unreachable!()
        };
        g.second_order_parts(
            x,
            &lam,
            SecondOrderParts {
                d11f1: a,
                d12f1: b,
                d22f1: c,
                d22f2: d,
                d21f2: e,
                d11phi: f,
                d12phi: h,
                d21phi: i,
                d22phi: j,
            },
        );
    }
    let expected = vec![
        single(G::d11f1, d1 * d1),
        single(G::d12f1, d1 * d2),
        single(G::d22f1, d2 * d2),
        single(G::d22f2, d2 * d2),
        single(G::d21f2, d2 * d1),
        single_phi(G::d11phi, d1 * d1),
        single_phi(G::d12phi, d1 * d2),
        single_phi(G::d21phi, d2 * d1),
        single_phi(G::d22phi, d2 * d2),
    ];
    assert_eq!(so, expected, "second_order_parts");

    // f32 evaluation.
    let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
    let mut om32 = vec![0f32; n];
    g.omega(&x32, &mut om32);
    let scale = om.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (a, b) in om32.iter().zip(&om) {
        assert!(
            (f64::from(*a) - b).abs() <= 1e-3 * scale,
            "f32 omega {a} vs f64 {b}"
        );
    }
}

/// J_S from the block algebra against central differences of omega_S.
pub fn check_stackelberg_jacobian<G: Game>(g: &G, x: &[f64], tol: f64) {
    let n = g.n();
    let mut ws = Workspace::<f64>::new(g);
    let mut js = vec![0.0; n * n];
    ws.stackelberg_jacobian(g, x, 0.0, &mut js).unwrap();
    let omega_s = |y: &[f64]| {
        let mut ws = Workspace::<f64>::new(g);
        let mut w = vec![0.0; n];
        ws.omega_s(g, y, 0.0, &mut w).unwrap();
        w
    };
    let fd = fd_jacobian(&omega_s, x, 0..n, 1e-5);
    assert_close("J_S vs fd of omega_S", &js, &fd, tol);
}

/// Every method of `g` against the hand-written reference `r` (same math,
/// same param values) at `x`, `l`.
pub fn check_against_reference<G: Game, R: Game>(g: &G, r: &R, x: &[f64], l: &[f64], tol: f64) {
    assert_eq!((g.d1(), g.d2(), g.np()), (r.d1(), r.d2(), r.np()));
    let (d1, d2, np) = (g.d1(), g.d2(), g.np());
    let n = d1 + d2;
    let pairs: [(&str, Method<G>, Method<R>, usize); 11] = [
        ("D1f1", G::d1f1, R::d1f1, d1),
        ("D2f1", G::d2f1, R::d2f1, d2),
        ("D2f2", G::d2f2, R::d2f2, d2),
        ("D11f1", G::d11f1, R::d11f1, d1 * d1),
        ("D12f1", G::d12f1, R::d12f1, d1 * d2),
        ("D22f1", G::d22f1, R::d22f1, d2 * d2),
        ("D22f2", G::d22f2, R::d22f2, d2 * d2),
        ("D21f2", G::d21f2, R::d21f2, d2 * d1),
        ("D1pf1", G::d1p_f1, R::d1p_f1, d1 * np),
        ("D2pf1", G::d2p_f1, R::d2p_f1, d2 * np),
        ("D2pf2", G::d2p_f2, R::d2p_f2, d2 * np),
    ];
    for (name, m, mr, len) in pairs {
        assert_close(name, &call(m, g, x, len), &call(mr, r, x, len), tol);
    }
    let phis: [(&str, PhiMethod<G>, PhiMethod<R>, usize); 6] = [
        ("D11phi", G::d11phi, R::d11phi, d1 * d1),
        ("D12phi", G::d12phi, R::d12phi, d1 * d2),
        ("D21phi", G::d21phi, R::d21phi, d2 * d1),
        ("D22phi", G::d22phi, R::d22phi, d2 * d2),
        ("D1pphi", G::d1p_phi, R::d1p_phi, d1 * np),
        ("D2pphi", G::d2p_phi, R::d2p_phi, d2 * np),
    ];
    for (name, m, mr, len) in phis {
        assert_close(
            name,
            &call_phi(m, g, x, l, len),
            &call_phi(mr, r, x, l, len),
            tol,
        );
    }
    assert_close("f1", &[g.leader_cost(x)], &[r.leader_cost(x)], tol);
    assert_close(
        "f2",
        &[g.follower_cost(0, x)],
        &[r.follower_cost(0, x)],
        tol,
    );
    let mut om = vec![0.0; n];
    g.omega(x, &mut om);
    assert_close("omega", &om, &call(R::omega, r, x, n), tol);
}
