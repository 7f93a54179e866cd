//! Bounded eigenvalue computations: every routine here stops after a fixed
//! number of iterations and reports [`SpectrumFailed`] instead of looping.
//!
//! - General (non-symmetric) matrices, [`eigenvalues`]: nalgebra's real
//!   Schur decomposition with at most `40 n` double-shift sweeps; if it does
//!   not converge, the matrix is scaled to max |a_ij| = 1, balanced
//!   (Parlett-Reinsch, powers of 2, at most 100 sweeps), reduced to
//!   Hessenberg form and solved by the Francis double-shift QR of EISPACK's
//!   `hqr` with exceptional shifts at iterations 10 and 20 and a limit of 30
//!   per eigenvalue; then the same without balancing.
//! - Symmetric matrices, [`symmetric_eigenvalues`]: nalgebra's implicit QR
//!   with at most `60 n` sweeps, then cyclic Jacobi rotations (at most 100
//!   sweeps; quadratically convergent).

use nalgebra::{DMatrix, Hessenberg, Schur, SymmetricEigen};

use super::classify::Eig;

/// No eigenvalue routine converged within its iteration bound, or the matrix
/// has a NaN or infinite entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("spectrum of {matrix} ({n} x {n}) failed: {reason}")]
pub struct SpectrumFailed {
    /// Which matrix (`"J"`, `"J_S"`, `"D11 f1"`, ...).
    pub matrix: &'static str,
    /// Its dimension.
    pub n: usize,
    /// Which bound was hit, or the non-finite entry.
    pub reason: &'static str,
}

/// Sweeps of nalgebra's Schur iteration allowed per row.
const SCHUR_SWEEPS_PER_ROW: usize = 40;
/// Sweeps of nalgebra's symmetric QR iteration allowed per row.
const SYMMETRIC_SWEEPS_PER_ROW: usize = 60;

fn check_finite(a: &DMatrix<f64>, matrix: &'static str) -> Result<(), SpectrumFailed> {
    if a.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(SpectrumFailed {
            matrix,
            n: a.nrows(),
            reason: "non-finite entry",
        })
    }
}

