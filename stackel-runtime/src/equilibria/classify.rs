//! Classification of a point from the spectra of J, J_S, D11 f1, D22 f2 and
//! the leader's Stackelberg Hessian.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;

use super::EquilibriumError;
use crate::blocks::Workspace;
use crate::game::Game;

/// Tolerances of [`classify`].
///
/// - A point is critical for a field when max_i |F_i| <= `residual_tol`.
/// - Eigenvalue tests are relative to the matrix's own spectral scale
///   s = max_k |mu_k| (eigenvalue moduli): a symmetric matrix is positive
///   definite (`Yes`) when min mu > `eig_tol * s`, not (`No`) when
///   min mu < -`eig_tol * s`, and `Degenerate` in between (semi-definite
///   within rounding; also when s = 0). Stability uses the real parts of
///   the complex spectrum the same way; a matrix is singular when
///   min |mu| <= `eig_tol * s`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ClassifyOptions {
    pub residual_tol: f64,
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
    /// Stable under simultaneous play but not a differential Nash equilibrium.
    pub non_nash_attractor: Verdict,
    pub degenerate: Vec<Degeneracy>,
    pub spectra: Spectra,
}

fn sorted_complex(m: &DMatrix<f64>) -> Vec<Eig> {
    let mut v: Vec<Eig> = m
        .complex_eigenvalues()
        .iter()
        .map(|c| Eig { re: c.re, im: c.im })
        .collect();
    v.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
    v
}

fn sorted_symmetric(m: DMatrix<f64>) -> Vec<f64> {
    let sym = (&m + m.transpose()) * 0.5;
    let mut v: Vec<f64> = SymmetricEigen::new(sym)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn scale_of(mods: impl Iterator<Item = f64>) -> f64 {
    mods.fold(0.0, f64::max)
}

/// Positive definiteness of a symmetric matrix from its eigenvalues.
fn definite(eigs: &[f64], tol: f64) -> Verdict {
    let s = scale_of(eigs.iter().map(|e| e.abs()));
    positive(eigs.iter().copied().fold(f64::INFINITY, f64::min), s, tol)
}

/// spec in the open right half plane.
fn stable(eigs: &[Eig], tol: f64) -> Verdict {
    let s = scale_of(eigs.iter().map(|e| e.re.hypot(e.im)));
    positive(
        eigs.iter().map(|e| e.re).fold(f64::INFINITY, f64::min),
        s,
        tol,
    )
}

/// Is the smallest value `min` positive, relative to the spectrum's scale
/// `s`: Yes above tol s, No below -tol s, Degenerate between (or s = 0).
fn positive(min: f64, s: f64, tol: f64) -> Verdict {
    if s == 0.0 || !s.is_finite() {
        return Verdict::Degenerate;
    }
    if min > tol * s {
        Verdict::Yes
    } else if min < -tol * s {
        Verdict::No
    } else {
        Verdict::Degenerate
    }
}

fn singular(eigs: &[Eig], tol: f64) -> bool {
    let mods: Vec<f64> = eigs.iter().map(|e| e.re.hypot(e.im)).collect();
    let s = scale_of(mods.iter().copied());
    mods.iter().any(|&m| m <= tol * s)
}

fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// Classifies the point `x` of game `g` (see [`Classification`] for the
/// definitions and [`ClassifyOptions`] for the tolerances). A point that is
/// not critical for a field gets `No` for the questions about that field.
///
/// ```
/// use stackel_runtime::equilibria::{classify, Verdict};
/// use stackel_runtime::reference::Duopoly;
///
/// let g = Duopoly::default();
/// let c = classify(&g, &g.nash(), &Default::default()).unwrap();
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
    let tol = opts.eig_tol;
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
    ws.jacobian(g, x, &mut jbuf);
    let jm = DMatrix::from_row_slice(n, n, &jbuf);
    let spec_j = sorted_complex(&jm);
    let d11f1 = sorted_symmetric(jm.view((0, 0), (d1, d1)).into_owned());
    let h = jm.view((d1, d1), (d2, d2)).into_owned();
    let spec_h = sorted_complex(&h);
    let follower_own: Vec<Vec<f64>> = info
        .followers
        .iter()
        .map(|p| {
            let o = p.offset - d1;
            sorted_symmetric(h.view((o, o), (p.dim, p.dim)).into_owned())
        })
        .collect();

    if singular(&spec_j, tol) {
        degenerate.push(Degeneracy::SingularJ);
    }
    let leader_def = definite(&d11f1, tol);
    if leader_def == Verdict::Degenerate {
        degenerate.push(Degeneracy::SemidefiniteLeaderHessian);
    }
    let followers_def = Verdict::all(follower_own.iter().map(|e| definite(e, tol)));
    if followers_def == Verdict::Degenerate {
        degenerate.push(Degeneracy::SemidefiniteFollowerHessian);
    }

    let omega_critical = omega_residual <= opts.residual_tol;
    let differential_nash = if omega_critical {
        Verdict::all([leader_def, followers_def])
    } else {
        Verdict::No
    };
    let stable_simultaneous = if omega_critical {
        let v = stable(&spec_j, tol);
        if v == Verdict::Degenerate {
            degenerate.push(Degeneracy::MarginalJ);
        }
        v
    } else {
        Verdict::No
    };

    // Stackelberg side: needs H + eta I invertible.
    let mut omega_s = vec![0.0; n];
    let mut js = vec![0.0; n * n];
    let mut hs = vec![0.0; d1 * d1];
    let stack = ws
        .omega_s(g, x, opts.eta, &mut omega_s)
        .and_then(|_| ws.stackelberg_jacobian(g, x, opts.eta, &mut js))
        .and_then(|_| ws.stackelberg_hessian(g, x, opts.eta, &mut hs));
    let h_singular = stack.is_err() || (opts.eta == 0.0 && singular(&spec_h, tol));
    let (omega_s_residual, spec_js, spec_hs, differential_stackelberg, stable_stackelberg) =
        if h_singular {
            degenerate.push(Degeneracy::SingularFollowerHessian);
            // D2 f2 = 0 with a singular H: the second-order test cannot decide.
            let v = if follower_residual <= opts.residual_tol {
                Verdict::Degenerate
            } else {
                Verdict::No
            };
            (None, None, None, v, v)
        } else {
            let res = norm_inf(&omega_s);
            let spec_js = sorted_complex(&DMatrix::from_row_slice(n, n, &js));
            let spec_hs = sorted_symmetric(DMatrix::from_row_slice(d1, d1, &hs));
            if singular(&spec_js, tol) {
                degenerate.push(Degeneracy::SingularJs);
            }
            let hess_def = definite(&spec_hs, tol);
            if hess_def == Verdict::Degenerate {
                degenerate.push(Degeneracy::SemidefiniteStackelbergHessian);
            }
            let critical = res <= opts.residual_tol;
            let (ds, ss) = if critical {
                let ss = stable(&spec_js, tol);
                if ss == Verdict::Degenerate {
                    degenerate.push(Degeneracy::MarginalJs);
                }
                (Verdict::all([followers_def, hess_def]), ss)
            } else {
                (Verdict::No, Verdict::No)
            };
            (Some(res), Some(spec_js), Some(spec_hs), ds, ss)
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
        non_nash_attractor,
        degenerate,
        spectra: Spectra {
            j: spec_j,
            j_s: spec_js,
            d11f1,
            d22f2: spec_h,
            follower_own,
            stackelberg_hessian: spec_hs,
        },
    })
}
