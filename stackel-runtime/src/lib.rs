//! stackel's runtime: the [`Game`] trait that `stackel_game!` implements, the
//! linear algebra that composes its derivative blocks (implicit map, total
//! leader gradient, game Jacobians), and everything that drives games.

pub mod blocks;
pub mod game;
pub mod linalg;
pub mod real;
pub mod reference;

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
