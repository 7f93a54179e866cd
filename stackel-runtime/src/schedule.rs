//! Step-size schedules gamma_k (k = 0, 1, ...) and per-coordinate optimisers
//! (plain steps or Adam, paper appendix D).

use serde::{Deserialize, Serialize};

/// A step-size schedule gamma_k, k = 0, 1, 2, ...
///
/// ```
/// use stackel_runtime::schedule::Schedule;
///
/// // the paper's duopoly timescales: leader 1/(k + 1), follower 1/(k^(2/3) + 1)
/// let leader = Schedule::inverse_shifted_power(1.0).exponent(1.0).shift(1.0);
/// let follower = Schedule::inverse_shifted_power(1.0).exponent(2.0 / 3.0).shift(1.0);
/// assert!((follower.gamma(8) - 1.0 / 5.0).abs() < 1e-15); // 8^(2/3) = 4
/// assert!(leader.is_little_o_of(&follower)); // gamma1 = o(gamma2)
/// // 2 / (k + 3)^(1/2)
/// let s = Schedule::inverse_power(2.0).offset(3.0).exponent(0.5);
/// assert!((s.gamma(6) - 2.0 / 3.0).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// gamma_k = gamma.
    Constant {
        /// The step size.
        gamma: f64,
    },
    /// gamma_k = a / (k + k0)^p (the paper's 1/k is `a = 1, k0 = 1, p = 1`).
    Power {
        /// Scale a.
        a: f64,
        /// Offset k0 > 0.
        k0: f64,
        /// Exponent p >= 0.
        p: f64,
    },
    /// gamma_k = gamma0 * nu^k, 0 < nu <= 1.
    Geometric {
        /// The first step size gamma0.
        gamma0: f64,
        /// The ratio nu, 0 < nu <= 1.
        nu: f64,
    },
    /// gamma_k = a / (k^p + b): the form the paper's code used for what its
    /// text writes as 1/k^p (`a = 1, b = 1`).
    ShiftedPower {
        /// Scale a.
        a: f64,
        /// Exponent p >= 0.
        p: f64,
        /// Shift b > 0.
        b: f64,
    },
}

/// A schedule whose parameters make no sense.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A step size or scale that is not finite and > 0.
    #[error("step size must be finite and > 0, got {0}")]
    NonPositive(f64),
    /// a/(k + k0)^p with k0 <= 0 or p < 0 or not finite.
    #[error("power schedule a/(k + k0)^p needs k0 > 0 and finite p >= 0, got k0 = {k0}, p = {p}")]
    BadPower {
        /// The offset given.
        k0: f64,
        /// The exponent given.
        p: f64,
    },
    /// a/(k^p + b) with b <= 0 or p < 0 or not finite.
    #[error(
        "shifted power schedule a/(k^p + b) needs b > 0 and finite p >= 0, got b = {b}, p = {p}"
    )]
    BadShiftedPower {
        /// The shift given.
        b: f64,
        /// The exponent given.
        p: f64,
    },
    /// gamma0 nu^k with nu outside (0, 1].
    #[error("geometric schedule gamma0 * nu^k needs 0 < nu <= 1, got nu = {0}")]
    BadRatio(f64),
}

impl Schedule {
    /// gamma_k = gamma.
    pub fn constant(gamma: f64) -> Self {
        Schedule::Constant { gamma }
    }
    /// gamma_k = a / (k + 1): the start of the [`Schedule::Power`] family
    /// a / (k + k0)^p; set k0 with [`Schedule::offset`] and p with
    /// [`Schedule::exponent`]: `Schedule::inverse_power(a).offset(k0).exponent(p)`.
    pub fn inverse_power(a: f64) -> Self {
        Schedule::Power { a, k0: 1.0, p: 1.0 }
    }
    /// gamma_k = a / (k + 1): the start of the [`Schedule::ShiftedPower`]
    /// family a / (k^p + b); set p with [`Schedule::exponent`] and b with
    /// [`Schedule::shift`]: `Schedule::inverse_shifted_power(a).exponent(p).shift(b)`.
    pub fn inverse_shifted_power(a: f64) -> Self {
        Schedule::ShiftedPower { a, p: 1.0, b: 1.0 }
    }
    /// gamma_k = gamma0 * nu^k.
    pub fn geometric(gamma0: f64, nu: f64) -> Self {
        Schedule::Geometric { gamma0, nu }
    }

