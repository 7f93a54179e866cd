//! The hand-written torus location game.

use stackel_runtime::game::{BlockFormula, Game, GameInfo, ParamInfo, StackelbergParts};
use stackel_runtime::real::Real;

use super::scalar_player;

/// Location game on a torus (paper 4.2): players pick angles th1 (leader) and
/// th2 (follower) with f_i = -alpha_i cos(th_i - phi_i) + cos(th_i - th_-i).
///
/// Params flatten as `(alpha[0], alpha[1], phi[0], phi[1])`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Torus {
    /// Weights alpha_i of the players' own terms -alpha_i cos(th_i - phi_i).
    pub alpha: [f64; 2],
    /// Preferred angles phi_i.
    pub phi: [f64; 2],
}

impl Default for Torus {
    /// The paper's parameters: alpha = (1.0, 1.3), phi = (pi/8, pi/8).
    fn default() -> Self {
        Torus {
            alpha: [1.0, 1.3],
            phi: [std::f64::consts::PI / 8.0; 2],
        }
    }
}

static TORUS_INFO: GameInfo = GameInfo {
    name: "Torus",
    leader: scalar_player("th1", 0, true),
    followers: &[scalar_player("th2", 1, true)],
    params: &[
        ParamInfo {
            name: "alpha",
            shape: &[2],
            offset: 0,
            len: 2,
        },
        ParamInfo {
            name: "phi",
            shape: &[2],
            offset: 2,
            len: 2,
        },
    ],
    zero_sum: false,
    form: stackel_runtime::Form::Unrolled,
    data: &[],
};

impl Torus {
    /// (sin, cos) of th1 - phi1, th2 - phi2 and th2 - th1.
    #[inline(always)]
    fn trig<T: Real>(&self, x: &[T]) -> [T; 6] {
        let u1 = x[0] - T::of(self.phi[0]);
        let u2 = x[1] - T::of(self.phi[1]);
        let d = x[1] - x[0];
        [u1.sin(), u1.cos(), u2.sin(), u2.cos(), d.sin(), d.cos()]
    }
}

impl Game for Torus {
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
        4
    }

    fn info(&self) -> &'static GameInfo {
        &TORUS_INFO
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&[self.alpha[0], self.alpha[1], self.phi[0], self.phi[1]]);
    }
    fn set_params(&mut self, p: &[f64]) {
        self.alpha = [p[0], p[1]];
        self.phi = [p[2], p[3]];
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        -T::of(self.alpha[0]) * (x[0] - T::of(self.phi[0])).cos() + (x[0] - x[1]).cos()
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        -T::of(self.alpha[1]) * (x[1] - T::of(self.phi[1])).cos() + (x[1] - x[0]).cos()
    }
    /// alpha1 sin(th1 - phi1) + sin(th2 - th1).
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [s1, _, _, _, sd, _] = self.trig(x);
        out[0] = T::of(self.alpha[0]) * s1 + sd;
    }
    /// -sin(th2 - th1).
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -(x[1] - x[0]).sin();
    }
    /// alpha2 sin(th2 - phi2) - sin(th2 - th1).
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, _, s2, _, sd, _] = self.trig(x);
        out[0] = T::of(self.alpha[1]) * s2 - sd;
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [s1, _, s2, _, sd, _] = self.trig(x);
        out[0] = T::of(self.alpha[0]) * s1 + sd;
        out[1] = T::of(self.alpha[1]) * s2 - sd;
    }
    /// alpha1 cos(th1 - phi1) - cos(th2 - th1).
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, c1, _, _, _, cd] = self.trig(x);
        out[0] = T::of(self.alpha[0]) * c1 - cd;
    }
    /// cos(th2 - th1).
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = (x[1] - x[0]).cos();
    }
    /// -cos(th2 - th1).
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = -(x[1] - x[0]).cos();
    }
    /// alpha2 cos(th2 - phi2) - cos(th2 - th1).
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, _, _, c2, _, cd] = self.trig(x);
        out[0] = T::of(self.alpha[1]) * c2 - cd;
    }
    /// cos(th2 - th1).
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = (x[1] - x[0]).cos();
    }
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        let [s1, _, s2, c2, sd, cd] = self.trig(x);
        out.d1f1[0] = T::of(self.alpha[0]) * s1 + sd;
        out.d2f1[0] = -sd;
        out.d2f2[0] = T::of(self.alpha[1]) * s2 - sd;
        out.d22f2[0] = T::of(self.alpha[1]) * c2 - cd;
        out.d21f2[0] = cd;
    }
    /// phi = l (alpha2 sin(th2 - phi2) - sin(th2 - th1)); D11 phi = l sin(th2 - th1).
    fn d11phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = l[0] * (x[1] - x[0]).sin();
    }
    /// -l sin(th2 - th1).
    fn d12phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * (x[1] - x[0]).sin();
    }
    /// -l sin(th2 - th1).
    fn d21phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        out[0] = -l[0] * (x[1] - x[0]).sin();
    }
    /// l (sin(th2 - th1) - alpha2 sin(th2 - phi2)).
    fn d22phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let [_, _, s2, _, sd, _] = self.trig(x);
        out[0] = l[0] * (sd - T::of(self.alpha[1]) * s2);
    }
    /// (sin(th1 - phi1), 0, -alpha1 cos(th1 - phi1), 0).
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [s1, c1, _, _, _, _] = self.trig(x);
        out.copy_from_slice(&[s1, T::zero(), -T::of(self.alpha[0]) * c1, T::zero()]);
    }
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    /// (0, sin(th2 - phi2), 0, -alpha2 cos(th2 - phi2)).
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let [_, _, s2, c2, _, _] = self.trig(x);
        out.copy_from_slice(&[T::zero(), s2, T::zero(), -T::of(self.alpha[1]) * c2]);
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    /// D2 phi = l (alpha2 cos(th2 - phi2) - cos(th2 - th1)):
    /// (0, l cos(th2 - phi2), 0, l alpha2 sin(th2 - phi2)).
    fn d2p_phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let [_, _, s2, c2, _, _] = self.trig(x);
        out.copy_from_slice(&[
            T::zero(),
            l[0] * c2,
            T::zero(),
            l[0] * T::of(self.alpha[1]) * s2,
        ]);
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![
            BlockFormula {
                block: "D1f1",
                shape: vec![1],
                entries: vec!["D1f1[0] = alpha[0]*sin(th1 - phi[0]) + sin(th2 - th1)".into()],
            },
            BlockFormula {
                block: "D2f2",
                shape: vec![1],
                entries: vec!["D2f2[0] = alpha[1]*sin(th2 - phi[1]) - sin(th2 - th1)".into()],
            },
        ]
    }
}
