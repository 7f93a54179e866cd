//! How the dynamics solve the follower's linear systems: dense LU on the
//! d2 x d2 block, or matrix-free Krylov iterations on the game's operators
//! (design.md "Math reference"; paper appendix C).
//!
//! Matrix-free, with eta the dynamics' regularisation:
//!
//! - two-timescale / best response: lambda solves (D22 f2 + eta I)^T lambda
//!   = D2 f1 through [`Game::d22f2_tmul`] (+ eta lambda), then
//!   Df1 = D1 f1 - [`Game::d21f2_tmul`](lambda);
//! - best response's Newton step solves D22 f2 dx = D2 f2 through
//!   [`Game::d22f2_mul`], from dx = 0;
//! - LOLA's D1 f1 - gamma2 B^T D2 f1 is one [`Game::d21f2_tmul`].
//!
//! No d2 x d2 or d2 x d1 block is formed or allocated on this path: the
//! buffers are vectors of length d1, d2 and the Krylov workspace ((restart
//! + 1) d2 for GMRES).

use crate::game::{Form, Game, GameInfo};
use crate::krylov::{KrylovOptions, Method, SolveReport};
use serde::{Deserialize, Serialize};

/// Above this follower dimension d2, [`FollowerSolver::Auto`] goes
/// matrix-free: the dense path stores and factors d2 x d2 blocks (d2 = 256
/// is 0.5 MiB per block in f64 and ~ 11 M flops per LU).
pub const DENSE_FOLLOWER_LIMIT: usize = 256;

/// The follower solve of the Stackelberg dynamics.
///
/// ```
/// use stackel_runtime::dynamics::FollowerSolver;
/// use stackel_runtime::krylov::Method;
///
/// // The paper's appendix C: 5 conjugate-gradient iterations per step, warm
/// // started from the previous step's lambda, used whether or not converged.
/// let paper = FollowerSolver::conjugate_gradient(5).warm_start(true).truncated(true);
/// let FollowerSolver::MatrixFree(o) = paper else { unreachable!() };
/// assert_eq!((o.method, o.max_iter, o.warm_start, o.truncated), (Method::Cg, 5, true, true));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum FollowerSolver {
    /// Dense for games of [`Form::Unrolled`] with d2 <= [`DENSE_FOLLOWER_LIMIT`],
    /// matrix-free with [`KrylovOptions::default`] otherwise (loop-form games
    /// or larger d2).
    #[default]
    Auto,
    /// Dense LU on D22 f2 + eta I (today's path), whatever the size.
    Dense,
    /// Matrix-free Krylov iterations with these options, whatever the size.
    MatrixFree(KrylovOptions),
}

impl FollowerSolver {
    fn with_method(method: Method, max_iter: u32) -> Self {
        FollowerSolver::MatrixFree(KrylovOptions {
            method,
            max_iter,
            ..KrylovOptions::default()
        })
    }
    /// Matrix-free conjugate gradients (one follower: H symmetric; H + eta I
    /// must be positive definite), at most `max_iter` iterations per solve.
    pub fn conjugate_gradient(max_iter: u32) -> Self {
        Self::with_method(Method::Cg, max_iter)
    }
    /// Matrix-free BiCGSTAB (any H), at most `max_iter` iterations per solve.
    pub fn bicgstab(max_iter: u32) -> Self {
        Self::with_method(Method::BiCgStab, max_iter)
    }
    /// Matrix-free GMRES(`restart`) (any H), at most `max_iter` iterations.
    pub fn gmres(restart: usize, max_iter: u32) -> Self {
        Self::with_method(Method::Gmres { restart }, max_iter)
    }
    /// Matrix-free with explicit options.
    pub fn krylov(options: KrylovOptions) -> Self {
        FollowerSolver::MatrixFree(options)
    }
    fn map(self, f: impl FnOnce(&mut KrylovOptions)) -> Self {
        match self {
            FollowerSolver::MatrixFree(mut o) => {
                f(&mut o);
                FollowerSolver::MatrixFree(o)
            }
            s => s,
        }
    }
    /// Warm start each solve from the trajectory's previous lambda (matrix-free
    /// only; no effect on `Auto`/`Dense`).
    pub fn warm_start(self, on: bool) -> Self {
        self.map(|o| o.warm_start = on)
    }
    /// Relative residual tolerance |b - A x| <= tol |b| (matrix-free only).
    pub fn tolerance(self, tol: f64) -> Self {
        self.map(|o| o.tol = tol)
    }
    /// Use each solve's result after `max_iter` iterations even when it
    /// missed the tolerance (matrix-free only; see [`KrylovOptions::truncated`]).
    pub fn truncated(self, on: bool) -> Self {
        self.map(|o| o.truncated = on)
    }
    /// Whether this is [`FollowerSolver::Auto`] (serialisation skips it, so
    /// studies without a choice keep their fingerprints).
    pub fn is_auto(&self) -> bool {
        matches!(self, FollowerSolver::Auto)
    }
    /// The Krylov options when the path is matrix-free for a game with
    /// description `info` and follower dimension `d2`, None for dense.
    pub fn resolve(&self, info: &GameInfo, d2: usize) -> Option<KrylovOptions> {
        match *self {
            FollowerSolver::Dense => None,
            FollowerSolver::MatrixFree(o) => Some(o),
            FollowerSolver::Auto => (info.form != Form::Unrolled || d2 > DENSE_FOLLOWER_LIMIT)
                .then(KrylovOptions::default),
        }
    }
    /// [`FollowerSolver::resolve`] for game `g`.
    pub fn resolve_for<G: Game>(&self, g: &G) -> Option<KrylovOptions> {
        self.resolve(g.info(), g.d2())
    }
}

/// Iteration counts and residuals of a study's follower solves (matrix-free
/// path only); parts merge exactly (sums and maxima).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SolveStats {
    /// Number of solves.
    pub solves: u64,
    /// Total iterations over all solves.
    pub iterations: u64,
    /// Most iterations of one solve.
    pub max_iterations: u32,
    /// Largest final relative residual of one solve.
    pub max_residual: f64,
    /// Solves that missed the tolerance (failures unless truncated).
    pub not_converged: u64,
}

impl SolveStats {
    /// Adds one solve's report.
    pub fn add(&mut self, r: &SolveReport) {
        self.solves += 1;
        self.iterations += r.iterations as u64;
        self.max_iterations = self.max_iterations.max(r.iterations);
        // NaN residuals count as the largest
        if r.residual > self.max_residual || r.residual.is_nan() {
            self.max_residual = r.residual;
        }
        if !r.converged {
            self.not_converged += 1;
        }
    }
    /// Adds another part's statistics.
    pub fn absorb(&mut self, o: &SolveStats) {
        self.solves += o.solves;
        self.iterations += o.iterations;
        self.max_iterations = self.max_iterations.max(o.max_iterations);
        if o.max_residual > self.max_residual || o.max_residual.is_nan() {
            self.max_residual = o.max_residual;
        }
        self.not_converged += o.not_converged;
    }
    /// Mean iterations per solve (NaN with no solve).
    pub fn mean_iterations(&self) -> f64 {
        self.iterations as f64 / self.solves as f64
    }
}