    /// a / (k + k0)^p with this k0.
    ///
    /// # Panics
    /// On a schedule other than [`Schedule::Power`] (start from
    /// [`Schedule::inverse_power`]).
    pub fn offset(self, k0: f64) -> Self {
        match self {
            Schedule::Power { a, p, .. } => Schedule::Power { a, k0, p },
            other => panic!("offset(k0) applies to a / (k + k0)^p, not to {other:?}"),
        }
    }
    /// a / (k^p + b) with this b.
    ///
    /// # Panics
    /// On a schedule other than [`Schedule::ShiftedPower`] (start from
    /// [`Schedule::inverse_shifted_power`]).
    pub fn shift(self, b: f64) -> Self {
        match self {
            Schedule::ShiftedPower { a, p, .. } => Schedule::ShiftedPower { a, p, b },
            other => panic!("shift(b) applies to a / (k^p + b), not to {other:?}"),
        }
    }
    /// a / (k + k0)^p or a / (k^p + b) with this p.
    ///
    /// # Panics
    /// On a constant or geometric schedule.
    pub fn exponent(self, p: f64) -> Self {
        match self {
            Schedule::Power { a, k0, .. } => Schedule::Power { a, k0, p },
            Schedule::ShiftedPower { a, b, .. } => Schedule::ShiftedPower { a, p, b },
            other => panic!("exponent(p) applies to the power schedules, not to {other:?}"),
        }
    }

    /// gamma_k, computed in f64 (engines round it to their precision once per step).
    #[inline]
    pub fn gamma(&self, k: u64) -> f64 {
        match *self {
            Schedule::Constant { gamma } => gamma,
            Schedule::Power { a, k0, p } => a / (k as f64 + k0).powf(p),
            Schedule::Geometric { gamma0, nu } => gamma0 * nu.powf(k as f64),
            Schedule::ShiftedPower { a, p, b } => a / ((k as f64).powf(p) + b),
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let pos = |v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ScheduleError::NonPositive(v))
            }
        };
        match *self {
            Schedule::Constant { gamma } => pos(gamma),
            Schedule::Power { a, k0, p } => {
                pos(a)?;
                if !(k0.is_finite() && k0 > 0.0 && p.is_finite() && p >= 0.0) {
                    return Err(ScheduleError::BadPower { k0, p });
                }
                Ok(())
            }
            Schedule::Geometric { gamma0, nu } => {
                pos(gamma0)?;
                if !(nu.is_finite() && nu > 0.0 && nu <= 1.0) {
                    return Err(ScheduleError::BadRatio(nu));
                }
                Ok(())
            }
            Schedule::ShiftedPower { a, p, b } => {
                pos(a)?;
                if !(b.is_finite() && b > 0.0 && p.is_finite() && p >= 0.0) {
                    return Err(ScheduleError::BadShiftedPower { b, p });
                }
                Ok(())
            }
        }
    }

    /// Asymptotic decay as (geometric ratio, power): gamma_k ~ nu^k k^-p.
    fn decay(&self) -> (f64, f64) {
        match *self {
            Schedule::Constant { .. } => (1.0, 0.0),
            Schedule::Power { p, .. } => (1.0, p),
            Schedule::Geometric { nu, .. } => (nu, 0.0),
            Schedule::ShiftedPower { p, .. } => (1.0, p),
        }
    }

    /// Whether gamma_k = o(other_k) as k -> infinity (the two-timescale
    /// condition gamma1 = o(gamma2)).
    pub fn is_little_o_of(&self, other: &Schedule) -> bool {
        let (n1, p1) = self.decay();
        let (n2, p2) = other.decay();
        n1 < n2 || (n1 == n2 && p1 > p2)
    }
}

/// How a noisy gradient g becomes a step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// x <- x - gamma_k g.
    Plain,
    /// Adam (Kingma & Ba; the paper's appendix D), per coordinate:
    /// m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
    /// x <- x - gamma_k (m / (1 - b1^(k+1))) / (sqrt(v / (1 - b2^(k+1))) + eps).
    Adam {
        /// b1, the first-moment decay.
        beta1: f64,
        /// b2, the second-moment decay.
        beta2: f64,
        /// eps, added to the denominator.
        eps: f64,
    },
}

