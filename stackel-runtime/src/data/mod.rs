//! Data inputs: the samplers that fill a game's `data` entries
//! (`x[N..N + ND]`, [`crate::game::Game::nd`]) before every step.
//!
//! A study binds one [`Sampler`] per data input ([`crate::Study::data`]);
//! before step k of trajectory t the engine fills input i (its index in
//! [`crate::game::GameInfo::data`]) from the [`DataStream`] of
//! (seed, t, k, i), so batches are reproducible and independent of threads,
//! chunk sizes and shards; [`sample_batch`] gives the very batch the engine used.
//!
//! # Stream layout ([`DATA_STREAM_VERSION`] 1)
//!
//! Philox4x32-10 ([`crate::rng::philox4x32_10`]) under key
//! [`crate::rng::seed_key`]`(seed)`; block b of the stream (seed, t, k, i) has the counter
//! (b, t mod 2^32, k, ([`STREAM_DATA`] << 24) | (i << 16) | (t >> 32)), so
//! trajectories are numbered below 2^48, steps below 2^32 and inputs below 256
//! ([`data_counter`]). It never meets the noise and init streams (their
//! counter word 3 carries stream 0 or 1 in its top byte).
//!
//! - [`DataStream::uniform`] takes the next half block (w0, w1) or (w2, w3)
//!   and maps it as f64 noise does: ((w_a >> 5) 2^26 + (w_b >> 6) + 1) 2^-53 in (0, 1].
//! - [`DataStream::normal`] takes a fresh whole block (skipping an unused half
//!   after an odd number of uniforms), Box-Muller of its two uniforms
//!   ([`crate::rng::box_muller`]) gives two normals; the second is returned by
//!   the next call to `normal` (a `uniform` in between discards it).

use crate::rng::{self, NoiseFloat};
use serde::{Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Version of the data stream layout above; part of a study's fingerprint.
pub const DATA_STREAM_VERSION: u32 = 1;
/// The Philox stream tag of data inputs (top byte of counter word 3).
pub const STREAM_DATA: u32 = 2;

/// The Philox counter of block `block` of the data stream
/// (trajectory, step, input): (block, t mod 2^32, step,
/// (STREAM_DATA << 24) | ((input mod 256) << 16) | ((t >> 32) mod 2^16)).
#[inline]
pub fn data_counter(block: u32, trajectory: u64, step: u32, input: usize) -> [u32; 4] {
    [
        block,
        trajectory as u32,
        step,
        (STREAM_DATA << 24)
            | (((input as u32) & 0xff) << 16)
            | ((trajectory >> 32) as u32 & 0xffff),
    ]
}

/// The random numbers of one data input at one (trajectory, step): uniforms
/// in (0, 1] and standard normals from Philox (layout in the module docs).
#[derive(Clone, Debug)]
pub struct DataStream {
    key: [u32; 2],
    trajectory: u64,
    step: u32,
    input: usize,
    block: u32,
    words: [u32; 4],
    /// Half blocks of `words` already used (0, 1 or 2).
    used: usize,
    spare: Option<f64>,
}

impl DataStream {
    /// The stream of data input `input` at (seed, trajectory, step).
    pub fn new(seed: u64, trajectory: u64, step: u64, input: usize) -> Self {
        DataStream {
            key: rng::seed_key(seed),
            trajectory,
            step: step as u32,
            input,
            block: 0,
            words: [0; 4],
            used: 2,
            spare: None,
        }
    }

    fn next_block(&mut self) {
        let c = data_counter(self.block, self.trajectory, self.step, self.input);
        self.words = rng::philox4x32_10(c, self.key);
        self.block = self.block.wrapping_add(1);
        self.used = 0;
    }

    /// The next uniform in (0, 1] (one half block).
    pub fn uniform(&mut self) -> f64 {
        self.spare = None;
        if self.used == 2 {
            self.next_block();
        }
        let h = self.used;
        self.used += 1;
        f64::uniform(self.words[2 * h], self.words[2 * h + 1])
    }

    /// The next standard normal (Box-Muller of one whole block, two normals).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        self.next_block();
        self.used = 2;
        let (ua, ub) = f64::pair_uniforms(self.words, 0);
        let (za, zb) = rng::box_muller(ua, ub);
        self.spare = Some(zb);
        za
    }
}

type FillFn = dyn Fn(&mut DataStream, &mut [f64]) + Send + Sync;

#[derive(Clone)]
enum Kind {
    Mixture { means: Vec<Vec<f64>>, variance: f64 },
    StandardNormal,
    Custom(Arc<FillFn>),
}

