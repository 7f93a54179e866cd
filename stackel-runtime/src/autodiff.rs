//! A [`Game`] from plain Rust cost functions, differentiated in forward mode
//! with num-dual's dual numbers (feature `dual`).
//!
//! It is an independent reference for the code `stackel_game!` generates, and
//! a way to write a game without the macro. Every block is exact up to
//! rounding (no finite differences):
//!
//! - first derivatives (D1 f1, D2 f1, omega_F) seed one `Dual64`;
//! - second derivatives (D11 f1, H = D22 f2, B = D21 f2, D1p f1, ...) seed the
//!   two infinitesimals of a `HyperDual64`;
//! - blocks of phi(x; lambda) = lambda^T omega_F(x) are third derivatives of
//!   the followers' costs: with v_k the direction that is lambda on follower
//!   k's coordinates and 0 elsewhere, phi = sum_k D_{v_k} f_{2^k}, so
//!   D_ij phi = sum_k d^3 f_{2^k} / (dv_k dz_i dz_j), read off a
//!   `HyperHyperDual64` seeded with (v_k, e_i, e_j);
//! - param derivatives treat the params as further variables z = (x, p).
//!
//! The blocks are evaluated at the real parts of `x` (`Real::re`) and written
//! back with `Real::of`: exact for `f32`/`f64`, but a dual-number `x` does not
//! carry its own infinitesimals through a block (the costs themselves,
//! [`Game::leader_cost`] and [`Game::follower_cost`], do). Calls allocate: this
//! is a reference, not a hot path.
//!
//! ```
//! use stackel_runtime::autodiff::{Costs, DualGame};
//! use stackel_runtime::{Form, Game, GameInfo, ParamInfo, PlayerInfo, Real};
//!
//! /// Cournot duopoly: f_i = -(a - q1 - q2 - c_i) q_i.
//! struct Cournot([f64; 3]);
//! static INFO: GameInfo = GameInfo {
//!     name: "cournot",
//!     leader: PlayerInfo { name: "q1", shape: &[], offset: 0, dim: 1, angle: false, level: 0, parts: &[] },
//!     followers: &[PlayerInfo { name: "q2", shape: &[], offset: 1, dim: 1, angle: false, level: 1, parts: &[] }],
//!     params: &[ParamInfo { name: "abc", shape: &[3], offset: 0, len: 3 }],
//!     zero_sum: false,
//!     form: Form::Unrolled,
//!     data: &[],
//! };
//! impl Costs for Cournot {
//!     const D1: usize = 1;
//!     const D2: usize = 1;
//!     const NP: usize = 3;
//!     fn info(&self) -> &'static GameInfo { &INFO }
//!     fn params(&self, out: &mut [f64]) { out.copy_from_slice(&self.0) }
//!     fn set_params(&mut self, p: &[f64]) { self.0.copy_from_slice(p) }
//!     fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T { -(p[0] - x[0] - x[1] - p[1]) * x[0] }
//!     fn follower<T: Real>(&self, _i: usize, x: &[T], p: &[T]) -> T {
//!         -(p[0] - x[0] - x[1] - p[2]) * x[1]
//!     }
//! }
//!
//! let g = DualGame::new(Cournot([100.0, 5.0, 2.0])).unwrap();
//! let mut w = [0.0; 2];
//! g.omega(&[46.0, 26.0], &mut w); // D1 f1 = 2 q1 + q2 - 95, D2 f2 = q1 + 2 q2 - 98
//! assert_eq!(w, [23.0, 0.0]);
//! let mut dp = [0.0; 3];
//! g.d1p_f1(&[46.0, 26.0], &mut dp); // d(D1 f1)/d(a, c1, c2)
//! assert_eq!(dp, [-1.0, 1.0, 0.0]);
//! ```

use num_dual::{Dual64, HyperDual64, HyperHyperDual64};

use crate::game::{BlockFormula, Game, GameInfo};
use crate::real::Real;

