//! Classification above the dense size, from extreme eigenvalues computed
//! through the game's operators (Lanczos / Arnoldi,
//! [`crate::equilibria::extremes`]); no d x d block is formed.

use super::margins::Margins;
use super::verdicts;
use super::{norm_inf, Classification, ClassifyOptions, Degeneracy, Eig, Spectra, Verdict};
use crate::equilibria::extremes::{
    arnoldi_extremes, lanczos_extremes, ExtremeOptions, Extremes, GameOperators,
};
use crate::equilibria::EquilibriumError;
use crate::game::Game;

/// Real parts of the extremes found, ascending.
fn reals(e: &Extremes) -> Vec<f64> {
    e.all().iter().map(|v| v.re).collect()
}

/// Definiteness of a symmetric operator from its smallest eigenvalue
/// (Weyl margin eps); `Degenerate` when Lanczos did not converge.
fn definite(m: &Margins, e: &Extremes) -> Verdict {
    if e.converged {
        m.definite(&reals(e))
    } else {
        Verdict::Degenerate
    }
}

/// Stability from the smallest real part (margin eps); `Degenerate` when
/// Arnoldi did not converge.
fn stable(m: &Margins, e: &Extremes) -> Verdict {
    if e.converged {
        let all = e.all();
        m.stable(&all, &vec![m.eps; all.len()])
    } else {
        Verdict::Degenerate
    }
}

/// Some extreme eigenvalue within eps of 0, or no convergence.
fn singular(m: &Margins, e: &Extremes) -> bool {
    let all = e.all();
    !e.converged || Margins::singular(&all, &vec![m.eps; all.len()])
}

