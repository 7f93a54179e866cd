//! When an f32 state stops moving: the first step at which gamma_k times
//! the median |g + sigma z| falls below half an ulp of the state (the
//! module docs of [`crate::precision`]).

use super::{field_of, PrecisionError};
use crate::dynamics::{Dynamics, Rule};
use crate::game::Game;
use crate::plan::Noise;
use crate::schedule::Optimizer;
use std::fmt;

/// One coordinate's stall point under a dynamics (module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct CoordinateStall {
    /// The coordinate's name (`q1`, `v[0,2]`).
    pub coordinate: String,
    /// Its value in the analysed state.
    pub value: f64,
    /// Half the spacing of f32 numbers at the value (the smaller side).
    pub half_ulp: f64,
    /// The field there, g_i(x), in f64.
    pub field: f64,
    /// The noise standard deviation sigma_i.
    pub sigma: f64,
    /// m_i, the median of |g_i + sigma_i z|.
    pub median_step: f64,
    /// The first step from which gamma_i,k m_i < half_ulp (`None`: never
    /// within `horizon`; `Some(0)`: from the start). Coordinates the rule does
    /// not update by a gradient step (the best-responding follower) and
    /// coordinates at rest (m_i = 0: no field, no noise) have `None`.
    pub stall_step: Option<u64>,
}

/// The stall analysis of a state under a dynamics.
#[derive(Clone, Debug, PartialEq)]
pub struct StallReport {
    /// The searched horizon (steps).
    pub horizon: u64,
    /// One entry per state coordinate.
    pub coordinates: Vec<CoordinateStall>,
}

impl StallReport {
    /// The coordinate that stalls first and its step.
    pub fn first_stall(&self) -> Option<(&CoordinateStall, u64)> {
        self.coordinates
            .iter()
            .filter_map(|c| c.stall_step.map(|k| (c, k)))
            .min_by_key(|(_, k)| *k)
    }
}

impl fmt::Display for StallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>12} {:>10} {:>10} {:>8} {:>10} {:>14}",
            "coord", "value", "ulp/2", "field", "sigma", "median", "stalls at k"
        )?;
        for c in &self.coordinates {
            let k = c
                .stall_step
                .map_or(format!("> {:.0e}", self.horizon as f64), |k| k.to_string());
            writeln!(
                f,
                "{:<10} {:>12.6} {:>10.2e} {:>10.2e} {:>8.3} {:>10.3e} {:>14}",
                c.coordinate, c.value, c.half_ulp, c.field, c.sigma, c.median_step, k
            )?;
        }
        Ok(())
    }
}

/// Half the spacing of f32 numbers at `v`, on the smaller side.
pub fn half_ulp_f32(v: f64) -> f64 {
    let x = (v as f32).abs();
    if x == 0.0 {
        return f32::from_bits(1) as f64 / 2.0;
    }
    let up = f32::from_bits(x.to_bits() + 1) - x;
    let down = if x.to_bits() > 0 {
        x - f32::from_bits(x.to_bits() - 1)
    } else {
        up
    };
    up.min(down) as f64 / 2.0
}

