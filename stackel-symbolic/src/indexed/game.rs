//! Every cost, gradient and operator of a game as indexed expressions.
//!
//! With omega_F = (D2 f2 of each follower, stacked) and phi = lambda^T
//! omega_F: the gradients D1f1, D2f1, D2f2 and D phi have free output
//! indices; the operators are directional derivatives of them
//! (forward-over-reverse, no second-order object):
//! - H w = D22f2 w and B u = D21f2 u: omega_F in direction (0, w) / (u, 0);
//! - H^T v and B^T v: D2 phi and D1 phi with lambda := v;
//! - (D^2 f1) dir and (D^2 phi) dir: (D1f1, D2f1) and D phi in direction dir;
//! - the param blocks: the gradients in the param direction e_k.

use super::build::{build, max_var};
use super::diff::tangent;
use super::expr::{add, delta, entry, mul, mul2, sum, Aff, Ix, Leaf, E};
use super::resolve::{resolve, Scope};
use crate::model::{GameModel, Shape};

/// One player's block of a vector-valued indexed expression: entry
/// `[a, b]` (row-major in the player's shape) is `expr` with the free
/// indices `outs = (a, b)`.
#[derive(Clone, Debug)]
pub struct Part {
    /// Player (0 leader, 1.. followers) whose shape the block has.
    pub player: usize,
    /// The free output indices, one per dimension of the player's shape.
    pub outs: Vec<Ix>,
    /// The dimensions.
    pub dims: Vec<usize>,
    /// The entry.
    pub expr: E,
}

/// A flat vector as consecutive player blocks.
pub type Vector = Vec<Part>;

/// A game's costs, gradients and operators at the index level.
#[derive(Clone, Debug)]
pub struct IndexedGame {
    /// Leader dimension d1.
    pub d1: usize,
    /// Stacked follower dimension d2.
    pub d2: usize,
    /// Number of flat params.
    pub np: usize,
    /// Player shapes (0 leader, 1.. followers).
    pub shapes: Vec<Shape>,
    /// Param shapes.
    pub param_shapes: Vec<Shape>,
    /// One more than the largest index variable used.
    pub vars: u32,
    /// f1.
    pub f1: E,
    /// Each follower's cost.
    pub f2: Vec<E>,
    /// D1f1 (one part).
    pub d1f1: Vector,
    /// D2f1 (one part per follower).
    pub d2f1: Vector,
    /// omega_F = D2f2 (each follower's gradient by its own variable).
    pub d2f2: Vector,
    /// phi = sum over followers i of lambda_i . D_i f_i.
    pub phi: E,
    /// D1 phi (= B^T lambda).
    pub d1phi: Vector,
    /// D2 phi (= H^T lambda).
    pub d2phi: Vector,
    /// H dir_2 = D22f2 w.
    pub h_mul: Vector,
    /// B dir_1 = D21f2 u.
    pub b_mul: Vector,
    /// (D^2 f1) dir over the full state.
    pub f1_hvp: Vector,
    /// (D^2 phi) dir over the full state.
    pub phi_hvp: Vector,
    /// d/dp (D1f1, D2f1, D2f2, D1phi, D2phi) in the param direction.
    pub d1p_f1: Vector,
    /// d/dp D2f1.
    pub d2p_f1: Vector,
    /// d/dp D2f2.
    pub d2p_f2: Vector,
    /// d/dp D1phi.
    pub d1p_phi: Vector,
    /// d/dp D2phi.
    pub d2p_phi: Vector,
}

/// Fresh index variables.
struct Fresh(u32);

impl Fresh {
    fn outs(&mut self, shape: Shape) -> Vec<Ix> {
        shape
            .dims()
            .iter()
            .map(|_| {
                self.0 += 1;
                Ix(self.0 - 1)
            })
            .collect()
    }
}

fn scope_of(outs: &[Ix], dims: &[usize]) -> Scope {
    let v: Vec<(Ix, i64, i64)> = outs
        .iter()
        .zip(dims)
        .map(|(o, d)| (*o, 0, *d as i64))
        .collect();
    Scope::new(&v)
}

/// The gradient of `f` by player `p`, deltas resolved.
fn gradient(
    f: &E,
    p: usize,
    shape: Shape,
    fresh: &mut Fresh,
    seed_leaf: fn(usize) -> Leaf,
) -> Part {
    let outs = fresh.outs(shape);
    let o = outs.clone();
    let seed = move |leaf: Leaf, index: &[Aff]| {
        (leaf == seed_leaf(p)).then(|| {
            mul(index
                .iter()
                .zip(&o)
                .map(|(e, a)| delta(*e, Aff::of(*a, 0)))
                .collect())
        })
    };
    let dims = shape.dims();
    let raw = tangent(f, &seed);
    let expr = resolve(&raw, &mut scope_of(&outs, &dims));
    Part {
        player: p,
        outs,
        dims,
        expr,
    }
}

/// Each part of `v` differentiated along `seed`.
fn along(v: &[Part], seed: &dyn Fn(Leaf, &[Aff]) -> Option<E>) -> Vector {
    v.iter()
        .map(|part| {
            let d = tangent(&part.expr, seed);
            Part {
                expr: resolve(&d, &mut scope_of(&part.outs, &part.dims)),
                ..part.clone()
            }
        })
        .collect()
}

