//! Paper 4.3, examples 2 and 3, figures 5 and 6: GANs on mixtures of
//! Gaussians (diamond and circle), simultaneous gradient descent against
//! Stackelberg learning, and an R-run study of where trainings end.

pub mod coverage;
pub mod figures;
pub mod games;
pub mod run;
pub mod spectra;
pub mod study;
pub mod train;

pub use run::run;
