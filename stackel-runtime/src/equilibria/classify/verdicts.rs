//! The rule from block tests to verdicts, shared by the dense [`super::classify`]
//! and the matrix-free [`super::classify_matrix_free`]: they differ only in how
//! a spectrum test (definite, stable, singular) is decided.

use super::{Degeneracy, Verdict};

/// Passes `v` through, recording `flag` when `v` is `Degenerate`.
fn flagged(v: Verdict, flag: Degeneracy, degenerate: &mut Vec<Degeneracy>) -> Verdict {
    if v == Verdict::Degenerate {
        degenerate.push(flag);
    }
    v
}

/// Simultaneous verdicts at a point: differential Nash = (D11 f1 > 0) and
/// (Di fi > 0 for every follower), stable simultaneous = spec(J) in the open
/// right half-plane (`stable_j`), both `No` unless omega(x) = 0 within
/// tolerance (`omega_critical`). Returns (differential Nash, stable
/// simultaneous).
pub(super) fn simultaneous(
    omega_critical: bool,
    leader_def: Verdict,
    followers_def: Verdict,
    stable_j: impl FnOnce() -> Verdict,
    degenerate: &mut Vec<Degeneracy>,
) -> (Verdict, Verdict) {
    let leader_def = flagged(
        leader_def,
        Degeneracy::SemidefiniteLeaderHessian,
        degenerate,
    );
    let followers_def = flagged(
        followers_def,
        Degeneracy::SemidefiniteFollowerHessian,
        degenerate,
    );
    if !omega_critical {
        return (Verdict::No, Verdict::No);
    }
    let nash = Verdict::all([leader_def, followers_def]);
    (nash, flagged(stable_j(), Degeneracy::MarginalJ, degenerate))
}

/// Stackelberg verdicts when D22 f2 + eta I is singular: with
/// D2 f2 = 0 (`follower_residual` <= `res_tol`) the second-order test cannot
/// decide (`Degenerate`), else `No`. Returns (differential Stackelberg,
/// stable Stackelberg, stable two-timescale).
pub(super) fn singular_follower(
    follower_residual: f64,
    res_tol: f64,
    degenerate: &mut Vec<Degeneracy>,
) -> (Verdict, Verdict, Verdict) {
    degenerate.push(Degeneracy::SingularFollowerHessian);
    let v = if follower_residual <= res_tol {
        Verdict::Degenerate
    } else {
        Verdict::No
    };
    (v, v, v)
}

/// Stackelberg verdicts with an invertible follower Hessian, from
/// omega_S's residual `res`: differential Stackelberg = (Di fi > 0) and
/// (H_S > 0), stable Stackelberg = spec(J_S) in the open right half-plane
/// (`stable_js`), stable two-timescale = `stable_tt` (spec(D22 f2) and
/// spec(H_S)); all `No` unless omega_S(x) = 0 within `res_tol`. Returns
/// (differential Stackelberg, stable Stackelberg, stable two-timescale).
#[allow(clippy::too_many_arguments)]
pub(super) fn stackelberg(
    res: f64,
    res_tol: f64,
    followers_def: Verdict,
    js_singular: bool,
    hess_def: Verdict,
    stable_js: impl FnOnce() -> Verdict,
    stable_tt: impl FnOnce() -> Verdict,
    degenerate: &mut Vec<Degeneracy>,
) -> (Verdict, Verdict, Verdict) {
    if js_singular {
        degenerate.push(Degeneracy::SingularJs);
    }
    let hess_def = flagged(
        hess_def,
        Degeneracy::SemidefiniteStackelbergHessian,
        degenerate,
    );
    if res <= res_tol {
        let ss = flagged(stable_js(), Degeneracy::MarginalJs, degenerate);
        (Verdict::all([followers_def, hess_def]), ss, stable_tt())
    } else {
        (Verdict::No, Verdict::No, Verdict::No)
    }
}

/// Non-Nash attractor: stable simultaneous but not differential Nash.
pub(super) fn non_nash_attractor(
    stable_simultaneous: Verdict,
    differential_nash: Verdict,
) -> Verdict {
    match (stable_simultaneous, differential_nash) {
        (Verdict::Yes, Verdict::No) => Verdict::Yes,
        (Verdict::No, _) | (_, Verdict::Yes) => Verdict::No,
        _ => Verdict::Degenerate,
    }
}
