//! Hand-derived, closed-form implementations of games from the paper. They
//! are independent references for testing the compiler's generated code and
//! the baselines its benchmarks compare against; they are not used by the
//! dynamics themselves.

use stackel_runtime::game::{
    BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo, StackelbergParts,
};
use stackel_runtime::real::Real;

/// Cournot duopoly (paper 4.1): f_i = -(a - q1 - q2 - c_i) q_i, firm 1 leads.
///
/// Nash (a - 2 c1 + c2, a - 2 c2 + c1) / 3; Stackelberg q1 = (a - 2 c1 + c2) / 2,
/// q2 = (a - c2 - q1) / 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duopoly {
    /// Demand intercept: price = a - q1 - q2.
    pub a: f64,
    /// Leader's unit cost.
    pub c1: f64,
    /// Follower's unit cost.
    pub c2: f64,
}

impl Default for Duopoly {
    fn default() -> Self {
        Duopoly {
            a: 100.0,
            c1: 5.0,
            c2: 2.0,
        }
    }
}

impl Duopoly {
    /// The Nash equilibrium (q1, q2).
    pub fn nash(&self) -> [f64; 2] {
        [
            (self.a - 2.0 * self.c1 + self.c2) / 3.0,
            (self.a - 2.0 * self.c2 + self.c1) / 3.0,
        ]
    }
    /// The Stackelberg equilibrium (q1, q2).
    pub fn stackelberg(&self) -> [f64; 2] {
        let q1 = (self.a - 2.0 * self.c1 + self.c2) / 2.0;
        [q1, (self.a - self.c2 - q1) / 2.0]
    }
}

static DUOPOLY_INFO: GameInfo = GameInfo {
    name: "Duopoly",
    leader: PlayerInfo {
        name: "q1",
        shape: &[],
        offset: 0,
        dim: 1,
        angle: false,
    },
    followers: &[PlayerInfo {
        name: "q2",
        shape: &[],
        offset: 1,
        dim: 1,
        angle: false,
    }],
    params: &[
        ParamInfo {
            name: "a",
            shape: &[],
            offset: 0,
            len: 1,
        },
        ParamInfo {
            name: "c1",
            shape: &[],
            offset: 1,
            len: 1,
        },
        ParamInfo {
            name: "c2",
            shape: &[],
            offset: 2,
            len: 1,
        },
    ],
    zero_sum: false,
};

impl Game for Duopoly {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 3;

    fn info(&self) -> &'static GameInfo {
        &DUOPOLY_INFO
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&[self.a, self.c1, self.c2]);
    }
    fn set_params(&mut self, p: &[f64]) {
        (self.a, self.c1, self.c2) = (p[0], p[1], p[2]);
    }
    #[inline]
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        -(T::of(self.a) - x[0] - x[1] - T::of(self.c1)) * x[0]
    }
    #[inline]
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        -(T::of(self.a) - x[0] - x[1] - T::of(self.c2)) * x[1]
    }
    #[inline]
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0) * x[0] + x[1] - T::of(self.a - self.c1);
    }
    #[inline]
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0];
    }
    #[inline]
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0] + T::of(2.0) * x[1] - T::of(self.a - self.c2);
    }
    #[inline]
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.d1f1(x, &mut out[..1]);
        self.d2f2(x, &mut out[1..]);
    }
    #[inline]
    fn d11f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0);
    }
    #[inline]
    fn d12f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(1.0);
    }
    #[inline]
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0);
    }
    #[inline]
    fn d21f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(1.0);
    }
    #[inline]
    fn d11phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(-1.0), T::of(1.0), T::of(0.0)]);
    }
    #[inline]
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    #[inline]
    fn d2p_f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(-1.0), T::of(0.0), T::of(1.0)]);
    }
    #[inline]
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    #[inline]
    fn d2p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![
            BlockFormula {
                block: "D1f1",
                shape: vec![1],
                entries: vec!["D1f1[0] = 2*q1 + q2 - (a - c1)".into()],
            },
            BlockFormula {
                block: "D2f2",
                shape: vec![1],
                entries: vec!["D2f2[0] = q1 + 2*q2 - (a - c2)".into()],
            },
        ]
    }
}

/// Location game on a torus (paper 4.2): players pick angles th1 (leader) and
/// th2 (follower) with f_i = -alpha_i cos(th_i - phi_i) + cos(th_i - th_-i).
///
/// Params flatten as (alpha[0], alpha[1], phi[0], phi[1]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Torus {
    /// Weights alpha_i of the players' own terms -alpha_i cos(th_i - phi_i).
    pub alpha: [f64; 2],
    /// Preferred angles phi_i.
    pub phi: [f64; 2],
}

