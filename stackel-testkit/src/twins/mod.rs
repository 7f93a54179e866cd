//! Hand-derived, closed-form implementations of games from the paper. They
//! are independent references for testing the compiler's generated code and
//! the baselines its benchmarks compare against; they are not used by the
//! dynamics themselves.
//!
//! One file per game; each states its closed-form equilibria and derives its
//! blocks by hand in its doc comments.

mod covariance;
mod covariance_m;
mod duopoly;
mod example1;
mod torus;

pub use covariance::Covariance3;
pub use covariance_m::CovarianceM;
pub use duopoly::Duopoly;
pub use example1::ZeroSumExample1;
pub use torus::Torus;

use stackel_runtime::game::{ParamInfo, PlayerInfo};

const fn scalar_player(name: &'static str, offset: usize, angle: bool) -> PlayerInfo {
    PlayerInfo {
        name,
        shape: &[],
        offset,
        dim: 1,
        angle,
        level: if offset == 0 { 0 } else { 1 },
        parts: &[],
    }
}

const fn scalar_param(name: &'static str, offset: usize) -> ParamInfo {
    ParamInfo {
        name,
        shape: &[],
        offset,
        len: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackel_runtime::blocks::Workspace;
    use stackel_runtime::game::{Game, StackelbergParts};

    #[test]
    fn duopoly_blocks_vanish_at_closed_forms() {
        let g = Duopoly::default();
        let mut ws = Workspace::<f64>::new(&g);
        let s = g.stackelberg();
        assert!((s[0] - 46.0).abs() < 1e-12 && (s[1] - 26.0).abs() < 1e-12);
        let mut w = [0.0; 2];
        ws.omega_s(&g, &s, 0.0, &mut w).unwrap();
        assert!(w[0].abs() < 1e-12 && w[1].abs() < 1e-12, "{w:?}");
        let n = g.nash();
        g.omega(&n, &mut w);
        assert!(w[0].abs() < 1e-12 && w[1].abs() < 1e-12);
        // Stackelberg Hessian of the leader: d^2/dq1^2 f1(q1, r(q1)) with
        // r(q1) = (a - c2 - q1)/2 is 2 - 1 = 1.
        let mut hs = [0.0];
        ws.stackelberg_hessian(&g, &s, 0.0, &mut hs).unwrap();
        assert!((hs[0] - 1.0).abs() < 1e-12);
        let mut js = [0.0; 4];
        ws.stackelberg_jacobian(&g, &s, 0.0, &mut js).unwrap();
        // Df1 = 2 q1 + q2 - 95 - q1/2 => D1 = 1.5, D2 = 1
        assert_eq!(js, [1.5, 1.0, 1.0, 2.0]);
        let mut dr = [0.0];
        ws.implicit_map_jacobian(&g, &s, 0.0, &mut dr).unwrap();
        assert!((dr[0] + 0.5).abs() < 1e-15);
    }

    /// Central difference of `f` along coordinate `k` of `x`.
    fn central(f: &mut dyn FnMut(&[f64]) -> Vec<f64>, x: &[f64], k: usize, h: f64) -> Vec<f64> {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[k] += h;
        xm[k] -= h;
        let (fp, fm) = (f(&xp), f(&xm));
        fp.iter()
            .zip(&fm)
            .map(|(p, m)| (p - m) / (2.0 * h))
            .collect()
    }

    /// Jacobian (rows = outputs, row-major) of `f` w.r.t. coordinates `cols`.
    fn fd_jacobian(
        f: &mut dyn FnMut(&[f64]) -> Vec<f64>,
        x: &[f64],
        cols: std::ops::Range<usize>,
    ) -> Vec<f64> {
        let columns: Vec<Vec<f64>> = cols.map(|k| central(f, x, k, 1e-5)).collect();
        let rows = columns.first().map_or(0, Vec::len);
        (0..rows)
            .flat_map(|r| columns.iter().map(move |c| c[r]))
            .collect()
    }

    fn assert_close(block: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{block}");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-6 * (1.0 + w.abs()),
                "{block}[{k}]: closed form {g} vs finite differences {w}"
            );
        }
    }

    /// Checks every derivative method of a one-follower game against central
    /// differences of the costs (first order) and of the first-order blocks
    /// (second order), and the fused methods against the single ones.
    pub(super) fn check_against_finite_differences<G: Game + Clone>(g: &G, x: &[f64], l: &[f64]) {
        let (d1, d2, np) = (g.d1(), g.d2(), g.np());
        let n = d1 + d2;
        let call = |m: fn(&G, &[f64], &mut [f64]), g: &G, x: &[f64], len: usize| {
            let mut o = vec![0.0; len];
            m(g, x, &mut o);
            o
        };
        let grad_f1 = fd_jacobian(&mut |y| vec![g.leader_cost(y)], x, 0..n);
        let grad_f2 = fd_jacobian(&mut |y| vec![g.follower_cost(0, y)], x, 0..n);
        assert_close("D1f1", &call(G::d1f1, g, x, d1), &grad_f1[..d1]);
        assert_close("D2f1", &call(G::d2f1, g, x, d2), &grad_f1[d1..]);
        assert_close("D2f2", &call(G::d2f2, g, x, d2), &grad_f2[d1..]);

        let d1f1 = |y: &[f64]| call(G::d1f1, g, y, d1);
        let d2f1 = |y: &[f64]| call(G::d2f1, g, y, d2);
        let d2f2 = |y: &[f64]| call(G::d2f2, g, y, d2);
        let fd11 = fd_jacobian(&mut |y| d1f1(y), x, 0..d1);
        let fd12 = fd_jacobian(&mut |y| d1f1(y), x, d1..n);
        let fd22f1 = fd_jacobian(&mut |y| d2f1(y), x, d1..n);
        let fd22f2 = fd_jacobian(&mut |y| d2f2(y), x, d1..n);
        let fd21f2 = fd_jacobian(&mut |y| d2f2(y), x, 0..d1);
        assert_close("D11f1", &call(G::d11f1, g, x, d1 * d1), &fd11);
        assert_close("D12f1", &call(G::d12f1, g, x, d1 * d2), &fd12);
        assert_close("D22f1", &call(G::d22f1, g, x, d2 * d2), &fd22f1);
        assert_close("D22f2", &call(G::d22f2, g, x, d2 * d2), &fd22f2);
        assert_close("D21f2", &call(G::d21f2, g, x, d2 * d1), &fd21f2);

        // Gradient of phi = l^T D2f2: (B^T l, H^T l), built from checked blocks.
        let phi_grad = |y: &[f64]| {
            let h = call(G::d22f2, g, y, d2 * d2);
            let b = call(G::d21f2, g, y, d2 * d1);
            let mut out = vec![0.0; n];
            for r in 0..d2 {
                for c in 0..d1 {
                    out[c] += b[r * d1 + c] * l[r];
                }
                for c in 0..d2 {
                    out[d1 + c] += h[r * d2 + c] * l[r];
                }
            }
            out
        };
        let phi1 = |y: &[f64]| phi_grad(y)[..d1].to_vec();
        let phi2 = |y: &[f64]| phi_grad(y)[d1..].to_vec();
        let with_l = |m: fn(&G, &[f64], &[f64], &mut [f64]), len: usize| {
            let mut o = vec![0.0; len];
            m(g, x, l, &mut o);
            o
        };
        let fd = |f: &dyn Fn(&[f64]) -> Vec<f64>, cols| fd_jacobian(&mut |y| f(y), x, cols);
        assert_close("D11phi", &with_l(G::d11phi, d1 * d1), &fd(&phi1, 0..d1));
        assert_close("D12phi", &with_l(G::d12phi, d1 * d2), &fd(&phi1, d1..n));
        assert_close("D21phi", &with_l(G::d21phi, d2 * d1), &fd(&phi2, 0..d1));
        assert_close("D22phi", &with_l(G::d22phi, d2 * d2), &fd(&phi2, d1..n));

        // Param derivatives: differentiate the blocks w.r.t. the flat params.
        let mut p0 = vec![0.0; np];
        g.params(&mut p0);
        let at_params = |p: &[f64], f: &dyn Fn(&G) -> Vec<f64>| {
            let mut gp = g.clone();
            gp.set_params(p);
            f(&gp)
        };
        let by_params =
            |f: &dyn Fn(&G) -> Vec<f64>| fd_jacobian(&mut |p| at_params(p, f), &p0, 0..np);
        let phi_grad_at = |gp: &G| {
            let mut h = vec![0.0; d2 * d2];
            let mut b = vec![0.0; d2 * d1];
            gp.d22f2(x, &mut h);
            gp.d21f2(x, &mut b);
            let mut out = vec![0.0; n];
            for r in 0..d2 {
                for c in 0..d1 {
                    out[c] += b[r * d1 + c] * l[r];
                }
                for c in 0..d2 {
                    out[d1 + c] += h[r * d2 + c] * l[r];
                }
            }
            out
        };
        assert_close(
            "D1p_f1",
            &call(G::d1p_f1, g, x, d1 * np),
            &by_params(&|gp| call(G::d1f1, gp, x, d1)),
        );
        assert_close(
            "D2p_f1",
            &call(G::d2p_f1, g, x, d2 * np),
            &by_params(&|gp| call(G::d2f1, gp, x, d2)),
        );
        assert_close(
            "D2p_f2",
            &call(G::d2p_f2, g, x, d2 * np),
            &by_params(&|gp| call(G::d2f2, gp, x, d2)),
        );
        assert_close(
            "D1p_phi",
            &with_l(G::d1p_phi, d1 * np),
            &by_params(&|gp| phi_grad_at(gp)[..d1].to_vec()),
        );
        assert_close(
            "D2p_phi",
            &with_l(G::d2p_phi, d2 * np),
            &by_params(&|gp| phi_grad_at(gp)[d1..].to_vec()),
        );

        // Fused methods agree with the single ones.
        let mut om = vec![0.0; n];
        g.omega(x, &mut om);
        assert_eq!(om[..d1], d1f1(x)[..]);
        assert_eq!(om[d1..], d2f2(x)[..]);
        let (mut a, mut b, mut c) = (vec![0.0; d1], vec![0.0; d2], vec![0.0; d2]);
        let (mut h, mut bb) = (vec![0.0; d2 * d2], vec![0.0; d2 * d1]);
        g.stackelberg_parts(
            x,
            StackelbergParts {
                d1f1: &mut a,
                d2f1: &mut b,
                d2f2: &mut c,
                d22f2: &mut h,
                d21f2: &mut bb,
            },
        );
        assert_eq!(a, d1f1(x));
        assert_eq!(b, d2f1(x));
        assert_eq!(c, d2f2(x));
        assert_eq!(h, call(G::d22f2, g, x, d2 * d2));
        assert_eq!(bb, call(G::d21f2, g, x, d2 * d1));
    }

    /// A deterministic spread of test points in [-2, 2]^n.
    pub(super) fn points(n: usize, count: usize) -> Vec<Vec<f64>> {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..count)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn duopoly_matches_finite_differences() {
        for p in points(3, 5) {
            check_against_finite_differences(&Duopoly::default(), &p[..2], &p[2..]);
        }
    }

    #[test]
    fn torus_matches_finite_differences() {
        let g = Torus {
            alpha: [0.7, 1.9],
            phi: [0.3, -1.1],
        };
        for p in points(3, 10) {
            check_against_finite_differences(&Torus::default(), &p[..2], &p[2..]);
            check_against_finite_differences(&g, &p[..2], &p[2..]);
        }
    }

    #[test]
    fn zero_sum_example1_matches_finite_differences() {
        let g = ZeroSumExample1 { a: -0.4, b: 0.9 };
        for p in points(3, 10) {
            check_against_finite_differences(&ZeroSumExample1::default(), &p[..2], &p[2..]);
            check_against_finite_differences(&g, &p[..2], &p[2..]);
        }
    }

    #[test]
    fn zero_sum_example1_costs_sum_to_zero() {
        let g = ZeroSumExample1::default();
        for p in points(2, 5) {
            assert_eq!(g.leader_cost(&p) + g.follower_cost(0, &p), 0.0);
        }
    }

    /// Torus Stackelberg equilibrium check: at a point where D2f2 = 0 and
    /// Df1 = 0 found by Newton on omega_S, the follower plays its best response.
    #[test]
    fn torus_omega_s_root_is_follower_best_response() {
        let g = Torus::default();
        let mut ws = Workspace::<f64>::new(&g);
        let mut x = [0.3, 0.2];
        for _ in 0..50 {
            let mut w = [0.0; 2];
            ws.omega_s(&g, &x, 0.0, &mut w).unwrap();
            let mut js = [0.0; 4];
            ws.stackelberg_jacobian(&g, &x, 0.0, &mut js).unwrap();
            let det = js[0] * js[3] - js[1] * js[2];
            x[0] -= (js[3] * w[0] - js[1] * w[1]) / det;
            x[1] -= (-js[2] * w[0] + js[0] * w[1]) / det;
        }
        let mut w = [0.0; 2];
        ws.omega_s(&g, &x, 0.0, &mut w).unwrap();
        assert!(w[0].abs() < 1e-10 && w[1].abs() < 1e-10, "{w:?} at {x:?}");
        // The follower's cost is minimised along its own coordinate there.
        let f = |t: f64| g.follower_cost(0, &[x[0], t]);
        for d in [-0.1, -0.01, 0.01, 0.1] {
            assert!(f(x[1] + d) > f(x[1]), "not a follower minimum at {x:?}");
        }
    }

    #[test]
    fn covariance3_matches_finite_differences() {
        let mut g = Covariance3::default();
        for (k, p) in points(27, 3).into_iter().enumerate() {
            g.sigma = [
                [p[18], p[19], p[20]],
                [p[21], p[22], p[23]],
                [p[24], p[25], p[26]],
            ];
            g.eta = 0.3 + 0.2 * k as f64;
            check_against_finite_differences(&g, &p[..18], &p[18..27]);
        }
    }
}
