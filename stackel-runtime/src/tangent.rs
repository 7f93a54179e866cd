//! Forward-mode tangents: `Tangent<T>` carries a value and its directional
//! derivative, `(v, dv)`, through every [`Real`] operation. Generated
//! tape-form games run their reverse-mode gradient code on `Tangent<T>` to
//! get Hessian-vector products (forward over reverse: the tangent of the
//! gradient in direction `dir` is `(D^2 f) dir`), and on
//! `Tangent<Tangent<T>>` for the third-order products of
//! phi = lambda^T omega_F.
//!
//! Derivative rules: (a b)' = a' b + a b', (a / b)' = (a' b - a b') / b^2,
//! exp' = exp, ln' = 1 / u, sqrt' = 1 / (2 sqrt), sin' = cos, cos' = -sin,
//! tan' = 1 + tan^2, tanh' = 1 - tanh^2, (u^n)' = n u^(n-1),
//! (u^e)' = u^e (e' ln u + e u' / u), abs' = sign; `sigmoid`, `softplus`,
//! `relu`, `min` and `max` use [`Real`]'s defaults, which are written with
//! these operations (so relu'(0) = 0 and ties pick the first argument).

use crate::real::Real;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A value and its tangent (directional derivative).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tangent<T> {
    /// The value.
    pub v: T,
    /// The tangent.
    pub d: T,
}

impl<T: Real> Tangent<T> {
    /// `(v, d)`.
    #[inline(always)]
    pub fn new(v: T, d: T) -> Self {
        Tangent { v, d }
    }
    /// `u` with tangent `f'(v) u'`.
    #[inline(always)]
    fn chain(self, v: T, dv: T) -> Self {
        Tangent { v, d: dv * self.d }
    }
}

impl<T: Real> Add for Tangent<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Tangent::new(self.v + b.v, self.d + b.d)
    }
}
impl<T: Real> Sub for Tangent<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Tangent::new(self.v - b.v, self.d - b.d)
    }
}
impl<T: Real> Mul for Tangent<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Tangent::new(self.v * b.v, self.d * b.v + self.v * b.d)
    }
}
impl<T: Real> Div for Tangent<T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        let q = self.v / b.v;
        Tangent::new(q, (self.d - q * b.d) / b.v)
    }
}
impl<T: Real> Neg for Tangent<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Tangent::new(-self.v, -self.d)
    }
}
impl<T: Real> AddAssign for Tangent<T> {
    #[inline(always)]
    fn add_assign(&mut self, b: Self) {
        *self = *self + b;
    }
}
impl<T: Real> SubAssign for Tangent<T> {
    #[inline(always)]
    fn sub_assign(&mut self, b: Self) {
        *self = *self - b;
    }
}
impl<T: Real> MulAssign for Tangent<T> {
    #[inline(always)]
    fn mul_assign(&mut self, b: Self) {
        *self = *self * b;
    }
}
impl<T: Real> DivAssign for Tangent<T> {
    #[inline(always)]
    fn div_assign(&mut self, b: Self) {
        *self = *self / b;
    }
}

impl<T: Real> Real for Tangent<T> {
    #[inline(always)]
    fn of(x: f64) -> Self {
        Tangent::new(T::of(x), T::zero())
    }
    #[inline(always)]
    fn re(self) -> f64 {
        self.v.re()
    }
    #[inline(always)]
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.chain(self.v.ln(), T::one() / self.v)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        let s = self.v.sqrt();
        self.chain(s, T::one() / (s + s))
    }
    #[inline(always)]
    fn sin(self) -> Self {
        self.chain(self.v.sin(), self.v.cos())
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.chain(self.v.cos(), -self.v.sin())
    }
    #[inline(always)]
    fn tan(self) -> Self {
        let t = self.v.tan();
        self.chain(t, T::one() + t * t)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        let t = self.v.tanh();
        self.chain(t, T::one() - t * t)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Tangent::of(1.0);
        }
        self.chain(self.v.powi(n), T::of(n as f64) * self.v.powi(n - 1))
    }
    #[inline(always)]
    fn powf(self, e: Self) -> Self {
        let p = self.v.powf(e.v);
        // d(u^e) = u^e (e' ln u) + e u^(e-1) u'; the first term only when e varies.
        let mut d = e.v * self.v.powf(e.v - T::one()) * self.d;
        if e.d.re() != 0.0 {
            d += p * self.v.ln() * e.d;
        }
        Tangent::new(p, d)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.chain(self.v.abs(), self.v.sign())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: f64, d: f64) -> Tangent<f64> {
        Tangent::new(v, d)
    }

    /// A rule's name, its tangent form and the plain function.
    type Rule = (
        &'static str,
        fn(Tangent<f64>) -> Tangent<f64>,
        fn(f64) -> f64,
    );

    /// Each rule against a central difference of the f64 function.
    #[test]
    fn tangents_match_central_differences() {
        let fs: Vec<Rule> = vec![
            ("exp", |u| u.exp(), f64::exp),
            ("ln", |u| u.ln(), f64::ln),
            ("sqrt", |u| u.sqrt(), f64::sqrt),
            ("sin", |u| u.sin(), f64::sin),
            ("cos", |u| u.cos(), f64::cos),
            ("tan", |u| u.tan(), f64::tan),
            ("tanh", |u| u.tanh(), f64::tanh),
            ("powi3", |u| u.powi(3), |u| u.powi(3)),
            ("powf", |u| u.powf(Tangent::of(2.5)), |u| u.powf(2.5)),
            ("abs", |u| u.abs(), f64::abs),
            ("sigmoid", |u| u.sigmoid(), |u| 1.0 / (1.0 + (-u).exp())),
            ("softplus", |u| u.softplus(), |u| (1.0 + u.exp()).ln()),
            ("recip", |u| Tangent::of(1.0) / u, |u| 1.0 / u),
            (
                "prod",
                |u| u * u * Tangent::of(3.0) - u,
                |u| 3.0 * u * u - u,
            ),
        ];
        for (name, f, g) in fs {
            for u in [0.3, 0.7, 1.3] {
                let h = 1e-6;
                let fd = (g(u + h) - g(u - h)) / (2.0 * h);
                let got = f(t(u, 1.0));
                assert!((got.v - g(u)).abs() < 1e-12, "{name} value at {u}");
                assert!(
                    (got.d - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{name}' at {u}: {} vs {fd}",
                    got.d
                );
            }
        }
    }

    /// Nested tangents give the mixed second derivative: d^2/(da db) of
    /// u^3 with u = x + a + b at x = 0.5 is 6 x.
    #[test]
    fn nested_tangents_give_second_derivatives() {
        let x = Tangent::new(t(0.5, 1.0), t(1.0, 0.0));
        let y = x.powi(3);
        assert!((y.d.d - 3.0).abs() < 1e-12);
        let z = x * x * x;
        assert!((z.d.d - 3.0).abs() < 1e-12);
        assert!((z.d.v - 0.75).abs() < 1e-12 && (z.v.d - 0.75).abs() < 1e-12);
    }
}
