//! Flops per trajectory step of each learning rule: the game's counted
//! methods plus closed forms of the runtime's own arithmetic (docs/cost.md).

/// Flops of one trajectory step of a learning rule:
/// `game + runtime + k * per_iteration` for a step whose follower solve
/// takes k Krylov iterations (`per_iteration` is 0 on the dense path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFlops {
    /// The rule (`"simultaneous"`, `"two-timescale"`, `"best response"`, `"lola"`).
    pub rule: &'static str,
    /// `"dense"` or `"matrix-free"` (the follower solve's path).
    pub path: &'static str,
    /// Flops of the game's methods the step calls (once each).
    pub game: u64,
    /// Flops of the runtime's own arithmetic (solve, contraction, update).
    pub runtime: u64,
    /// Flops of one Krylov iteration (its operator product included).
    pub per_iteration: u64,
    /// How the step is counted.
    pub model: &'static str,
}

impl RuleFlops {
    /// game + runtime (the whole step on the dense path, the step without
    /// its Krylov iterations on the matrix-free path).
    pub fn total(&self) -> u64 {
        self.game + self.runtime
    }

    /// The step's flops when its follower solve takes `k` iterations.
    pub fn with_iterations(&self, k: u64) -> u64 {
        self.total() + k * self.per_iteration
    }
}

/// Flops of the dense follower solve lambda <- (H + eta I)^-T lambda in one
/// step ([`crate::field::follower_solve`] with `CLOSED = 1`) at eta = 0 (the
/// default; eta != 0 adds d2 for d2 >= 2): d2 = 1 is h + eta and one
/// division (2); above, the LU factorisation ([`lu_factor_flops`]) and the
/// transposed solve ([`lu_solve_flops`]).
pub fn follower_solve_flops(d2: u64) -> u64 {
    if d2 == 1 {
        2
    } else {
        lu_factor_flops(d2) + lu_solve_flops(d2)
    }
}

/// Flops of [`crate::linalg::Lu::factor`] on an n x n matrix with no zero
/// multiplier: the pivot tolerance n eps max|a_ij| (2), then for each pivot
/// k, n - k - 1 divisions and 2 (n - k - 1)^2 multiply-subtracts:
/// 2 + sum_{j < n} (j + 2 j^2) = 2 + n(n-1)/2 + n(n-1)(2n-1)/3 (0 for
/// n = 1, which only checks the number).
pub fn lu_factor_flops(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    2 + n * (n - 1) / 2 + n * (n - 1) * (2 * n - 1) / 3
}

/// Flops of [`crate::linalg::Lu::solve`] or `solve_transpose` (n x n):
/// 2 n(n-1) multiply-subtracts and n divisions, 2 n^2 - n (1 for n = 1).
pub fn lu_solve_flops(n: u64) -> u64 {
    2 * n * n - n
}

/// The flops of one trajectory step of each rule on the dense path,
/// plain optimiser, from the flops of the game's `omega`, fused
/// `stackelberg_parts`, `d2f2` and `d22f2` (n = d1 + d2):
///
/// - simultaneous: omega + update(n);
/// - two-timescale: parts + solve(d2) + B^T lambda + update(n);
/// - LOLA: parts + d2 (lambda = gamma2 D2 f1) + B^T lambda + update(n);
/// - best response, one Newton iteration with one line-search trial:
///   d2f2 + 1 (tolerance) + [d22f2 + newton(d2) + 2 (step test) + 2 d2 +
///   d2f2] + parts + solve(d2) + B^T lambda + update(d1);
///
/// with B^T lambda = D1 f1 - B^T lambda over d1 rows (2 d1 d2: d2
/// multiplications, d2 - 1 additions, one subtraction), update(m) = 4m
/// (x_i -= gamma_i (g_i + sigma_i z_i)) and solve(d2) =
/// [`follower_solve_flops`], newton(d2) = [`lu_factor_flops`] +
/// [`lu_solve_flops`], and 4 per angle coordinate for the wrap
/// x - 2 pi floor((x + pi) / 2 pi) after every rule. Adam adds 14 flops per
/// updated coordinate. Comparisons, abs and max (the Newton test's norms)
/// are not flops.
pub fn rule_flops(
    d1: u64,
    d2: u64,
    angles: u64,
    omega: u64,
    parts: u64,
    d2f2: u64,
    d22f2: u64,
) -> Vec<RuleFlops> {
    let n = d1 + d2;
    let update = |m: u64| 4 * m + 4 * angles;
    let bt = 2 * d1 * d2;
    let solve = follower_solve_flops(d2);
    let newton_solve = lu_factor_flops(d2) + lu_solve_flops(d2);
    vec![
        RuleFlops {
            rule: "simultaneous",
            path: "dense",
            per_iteration: 0,
            game: omega,
            runtime: update(n),
            model: "omega + 4n + wrap",
        },
        RuleFlops {
            rule: "two-timescale",
            path: "dense",
            per_iteration: 0,
            game: parts,
            runtime: solve + bt + update(n),
            model: "parts + solve(d2) + 2 d1 d2 + 4n + wrap",
        },
        RuleFlops {
            rule: "best response",
            path: "dense",
            per_iteration: 0,
            game: 2 * d2f2 + d22f2 + parts,
            runtime: 3 + newton_solve + 2 * d2 + solve + bt + update(d1),
            model: "2 d2f2 + d22f2 + parts + 3 + newton(d2) + 2 d2 + solve(d2) + 2 d1 d2 + 4 d1 + wrap (1 Newton iteration)",
        },
        RuleFlops {
            rule: "lola",
            path: "dense",
            per_iteration: 0,
            game: parts,
            runtime: d2 + bt + update(n),
            model: "parts + d2 + 2 d1 d2 + 4n + wrap",
        },
    ]
}

