//! `autodiff::DualGame` against the hand-derived `stackel_testkit::twins::Duopoly` and
//! against central finite differences (costs, blocks, params, several
//! followers), and through `Workspace` (J, J_S vs differences of omega, omega_S).

mod eq_support;

use eq_support::{fd_jacobian, rel_err, sub, Rng};
use stackel_runtime::autodiff::{Costs, DualGame};
use stackel_runtime::{Game, GameInfo, ParamInfo, PlayerInfo, Real, Workspace};
use stackel_testkit::twins::Duopoly;

/// The duopoly of `reference` through `Costs`, params (a, c1, c2).
struct DuopolyCosts([f64; 3]);

impl Costs for DuopolyCosts {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 3;
    fn info(&self) -> &'static GameInfo {
        // The same players and params as the hand-written reference.
        Duopoly::default().info()
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.0)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.copy_from_slice(p)
    }
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T {
        -(p[0] - x[0] - x[1] - p[1]) * x[0]
    }
    fn follower<T: Real>(&self, _i: usize, x: &[T], p: &[T]) -> T {
        -(p[0] - x[0] - x[1] - p[2]) * x[1]
    }
}

/// Leader u in R^2, followers v in R and w in R^2 playing simultaneously,
/// params (k, m): non-quadratic, couplings everywhere.
struct ThreePlayers([f64; 2]);

impl Costs for ThreePlayers {
    const D1: usize = 2;
    const D2: usize = 3;
    const NP: usize = 2;
    fn info(&self) -> &'static GameInfo {
        &eq_support::LEADER_AND_TWO_FOLLOWERS
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.0)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.copy_from_slice(p)
    }
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T {
        let (u0, u1, v, w0, w1) = (x[0], x[1], x[2], x[3], x[4]);
        u0 * u0 + T::of(0.5) * u1 * u1 * p[0] + (u0 * v).sin() + u1 * w0 * w1
            - p[1] * (u0 + w1).exp() * T::of(0.1)
    }
    fn follower<T: Real>(&self, i: usize, x: &[T], p: &[T]) -> T {
        let (u0, u1, v, w0, w1) = (x[0], x[1], x[2], x[3], x[4]);
        if i == 0 {
            v * v * (T::one() + T::of(0.1) * u0 * u0) - v * u1 * w0 + p[0] * (v * w1).cos()
        } else {
            w0 * w0 + w1 * w1 * p[1] + (u0 * w0 + v * w1).tanh() + u1.powi(3) * w1
        }
    }
}

#[test]
fn duopoly_blocks_match_the_hand_derived_reference() {
    let r = Duopoly::default();
    let g = DualGame::new(DuopolyCosts([r.a, r.c1, r.c2])).unwrap();
    let mut rng = Rng::new(1);
    let lam = [0.7];
    for _ in 0..20 {
        let x = [rng.uniform(0.0, 60.0), rng.uniform(0.0, 60.0)];
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        macro_rules! same {
            ($m:ident, $len:expr) => {
                r.$m(&x, &mut a[..$len]);
                g.$m(&x, &mut b[..$len]);
                assert!(
                    rel_err(&b[..$len], &a[..$len]) < 1e-13,
                    "{}: {:?} vs {:?}",
                    stringify!($m),
                    b,
                    a
                );
            };
        }
        same!(d1f1, 1);
        same!(d2f1, 1);
        same!(d2f2, 1);
        same!(omega, 2);
        same!(d11f1, 1);
        same!(d12f1, 1);
        same!(d22f1, 1);
        same!(d22f2, 1);
        same!(d21f2, 1);
        same!(d1p_f1, 3);
        same!(d2p_f1, 3);
        same!(d2p_f2, 3);
        macro_rules! same_phi {
            ($m:ident, $len:expr) => {
                r.$m(&x, &lam, &mut a[..$len]);
                g.$m(&x, &lam, &mut b[..$len]);
                assert!(
                    rel_err(&b[..$len], &a[..$len]) < 1e-13,
                    "{}",
                    stringify!($m)
                );
            };
        }
        same_phi!(d11phi, 1);
        same_phi!(d12phi, 1);
        same_phi!(d21phi, 1);
        same_phi!(d22phi, 1);
        same_phi!(d1p_phi, 3);
        same_phi!(d2p_phi, 3);
        assert!((g.leader_cost(&x) - r.leader_cost(&x)).abs() < 1e-9);
        assert!((g.follower_cost(0, &x) - r.follower_cost(0, &x)).abs() < 1e-9);
    }
    let mut p = [0.0; 3];
    let mut g = g;
    g.set_params(&[90.0, 4.0, 3.0]);
    g.params(&mut p);
    assert_eq!(p, [90.0, 4.0, 3.0]);
}

