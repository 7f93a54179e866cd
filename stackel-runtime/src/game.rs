//! The `Game` trait: what `stackel_game!` generates, and what every dynamics,
//! engine and equilibrium tool consumes.
//!
//! State convention: x = (x1, x2), x1 the leader's d1 entries, x2 the stacked
//! followers' d2 entries, each player's variable row-major. Blocks are
//! row-major: `D_ij f` is d_i x d_j with entry (a, b) = `d^2 f / dx_i[a] dx_j[b]`.
//! With several followers (design.md, appendix F.2) "D2 f2" is the stacked
//! field omega_F = (D_{2^i} f_{2^i})_i and "D22 f2", "D21 f2" are its
//! Jacobians H = D_{x2} omega_F and B = D_{x1} omega_F.
//!
//! phi(x; lambda) = lambda^T omega_F(x) with lambda held fixed; its second
//! derivatives give the Stackelberg Jacobian without third-order tensors.
//!
//! All hot-path methods write into caller-provided slices of exactly the
//! documented length and never allocate (the operators' dense defaults are
//! the exception: they build the block first, see [`Game::d22f2_mul`]).
//!
//! Operators (Hessian- and Jacobian-vector products) give every product the
//! dynamics, the implicit map and the spectra need without forming a d x d
//! block: H w, H^T v, B u, B^T v, (D^2 f1) dir and (D^2 phi) dir. Loop-form
//! games ([`Form::Loops`]) generate them directly; for other games they
//! default to products with the dense blocks.
//!
//! Data inputs (a game with [`Game::nd`] > 0) are read from `x[N..N + ND]`:
//! every method's `x` is then the N player entries followed by the current
//! data sample. With `ND = 0` (every game without `data`), `x` has length N.
//!
//! A game compiled at run time implements the generic methods through
//! [`Real::as_f64s`] / [`Real::as_f32s`], which give concrete f64/f32 views.

use crate::hierarchy::NotGenerated;
use crate::real::Real;

/// A player's description (from the DSL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlayerInfo {
    /// The player's name in the DSL.
    pub name: &'static str,
    /// `[]` scalar, `[n]` vector, `[n, m]` matrix (row-major).
    pub shape: &'static [usize],
    /// Offset of the player's first entry in the flat state.
    pub offset: usize,
    /// Number of entries.
    pub dim: usize,
    /// Periodic on [-pi, pi): the runtime wraps it.
    pub angle: bool,
    /// Place in the hierarchy: 0 for the leader, 1 for followers who play
    /// simultaneously among themselves (design.md, appendix F.2); a staggered
    /// chain (appendix F.1) numbers deeper levels 2, 3, ...
    pub level: u32,
    /// The named parts of a player declared as a block (`leader gen { w1:
    /// [H, Z], b1: [H] };`: a network's layers), stacked row-major in
    /// declaration order; empty for a player with one variable.
    pub parts: &'static [PartInfo],
}

/// One named part of a player's variable (a layer's weights or biases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartInfo {
    /// The part's name in the DSL.
    pub name: &'static str,
    /// `[]` scalar, `[n]` vector, `[n, m]` matrix (row-major).
    pub shape: &'static [usize],
    /// Offset of the part's first entry within the player's variable.
    pub offset: usize,
    /// Number of entries.
    pub len: usize,
}

/// How a game's derivatives are computed: the code form the compiler chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// Every sum and index unrolled into scalar code; dense blocks are one
    /// straight-line pass. Fast for small games; code grows with the size.
    Unrolled,
    /// Indices kept symbolic: loops with constant bounds, operators
    /// (Hessian-vector products) generated directly and dense blocks built
    /// column by column from them. For large games; code size does not grow
    /// with the dimensions. The runtime prefers the matrix-free path here.
    Loops,
    /// The costs as a straight-line program over the tensor lets, each let
    /// computed once into an array (a network's layers); gradients by
    /// reverse mode over that program, the operators by forward over
    /// reverse (the gradient code run on [`crate::Tangent`] numbers), dense
    /// blocks column by column from the operators. For games with data
    /// inputs, player parts or deep lets; the runtime prefers the
    /// matrix-free path here.
    Tape,
}

