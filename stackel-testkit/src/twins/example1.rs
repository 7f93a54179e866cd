//! The hand-written zero-sum example 1.

use stackel_runtime::game::{BlockFormula, Game, GameInfo, StackelbergParts};

use super::{scalar_param, scalar_player};
use stackel_runtime::real::Real;

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
    form: stackel_runtime::Form::Unrolled,
    data: &[],
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
    #[inline]
    fn d1(&self) -> usize {
        1
    }
    #[inline]
    fn d2(&self) -> usize {
        1
    }
    #[inline]
    fn np(&self) -> usize {
        2
    }

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
