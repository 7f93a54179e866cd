//! [`Counted`]: an `f64` that counts every operation taken on it, per
//! thread, so a game method's cost is measured by running it once.

use super::OpCounts;
use crate::real::{Float, Real};
use std::cell::Cell;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

thread_local! {
    static TALLY: Cell<OpCounts> = const { Cell::new(OpCounts::ZERO) };
}

fn tally(f: impl FnOnce(&mut OpCounts)) {
    TALLY.with(|t| {
        let mut c = t.get();
        f(&mut c);
        t.set(c);
    });
}

/// One more operation of the class `class` picks.
fn bump(class: fn(&mut OpCounts) -> &mut u64) {
    tally(|c| *class(c) += 1);
}

/// An `f64` that counts, per thread, every operation taken on it (see
/// [`count_ops`]); constants (`of`) and reads (`re`) are free.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Counted(pub f64);

/// The operations `f` takes on [`Counted`] numbers on this thread.
pub fn count_ops(f: impl FnOnce()) -> OpCounts {
    let before = TALLY.with(|t| t.get());
    f();
    TALLY.with(|t| t.get()) - before
}

macro_rules! counted_binop {
    ($tr:ident, $m:ident, $tra:ident, $ma:ident, $class:ident, $op:tt) => {
        impl $tr for Counted {
            type Output = Counted;
            fn $m(self, b: Counted) -> Counted {
                bump(|c| &mut c.$class);
                Counted(self.0 $op b.0)
            }
        }
        impl $tra for Counted {
            fn $ma(&mut self, b: Counted) {
                bump(|c| &mut c.$class);
                self.0 = self.0 $op b.0;
            }
        }
    };
}
counted_binop!(Add, add, AddAssign, add_assign, add, +);
counted_binop!(Sub, sub, SubAssign, sub_assign, add, -);
counted_binop!(Mul, mul, MulAssign, mul_assign, mul, *);
counted_binop!(Div, div, DivAssign, div_assign, div, /);

impl Neg for Counted {
    type Output = Counted;
    fn neg(self) -> Counted {
        tally(|c| c.other += 1);
        Counted(-self.0)
    }
}

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::LowerExp for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerExp::fmt(&self.0, f)
    }
}

/// One transcendental (or other-class) function of a counted number.
fn counted(class: fn(&mut OpCounts), v: f64) -> Counted {
    tally(class);
    Counted(v)
}

fn trans(c: &mut OpCounts) {
    c.transcendental += 1;
}

fn other(c: &mut OpCounts) {
    c.other += 1;
}

impl Real for Counted {
    fn of(x: f64) -> Self {
        Counted(x)
    }
    fn re(self) -> f64 {
        self.0
    }
    fn exp(self) -> Self {
        counted(trans, self.0.exp())
    }
    fn ln(self) -> Self {
        counted(trans, self.0.ln())
    }
    fn sqrt(self) -> Self {
        counted(trans, self.0.sqrt())
    }
    fn sin(self) -> Self {
        counted(trans, self.0.sin())
    }
    fn cos(self) -> Self {
        counted(trans, self.0.cos())
    }
    fn tan(self) -> Self {
        counted(trans, self.0.tan())
    }
    fn tanh(self) -> Self {
        counted(trans, self.0.tanh())
    }
    fn powi(self, n: i32) -> Self {
        counted(|c| c.powi += 1, self.0.powi(n))
    }
    fn powf(self, e: Self) -> Self {
        counted(trans, self.0.powf(e.0))
    }
    fn abs(self) -> Self {
        counted(other, self.0.abs())
    }
    fn sign(self) -> Self {
        counted(other, crate::real::Real::sign(self.0))
    }
    fn heaviside(self) -> Self {
        counted(other, crate::real::Real::heaviside(self.0))
    }
    fn min(self, b: Self) -> Self {
        counted(other, Real::min(self.0, b.0))
    }
    fn max(self, b: Self) -> Self {
        counted(other, Real::max(self.0, b.0))
    }
    fn sigmoid(self) -> Self {
        counted(trans, Real::sigmoid(self.0))
    }
    fn softplus(self) -> Self {
        counted(trans, Real::softplus(self.0))
    }
    fn relu(self) -> Self {
        counted(other, Real::relu(self.0))
    }
}

impl Float for Counted {
    const EPS: Self = Counted(f64::EPSILON);
    const MAX: Self = Counted(f64::MAX);
    fn is_finite(self) -> bool {
        self.0.is_finite()
    }
    fn is_nan(self) -> bool {
        self.0.is_nan()
    }
    fn floor(self) -> Self {
        Counted(self.0.floor())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_numbers_count_each_class() {
        let (a, b) = (Counted(1.5), Counted(-0.5));
        let c = count_ops(|| {
            let s = a + b - a * b / a;
            let t = Real::exp(s).powi(3) + Real::powf(a, b);
            let _ = -Real::abs(t).max(Counted::of(2.0));
        });
        assert_eq!(c, OpCounts::new(3, 1, 1, 2, 1, 3));
        assert_eq!(c.flops(), 8);
    }
}