/// Cost functions of a game written as ordinary generic Rust, the input of
/// [`DualGame`]. `x` is the flat state (leader first, then the followers in
/// the order of `info().followers`), `p` the flat params (len `NP`).
pub trait Costs: Send + Sync {
    /// Leader dimension d1.
    const D1: usize;
    /// Stacked follower dimension d2.
    const D2: usize;
    /// Number of flat param entries.
    const NP: usize;
    /// Players and params; offsets and dims must match `D1`, `D2`, `NP`
    /// (checked by [`DualGame::new`]).
    fn info(&self) -> &'static GameInfo;
    /// Current params (len `NP`).
    fn params(&self, out: &mut [f64]);
    /// Sets the params (len `NP`).
    fn set_params(&mut self, p: &[f64]);
    /// f1(x; p).
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T;
    /// f_{2^i}(x; p) for follower `i` (0-based among followers).
    fn follower<T: Real>(&self, i: usize, x: &[T], p: &[T]) -> T;
}

/// The players/params described by [`Costs::info`] do not fit `D1`, `D2`, `NP`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("game layout of `{game}` does not match its dimensions: {what}")]
pub struct LayoutError {
    /// The game's name.
    pub game: &'static str,
    /// What does not fit.
    pub what: String,
}

/// A [`Game`] whose derivative blocks are computed from [`Costs`] by
/// forward-mode dual numbers (see the module docs).
#[derive(Clone, Debug)]
pub struct DualGame<C> {
    costs: C,
    /// Follower index owning each stacked follower coordinate (len d2).
    owner: Vec<usize>,
    /// First and one-past-last stacked follower coordinate of each follower.
    ranges: Vec<(usize, usize)>,
}

/// Which cost to evaluate.
#[derive(Clone, Copy, Debug)]
enum Cost {
    Leader,
    Follower(usize),
}

impl<C: Costs> DualGame<C> {
    /// Wraps `costs`, checking that its [`GameInfo`] matches its dimensions:
    /// the leader is entries `0..D1`, the followers tile `D1..D1 + D2` in
    /// order, and the params tile `0..NP`.
    pub fn new(costs: C) -> Result<Self, LayoutError> {
        let info = costs.info();
        let err = |what: String| LayoutError {
            game: info.name,
            what,
        };
        if info.leader.offset != 0 || info.leader.dim != C::D1 {
            return Err(err(format!(
                "leader `{}` must have offset 0 and dim {} (has offset {}, dim {})",
                info.leader.name,
                C::D1,
                info.leader.offset,
                info.leader.dim
            )));
        }
        if info.followers.is_empty() {
            return Err(err("a game needs at least one follower".into()));
        }
        let mut owner = Vec::with_capacity(C::D2);
        let mut ranges = Vec::with_capacity(info.followers.len());
        let mut next = C::D1;
        for (k, f) in info.followers.iter().enumerate() {
            if f.offset != next {
                return Err(err(format!(
                    "follower `{}` must start at offset {next} (starts at {})",
                    f.name, f.offset
                )));
            }
            ranges.push((next - C::D1, next - C::D1 + f.dim));
            owner.extend(std::iter::repeat_n(k, f.dim));
            next += f.dim;
        }
        if next != C::D1 + C::D2 {
            return Err(err(format!(
                "followers cover {} entries, D2 is {}",
                next - C::D1,
                C::D2
            )));
        }
        let mut np = 0;
        for p in info.params {
            if p.offset != np {
                return Err(err(format!(
                    "param `{}` must start at offset {np} (starts at {})",
                    p.name, p.offset
                )));
            }
            np += p.len;
        }
        if np != C::NP {
            return Err(err(format!("params cover {np} entries, NP is {}", C::NP)));
        }
        Ok(DualGame {
            costs,
            owner,
            ranges,
        })
    }

    /// The wrapped costs.
    pub fn costs(&self) -> &C {
        &self.costs
    }