impl Default for Torus {
    /// The paper's parameters: alpha = (1.0, 1.3), phi = (pi/8, pi/8).
    fn default() -> Self {
        Torus {
            alpha: [1.0, 1.3],
            phi: [std::f64::consts::PI / 8.0; 2],
        }
    }
}

const fn scalar_player(name: &'static str, offset: usize, angle: bool) -> PlayerInfo {
    PlayerInfo {
        name,
        shape: &[],
        offset,
        dim: 1,
        angle,
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

static TORUS_INFO: GameInfo = GameInfo {
    name: "Torus",
    leader: scalar_player("th1", 0, true),
    followers: &[scalar_player("th2", 1, true)],
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
};

impl Torus {
    /// (sin, cos) of th1 - phi1, th2 - phi2 and th2 - th1.
    #[inline(always)]
    fn trig<T: Real>(&self, x: &[T]) -> [T; 6] {
        let u1 = x[0] - T::of(self.phi[0]);
        let u2 = x[1] - T::of(self.phi[1]);
        let d = x[1] - x[0];
        [u1.sin(), u1.cos(), u2.sin(), u2.cos(), d.sin(), d.cos()]
    }
}

impl Game for Torus {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 4;

    fn info(&self) -> &'static GameInfo {
        &TORUS_INFO
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&[self.alpha[0], self.alpha[1], self.phi[0], self.phi[1]]);
    }
    fn set_params(&mut self, p: &[f64]) {
        self.alpha = [p[0], p[1]];
        self.phi = [p[2], p[3]];
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        -T::of(self.alpha[0]) * (x[0] - T::of(self.phi[0])).cos() + (x[0] - x[1]).cos()
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        -T::of(self.alpha[1]) * (x[1] - T::of(self.phi[1])).cos() + (x[1] - x[0]).cos()
    }
    /// alpha1 sin(th1 - phi1) + sin(th2 - th1).
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [s1, _, _, _, sd, _] = self.trig(x);
        out[0] = T::of(self.alpha[0]) * s1 + sd;
    }
    /// -sin(th2 - th1).
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -(x[1] - x[0]).sin();
    }
    /// alpha2 sin(th2 - phi2) - sin(th2 - th1).
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, _, s2, _, sd, _] = self.trig(x);
        out[0] = T::of(self.alpha[1]) * s2 - sd;
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [s1, _, s2, _, sd, _] = self.trig(x);
        out[0] = T::of(self.alpha[0]) * s1 + sd;
        out[1] = T::of(self.alpha[1]) * s2 - sd;
    }
    /// alpha1 cos(th1 - phi1) - cos(th2 - th1).
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, c1, _, _, _, cd] = self.trig(x);
        out[0] = T::of(self.alpha[0]) * c1 - cd;
    }
    /// cos(th2 - th1).
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = (x[1] - x[0]).cos();
    }
    /// -cos(th2 - th1).
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -(x[1] - x[0]).cos();
    }
    /// alpha2 cos(th2 - phi2) - cos(th2 - th1).
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, _, _, c2, _, cd] = self.trig(x);
        out[0] = T::of(self.alpha[1]) * c2 - cd;
    }
    /// cos(th2 - th1).
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = (x[1] - x[0]).cos();
    }
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        let [s1, _, s2, c2, sd, cd] = self.trig(x);
        out.d1f1[0] = T::of(self.alpha[0]) * s1 + sd;
        out.d2f1[0] = -sd;
        out.d2f2[0] = T::of(self.alpha[1]) * s2 - sd;
        out.d22f2[0] = T::of(self.alpha[1]) * c2 - cd;
        out.d21f2[0] = cd;
    }
    /// phi = l (alpha2 sin(th2 - phi2) - sin(th2 - th1)); D11 phi = l sin(th2 - th1).
    fn d11phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = l[0] * (x[1] - x[0]).sin();
    }
    /// -l sin(th2 - th1).
    fn d12phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * (x[1] - x[0]).sin();
    }
    /// -l sin(th2 - th1).
    fn d21phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * (x[1] - x[0]).sin();
    }
    /// l (sin(th2 - th1) - alpha2 sin(th2 - phi2)).
    fn d22phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let [_, _, s2, _, sd, _] = self.trig(x);
        out[0] = l[0] * (sd - T::of(self.alpha[1]) * s2);
    }
    /// (sin(th1 - phi1), 0, -alpha1 cos(th1 - phi1), 0).
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [s1, c1, _, _, _, _] = self.trig(x);
        out.copy_from_slice(&[s1, T::zero(), -T::of(self.alpha[0]) * c1, T::zero()]);
    }
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    /// (0, sin(th2 - phi2), 0, -alpha2 cos(th2 - phi2)).
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, _, s2, c2, _, _] = self.trig(x);
        out.copy_from_slice(&[T::zero(), s2, T::zero(), -T::of(self.alpha[1]) * c2]);
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    /// D2 phi = l (alpha2 cos(th2 - phi2) - cos(th2 - th1)):
    /// (0, l cos(th2 - phi2), 0, l alpha2 sin(th2 - phi2)).
    fn d2p_phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let [_, _, s2, c2, _, _] = self.trig(x);
        out.copy_from_slice(&[
            T::zero(),
            l[0] * c2,
            T::zero(),
            l[0] * T::of(self.alpha[1]) * s2,
        ]);
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![
            BlockFormula {
                block: "D1f1",
                shape: vec![1],
                entries: vec!["D1f1[0] = alpha[0]*sin(th1 - phi[0]) + sin(th2 - th1)".into()],
            },
            BlockFormula {
                block: "D2f2",
                shape: vec![1],
                entries: vec!["D2f2[0] = alpha[1]*sin(th2 - phi[1]) - sin(th2 - th1)".into()],
            },
        ]
    }
}