/// z = (x, p) split for finite differences in the params.
fn with_params<C: Costs>(g: &mut DualGame<C>, z: &[f64]) {
    g.set_params(&z[C::D1 + C::D2..]);
}

#[test]
fn three_player_blocks_match_finite_differences() {
    let n = 5;
    let np = 2;
    let mut g = DualGame::new(ThreePlayers([1.3, 0.8])).unwrap();
    let mut rng = Rng::new(7);
    let h = 1e-5;
    for _ in 0..10 {
        let x: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let lam: Vec<f64> = (0..3).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let p0 = [1.3, 0.8];
        g.set_params(&p0);
        // gradients vs differences of the costs
        let grad = fd_jacobian(&x, 3, h, |y, out| {
            out[0] = g.leader_cost(y);
            out[1] = g.follower_cost(0, y);
            out[2] = g.follower_cost(1, y);
        });
        let mut d1 = [0.0; 2];
        g.d1f1(&x, &mut d1);
        let mut d2 = [0.0; 3];
        g.d2f1(&x, &mut d2);
        let mut om = [0.0; 3];
        g.d2f2(&x, &mut om);
        assert!(rel_err(&d1, &grad[0..2]) < 1e-8);
        assert!(rel_err(&d2, &grad[2..5]) < 1e-8);
        // omega_F = (d f_v / dv, d f_w / dw)
        assert!(rel_err(&om, &[grad[5 + 2], grad[10 + 3], grad[10 + 4]]) < 1e-8);

        // second-order blocks vs differences of the (exact) first-order ones
        let z: Vec<f64> = x.iter().chain(&p0).copied().collect();
        let mut gz = DualGame::new(ThreePlayers(p0)).unwrap();
        let fd = fd_jacobian(&z, 5, h, |zz, out| {
            with_params(&mut gz, zz);
            gz.d1f1(&zz[..n], &mut out[..2]);
            gz.d2f2(&zz[..n], &mut out[2..]);
        });
        let pick = |rows, cols| sub(&fd, n + np, rows, cols);
        let mut b = [0.0; 6];
        g.d11f1(&x, &mut b[..4]);
        assert!(rel_err(&b[..4], &pick(0..2, 0..2)) < 1e-8);
        g.d12f1(&x, &mut b[..6]);
        assert!(rel_err(&b[..6], &pick(0..2, 2..5)) < 1e-8);
        let mut hh = vec![0.0; 9];
        g.d22f2(&x, &mut hh);
        assert!(rel_err(&hh, &pick(2..5, 2..5)) < 1e-8);
        g.d21f2(&x, &mut b[..6]);
        assert!(rel_err(&b[..6], &pick(2..5, 0..2)) < 1e-8);
        g.d1p_f1(&x, &mut b[..4]);
        assert!(rel_err(&b[..4], &pick(0..2, 5..7)) < 1e-8);
        g.d2p_f2(&x, &mut b[..6]);
        assert!(rel_err(&b[..6], &pick(2..5, 5..7)) < 1e-8);
        let fd2 = fd_jacobian(&z, 3, h, |zz, out| {
            with_params(&mut gz, zz);
            gz.d2f1(&zz[..n], out);
        });
        g.d22f1(&x, &mut hh);
        assert!(rel_err(&hh, &sub(&fd2, 7, 0..3, 2..5)) < 1e-8);
        g.d2p_f1(&x, &mut b[..6]);
        assert!(rel_err(&b[..6], &sub(&fd2, 7, 0..3, 5..7)) < 1e-8);

        // phi = lambda^T omega_F: its gradient in z is lambda^T [B H D2p f2]
        // (exact second-order blocks); differences of that give phi's blocks.
        let fdphi = fd_jacobian(&z, n + np, h, |zz, out| {
            with_params(&mut gz, zz);
            let xx = &zz[..n];
            let (mut bb, mut hb, mut pb) = ([0.0; 6], [0.0; 9], [0.0; 6]);
            gz.d21f2(xx, &mut bb);
            gz.d22f2(xx, &mut hb);
            gz.d2p_f2(xx, &mut pb);
            for c in 0..n + np {
                out[c] = (0..3)
                    .map(|a| {
                        lam[a]
                            * if c < 2 {
                                bb[a * 2 + c]
                            } else if c < 5 {
                                hb[a * 3 + c - 2]
                            } else {
                                pb[a * 2 + c - 5]
                            }
                    })
                    .sum();
            }
        });
        let pickp = |rows, cols| sub(&fdphi, n + np, rows, cols);
        g.set_params(&p0);
        let mut out = [0.0; 9];
        g.d11phi(&x, &lam, &mut out[..4]);
        assert!(rel_err(&out[..4], &pickp(0..2, 0..2)) < 1e-7);
        g.d12phi(&x, &lam, &mut out[..6]);
        assert!(rel_err(&out[..6], &pickp(0..2, 2..5)) < 1e-7);
        g.d21phi(&x, &lam, &mut out[..6]);
        assert!(rel_err(&out[..6], &pickp(2..5, 0..2)) < 1e-7);
        g.d22phi(&x, &lam, &mut out[..9]);
        assert!(rel_err(&out[..9], &pickp(2..5, 2..5)) < 1e-7);
        g.d1p_phi(&x, &lam, &mut out[..4]);
        assert!(rel_err(&out[..4], &pickp(0..2, 5..7)) < 1e-7);
        g.d2p_phi(&x, &lam, &mut out[..6]);
        assert!(rel_err(&out[..6], &pickp(2..5, 5..7)) < 1e-7);
    }
}