/// The flops of one step on the matrix-free path with one follower
/// (conjugate gradients, [`crate::krylov::Krylov::cg`]), plain update:
/// `grads` = omega + d2f1 (D1 f1 and D2 f2 from one omega call), A =
/// d22f2_tmul + 2 d2 (the operator with
/// eta v added), and for a solve of k iterations
/// cg(k) = (k + 1) A + 5 d2 + 5 + k (10 d2 + 4) (the initial residual and
/// the two norms, then per iteration two dot products, three updates, two
/// divisions, a square root and the tolerance test):
///
/// - simultaneous: omega + 4n (as dense);
/// - two-timescale: grads + cg(k) + d21f2_tmul + d1 + 4n;
/// - LOLA: grads + d2 + d21f2_tmul + d1 + 4n;
///
/// plus 4 per angle coordinate. Best response (Newton steps solved by CG)
/// is not modelled.
pub fn matrix_free_rule_flops(
    d1: u64,
    d2: u64,
    angles: u64,
    omega: u64,
    grads: u64,
    d22f2_tmul: u64,
    d21f2_tmul: u64,
) -> Vec<RuleFlops> {
    let update = 4 * (d1 + d2) + 4 * angles;
    vec![
        RuleFlops {
            rule: "simultaneous",
            path: "matrix-free",
            game: omega,
            runtime: update,
            per_iteration: 0,
            model: "omega + 4n + wrap",
        },
        RuleFlops {
            rule: "two-timescale",
            path: "matrix-free",
            game: grads + d22f2_tmul + d21f2_tmul,
            runtime: 2 * d2 + 5 * d2 + 5 + d1 + update,
            per_iteration: d22f2_tmul + 12 * d2 + 4,
            model: "grads + cg(k) + d21f2_tmul + d1 + 4n + wrap",
        },
        RuleFlops {
            rule: "lola",
            path: "matrix-free",
            game: grads + d21f2_tmul,
            runtime: d2 + d1 + update,
            per_iteration: 0,
            model: "grads + d2 + d21f2_tmul + d1 + 4n + wrap",
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{count_ops, Counted};
    use crate::linalg::Lu;

    /// The closed forms of the LU flops against the factorisation and the
    /// transposed solve run on counted numbers (a dense, diagonally
    /// dominant matrix: no zero multiplier).
    #[test]
    fn lu_flops_match_the_code() {
        for n in 1..=7usize {
            let a: Vec<Counted> = (0..n * n)
                .map(|k| {
                    let (i, j) = (k / n, k % n);
                    Counted(if i == j {
                        10.0 + i as f64
                    } else {
                        0.3 + 0.1 * (i + 2 * j) as f64
                    })
                })
                .collect();
            let mut lu = Lu::new(n);
            let factor = count_ops(|| lu.factor(&a).expect("regular"));
            assert_eq!(factor.flops(), lu_factor_flops(n as u64), "factor n = {n}");
            let mut b = vec![Counted(1.0); n];
            let solve = count_ops(|| lu.solve_transpose(&mut b));
            assert_eq!(solve.flops(), lu_solve_flops(n as u64), "solve^T n = {n}");
            let solve = count_ops(|| lu.solve(&mut b));
            assert_eq!(solve.flops(), lu_solve_flops(n as u64), "solve n = {n}");
        }
    }

    #[test]
    fn follower_solve_flops_match_the_code() {
        for d2 in 1..=5usize {
            let mut h: Vec<Counted> = (0..d2 * d2)
                .map(|k| Counted(if k % (d2 + 1) == 0 { 4.0 } else { 0.25 }))
                .collect();
            let mut lambda = vec![Counted(1.0); d2];
            let mut lu = Lu::new(d2);
            let c = count_ops(|| {
                crate::field::follower_solve::<Counted, 1>(
                    &mut h,
                    Counted(0.0),
                    &mut lambda,
                    Some(&mut lu),
                )
                .expect("regular");
            });
            assert_eq!(c.flops(), follower_solve_flops(d2 as u64), "d2 = {d2}");
        }
    }
}