/// Zero-sum example 1 (paper 2.2.1, fig. 1): f1 = f, f2 = -f with
/// f(x1, x2) = -exp(-0.01 (x1^2 + x2^2)) ((a x1^2 + x2)^2 + (b x2^2 + x1)^2).
///
/// Written f = -E Q with E = exp(-0.01 (x1^2 + x2^2)), u = a x1^2 + x2,
/// v = b x2^2 + x1, Q = u^2 + v^2; every block below is E times a polynomial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZeroSumExample1 {
    /// Coefficient a in u = a x1^2 + x2.
    pub a: f64,
    /// Coefficient b in v = b x2^2 + x1.
    pub b: f64,
}

impl Default for ZeroSumExample1 {
    /// The paper's parameters a = 0.15, b = 0.25.
    fn default() -> Self {
        ZeroSumExample1 { a: 0.15, b: 0.25 }
    }
}

static ZERO_SUM_EXAMPLE1_INFO: GameInfo = GameInfo {
    name: "ZeroSumExample1",
    leader: scalar_player("x1", 0, false),
    followers: &[scalar_player("x2", 1, false)],
    params: &[scalar_param("a", 0), scalar_param("b", 1)],
    zero_sum: true,
};

/// Partial derivatives of f = -E Q up to third order (and the mixed
/// param derivatives the `d*p_*` blocks need), at one point.
struct Example1Terms<T> {
    fx: T,
    fy: T,
    fxx: T,
    fxy: T,
    fyy: T,
    fxxy: T,
    fxyy: T,
    fyyy: T,
    fxa: T,
    fxb: T,
    fya: T,
    fyb: T,
    fxya: T,
    fxyb: T,
    fyya: T,
    fyyb: T,
}