/// [`super::classify`] from extreme eigenvalues (see the notes there): the
/// k smallest and k largest (by real part) eigenvalues of J, J_S, D11 f1,
/// D22 f2, each follower's own Hessian and the Stackelberg Hessian H_S,
/// found by Lanczos (symmetric operators) or Arnoldi (general ones) with
/// `extremes`.
///
/// The scale S is the largest |eigenvalue| found of J, J_S and H_S (their
/// spectral radii, where the dense path uses Frobenius norms), eps =
/// max(eig_tol, 16 n u) S as there. A verdict is decided from the extreme
/// eigenvalues with the margin eps (Weyl's for symmetric operators; for
/// general ones eps too, without Henrici's non-normality radius, which
/// needs the whole matrix): positive definite / stable iff the smallest
/// (real part) > eps, `No` iff < -eps. It is `Degenerate` when an extreme
/// eigenvalue is within eps of 0, or when Lanczos/Arnoldi or an inner
/// solve with H + eta I did not converge. H_S is taken as it is (not
/// symmetrised): at a Stackelberg critical point with eta = 0 it is the
/// Hessian of x1 -> f1(x1, r(x1)), symmetric; the spectra in
/// [`Spectra::stackelberg_hessian`] are then its real parts.
pub fn classify_matrix_free<G: Game>(
    g: &G,
    x: &[f64],
    opts: &ClassifyOptions,
    extremes: &ExtremeOptions,
) -> Result<Classification, EquilibriumError> {
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    super::super::check_point(x, n)?;
    let info = g.info();
    let mut degenerate = Vec::new();
    let mut costs = vec![g.leader_cost(x)];
    costs.extend((0..info.followers.len()).map(|i| g.follower_cost(i, x)));
    let mut omega = vec![0.0; n];
    g.omega(x, &mut omega);
    let omega_residual = norm_inf(&omega);
    let follower_residual = norm_inf(&omega[d1..]);

    let mut ops = GameOperators::new(g, x, opts.eta);
    let lambda_ok = ops.solves_ok();
    let spec_j = arnoldi_extremes(n, |v, o| ops.jacobian(v, o), extremes);
    let d11f1 = lanczos_extremes(d1, |v, o| ops.d11f1(v, o), extremes);
    let one_follower = info.followers.len() <= 1;
    let spec_h = if one_follower {
        lanczos_extremes(d2, |v, o| ops.d22f2(v, o), extremes)
    } else {
        arnoldi_extremes(d2, |v, o| ops.d22f2(v, o), extremes)
    };
    let mut full = vec![0.0; d2];
    let mut image = vec![0.0; d2];
    let follower_own: Vec<Extremes> = info
        .followers
        .iter()
        .map(|p| {
            let o = p.offset - d1;
            lanczos_extremes(
                p.dim,
                |v, out| {
                    full.fill(0.0);
                    full[o..o + p.dim].copy_from_slice(v);
                    ops.d22f2(&full, &mut image);
                    out.copy_from_slice(&image[o..o + p.dim]);
                },
                extremes,
            )
        })
        .collect();

    let mut omega_s = vec![0.0; n];
    let stack = if lambda_ok {
        let mut bt = vec![0.0; d1];
        g.d21f2_tmul(x, ops.lambda(), &mut bt);
        g.d1f1(x, &mut omega_s[..d1]);
        for i in 0..d1 {
            omega_s[i] -= bt[i];
        }
        omega_s[d1..].copy_from_slice(&omega[d1..]);
        let js = arnoldi_extremes(n, |v, o| ops.stackelberg_jacobian(v, o), extremes);
        let hs = arnoldi_extremes(d1, |v, o| ops.stackelberg_hessian(v, o), extremes);
        ops.solves_ok().then_some((js, hs))
    } else {
        None
    };

    let scale = stack
        .as_ref()
        .map_or(0.0, |(a, b)| a.scale.max(b.scale))
        .max(spec_j.scale);
    let m = Margins {
        eps: opts.eig_tol.max(16.0 * n as f64 * f64::EPSILON) * scale,
    };
    if singular(&m, &spec_j) {
        degenerate.push(Degeneracy::SingularJ);
    }
    let followers_def = Verdict::all(follower_own.iter().map(|e| definite(&m, e)));
    let res_tol = opts.residual_tol + m.eps * norm_inf(x).max(1.0);
    let (differential_nash, stable_simultaneous) = verdicts::simultaneous(
        omega_residual <= res_tol,
        definite(&m, &d11f1),
        followers_def,
        || stable(&m, &spec_j),
        &mut degenerate,
    );

    let h_singular = stack.is_none() || (opts.eta == 0.0 && singular(&m, &spec_h));
    let (mut spec_js, mut spec_hs, mut spec_hs_raw, mut omega_s_residual) =
        (None, None, None, None);
    let (differential_stackelberg, stable_stackelberg, stable_two_timescale) =
        match stack.as_ref().filter(|_| !h_singular) {
            None => verdicts::singular_follower(follower_residual, res_tol, &mut degenerate),
            Some((js, hs)) => {
                let res = norm_inf(&omega_s);
                omega_s_residual = Some(res);
                let verdicts = verdicts::stackelberg(
                    res,
                    res_tol,
                    followers_def,
                    singular(&m, js),
                    definite(&m, hs),
                    || stable(&m, js),
                    || Verdict::all([stable(&m, &spec_h), stable(&m, hs)]),
                    &mut degenerate,
                );
                spec_js = Some(js.all());
                spec_hs = Some(reals(hs));
                spec_hs_raw = Some(hs.all());
                verdicts
            }
        };
    let non_nash_attractor = verdicts::non_nash_attractor(stable_simultaneous, differential_nash);
    let h_all: Vec<Eig> = spec_h.all();
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
            j: spec_j.all(),
            j_s: spec_js,
            d11f1: reals(&d11f1),
            d22f2: h_all,
            follower_own: follower_own.iter().map(reals).collect(),
            stackelberg_hessian: spec_hs,
            stackelberg_hessian_unsymmetrised: spec_hs_raw,
            scale,
            extremes_only: true,
        },
    })
}
