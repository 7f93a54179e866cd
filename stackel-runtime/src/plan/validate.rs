//! Validation of a plan against its game, and the study's error type.

use super::{Init, Plan, MAX_STEPS};
use crate::game::Game;
use crate::record::MergeError;
use crate::schedule::ScheduleError;
use std::path::PathBuf;

/// An invalid study, or an I/O failure of checkpointing.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// The GPU engine failed (no adapter, unsupported rule, device error...).
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    /// N = 0.
    #[error("a study needs at least one trajectory")]
    ZeroTrajectories,
    /// K > [`MAX_STEPS`].
    #[error("{steps} steps exceed the 2^32 - 1 that the RNG counter allows")]
    TooManySteps {
        /// The steps asked for.
        steps: u64,
    },
    /// A point whose length is not the game's state dimension n.
    #[error("{what} has dimension {got}, the game's state has {expected}")]
    Dimension {
        /// The point.
        what: &'static str,
        /// n.
        expected: usize,
        /// Its length.
        got: usize,
    },
    /// An initial box with lo_i > hi_i.
    #[error("initial box has lo[{index}] = {lo} > hi[{index}] = {hi} or a non-finite bound")]
    BadBox {
        /// The coordinate i.
        index: usize,
        /// lo_i.
        lo: f64,
        /// hi_i.
        hi: f64,
    },
    /// A quantity that must be finite and >= 0 (or > 0) is not.
    #[error("{what} must be finite and >= 0, got {value}")]
    Negative {
        /// The quantity.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A quantity that must be finite is not.
    #[error("{what} must be finite, got {value}")]
    NotFinite {
        /// The quantity.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// `Init::List` with no states.
    #[error("an explicit list of initial states must not be empty")]
    EmptyList,
    /// Per-player settings whose count is neither 1 nor the number of players.
    #[error("expected {expected} {what} (or one shared), got {got}")]
    PerPlayer {
        /// The settings.
        what: &'static str,
        /// The number of players.
        expected: usize,
        /// Their count.
        got: usize,
    },
    /// An invalid step-size schedule.
    #[error("bad step-size schedule of player {player}: {source}")]
    Schedule {
        /// The player (0 = leader).
        player: usize,
        /// What is wrong with it.
        source: ScheduleError,
    },
    /// An invalid optimiser (e.g. Adam's beta outside [0, 1)).
    #[error("bad optimiser: {0}")]
    Optimizer(String),
    /// A count that must be >= 1 is 0.
    #[error("{what} must be >= 1")]
    Zero {
        /// The count.
        what: &'static str,
    },
    /// Shard `index` of `count` with count = 0 or index >= count.
    #[error("shard {index} of {count} is not a valid shard")]
    BadShard {
        /// The shard's index.
        index: u64,
        /// The number of shards.
        count: u64,
    },
    /// `Record::basins` with no equilibria.
    #[error("basins need at least one equilibrium")]
    NoEquilibria,
    /// `Study::resume` without a checkpoint to resume.
    #[error("nothing to resume: {}", match dir { Some(d) => format!("no checkpoint manifest in {}", d.display()), None => "no checkpoint folder set".into() })]
    NothingToResume {
        /// The checkpoint folder, if one is set.
        dir: Option<PathBuf>,
    },
    /// A checkpoint folder whose manifest names another study.
    #[error("checkpoint folder {dir} belongs to a different study")]
    CheckpointMismatch {
        /// The folder.
        dir: PathBuf,
    },
    /// Reading or writing a checkpoint file failed.
    #[error("checkpoint I/O on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A checkpoint file is not valid JSON of its kind.
    #[error("checkpoint file {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A data input of the game with no sampler bound ([`crate::Study::data`]).
    #[error("data input `{name}` has no sampler: bind one with Study::data(\"{name}\", sampler)")]
    UnboundData {
        /// The input's name.
        name: String,
    },
    /// A sampler bound to a name that is not a data input of the game.
    #[error("`{name}` is not a data input of the game (its data inputs: {known:?})")]
    UnknownData {
        /// The name bound.
        name: String,
        /// The game's data inputs.
        known: Vec<String>,
    },
    /// Two samplers bound to the same data input.
    #[error("data input `{name}` is bound twice")]
    DuplicateData {
        /// The input's name.
        name: String,
    },
    /// A sampler that cannot fill its input.
    #[error("data input `{name}`: {reason}")]
    BadSampler {
        /// The input's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Parts that do not merge.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// [`crate::Rule::Staggered`] for a game without a staggered hierarchy
    /// (or one deeper than the exact composition supports).
    #[error("staggered play: {0}")]
    Hierarchy(#[from] crate::hierarchy::HierarchyError),
}

impl<G: Game> Plan<'_, G> {
    /// Fails unless K <= [`MAX_STEPS`] (the RNG's 32-bit step counter).
    pub fn check_steps(&self) -> Result<(), StudyError> {
        if self.steps > MAX_STEPS {
            return Err(StudyError::TooManySteps { steps: self.steps });
        }
        Ok(())
    }

    /// Fails unless every data input of the game has exactly one sampler
    /// that can fill it, and every bound name is a data input.
    pub fn check_data(&self) -> Result<(), StudyError> {
        let info = self.game.info();
        for (i, (name, _)) in self.data.iter().enumerate() {
            if !info.data.iter().any(|d| d.name == name) {
                return Err(StudyError::UnknownData {
                    name: name.clone(),
                    known: info.data.iter().map(|d| d.name.to_string()).collect(),
                });
            }
            if self.data[..i].iter().any(|(n, _)| n == name) {
                return Err(StudyError::DuplicateData { name: name.clone() });
            }
        }
        for d in info.data {
            let Some((_, s)) = self.data.iter().find(|(n, _)| n == d.name) else {
                return Err(StudyError::UnboundData {
                    name: d.name.to_string(),
                });
            };
            s.check(d.shape).map_err(|reason| StudyError::BadSampler {
                name: d.name.to_string(),
                reason,
            })?;
        }
        Ok(())
    }

    /// Checks the plan against the game: steps, divergence bound, initial
    /// states, noise, dynamics and record (the fingerprint is not read).
    pub fn validate(&self) -> Result<(), StudyError> {
        let n = self.game.n();
        let info = self.game.info();
        let players = 1 + info.followers.len();
        let dim = |what, v: &Vec<f64>| {
            if v.len() != n {
                Err(StudyError::Dimension {
                    what,
                    expected: n,
                    got: v.len(),
                })
            } else if let Some(&bad) = v.iter().find(|x| !x.is_finite()) {
                Err(StudyError::NotFinite { what, value: bad })
            } else {
                Ok(())
            }
        };
        self.check_steps()?;
        self.check_data()?;
        if self.dynamics.rule == crate::Rule::Staggered {
            self.dynamics.hierarchy(self.game)?;
            let mut probe = vec![0.0; n];
            self.game
                .staggered_gradient(0, &vec![0.0; n + self.game.nd()], &mut probe)
                .map_err(crate::hierarchy::HierarchyError::from)?;
        }
        if self.divergence_bound.is_nan() || self.divergence_bound <= 0.0 {
            return Err(StudyError::Negative {
                what: "divergence bound",
                value: self.divergence_bound,
            });
        }
        match &self.init {
            Init::Point(p) => dim("initial point", p)?,
            Init::Box { lo, hi } => {
                dim("initial box lo", lo)?;
                dim("initial box hi", hi)?;
                for i in 0..n {
                    if lo[i] > hi[i] {
                        return Err(StudyError::BadBox {
                            index: i,
                            lo: lo[i],
                            hi: hi[i],
                        });
                    }
                }
            }
            Init::Gaussian { mean, std } => {
                dim("initial mean", mean)?;
                dim("initial standard deviation", std)?;
                if let Some(&s) = std.iter().find(|s| **s < 0.0) {
                    return Err(StudyError::Negative {
                        what: "initial standard deviation",
                        value: s,
                    });
                }
            }
            Init::List(l) => {
                if l.is_empty() {
                    return Err(StudyError::EmptyList);
                }
                for p in l {
                    dim("initial state", p)?;
                }
            }
            Init::KaimingUniform => {
                let b = super::kaiming_bounds(info);
                if b.len() != n {
                    return Err(StudyError::Dimension {
                        what: "Kaiming bounds (player parts)",
                        expected: n,
                        got: b.len(),
                    });
                }
            }
            Init::Sample(s) => {
                let mut x = vec![0.0; n];
                s.state(self.seed, self.range.0, &mut x);
                if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
                    return Err(StudyError::NotFinite {
                        what: "sampled initial state",
                        value: v,
                    });
                }
            }
        }
        let v = &self.noise.variances;
        if v.len() > 1 && v.len() != players {
            return Err(StudyError::PerPlayer {
                what: "noise variances",
                expected: players,
                got: v.len(),
            });
        }
        for &x in v {
            if !(x.is_finite() && x >= 0.0) {
                return Err(StudyError::Negative {
                    what: "noise variance",
                    value: x,
                });
            }
        }
        let s = &self.dynamics.schedules;
        if s.len() != 2 && s.len() != players {
            return Err(StudyError::PerPlayer {
                what: "step-size schedules (leader, then followers)",
                expected: players,
                got: s.len(),
            });
        }
        for (player, sch) in s.iter().enumerate() {
            sch.validate()
                .map_err(|source| StudyError::Schedule { player, source })?;
        }
        self.dynamics
            .optimizer
            .validate()
            .map_err(StudyError::Optimizer)?;
        if !(self.dynamics.eta.is_finite() && self.dynamics.eta >= 0.0) {
            return Err(StudyError::Negative {
                what: "regularisation eta",
                value: self.dynamics.eta,
            });
        }
        if let Some(o) = self.matrix_free() {
            if o.max_iter == 0 {
                return Err(StudyError::Zero {
                    what: "follower solver iterations",
                });
            }
            if !(o.tol.is_finite() && o.tol >= 0.0) {
                return Err(StudyError::Negative {
                    what: "follower solver tolerance",
                    value: o.tol,
                });
            }
        }
        if self.dynamics.newton.max_iter == 0 {
            return Err(StudyError::Zero {
                what: "Newton iterations",
            });
        }
        let tol = self.dynamics.newton.tol;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(StudyError::Negative {
                what: "Newton tolerance",
                value: tol,
            });
        }
        if let Some(p) = &self.record.paths {
            if p.every == 0 {
                return Err(StudyError::Zero {
                    what: "path thinning",
                });
            }
        }
        if let Some(t) = &self.record.target {
            dim("target", &t.point)?;
            if t.every == 0 {
                return Err(StudyError::Zero {
                    what: "distance thinning",
                });
            }
            if !(t.eps.is_finite() && t.eps >= 0.0) {
                return Err(StudyError::Negative {
                    what: "lock-in radius",
                    value: t.eps,
                });
            }
        }
        if let Some(eqs) = &self.record.basins {
            if eqs.is_empty() {
                return Err(StudyError::NoEquilibria);
            }
            for e in eqs {
                dim("equilibrium", e)?;
            }
        }
        Ok(())
    }
}
