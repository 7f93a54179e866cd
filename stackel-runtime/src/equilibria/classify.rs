//! Classification of a point from the spectra of J, J_S, D11 f1, D22 f2 and
//! the leader's Stackelberg Hessian.

use nalgebra::DMatrix;
use serde::Serialize;

use super::spectrum::{eigenvalues, symmetric_eigenvalues};
use super::EquilibriumError;
use crate::blocks::Workspace;
use crate::game::Game;

/// Tolerances of [`classify`], and the rule that turns spectra into
/// verdicts.
///
/// - A point is critical for a field when max_i |F_i| <= `residual_tol` +
///   eps max(1, max_i |x_i|) (eps the perturbation budget below): an absolute
///   floor plus what moving the point by a relative `eig_tol` can change
///   (|DF| <= S), so the answer does not depend on the game's units.
/// - **Scale of the game at the point**: S = max(|J|_F, |J_S|_F, |H_S|_F)
///   (Frobenius norms of the game Jacobian, the Stackelberg Jacobian and the
///   leader's Stackelberg Hessian, the last two when D22 f2 + eta I is
///   invertible). Every tolerance is relative to S, never to a block's own
///   spectrum, so a block that is zero or tiny next to the rest of the game
///   is `Degenerate`, whatever the sign of its rounding noise.
/// - **Perturbation budget**: eps = max(`eig_tol`, 16 n u) S (u the unit
///   roundoff, n = d1 + d2). A verdict must hold for every matrix within
///   spectral-norm distance eps of the computed one (which covers rounding
///   and moving the point by a relative amount of about `eig_tol`).
/// - **Symmetric blocks** (D11 f1, each follower's own Hessian, the
///   symmetrised Stackelberg Hessian): by Weyl, |delta mu| <= |E|_2 <= eps,
///   so positive definite (`Yes`) iff min mu > eps, `No` iff min mu < -eps,
///   `Degenerate` in between.
/// - **General matrices** (J, J_S, D22 f2 with several followers, the
///   unsymmetrised Stackelberg Hessian): Henrici's theorem bounds how far an
///   eigenvalue moves, |delta lambda| <= delta with
///   eps sum_{k<p} nu^k / delta^(k+1) = 1, where nu = sqrt(|A|_F^2 -
///   sum |lambda_i|^2) is the departure from normality and p the nilpotency
///   index, bounded here by the size of the eigenvalue's cluster (the
///   largest p such that p eigenvalues lie within 2 delta_p of it). For a
///   normal matrix delta = eps; near a Jordan block it grows like
///   eps^(1/p). Henrici's bound is pessimistic when the departure from
///   normality comes from outside a cluster, so where it leaves a sign
///   undecided the radius is refined by probing: the eigenvalues of A + E
///   for 3 seeded random E with |E|_F = eps, and delta_i = min(Henrici,
///   max(eps, 10 x the largest observed move)) (random perturbations move an
///   eigenvalue of a p-Jordan block by the same order eps^(1/p) as the
///   worst case). Stable (`Yes`) iff Re lambda_i > delta_i for all i, `No`
///   if some Re lambda_i < -delta_i, `Degenerate` otherwise; singular iff
///   some |lambda_i| <= delta_i.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ClassifyOptions {
    pub residual_tol: f64,
    /// Relative perturbation budget (see the type docs).
    pub eig_tol: f64,
    /// Regularisation of the follower Hessian in Df1 and J_S (appendix C);
    /// 0 classifies the exact game.
    pub eta: f64,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        ClassifyOptions {
            residual_tol: 1e-8,
            eig_tol: 1e-9,
            eta: 0.0,
        }
    }
}

/// The answer to one question about a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Yes,
    No,
    /// Decided by an eigenvalue within tolerance of the boundary (or by a
    /// singular follower Hessian): the second-order test is inconclusive.
    Degenerate,
}

impl Verdict {
    /// `Yes` iff every part is `Yes`; `No` if any is `No`; else `Degenerate`.
    pub fn all(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut v = Verdict::Yes;
        for p in parts {
            match p {
                Verdict::No => return Verdict::No,
                Verdict::Degenerate => v = Verdict::Degenerate,
                Verdict::Yes => {}
            }
        }
        v
    }
    pub fn is_yes(self) -> bool {
        self == Verdict::Yes
    }
    fn symbol(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::Degenerate => "degen",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.symbol())
    }
}

