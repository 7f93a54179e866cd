//! Staggered (multi-level) Stackelberg hierarchies, paper appendix F.1.
//!
//! Player 1 leads player 2, who leads player 3, ...: `follower y after x;`
//! and `follower z after y;` in the DSL put each player one level below the
//! one it follows ([`crate::PlayerInfo::level`]: 0 the leader). Players on
//! one level play simultaneously among themselves and respond to every level
//! above.
//!
//! Let G_{>L}(x) be the stacked total fields of all levels below L. Their
//! joint implicit map r_{>L}(x_{<=L}) solves G_{>L} = 0, so
//! Dr_{>L} = -(D_{>L} G_{>L})^-1 D_{<=L} G_{>L}, and a level-L player i's
//! total gradient is
//!
//! g_i = D_i f_i - (D_i G_{>L})^T (D_{>L} G_{>L} + eta_L I)^-T D_{>L} f_i
//!
//! (eta_L = 0 the exact form). The deepest level's field is its own
//! gradients. The Jacobian rows of a total field come from the J_S-style
//! adjoint formula: with A = D_{>L} G_{>L} + eta_L I, lambda = A^-T D_{>L} f_i
//! held fixed and phi = lambda^T G_{>L},
//!
//! D_j g_i = D_ij f_i - D_ij phi - (D_i G_{>L})^T A^-T (D_{>L,j} f_i - D_{>L,j} phi).
//!
//! For three levels this needs each cost's full gradient and Hessian and the
//! Hessians of phi_k = lambda^T D_k f_k of the deepest players: generated
//! blocks ([`crate::Game::staggered_gradient`], [`crate::Game::staggered_hessian`],
//! [`crate::Game::staggered_phi_hessian`]), no third-order tensor. Deeper
//! chains would need Hessians of total fields: [`HierarchyError::TooDeep`].
//!
//! The whole staggered field F = (g_i)_i, stacked in the state's order, is
//! generic over [`Real`](crate::Real); its Jacobian ([`Hierarchy::jacobian`]) runs it on
//! [`crate::Tangent`] numbers, one direction per coordinate: exact, no
//! finite differences.
//!
//! Files: `solve` (dense solves over any `Real`), `field` (total fields,
//! implicit maps, Jacobian), `equilibria` (Newton on F, classification).

mod equilibria;
mod field;
mod solve;

pub use equilibria::{find_staggered, ClassifyError, StaggeredPoint, StaggeredReport};
pub use field::TotalFields;

use crate::game::Game;

/// A generated method a game does not have: hand-written games and games
/// without `follower z after y;` do not generate the staggered blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the staggered-hierarchy blocks are not generated for this game (declare levels with `follower z after y;`)")]
pub struct NotGenerated;

/// What can go wrong with a staggered hierarchy.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HierarchyError {
    /// The game does not generate the staggered blocks.
    #[error(transparent)]
    NotGenerated(#[from] NotGenerated),
    /// More levels than the exact composition supports.
    #[error("{levels} levels: the exact total derivatives are implemented for at most {MAX_LEVELS} levels (a deeper level needs Hessians of total fields)")]
    TooDeep {
        /// The game's number of levels.
        levels: usize,
    },
    /// Fewer than two levels, or a level with no player.
    #[error("the game's levels are not a hierarchy: {0}")]
    Malformed(String),
    /// D_{>L} G_{>L} + eta_L I is singular at the point: the implicit map of
    /// the levels below `level` is not defined there (`level` = `usize::MAX`:
    /// the Jacobian DF of the whole field, in a Newton step).
    #[error("the implicit map below level {level} is singular (D G + eta I has a zero pivot)")]
    Singular {
        /// The level whose total gradient needed the solve.
        level: usize,
    },
    /// Wrong number of regularisations.
    #[error("{given} regularisations eta for {levels} levels (one per level above the deepest, or one per level)")]
    EtaCount {
        /// How many were given.
        given: usize,
        /// The game's number of levels.
        levels: usize,
    },
}

/// The most levels whose total derivatives are composed exactly.
pub const MAX_LEVELS: usize = 3;

