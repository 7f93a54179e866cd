//! f32 vs f64: is a game's f32 study trustworthy?
//!
//! Two questions, answered separately:
//!
//! 1. **Arithmetic** ([`audit`]): at points sampled uniformly in a box, every
//!    derivative block (or, for large games, every operator product along a
//!    random direction) and the fields of simultaneous and two-timescale play
//!    are evaluated in f32 and in f64. Each block's error at a point is
//!    normwise, `|b32 - b64|_inf / |b64|_inf`, with the point itself rounded
//!    to f32 first (so the error includes the block's conditioning at x, as
//!    an f32 study sees it). It is also given as **bits lost** out of f32's
//!    24: `log2(err / 2^-24)`, floored at 0.
//! 2. **Dynamics** ([`stall_steps`]): an f32 state stops moving once every
//!    update is below half the spacing of f32 numbers at the state. With
//!    step `gamma_i,k (g_i + sigma_i z_i)` (plain steps), coordinate i of a
//!    state x *stalls* from the first step k at which
//!    `gamma_i,k * m_i < ulp_f32(x_i) / 2`, where `m_i` is the median of
//!    `|g_i(x) + sigma_i z|` over z ~ N(0, 1): from then on more than half of
//!    the steps round to no change. Schedules are non-increasing, so k is
//!    found by bisection. At an equilibrium g = 0 and only the noise moves
//!    the state, as in the duopoly's f32 stall near q1 = 46.
//!
//! The audit also names the DSL subexpressions where cancellation loses the
//! most bits ([`Cancellation`], from the game's kept source,
//! [`Game::source`]). [`Trust`] turns both into a recommendation.

use crate::dynamics::{step, Dynamics, StepInputs, StepScratch};
use crate::game::Game;
use crate::real::Float;
use std::fmt;

mod cancellation;
mod probe;
mod stall;

pub use cancellation::{Cancellation, CANCELLATION_REPORT};
pub use stall::{folded_normal_median, half_ulp_f32, stall_steps, CoordinateStall, StallReport};

use cancellation::cancellations;
use probe::Probe;

/// f32's unit roundoff 2^-24.
pub const F32_UNIT_ROUNDOFF: f64 = 5.960_464_477_539_063e-8;

/// Above this state size the audit checks operator products along random
/// directions instead of the dense blocks.
pub const DENSE_AUDIT_LIMIT: usize = 256;

/// Where and how densely to sample.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditOptions {
    /// Lower corner of the box (len N).
    pub lo: Vec<f64>,
    /// Upper corner (len N).
    pub hi: Vec<f64>,
    /// Number of sampled points.
    pub samples: usize,
    /// Seed of the sample points (the Philox streams of [`crate::rng`]).
    pub seed: u64,
    /// eta of the two-timescale field's (D22 f2 + eta I).
    pub eta: f64,
    /// The data sample (len ND) for a game with data inputs.
    pub data: Option<Vec<f64>>,
}

impl AuditOptions {
    /// 256 points in the box [lo, hi], seed 0, eta 0.
    pub fn new(lo: Vec<f64>, hi: Vec<f64>) -> Self {
        AuditOptions {
            lo,
            hi,
            samples: 256,
            seed: 0,
            eta: 0.0,
            data: None,
        }
    }
    /// Sets the number of points.
    pub fn samples(mut self, n: usize) -> Self {
        self.samples = n;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Sets eta.
    pub fn eta(mut self, eta: f64) -> Self {
        self.eta = eta;
        self
    }
    /// Sets the data sample (len ND).
    pub fn data(mut self, d: Vec<f64>) -> Self {
        self.data = Some(d);
        self
    }
}

/// Why an audit or a stall analysis cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PrecisionError {
    /// The box corners do not have N finite entries with lo <= hi.
    #[error("the box needs {n} finite entries per corner with lo <= hi")]
    BadBox {
        /// The state dimension N.
        n: usize,
    },
    /// A game with data inputs needs a data sample of ND entries.
    #[error("the game reads {nd} data entries: give a sample with AuditOptions::data")]
    DataNeeded {
        /// ND.
        nd: usize,
    },
    /// No sample point.
    #[error("the audit needs at least one sample point")]
    NoSamples,
    /// The state has the wrong length.
    #[error("the state has {got} entries, the game {n}")]
    BadState {
        /// N.
        n: usize,
        /// Given.
        got: usize,
    },
    /// The stall model covers plain steps only.
    #[error("the stall analysis models plain steps gamma (g + w); Adam normalises its steps, so its stall point is not given by the field")]
    Adam,
    /// A schedule with invalid parameters.
    #[error("schedule of player {player}: {why}")]
    BadSchedule {
        /// The player (0 leader).
        player: usize,
        /// What is wrong.
        why: String,
    },
}