#[test]
fn workspace_jacobians_of_a_dual_game_match_differences_of_its_fields() {
    let g = DualGame::new(ThreePlayers([1.3, 0.8])).unwrap();
    let mut ws = Workspace::<f64>::new(&g);
    let mut rng = Rng::new(11);
    for eta in [0.0, 0.3] {
        for _ in 0..5 {
            let x: Vec<f64> = (0..5).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut j = vec![0.0; 25];
            ws.jacobian(&g, &x, &mut j).unwrap();
            let fd = fd_jacobian(&x, 5, 1e-5, |y, out| g.omega(y, out));
            assert!(rel_err(&j, &fd) < 1e-8);
            let mut js = vec![0.0; 25];
            ws.stackelberg_jacobian(&g, &x, eta, &mut js).unwrap();
            let mut ws2 = Workspace::<f64>::new(&g);
            let fds = fd_jacobian(&x, 5, 1e-5, |y, out| ws2.omega_s(&g, y, eta, out).unwrap());
            assert!(rel_err(&js, &fds) < 1e-7, "eta {eta}: {js:?} vs {fds:?}");
        }
    }
}

#[test]
fn layouts_that_do_not_fit_the_dimensions_are_rejected() {
    struct Bad;
    static BAD: GameInfo = GameInfo {
        name: "bad",
        leader: PlayerInfo {
            name: "a",
            shape: &[],
            offset: 0,
            dim: 1,
            angle: false,
            level: 0,
            parts: &[],
        },
        followers: &[PlayerInfo {
            name: "b",
            shape: &[],
            offset: 1,
            dim: 1,
            angle: false,
            level: 1,
            parts: &[],
        }],
        params: &[],
        zero_sum: false,
        form: stackel_runtime::Form::Unrolled,
        data: &[],
    };
    impl Costs for Bad {
        const D1: usize = 1;
        const D2: usize = 2;
        const NP: usize = 0;
        fn info(&self) -> &'static GameInfo {
            &BAD
        }
        fn params(&self, _out: &mut [f64]) {}
        fn set_params(&mut self, _p: &[f64]) {}
        fn leader<T: Real>(&self, x: &[T], _p: &[T]) -> T {
            x[0]
        }
        fn follower<T: Real>(&self, _i: usize, x: &[T], _p: &[T]) -> T {
            x[1]
        }
    }
    match DualGame::new(Bad) {
        Err(e) => assert!(e.to_string().contains("D2 is 2"), "{e}"),
        Ok(_) => panic!("a follower of dim 1 cannot fill D2 = 2"),
    }
}

