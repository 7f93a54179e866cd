//! The Stackelberg field, once (design.md, "Math reference"): the follower's
//! adjoint solve and the total leader gradient that every Rust path uses
//! ([`crate::blocks::Workspace`], [`crate::dynamics::step()`] and the CPU
//! engine's small kernel [`crate::dynamics::small_field`]).
//!
//! With H = D22 f2 + eta I and B = D21 f2 (d2 x d1, row-major):
//!
//! - the follower solve lambda = H^-T D2 f1 ([`follower_solve`]);
//! - the total leader gradient Df1 = D1 f1 - B^T lambda
//!   ([`leader_gradient_from_lambda`]), i.e. D1 f1 - D21f2^T (D22 f2 + eta I)^-T D2 f1;
//! - LOLA's leader term D1 f1 - gamma2 B^T D2 f1 is the same contraction with
//!   lambda = gamma2 D2 f1.
//!
//! The solve is specialised by the follower dimension d2, up to a bound
//! `CLOSED` chosen by each caller at compile time: d2 = 1 divides
//! (lambda = D2 f1 / h, the same arithmetic as a 1 x 1 LU), d2 = 2 uses
//! Cramer's rule on H^T, larger d2 an LU factorisation with partial pivoting.
//! The small kernel takes `CLOSED = 2`, the general step `CLOSED = 1` and
//! the workspace `CLOSED = 0` (it keeps the LU for its later solves), so for
//! d2 = 2 the small kernel and the general path may differ in the last bits,
//! as the engine documents.

use crate::linalg::{Lu, Singular};
use crate::real::Float;

/// lambda <- (H + eta I)^-T lambda for d2 = `lambda.len()`; on entry `h`
/// holds D22 f2 (d2 x d2, row-major) and `lambda` holds D2 f1.
///
/// - d2 = 1 <= `CLOSED`: lambda = D2 f1 / (h + eta);
/// - d2 = 2 <= `CLOSED`: Cramer's rule on (H + eta I)^T, det = h00 h11 - h01 h10;
/// - otherwise: `h` gets eta on its diagonal, `lu` factors it and solves
///   the transposed system (the factorisation stays in `lu`).
///
/// The closed forms always write lambda (NaN or infinite when H + eta I is
/// singular), so that the small kernel stays branch-free; every form returns
/// `Err` when H + eta I is singular (a zero or non-finite pivot or
/// determinant, see [`Lu::factor`]).
#[inline(always)]
pub fn follower_solve<T: Float, const CLOSED: usize>(
    h: &mut [T],
    eta: T,
    lambda: &mut [T],
    lu: Option<&mut Lu<T>>,
) -> Result<(), Singular> {
    let d2 = lambda.len();
    let z = T::zero();
    if d2 == 1 && CLOSED >= 1 {
        let hh = h[0] + eta;
        lambda[0] /= hh;
        return if hh != z && hh.is_finite() {
            Ok(())
        } else {
            Err(Singular { pivot: 0, n: 1 })
        };
    }
    if d2 == 2 && CLOSED >= 2 {
        let (h00, h01, h10, h11) = (h[0] + eta, h[1], h[2], h[3] + eta);
        let det = h00 * h11 - h01 * h10;
        let (g0, g1) = (lambda[0], lambda[1]);
        lambda[0] = (h11 * g0 - h10 * g1) / det;
        lambda[1] = (h00 * g1 - h01 * g0) / det;
        return if det != z && det.is_finite() {
            Ok(())
        } else {
            Err(Singular { pivot: 0, n: 2 })
        };
    }
    let lu = lu.expect("follower_solve: an LU buffer is needed above the closed forms");
    if eta != z {
        for i in 0..d2 {
            h[i * d2 + i] += eta;
        }
    }
    lu.factor(h)?;
    lu.solve_transpose(lambda);
    Ok(())
}

/// Df1 = D1 f1 - B^T lambda into `out` (len d1): out_i = d1f1_i - sum_a
/// B_ai lambda_a, summed from a = 0 in order (the first product starts the
/// sum). `b` is B = D21 f2 (d2 x d1, row-major), d2 = `lambda.len()`.
#[inline(always)]
pub fn leader_gradient_from_lambda<T: Float>(d1f1: &[T], b: &[T], lambda: &[T], out: &mut [T]) {
    let (d1, d2) = (d1f1.len(), lambda.len());
    for i in 0..d1 {
        let mut acc = b[i] * lambda[0];
        for a in 1..d2 {
            acc += b[a * d1 + i] * lambda[a];
        }
        out[i] = d1f1[i] - acc;
    }
}