/// `sum over the entries of v` of `weight(part)[outs] * v[outs]`.
fn contract(v: &[Part], weight: impl Fn(&Part) -> Leaf) -> E {
    add(v
        .iter()
        .map(|part| {
            let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
            let mut e = mul2(entry(weight(part), idx), part.expr.clone());
            for (o, d) in part.outs.iter().zip(&part.dims).rev() {
                e = sum(*o, 0, *d as i64, e);
            }
            e
        })
        .collect())
}

impl IndexedGame {
    /// Builds and differentiates every block of `model` at the index level.
    pub fn new(model: &GameModel) -> IndexedGame {
        let nf = model.followers.len();
        let shapes: Vec<Shape> = (0..=nf).map(|p| model.player(p).shape).collect();
        let costs =
            std::iter::once(&model.leader.cost).chain(model.followers.iter().map(|f| &f.cost));
        let top = costs.filter_map(max_var).max().map_or(0, |v| v + 1);
        let mut fresh = Fresh(top);
        let f1 = build(&model.leader.cost);
        let f2: Vec<E> = model.followers.iter().map(|f| build(&f.cost)).collect();
        let state = Leaf::State;
        let grads_f1: Vector = (0..=nf)
            .map(|p| gradient(&f1, p, shapes[p], &mut fresh, state))
            .collect();
        let d2f2: Vector = (1..=nf)
            .map(|p| gradient(&f2[p - 1], p, shapes[p], &mut fresh, state))
            .collect();
        let phi = contract(&d2f2, |part| Leaf::Lambda(part.player));
        let grads_phi: Vector = (0..=nf)
            .map(|p| gradient(&phi, p, shapes[p], &mut fresh, state))
            .collect();
        let dir_where = |players: fn(usize) -> bool| {
            move |leaf: Leaf, index: &[Aff]| match leaf {
                Leaf::State(p) if players(p) => Some(entry(Leaf::Dir(p), index.to_vec())),
                _ => None,
            }
        };
        let h_mul = along(&d2f2, &dir_where(|p| p >= 1));
        let b_mul = along(&d2f2, &dir_where(|p| p == 0));
        let f1_hvp = along(&grads_f1, &dir_where(|_| true));
        let phi_hvp = along(&grads_phi, &dir_where(|_| true));
        let pdir = |leaf: Leaf, index: &[Aff]| match leaf {
            Leaf::Param(q) => Some(entry(Leaf::ParamDir(q), index.to_vec())),
            _ => None,
        };
        let d1f1 = grads_f1[..1].to_vec();
        let d2f1 = grads_f1[1..].to_vec();
        let d1phi = grads_phi[..1].to_vec();
        let d2phi = grads_phi[1..].to_vec();
        IndexedGame {
            d1: model.leader_dim(),
            d2: model.follower_dim(),
            np: model.param_len(),
            shapes,
            param_shapes: model.params.iter().map(|p| p.shape).collect(),
            vars: fresh.0,
            d1p_f1: along(&d1f1, &pdir),
            d2p_f1: along(&d2f1, &pdir),
            d2p_f2: along(&d2f2, &pdir),
            d1p_phi: along(&d1phi, &pdir),
            d2p_phi: along(&d2phi, &pdir),
            f1,
            f2,
            d1f1,
            d2f1,
            d2f2,
            phi,
            d1phi,
            d2phi,
            h_mul,
            b_mul,
            f1_hvp,
            phi_hvp,
        }
    }

    /// True when f2 = -f1 is proven structurally (one follower).
    pub fn zero_sum(&self) -> bool {
        use super::expr::neg;
        self.f2.len() == 1
            && (neg(self.f1.clone()) == self.f2[0] || neg(self.f2[0].clone()) == self.f1)
    }

    /// Offset of player `p` in the flat state.
    pub fn player_offset(&self, p: usize) -> usize {
        self.shapes[..p].iter().map(|s| s.len()).sum()
    }

    /// Offset of param `q` in the flat params.
    pub fn param_offset(&self, q: usize) -> usize {
        self.param_shapes[..q].iter().map(|s| s.len()).sum()
    }

    /// Every vector block by name (for tests and emitters).
    pub fn vectors(&self) -> Vec<(&'static str, &Vector)> {
        vec![
            ("D1f1", &self.d1f1),
            ("D2f1", &self.d2f1),
            ("D2f2", &self.d2f2),
            ("D1phi", &self.d1phi),
            ("D2phi", &self.d2phi),
            ("H_mul", &self.h_mul),
            ("B_mul", &self.b_mul),
            ("f1_hvp", &self.f1_hvp),
            ("phi_hvp", &self.phi_hvp),
            ("D1pf1", &self.d1p_f1),
            ("D2pf1", &self.d2p_f1),
            ("D2pf2", &self.d2p_f2),
            ("D1pphi", &self.d1p_phi),
            ("D2pphi", &self.d2p_phi),
        ]
    }
}