/// erfc(x), Numerical Recipes' Chebyshev fit (relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Phi(x), the standard normal distribution function.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The median of |g + sigma z|, z ~ N(0, 1): the m with
/// Phi((m - g) / sigma) - Phi((-m - g) / sigma) = 1/2 (|g| when sigma = 0).
pub fn folded_normal_median(g: f64, sigma: f64) -> f64 {
    let g = g.abs();
    if sigma <= 0.0 {
        return g;
    }
    let mass = |m: f64| normal_cdf((m - g) / sigma) - normal_cdf((-m - g) / sigma);
    let (mut lo, mut hi) = (0.0, g + 4.0 * sigma);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mass(mid) < 0.5 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The step from which `gamma_k * m < half` under a non-increasing
/// schedule, searched up to `horizon`.
fn first_stall(gamma: impl Fn(u64) -> f64, m: f64, half: f64, horizon: u64) -> Option<u64> {
    let stalled = |k: u64| gamma(k) * m < half;
    if stalled(0) {
        return Some(0);
    }
    if !stalled(horizon) {
        return None;
    }
    let (mut lo, mut hi) = (0u64, horizon); // !stalled(lo), stalled(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if stalled(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Where an f32 study of `dynamics` with `noise` stalls at the state `x`
/// (len N; module docs), searching steps 0..=`horizon`. x is typically an
/// equilibrium the study converges to, or a study's mean final state.
///
/// ```
/// use stackel_runtime::precision::stall_steps;
/// use stackel_runtime::{Dynamics, Noise, Schedule};
/// use stackel_testkit::games::Duopoly;
///
/// // the paper's duopoly Stackelberg run at its equilibrium (46, 26), noise variance 10
/// let d = Dynamics::two_timescale(
///     Schedule::inverse_power(1.0).offset(1.0).exponent(1.0),
///     Schedule::inverse_power(1.0).offset(1.0).exponent(2.0 / 3.0),
/// );
/// let r = stall_steps(&Duopoly::default(), &d, &Noise::variance(10.0), &[46.0, 26.0], 1 << 40).unwrap();
/// let (c, k) = r.first_stall().unwrap();
/// assert_eq!(c.coordinate, "q1"); // the leader's slower steps stall first
/// assert!(k > 100_000 && k < 10_000_000);
/// ```
pub fn stall_steps<G: Game>(
    g: &G,
    dynamics: &Dynamics,
    noise: &Noise,
    x: &[f64],
    horizon: u64,
) -> Result<StallReport, PrecisionError> {
    let n = g.n();
    if x.len() != n + g.nd() {
        return Err(PrecisionError::BadState {
            n: n + g.nd(),
            got: x.len(),
        });
    }
    if !matches!(dynamics.optimizer, Optimizer::Plain) {
        return Err(PrecisionError::Adam);
    }
    let info = g.info();
    for p in 0..info.followers.len() + 1 {
        if let Err(e) = dynamics.schedule_of(p).validate() {
            return Err(PrecisionError::BadSchedule {
                player: p,
                why: e.to_string(),
            });
        }
    }
    let mut field = vec![0.0; n];
    field_of(g, dynamics, x, &mut field);
    let d1 = g.d1();
    let mut coordinates = Vec::with_capacity(n);
    let mut i = 0;
    for (p, player) in info.players().enumerate() {
        let variance = match noise.variances.len() {
            0 => 0.0,
            1 => noise.variances[0],
            _ => noise.variances.get(p).copied().unwrap_or(0.0),
        };
        let sigma = variance.sqrt();
        let schedule = *dynamics.schedule_of(p);
        for _ in 0..player.dim {
            let m = folded_normal_median(field[i], sigma);
            let half = half_ulp_f32(x[i]);
            let updated = dynamics.rule != Rule::BestResponse || i < d1;
            // m = 0: the update is exactly zero in every precision, nothing to lose
            let stall_step = if updated && m > 0.0 {
                first_stall(|k| schedule.gamma(k), m, half, horizon)
            } else {
                None
            };
            coordinates.push(CoordinateStall {
                coordinate: info.coordinate_name(i),
                value: x[i],
                half_ulp: half,
                field: field[i],
                sigma,
                median_step: m,
                stall_step,
            });
            i += 1;
        }
    }
    Ok(StallReport {
        horizon,
        coordinates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_ulp_matches_f32_spacing() {
        // 46 lies in [32, 64): spacing 2^(5 - 23)
        assert_eq!(half_ulp_f32(46.0), 2f64.powi(5 - 23) / 2.0);
        // at a power of two the spacing below is the smaller one
        assert_eq!(half_ulp_f32(64.0), 2f64.powi(5 - 23) / 2.0);
        assert_eq!(half_ulp_f32(-1.5), 2f64.powi(-23) / 2.0);
    }

    #[test]
    fn folded_normal_median_matches_known_values() {
        // g = 0: the median of |z| is Phi^-1(3/4) = 0.674489750...
        assert!((folded_normal_median(0.0, 1.0) - 0.674_489_750_196_081_7).abs() < 1e-6);
        assert!((folded_normal_median(0.0, 3.0) - 3.0 * 0.674_489_750_196_081_7).abs() < 1e-5);
        // no noise: |g|
        assert_eq!(folded_normal_median(-2.5, 0.0), 2.5);
        // g >> sigma: close to |g|
        assert!((folded_normal_median(100.0, 1.0) - 100.0).abs() < 1e-6);
        // by simulation-free identity: P(|g + z| <= m) = 1/2 at the median
        let m = folded_normal_median(0.8, 1.3);
        let mass = normal_cdf((m - 0.8) / 1.3) - normal_cdf((-m - 0.8) / 1.3);
        assert!((mass - 0.5).abs() < 1e-9);
    }

    #[test]
    fn erfc_matches_reference_values() {
        // erfc(0.5) = 0.4795001221869535, erfc(2) = 0.004677734981047266
        assert!((erfc(0.5) - 0.479_500_122_186_953_5).abs() < 1e-7);
        assert!((erfc(2.0) / 0.004_677_734_981_047_266 - 1.0).abs() < 2e-7);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-7);
    }

    #[test]
    fn first_stall_is_the_first_stalled_step() {
        // gamma_k = 1/(k+1), m = 1, half = 1e-3: stalled once k + 1 > 1000
        let k = first_stall(|k| 1.0 / (k as f64 + 1.0), 1.0, 1e-3, 1 << 30).unwrap();
        assert_eq!(k, 1000);
        assert_eq!(first_stall(|_| 1e-9, 1.0, 1e-3, 10), Some(0));
        assert_eq!(first_stall(|_| 1.0, 1.0, 1e-3, 1 << 30), None);
    }
}