/// A data input of a game (e.g. a GAN's minibatch), resampled by the runtime
/// every step and passed after the players' entries of the state slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataInfo {
    /// The input's name in the DSL.
    pub name: &'static str,
    /// `[]` scalar, `[n]` vector, `[n, m]` matrix (row-major).
    pub shape: &'static [usize],
    /// Offset of the first entry within the data part (after the N player
    /// entries of `x`).
    pub offset: usize,
    /// Number of entries.
    pub len: usize,
}

/// A runtime-settable param's description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// The param's name in the DSL.
    pub name: &'static str,
    /// `[]` scalar, `[n]` vector, `[n, m]` matrix (row-major).
    pub shape: &'static [usize],
    /// Offset in the flat param vector ([`Game::params`]).
    pub offset: usize,
    /// Number of entries (the product of `shape`).
    pub len: usize,
}

/// Static description of a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameInfo {
    /// The game's name in the DSL.
    pub name: &'static str,
    /// The leader (player 1), first in the flat state.
    pub leader: PlayerInfo,
    /// The followers in declaration order, stacked after the leader.
    pub followers: &'static [PlayerInfo],
    /// The runtime-settable params in declaration order.
    pub params: &'static [ParamInfo],
    /// True when the compiler proved f2 = -f1 symbolically (one follower).
    pub zero_sum: bool,
    /// The code form of the derivatives.
    pub form: Form,
    /// Data inputs in declaration order (none for games without `data`).
    pub data: &'static [DataInfo],
}

impl GameInfo {
    /// All players, leader first.
    pub fn players(&self) -> impl Iterator<Item = &PlayerInfo> {
        std::iter::once(&self.leader).chain(self.followers.iter())
    }
    /// Per flat-state entry: is it an angle?
    pub fn angle_mask(&self) -> Vec<bool> {
        let mut m = Vec::new();
        for p in self.players() {
            m.extend(std::iter::repeat_n(p.angle, p.dim));
        }
        m
    }
    /// Human-readable name of flat-state entry `k` (`q1`, `v[0,2]`, ...).
    pub fn coordinate_name(&self, k: usize) -> String {
        for p in self.players() {
            if k >= p.offset && k < p.offset + p.dim {
                let i = k - p.offset;
                return match p.shape {
                    [] => p.name.to_string(),
                    [_] => format!("{}[{}]", p.name, i),
                    [_, m] => format!("{}[{},{}]", p.name, i / m, i % m),
                    _ => format!("{}#{}", p.name, i),
                };
            }
        }
        format!("x{k}")
    }
}

/// One simplified derivative block as readable text.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockFormula {
    /// e.g. `"D1f1"`, `"D22f2"`, `"D12phi"`.
    pub block: &'static str,
    /// Rows x cols (`[n]` for vectors, `[]` for scalars).
    pub shape: Vec<usize>,
    /// Entry-by-entry formulas, each `"name[i,j] = expr"`; entries known to be
    /// zero are omitted.
    pub entries: Vec<String>,
}

/// The fused inputs of one Stackelberg step, written in one pass (shared
/// subexpressions computed once). Lengths: `d1f1` d1, `d2f1` d2, `d2f2` d2,
/// `d22f2` d2*d2, `d21f2` d2*d1.
pub struct StackelbergParts<'a, T> {
    /// D1f1, the leader's own gradient.
    pub d1f1: &'a mut [T],
    /// D2f1, the leader cost's gradient in the followers' coordinates.
    pub d2f1: &'a mut [T],
    /// D2f2, the followers' own gradients.
    pub d2f2: &'a mut [T],
    /// D22f2, the followers' Hessian block (row-major).
    pub d22f2: &'a mut [T],
    /// D21f2, the followers' mixed block (row-major, d2 x d1).
    pub d21f2: &'a mut [T],
}

