//! The perturbation budget of [`super::classify`] (the rule in
//! [`super::ClassifyOptions`]): a verdict must hold for every matrix within
//! distance eps of the computed one. Symmetric blocks use Weyl's bound
//! (every eigenvalue moves by at most eps), general matrices Henrici's
//! radius, refined by seeded random probes where it cannot decide.

use nalgebra::DMatrix;

use super::super::spectrum::eigenvalues;
use super::{Eig, Verdict};

/// Random perturbations tried when Henrici's radius cannot decide.
const PROBES: usize = 3;
/// Factor between the largest observed move of an eigenvalue under the
/// probes and the radius it is given.
const PROBE_SAFETY: f64 = 10.0;

/// The perturbation budget of one point: eps = max(eig_tol, 16 n u) S.
pub(super) struct Margins {
    pub(super) eps: f64,
}

impl Margins {
    /// Positive definiteness of a symmetric matrix from its eigenvalues
    /// (Weyl: every eigenvalue moves by at most eps).
    pub(super) fn definite(&self, eigs: &[f64]) -> Verdict {
        let min = eigs.iter().copied().fold(f64::INFINITY, f64::min);
        sign_verdict(std::iter::once((min, self.eps)))
    }

    /// How far each eigenvalue of `a` (spectrum `eigs`) can move under a
    /// perturbation of norm eps: Henrici's radius, refined by probing where
    /// it is too wide to decide (see [`super::ClassifyOptions`]).
    pub(super) fn radii(&self, a: &DMatrix<f64>, eigs: &[Eig]) -> Vec<f64> {
        let henrici = self.henrici_radii(a, eigs);
        // Probing can only help an eigenvalue that a radius between eps and
        // Henrici's would decide differently.
        let eps = self.eps;
        let undecided = eigs.iter().zip(&henrici).any(|(e, &r)| {
            let (re, m) = (e.re.abs(), e.re.hypot(e.im));
            (re > eps && re <= r) || (m > eps && m <= r)
        });
        if !undecided || self.eps == 0.0 {
            return henrici;
        }
        match self.probed_shifts(a, eigs) {
            Some(shift) => henrici
                .iter()
                .zip(shift)
                .map(|(&h, s)| h.min((PROBE_SAFETY * s).max(self.eps)))
                .collect(),
            None => henrici,
        }
    }

    /// The largest move of each eigenvalue of `a` under `PROBES` seeded
    /// random perturbations E with |E|_F = eps (eigenvalues of a + E matched
    /// to those of `a` greedily by distance); `None` if a spectrum fails.
    fn probed_shifts(&self, a: &DMatrix<f64>, eigs: &[Eig]) -> Option<Vec<f64>> {
        let n = a.nrows();
        let mut state = 0x5eed_u64;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let mut shift = vec![0.0f64; n];
        for _ in 0..PROBES {
            let e = DMatrix::from_fn(n, n, |_, _| next());
            let norm = e.norm();
            if norm == 0.0 {
                continue;
            }
            let mu = eigenvalues(&(a + e * (self.eps / norm)), "probe").ok()?;
            let mut used = vec![false; n];
            for (i, l) in eigs.iter().enumerate() {
                let (j, d) = mu
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| !used[*j])
                    .map(|(j, m)| (j, (m.re - l.re).hypot(m.im - l.im)))
                    .min_by(|x, y| x.1.total_cmp(&y.1))?;
                used[j] = true;
                shift[i] = shift[i].max(d);
            }
        }
        Some(shift)
    }

    /// Henrici's radius per eigenvalue, with the nilpotency index bounded by
    /// the size of the eigenvalue's cluster.
    fn henrici_radii(&self, a: &DMatrix<f64>, eigs: &[Eig]) -> Vec<f64> {
        let fro2 = a.norm_squared();
        let lam2: f64 = eigs.iter().map(|e| e.re * e.re + e.im * e.im).sum();
        let nu = (fro2 - lam2).max(0.0).sqrt();
        let n = eigs.len();
        let deltas: Vec<f64> = (1..=n).map(|p| henrici_radius(self.eps, nu, p)).collect();
        eigs.iter()
            .map(|e| {
                (1..=n)
                    .rev()
                    .find(|&p| {
                        let r = 2.0 * deltas[p - 1];
                        eigs.iter()
                            .filter(|f| (f.re - e.re).hypot(f.im - e.im) <= r)
                            .count()
                            >= p
                    })
                    .map_or(self.eps, |p| deltas[p - 1])
            })
            .collect()
    }

    /// spec(a) in the open right half plane, with per-eigenvalue radii.
    pub(super) fn stable(&self, eigs: &[Eig], radii: &[f64]) -> Verdict {
        sign_verdict(eigs.iter().zip(radii).map(|(e, &r)| (e.re, r)))
    }

    pub(super) fn singular(eigs: &[Eig], radii: &[f64]) -> bool {
        eigs.iter().zip(radii).any(|(e, &r)| e.re.hypot(e.im) <= r)
    }
}