/// Every block of two games with the same layout agrees at `x` (relative
/// error below `tol`); returns the name of the first block that does not.
fn first_mismatch<A: Game, B: Game>(
    a: &A,
    b: &B,
    x: &[f64],
    lam: &[f64],
    tol: f64,
) -> Option<String> {
    assert_eq!((a.d1(), a.d2(), a.np()), (b.d1(), b.d2(), b.np()));
    let (d1, d2, np) = (a.d1(), a.d2(), a.np());
    let mut bad = None;
    let mut cmp = |name: &str, len: usize, fa: &dyn Fn(&mut [f64]), fb: &dyn Fn(&mut [f64])| {
        let (mut u, mut v) = (vec![0.0; len], vec![0.0; len]);
        fa(&mut u);
        fb(&mut v);
        if bad.is_none() && rel_err(&u, &v) > tol {
            bad = Some(format!("{name}: {u:?} vs {v:?}"));
        }
    };
    macro_rules! blk {
        ($m:ident, $len:expr) => {
            cmp(stringify!($m), $len, &|o| a.$m(x, o), &|o| b.$m(x, o))
        };
        ($m:ident, $len:expr, phi) => {
            cmp(stringify!($m), $len, &|o| a.$m(x, lam, o), &|o| {
                b.$m(x, lam, o)
            })
        };
    }
    blk!(d1f1, d1);
    blk!(d2f1, d2);
    blk!(d2f2, d2);
    blk!(omega, d1 + d2);
    blk!(d11f1, d1 * d1);
    blk!(d12f1, d1 * d2);
    blk!(d22f1, d2 * d2);
    blk!(d22f2, d2 * d2);
    blk!(d21f2, d2 * d1);
    blk!(d1p_f1, d1 * np);
    blk!(d2p_f1, d2 * np);
    blk!(d2p_f2, d2 * np);
    blk!(d11phi, d1 * d1, phi);
    blk!(d12phi, d1 * d2, phi);
    blk!(d21phi, d2 * d1, phi);
    blk!(d22phi, d2 * d2, phi);
    blk!(d1p_phi, d1 * np, phi);
    blk!(d2p_phi, d2 * np, phi);
    cmp(
        "costs",
        2,
        &|o| {
            o[0] = a.leader_cost(x);
            o[1] = a.follower_cost(0, x);
        },
        &|o| {
            o[0] = b.leader_cost(x);
            o[1] = b.follower_cost(0, x);
        },
    );
    bad
}

/// The torus location game through `Costs`, params (alpha1, alpha2, phi1, phi2).
#[derive(Clone)]
struct TorusCosts([f64; 4]);

