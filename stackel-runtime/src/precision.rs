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

use crate::dynamics::{step, Dynamics, Rule, StepInputs, StepScratch};
use crate::game::Game;
use crate::nonfinite::Block;
use crate::plan::Noise;
use crate::real::Float;
use crate::schedule::Optimizer;
use crate::source::{GameSource, Op as SourceOp, Visit};
use std::fmt;

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

/// How many subexpressions [`PrecisionAudit::cancellations`] names.
pub const CANCELLATION_REPORT: usize = 5;

/// One DSL subexpression's cancellation over the sampled points. A sum
/// `a + b` (or `a - b`, or a `sum(..)` of terms t_i) of values of opposite
/// signs loses `log2(max(|a|, |b|) / |a + b|)` (`log2(sum |t_i| / |sum t_i|)`)
/// bits of the relative accuracy its operands had: the amplification of
/// their rounding errors. Measured on the f64 values; the f32 error of the
/// subexpression's own value is given beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Cancellation {
    /// The subexpression as written (normalised spacing).
    pub text: &'static str,
    /// Its line in the game's file.
    pub line: u32,
    /// Its column.
    pub column: u32,
    /// `+`, `-` or `sum`.
    pub op: &'static str,
    /// Median over the points of the most bits lost at one of its instances.
    pub median_bits: f64,
    /// The most bits lost anywhere.
    pub max_bits: f64,
    /// 90th percentile over the points of its value's largest f32
    /// relative error (against f64).
    pub f32_error: f64,
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

