//! stackel's runtime: the [`Game`] trait that `stackel_game!` implements, the
//! linear algebra that composes its derivative blocks (implicit map, total
//! leader gradient, game Jacobians), and everything that drives games.

#![warn(missing_docs)]

// The game and its derivative algebra.
#[cfg(feature = "dual")]
pub mod autodiff;
pub mod blocks;
pub mod cost;
pub mod field;
pub mod game;
pub mod hierarchy;
pub mod krylov;
pub mod linalg;
pub mod nonfinite;
pub mod point_cache;
pub mod real;
pub mod scratch;
pub mod source;
pub mod tangent;
pub mod tiered;

// Learning dynamics and what drives them.
pub mod dynamics;
pub mod metric;
pub mod rng;
pub mod schedule;

// Studies: the plan both engines take, the builder, the engines, results.
pub mod checkpoint;
pub mod cpu;
pub mod data;
pub mod engine;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod plan;
pub mod record;
pub mod study;

// Equilibria: finding, classifying, sensitivity.
pub mod equilibria;

// Diagnostics: f32 vs f64.
pub mod precision;

pub use blocks::Workspace;
pub use dynamics::{Dynamics, Rule};
pub use game::{
    BlockFormula, DataInfo, Form, Game, GameInfo, ParamInfo, PartInfo, PlayerInfo,
    SecondOrderParts, StackelbergParts,
};
pub use linalg::Singular;
pub use plan::{Init, Noise, Plan, StudyError};
pub use real::{Float, Real};
pub use record::{Record, StudyResult, TrajectoryTrace};
pub use schedule::{Optimizer, Schedule};
pub use study::{Engine, Study};
pub use tangent::Tangent;

/// What a user needs in scope: the [`Game`] trait and its number types, the
/// study builder and its parts, and the equilibrium report. Low-level items
/// stay in their modules.
pub mod prelude {
    pub use crate::dynamics::Dynamics;
    pub use crate::equilibria::{grid_starts, sensitivity, EquilibriumReport, Field, Verdict};
    pub use crate::game::{Game, GameInfo};
    pub use crate::plan::{Init, Noise, StudyError};
    pub use crate::real::{Float, Real};
    pub use crate::record::{Record, StudyResult};
    pub use crate::schedule::{Optimizer, Schedule};
    pub use crate::study::{Engine, Study};
    pub use crate::Workspace;
}