impl<'a, T> StackelbergParts<'a, T> {
    /// The parts over five buffers in the order D1f1, D2f1, D2f2, D22f2,
    /// D21f2 (e.g. `[d1, d2, d2, d2 * d2, d2 * d1].map(|k| vec![0.0; k])`).
    pub fn from_buffers(b: &'a mut [Vec<T>; 5]) -> Self {
        let [d1f1, d2f1, d2f2, d22f2, d21f2] = b;
        StackelbergParts {
            d1f1,
            d2f1,
            d2f2,
            d22f2,
            d21f2,
        }
    }
}

/// The second-order blocks J_S needs, written in one pass (shared
/// subexpressions computed once), at x with the multiplier lambda fixed.
/// Lengths: `d11f1` d1*d1, `d12f1` d1*d2, `d22f1` d2*d2, `d22f2` d2*d2,
/// `d21f2` d2*d1, `d11phi` d1*d1, `d12phi` d1*d2, `d21phi` d2*d1, `d22phi` d2*d2.
pub struct SecondOrderParts<'a, T> {
    /// D11f1, the leader's Hessian block.
    pub d11f1: &'a mut [T],
    /// D12f1 (d1 x d2).
    pub d12f1: &'a mut [T],
    /// D22f1 (d2 x d2).
    pub d22f1: &'a mut [T],
    /// D22f2, the followers' Hessian block.
    pub d22f2: &'a mut [T],
    /// D21f2 (d2 x d1).
    pub d21f2: &'a mut [T],
    /// D11 phi, phi(x; lambda) = lambda^T omega_F(x) with lambda fixed (the
    /// term of J_S that replaces the third-order tensors).
    pub d11phi: &'a mut [T],
    /// D12 phi.
    pub d12phi: &'a mut [T],
    /// D21 phi.
    pub d21phi: &'a mut [T],
    /// D22 phi.
    pub d22phi: &'a mut [T],
}

/// A Stackelberg game with one leader and one or more (simultaneously
/// playing) followers. Implemented by `stackel_game!`; hand-written impls are
/// fine too (tests use them as references).
///
/// ```
/// use stackel_runtime::Game;
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let g = Duopoly::default();
/// assert_eq!((Duopoly::D1, Duopoly::D2, Duopoly::NP), (1, 1, 3));
/// let mut p = [0.0; 3];
/// g.params(&mut p); // (a, c1, c2) in declaration order
/// assert_eq!(p, [100.0, 5.0, 2.0]);
/// // f2 = -(a - q1 - q2 - c2) q2, so D2 f2 = -(a - q1 - 2 q2 - c2): zero on the
/// // follower's best response, here at the Stackelberg point (46, 26).
/// let mut d2f2 = [1.0];
/// g.d2f2(&[46.0, 26.0], &mut d2f2);
/// assert_eq!(d2f2, [0.0]);
/// ```
pub trait Game: Send + Sync {
    /// Leader dimension d1.
    fn d1(&self) -> usize;
    /// Stacked follower dimension d2.
    fn d2(&self) -> usize;
    /// Number of flat param entries.
    fn np(&self) -> usize;
    /// Full state dimension d1 + d2.
    #[inline]
    fn n(&self) -> usize {
        self.d1() + self.d2()
    }
    /// Number of data entries read after the state (see the module docs).
    #[inline]
    fn nd(&self) -> usize {
        0
    }

    /// The game's static description: players, shapes, params.
    fn info(&self) -> &'static GameInfo;

    /// Current params, flattened in declaration order (len `NP`).
    fn params(&self, out: &mut [f64]);
    /// Sets the params from a flat slice (len `NP`).
    fn set_params(&mut self, p: &[f64]);

    /// f1(x).
    fn leader_cost<T: Real>(&self, x: &[T]) -> T;
    /// f_{2^i}(x) for follower `i` (0-based among followers).
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T;

