//! What the audit evaluates at each point: the dense blocks, or operator
//! products along a fixed direction for large games, and the fields.

use super::field_of;
use crate::dynamics::Dynamics;
use crate::game::Game;
use crate::nonfinite::Block;
use crate::real::Float;

/// What the audit evaluates: a block, an operator product along a fixed
/// direction, or a dynamics' field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Probe {
    Block(Block),
    D11phi,
    D12phi,
    D21phi,
    D22phi,
    Hw,
    HTv,
    Bu,
    BTv,
    F1Hvp,
    Omega,
    OmegaS,
}

impl Probe {
    pub(super) const DENSE: [Probe; 12] = [
        Probe::Block(Block::D1f1),
        Probe::Block(Block::D2f1),
        Probe::Block(Block::D2f2),
        Probe::Block(Block::D11f1),
        Probe::Block(Block::D12f1),
        Probe::Block(Block::D22f1),
        Probe::Block(Block::D22f2),
        Probe::Block(Block::D21f2),
        Probe::D11phi,
        Probe::D12phi,
        Probe::D21phi,
        Probe::D22phi,
    ];
    pub(super) const OPERATORS: [Probe; 8] = [
        Probe::Block(Block::D1f1),
        Probe::Block(Block::D2f1),
        Probe::Block(Block::D2f2),
        Probe::Hw,
        Probe::HTv,
        Probe::Bu,
        Probe::BTv,
        Probe::F1Hvp,
    ];
    pub(super) const FIELDS: [Probe; 2] = [Probe::Omega, Probe::OmegaS];

    pub(super) fn name(self) -> &'static str {
        match self {
            Probe::Block(b) => b.name(),
            Probe::D11phi => "D11phi",
            Probe::D12phi => "D12phi",
            Probe::D21phi => "D21phi",
            Probe::D22phi => "D22phi",
            Probe::Hw => "H w",
            Probe::HTv => "H^T v",
            Probe::Bu => "B u",
            Probe::BTv => "B^T v",
            Probe::F1Hvp => "D^2f1 dir",
            Probe::Omega => "omega",
            Probe::OmegaS => "omega_S",
        }
    }

    /// Rows and columns of the result.
    pub(super) fn shape<G: Game>(self, g: &G) -> (usize, usize) {
        let (d1, d2) = (g.d1(), g.d2());
        match self {
            Probe::Block(b) => {
                let (r, c) = b.shape(g);
                (r, c.max(1))
            }
            Probe::BTv => (d1, 1),
            Probe::Hw | Probe::HTv | Probe::Bu => (d2, 1),
            Probe::F1Hvp | Probe::Omega | Probe::OmegaS => (d1 + d2, 1),
            Probe::D11phi => (d1, d1),
            Probe::D12phi => (d1, d2),
            Probe::D22phi => (d2, d2),
            Probe::D21phi => (d2, d1),
        }
    }

    /// Evaluates the probe at x in precision T; false when it is undefined
    /// there (a singular follower block for omega_S). The phi blocks take
    /// lambda = (1, ..., 1); operator products a fixed direction
    /// ([`direction`]); `fields` holds the simultaneous and two-timescale
    /// dynamics.
    pub(super) fn eval<G: Game, T: Float>(
        self,
        g: &G,
        fields: &[Dynamics; 2],
        x: &[T],
        out: &mut [T],
    ) -> bool {
        let (d1, d2, n) = (g.d1(), g.d2(), g.n());
        let ones = || vec![T::one(); d2];
        match self {
            Probe::Block(b) => b.eval(g, x, out),
            Probe::D11phi => g.d11phi(x, &ones(), out),
            Probe::D12phi => g.d12phi(x, &ones(), out),
            Probe::D21phi => g.d21phi(x, &ones(), out),
            Probe::D22phi => g.d22phi(x, &ones(), out),
            Probe::Hw => g.d22f2_mul(x, &direction(d2), out),
            Probe::HTv => g.d22f2_tmul(x, &direction(d2), out),
            Probe::Bu => g.d21f2_mul(x, &direction(d1), out),
            Probe::BTv => g.d21f2_tmul(x, &direction(d2), out),
            Probe::F1Hvp => g.f1_hvp(x, &direction(n), out),
            Probe::Omega => return field_of(g, &fields[0], x, out),
            Probe::OmegaS => return field_of(g, &fields[1], x, out),
        }
        true
    }
}

/// A fixed direction with entries in [-1, 1] that is not aligned with any
/// coordinate: `sin(1 + 0.7 i)`.
fn direction<T: Float>(len: usize) -> Vec<T> {
    (0..len)
        .map(|i| T::of((1.0 + 0.7 * i as f64).sin()))
        .collect()
}
