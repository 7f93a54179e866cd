//! The real distributions of Appendix D.1 and the mode coverage of generated
//! samples: each point goes to its nearest mean when within 3 standard
//! deviations of it, and a mode counts as covered when it receives at least
//! 1 / (2 modes) of all the points.

use serde::Serialize;
use std::f64::consts::PI;

/// An equal-weight mixture of isotropic Gaussians N(mu_c, variance I) in 2-d.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mixture {
    /// The component means.
    pub means: Vec<[f64; 2]>,
    /// The variance sigma^2 of every component (per coordinate).
    pub variance: f64,
}

impl Mixture {
    /// Diamond: mu = 1.5 (sin w, cos w), w = k pi / 2 (k = 0..3), sigma^2 = 0.15.
    pub fn diamond() -> Self {
        Self::ring(4, 1.5, 0.15)
    }
    /// Circle: mu = (sin w, cos w), w = k pi / 4 (k = 0..7), sigma^2 = 0.3.
    pub fn circle() -> Self {
        Self::ring(8, 1.0, 0.3)
    }
    /// `k` means r (sin w, cos w) at w = 2 pi j / k.
    fn ring(k: usize, r: f64, variance: f64) -> Self {
        Mixture {
            means: (0..k)
                .map(|j| {
                    let w = 2.0 * PI * j as f64 / k as f64;
                    [r * w.sin(), r * w.cos()]
                })
                .collect(),
            variance,
        }
    }
    /// The means as rows, for `Sampler::gaussian_mixture`.
    pub fn mean_rows(&self) -> Vec<Vec<f64>> {
        self.means.iter().map(|m| m.to_vec()).collect()
    }
    /// The component standard deviation sigma.
    pub fn std(&self) -> f64 {
        self.variance.sqrt()
    }
    /// The density p(x) = (1/K) sum_c exp(-|x - mu_c|^2 / (2 sigma^2)) / (2 pi sigma^2).
    pub fn density(&self, p: [f64; 2]) -> f64 {
        let s2 = self.variance;
        self.means
            .iter()
            .map(|m| (-((p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2)) / (2.0 * s2)).exp())
            .sum::<f64>()
            / (self.means.len() as f64 * 2.0 * PI * s2)
    }
}

/// How generated points spread over the modes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    /// Points assigned to each mode (nearest mean, within 3 sigma).
    pub counts: Vec<u64>,
    /// All points (non-finite ones count as unassigned).
    pub total: u64,
    /// Modes with at least total / (2 modes) points.
    pub covered: usize,
    /// Fraction of the points within 3 sigma of their nearest mean.
    pub high_quality: f64,
}

