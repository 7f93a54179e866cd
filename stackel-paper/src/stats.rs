//! Statistics with confidence intervals for Monte-Carlo summaries: binomial
//! proportions (Wilson score interval) and quantiles (distribution-free
//! interval from order statistics).

use serde::Serialize;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// An estimate with a 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub lo: f64,
    /// Upper end of the 95% interval.
    pub hi: f64,
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(3);
        write!(
            f,
            "{:.p$} [{:.p$}, {:.p$}]",
            self.value,
            self.lo,
            self.hi,
            p = p
        )
    }
}

/// The fraction `k / n` with its Wilson score interval (95%). `n = 0` gives
/// the uninformative [0, 1].
pub fn proportion(k: u64, n: u64) -> Estimate {
    if n == 0 {
        return Estimate {
            value: f64::NAN,
            lo: 0.0,
            hi: 1.0,
        };
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Estimate {
        value: p,
        lo: (centre - half).max(0.0),
        hi: (centre + half).min(1.0),
    }
}

/// The q-quantile of `sorted` (ascending, finite) with a distribution-free
/// 95% interval: the order statistics whose ranks are n q -/+ z sqrt(n q (1-q))
/// (normal approximation of the binomial rank). `None` for empty data.
pub fn quantile(sorted: &[f64], q: f64) -> Option<Estimate> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let at = |r: f64| sorted[(r.round().max(0.0) as usize).min(n - 1)];
    let nf = n as f64;
    let centre = q * (nf - 1.0);
    let half = Z95 * (nf * q * (1.0 - q)).sqrt();
    Some(Estimate {
        value: at(centre),
        lo: at(centre - half - 1.0),
        hi: at(centre + half + 1.0),
    })
}

/// Mean with a normal-approximation 95% interval (sample standard deviation).
pub fn mean(xs: &[f64]) -> Option<Estimate> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let m = xs.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let half = Z95 * (var / n as f64).sqrt();
    Some(Estimate {
        value: m,
        lo: m - half,
        hi: m + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_known_values() {
        // 50 of 100: Wilson 95% interval is [0.4038, 0.5962].
        let e = proportion(50, 100);
        assert!(
            (e.lo - 0.4038).abs() < 1e-4 && (e.hi - 0.5962).abs() < 1e-4,
            "{e:?}"
        );
        // 0 of 20: [0, 0.1611].
        let e = proportion(0, 20);
        assert_eq!(e.lo, 0.0);
        assert!((e.hi - 0.1611).abs() < 1e-4, "{e:?}");
    }

    #[test]
    fn quantile_interval_covers_the_true_median() {
        // Uniform grid 0..1000: the median is about 500 and the interval is
        // roughly +-31 ranks wide (1.96 sqrt(1000/4)).
        let xs: Vec<f64> = (0..1001).map(|i| i as f64).collect();
        let e = quantile(&xs, 0.5).unwrap();
        assert_eq!(e.value, 500.0);
        assert!(e.lo < 500.0 && e.hi > 500.0);
        assert!((e.hi - e.lo - 64.0).abs() < 4.0, "{e:?}");
    }

    #[test]
    fn mean_interval_shrinks_like_one_over_sqrt_n() {
        let a: Vec<f64> = (0..100).map(|i| (i % 2) as f64).collect();
        let b: Vec<f64> = (0..10000).map(|i| (i % 2) as f64).collect();
        let (ea, eb) = (mean(&a).unwrap(), mean(&b).unwrap());
        let ratio = (ea.hi - ea.lo) / (eb.hi - eb.lo);
        assert!((ratio - 10.0).abs() < 0.2, "{ratio}");
    }
}