impl ZeroSumExample1 {
    /// With g = 0.02 x Q - Q_x and h = 0.02 y Q - Q_y: f_x = E g, f_y = E h,
    /// and every further derivative follows from E_x = -0.02 x E,
    /// E_y = -0.02 y E.
    #[inline(always)]
    fn terms<T: Real>(&self, p: &[T]) -> Example1Terms<T> {
        let c = |v: f64| T::of(v);
        let (a, b) = (c(self.a), c(self.b));
        let (x, y) = (p[0], p[1]);
        let k = c(0.02);
        let e = (c(-0.01) * (x * x + y * y)).exp();
        let u = a * x * x + y;
        let v = b * y * y + x;
        let q = u * u + v * v;
        let qx = c(4.0) * a * x * u + c(2.0) * v;
        let qy = c(2.0) * u + c(4.0) * b * y * v;
        let qxx = c(4.0) * a * u + c(8.0) * a * a * x * x + c(2.0);
        let qxy = c(4.0) * (a * x + b * y);
        let qyy = c(2.0) + c(4.0) * b * v + c(8.0) * b * b * y * y;
        let qyyy = c(24.0) * b * b * y;
        let g = k * x * q - qx;
        let gx = k * q + k * x * qx - qxx;
        let h = k * y * q - qy;
        let hx = k * y * qx - qxy;
        let hy = k * q + k * y * qy - qyy;
        let hxx = k * y * qxx - c(4.0) * a;
        let hxy = k * qx + k * y * qxy - c(4.0) * b;
        let hyy = c(2.0) * k * qy + k * y * qyy - qyyy;
        // f_xy = E k1, f_yy = E k2.
        let k1 = -k * x * h + hx;
        let k2 = -k * y * h + hy;
        let k1x = -k * h - k * x * hx + hxx;
        let k1y = -k * x * hy + hxy;
        let k2y = -k * h - k * y * hy + hyy;
        // Param derivatives: u_a = x^2, v_b = y^2.
        let qa = c(2.0) * u * x * x;
        let qb = c(2.0) * v * y * y;
        let qxa = c(4.0) * x * u + c(4.0) * a * x * x * x;
        let qxb = c(2.0) * y * y;
        let qya = c(2.0) * x * x;
        let qyb = c(4.0) * y * v + c(4.0) * b * y * y * y;
        let qyyb = c(4.0) * v + c(20.0) * b * y * y;
        let ha = k * y * qa - qya;
        let hb = k * y * qb - qyb;
        let hxa = k * y * qxa - c(4.0) * x;
        let hxb = k * y * qxb - c(4.0) * y;
        let hya = k * qa + k * y * qya;
        let hyb = k * qb + k * y * qyb - qyyb;
        Example1Terms {
            fx: e * g,
            fy: e * h,
            fxx: e * (-k * x * g + gx),
            fxy: e * k1,
            fyy: e * k2,
            fxxy: e * (-k * x * k1 + k1x),
            fxyy: e * (-k * y * k1 + k1y),
            fyyy: e * (-k * y * k2 + k2y),
            fxa: e * (k * x * qa - qxa),
            fxb: e * (k * x * qb - qxb),
            fya: e * ha,
            fyb: e * hb,
            fxya: e * (-k * x * ha + hxa),
            fxyb: e * (-k * x * hb + hxb),
            fyya: e * (-k * y * ha + hya),
            fyyb: e * (-k * y * hb + hyb),
        }
    }

    fn cost<T: Real>(&self, p: &[T]) -> T {
        let (x, y) = (p[0], p[1]);
        let u = T::of(self.a) * x * x + y;
        let v = T::of(self.b) * y * y + x;
        -(T::of(-0.01) * (x * x + y * y)).exp() * (u * u + v * v)
    }
}

impl Game for ZeroSumExample1 {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 2;

    fn info(&self) -> &'static GameInfo {
        &ZERO_SUM_EXAMPLE1_INFO
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&[self.a, self.b]);
    }
    fn set_params(&mut self, p: &[f64]) {
        (self.a, self.b) = (p[0], p[1]);
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.cost(x)
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        -self.cost(x)
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = self.terms(x).fx;
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = self.terms(x).fy;
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -self.terms(x).fy;
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let t = self.terms(x);
        out[0] = t.fx;
        out[1] = -t.fy;
    }
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = self.terms(x).fxx;
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = self.terms(x).fxy;
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = self.terms(x).fyy;
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -self.terms(x).fyy;
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -self.terms(x).fxy;
    }
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        let t = self.terms(x);
        out.d1f1[0] = t.fx;
        out.d2f1[0] = t.fy;
        out.d2f2[0] = -t.fy;
        out.d22f2[0] = -t.fyy;
        out.d21f2[0] = -t.fxy;
    }
    /// phi = -l f_y, so D11 phi = -l f_xxy.
    fn d11phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * self.terms(x).fxxy;
    }
    fn d12phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * self.terms(x).fxyy;
    }
    fn d21phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * self.terms(x).fxyy;
    }
    fn d22phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * self.terms(x).fyyy;
    }
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let t = self.terms(x);
        out.copy_from_slice(&[t.fxa, t.fxb]);
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let t = self.terms(x);
        out.copy_from_slice(&[t.fya, t.fyb]);
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let t = self.terms(x);
        out.copy_from_slice(&[-t.fya, -t.fyb]);
    }
    fn d1p_phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let t = self.terms(x);
        out.copy_from_slice(&[-l[0] * t.fxya, -l[0] * t.fxyb]);
    }
    fn d2p_phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let t = self.terms(x);
        out.copy_from_slice(&[-l[0] * t.fyya, -l[0] * t.fyyb]);
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![BlockFormula {
            block: "f1",
            shape: vec![],
            entries: vec![
                "f1 = -exp(-0.01*(x1^2 + x2^2))*((a*x1^2 + x2)^2 + (b*x2^2 + x1)^2)".into(),
            ],
        }]
    }
}

