//! [`PhiloxRng`], the Philox words of one (seed, trajectory, stream) as a
//! `rand_core` generator, and [`Sampler`], a user-defined initial
//! distribution drawn from it: randomness where users meet it. The engine's
//! exact streams ([`super`]) do not go through these types.

use super::{block_counter, philox4x32_10, seed_key, STREAM_INIT};

/// The Philox words of one (seed, trajectory, stream) as a [`rand_core`]
/// generator, for user code that samples with `rand`/`rand_distr` (e.g.
/// [`crate::plan::Init::sample`]) and stays reproducible.
///
/// Word i of the stream is word i mod 4 of the block
/// `philox4x32_10(block_counter(i / 4, trajectory, stream), seed_key(seed))`
/// (the words the engine's Box-Muller pairs are made of; the engine's own
/// streams do not go through this type and are unchanged by it).
/// `next_u32` returns the next word, `next_u64` the next two as
/// `lo | hi << 32`, `fill_bytes` the next words in little-endian order (a
/// partial last word's unused bytes are dropped).
///
/// ```
/// use rand_core::{Rng, SeedableRng};
/// use stackel_runtime::rng::{block_counter, philox4x32_10, seed_key, PhiloxRng, STREAM_INIT};
///
/// let mut rng = PhiloxRng::new(7, 3, STREAM_INIT);
/// let block0 = philox4x32_10(block_counter(0, 3, STREAM_INIT), seed_key(7));
/// assert_eq!(rng.next_u32(), block0[0]);
/// assert_eq!(rng.next_u64(), block0[1] as u64 | (block0[2] as u64) << 32);
/// // `SeedableRng::seed_from_u64(s)` is (seed s, trajectory 0, stream 0)
/// assert_eq!(PhiloxRng::seed_from_u64(7).next_u32(), PhiloxRng::new(7, 0, 0).next_u32());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhiloxRng {
    key: [u32; 2],
    trajectory: u64,
    stream: u32,
    /// Index of the next word.
    word: u64,
    /// The block holding word `word - 1` (valid when `word % 4 != 0`).
    block: [u32; 4],
}

impl PhiloxRng {
    /// The words of (seed, trajectory, stream), from word 0.
    pub fn new(seed: u64, trajectory: u64, stream: u32) -> Self {
        PhiloxRng {
            key: seed_key(seed),
            trajectory,
            stream,
            word: 0,
            block: [0; 4],
        }
    }

    /// The index of the next word.
    pub fn position(&self) -> u64 {
        self.word
    }

    #[inline]
    fn next_word(&mut self) -> u32 {
        let (b, i) = (self.word / 4, (self.word % 4) as usize);
        if i == 0 {
            self.block = philox4x32_10(block_counter(b, self.trajectory, self.stream), self.key);
        }
        self.word += 1;
        self.block[i]
    }
}

