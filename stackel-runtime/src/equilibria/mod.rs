//! Finding, classifying and certifying equilibria of a [`Game`](crate::Game),
//! and their sensitivity to the game's params.
//!
//! - [`find_critical_points`]: zeros of omega = (D1 f1, D2 f2) (simultaneous
//!   play) or of omega_S = (Df1, D2 f2) (Stackelberg, optionally regularised
//!   by eta) by damped Newton with the exact Jacobians J / J_S, falling back
//!   to Levenberg-Marquardt steps, from many starts; deduplicated with an
//!   angle-aware distance; failed solves are kept with their reason.
//! - [`classify`]: differential Nash / differential Stackelberg / stable under
//!   simultaneous play / stable under Stackelberg dynamics / non-Nash
//!   attractor, each a [`Verdict`] that is `Degenerate` when an eigenvalue is
//!   within tolerance of the boundary, with the spectra behind it.
//!   Every eigenvalue computation is bounded ([`eigenvalues`],
//!   [`symmetric_eigenvalues`]); one that does not converge is
//!   [`SpectrumFailed`], never a hang.
//! - Above the dense size ([`DENSE_CLASSIFY_LIMIT`]): extreme eigenvalues
//!   through operators, [`lanczos_extremes`] / [`arnoldi_extremes`] on
//!   [`GameOperators`] (J, J_S, D11 f1, D22 f2, the Stackelberg Hessian),
//!   and [`classify_matrix_free`].
//! - [`game_spectra`]: the `count` smallest and largest real parts of the
//!   eigenvalues of J, S = D11 f1 - D12 f1 (D22 f2 + eta I)^-1 D21 f2,
//!   D11 f1 and D22 f2, matrix-free (Arnoldi / Lanczos, inner CG / GMRES
//!   solves), and [`GameSpectra::verdict`]: Nash (D11 f1 > 0, D22 f2 > 0),
//!   non-Nash Stackelberg (S > 0, D22 f2 > 0, D11 f1 not > 0) or neither.
//! - [`group_families`]: continuous families of critical points (orbits of a
//!   symmetry) as one entry each, keyed by an invariant or by costs and
//!   spectra, with multiplicity and tangent dimension dim null(DF).
//! - [`EquilibriumReport`]: both together, as a text table (`Display`) and JSON.
//! - [`sensitivity`]: d x*/d theta = -J^-1 D_theta omega (Nash) or
//!   -J_S^-1 D_theta omega_S (Stackelberg).
//!
//! ```
//! use stackel_runtime::equilibria::{grid_starts, EquilibriumReport, Field, Verdict};
//!
//! stackel_macros::stackel_game! {
//!     // Users write `stackel::stackel_game!`, whose default path is `::stackel`;
//!     // inside the runtime's own docs the runtime crate is named directly.
//!     #[stackel(crate = stackel_runtime)]
//!     /// Cournot duopoly; firm 1 leads.
//!     pub game Duopoly {
//!         param a = 100.0;
//!         param c1 = 5.0;
//!         param c2 = 2.0;
//!         leader q1;
//!         follower q2;
//!         let price = a - q1 - q2;
//!         cost q1 = -(price - c1) * q1;
//!         cost q2 = -(price - c2) * q2;
//!     }
//! }
//!
//! let g = Duopoly::default();
//! let starts = grid_starts(&[(0.0, 100.0), (0.0, 100.0)], 3);
//! let report = EquilibriumReport::find::<Duopoly>(&g, Field::STACKELBERG, &starts, &Default::default(), &Default::default()).unwrap();
//! assert_eq!(report.points.len(), 1);
//! let p = &report.points[0];
//! assert!((p.x[0] - 46.0).abs() < 1e-9 && (p.x[1] - 26.0).abs() < 1e-9);
//! assert_eq!(p.differential_stackelberg, Verdict::Yes);
//! assert_eq!(p.differential_nash, Verdict::No);
//! println!("{report}");
//! ```

