//! Dense solves over any [`Real`] (f64, and [`crate::Tangent`] numbers for
//! exact Jacobians): Gaussian elimination with partial pivoting on the
//! magnitude of the value part.

use crate::real::Real;

/// Solves A X = B in place: `a` (n x n, row-major) is overwritten by its
/// elimination, `b` (n x m, row-major) by X. `Err(column)` when a pivot is
/// zero or not finite (A singular).
pub(crate) fn solve_in_place<T: Real>(
    a: &mut [T],
    n: usize,
    b: &mut [T],
    m: usize,
) -> Result<(), usize> {
    for k in 0..n {
        let mut piv = k;
        let mut best = a[k * n + k].re().abs();
        for r in k + 1..n {
            let v = a[r * n + k].re().abs();
            if v > best {
                best = v;
                piv = r;
            }
        }
        if best == 0.0 || !best.is_finite() {
            return Err(k);
        }
        if piv != k {
            for c in 0..n {
                a.swap(k * n + c, piv * n + c);
            }
            for c in 0..m {
                b.swap(k * m + c, piv * m + c);
            }
        }
        let p = a[k * n + k];
        for r in k + 1..n {
            let f = a[r * n + k] / p;
            for c in k..n {
                let v = a[k * n + c];
                a[r * n + c] -= f * v;
            }
            for c in 0..m {
                let v = b[k * m + c];
                b[r * m + c] -= f * v;
            }
        }
    }
    for k in (0..n).rev() {
        let p = a[k * n + k];
        for c in 0..m {
            let mut acc = b[k * m + c];
            for j in k + 1..n {
                acc -= a[k * n + j] * b[j * m + c];
            }
            b[k * m + c] = acc / p;
        }
    }
    Ok(())
}

/// The transpose of the row-major r x c block `a` (c x r).
pub(crate) fn transpose<T: Real>(a: &[T], r: usize, c: usize) -> Vec<T> {
    let mut t = vec![T::zero(); r * c];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = a[i * c + j];
        }
    }
    t
}