/// A complex eigenvalue.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Eig {
    pub re: f64,
    pub im: f64,
}

impl std::fmt::Display for Eig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.im == 0.0 {
            write!(f, "{:.4e}", self.re)
        } else {
            write!(f, "{:.4e}{:+.4e}i", self.re, self.im)
        }
    }
}

/// What was flagged as degenerate at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Degeneracy {
    /// J has an eigenvalue within tolerance of 0.
    SingularJ,
    /// J_S has an eigenvalue within tolerance of 0.
    SingularJs,
    /// D22 f2 (+ eta I) is singular: no implicit map, no Df1, J_S.
    SingularFollowerHessian,
    /// An eigenvalue of J or J_S lies on the imaginary axis (within
    /// tolerance) at a critical point: marginal stability.
    MarginalJ,
    MarginalJs,
    /// D11 f1, a follower's own Hessian or the Stackelberg Hessian is
    /// semi-definite within tolerance.
    SemidefiniteLeaderHessian,
    SemidefiniteFollowerHessian,
    SemidefiniteStackelbergHessian,
}

/// Spectra at a point (eigenvalues sorted by real part, ascending).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spectra {
    /// spec(J), J = D omega.
    pub j: Vec<Eig>,
    /// spec(J_S), J_S = D omega_S (absent when D22 f2 + eta I is singular).
    pub j_s: Option<Vec<Eig>>,
    /// spec(D11 f1) (symmetric).
    pub d11f1: Vec<f64>,
    /// spec(D22 f2): complex, since with several followers H = D_{x2} omega_F
    /// is not symmetric.
    pub d22f2: Vec<Eig>,
    /// spec of each follower's own Hessian D_{2^i 2^i} f_{2^i} (symmetric).
    pub follower_own: Vec<Vec<f64>>,
    /// spec of the leader's Stackelberg Hessian D1(Df1) + D2(Df1) Dr,
    /// symmetrised (in zero-sum games the Schur complement
    /// D11 f - D12 f (D22 f)^-1 D21 f); absent when H is singular.
    pub stackelberg_hessian: Option<Vec<f64>>,
    /// spec of the Stackelberg Hessian D1(Df1) + D2(Df1) Dr as it is (not
    /// symmetrised; it decides the two-timescale limit); absent when H is
    /// singular.
    pub stackelberg_hessian_unsymmetrised: Option<Vec<Eig>>,
    /// The scale S of the game at the point (see [`ClassifyOptions`]).
    pub scale: f64,
}

/// Everything [`classify`] decides about one point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    pub x: Vec<f64>,
    /// f1(x), then f_{2^i}(x) per follower.
    pub costs: Vec<f64>,
    /// max_i |omega_i(x)|.
    pub omega_residual: f64,
    /// max_i |omega_S,i(x)| (absent when H is singular).
    pub omega_s_residual: Option<f64>,
    /// omega = 0, D11 f1 > 0 and every follower's own Hessian > 0.
    pub differential_nash: Verdict,
    /// omega_S = 0, D22 f2 > 0 (each follower's own Hessian, H invertible)
    /// and the Stackelberg Hessian > 0.
    pub differential_stackelberg: Verdict,
    /// omega = 0 and spec(J) in the open right half plane.
    pub stable_simultaneous: Verdict,
    /// omega_S = 0 and spec(J_S) in the open right half plane.
    pub stable_stackelberg: Verdict,
    /// Stability of the two-timescale Stackelberg dynamics in the limit
    /// tau = gamma1 / gamma2 -> 0: omega_S = 0, spec(D22 f2) and the spectrum
    /// of the (unsymmetrised) Stackelberg Hessian D1(Df1) + D2(Df1) Dr in the
    /// open right half plane (the fast follower block and the slow leader
    /// block on the manifold x2 = r(x1)).
    pub stable_two_timescale: Verdict,
    /// Stable under simultaneous play but not a differential Nash equilibrium.
    pub non_nash_attractor: Verdict,
    pub degenerate: Vec<Degeneracy>,
    pub spectra: Spectra,
}

/// Random perturbations tried when Henrici's radius cannot decide.
const PROBES: usize = 3;
/// Factor between the largest observed move of an eigenvalue under the
/// probes and the radius it is given.
const PROBE_SAFETY: f64 = 10.0;