/// The eigenvalues of the square matrix `a`, sorted by real part then
/// imaginary part (see the module docs for the bounded fallbacks).
pub fn eigenvalues(a: &DMatrix<f64>, matrix: &'static str) -> Result<Vec<Eig>, SpectrumFailed> {
    check_finite(a, matrix)?;
    let n = a.nrows();
    let done = |mut v: Vec<Eig>| {
        v.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
        v
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    let finite = |v: &[Eig]| v.len() == n && v.iter().all(|e| e.re.is_finite() && e.im.is_finite());
    if let Some(s) = Schur::try_new(a.clone(), f64::EPSILON, SCHUR_SWEEPS_PER_ROW * n.max(1)) {
        let v: Vec<Eig> = s
            .complex_eigenvalues()
            .iter()
            .map(|c| Eig { re: c.re, im: c.im })
            .collect();
        if finite(&v) {
            return Ok(done(v));
        }
    }
    for balance in [true, false] {
        if let Some(v) = hqr_eigenvalues(a, balance) {
            if finite(&v) {
                return Ok(done(v));
            }
        }
    }
    Err(SpectrumFailed {
        matrix,
        n,
        reason: "no QR iteration converged within its bound",
    })
}

/// The eigenvalues of the symmetric part (A + A^T) / 2 of `a`, ascending.
pub fn symmetric_eigenvalues(
    a: &DMatrix<f64>,
    matrix: &'static str,
) -> Result<Vec<f64>, SpectrumFailed> {
    check_finite(a, matrix)?;
    let n = a.nrows();
    let sym = (a + a.transpose()) * 0.5;
    let mut v: Vec<f64> = match SymmetricEigen::try_new(
        sym.clone(),
        f64::EPSILON,
        SYMMETRIC_SWEEPS_PER_ROW * n.max(1),
    ) {
        Some(e) if e.eigenvalues.iter().all(|v| v.is_finite()) => {
            e.eigenvalues.iter().copied().collect()
        }
        _ => jacobi_eigenvalues(&sym).ok_or(SpectrumFailed {
            matrix,
            n,
            reason: "neither symmetric QR nor Jacobi converged within its bound",
        })?,
    };
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// Eigenvalues by Hessenberg reduction and Francis double-shift QR (EISPACK
/// `hqr`), after scaling to max |a_ij| = 1 and, if `balance`, Parlett-Reinsch
/// balancing. `None` when an eigenvalue needs more than 30 iterations.
pub(crate) fn hqr_eigenvalues(a: &DMatrix<f64>, balance: bool) -> Option<Vec<Eig>> {
    let n = a.nrows();
    let amax = a.amax();
    if amax == 0.0 {
        return Some(vec![Eig { re: 0.0, im: 0.0 }; n]);
    }
    let mut m = a / amax;
    if balance {
        balance_in_place(&mut m);
    }
    let h = Hessenberg::new(m).unpack_h();
    let mut v = hqr(h)?;
    for e in &mut v {
        e.re *= amax;
        e.im *= amax;
    }
    Some(v)
}

/// Parlett-Reinsch balancing with powers of 2 (similarity D^-1 A D), at most
/// 100 sweeps.
fn balance_in_place(m: &mut DMatrix<f64>) {
    let n = m.nrows();
    for _ in 0..100 {
        let mut done = true;
        for i in 0..n {
            let c: f64 = (0..n).filter(|&j| j != i).map(|j| m[(j, i)].abs()).sum();
            let r: f64 = (0..n).filter(|&j| j != i).map(|j| m[(i, j)].abs()).sum();
            if c == 0.0 || r == 0.0 {
                continue;
            }
            let s = c + r;
            let (mut c2, mut f) = (c, 1.0);
            let mut steps = 0;
            while c2 < r / 2.0 && steps < 1100 {
                c2 *= 2.0;
                f *= 2.0;
                steps += 1;
            }
            while c2 >= r * 2.0 && steps < 2200 {
                c2 /= 2.0;
                f /= 2.0;
                steps += 1;
            }
            if (c2 + r / f) < 0.95 * s {
                done = false;
                for j in 0..n {
                    m[(j, i)] *= f;
                    m[(i, j)] /= f;
                }
            }
        }
        if done {
            return;
        }
    }
}

fn sign(a: f64, b: f64) -> f64 {
    if b >= 0.0 {
        a.abs()
    } else {
        -a.abs()
    }
}

/// Eigenvalues of an upper Hessenberg matrix by the Francis double-shift QR
/// iteration with exceptional shifts (EISPACK `hqr`, as in Numerical
/// Recipes); 1-based indices internally. `None` after 30 iterations on one
/// eigenvalue.
// Index loops kept as in the published algorithm, which is easier to check.
#[allow(clippy::needless_range_loop)]
fn hqr(h: DMatrix<f64>) -> Option<Vec<Eig>> {
    let n = h.nrows();
    // 1-based copy
    let mut a = vec![vec![0.0f64; n + 1]; n + 1];
    for i in 0..n {
        for j in 0..n {
            a[i + 1][j + 1] = h[(i, j)];
        }
    }
    let mut wr = vec![0.0; n + 1];
    let mut wi = vec![0.0; n + 1];
    let mut anorm = 0.0;
    for i in 1..=n {
        for j in (i.max(2) - 1)..=n {
            anorm += a[i][j].abs();
        }
    }
    let mut nn = n;
    let mut t = 0.0;
    let (mut p, mut q, mut r, mut s, mut w, mut x, mut y, mut z);
    while nn >= 1 {
        let mut its = 0;
        loop {
            let mut l = nn;
            while l >= 2 {
                s = a[l - 1][l - 1].abs() + a[l][l].abs();
                if s == 0.0 {
                    s = anorm;
                }
                if a[l][l - 1].abs() + s == s {
                    a[l][l - 1] = 0.0;
                    break;
                }
                l -= 1;
            }
            x = a[nn][nn];
            if l == nn {
                wr[nn] = x + t;
                wi[nn] = 0.0;
                nn -= 1;
            } else {
                y = a[nn - 1][nn - 1];
                w = a[nn][nn - 1] * a[nn - 1][nn];
                if l == nn - 1 {
                    p = 0.5 * (y - x);
                    q = p * p + w;
                    z = q.abs().sqrt();
                    x += t;
                    if q >= 0.0 {
                        z = p + sign(z, p);
                        wr[nn - 1] = x + z;
                        wr[nn] = x + z;
                        if z != 0.0 {
                            wr[nn] = x - w / z;
                        }
                        wi[nn - 1] = 0.0;
                        wi[nn] = 0.0;
                    } else {
                        wr[nn - 1] = x + p;
                        wr[nn] = x + p;
                        wi[nn - 1] = -z;
                        wi[nn] = z;
                    }
                    nn -= 2;
                } else {
                    if its == 30 {
                        return None;
                    }
                    if its == 10 || its == 20 {
                        // exceptional shift
                        t += x;
                        for i in 1..=nn {
                            a[i][i] -= x;
                        }
                        s = a[nn][nn - 1].abs() + a[nn - 1][nn - 2].abs();
                        x = 0.75 * s;
                        y = x;
                        w = -0.4375 * s * s;
                    }
                    its += 1;
                    let mut m = nn - 2;
                    loop {
                        z = a[m][m];
                        r = x - z;
                        s = y - z;
                        p = (r * s - w) / a[m + 1][m] + a[m][m + 1];
                        q = a[m + 1][m + 1] - z - r - s;
                        r = a[m + 2][m + 1];
                        s = p.abs() + q.abs() + r.abs();
                        p /= s;
                        q /= s;
                        r /= s;
                        if m == l {
                            break;
                        }
                        let u = a[m][m - 1].abs() * (q.abs() + r.abs());
                        let v = p.abs() * (a[m - 1][m - 1].abs() + z.abs() + a[m + 1][m + 1].abs());
                        if u + v == v {
                            break;
                        }
                        m -= 1;
                    }
                    for i in m + 2..=nn {
                        a[i][i - 2] = 0.0;
                        if i != m + 2 {
                            a[i][i - 3] = 0.0;
                        }
                    }
                    let mut k = m;
                    while k < nn {
                        if k != m {
                            p = a[k][k - 1];
                            q = a[k + 1][k - 1];
                            r = 0.0;
                            if k != nn - 1 {
                                r = a[k + 2][k - 1];
                            }
                            x = p.abs() + q.abs() + r.abs();
                            if x != 0.0 {
                                p /= x;
                                q /= x;
                                r /= x;
                            }
                        }
                        s = sign((p * p + q * q + r * r).sqrt(), p);
                        if s != 0.0 {
                            if k == m {
                                if l != m {
                                    a[k][k - 1] = -a[k][k - 1];
                                }
                            } else {
                                a[k][k - 1] = -s * x;
                            }
                            p += s;
                            x = p / s;
                            y = q / s;
                            z = r / s;
                            q /= p;
                            r /= p;
                            for j in k..=nn {
                                p = a[k][j] + q * a[k + 1][j];
                                if k != nn - 1 {
                                    p += r * a[k + 2][j];
                                    a[k + 2][j] -= p * z;
                                }
                                a[k + 1][j] -= p * y;
                                a[k][j] -= p * x;
                            }
                            let mmin = nn.min(k + 3);
                            for i in l..=mmin {
                                p = x * a[i][k] + y * a[i][k + 1];
                                if k != nn - 1 {
                                    p += z * a[i][k + 2];
                                    a[i][k + 2] -= p * r;
                                }
                                a[i][k + 1] -= p * q;
                                a[i][k] -= p;
                            }
                        }
                        k += 1;
                    }
                }
            }
            if nn < 2 || l + 1 >= nn {
                break;
            }
        }
    }
    Some(
        (1..=n)
            .map(|i| Eig {
                re: wr[i],
                im: wi[i],
            })
            .collect(),
    )
}

/// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations; `None`
/// when 100 sweeps do not bring the off-diagonal mass below eps |A|_F.
pub(crate) fn jacobi_eigenvalues(sym: &DMatrix<f64>) -> Option<Vec<f64>> {
    let n = sym.nrows();
    let mut a = sym.clone();
    let fro = a.norm();
    if fro == 0.0 {
        return Some(vec![0.0; n]);
    }
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[(i, j)] * a[(i, j)])
            .sum::<f64>()
            .sqrt();
        if off <= f64::EPSILON * fro {
            return Some((0..n).map(|i| a[(i, i)]).collect());
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[(p, q)];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[(q, q)] - a[(p, p)]) / (2.0 * apq);
                let t = sign(1.0, theta) / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[(k, p)], a[(k, q)]);
                    a[(k, p)] = c * akp - s * akq;
                    a[(k, q)] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[(p, k)], a[(q, k)]);
                    a[(p, k)] = c * apk - s * aqk;
                    a[(q, k)] = s * apk + c * aqk;
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// Product of (z - lambda_k) evaluated through the characteristic
    /// polynomial: each computed lambda makes A - lambda I singular, so its
    /// smallest singular value is tiny relative to |A|.
    fn is_eigenvalue(a: &DMatrix<f64>, e: Eig) -> bool {
        let n = a.nrows();
        let ac = a.map(|v| nalgebra::Complex::new(v, 0.0));
        let shifted = ac
            - DMatrix::<nalgebra::Complex<f64>>::identity(n, n)
                * nalgebra::Complex::new(e.re, e.im);
        let sv = shifted.singular_values();
        sv.min() <= 1e-10 * a.norm().max(1.0)
    }

    #[test]
    fn hqr_finds_the_spectrum_of_random_and_structured_matrices() {
        let mut seed = 7u64;
        for n in [1usize, 2, 3, 5, 8, 13] {
            for balance in [true, false] {
                let a = DMatrix::from_fn(n, n, |_, _| lcg(&mut seed));
                let v = hqr_eigenvalues(&a, balance).expect("converges");
                assert_eq!(v.len(), n);
                let tr: f64 = v.iter().map(|e| e.re).sum();
                assert!(
                    (tr - a.trace()).abs() < 1e-10,
                    "trace {tr} vs {}",
                    a.trace()
                );
                let im: f64 = v.iter().map(|e| e.im).sum();
                assert!(im.abs() < 1e-10);
                for e in v {
                    assert!(is_eigenvalue(&a, e), "{e} not an eigenvalue of {a}");
                }
            }
        }
        // rotation generator: +-i; companion matrix of (z-1)(z-2)(z-3)
        let rot = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]);
        let v = hqr_eigenvalues(&rot, true).unwrap();
        assert!(v
            .iter()
            .all(|e| e.re.abs() < 1e-15 && (e.im.abs() - 1.0).abs() < 1e-15));
        let comp = DMatrix::from_row_slice(3, 3, &[6.0, -11.0, 6.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        let mut re: Vec<f64> = hqr_eigenvalues(&comp, true)
            .unwrap()
            .iter()
            .map(|e| e.re)
            .collect();
        re.sort_by(f64::total_cmp);
        for (r, want) in re.iter().zip([1.0, 2.0, 3.0]) {
            assert!((r - want).abs() < 1e-12, "{re:?}");
        }
    }

    #[test]
    fn jacobi_matches_symmetric_qr() {
        let mut seed = 11u64;
        for n in [1usize, 2, 4, 9] {
            let b = DMatrix::from_fn(n, n, |_, _| lcg(&mut seed));
            let s = &b + b.transpose();
            let mut j = jacobi_eigenvalues(&s).unwrap();
            j.sort_by(f64::total_cmp);
            let mut r: Vec<f64> = SymmetricEigen::try_new(s.clone(), f64::EPSILON, 10_000)
                .unwrap()
                .eigenvalues
                .iter()
                .copied()
                .collect();
            r.sort_by(f64::total_cmp);
            for (x, y) in j.iter().zip(&r) {
                assert!((x - y).abs() < 1e-12 * s.norm().max(1.0), "{j:?} vs {r:?}");
            }
        }
    }

    #[test]
    fn non_finite_and_empty_matrices() {
        let a = DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, 0.0, 1.0]);
        assert_eq!(eigenvalues(&a, "A").unwrap_err().reason, "non-finite entry");
        assert!(symmetric_eigenvalues(&a, "A").is_err());
        assert!(eigenvalues(&DMatrix::zeros(0, 0), "A").unwrap().is_empty());
        let z = eigenvalues(&DMatrix::zeros(3, 3), "A").unwrap();
        assert!(z.iter().all(|e| e.re == 0.0 && e.im == 0.0));
    }
}
