//! Small dense linear algebra on row-major slices, allocation-free after
//! construction: LU with partial pivoting (for the follower's Hessian H) and
//! matrix helpers.

use crate::real::Float;

/// The matrix handed to [`Lu::factor`] is numerically singular.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("singular matrix (pivot {pivot} of {n} below tolerance)")]
pub struct Singular {
    /// The index of the failing pivot (0-based).
    pub pivot: usize,
    /// The matrix dimension.
    pub n: usize,
}

/// An LU factorisation P A = L U of an n x n matrix, reusable across calls.
#[derive(Clone, Debug)]
pub struct Lu<T> {
    n: usize,
    lu: Vec<T>,
    piv: Vec<usize>,
}

impl<T: Float> Lu<T> {
    /// Workspace for n x n matrices.
    pub fn new(n: usize) -> Self {
        Lu {
            n,
            lu: vec![T::zero(); n * n],
            piv: vec![0; n],
        }
    }

    /// The dimension n of the matrices this workspace factors.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// Factors the row-major `a` (n x n). Fails when a pivot is below
    /// `n * eps * max|a_ij|` (numerically singular) or not finite.
    pub fn factor(&mut self, a: &[T]) -> Result<(), Singular> {
        let n = self.n;
        debug_assert_eq!(a.len(), n * n);
        if n == 1 {
            // One follower coordinate: H is a number (the common case).
            let h = a[0];
            if h == T::zero() || !h.is_finite() {
                return Err(Singular { pivot: 0, n });
            }
            self.lu[0] = h;
            self.piv[0] = 0;
            return Ok(());
        }
        self.lu.copy_from_slice(a);
        let lu = &mut self.lu;
        let scale = a.iter().fold(T::zero(), |m, v| m.max(Real::abs(*v)));
        let tol = T::from_usize(n.max(1)) * T::EPS * scale;
        for k in 0..n {
            let mut p = k;
            let mut best = Real::abs(lu[k * n + k]);
            for i in k + 1..n {
                let v = Real::abs(lu[i * n + k]);
                if v > best {
                    best = v;
                    p = i;
                }
            }
            if best <= tol || !best.is_finite() || best == T::zero() {
                return Err(Singular { pivot: k, n });
            }
            self.piv[k] = p;
            if p != k {
                for j in 0..n {
                    lu.swap(k * n + j, p * n + j);
                }
            }
            let d = lu[k * n + k];
            for i in k + 1..n {
                let f = lu[i * n + k] / d;
                lu[i * n + k] = f;
                if f != T::zero() {
                    for j in k + 1..n {
                        let u = lu[k * n + j];
                        lu[i * n + j] -= f * u;
                    }
                }
            }
        }
        Ok(())
    }

    /// Solves A x = b in place (after [`Lu::factor`]).
    pub fn solve(&self, b: &mut [T]) {
        let n = self.n;
        let lu = &self.lu;
        if n == 1 {
            b[0] /= lu[0];
            return;
        }
        for k in 0..n {
            b.swap(k, self.piv[k]);
        }
        for i in 0..n {
            let mut s = b[i];
            for j in 0..i {
                s -= lu[i * n + j] * b[j];
            }
            b[i] = s;
        }
        for i in (0..n).rev() {
            let mut s = b[i];
            for j in i + 1..n {
                s -= lu[i * n + j] * b[j];
            }
            b[i] = s / lu[i * n + i];
        }
    }

    /// Solves A^T x = b in place (after [`Lu::factor`]).
    pub fn solve_transpose(&self, b: &mut [T]) {
        let n = self.n;
        let lu = &self.lu;
        if n == 1 {
            b[0] /= lu[0];
            return;
        }
        // A^T = U^T L^T P, so solve U^T y = b, L^T z = y, x = P^T z.
        for i in 0..n {
            let mut s = b[i];
            for j in 0..i {
                s -= lu[j * n + i] * b[j];
            }
            b[i] = s / lu[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = b[i];
            for j in i + 1..n {
                s -= lu[j * n + i] * b[j];
            }
            b[i] = s;
        }
        for k in (0..n).rev() {
            b.swap(k, self.piv[k]);
        }
    }

    /// Solves A X = B in place for a row-major B with `cols` columns.
    pub fn solve_columns(&self, b: &mut [T], cols: usize, tmp: &mut [T]) {
        let n = self.n;
        for c in 0..cols {
            for i in 0..n {
                tmp[i] = b[i * cols + c];
            }
            self.solve(&mut tmp[..n]);
            for i in 0..n {
                b[i * cols + c] = tmp[i];
            }
        }
    }
}

use crate::real::Real;

/// c (r x k) = a (r x m) * b (m x k), all row-major.
pub fn matmul<T: Float>(a: &[T], b: &[T], r: usize, m: usize, k: usize, c: &mut [T]) {
    for i in 0..r {
        for j in 0..k {
            let mut s = T::zero();
            for l in 0..m {
                s += a[i * m + l] * b[l * k + j];
            }
            c[i * k + j] = s;
        }
    }
}

/// y (k) = a^T x for a row-major a (m x k) and x (m).
pub fn mat_t_vec<T: Float>(a: &[T], x: &[T], m: usize, k: usize, y: &mut [T]) {
    let y = &mut y[..k];
    let mut rows = a.chunks_exact(k).zip(&x[..m]);
    match rows.next() {
        Some((row, &x0)) if x0 != T::zero() => {
            for (yj, &a0) in y.iter_mut().zip(row) {
                *yj = a0 * x0;
            }
        }
        _ => y.fill(T::zero()),
    }
    for (row, &xl) in rows {
        if xl != T::zero() {
            for (yj, &alj) in y.iter_mut().zip(row) {
                *yj += alj * xl;
            }
        }
    }
}

/// Row-major slice to an nalgebra matrix (f64), for inspection.
pub fn to_dmatrix<T: Float>(a: &[T], rows: usize, cols: usize) -> nalgebra::DMatrix<f64> {
    nalgebra::DMatrix::from_fn(rows, cols, |i, j| a[i * cols + j].re())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_solves_and_transposes() {
        let a = [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0f64];
        let mut lu = Lu::new(3);
        lu.factor(&a).unwrap();
        let x = [1.0, -2.0, 0.5];
        let mut b = [0.0; 3];
        matmul(&a, &x, 3, 3, 1, &mut b);
        lu.solve(&mut b);
        for i in 0..3 {
            assert!((b[i] - x[i]).abs() < 1e-14);
        }
        let mut bt = [0.0; 3];
        mat_t_vec(&a, &x, 3, 3, &mut bt);
        lu.solve_transpose(&mut bt);
        for i in 0..3 {
            assert!((bt[i] - x[i]).abs() < 1e-14);
        }
    }

    #[test]
    fn lu_reports_singular() {
        let a = [1.0, 2.0, 2.0, 4.0f64];
        assert!(Lu::new(2).factor(&a).is_err());
    }
}
