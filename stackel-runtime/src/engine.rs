//! The study API under its established paths: a study ([`Study`]) and the
//! items users and engines name with it, re-exported from their homes.
//!
//! - [`crate::study`]: the study builder and its engine dispatch;
//! - [`crate::plan`]: [`Init`], [`Noise`], the resolved [`Plan`] both
//!   engines take, validation ([`StudyError`]) and what an engine must
//!   reproduce;
//! - [`crate::cpu`]: the CPU engine; [`crate::checkpoint`]: its checkpoints
//!   and progress bar;
//! - [`crate::rng`]: the batch noise pass ([`fill_normals`]) and its vector
//!   tiers ([`Simd`]).

pub use crate::plan::{initial_state, overflow_guard, Init, Noise, Plan, StudyError, MAX_STEPS};
pub use crate::rng::{fill_normals, fill_normals_in, simd_tier, NoiseWords, Simd};
pub use crate::study::{Engine, Study};
