//! The small-state field: the CPU engine's hot loop for games with
//! d1 + d2 <= [`SMALL_N`] and d2 <= 2, in stack arrays with loops of
//! constant length. It is [`crate::field`]'s Stackelberg field with the
//! follower solve in closed form up to d2 = 2 (`CLOSED = 2`).

use super::Rule;
use crate::field::{follower_solve, leader_gradient_from_lambda};
use crate::game::{Game, StackelbergParts};
use crate::real::Float;

/// Largest state (d1 + d2) of the small-state kernel [`small_field`].
pub const SMALL_N: usize = 8;

/// Whether [`small_field`] handles game `G` under `rule`: d1 + d2 <= 8,
/// d2 <= 2, and a rule without the best-response Newton solve (nor the
/// staggered hierarchy's).
pub fn small_kernel_applies<G: Game>(g: &G, rule: Rule) -> bool {
    small_kernel_fits(g.d1(), g.d2()) && !matches!(rule, Rule::BestResponse | Rule::Staggered)
}

/// Whether a game of dimensions (d1, d2) is small enough for
/// [`small_field`] (d1 + d2 <= 8, 1 <= d2 <= 2), whatever the rule: the
/// games whose batched field the CPU engine asks for.
pub fn small_kernel_fits(d1: usize, d2: usize) -> bool {
    d1 + d2 <= SMALL_N && (1..=2).contains(&d2)
}

/// The field g(x) of `rule` for a small game, in stack arrays (no
/// allocation, loops of constant length): the same formulas as
/// [`super::step()`], with (H + eta I)^-T D2 f1 solved in closed form
/// ([`follower_solve`] with `CLOSED = 2`: d2 = 1: lambda = D2f1 / h; d2 = 2:
/// Cramer's rule on H^T). Returns false when H + eta I is singular (h or det
/// is 0 or not finite); the field is written either way, without a branch.
/// `gamma2` is the follower's gamma_k (LOLA only: lambda = gamma2 D2 f1).
#[inline(always)]
pub fn small_field<G: Game, T: Float>(
    g: &G,
    rule: Rule,
    eta: T,
    gamma2: T,
    x: &[T],
    out: &mut [T; SMALL_N],
) -> bool {
    let (d1, d2) = (g.d1(), g.d2());
    if rule == Rule::Simultaneous {
        g.omega(x, &mut out[..d1 + d2]);
        return true;
    }
    let z = T::zero();
    let mut d1f1 = [z; SMALL_N];
    let mut lambda = [z; 2];
    let mut d2f2 = [z; 2];
    let mut h = [z; 4];
    let mut b = [z; 2 * SMALL_N];
    g.stackelberg_parts(
        x,
        StackelbergParts {
            d1f1: &mut d1f1[..d1],
            d2f1: &mut lambda[..d2],
            d2f2: &mut d2f2[..d2],
            d22f2: &mut h[..d2 * d2],
            d21f2: &mut b[..d2 * d1],
        },
    );
    small_field_from_parts(
        rule,
        eta,
        gamma2,
        d1,
        d2,
        &d1f1,
        &mut lambda,
        &d2f2,
        &mut h,
        &b,
        out,
    )
}

/// The rest of [`small_field`] once the Stackelberg parts at x are known
/// (D1 f1 in `d1f1`, D2 f1 in `lambda`, D2 f2, H = D22 f2 in `h`, B = D21 f2
/// in `b`, each in its first entries): lambda = (H + eta I)^-T D2 f1 (or
/// gamma2 D2 f1 for LOLA), then the leader's D1 f1 - B^T lambda and the
/// followers' D2 f2. Returns false when H + eta I is singular.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn small_field_from_parts<T: Float>(
    rule: Rule,
    eta: T,
    gamma2: T,
    d1: usize,
    d2: usize,
    d1f1: &[T; SMALL_N],
    lambda: &mut [T; 2],
    d2f2: &[T; 2],
    h: &mut [T; 4],
    b: &[T; 2 * SMALL_N],
    out: &mut [T; SMALL_N],
) -> bool {
    let mut ok = true;
    if rule == Rule::Lola {
        // leader: D1 f1 - gamma2 B^T D2 f1
        for l in &mut lambda[..d2] {
            *l = gamma2 * *l;
        }
    } else {
        ok = follower_solve::<T, 2>(&mut h[..d2 * d2], eta, &mut lambda[..d2], None).is_ok();
    }
    leader_gradient_from_lambda(&d1f1[..d1], &b[..d2 * d1], &lambda[..d2], &mut out[..d1]);
    out[d1..d1 + d2].copy_from_slice(&d2f2[..d2]);
    ok
}
