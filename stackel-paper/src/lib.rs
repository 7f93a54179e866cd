//! Reproduction of the experiments of Fiez, Chasnov and Ratliff,
//! "Convergence of Learning Dynamics in Stackelberg Games", with stackel.

pub mod plot;
pub mod stats;
pub mod summary;