/// The distribution of one block's f32 error over the sampled points.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorStats {
    /// Points where both precisions gave a finite, nonzero-norm block.
    pub samples: usize,
    /// Points skipped (singular follower block, non-finite or zero block).
    pub skipped: usize,
    /// Median normwise relative error.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Largest.
    pub max: f64,
    /// The entry with the largest error at the worst point (`D22f2[0,1]`).
    pub worst_entry: String,
    /// The worst point (len N).
    pub worst_point: Vec<f64>,
}

impl ErrorStats {
    /// Bits of f32's 24 lost at the 90th percentile.
    pub fn p90_bits(&self) -> f64 {
        bits_lost(self.p90)
    }
    /// Bits lost at the worst point.
    pub fn max_bits(&self) -> f64 {
        bits_lost(self.max)
    }
}

/// `log2(err / 2^-24)`, floored at 0: how many of f32's 24 significand bits a
/// relative error of `err` has spent.
pub fn bits_lost(err: f64) -> f64 {
    if err.is_nan() {
        return 24.0;
    }
    (err / F32_UNIT_ROUNDOFF).log2().max(0.0)
}

/// One audited block or field.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockAudit {
    /// `D1f1`, `D22f2`, `H w`, `omega`, `omega_S`, ...
    pub block: String,
    /// Its error distribution.
    pub stats: ErrorStats,
}

/// A recommendation for f32 studies of a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Every block and field keeps at least 16 of f32's 24 bits at the 90th
    /// percentile (and, with a schedule, no coordinate stalls within the run).
    Trustworthy,
    /// 10 to 16 bits kept at the 90th percentile: means are usable, fine
    /// structure (spectra near zero, small gradients) is not.
    Marginal,
    /// Fewer than 10 bits kept, or (with a schedule) the state stalls within
    /// the run: use f64.
    Untrustworthy,
}

impl Trust {
    /// The verdict for a worst 90th-percentile bit loss.
    pub fn from_bits(p90_bits: f64) -> Trust {
        if p90_bits <= 8.0 {
            Trust::Trustworthy
        } else if p90_bits <= 14.0 {
            Trust::Marginal
        } else {
            Trust::Untrustworthy
        }
    }
    /// The worse of two verdicts.
    pub fn worst(self, other: Trust) -> Trust {
        self.max(other)
    }
}

impl PartialOrd for Trust {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Trust {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trust::Trustworthy => "f32 trustworthy",
            Trust::Marginal => "f32 marginal",
            Trust::Untrustworthy => "f32 untrustworthy: use f64",
        })
    }
}

/// The arithmetic part of the audit: every block's f32 error distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionAudit {
    /// The game's name.
    pub game: &'static str,
    /// Sampled points.
    pub samples: usize,
    /// Dense blocks (N <= [`DENSE_AUDIT_LIMIT`]) or operator products, in
    /// the order of the `Game` trait.
    pub blocks: Vec<BlockAudit>,
    /// The fields omega (simultaneous) and omega_S (two-timescale).
    pub fields: Vec<BlockAudit>,
    /// The DSL subexpressions that cancel the most (sums and differences of
    /// nearly equal values), worst first, at most [`CANCELLATION_REPORT`];
    /// empty for a game without its source ([`Game::source`]: hand-written
    /// games).
    pub cancellations: Vec<Cancellation>,
}

impl PrecisionAudit {
    /// The block or field with the largest 90th-percentile error.
    pub fn worst(&self) -> Option<&BlockAudit> {
        self.blocks
            .iter()
            .chain(&self.fields)
            .filter(|b| b.stats.samples > 0)
            .max_by(|a, b| a.stats.p90.total_cmp(&b.stats.p90))
    }
    /// The recommendation from the arithmetic alone.
    pub fn trust(&self) -> Trust {
        self.worst()
            .map_or(Trust::Trustworthy, |b| Trust::from_bits(b.stats.p90_bits()))
    }
    /// The recommendation with the dynamics: the worse of [`Self::trust`] and
    /// a stall within `steps` steps.
    pub fn trust_with(&self, stall: &StallReport, steps: u64) -> Trust {
        let stalls = stall.first_stall().is_some_and(|(_, k)| k < steps);
        let t = self.trust();
        if stalls {
            Trust::Untrustworthy
        } else {
            t
        }
    }
}

