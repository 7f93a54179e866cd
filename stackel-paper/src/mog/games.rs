//! The mixture-of-Gaussians GANs of paper 4.3 (examples 2 and 3) and
//! Appendix D.1, written as math: the generator (leader) has two hidden
//! layers of 32 units on a 16-dimensional latent, the discriminator
//! (follower) one hidden layer of 32 units and a sigmoid output (its logit
//! goes through `log_sigmoid`, numerically stable); batch 256. Both are
//! compiled in the tape form (data inputs and player parts); the games
//! themselves are written once in `stackel_testkit::games`.

/// Batch size (Appendix D.1).
pub const BATCH: usize = 256;
/// Latent dimension.
pub const LATENT: usize = 16;
/// Hidden units per layer.
pub const HIDDEN: usize = 32;

pub use stackel_testkit::games::{CircleGan, DiamondGan};

/// Which activation the hidden layers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Activation {
    /// tanh (diamond).
    Tanh,
    /// max(0, u) (circle).
    Relu,
}

impl Activation {
    fn apply(self, u: f64) -> f64 {
        match self {
            Activation::Tanh => u.tanh(),
            Activation::Relu => u.max(0.0),
        }
    }
}

/// The generator G(z) = W3 a(W2 a(W1 z + b1) + b2) + b3 evaluated from the
/// leader's flat parameters (parts w1, b1, w2, b2, w3, b3 stacked row-major
/// in declaration order, as the game stores them), for each latent row of
/// `z` (`LATENT` entries each); returns one 2-d point per row. Written from
/// the same layout as the game and tested against its costs.
pub fn generate(act: Activation, gen: &[f64], z: &[f64]) -> Vec<[f64; 2]> {
    let (h, l) = (HIDDEN, LATENT);
    let mut o = 0;
    let mut take = |n: usize| {
        let s = &gen[o..o + n];
        o += n;
        s
    };
    let (w1, b1, w2, b2, w3, b3) = (
        take(h * l),
        take(h),
        take(h * h),
        take(h),
        take(2 * h),
        take(2),
    );
    let (mut h1, mut h2) = (vec![0.0; h], vec![0.0; h]);
    z.chunks_exact(l)
        .map(|zb| {
            for j in 0..h {
                let u: f64 = (0..l).map(|i| w1[j * l + i] * zb[i]).sum::<f64>() + b1[j];
                h1[j] = act.apply(u);
            }
            for j in 0..h {
                let u: f64 = (0..h).map(|i| w2[j * h + i] * h1[i]).sum::<f64>() + b2[j];
                h2[j] = act.apply(u);
            }
            let out = |k: usize| (0..h).map(|i| w3[k * h + i] * h2[i]).sum::<f64>() + b3[k];
            [out(0), out(1)]
        })
        .collect()
}

/// Number of generator parameters (the leader's dimension).
pub const GEN_DIM: usize = HIDDEN * LATENT + HIDDEN + HIDDEN * HIDDEN + HIDDEN + 2 * HIDDEN + 2;

/// The discriminator's logit D(p) = v2 . a(V1 p + c1) + c2 from the
/// follower's flat parameters (parts v1, c1, v2, c2).
pub fn logit(act: Activation, disc: &[f64], p: [f64; 2]) -> f64 {
    let h = HIDDEN;
    let (v1, c1, v2, c2) = (
        &disc[..2 * h],
        &disc[2 * h..3 * h],
        &disc[3 * h..4 * h],
        disc[4 * h],
    );
    (0..h)
        .map(|j| v2[j] * act.apply(v1[2 * j] * p[0] + v1[2 * j + 1] * p[1] + c1[j]))
        .sum::<f64>()
        + c2
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackel::prelude::*;

    /// A state x = (gen, disc, data x, data z) with every entry in
    /// (-0.6, 0.6) (xorshift).
    fn state(len: usize) -> Vec<f64> {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 * 1.2 - 0.6
            })
            .collect()
    }

    /// log sigma(u) = -(log(1 + e^-|u|) + max(-u, 0)).
    fn log_sigmoid(u: f64) -> f64 {
        -((-u.abs()).exp().ln_1p() + (-u).max(0.0))
    }

    /// (mean_b log sigma(D(x_b)), mean_b log sigma(-D(G(z_b))),
    /// mean_b log sigma(D(G(z_b)))) from [`generate`] and [`logit`].
    fn by_hand(act: Activation, x: &[f64], n: usize) -> (f64, f64, f64) {
        let (gen, disc) = (&x[..GEN_DIM], &x[GEN_DIM..n]);
        let real = &x[n..n + 2 * BATCH];
        let g = generate(act, gen, &x[n + 2 * BATCH..]);
        assert_eq!(g.len(), BATCH);
        let mut acc = (0.0, 0.0, 0.0);
        for (b, gb) in g.iter().enumerate() {
            let dr = logit(act, disc, [real[2 * b], real[2 * b + 1]]);
            let df = logit(act, disc, *gb);
            acc.0 += log_sigmoid(dr);
            acc.1 += log_sigmoid(-df);
            acc.2 += log_sigmoid(df);
        }
        let m = BATCH as f64;
        (acc.0 / m, acc.1 / m, acc.2 / m)
    }

    #[test]
    fn the_explicit_generator_and_discriminator_reproduce_the_games_costs() {
        assert_eq!((DiamondGan::D1, CircleGan::D1), (GEN_DIM, GEN_DIM));
        assert_eq!(DiamondGan::D2, 4 * HIDDEN + 1);
        assert_eq!(DiamondGan::ND, BATCH * (2 + LATENT));
        // diamond, saturating: f2 = loss_d = -(real + fake), f1 = -loss_d
        let x = state(DiamondGan::N + DiamondGan::ND);
        let (r, f, _) = by_hand(Activation::Tanh, &x, DiamondGan::N);
        let (f1, f2) = (DiamondGan.leader_cost(&x), DiamondGan.follower_cost(0, &x));
        assert!((f2 + r + f).abs() < 1e-12, "{f2} vs {}", -(r + f));
        assert!((f1 - (r + f)).abs() < 1e-12, "{f1} vs {}", r + f);
        // circle, non-saturating: f1 = -mean log sigma(D(G(z)))
        let (rc, fc, ns) = by_hand(Activation::Relu, &x, CircleGan::N);
        let (c1, c2) = (CircleGan.leader_cost(&x), CircleGan.follower_cost(0, &x));
        assert!((c1 + ns).abs() < 1e-12, "{c1} vs {}", -ns);
        assert!((c2 + rc + fc).abs() < 1e-12, "{c2} vs {}", -(rc + fc));
        // the activations differ on this state, so both paths are exercised
        assert!((r - rc).abs() + (f - fc).abs() > 1e-6);
    }
}