impl Optimizer {
    /// Adam with the usual (0.9, 0.999, 1e-8).
    pub fn adam() -> Self {
        Optimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Optimizer::Plain => Ok(()),
            Optimizer::Adam { beta1, beta2, eps } => {
                let unit = |b: f64| (0.0..1.0).contains(&b);
                if unit(beta1) && unit(beta2) && eps.is_finite() && eps > 0.0 {
                    Ok(())
                } else {
                    Err(format!(
                        "Adam needs 0 <= beta1, beta2 < 1 and eps > 0, got ({beta1}, {beta2}, {eps})"
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_their_formulas() {
        assert_eq!(Schedule::constant(0.1).gamma(7), 0.1);
        let s = Schedule::inverse_power(2.0).offset(3.0).exponent(0.5);
        assert!((s.gamma(6) - 2.0 / 3.0).abs() < 1e-15);
        let g = Schedule::geometric(0.5, 0.9);
        assert!((g.gamma(2) - 0.5 * 0.81).abs() < 1e-15);
    }

    #[test]
    fn timescale_separation() {
        let k = Schedule::inverse_power(1.0).offset(1.0).exponent(1.0);
        let k23 = Schedule::inverse_power(1.0).offset(1.0).exponent(2.0 / 3.0);
        assert!(k.is_little_o_of(&k23));
        assert!(!k23.is_little_o_of(&k));
        assert!(!k.is_little_o_of(&k));
        let c = Schedule::constant(0.1);
        assert!(!c.is_little_o_of(&k));
        assert!(Schedule::geometric(1.0, 0.99).is_little_o_of(&k));
        assert!(Schedule::geometric(0.015, 1.0 - 1e-5)
            .is_little_o_of(&Schedule::geometric(0.015, 1.0 - 1e-7)));
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(Schedule::constant(-1.0).validate().is_err());
        assert!(Schedule::inverse_power(1.0)
            .offset(0.0)
            .exponent(1.0)
            .validate()
            .is_err());
        assert!(Schedule::geometric(1.0, 1.5).validate().is_err());
        assert!(Schedule::geometric(1.0, 0.5).validate().is_ok());
        assert!(Optimizer::Adam {
            beta1: 1.0,
            beta2: 0.9,
            eps: 1e-8
        }
        .validate()
        .is_err());
    }
}

#[cfg(test)]
mod shifted_power_tests {
    use super::*;

    #[test]
    fn shifted_power_is_the_papers_code_form() {
        let s = Schedule::inverse_shifted_power(1.0)
            .exponent(2.0 / 3.0)
            .shift(1.0);
        assert_eq!(s.gamma(0), 1.0);
        assert!((s.gamma(8) - 1.0 / 5.0).abs() < 1e-15); // 8^(2/3) = 4
        assert!(s.validate().is_ok());
        assert!(Schedule::inverse_shifted_power(1.0)
            .exponent(1.0)
            .shift(0.0)
            .validate()
            .is_err());
        // 1/(k+1) = o(1/(k^(2/3)+1)): the paper's duopoly timescales.
        assert!(Schedule::inverse_shifted_power(1.0)
            .exponent(1.0)
            .shift(1.0)
            .is_little_o_of(&s));
    }
}

#[cfg(test)]
mod builder_tests {
    use super::*;

    /// The builders make exactly the variants (and so the gamma_k values,
    /// bit for bit) that the positional constructors `power(a, k0, p)` and
    /// `shifted_power(a, p, b)` made, checked against the formulas.
    #[test]
    fn builders_give_the_formulas_bit_for_bit() {
        for &(a, c, p) in &[
            (1.0, 1.0, 1.0),
            (1.0, 11.0, 2.0 / 3.0),
            (0.5, 1.0, 0.7),
            (2.0, 3.0, 0.5),
            (1.0, 10.0, 0.5),
        ] {
            let s = Schedule::inverse_power(a).offset(c).exponent(p);
            assert_eq!(s, Schedule::Power { a, k0: c, p });
            let t = Schedule::inverse_shifted_power(a).exponent(p).shift(c);
            assert_eq!(t, Schedule::ShiftedPower { a, p, b: c });
            for k in [0u64, 1, 2, 7, 100, 12_345, 1 << 40] {
                let kf = k as f64;
                assert_eq!(s.gamma(k).to_bits(), (a / (kf + c).powf(p)).to_bits());
                assert_eq!(t.gamma(k).to_bits(), (a / (kf.powf(p) + c)).to_bits());
            }
        }
        // the defaults: a / (k + 1) in both families, and the order of the
        // modifiers does not matter
        assert_eq!(Schedule::inverse_power(2.0).gamma(3), 0.5);
        assert_eq!(Schedule::inverse_shifted_power(2.0).gamma(3), 0.5);
        assert_eq!(
            Schedule::inverse_power(1.0).exponent(0.5).offset(4.0),
            Schedule::inverse_power(1.0).offset(4.0).exponent(0.5)
        );
    }

    #[test]
    #[should_panic(expected = "offset(k0) applies to a / (k + k0)^p")]
    fn offset_is_only_for_the_power_family() {
        let _ = Schedule::inverse_shifted_power(1.0).offset(2.0);
    }

    #[test]
    #[should_panic(expected = "shift(b) applies to a / (k^p + b)")]
    fn shift_is_only_for_the_shifted_family() {
        let _ = Schedule::inverse_power(1.0).shift(2.0);
    }
}