    /// D1 f1 (len d1).
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D2 f1 (len d2).
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// omega_F = D2 f2 (len d2).
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]);
    /// omega = (D1 f1, D2 f2) (len d1 + d2), fused.
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D11 f1 (d1 x d1).
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D12 f1 (d1 x d2).
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D22 f1 (d2 x d2) (used by LOLA-style and zero-sum checks).
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// H = D22 f2 (d2 x d2).
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]);
    /// B = D21 f2 (d2 x d1).
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]);
    /// Everything one Stackelberg step needs, fused. The default calls the
    /// single-block methods; generated games override it with one
    /// straight-line pass.
    #[inline]
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        self.d1f1(x, out.d1f1);
        self.d2f1(x, out.d2f1);
        self.d2f2(x, out.d2f2);
        self.d22f2(x, out.d22f2);
        self.d21f2(x, out.d21f2);
    }

    /// Whether the engines should evaluate the field of a whole chunk of
    /// trajectories at once, with [`Game::omega_batch`] and
    /// [`Game::stackelberg_parts_batch`]: true for games whose one-point
    /// methods cannot be inlined into the engine's loop (compiled at run
    /// time); generated games keep the default, false.
    fn prefers_batches(&self) -> bool {
        false
    }

    /// omega at `count` points stored coordinate-major: entry i of point j
    /// at `xs[i * count + j]` (len N count), written likewise into `out`.
    /// The default gathers each point and calls [`Game::omega`].
    fn omega_batch<T: Real>(&self, xs: &[T], count: usize, out: &mut [T]) {
        let n = self.n();
        let (mut x, mut o) = (vec![T::zero(); n], vec![T::zero(); n]);
        for j in 0..count {
            for (i, v) in x.iter_mut().enumerate() {
                *v = xs[i * count + j];
            }
            self.omega(&x, &mut o);
            for (i, v) in o.iter().enumerate() {
                out[i * count + j] = *v;
            }
        }
    }

    /// [`Game::stackelberg_parts`] at `count` points, coordinate-major as in
    /// [`Game::omega_batch`]: entry e of each part at point j is
    /// `part[e * count + j]`.
    fn stackelberg_parts_batch<T: Real>(
        &self,
        xs: &[T],
        count: usize,
        out: StackelbergParts<'_, T>,
    ) {
        let (d1, d2) = (self.d1(), self.d2());
        let mut x = vec![T::zero(); d1 + d2];
        let sizes = [d1, d2, d2, d2 * d2, d2 * d1];
        let mut one: Vec<Vec<T>> = sizes.iter().map(|&k| vec![T::zero(); k]).collect();
        let StackelbergParts {
            d1f1,
            d2f1,
            d2f2,
            d22f2,
            d21f2,
        } = out;
        let mut whole = [d1f1, d2f1, d2f2, d22f2, d21f2];
        for j in 0..count {
            for (i, v) in x.iter_mut().enumerate() {
                *v = xs[i * count + j];
            }
            let [a, b, c, h, bb] = &mut one[..] else {
                unreachable!("five parts")
            };
            self.stackelberg_parts(
                &x,
                StackelbergParts {
                    d1f1: a,
                    d2f1: b,
                    d2f2: c,
                    d22f2: h,
                    d21f2: bb,
                },
            );
            for (part, values) in whole.iter_mut().zip(&one) {
                for (e, v) in values.iter().enumerate() {
                    part[e * count + j] = *v;
                }
            }
        }
    }

    /// Every second-order block of f1, omega_F and phi = lambda^T omega_F,
    /// fused. The default calls the single-block methods; generated games
    /// override it with one straight-line pass.
    fn second_order_parts<T: Real>(&self, x: &[T], lambda: &[T], out: SecondOrderParts<'_, T>) {
        self.d11f1(x, out.d11f1);
        self.d12f1(x, out.d12f1);
        self.d22f1(x, out.d22f1);
        self.d22f2(x, out.d22f2);
        self.d21f2(x, out.d21f2);
        self.d11phi(x, lambda, out.d11phi);
        self.d12phi(x, lambda, out.d12phi);
        self.d21phi(x, lambda, out.d21phi);
        self.d22phi(x, lambda, out.d22phi);
    }

    /// D11 phi (d1 x d1), phi = lambda^T omega_F, lambda (len d2) fixed.
    fn d11phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]);
    /// D12 phi (d1 x d2).
    fn d12phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]);
    /// D21 phi (d2 x d1).
    fn d21phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]);
    /// D22 phi (d2 x d2).
    fn d22phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]);

    /// H w = D22 f2 w (`w`, `out`: len d2). The default forms the dense
    /// block (allocates d2 x d2); loop-form games override it.
    fn d22f2_mul<T: Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
        let d2 = self.d2();
        let mut h = vec![T::zero(); d2 * d2];
        self.d22f2(x, &mut h);
        mat_vec(&h, d2, d2, w, out);
    }
    /// H^T v = D22 f2^T v (len d2); H is symmetric for one follower.
    fn d22f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        let d2 = self.d2();
        let mut h = vec![T::zero(); d2 * d2];
        self.d22f2(x, &mut h);
        mat_t_vec(&h, d2, d2, v, out);
    }
    /// B u = D21 f2 u (`u` len d1, `out` len d2).
    fn d21f2_mul<T: Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
        let (d1, d2) = (self.d1(), self.d2());
        let mut b = vec![T::zero(); d2 * d1];
        self.d21f2(x, &mut b);
        mat_vec(&b, d2, d1, u, out);
    }
    /// B^T v = D21 f2^T v (`v` len d2, `out` len d1): the gradient in x1 of
    /// phi(x; v) = v^T omega_F.
    fn d21f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        let (d1, d2) = (self.d1(), self.d2());
        let mut b = vec![T::zero(); d2 * d1];
        self.d21f2(x, &mut b);
        mat_t_vec(&b, d2, d1, v, out);
    }
    /// (D^2 f1) dir over the full state: (D11 f1 u + D12 f1 w,
    /// D21 f1 u + D22 f1 w) for dir = (u, w) (len N each; D21 f1 = D12 f1^T).
    fn f1_hvp<T: Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
        let (d1, d2) = (self.d1(), self.d2());
        let mut a = vec![T::zero(); d1 * d1];
        let mut c = vec![T::zero(); d1 * d2];
        let mut e = vec![T::zero(); d2 * d2];
        self.d11f1(x, &mut a);
        self.d12f1(x, &mut c);
        self.d22f1(x, &mut e);
        hessian_mul(&a, &c, None, &e, d1, d2, dir, out);
    }
    /// (D^2 phi) dir over the full state, phi(x; lambda) = lambda^T omega_F
    /// with lambda (len d2) fixed: (D11 phi u + D12 phi w, D21 phi u +
    /// D22 phi w) for dir = (u, w) (len N each).
    fn phi_hvp<T: Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
        let (d1, d2) = (self.d1(), self.d2());
        let mut a = vec![T::zero(); d1 * d1];
        let mut c = vec![T::zero(); d1 * d2];
        let mut b = vec![T::zero(); d2 * d1];
        let mut e = vec![T::zero(); d2 * d2];
        self.d11phi(x, lambda, &mut a);
        self.d12phi(x, lambda, &mut c);
        self.d21phi(x, lambda, &mut b);
        self.d22phi(x, lambda, &mut e);
        hessian_mul(&a, &c, Some(&b), &e, d1, d2, dir, out);
    }

    /// D1p f1: derivative of D1 f1 w.r.t. the flat params (d1 x NP).
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D2p f1 (d2 x NP).
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D2p f2: derivative of omega_F w.r.t. the params (d2 x NP).
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]);
    /// D1p phi (d1 x NP).
    fn d1p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]);
    /// D2p phi (d2 x NP).
    fn d2p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]);

    /// Staggered hierarchy (appendix F.1, [`crate::hierarchy`]): D f_p, the
    /// gradient of player `p`'s cost over the whole state (len N; p = 0 the
    /// leader, 1.. the followers in declaration order). Generated for games
    /// that declare `follower z after y;`; otherwise [`NotGenerated`].
    fn staggered_gradient<T: Real>(
        &self,
        p: usize,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        let _ = (p, x, out);
        Err(NotGenerated)
    }
    /// D^2 f_p, the Hessian of player `p`'s cost over the whole state
    /// (N x N, row-major); see [`Game::staggered_gradient`].
    fn staggered_hessian<T: Real>(
        &self,
        p: usize,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        let _ = (p, x, out);
        Err(NotGenerated)
    }
    /// D^2 phi_p (N x N) for a follower `p` >= 1, phi_p(x; lambda) =
    /// lambda^T D_p f_p with lambda (len d_p) held fixed: the second-order
    /// term of a total derivative through p's implicit map, without the
    /// third-order tensor D^3 f_p; see [`Game::staggered_gradient`].
    fn staggered_phi_hessian<T: Real>(
        &self,
        p: usize,
        x: &[T],
        lambda: &[T],
        out: &mut [T],
    ) -> Result<(), NotGenerated> {
        let _ = (p, x, lambda, out);
        Err(NotGenerated)
    }

    /// The simplified formula of every block, for a person to read.
    fn formulas(&self) -> Vec<BlockFormula>;

    /// The costs as written in the DSL, each subexpression with its place
    /// in the user's file ([`crate::source`]): what [`crate::nonfinite`]
    /// traces a NaN or an infinity back to. `None` for hand-written games.
    fn source(&self) -> Option<&'static crate::source::GameSource> {
        None
    }

    /// The game's WGSL module for the GPU engine (contract in the runtime's
    /// `gpu` module), if the compiler emitted one.
    fn wgsl(&self) -> Option<&'static str> {
        None
    }

    /// The operation counts the compiler emitted with the game (see
    /// [`crate::cost`]; [`crate::cost::CostReport::of`] gives the whole
    /// report); `None` for hand-written games.
    fn compiled_costs(&self) -> Option<&'static crate::cost::CompiledCosts> {
        None
    }
}

