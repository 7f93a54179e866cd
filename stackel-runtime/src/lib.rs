//! stackel's runtime: the [`Game`] trait that `stackel_game!` implements, the
//! linear algebra that composes its derivative blocks (implicit map, total
//! leader gradient, game Jacobians), and everything that drives games.

pub mod blocks;
pub mod game;
pub mod linalg;
pub mod real;
pub mod reference;

pub use blocks::Workspace;
pub use game::{BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo, StackelbergParts};
pub use linalg::Singular;
pub use real::{Float, Real};
#[cfg(feature = "dual")]
pub mod autodiff;
pub mod equilibria;