    /// Unwraps the costs.
    pub fn into_costs(self) -> C {
        self.costs
    }

    fn n() -> usize {
        C::D1 + C::D2
    }

    /// z = (x, p) at the real parts of `x` and the current params.
    fn z<T: Real>(&self, x: &[T]) -> Vec<f64> {
        let n = Self::n();
        let mut z = vec![0.0; n + C::NP];
        for (zi, xi) in z.iter_mut().zip(&x[..n]) {
            *zi = xi.re();
        }
        self.costs.params(&mut z[n..]);
        z
    }

    fn eval<D: Real>(&self, which: Cost, z: &[D]) -> D {
        let (x, p) = z.split_at(Self::n());
        match which {
            Cost::Leader => self.costs.leader(x, p),
            Cost::Follower(k) => self.costs.follower(k, x, p),
        }
    }

    /// d cost / d z_i.
    fn first(&self, which: Cost, z: &[f64], i: usize) -> f64 {
        let zd: Vec<Dual64> = z
            .iter()
            .enumerate()
            .map(|(m, &v)| Dual64::new(v, if m == i { 1.0 } else { 0.0 }))
            .collect();
        self.eval(which, &zd).eps
    }

    /// d^2 cost / (d z_i d z_j).
    fn second(&self, which: Cost, z: &[f64], i: usize, j: usize) -> f64 {
        let zd: Vec<HyperDual64> = z
            .iter()
            .enumerate()
            .map(|(m, &v)| {
                HyperDual64::new(
                    v,
                    if m == i { 1.0 } else { 0.0 },
                    if m == j { 1.0 } else { 0.0 },
                    0.0,
                )
            })
            .collect();
        self.eval(which, &zd).eps1eps2
    }

    /// d^3 cost / (d v d z_i d z_j) along the direction `v` (len of z).
    fn third(&self, which: Cost, z: &[f64], v: &[f64], i: usize, j: usize) -> f64 {
        let zd: Vec<HyperHyperDual64> = z
            .iter()
            .zip(v)
            .enumerate()
            .map(|(m, (&val, &dir))| {
                HyperHyperDual64::new(
                    val,
                    dir,
                    if m == i { 1.0 } else { 0.0 },
                    if m == j { 1.0 } else { 0.0 },
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                )
            })
            .collect();
        self.eval(which, &zd).eps1eps2eps3
    }

    /// out (rows x cols, row-major) [r][c] = entry(r, c); a `symmetric`
    /// block (a diagonal block of one scalar's Hessian) evaluates c >= r only.
    fn fill<T: Real>(
        out: &mut [T],
        rows: usize,
        cols: usize,
        symmetric: bool,
        mut entry: impl FnMut(usize, usize) -> f64,
    ) {
        for r in 0..rows {
            let first = if symmetric { r } else { 0 };
            for c in first..cols {
                let v = T::of(entry(r, c));
                out[r * cols + c] = v;
                if symmetric {
                    out[c * cols + r] = v;
                }
            }
        }
    }

    /// Block of a derivative of phi = lambda^T omega_F: rows are z indices
    /// `row0..row0 + rows`, columns `col0..col0 + cols`.
    #[allow(clippy::too_many_arguments)]
    fn phi_block<T: Real>(
        &self,
        x: &[T],
        lambda: &[T],
        row0: usize,
        rows: usize,
        col0: usize,
        cols: usize,
        out: &mut [T],
    ) {
        let z = self.z(x);
        let dirs: Vec<Vec<f64>> = self
            .ranges
            .iter()
            .map(|&(lo, hi)| {
                let mut v = vec![0.0; z.len()];
                for a in lo..hi {
                    v[C::D1 + a] = lambda[a].re();
                }
                v
            })
            .collect();
        Self::fill(out, rows, cols, row0 == col0, |r, c| {
            dirs.iter()
                .enumerate()
                .map(|(k, v)| self.third(Cost::Follower(k), &z, v, row0 + r, col0 + c))
                .sum()
        });
    }

