//! Scalar types the generated derivative code runs on.
//!
//! [`Real`] is the minimal interface the emitted code needs (arithmetic and
//! the DSL's functions); it is implemented for `f32`, `f64` and, with the
//! `dual` feature, for num-dual's dual numbers so the same cost code can be
//! differentiated in forward mode as an independent check. [`Float`] adds
//! ordering and everything the runtime's numerics need; it is implemented for
//! `f32` and `f64` only.

use std::fmt::Debug;

pub mod elementary;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A number the generated cost and derivative code can be evaluated in.
///
/// Non-smooth functions use the almost-everywhere derivative conventions of
/// the compiler: `abs'(u) = signum(u)` (0 at 0), `relu'(u) = heaviside(u)`
/// (0 at 0), `min(a, b)` picks `a` when `a <= b`, `max(a, b)` picks `a` when
/// `a >= b`.
pub trait Real:
    Copy
    + Debug
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// Converts an `f64` constant or param.
    fn of(x: f64) -> Self;
    /// The real part as `f64` (the value itself for plain floats).
    fn re(self) -> f64;
    /// This slice as `f64`s, when `Self` is `f64` (a game compiled at run
    /// time has concrete f32/f64 entry points and dispatches through these).
    fn as_f64s(xs: &[Self]) -> Option<&[f64]> {
        let _ = xs;
        None
    }
    /// Mutable form of [`Real::as_f64s`].
    fn as_f64s_mut(xs: &mut [Self]) -> Option<&mut [f64]> {
        let _ = xs;
        None
    }
    /// This slice as `f32`s, when `Self` is `f32`.
    fn as_f32s(xs: &[Self]) -> Option<&[f32]> {
        let _ = xs;
        None
    }
    /// Mutable form of [`Real::as_f32s`].
    fn as_f32s_mut(xs: &mut [Self]) -> Option<&mut [f32]> {
        let _ = xs;
        None
    }
    /// 0.
    fn zero() -> Self {
        Self::of(0.0)
    }
    /// 1.
    fn one() -> Self {
        Self::of(1.0)
    }
    /// e^self.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Sine (radians).
    fn sin(self) -> Self;
    /// Cosine (radians).
    fn cos(self) -> Self;
    /// Tangent (radians).
    fn tan(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `self ^ n` for an integer exponent.
    fn powi(self, n: i32) -> Self;
    /// `self ^ e` for a real exponent.
    fn powf(self, e: Self) -> Self;
    /// |self|.
    fn abs(self) -> Self;
    /// -1, 0 or 1 (0 at 0, unlike `f64::signum`): the a.e. derivative of `abs`.
    fn sign(self) -> Self {
        let r = self.re();
        Self::of(if r > 0.0 {
            1.0
        } else if r < 0.0 {
            -1.0
        } else {
            0.0
        })
    }
    /// 1 where the real part is > 0, else 0: the a.e. derivative of `relu`.
    fn heaviside(self) -> Self {
        Self::of(if self.re() > 0.0 { 1.0 } else { 0.0 })
    }
    /// `a` if `a <= b` else `b`, compared on real parts.
    fn min(self, b: Self) -> Self {
        if self.re() <= b.re() {
            self
        } else {
            b
        }
    }
    /// `a` if `a >= b` else `b`, compared on real parts.
    fn max(self, b: Self) -> Self {
        if self.re() >= b.re() {
            self
        } else {
            b
        }
    }
    /// 1 / (1 + exp(-u)), evaluated without overflow.
    fn sigmoid(self) -> Self {
        if self.re() >= 0.0 {
            Self::one() / (Self::one() + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::one() + e)
        }
    }
    /// ln(1 + exp(u)), evaluated without overflow.
    fn softplus(self) -> Self {
        if self.re() > 0.0 {
            self + (Self::one() + (-self).exp()).ln()
        } else {
            (Self::one() + self.exp()).ln()
        }
    }
    /// max(u, 0).
    fn relu(self) -> Self {
        if self.re() > 0.0 {
            self
        } else {
            Self::zero()
        }
    }
}

macro_rules! impl_real_float {
    ($t:ty, $view:ident, $view_mut:ident, $tanh:expr) => {
        impl Real for $t {
            #[inline(always)]
            fn $view(xs: &[Self]) -> Option<&[$t]> {
                Some(xs)
            }
            #[inline(always)]
            fn $view_mut(xs: &mut [Self]) -> Option<&mut [$t]> {
                Some(xs)
            }
            #[inline(always)]
            fn of(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn re(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
        }
    };
}
// tanh inlines in both (see `elementary`), so that a layer's loop vectorises.
impl_real_float!(f32, as_f32s, as_f32s_mut, elementary::tanh_f32);
impl_real_float!(f64, as_f64s, as_f64s_mut, elementary::tanh_f64);

/// The floating-point types the runtime computes in: `f32` and `f64`.
pub trait Float: Real + PartialOrd + Default + std::fmt::Display + std::fmt::LowerExp {
    /// Machine epsilon.
    const EPS: Self;
    /// Largest finite value.
    const MAX: Self;
    /// Neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Not a number.
    fn is_nan(self) -> bool;
    /// The largest integer <= self.
    fn floor(self) -> Self;
    /// `n` rounded to the nearest representable value.
    fn from_usize(n: usize) -> Self {
        Self::of(n as f64)
    }
}
macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            const EPS: Self = <$t>::EPSILON;
            const MAX: Self = <$t>::MAX;
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);

#[cfg(feature = "dual")]
mod dual {
    //! `Real` for num-dual's forward-mode types, so the costs a game emits
    //! can be differentiated by an independent method.
    use super::Real;
    use num_dual::{Dual64, DualNum, HyperDual64, HyperHyperDual64};

    macro_rules! impl_real_dual {
        ($t:ty) => {
            impl Real for $t {
                fn of(x: f64) -> Self {
                    <$t>::from(x)
                }
                fn re(self) -> f64 {
                    self.re
                }
                fn exp(self) -> Self {
                    DualNum::exp(&self)
                }
                fn ln(self) -> Self {
                    DualNum::ln(&self)
                }
                fn sqrt(self) -> Self {
                    DualNum::sqrt(&self)
                }
                fn sin(self) -> Self {
                    DualNum::sin(&self)
                }
                fn cos(self) -> Self {
                    DualNum::cos(&self)
                }
                fn tan(self) -> Self {
                    DualNum::tan(&self)
                }
                fn tanh(self) -> Self {
                    DualNum::tanh(&self)
                }
                fn powi(self, n: i32) -> Self {
                    DualNum::powi(&self, n)
                }
                fn powf(self, e: Self) -> Self {
                    // u^e = exp(e ln u); exact for dual parts in both arguments.
                    (e * DualNum::ln(&self)).exp()
                }
                fn abs(self) -> Self {
                    if self.re < 0.0 {
                        -self
                    } else {
                        self
                    }
                }
            }
        };
    }
    impl_real_dual!(Dual64);
    impl_real_dual!(HyperDual64);
    // Third order: the phi blocks of `autodiff::DualGame`.
    impl_real_dual!(HyperHyperDual64);
}