/// How one data input is drawn each step.
#[derive(Clone)]
pub struct Sampler {
    kind: Kind,
}

impl fmt::Debug for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Mixture { means, variance } => f
                .debug_struct("GaussianMixture")
                .field("means", means)
                .field("variance", variance)
                .finish(),
            Kind::StandardNormal => f.write_str("StandardNormal"),
            Kind::Custom(_) => f.write_str("FromFn"),
        }
    }
}

impl PartialEq for Sampler {
    fn eq(&self, other: &Self) -> bool {
        match (&self.kind, &other.kind) {
            (
                Kind::Mixture { means, variance },
                Kind::Mixture {
                    means: m2,
                    variance: v2,
                },
            ) => means == m2 && variance == v2,
            (Kind::StandardNormal, Kind::StandardNormal) => true,
            (Kind::Custom(a), Kind::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// In a study's fingerprint: the mixture's means and variance, or the kind
/// (a closure is fingerprinted as "from_fn" only).
impl Serialize for Sampler {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.kind {
            Kind::Mixture { means, variance } => {
                (DATA_STREAM_VERSION, "gaussian_mixture", means, variance).serialize(s)
            }
            Kind::StandardNormal => (DATA_STREAM_VERSION, "standard_normal").serialize(s),
            Kind::Custom(_) => (DATA_STREAM_VERSION, "from_fn").serialize(s),
        }
    }
}

impl Sampler {
    /// Rows of d = `means[c].len()` entries: each row picks component
    /// c = floor(m u) (u uniform, m components, so uniformly), then
    /// row = `means[c] + sqrt(variance) z`, z ~ N(0, I_d).
    pub fn gaussian_mixture(means: Vec<Vec<f64>>, variance: f64) -> Self {
        Sampler {
            kind: Kind::Mixture { means, variance },
        }
    }

    /// Every entry N(0, 1).
    pub fn standard_normal() -> Self {
        Sampler {
            kind: Kind::StandardNormal,
        }
    }

    /// A user closure that fills the whole input from the stream.
    pub fn from_fn(f: impl Fn(&mut DataStream, &mut [f64]) + Send + Sync + 'static) -> Self {
        Sampler {
            kind: Kind::Custom(Arc::new(f)),
        }
    }

    /// The row width the sampler needs (the last dimension of the input), if any.
    pub fn row_width(&self) -> Option<usize> {
        match &self.kind {
            Kind::Mixture { means, .. } => means.first().map(|m| m.len()),
            _ => None,
        }
    }

    /// Why this sampler cannot fill an input of `shape`, if it cannot.
    pub(crate) fn check(&self, shape: &[usize]) -> Result<(), String> {
        if let Kind::Mixture { means, variance } = &self.kind {
            let Some(d) = means.first().map(|m| m.len()) else {
                return Err("a Gaussian mixture needs at least one mean".into());
            };
            if d == 0 || means.iter().any(|m| m.len() != d) {
                return Err("the mixture's means must all have the same positive length".into());
            }
            if !(variance.is_finite() && *variance >= 0.0) {
                return Err(format!(
                    "mixture variance {variance} is not finite and >= 0"
                ));
            }
            if shape.last() != Some(&d) {
                return Err(format!(
                    "the mixture draws rows of {d} entries, the input's shape is {shape:?}"
                ));
            }
        }
        Ok(())
    }

    /// Fills `out` (one data input) from `stream`.
    pub fn fill(&self, stream: &mut DataStream, out: &mut [f64]) {
        match &self.kind {
            Kind::Mixture { means, variance } => {
                let d = means[0].len();
                let m = means.len();
                let sd = variance.sqrt();
                for row in out.chunks_mut(d) {
                    let c = ((stream.uniform() * m as f64) as usize).min(m - 1);
                    for (o, mu) in row.iter_mut().zip(&means[c]) {
                        *o = mu + sd * stream.normal();
                    }
                }
            }
            Kind::StandardNormal => {
                for o in out.iter_mut() {
                    *o = stream.normal();
                }
            }
            Kind::Custom(f) => f(stream, out),
        }
    }
}

/// Exactly the batch the engine gave data input `input` (its index in
/// [`crate::game::GameInfo::data`]) at (seed, trajectory, step), in f64
/// (f32 studies round these values).
pub fn sample_batch(
    sampler: &Sampler,
    seed: u64,
    trajectory: u64,
    step: u64,
    input: usize,
    out: &mut [f64],
) {
    let mut s = DataStream::new(seed, trajectory, step, input);
    sampler.fill(&mut s, out);
}