static TORUS: GameInfo = GameInfo {
    name: "torus (dual)",
    leader: PlayerInfo {
        name: "th1",
        shape: &[],
        offset: 0,
        dim: 1,
        angle: true,
        level: 0,
        parts: &[],
    },
    followers: &[PlayerInfo {
        name: "th2",
        shape: &[],
        offset: 1,
        dim: 1,
        angle: true,
        level: 1,
        parts: &[],
    }],
    params: &[
        ParamInfo {
            name: "alpha",
            shape: &[2],
            offset: 0,
            len: 2,
        },
        ParamInfo {
            name: "phi",
            shape: &[2],
            offset: 2,
            len: 2,
        },
    ],
    zero_sum: false,
    form: stackel_runtime::Form::Unrolled,
    data: &[],
};

impl Costs for TorusCosts {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 4;
    fn info(&self) -> &'static GameInfo {
        &TORUS
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.0)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.copy_from_slice(p)
    }
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T {
        -p[0] * (x[0] - p[2]).cos() + (x[0] - x[1]).cos()
    }
    fn follower<T: Real>(&self, _i: usize, x: &[T], p: &[T]) -> T {
        -p[1] * (x[1] - p[3]).cos() + (x[1] - x[0]).cos()
    }
}

/// Zero-sum example 1 through `Costs`, params (a, b).
struct Example1Costs([f64; 2]);

static EXAMPLE1: GameInfo = GameInfo {
    name: "zero-sum example 1 (dual)",
    leader: PlayerInfo {
        name: "x1",
        shape: &[],
        offset: 0,
        dim: 1,
        angle: false,
        level: 0,
        parts: &[],
    },
    followers: &[PlayerInfo {
        name: "x2",
        shape: &[],
        offset: 1,
        dim: 1,
        angle: false,
        level: 1,
        parts: &[],
    }],
    params: &[
        ParamInfo {
            name: "a",
            shape: &[],
            offset: 0,
            len: 1,
        },
        ParamInfo {
            name: "b",
            shape: &[],
            offset: 1,
            len: 1,
        },
    ],
    zero_sum: true,
    form: stackel_runtime::Form::Unrolled,
    data: &[],
};

impl Costs for Example1Costs {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 2;
    fn info(&self) -> &'static GameInfo {
        &EXAMPLE1
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.0)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.copy_from_slice(p)
    }
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T {
        let (u, v) = (p[0] * x[0] * x[0] + x[1], p[1] * x[1] * x[1] + x[0]);
        -(T::of(-0.01) * (x[0] * x[0] + x[1] * x[1])).exp() * (u * u + v * v)
    }
    fn follower<T: Real>(&self, _i: usize, x: &[T], p: &[T]) -> T {
        -self.leader(x, p)
    }
}

#[test]
fn dual_games_agree_with_the_hand_derived_torus_and_example_1() {
    let torus = stackel_testkit::twins::Torus::default();
    let mut tp = [0.0; 4];
    torus.params(&mut tp);
    let dual_torus = DualGame::new(TorusCosts(tp)).unwrap();
    let ex1 = stackel_testkit::twins::ZeroSumExample1::default();
    let dual_ex1 = DualGame::new(Example1Costs([ex1.a, ex1.b])).unwrap();
    let mut rng = Rng::new(23);
    for _ in 0..50 {
        let x = [rng.uniform(-3.0, 3.0), rng.uniform(-3.0, 3.0)];
        let lam = [rng.uniform(-2.0, 2.0)];
        if let Some(m) = first_mismatch(&dual_torus, &torus, &x, &lam, 1e-12) {
            panic!("torus at {x:?}: {m}");
        }
        let y = [rng.uniform(-8.0, 8.0), rng.uniform(-8.0, 8.0)];
        if let Some(m) = first_mismatch(&dual_ex1, &ex1, &y, &lam, 1e-12) {
            panic!("example 1 at {y:?}: {m}");
        }
    }
}
