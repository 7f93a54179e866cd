//! The paper's games, written as math once, in stackel-testkit's `games`
//! (shared with the tests and benchmarks); each `stackel_game!` is
//! differentiated at compile time, nothing is derived by hand. The m = 9
//! covariance game is instantiated here only: rustc takes 10-20 s on it; m = 25
//! gets the loop form, whose code does not grow with m.

pub use stackel_testkit::games::{Covariance3, Duopoly, Torus, ZeroSumExample1};

stackel_testkit::covariance_game!(
    crate = [::stackel],
    Covariance25,
    25,
    "Covariance estimation with a quadratic discriminator, m = 25 (paper 4.3, example 1, figure 4): 1250 variables, compiled in the loop form (above the compiler's size threshold)."
);

stackel_testkit::covariance_game!(
    crate = [::stackel],
    Covariance9,
    9,
    "Covariance estimation with a quadratic discriminator, m = 9 (paper 4.3, example 1)."
);