/// The total leader gradient Df1 = D1 f1 - B^T (H + eta I)^-T D2 f1 into
/// `out` (len d1): [`follower_solve`] then [`leader_gradient_from_lambda`].
/// On entry `lambda` holds D2 f1 and `h` holds D22 f2; on exit `lambda` =
/// (H + eta I)^-T D2 f1. `out` is left untouched when H + eta I is singular
/// (the small kernel, which must not branch, calls the two parts itself).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn total_leader_gradient<T: Float, const CLOSED: usize>(
    d1f1: &[T],
    b: &[T],
    h: &mut [T],
    eta: T,
    lambda: &mut [T],
    lu: Option<&mut Lu<T>>,
    out: &mut [T],
) -> Result<(), Singular> {
    follower_solve::<T, CLOSED>(h, eta, lambda, lu)?;
    leader_gradient_from_lambda(d1f1, b, lambda, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::mat_t_vec;

    /// A well-conditioned 3 x 3 H, a 3 x 2 B and vectors.
    fn sample(d2: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let h3 = [4.0, 1.0, -0.5, 0.3, 3.0, 0.7, -0.2, 0.4, 5.0];
        let h: Vec<f64> = (0..d2 * d2).map(|k| h3[(k / d2) * 3 + k % d2]).collect();
        let b: Vec<f64> = (0..d2 * 2).map(|k| 0.5 + k as f64 * 0.75).collect();
        let d2f1: Vec<f64> = (0..d2).map(|k| 1.0 - 0.6 * k as f64).collect();
        (h, b, d2f1, vec![2.0, -1.5])
    }

    #[test]
    fn closed_forms_agree_with_lu() {
        for d2 in [1usize, 2] {
            for eta in [0.0, 0.25] {
                let (h, _, d2f1, _) = sample(d2);
                let (mut hc, mut lc) = (h.clone(), d2f1.clone());
                follower_solve::<f64, 2>(&mut hc, eta, &mut lc, None).unwrap();
                let (mut hl, mut ll) = (h.clone(), d2f1.clone());
                follower_solve::<f64, 0>(&mut hl, eta, &mut ll, Some(&mut Lu::new(d2))).unwrap();
                // (H + eta I)^T lambda = D2 f1, checked by a dense product
                let mut ht = h.clone();
                for i in 0..d2 {
                    ht[i * d2 + i] += eta;
                }
                let mut back = vec![0.0; d2];
                mat_t_vec(&ht, &lc, d2, d2, &mut back);
                for a in 0..d2 {
                    assert!((lc[a] - ll[a]).abs() < 1e-14, "d2 = {d2}");
                    assert!((back[a] - d2f1[a]).abs() < 1e-14, "d2 = {d2}");
                }
            }
        }
    }

    #[test]
    fn leader_gradient_matches_dense_formula() {
        let (h, b, d2f1, d1f1) = sample(3);
        let mut out = [0.0; 2];
        let (mut hh, mut lambda) = (h.clone(), d2f1.clone());
        total_leader_gradient::<f64, 2>(
            &d1f1,
            &b,
            &mut hh,
            0.0,
            &mut lambda,
            Some(&mut Lu::new(3)),
            &mut out,
        )
        .unwrap();
        // dense reference: Df1 = D1 f1 - B^T H^-T D2 f1 with nalgebra
        let hm = nalgebra::DMatrix::from_row_slice(3, 3, &h);
        let bm = nalgebra::DMatrix::from_row_slice(3, 2, &b);
        let l = hm
            .transpose()
            .lu()
            .solve(&nalgebra::DVector::from_vec(d2f1))
            .unwrap();
        let r = nalgebra::DVector::from_vec(d1f1) - bm.transpose() * l;
        for i in 0..2 {
            assert!((out[i] - r[i]).abs() < 1e-13);
        }
    }

    #[test]
    fn singular_follower_hessian_is_an_error_on_every_path() {
        let mut l = [1.0];
        assert!(follower_solve::<f64, 1>(&mut [0.5], -0.5, &mut l, None).is_err());
        let mut l2 = [1.0, 2.0];
        let h = [1.0, 2.0, 2.0, 4.0];
        assert!(follower_solve::<f64, 2>(&mut h.clone(), 0.0, &mut l2, None).is_err());
        let mut l2 = [1.0, 2.0];
        let mut lu = Lu::new(2);
        assert!(follower_solve::<f64, 1>(&mut h.clone(), 0.0, &mut l2, Some(&mut lu)).is_err());
    }
}
