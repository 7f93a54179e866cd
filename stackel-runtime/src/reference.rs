//! Hand-derived, closed-form implementations of games from the paper. They
//! are independent references for testing the compiler's generated code and
//! the baselines its benchmarks compare against; they are not used by the
//! dynamics themselves.

use crate::game::{BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo, StackelbergParts};
use crate::real::Real;

/// Cournot duopoly (paper 4.1): f_i = -(a - q1 - q2 - c_i) q_i, firm 1 leads.
///
/// Nash (a - 2 c1 + c2, a - 2 c2 + c1) / 3; Stackelberg q1 = (a - 2 c1 + c2) / 2,
/// q2 = (a - c2 - q1) / 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duopoly {
    pub a: f64,
    pub c1: f64,
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
    },
    followers: &[PlayerInfo {
        name: "q2",
        shape: &[],
        offset: 1,
        dim: 1,
        angle: false,
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
};

impl Game for Duopoly {
    const D1: usize = 1;
    const D2: usize = 1;
    const NP: usize = 3;

    fn info(&self) -> &'static GameInfo {
        &DUOPOLY_INFO
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&[self.a, self.c1, self.c2]);
    }
    fn set_params(&mut self, p: &[f64]) {
        (self.a, self.c1, self.c2) = (p[0], p[1], p[2]);
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        -(T::of(self.a) - x[0] - x[1] - T::of(self.c1)) * x[0]
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        -(T::of(self.a) - x[0] - x[1] - T::of(self.c2)) * x[1]
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0) * x[0] + x[1] - T::of(self.a - self.c1);
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0];
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0] + T::of(2.0) * x[1] - T::of(self.a - self.c2);
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.d1f1(x, &mut out[..1]);
        self.d2f2(x, &mut out[1..]);
    }
    fn d11f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0);
    }
    fn d12f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(1.0);
    }
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(2.0);
    }
    fn d21f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[0] = T::of(1.0);
    }
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        self.d1f1(x, out.d1f1);
        self.d2f1(x, out.d2f1);
        self.d2f2(x, out.d2f2);
        self.d22f2(x, out.d22f2);
        self.d21f2(x, out.d21f2);
    }
    fn d11phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[0] = T::of(0.0);
    }
    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(-1.0), T::of(1.0), T::of(0.0)]);
    }
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
    fn d2p_f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(-1.0), T::of(0.0), T::of(1.0)]);
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.copy_from_slice(&[T::of(0.0), T::of(0.0), T::of(0.0)]);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::Workspace;

    #[test]
    fn duopoly_blocks_vanish_at_closed_forms() {
        let g = Duopoly::default();
        let mut ws = Workspace::<f64>::new::<Duopoly>();
        let s = g.stackelberg();
        assert!((s[0] - 46.0).abs() < 1e-12 && (s[1] - 26.0).abs() < 1e-12);
        let mut w = [0.0; 2];
        ws.omega_s(&g, &s, 0.0, &mut w).unwrap();
        assert!(w[0].abs() < 1e-12 && w[1].abs() < 1e-12, "{w:?}");
        let n = g.nash();
        g.omega(&n, &mut w);
        assert!(w[0].abs() < 1e-12 && w[1].abs() < 1e-12);
        // Stackelberg Hessian of the leader: d^2/dq1^2 f1(q1, r(q1)) with
        // r(q1) = (a - c2 - q1)/2 is 2 - 1 = 1.
        let mut hs = [0.0];
        ws.stackelberg_hessian(&g, &s, 0.0, &mut hs).unwrap();
        assert!((hs[0] - 1.0).abs() < 1e-12);
        let mut js = [0.0; 4];
        ws.stackelberg_jacobian(&g, &s, 0.0, &mut js).unwrap();
        // Df1 = 2 q1 + q2 - 95 - q1/2 => D1 = 1.5, D2 = 1
        assert_eq!(js, [1.5, 1.0, 1.0, 2.0]);
        let mut dr = [0.0];
        ws.implicit_map_jacobian(&g, &s, 0.0, &mut dr).unwrap();
        assert!((dr[0] + 0.5).abs() < 1e-15);
    }
}