/// The radius delta with eps sum_{k<p} nu^k / delta^(k+1) = 1 (Henrici's
/// bound for a perturbation of norm eps of a matrix with departure from
/// normality nu and nilpotency index p); delta = eps when nu = 0 or p = 1.
fn henrici_radius(eps: f64, nu: f64, p: usize) -> f64 {
    if eps == 0.0 || nu == 0.0 || p == 1 {
        return eps;
    }
    let f = |d: f64| {
        (0..p)
            .map(|k| eps * (nu / d).powi(k as i32) / d)
            .sum::<f64>()
    };
    // f is decreasing; f(eps) >= 1 and f(hi) <= 1 for
    // hi = max_k (p eps nu^k)^(1/(k+1)).
    let mut lo = eps;
    let mut hi = (0..p)
        .map(|k| (p as f64 * eps * nu.powi(k as i32)).powf(1.0 / (k + 1) as f64))
        .fold(eps, f64::max);
    for _ in 0..100 {
        let mid = (lo * hi).sqrt();
        if f(mid) > 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi <= lo * (1.0 + 1e-6) {
            break;
        }
    }
    hi
}

/// `Yes` if every value is above its margin, `No` if one is below minus its
/// margin, else `Degenerate`.
fn sign_verdict(values: impl IntoIterator<Item = (f64, f64)>) -> Verdict {
    Verdict::all(values.into_iter().map(|(v, m)| {
        if v > m {
            Verdict::Yes
        } else if v < -m {
            Verdict::No
        } else {
            Verdict::Degenerate
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eig(a: &DMatrix<f64>) -> Vec<Eig> {
        eigenvalues(a, "A").unwrap()
    }

    /// A 2 x 2 Jordan block at 1e-5: a perturbation of norm 1e-9 in the
    /// corner moves its eigenvalues to 1e-5 +- sqrt(1e-9) (closed form), one
    /// of them negative, so with eps = 1e-9 stability is not certain: the
    /// radius must grow like sqrt(eps), not stay at eps (as Weyl would say
    /// for a symmetric matrix).
    #[test]
    fn jordan_block_near_the_axis_is_degenerate() {
        let m = Margins { eps: 1e-9 };
        let a = DMatrix::from_row_slice(2, 2, &[1e-5, 1.0, 0.0, 1e-5]);
        let e = eig(&a);
        assert_eq!(m.stable(&e, &m.radii(&a, &e)), Verdict::Degenerate);
        let perturbed = DMatrix::from_row_slice(2, 2, &[1e-5, 1.0, 1e-9, 1e-5]);
        let min_re = eig(&perturbed)
            .iter()
            .map(|e| e.re)
            .fold(f64::INFINITY, f64::min);
        assert!((min_re - (1e-5 - 1e-9f64.sqrt())).abs() < 1e-9 && min_re < 0.0);
        // the same eigenvalue far from the axis is decided
        let b = DMatrix::from_row_slice(2, 2, &[1e-2, 1.0, 0.0, 1e-2]);
        let e = eig(&b);
        assert_eq!(m.stable(&e, &m.radii(&b, &e)), Verdict::Yes);
    }

    /// A semisimple 6-fold eigenvalue 0.6 coupled to a distant eigenvalue 50
    /// by a large entry: Henrici's radius (cluster of 6, departure from
    /// normality about 49) exceeds 0.6, but the eigenvalue is well
    /// conditioned (the block is diagonal); probing decides `Yes`, and a
    /// diagonal shift by -0.6 + 1e-3 decides `Yes` too while -0.6 - 1e-3
    /// decides `No`.
    #[test]
    fn probing_refines_pessimistic_henrici_radii() {
        let build = |d: f64| {
            let mut a = DMatrix::<f64>::zeros(7, 7);
            for i in 0..6 {
                a[(i, i)] = d;
                a[(i, 6)] = 20.0;
            }
            a[(6, 6)] = 50.0;
            a
        };
        let a = build(0.6);
        let m = Margins {
            eps: 1e-9 * a.norm(),
        };
        let e = eig(&a);
        let h = m.henrici_radii(&a, &e);
        assert!(
            h.iter().zip(&e).any(|(r, l)| l.re.abs() < 1.0 && *r > 0.6),
            "{h:?}"
        );
        assert_eq!(m.stable(&e, &m.radii(&a, &e)), Verdict::Yes);
        for (d, want) in [(1e-3, Verdict::Yes), (-1e-3, Verdict::No)] {
            let b = build(d);
            let e = eig(&b);
            assert_eq!(m.stable(&e, &m.radii(&b, &e)), want, "d = {d}");
        }
    }

    /// Weyl for symmetric blocks: min eigenvalue against +-eps.
    #[test]
    fn definiteness_uses_the_budget_not_the_blocks_own_scale() {
        let m = Margins { eps: 1e-9 };
        assert_eq!(m.definite(&[2.5e-14, 1.3e-13]), Verdict::Degenerate);
        assert_eq!(m.definite(&[-2.5e-14, 1.3e-13]), Verdict::Degenerate);
        assert_eq!(m.definite(&[2e-9, 1.0]), Verdict::Yes);
        assert_eq!(m.definite(&[-2e-9, 1.0]), Verdict::No);
        assert_eq!(m.definite(&[0.0, 0.0]), Verdict::Degenerate);
    }
}