/// Covariance estimation with a quadratic discriminator (paper 4.3,
/// example 1) at M = 3: leader V, follower W (3 x 3, row-major),
/// f = sum_ij W_ij (Sigma_ij - (V V^T)_ij), f1 = f, f2 = -f + eta/2 |W|^2.
///
/// D_V f1 = -(W + W^T) V, D_W f1 = Sigma - V V^T, D_W f2 = V V^T - Sigma + eta W,
/// H = eta I, B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad, D_V D_V phi = (L + L^T) (x) I.
/// Params flatten as (Sigma row-major, eta).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Covariance3 {
    /// Target covariance Sigma (3 x 3, symmetric).
    pub sigma: [[f64; 3]; 3],
    /// Follower's regularization eta in f2 = -f1 + eta/2 |W|^2.
    pub eta: f64,
}

impl Default for Covariance3 {
    /// Sigma = I, eta = m / 5 with m = 3.
    fn default() -> Self {
        Covariance3 {
            sigma: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            eta: 0.6,
        }
    }
}

const fn matrix_player(name: &'static str, offset: usize) -> PlayerInfo {
    PlayerInfo {
        name,
        shape: &[3, 3],
        offset,
        dim: 9,
        angle: false,
    }
}

static COVARIANCE3_INFO: GameInfo = GameInfo {
    name: "Covariance3",
    leader: matrix_player("v", 0),
    followers: &[matrix_player("w", 9)],
    params: &[
        ParamInfo {
            name: "sigma",
            shape: &[3, 3],
            offset: 0,
            len: 9,
        },
        scalar_param("eta", 9),
    ],
    zero_sum: false,
};

impl Covariance3 {
    /// (V V^T)_ab.
    #[inline(always)]
    fn vvt<T: Real>(v: &[T], a: usize, b: usize) -> T {
        v[a * 3] * v[b * 3] + v[a * 3 + 1] * v[b * 3 + 1] + v[a * 3 + 2] * v[b * 3 + 2]
    }
    /// f = sum_ij W_ij (Sigma_ij - (V V^T)_ij).
    fn f<T: Real>(&self, x: &[T]) -> T {
        let (v, w) = (&x[..9], &x[9..18]);
        let mut s = T::zero();
        for a in 0..3 {
            for b in 0..3 {
                s += w[a * 3 + b] * (T::of(self.sigma[a][b]) - Self::vvt(v, a, b));
            }
        }
        s
    }
    /// D_V f1 = -(W + W^T) V.
    #[inline(always)]
    fn leader_gradient<T: Real>(x: &[T], out: &mut [T]) {
        let (v, w) = (&x[..9], &x[9..18]);
        for a in 0..3 {
            for b in 0..3 {
                let mut s = T::zero();
                for j in 0..3 {
                    s += (w[a * 3 + j] + w[j * 3 + a]) * v[j * 3 + b];
                }
                out[a * 3 + b] = -s;
            }
        }
    }
    /// D_W f2 = V V^T - Sigma + eta W (and D_W f1 = -(D_W f2 - eta W)).
    #[inline(always)]
    fn follower_fields<T: Real>(&self, x: &[T], d2f1: Option<&mut [T]>, d2f2: &mut [T]) {
        let (v, w) = (&x[..9], &x[9..18]);
        let eta = T::of(self.eta);
        let mut g1 = [T::zero(); 9];
        for a in 0..3 {
            for b in 0..3 {
                let r = T::of(self.sigma[a][b]) - Self::vvt(v, a, b);
                g1[a * 3 + b] = r;
                d2f2[a * 3 + b] = eta * w[a * 3 + b] - r;
            }
        }
        if let Some(out) = d2f1 {
            out[..9].copy_from_slice(&g1);
        }
    }
    /// B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad.
    #[inline(always)]
    fn b_block<T: Real>(x: &[T], out: &mut [T]) {
        let v = &x[..9];
        out[..81].fill(T::zero());
        for a in 0..3 {
            for b in 0..3 {
                for d in 0..3 {
                    out[(a * 3 + b) * 9 + a * 3 + d] += v[b * 3 + d];
                    out[(a * 3 + b) * 9 + b * 3 + d] += v[a * 3 + d];
                }
            }
        }
    }
}