/// The level structure of a staggered game, with a regularisation eta per
/// level (eta_L regularises the block that level L inverts; 0 by default).
///
/// ```
/// use stackel_runtime::hierarchy::Hierarchy;
/// use stackel_testkit::games::ChainOligopoly;
///
/// let g = ChainOligopoly::default();
/// let h = Hierarchy::of(&g).unwrap();
/// assert_eq!(h.levels(), 3);
/// // the closed-form staggered point (43.5, 27.75, 12.875) zeroes the field
/// let mut f = [0.0f64; 3];
/// h.staggered_field(&g, &[43.5, 27.75, 12.875], &mut f).unwrap();
/// assert!(f.iter().all(|v| v.abs() < 1e-9));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Hierarchy {
    n: usize,
    /// Player numbers (0 the leader) by level.
    players: Vec<Vec<usize>>,
    /// Flat state coordinates by level, ascending.
    coords: Vec<Vec<usize>>,
    /// (offset, dim) of each player.
    spans: Vec<(usize, usize)>,
    /// eta_L by level.
    eta: Vec<f64>,
}

impl Hierarchy {
    /// The levels of `g` ([`crate::PlayerInfo::level`]).
    pub fn of<G: Game>(g: &G) -> Result<Self, HierarchyError> {
        let info = g.info();
        let players: Vec<_> = info.players().collect();
        let depth = players.iter().map(|p| p.level as usize).max().unwrap_or(0) + 1;
        if depth < 2 {
            return Err(HierarchyError::Malformed("no follower".into()));
        }
        if depth > MAX_LEVELS {
            return Err(HierarchyError::TooDeep { levels: depth });
        }
        let mut by_level = vec![Vec::new(); depth];
        let mut coords = vec![Vec::new(); depth];
        for (p, info) in players.iter().enumerate() {
            by_level[info.level as usize].push(p);
            coords[info.level as usize].extend(info.offset..info.offset + info.dim);
        }
        if let Some(l) = by_level.iter().position(Vec::is_empty) {
            return Err(HierarchyError::Malformed(format!(
                "level {l} has no player"
            )));
        }
        Ok(Hierarchy {
            n: g.n(),
            players: by_level,
            coords,
            spans: players.iter().map(|p| (p.offset, p.dim)).collect(),
            eta: vec![0.0; depth],
        })
    }

    /// Sets eta_L for every level L (`etas.len()` is the number of levels,
    /// or one less: the deepest level inverts nothing).
    pub fn with_etas(mut self, etas: &[f64]) -> Result<Self, HierarchyError> {
        let k = self.levels();
        if etas.len() != k && etas.len() + 1 != k {
            return Err(HierarchyError::EtaCount {
                given: etas.len(),
                levels: k,
            });
        }
        self.eta[..etas.len()].copy_from_slice(etas);
        Ok(self)
    }

    /// The regularisation eta_L of each level.
    pub fn etas(&self) -> &[f64] {
        &self.eta
    }

    /// Number of levels K (the leader's is 0, the deepest K - 1).
    pub fn levels(&self) -> usize {
        self.players.len()
    }

    /// The players (0 the leader) on level `l`.
    pub fn players_at(&self, l: usize) -> &[usize] {
        &self.players[l]
    }

    /// The flat state coordinates of level `l`, ascending.
    pub fn coords_at(&self, l: usize) -> &[usize] {
        &self.coords[l]
    }

    /// The level of each flat state coordinate.
    pub fn coordinate_levels(&self) -> Vec<usize> {
        let mut out = vec![0; self.n];
        for (l, cs) in self.coords.iter().enumerate() {
            for &c in cs {
                out[c] = l;
            }
        }
        out
    }

    /// The coordinates of the levels below `l` (l + 1, l + 2, ... in that
    /// order): the rows of G_{>l} and of the implicit map Dr_{>l}.
    pub fn below(&self, l: usize) -> Vec<usize> {
        self.coords[l + 1..].iter().flatten().copied().collect()
    }

    /// The coordinates of the levels 0..=l, ascending: the columns of Dr_{>l}.
    pub fn upper(&self, l: usize) -> Vec<usize> {
        let mut u: Vec<usize> = self.coords[..=l].iter().flatten().copied().collect();
        u.sort_unstable();
        u
    }

    /// (offset, dim) of player `p`.
    pub fn span(&self, p: usize) -> (usize, usize) {
        self.spans[p]
    }
}
