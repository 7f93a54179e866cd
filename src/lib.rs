//! # stackel
//!
//! Learning dynamics in Stackelberg (leader-follower) games. Write the
//! players' costs as math in [`stackel_game!`]; the macro differentiates them
//! symbolically at compile time and emits specialised code for every
//! derivative block; the runtime drives those blocks through simultaneous
//! gradient play and two-timescale Stackelberg learning, over many noisy
//! trajectories at once, and finds and classifies equilibria.
//!
//! `use stackel::prelude::*;` is all a user needs.

pub use stackel_macros::stackel_game;
pub use stackel_runtime::*;

/// Everything a user of `stackel_game!` needs in scope: the macro, the
/// [`Game`] trait, and the study builder with its parts ([`Study`],
/// [`Dynamics`], [`Schedule`], [`Noise`], [`Init`], [`Record`],
/// [`StudyResult`], [`Engine`]).
pub mod prelude {
    pub use stackel_macros::stackel_game;
    pub use stackel_runtime::prelude::*;
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