impl fmt::Display for PrecisionAudit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: f32 vs f64 at {} points ({})",
            self.game,
            self.samples,
            self.trust()
        )?;
        writeln!(
            f,
            "{:<10} {:>8} {:>10} {:>10} {:>10} {:>9} {:>9}  worst entry",
            "block", "points", "median", "p90", "max", "p90 bits", "max bits"
        )?;
        for b in self.blocks.iter().chain(&self.fields) {
            let s = &b.stats;
            writeln!(
                f,
                "{:<10} {:>8} {:>10.2e} {:>10.2e} {:>10.2e} {:>9.1} {:>9.1}  {}",
                b.block,
                s.samples,
                s.median,
                s.p90,
                s.max,
                s.p90_bits(),
                s.max_bits(),
                s.worst_entry
            )?;
        }
        if !self.cancellations.is_empty() {
            writeln!(
                f,
                "subexpressions that cancel the most (bits lost: median, max; f32 error p90):"
            )?;
            for c in &self.cancellations {
                writeln!(
                    f,
                    "  {:>5.1} {:>5.1} {:>9.1e}  `{}` at line {}, column {}",
                    c.median_bits, c.max_bits, c.f32_error, c.text, c.line, c.column
                )?;
            }
        }
        Ok(())
    }
}

/// The normwise relative error of `b32` against `b64`, and the entry where
/// it is largest; `None` when either is non-finite or `b64` is zero.
fn normwise(b64: &[f64], b32: &[f32]) -> Option<(f64, usize)> {
    let mut norm = 0.0f64;
    let (mut err, mut at) = (0.0f64, 0);
    for (i, (&a, &b)) in b64.iter().zip(b32).enumerate() {
        if !a.is_finite() || !b.is_finite() {
            return None;
        }
        norm = norm.max(a.abs());
        let e = (a - b as f64).abs();
        if e > err {
            (err, at) = (e, i);
        }
    }
    (norm > 0.0).then(|| (err / norm, at))
}

pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

fn entry_label(name: &str, rows: usize, cols: usize, at: usize) -> String {
    if rows == 1 || cols == 1 {
        format!("{name}[{at}]")
    } else {
        format!("{name}[{},{}]", at / cols, at % cols)
    }
}