    /// Rows of the follower field's derivative: entry (a, c) is
    /// d^2 f_{owner(a)} / (d x2_a d z_{col0 + c}).
    fn field_block<T: Real>(&self, x: &[T], col0: usize, cols: usize, out: &mut [T]) {
        let z = self.z(x);
        Self::fill(out, C::D2, cols, false, |a, c| {
            self.second(Cost::Follower(self.owner[a]), &z, C::D1 + a, col0 + c)
        });
    }

    fn leader_block<T: Real>(
        &self,
        x: &[T],
        row0: usize,
        rows: usize,
        col0: usize,
        cols: usize,
        out: &mut [T],
    ) {
        let z = self.z(x);
        Self::fill(out, rows, cols, row0 == col0, |r, c| {
            self.second(Cost::Leader, &z, row0 + r, col0 + c)
        });
    }

    fn params_as<T: Real>(&self) -> Vec<T> {
        let mut p = vec![0.0; C::NP];
        self.costs.params(&mut p);
        p.into_iter().map(T::of).collect()
    }
}

impl<C: Costs> Game for DualGame<C> {
    #[inline]
    fn d1(&self) -> usize {
        C::D1
    }
    #[inline]
    fn d2(&self) -> usize {
        C::D2
    }
    #[inline]
    fn np(&self) -> usize {
        C::NP
    }

    fn info(&self) -> &'static GameInfo {
        self.costs.info()
    }
    fn params(&self, out: &mut [f64]) {
        self.costs.params(out)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.costs.set_params(p)
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.costs.leader(x, &self.params_as::<T>())
    }
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        self.costs.follower(i, x, &self.params_as::<T>())
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let z = self.z(x);
        for (i, o) in out[..C::D1].iter_mut().enumerate() {
            *o = T::of(self.first(Cost::Leader, &z, i));
        }
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let z = self.z(x);
        for (a, o) in out[..C::D2].iter_mut().enumerate() {
            *o = T::of(self.first(Cost::Leader, &z, C::D1 + a));
        }
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let z = self.z(x);
        for (a, o) in out[..C::D2].iter_mut().enumerate() {
            *o = T::of(self.first(Cost::Follower(self.owner[a]), &z, C::D1 + a));
        }
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (o1, o2) = out.split_at_mut(C::D1);
        self.d1f1(x, o1);
        self.d2f2(x, o2);
    }
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.leader_block(x, 0, C::D1, 0, C::D1, out);
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.leader_block(x, 0, C::D1, C::D1, C::D2, out);
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.leader_block(x, C::D1, C::D2, C::D1, C::D2, out);
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.field_block(x, C::D1, C::D2, out);
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.field_block(x, 0, C::D1, out);
    }
    fn d11phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.phi_block(x, lambda, 0, C::D1, 0, C::D1, out);
    }
    fn d12phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.phi_block(x, lambda, 0, C::D1, C::D1, C::D2, out);
    }
    fn d21phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.phi_block(x, lambda, C::D1, C::D2, 0, C::D1, out);
    }
    fn d22phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.phi_block(x, lambda, C::D1, C::D2, C::D1, C::D2, out);
    }
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.leader_block(x, 0, C::D1, Self::n(), C::NP, out);
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.leader_block(x, C::D1, C::D2, Self::n(), C::NP, out);
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.field_block(x, Self::n(), C::NP, out);
    }
    fn d1p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.phi_block(x, lambda, 0, C::D1, Self::n(), C::NP, out);
    }
    fn d2p_phi<T: Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
        self.phi_block(x, lambda, C::D1, C::D2, Self::n(), C::NP, out);
    }
    /// Forward-mode differentiation has no symbolic formulas: empty.
    fn formulas(&self) -> Vec<BlockFormula> {
        Vec::new()
    }
}