/// The mode coverage of `points` under `mix` (see the module docs).
pub fn mode_coverage(points: &[[f64; 2]], mix: &Mixture) -> Coverage {
    let k = mix.means.len();
    let mut counts = vec![0u64; k];
    let r2 = 9.0 * mix.variance;
    for p in points {
        let best = mix
            .means
            .iter()
            .enumerate()
            .map(|(c, m)| (c, (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((c, d2)) = best {
            if d2 <= r2 {
                counts[c] += 1;
            }
        }
    }
    let total = points.len() as u64;
    let assigned: u64 = counts.iter().sum();
    // count >= total / (2 k), in integers: 2 k count >= total
    let covered = counts
        .iter()
        .filter(|&&c| total > 0 && 2 * k as u64 * c >= total)
        .count();
    Coverage {
        counts,
        total,
        covered,
        high_quality: if total == 0 {
            0.0
        } else {
            assigned as f64 / total as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard normals by Box-Muller from a xorshift stream (independent of
    /// the runtime's samplers).
    fn normals(n: usize, mut s: u64) -> Vec<f64> {
        let mut u = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| (-2.0 * u().ln()).sqrt() * (2.0 * PI * u()).cos())
            .collect()
    }

    #[test]
    fn the_mixtures_are_the_papers() {
        let d = Mixture::diamond();
        assert_eq!(d.means.len(), 4);
        assert!((d.means[0][0]).abs() < 1e-12 && (d.means[0][1] - 1.5).abs() < 1e-12);
        assert!((d.means[1][0] - 1.5).abs() < 1e-12 && d.means[1][1].abs() < 1e-12);
        let c = Mixture::circle();
        assert_eq!(c.means.len(), 8);
        for m in &c.means {
            assert!((m[0].hypot(m[1]) - 1.0).abs() < 1e-12);
        }
        // density integrates to 1 (Riemann sum on [-5, 5]^2)
        for mix in [d, c] {
            let h = 0.02;
            let mut s = 0.0;
            for i in 0..500 {
                for j in 0..500 {
                    s += mix.density([-5.0 + (i as f64 + 0.5) * h, -5.0 + (j as f64 + 0.5) * h]);
                }
            }
            assert!((s * h * h - 1.0).abs() < 1e-6, "{}", s * h * h);
        }
    }

    #[test]
    fn coverage_of_synthetic_point_sets_with_known_answers() {
        let d = Mixture::diamond();
        // 100 points on each of three means, none on the fourth: 3 covered.
        let mut pts: Vec<[f64; 2]> = (0..300).map(|i| d.means[i % 3]).collect();
        let c = mode_coverage(&pts, &d);
        assert_eq!(
            (c.counts.clone(), c.covered, c.high_quality),
            (vec![100, 100, 100, 0], 3, 1.0)
        );
        // 37 points near the fourth mean: 37 * 8 = 296 < 337 (not covered);
        // 43: 43 * 8 = 344 >= 343 (covered).
        pts.extend((0..37).map(|_| [d.means[3][0] + 0.1, d.means[3][1]]));
        assert_eq!(mode_coverage(&pts, &d).covered, 3);
        pts.extend((0..6).map(|_| [d.means[3][0], d.means[3][1] - 0.1]));
        let c = mode_coverage(&pts, &d);
        assert_eq!((c.counts[3], c.covered), (43, 4));
        // Points beyond 3 sigma of every mean (3 sqrt(0.15) = 1.16; the
        // origin is 1.5 from each mean) are unassigned and not high quality.
        pts.extend((0..343).map(|_| [0.0, 0.0]));
        pts.push([f64::NAN, 0.0]);
        let c = mode_coverage(&pts, &d);
        assert_eq!(c.counts, vec![100, 100, 100, 43]);
        assert_eq!(c.total, 687);
        assert!((c.high_quality - 343.0 / 687.0).abs() < 1e-12);
        // 100 >= 687 / 8 = 85.9 but 43 < 85.9
        assert_eq!(c.covered, 3);
        assert_eq!(mode_coverage(&[], &d).covered, 0);
    }

    #[test]
    fn samples_of_the_real_mixture_cover_every_mode() {
        for mix in [Mixture::diamond(), Mixture::circle()] {
            let n = 20_000;
            let z = normals(2 * n, 0x9E37_79B9_7F4A_7C15);
            let k = mix.means.len();
            let pts: Vec<[f64; 2]> = (0..n)
                .map(|i| {
                    let m = mix.means[i % k];
                    [m[0] + mix.std() * z[2 * i], m[1] + mix.std() * z[2 * i + 1]]
                })
                .collect();
            let c = mode_coverage(&pts, &mix);
            assert_eq!(c.covered, k, "{c:?}");
            // P(|N(0, I_2)| <= 3) = 1 - exp(-4.5) = 0.9889 for one component;
            // nearest-mean assignment can only raise it.
            assert!(c.high_quality > 0.985, "{}", c.high_quality);
        }
        // A collapsed generator (every point on one mode) covers one mode.
        let d = Mixture::diamond();
        assert_eq!(mode_coverage(&vec![d.means[2]; 1000], &d).covered, 1);
    }
}