/// The perturbation budget of one point: eps = max(eig_tol, 16 n u) S.
struct Margins {
    eps: f64,
}

impl Margins {
    /// Positive definiteness of a symmetric matrix from its eigenvalues
    /// (Weyl: every eigenvalue moves by at most eps).
    fn definite(&self, eigs: &[f64]) -> Verdict {
        let min = eigs.iter().copied().fold(f64::INFINITY, f64::min);
        sign_verdict(std::iter::once((min, self.eps)))
    }

    /// How far each eigenvalue of `a` (spectrum `eigs`) can move under a
    /// perturbation of norm eps: Henrici's radius, refined by probing where
    /// it is too wide to decide (see [`ClassifyOptions`]).
    fn radii(&self, a: &DMatrix<f64>, eigs: &[Eig]) -> Vec<f64> {
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
    fn stable(&self, eigs: &[Eig], radii: &[f64]) -> Verdict {
        sign_verdict(eigs.iter().zip(radii).map(|(e, &r)| (e.re, r)))
    }

    fn singular(eigs: &[Eig], radii: &[f64]) -> bool {
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

fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// Classifies the point `x` of game `g` (see [`Classification`] for the
/// definitions and [`ClassifyOptions`] for the tolerance rule). A point that
/// is not critical for a field gets `No` for the questions about that field.
/// Every eigenvalue computation is bounded; one that does not converge gives
/// [`EquilibriumError::SpectrumFailed`].
///
/// ```
/// use stackel_runtime::equilibria::{classify, Verdict};
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let g = Duopoly::default();
/// let nash = [92.0 / 3.0, 101.0 / 3.0]; // q_i = (a - 2 c_i + c_j) / 3
/// let c = classify(&g, &nash, &Default::default()).unwrap();
/// assert_eq!(c.differential_nash, Verdict::Yes);
/// assert_eq!(c.stable_simultaneous, Verdict::Yes);
/// assert_eq!(c.differential_stackelberg, Verdict::No); // Df1 != 0 at Nash
/// ```
pub fn classify<G: Game>(
    g: &G,
    x: &[f64],
    opts: &ClassifyOptions,
) -> Result<Classification, EquilibriumError> {
    let (d1, d2, n) = (G::D1, G::D2, G::N);
    super::check_point(x, n)?;
    let info = g.info();
    let mut ws = Workspace::<f64>::new::<G>();
    let mut degenerate = Vec::new();

    let mut costs = vec![g.leader_cost(x)];
    costs.extend((0..info.followers.len()).map(|i| g.follower_cost(i, x)));

    let mut omega = vec![0.0; n];
    g.omega(x, &mut omega);
    let omega_residual = norm_inf(&omega);
    let follower_residual = norm_inf(&omega[d1..]);

    let mut jbuf = vec![0.0; n * n];
    ws.jacobian(g, x, &mut jbuf)
        .map_err(|_| EquilibriumError::Singular { what: "J" })?;
    let jm = DMatrix::from_row_slice(n, n, &jbuf);
    let spec_j = eigenvalues(&jm, "J")?;
    let d11f1 = symmetric_eigenvalues(&jm.view((0, 0), (d1, d1)).into_owned(), "D11 f1")?;
    let h = jm.view((d1, d1), (d2, d2)).into_owned();
    let spec_h = eigenvalues(&h, "D22 f2")?;
    let follower_own = info
        .followers
        .iter()
        .map(|p| {
            let o = p.offset - d1;
            symmetric_eigenvalues(&h.view((o, o), (p.dim, p.dim)).into_owned(), "D22 f2")
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Stackelberg side: needs H + eta I invertible.
    let mut omega_s = vec![0.0; n];
    let mut js = vec![0.0; n * n];
    let mut hs = vec![0.0; d1 * d1];
    let stack = ws
        .omega_s(g, x, opts.eta, &mut omega_s)
        .and_then(|_| ws.stackelberg_jacobian(g, x, opts.eta, &mut js))
        .and_then(|_| ws.stackelberg_hessian(g, x, opts.eta, &mut hs))
        .ok()
        .filter(|_| js.iter().chain(&hs).all(|v| v.is_finite()))
        .map(|_| {
            (
                DMatrix::from_row_slice(n, n, &js),
                DMatrix::from_row_slice(d1, d1, &hs),
            )
        });

    let scale = stack
        .as_ref()
        .map_or(0.0, |(a, b)| a.norm().max(b.norm()))
        .max(jm.norm());
    let m = Margins {
        eps: opts.eig_tol.max(16.0 * n as f64 * f64::EPSILON) * scale,
    };

    let radii_j = m.radii(&jm, &spec_j);
    if Margins::singular(&spec_j, &radii_j) {
        degenerate.push(Degeneracy::SingularJ);
    }
    let leader_def = m.definite(&d11f1);
    if leader_def == Verdict::Degenerate {
        degenerate.push(Degeneracy::SemidefiniteLeaderHessian);
    }
    let followers_def = Verdict::all(follower_own.iter().map(|e| m.definite(e)));
    if followers_def == Verdict::Degenerate {
        degenerate.push(Degeneracy::SemidefiniteFollowerHessian);
    }

    let res_tol = opts.residual_tol + m.eps * norm_inf(x).max(1.0);
    let omega_critical = omega_residual <= res_tol;
    let differential_nash = if omega_critical {
        Verdict::all([leader_def, followers_def])
    } else {
        Verdict::No
    };
    let stable_simultaneous = if omega_critical {
        let v = m.stable(&spec_j, &radii_j);
        if v == Verdict::Degenerate {
            degenerate.push(Degeneracy::MarginalJ);
        }
        v
    } else {
        Verdict::No
    };

    let radii_h = m.radii(&h, &spec_h);
    let h_singular = stack.is_none() || (opts.eta == 0.0 && Margins::singular(&spec_h, &radii_h));
    let (mut spec_js, mut spec_hs, mut spec_hs_raw, mut omega_s_residual) =
        (None, None, None, None);
    let (differential_stackelberg, stable_stackelberg, stable_two_timescale) =
        match stack.as_ref().filter(|_| !h_singular) {
            None => {
                degenerate.push(Degeneracy::SingularFollowerHessian);
                // D2 f2 = 0 with a singular H: the second-order test cannot decide.
                let v = if follower_residual <= res_tol {
                    Verdict::Degenerate
                } else {
                    Verdict::No
                };
                (v, v, v)
            }
            Some((jsm, hsm)) => {
                let res = norm_inf(&omega_s);
                omega_s_residual = Some(res);
                let sjs = eigenvalues(jsm, "J_S")?;
                let shs = symmetric_eigenvalues(hsm, "Stackelberg Hessian")?;
                let shr = eigenvalues(hsm, "Stackelberg Hessian")?;
                let radii_js = m.radii(jsm, &sjs);
                if Margins::singular(&sjs, &radii_js) {
                    degenerate.push(Degeneracy::SingularJs);
                }
                let hess_def = m.definite(&shs);
                if hess_def == Verdict::Degenerate {
                    degenerate.push(Degeneracy::SemidefiniteStackelbergHessian);
                }
                let verdicts = if res <= res_tol {
                    let ss = m.stable(&sjs, &radii_js);
                    if ss == Verdict::Degenerate {
                        degenerate.push(Degeneracy::MarginalJs);
                    }
                    let tt = Verdict::all([
                        m.stable(&spec_h, &radii_h),
                        m.stable(&shr, &m.radii(hsm, &shr)),
                    ]);
                    (Verdict::all([followers_def, hess_def]), ss, tt)
                } else {
                    (Verdict::No, Verdict::No, Verdict::No)
                };
                spec_js = Some(sjs);
                spec_hs = Some(shs);
                spec_hs_raw = Some(shr);
                verdicts
            }
        };

    let non_nash_attractor = match (stable_simultaneous, differential_nash) {
        (Verdict::Yes, Verdict::No) => Verdict::Yes,
        (Verdict::No, _) | (_, Verdict::Yes) => Verdict::No,
        _ => Verdict::Degenerate,
    };

    Ok(Classification {
        x: x.to_vec(),
        costs,
        omega_residual,
        omega_s_residual,
        differential_nash,
        differential_stackelberg,
        stable_simultaneous,
        stable_stackelberg,
        stable_two_timescale,
        non_nash_attractor,
        degenerate,
        spectra: Spectra {
            j: spec_j,
            j_s: spec_js,
            d11f1,
            d22f2: spec_h,
            follower_own,
            stackelberg_hessian: spec_hs,
            stackelberg_hessian_unsymmetrised: spec_hs_raw,
            scale,
        },
    })
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