/// What the audit evaluates: a block, an operator product along a fixed
/// direction, or a dynamics' field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
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
    const DENSE: [Probe; 12] = [
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
    const OPERATORS: [Probe; 8] = [
        Probe::Block(Block::D1f1),
        Probe::Block(Block::D2f1),
        Probe::Block(Block::D2f2),
        Probe::Hw,
        Probe::HTv,
        Probe::Bu,
        Probe::BTv,
        Probe::F1Hvp,
    ];
    const FIELDS: [Probe; 2] = [Probe::Omega, Probe::OmegaS];

    fn name(self) -> &'static str {
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
    fn shape<G: Game>(self) -> (usize, usize) {
        let (d1, d2) = (G::D1, G::D2);
        match self {
            Probe::Block(b) => {
                let (r, c) = b.shape::<G>();
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
    fn eval<G: Game, T: Float>(
        self,
        g: &G,
        fields: &[Dynamics; 2],
        x: &[T],
        out: &mut [T],
    ) -> bool {
        let (d1, d2, n) = (G::D1, G::D2, G::N);
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

fn quantile(sorted: &[f64], q: f64) -> f64 {
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
    let n = G::N;
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
    let data = match (&opts.data, G::ND) {
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
            let (rows, cols) = probe.shape::<G>();
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
            let (rows, cols) = probe.shape::<G>();
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
    let mut params = vec![0.0; G::NP];
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

/// Bits lost adding values whose sum of magnitudes is `mass` into `sum`
/// (0 without cancellation; 53, every f64 bit, for an exact zero).
fn cancelled_bits(mass: f64, sum: f64) -> f64 {
    if mass == 0.0 || !mass.is_finite() || !sum.is_finite() {
        0.0
    } else if sum == 0.0 {
        53.0
    } else {
        (mass / sum.abs()).log2().max(0.0)
    }
}

/// The [`Cancellation`]s of `src` at `points` (each the state and data in
/// f64, already representable in f32), worst first.
fn cancellations(src: &GameSource, points: &[Vec<f64>], params: &[f64]) -> Vec<Cancellation> {
    let nodes = src.nodes;
    let cancels =
        |op: &SourceOp| matches!(op, SourceOp::Add | SourceOp::Sub | SourceOp::Sum { .. });
    // per node: per point, the worst bits and the worst f32 error over its instances
    let mut bits: Vec<Vec<f64>> = vec![Vec::new(); nodes.len()];
    let mut errs: Vec<Vec<f64>> = vec![Vec::new(); nodes.len()];
    let roots: Vec<usize> = (0..src.costs.len()).collect();
    for x in points {
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (Ok(e64), Ok(e32)) = (src.evaluate(x, params), src.evaluate(&x32, params)) else {
            continue;
        };
        let mut worst = vec![0.0f64; nodes.len()];
        let _ = src.run(x, params, &roots, &mut |v: Visit<'_, f64>| {
            let node = &nodes[v.node as usize];
            let mass = match (node.op, v.args) {
                (SourceOp::Add | SourceOp::Sub, [a, b]) => {
                    let b = if node.op == SourceOp::Sub { -*b } else { *b };
                    (a.signum() != b.signum()).then(|| a.abs().max(b.abs()))
                }
                _ => None,
            };
            if let Some(m) = mass {
                let w = &mut worst[v.node as usize];
                *w = w.max(cancelled_bits(m, v.value));
            }
            false
        });
        for (n, node) in nodes.iter().enumerate() {
            if !cancels(&node.op) {
                continue;
            }
            if let SourceOp::Sum { lo, hi, .. } = node.op {
                let terms = &e64.values[node.children[0] as usize];
                let m = (hi - lo).max(0) as usize;
                let sums = &e64.values[n];
                if m > 0 && terms.len() == sums.len() * m {
                    for (k, &sum) in sums.iter().enumerate() {
                        let mass: f64 = terms[k * m..(k + 1) * m].iter().map(|t| t.abs()).sum();
                        worst[n] = worst[n].max(cancelled_bits(mass, sum));
                    }
                }
            }
            let err = e64.values[n]
                .iter()
                .zip(&e32.values[n])
                .map(|(&a, &b)| {
                    if a == 0.0 {
                        (b as f64).abs()
                    } else {
                        ((b as f64 - a) / a).abs()
                    }
                })
                .fold(0.0f64, f64::max);
            bits[n].push(worst[n]);
            errs[n].push(err);
        }
    }
    let mut out: Vec<Cancellation> = nodes
        .iter()
        .enumerate()
        .filter(|(n, node)| cancels(&node.op) && !bits[*n].is_empty())
        .map(|(n, node)| {
            let mut b = bits[n].clone();
            b.sort_by(f64::total_cmp);
            let mut e = errs[n].clone();
            e.sort_by(f64::total_cmp);
            Cancellation {
                text: node.span.text,
                line: node.span.line,
                column: node.span.column,
                op: node.op.name(),
                median_bits: quantile(&b, 0.5),
                max_bits: b[b.len() - 1],
                f32_error: quantile(&e, 0.9),
            }
        })
        .filter(|c| c.max_bits > 0.0)
        .collect();
    out.sort_by(|a, b| {
        b.median_bits
            .total_cmp(&a.median_bits)
            .then(b.max_bits.total_cmp(&a.max_bits))
    });
    out.truncate(CANCELLATION_REPORT);
    out
}

/// The field of `rule` at x (no noise, no step): false when the follower
/// block is singular there.
fn field_of<G: Game, T: Float>(g: &G, dynamics: &Dynamics, x: &[T], out: &mut [T]) -> bool {
    let n = G::N;
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

/// One coordinate's stall point under a dynamics (module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct CoordinateStall {
    /// The coordinate's name (`q1`, `v[0,2]`).
    pub coordinate: String,
    /// Its value in the analysed state.
    pub value: f64,
    /// Half the spacing of f32 numbers at the value (the smaller side).
    pub half_ulp: f64,
    /// The field there, g_i(x), in f64.
    pub field: f64,
    /// The noise standard deviation sigma_i.
    pub sigma: f64,
    /// m_i, the median of |g_i + sigma_i z|.
    pub median_step: f64,
    /// The first step from which gamma_i,k m_i < half_ulp (`None`: never
    /// within `horizon`; `Some(0)`: from the start). Coordinates the rule does
    /// not update by a gradient step (the best-responding follower) and
    /// coordinates at rest (m_i = 0: no field, no noise) have `None`.
    pub stall_step: Option<u64>,
}

/// The stall analysis of a state under a dynamics.
#[derive(Clone, Debug, PartialEq)]
pub struct StallReport {
    /// The searched horizon (steps).
    pub horizon: u64,
    /// One entry per state coordinate.
    pub coordinates: Vec<CoordinateStall>,
}

impl StallReport {
    /// The coordinate that stalls first and its step.
    pub fn first_stall(&self) -> Option<(&CoordinateStall, u64)> {
        self.coordinates
            .iter()
            .filter_map(|c| c.stall_step.map(|k| (c, k)))
            .min_by_key(|(_, k)| *k)
    }
}

impl fmt::Display for StallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>12} {:>10} {:>10} {:>8} {:>10} {:>14}",
            "coord", "value", "ulp/2", "field", "sigma", "median", "stalls at k"
        )?;
        for c in &self.coordinates {
            let k = c
                .stall_step
                .map_or(format!("> {:.0e}", self.horizon as f64), |k| k.to_string());
            writeln!(
                f,
                "{:<10} {:>12.6} {:>10.2e} {:>10.2e} {:>8.3} {:>10.3e} {:>14}",
                c.coordinate, c.value, c.half_ulp, c.field, c.sigma, c.median_step, k
            )?;
        }
        Ok(())
    }
}

/// Half the spacing of f32 numbers at `v`, on the smaller side.
pub fn half_ulp_f32(v: f64) -> f64 {
    let x = (v as f32).abs();
    if x == 0.0 {
        return f32::from_bits(1) as f64 / 2.0;
    }
    let up = f32::from_bits(x.to_bits() + 1) - x;
    let down = if x.to_bits() > 0 {
        x - f32::from_bits(x.to_bits() - 1)
    } else {
        up
    };
    up.min(down) as f64 / 2.0
}

/// erfc(x), Numerical Recipes' Chebyshev fit (relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Phi(x), the standard normal distribution function.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The median of |g + sigma z|, z ~ N(0, 1): the m with
/// Phi((m - g) / sigma) - Phi((-m - g) / sigma) = 1/2 (|g| when sigma = 0).
pub fn folded_normal_median(g: f64, sigma: f64) -> f64 {
    let g = g.abs();
    if sigma <= 0.0 {
        return g;
    }
    let mass = |m: f64| normal_cdf((m - g) / sigma) - normal_cdf((-m - g) / sigma);
    let (mut lo, mut hi) = (0.0, g + 4.0 * sigma);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mass(mid) < 0.5 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The step from which `gamma_k * m < half` under a non-increasing
/// schedule, searched up to `horizon`.
fn first_stall(gamma: impl Fn(u64) -> f64, m: f64, half: f64, horizon: u64) -> Option<u64> {
    let stalled = |k: u64| gamma(k) * m < half;
    if stalled(0) {
        return Some(0);
    }
    if !stalled(horizon) {
        return None;
    }
    let (mut lo, mut hi) = (0u64, horizon); // !stalled(lo), stalled(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if stalled(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Where an f32 study of `dynamics` with `noise` stalls at the state `x`
/// (len N; module docs), searching steps 0..=`horizon`. x is typically an
/// equilibrium the study converges to, or a study's mean final state.
///
/// ```
/// use stackel_runtime::precision::stall_steps;
/// use stackel_runtime::{Dynamics, Noise, Schedule};
/// use stackel_testkit::games::Duopoly;
///
/// // the paper's duopoly Stackelberg run at its equilibrium (46, 26), noise variance 10
/// let d = Dynamics::two_timescale(
///     Schedule::inverse_power(1.0).offset(1.0).exponent(1.0),
///     Schedule::inverse_power(1.0).offset(1.0).exponent(2.0 / 3.0),
/// );
/// let r = stall_steps(&Duopoly::default(), &d, &Noise::variance(10.0), &[46.0, 26.0], 1 << 40).unwrap();
/// let (c, k) = r.first_stall().unwrap();
/// assert_eq!(c.coordinate, "q1"); // the leader's slower steps stall first
/// assert!(k > 100_000 && k < 10_000_000);
/// ```
pub fn stall_steps<G: Game>(
    g: &G,
    dynamics: &Dynamics,
    noise: &Noise,
    x: &[f64],
    horizon: u64,
) -> Result<StallReport, PrecisionError> {
    let n = G::N;
    if x.len() != n + G::ND {
        return Err(PrecisionError::BadState {
            n: n + G::ND,
            got: x.len(),
        });
    }
    if !matches!(dynamics.optimizer, Optimizer::Plain) {
        return Err(PrecisionError::Adam);
    }
    let info = g.info();
    for p in 0..info.followers.len() + 1 {
        if let Err(e) = dynamics.schedule_of(p).validate() {
            return Err(PrecisionError::BadSchedule {
                player: p,
                why: e.to_string(),
            });
        }
    }
    let mut field = vec![0.0; n];
    field_of(g, dynamics, x, &mut field);
    let d1 = G::D1;
    let mut coordinates = Vec::with_capacity(n);
    let mut i = 0;
    for (p, player) in info.players().enumerate() {
        let variance = match noise.variances.len() {
            0 => 0.0,
            1 => noise.variances[0],
            _ => noise.variances.get(p).copied().unwrap_or(0.0),
        };
        let sigma = variance.sqrt();
        let schedule = *dynamics.schedule_of(p);
        for _ in 0..player.dim {
            let m = folded_normal_median(field[i], sigma);
            let half = half_ulp_f32(x[i]);
            let updated = dynamics.rule != Rule::BestResponse || i < d1;
            // m = 0: the update is exactly zero in every precision, nothing to lose
            let stall_step = if updated && m > 0.0 {
                first_stall(|k| schedule.gamma(k), m, half, horizon)
            } else {
                None
            };
            coordinates.push(CoordinateStall {
                coordinate: info.coordinate_name(i),
                value: x[i],
                half_ulp: half,
                field: field[i],
                sigma,
                median_step: m,
                stall_step,
            });
            i += 1;
        }
    }
    Ok(StallReport {
        horizon,
        coordinates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_ulp_matches_f32_spacing() {
        // 46 lies in [32, 64): spacing 2^(5 - 23)
        assert_eq!(half_ulp_f32(46.0), 2f64.powi(5 - 23) / 2.0);
        // at a power of two the spacing below is the smaller one
        assert_eq!(half_ulp_f32(64.0), 2f64.powi(5 - 23) / 2.0);
        assert_eq!(half_ulp_f32(-1.5), 2f64.powi(-23) / 2.0);
    }

    #[test]
    fn folded_normal_median_matches_known_values() {
        // g = 0: the median of |z| is Phi^-1(3/4) = 0.674489750...
        assert!((folded_normal_median(0.0, 1.0) - 0.674_489_750_196_081_7).abs() < 1e-6);
        assert!((folded_normal_median(0.0, 3.0) - 3.0 * 0.674_489_750_196_081_7).abs() < 1e-5);
        // no noise: |g|
        assert_eq!(folded_normal_median(-2.5, 0.0), 2.5);
        // g >> sigma: close to |g|
        assert!((folded_normal_median(100.0, 1.0) - 100.0).abs() < 1e-6);
        // by simulation-free identity: P(|g + z| <= m) = 1/2 at the median
        let m = folded_normal_median(0.8, 1.3);
        let mass = normal_cdf((m - 0.8) / 1.3) - normal_cdf((-m - 0.8) / 1.3);
        assert!((mass - 0.5).abs() < 1e-9);
    }

    #[test]
    fn erfc_matches_reference_values() {
        // erfc(0.5) = 0.4795001221869535, erfc(2) = 0.004677734981047266
        assert!((erfc(0.5) - 0.479_500_122_186_953_5).abs() < 1e-7);
        assert!((erfc(2.0) / 0.004_677_734_981_047_266 - 1.0).abs() < 2e-7);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-7);
    }

    #[test]
    fn first_stall_is_the_first_stalled_step() {
        // gamma_k = 1/(k+1), m = 1, half = 1e-3: stalled once k + 1 > 1000
        let k = first_stall(|k| 1.0 / (k as f64 + 1.0), 1.0, 1e-3, 1 << 30).unwrap();
        assert_eq!(k, 1000);
        assert_eq!(first_stall(|_| 1e-9, 1.0, 1e-3, 10), Some(0));
        assert_eq!(first_stall(|_| 1.0, 1.0, 1e-3, 1 << 30), None);
    }

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
