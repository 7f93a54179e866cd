//! stackel's runtime: the [`Game`] trait that `stackel_game!` implements, the
//! linear algebra that composes its derivative blocks (implicit map, total
//! leader gradient, game Jacobians), and everything that drives games.

pub mod blocks;
pub mod field;
pub mod game;
pub mod linalg;
pub mod real;

pub use blocks::Workspace;
pub use game::{
    BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo, SecondOrderParts, StackelbergParts,
};
pub use linalg::Singular;
pub use real::{Float, Real};
#[cfg(feature = "dual")]
pub mod autodiff;
pub mod dynamics;
pub mod engine;
pub mod metric;
pub mod record;
pub mod rng;
pub mod schedule;
pub use dynamics::{Dynamics, Rule};
pub use engine::{Engine, Init, Noise, Study, StudyError};
pub use record::{Record, StudyResult};
pub use schedule::{Optimizer, Schedule};
pub mod equilibria;
#[cfg(feature = "gpu")]
pub mod gpu;

/// What a user needs in scope: the [`Game`] trait and its number types, the
/// study builder and its parts, and the equilibrium report. Low-level items
/// stay in their modules.
pub mod prelude {
    pub use crate::dynamics::Dynamics;
    pub use crate::engine::{Engine, Init, Noise, Study, StudyError};
    pub use crate::equilibria::{grid_starts, sensitivity, EquilibriumReport, Field, Verdict};
    pub use crate::game::{Game, GameInfo};
    pub use crate::real::{Float, Real};
    pub use crate::record::{Record, StudyResult};
    pub use crate::schedule::{Optimizer, Schedule};
    pub use crate::Workspace;
}