impl Game for Covariance3 {
    const D1: usize = 9;
    const D2: usize = 9;
    const NP: usize = 10;

    fn info(&self) -> &'static GameInfo {
        &COVARIANCE3_INFO
    }
    fn params(&self, out: &mut [f64]) {
        for a in 0..3 {
            out[a * 3..a * 3 + 3].copy_from_slice(&self.sigma[a]);
        }
        out[9] = self.eta;
    }
    fn set_params(&mut self, p: &[f64]) {
        for a in 0..3 {
            self.sigma[a].copy_from_slice(&p[a * 3..a * 3 + 3]);
        }
        self.eta = p[9];
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.f(x)
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        let w = &x[9..18];
        let mut sq = T::zero();
        for e in w {
            sq += *e * *e;
        }
        -self.f(x) + T::of(self.eta / 2.0) * sq
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::leader_gradient(x, out);
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..9];
        for a in 0..3 {
            for b in 0..3 {
                out[a * 3 + b] = T::of(self.sigma[a][b]) - Self::vvt(v, a, b);
            }
        }
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.follower_fields(x, None, out);
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (a, b) = out.split_at_mut(9);
        Self::leader_gradient(x, a);
        self.follower_fields(x, None, b);
    }
    /// D11 f1[(a,b),(c,d)] = -(W + W^T)_ac d_bd.
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let w = &x[9..18];
        out[..81].fill(T::zero());
        for a in 0..3 {
            for c in 0..3 {
                let s = -(w[a * 3 + c] + w[c * 3 + a]);
                for b in 0..3 {
                    out[(a * 3 + b) * 9 + c * 3 + b] = s;
                }
            }
        }
    }
    /// D12 f1[(a,b),(c,d)] = -(d_ac V_db + d_ad V_cb).
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..9];
        out[..81].fill(T::zero());
        for a in 0..3 {
            for b in 0..3 {
                for d in 0..3 {
                    out[(a * 3 + b) * 9 + a * 3 + d] -= v[d * 3 + b];
                    out[(a * 3 + b) * 9 + d * 3 + a] -= v[d * 3 + b];
                }
            }
        }
    }
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
        for k in 0..9 {
            out[k * 10] = T::of(self.eta);
        }
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::b_block(x, out);
    }
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        Self::leader_gradient(x, out.d1f1);
        self.follower_fields(x, Some(out.d2f1), out.d2f2);
        self.d22f2(x, out.d22f2);
        Self::b_block(x, out.d21f2);
    }
    /// D11 phi[(c,d),(e,f)] = (L + L^T)_ce d_df.
    fn d11phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
        for c in 0..3 {
            for e in 0..3 {
                let s = l[c * 3 + e] + l[e * 3 + c];
                for d in 0..3 {
                    out[(c * 3 + d) * 9 + e * 3 + d] = s;
                }
            }
        }
    }
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
    }
    /// d(Sigma - V V^T)_ab / dSigma_cd = d_(ab),(cd).
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
        for k in 0..9 {
            out[k * 10 + k] = T::one();
        }
    }
    /// -d_(ab),(cd) for Sigma, W_ab for eta.
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
        for k in 0..9 {
            out[k * 10 + k] = -T::one();
            out[k * 10 + 9] = x[9 + k];
        }
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
    }
    /// D2 phi = eta L: the eta column is L.
    fn d2p_phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
        for k in 0..9 {
            out[k * 10 + 9] = l[k];
        }
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![BlockFormula {
            block: "f1",
            shape: vec![],
            entries: vec!["f1 = sum(i, j) w[i,j]*(sigma[i,j] - sum(k) v[i,k]*v[j,k])".into()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackel_runtime::blocks::Workspace;

    #[test]
    fn duopoly_blocks_vanish_at_closed_forms() {
        let g = Duopoly::default();
        let mut ws = Workspace::<f64>::new::<Duopoly>();
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
    fn check_against_finite_differences<G: Game + Clone>(g: &G, x: &[f64], l: &[f64]) {
        let (d1, d2, np) = (G::D1, G::D2, G::NP);
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
    fn points(n: usize, count: usize) -> Vec<Vec<f64>> {
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
        let mut ws = Workspace::<f64>::new::<Torus>();
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