impl rand_core::TryRng for PhiloxRng {
    type Error = rand_core::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.next_word())
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let lo = self.next_word() as u64;
        let hi = self.next_word() as u64;
        Ok(lo | hi << 32)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(4) {
            let w = self.next_word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::SeedableRng for PhiloxRng {
    /// seed (u64, little-endian) || trajectory (u64, little-endian); stream 0.
    type Seed = [u8; 16];
    fn from_seed(seed: [u8; 16]) -> Self {
        let (s, t) = seed.split_at(8);
        let le = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        PhiloxRng::new(le(s), le(t), 0)
    }
    /// (seed `state`, trajectory 0, stream 0).
    fn seed_from_u64(state: u64) -> Self {
        PhiloxRng::new(state, 0, 0)
    }
}

#[cfg(test)]
mod rng_core_tests {
    use super::*;
    use crate::rng::uniforms_for;
    use rand_core::{Rng, SeedableRng};

    /// The generator's output is the documented Philox words, and the
    /// engine's exact streams are made of the same words: its f64 uniforms
    /// of block b are ((w0 >> 5) 2^26 + (w1 >> 6) + 1) 2^-53 (module docs).
    #[test]
    fn rng_core_output_is_the_documented_philox_words() {
        for &(seed, traj, stream) in &[
            (0u64, 0u64, 0u32),
            (7, 3, STREAM_INIT),
            (u64::MAX, 1 << 40, 5),
        ] {
            let mut r = PhiloxRng::new(seed, traj, stream);
            let mut words = Vec::new();
            for b in 0..5u64 {
                words.extend(philox4x32_10(
                    block_counter(b, traj, stream),
                    seed_key(seed),
                ));
            }
            for w in &words[..6] {
                assert_eq!(r.next_u32(), *w);
            }
            assert_eq!(r.next_u64(), words[6] as u64 | (words[7] as u64) << 32);
            let mut bytes = [0u8; 10];
            r.fill_bytes(&mut bytes);
            assert_eq!(bytes[..4], words[8].to_le_bytes());
            assert_eq!(bytes[4..8], words[9].to_le_bytes());
            assert_eq!(bytes[8..], words[10].to_le_bytes()[..2]);
            assert_eq!(r.position(), 11);
            assert_eq!(r.next_u32(), words[11]);
        }
        // The engine's uniforms of (seed, trajectory, STREAM_INIT) from the same words.
        let mut u = [0.0f64; 2];
        uniforms_for(9, 4, STREAM_INIT, &mut u);
        let mut r = PhiloxRng::new(9, 4, STREAM_INIT);
        let w: Vec<u32> = (0..4).map(|_| r.next_u32()).collect();
        let uni = |a: u32, b: u32| {
            (((a >> 5) as f64) * 67_108_864.0 + (b >> 6) as f64 + 1.0) * 2f64.powi(-53)
        };
        assert_eq!(u, [uni(w[0], w[1]), uni(w[2], w[3])]);
    }

    #[test]
    fn seeds_map_to_streams() {
        let mut seed = [0u8; 16];
        seed[..8].copy_from_slice(&42u64.to_le_bytes());
        seed[8..].copy_from_slice(&9u64.to_le_bytes());
        assert_eq!(PhiloxRng::from_seed(seed), PhiloxRng::new(42, 9, 0));
        assert_eq!(PhiloxRng::seed_from_u64(42), PhiloxRng::new(42, 0, 0));
        assert_ne!(
            PhiloxRng::new(42, 9, 0).next_u64(),
            PhiloxRng::new(42, 10, 0).next_u64()
        );
    }
}

/// A user-defined initial distribution: fills the state of one trajectory
/// (flat, leader first, length n) from a [`PhiloxRng`] of (seed, trajectory,
/// [`STREAM_INIT`]), so the states do not depend on threads, shards or
/// engines. Made by [`crate::plan::Init::sample`].
///
/// Its `name` stands for it in a study's fingerprint (and `Debug`/JSON):
/// give different distributions different names, or results of one may be
/// merged with, or resumed from, results of another.
#[derive(Clone)]
pub struct Sampler {
    name: String,
    f: SampleFn,
}

type SampleFn = std::sync::Arc<dyn Fn(&mut PhiloxRng, &mut [f64]) + Send + Sync>;

impl Sampler {
    /// A sampler named `name` that runs `f(rng, state)`.
    pub fn new(
        name: impl Into<String>,
        f: impl Fn(&mut PhiloxRng, &mut [f64]) + Send + Sync + 'static,
    ) -> Self {
        Sampler {
            name: name.into(),
            f: std::sync::Arc::new(f),
        }
    }
    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The initial state of `trajectory` under `seed` (f64, not yet wrapped).
    pub fn state(&self, seed: u64, trajectory: u64, out: &mut [f64]) {
        out.fill(0.0);
        (self.f)(&mut PhiloxRng::new(seed, trajectory, STREAM_INIT), out);
    }
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sampler({:?})", self.name)
    }
}

/// Equal when they are the same closure under the same name.
impl PartialEq for Sampler {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && std::sync::Arc::ptr_eq(&self.f, &other.f)
    }
}

impl serde::Serialize for Sampler {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

/// Always an error: a closure cannot be read back from its name.
impl<'de> serde::Deserialize<'de> for Sampler {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Err(serde::de::Error::custom(format!(
            "the sampled initial distribution {name:?} is code and cannot be read back"
        )))
    }
}
