//! The hand-written Cournot duopoly.

use stackel_runtime::game::{BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo};
use stackel_runtime::real::Real;

/// Cournot duopoly (paper 4.1): f_i = -(a - q1 - q2 - c_i) q_i, firm 1 leads.
///
/// Nash (a - 2 c1 + c2, a - 2 c2 + c1) / 3; Stackelberg q1 = (a - 2 c1 + c2) / 2,
/// q2 = (a - c2 - q1) / 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duopoly {
    /// Demand intercept: price = a - q1 - q2.
    pub a: f64,
    /// Leader's unit cost.
    pub c1: f64,
    /// Follower's unit cost.
    pub c2: f64,
}

impl Default for Duopoly {
    fn default() -> Self {
        Duopoly {
            a: 100.0,
            c1: 5.0,
            c2: 2.0,
        }
    }
}

impl Duopoly {
    /// The Nash equilibrium (q1, q2).
    pub fn nash(&self) -> [f64; 2] {
        [
            (self.a - 2.0 * self.c1 + self.c2) / 3.0,
            (self.a - 2.0 * self.c2 + self.c1) / 3.0,
        ]
    }
    /// The Stackelberg equilibrium (q1, q2).
    pub fn stackelberg(&self) -> [f64; 2] {
        let q1 = (self.a - 2.0 * self.c1 + self.c2) / 2.0;
        [q1, (self.a - self.c2 - q1) / 2.0]
    }
}

static DUOPOLY_INFO: GameInfo = GameInfo {
    name: "Duopoly",
    leader: PlayerInfo {
        name: "q1",
        shape: &[],
        offset: 0,
        dim: 1,
        angle: false,
        level: 0,
        parts: &[],
    },
    followers: &[PlayerInfo {
        name: "q2",
        shape: &[],
        offset: 1,
        dim: 1,
        angle: false,
        level: 1,
        parts: &[],
    }],
    params: &[
        ParamInfo {
            name: "a",
            shape: &[],
            offset: 0,
            len: 1,
        },
        ParamInfo {
            name: "c1",
            shape: &[],
            offset: 1,
            len: 1,
        },
        ParamInfo {
            name: "c2",
            shape: &[],
            offset: 2,
            len: 1,
        },
    ],
    zero_sum: false,
    form: stackel_runtime::Form::Unrolled,
    data: &[],
};

impl Game for Duopoly {
    #[inline]
    fn d1(&self) -> usize {
        1
    }
    #[inline]
    fn d2(&self) -> usize {
        1
    }
    #[inline]
    fn np(&self) -> usize {
        3
    }

    fn info(&self) -> &'static GameInfo {
        &DUOPOLY_INFO
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&[self.a, self.c1, self.c2]);
    }
    fn set_params(&mut self, p: &[f64]) {
        (self.a, self.c1, self.c2) = (p[0], p[1], p[2]);
    }
    #[inline]
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        -(T::of(self.a) - x[0] - x[1] - T::of(self.c1)) * x[0]
    }
    #[inline]
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        -(T::of(self.a) - x[0] - x[1] - T::of(self.c2)) * x[1]
    }
    #[inline]
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0) * x[0] + x[1] - T::of(self.a - self.c1);
    }
    #[inline]
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0];
    }
    #[inline]
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0] + T::of(2.0) * x[1] - T::of(self.a - self.c2);
    }
    #[inline]
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.d1f1(x, &mut out[..1]);
        self.d2f2(x, &mut out[1..]);
    }
    #[inline]
    fn d11f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0);
    }
    #[inline]
    fn d12f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(1.0);
    }
    #[inline]
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0);
    }
    #[inline]
    fn d21f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(1.0);
    }
    #[inline]
    fn d11phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    #[inline]
    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(-1.0), T::of(1.0), T::of(0.0)]);
    }
    #[inline]
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    #[inline]
    fn d2p_f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(-1.0), T::of(0.0), T::of(1.0)]);
    }
    #[inline]
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    #[inline]
    fn d2p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![
            BlockFormula {
                block: "D1f1",
                shape: vec![1],
                entries: vec!["D1f1[0] = 2*q1 + q2 - (a - c1)".into()],
            },
            BlockFormula {
                block: "D2f2",
                shape: vec![1],
                entries: vec!["D2f2[0] = q1 + 2*q2 - (a - c2)".into()],
            },
        ]
    }
}