/// out = A v for a row-major r x c block A.
fn mat_vec<T: Real>(a: &[T], r: usize, c: usize, v: &[T], out: &mut [T]) {
    for i in 0..r {
        let mut acc = T::zero();
        for j in 0..c {
            acc += a[i * c + j] * v[j];
        }
        out[i] = acc;
    }
}

/// out = A^T v for a row-major r x c block A.
fn mat_t_vec<T: Real>(a: &[T], r: usize, c: usize, v: &[T], out: &mut [T]) {
    for o in out[..c].iter_mut() {
        *o = T::zero();
    }
    for i in 0..r {
        for j in 0..c {
            out[j] += a[i * c + j] * v[i];
        }
    }
}

/// out = [[A, C], [L, E]] (u, w) with L = `lower` or, when `None`, C^T (a
/// symmetric Hessian); A d1 x d1, C d1 x d2, L d2 x d1, E d2 x d2.
#[allow(clippy::too_many_arguments)]
fn hessian_mul<T: Real>(
    a: &[T],
    c: &[T],
    lower: Option<&[T]>,
    e: &[T],
    d1: usize,
    d2: usize,
    dir: &[T],
    out: &mut [T],
) {
    let (u, w) = dir.split_at(d1);
    let (top, bottom) = out.split_at_mut(d1);
    mat_vec(a, d1, d1, u, top);
    for i in 0..d1 {
        let mut acc = T::zero();
        for j in 0..d2 {
            acc += c[i * d2 + j] * w[j];
        }
        top[i] += acc;
    }
    mat_vec(e, d2, d2, w, bottom);
    match lower {
        Some(l) => {
            for i in 0..d2 {
                let mut acc = T::zero();
                for j in 0..d1 {
                    acc += l[i * d1 + j] * u[j];
                }
                bottom[i] += acc;
            }
        }
        None => {
            for j in 0..d2 {
                let mut acc = T::zero();
                for i in 0..d1 {
                    acc += c[i * d2 + j] * u[i];
                }
                bottom[j] += acc;
            }
        }
    }
}