mod classify;
pub(crate) mod extremes;
mod families;
mod find;
mod report;
mod sensitivity;
mod spectra;
mod spectrum;

pub use crate::metric::{max_state_distance, wrap_angle};
pub use classify::{
    classify, classify_matrix_free, Classification, ClassifyOptions, Degeneracy, Eig, Spectra,
    Verdict, DENSE_CLASSIFY_LIMIT,
};
pub use extremes::{
    arnoldi_extremes, inner_solve_options, lanczos_extremes, ExtremeOptions, Extremes,
    GameOperators,
};
pub use families::{group_families, Family, FamilyKey, FamilyOptions};
pub use find::{
    find_critical_points, grid_starts, random_starts, starts_from_states, CriticalPoint, Failure,
    FailureReason, FindOptions, Found,
};
pub use report::EquilibriumReport;
pub use sensitivity::{field_param_jacobian, sensitivity};
pub use spectra::{
    game_spectra, game_spectra_dense, BlockSpectrum, GameSpectra, PointKind, SpectraError,
    SpectraOptions, DENSE_SPECTRA_LIMIT,
};
pub use spectrum::{eigenvalues, symmetric_eigenvalues, SpectrumFailed};

use serde::Serialize;

/// Which vector field's zeros are sought.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Field {
    /// omega = (D1 f1, D2 f2): critical points of simultaneous gradient play
    /// (candidate Nash equilibria).
    Simultaneous,
    /// omega_S = (Df1, D2 f2) with Df1 = D1 f1 - B^T (D22 f2 + eta I)^-T D2 f1:
    /// critical points of the Stackelberg dynamics (eta = 0 is exact).
    Stackelberg {
        /// The regularisation eta >= 0 of the implicit map.
        eta: f64,
    },
}

impl Field {
    /// The exact Stackelberg field (eta = 0).
    pub const STACKELBERG: Field = Field::Stackelberg { eta: 0.0 };

    /// "omega" or "omega_S".
    pub fn symbol(&self) -> &'static str {
        match self {
            Field::Simultaneous => "omega",
            Field::Stackelberg { .. } => "omega_S",
        }
    }
}

/// Errors on user input to the equilibrium tools.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EquilibriumError {
    /// A start or point does not have the game's state dimension.
    #[error("point {index} has {got} entries, the game's state has {expected}")]
    Dimension {
        /// Which start or point (0-based).
        index: usize,
        /// The game's state dimension d1 + d2.
        expected: usize,
        /// Its length.
        got: usize,
    },
    /// A flat list of states whose length is not a multiple of the state
    /// dimension.
    #[error("{len} numbers do not split into states of {dim} entries")]
    Ragged {
        /// How many numbers were given.
        len: usize,
        /// The state dimension.
        dim: usize,
    },
    /// A point has a NaN or infinite entry.
    #[error("point {index} has a non-finite entry")]
    NonFinite {
        /// Which point (0-based).
        index: usize,
    },
    /// [`FindOptions::bounds`] does not give one `(lo, hi)` pair with
    /// lo <= hi per state entry.
    #[error("bounds must give {expected} (lo, hi) pairs with lo <= hi (got {got} pairs)")]
    Bounds {
        /// The state dimension.
        expected: usize,
        /// How many pairs were given.
        got: usize,
    },
    /// A matrix that must be inverted is singular at the point.
    #[error("{what} is singular at the point")]
    Singular {
        /// Which matrix (e.g. `"D22 f2"`).
        what: &'static str,
    },
    /// An eigenvalue computation did not converge within its iteration
    /// bound (or met a non-finite entry): the point cannot be classified.
    #[error(transparent)]
    SpectrumFailed(#[from] SpectrumFailed),
}

/// A point of the right dimension `n` with finite entries.
fn check_point(x: &[f64], n: usize) -> Result<(), EquilibriumError> {
    if x.len() != n {
        return Err(EquilibriumError::Dimension {
            index: 0,
            expected: n,
            got: x.len(),
        });
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(EquilibriumError::NonFinite { index: 0 });
    }
    Ok(())
}