/// Samples `opts.samples` points in the box and measures every block's and
/// field's f32 error against f64 (module docs).
///
/// ```
/// use stackel_runtime::precision::{audit, AuditOptions, Trust};
/// use stackel_testkit::games::Duopoly;
///
/// let a = audit(&Duopoly::default(), &AuditOptions::new(vec![0.0; 2], vec![90.0; 2])).unwrap();
/// assert_eq!(a.trust(), Trust::Trustworthy); // a quadratic game: blocks are exact in f32
/// ```
pub fn audit<G: Game>(g: &G, opts: &AuditOptions) -> Result<PrecisionAudit, PrecisionError> {
    let n = g.n();
    let ok_box = opts.lo.len() == n
        && opts.hi.len() == n
        && opts
            .lo
            .iter()
            .zip(&opts.hi)
            .all(|(a, b)| a.is_finite() && b.is_finite() && a <= b);
    if !ok_box {
        return Err(PrecisionError::BadBox { n });
    }
    if opts.samples == 0 {
        return Err(PrecisionError::NoSamples);
    }
    let data = match (&opts.data, g.nd()) {
        (_, 0) => vec![],
        (Some(d), nd) if d.len() == nd => d.clone(),
        (_, nd) => return Err(PrecisionError::DataNeeded { nd }),
    };
    let blocks: &[Probe] = if n <= DENSE_AUDIT_LIMIT {
        &Probe::DENSE
    } else {
        &Probe::OPERATORS
    };
    let probes: Vec<Probe> = blocks.iter().chain(&Probe::FIELDS).copied().collect();
    let zero = crate::schedule::Schedule::constant(0.0);
    let fields = [
        Dynamics::simultaneous(zero),
        Dynamics::two_timescale(zero, zero).eta(opts.eta),
    ];
    let mut errs: Vec<Vec<(f64, usize, usize)>> = vec![vec![]; probes.len()];
    let mut skipped = vec![0usize; errs.len()];
    let mut points = Vec::with_capacity(opts.samples);
    let mut u = vec![0.0f64; n];
    for s in 0..opts.samples {
        crate::rng::uniforms_for::<f64>(opts.seed, s as u64, 0, &mut u);
        let mut x64: Vec<f64> = (0..n)
            .map(|i| {
                let v = opts.lo[i] + (opts.hi[i] - opts.lo[i]) * u[i];
                v as f32 as f64
            })
            .collect();
        x64.extend(data.iter().map(|&v| v as f32 as f64));
        let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
        for (p, probe) in probes.iter().enumerate() {
            let (rows, cols) = probe.shape(g);
            let mut b64 = vec![0.0f64; rows * cols];
            let mut b32 = vec![0.0f32; rows * cols];
            let fine =
                probe.eval(g, &fields, &x64, &mut b64) && probe.eval(g, &fields, &x32, &mut b32);
            match fine.then(|| normwise(&b64, &b32)).flatten() {
                Some((e, at)) => errs[p].push((e, s, at)),
                None => skipped[p] += 1,
            }
        }
        points.push(x64);
    }
    let mut audits: Vec<BlockAudit> = probes
        .iter()
        .zip(errs.iter_mut().zip(&skipped))
        .map(|(probe, (e, &skip))| {
            let (rows, cols) = probe.shape(g);
            let worst = e.iter().copied().max_by(|a, b| a.0.total_cmp(&b.0));
            let mut v: Vec<f64> = e.iter().map(|t| t.0).collect();
            v.sort_by(f64::total_cmp);
            let (worst_entry, worst_point) = match worst {
                Some((_, s, at)) => (
                    entry_label(probe.name(), rows, cols, at),
                    points[s][..n].to_vec(),
                ),
                None => ("-".to_string(), vec![]),
            };
            BlockAudit {
                block: probe.name().to_string(),
                stats: ErrorStats {
                    samples: v.len(),
                    skipped: skip,
                    median: quantile(&v, 0.5),
                    p90: quantile(&v, 0.9),
                    max: v.last().copied().unwrap_or(f64::NAN),
                    worst_entry,
                    worst_point,
                },
            }
        })
        .collect();
    let field_audits = audits.split_off(blocks.len());
    let mut params = vec![0.0; g.np()];
    g.params(&mut params);
    let cancellations = g
        .source()
        .map_or_else(Vec::new, |src| cancellations(src, &points, &params));
    Ok(PrecisionAudit {
        game: g.info().name,
        samples: opts.samples,
        blocks: audits,
        fields: field_audits,
        cancellations,
    })
}

/// The field of `rule` at x (no noise, no step): false when the follower
/// block is singular there.
pub(super) fn field_of<G: Game, T: Float>(
    g: &G,
    dynamics: &Dynamics,
    x: &[T],
    out: &mut [T],
) -> bool {
    let n = g.n();
    let mut s = StepScratch::<T>::for_dynamics(g, dynamics);
    let zeros = vec![T::zero(); n];
    let angle = vec![false; n];
    let inp = StepInputs {
        k: 0,
        gains: &zeros,
        sigma: &zeros,
        z: &zeros,
        angle: &angle,
        eta: T::of(dynamics.eta),
        adam: None,
    };
    let mut y = x.to_vec();
    let ev = step(g, dynamics, &inp, &mut y, None, &mut s);
    out.copy_from_slice(&s.field()[..n]);
    ev == crate::dynamics::StepEvent::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_lost_counts_f32_bits() {
        assert_eq!(bits_lost(F32_UNIT_ROUNDOFF), 0.0);
        assert!((bits_lost(F32_UNIT_ROUNDOFF * 256.0) - 8.0).abs() < 1e-12);
        assert_eq!(bits_lost(1e-12), 0.0);
        assert_eq!(Trust::from_bits(3.0), Trust::Trustworthy);
        assert_eq!(Trust::from_bits(12.0), Trust::Marginal);
        assert_eq!(Trust::from_bits(20.0), Trust::Untrustworthy);
    }
}
