//! Classification of a point from the spectra of J, J_S, D11 f1, D22 f2 and
//! the leader's Stackelberg Hessian. The perturbation budget that turns a
//! spectrum into a verdict (Weyl, Henrici, probing) is in `margins`.

use nalgebra::DMatrix;
use serde::Serialize;

use super::spectrum::{eigenvalues, symmetric_eigenvalues};
use super::EquilibriumError;
use crate::blocks::Workspace;
use crate::game::Game;

mod large;
mod margins;
mod verdicts;
pub use large::classify_matrix_free;
use margins::Margins;

/// Above this state dimension n = d1 + d2 (or for games of
/// [`crate::game::Form::Loops`]), [`classify`] decides from extreme
/// eigenvalues found through operators ([`classify_matrix_free`] with
/// default [`crate::equilibria::ExtremeOptions`]) instead of dense spectra:
/// the dense path forms n x n matrices and runs several O(n^3) eigenvalue
/// decompositions (n = 400: a 1.2 MiB matrix per block).
pub const DENSE_CLASSIFY_LIMIT: usize = 400;

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
    /// Absolute floor of the criticality test max_i |F_i| <= residual_tol +
    /// eps max(1, max_i |x_i|).
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
    /// The property holds with every eigenvalue beyond its margin.
    Yes,
    /// The property fails with some eigenvalue beyond its margin.
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
    /// Whether the verdict is `Yes`.
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
    /// Real part.
    pub re: f64,
    /// Imaginary part.
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
    /// An eigenvalue of J lies on the imaginary axis (within
    /// tolerance) at a critical point: marginal stability.
    MarginalJ,
    /// An eigenvalue of J_S lies on the imaginary axis (within tolerance).
    MarginalJs,
    /// D11 f1 is semi-definite within tolerance.
    SemidefiniteLeaderHessian,
    /// A follower's own Hessian is semi-definite within tolerance.
    SemidefiniteFollowerHessian,
    /// The Stackelberg Hessian is semi-definite within tolerance.
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
    /// Above the dense size ([`DENSE_CLASSIFY_LIMIT`], [`classify_matrix_free`]):
    /// each list holds only the extreme eigenvalues found (the k smallest and
    /// k largest by real part, each distinct value once), not the spectrum.
    pub extremes_only: bool,
}

/// Everything [`classify`] decides about one point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    /// The point x = (x1, x2).
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
    /// What was found degenerate (empty when every verdict is decided).
    pub degenerate: Vec<Degeneracy>,
    /// The spectra the verdicts come from.
    pub spectra: Spectra,
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
/// Above [`DENSE_CLASSIFY_LIMIT`] (or for loop-form games) it runs
/// [`classify_matrix_free`]: definiteness and stability are then decided
/// from extreme eigenvalues, and a verdict is `Degenerate` when they cannot
/// decide it (an eigenvalue within tolerance of 0, or Lanczos/Arnoldi did
/// not converge); see there.
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
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    if n > DENSE_CLASSIFY_LIMIT || g.info().form != crate::game::Form::Unrolled {
        return classify_matrix_free(g, x, opts, &Default::default());
    }
    super::check_point(x, n)?;
    let info = g.info();
    let mut ws = Workspace::<f64>::new(g);
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
    let followers_def = Verdict::all(follower_own.iter().map(|e| m.definite(e)));
    let res_tol = opts.residual_tol + m.eps * norm_inf(x).max(1.0);
    let (differential_nash, stable_simultaneous) = verdicts::simultaneous(
        omega_residual <= res_tol,
        m.definite(&d11f1),
        followers_def,
        || m.stable(&spec_j, &radii_j),
        &mut degenerate,
    );

    let radii_h = m.radii(&h, &spec_h);
    let h_singular = stack.is_none() || (opts.eta == 0.0 && Margins::singular(&spec_h, &radii_h));
    let (mut spec_js, mut spec_hs, mut spec_hs_raw, mut omega_s_residual) =
        (None, None, None, None);
    let (differential_stackelberg, stable_stackelberg, stable_two_timescale) =
        match stack.as_ref().filter(|_| !h_singular) {
            None => verdicts::singular_follower(follower_residual, res_tol, &mut degenerate),
            Some((jsm, hsm)) => {
                let res = norm_inf(&omega_s);
                omega_s_residual = Some(res);
                let sjs = eigenvalues(jsm, "J_S")?;
                let shs = symmetric_eigenvalues(hsm, "Stackelberg Hessian")?;
                let shr = eigenvalues(hsm, "Stackelberg Hessian")?;
                let radii_js = m.radii(jsm, &sjs);
                let verdicts = verdicts::stackelberg(
                    res,
                    res_tol,
                    followers_def,
                    Margins::singular(&sjs, &radii_js),
                    m.definite(&shs),
                    || m.stable(&sjs, &radii_js),
                    || {
                        Verdict::all([
                            m.stable(&spec_h, &radii_h),
                            m.stable(&shr, &m.radii(hsm, &shr)),
                        ])
                    },
                    &mut degenerate,
                );
                spec_js = Some(sjs);
                spec_hs = Some(shs);
                spec_hs_raw = Some(shr);
                verdicts
            }
        };

    let non_nash_attractor = verdicts::non_nash_attractor(stable_simultaneous, differential_nash);

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
            extremes_only: false,
        },
    })
}
