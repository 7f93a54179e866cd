//! The paper games of [`crate::games`] as DSL text, written exactly as inside
//! their `stackel_game!`, read from the repository's `games/*.stk` files (the
//! example games of the `stackel` command line): the inputs of run-time compilation (`stackel-jit`),
//! whose tests hold the text's code to the macro's, bit for bit.

/// [`crate::games::Duopoly`] as text.
pub const DUOPOLY: &str = include_str!("../../games/duopoly.stk");
/// [`crate::games::Torus`] as text.
pub const TORUS: &str = include_str!("../../games/torus.stk");
/// [`crate::games::ZeroSumExample1`] as text.
pub const EXAMPLE1: &str = include_str!("../../games/example1.stk");
/// [`crate::games::Covariance3`] as text.
pub const COVARIANCE3: &str = include_str!("../../games/covariance3.stk");
/// [`crate::games::DiamondGan`] as text (paper 4.3, example 2).
pub const MOG_DIAMOND: &str = include_str!("../../games/mog_diamond.stk");
/// [`crate::games::CircleGan`] as text (paper 4.3, example 3).
pub const MOG_CIRCLE: &str = include_str!("../../games/mog_circle.stk");
