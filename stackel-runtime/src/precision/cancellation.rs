//! Which DSL subexpressions cancel the most: sums and differences of
//! values of opposite sign, measured on the game's kept source
//! ([`Game::source`](crate::Game::source)).

use super::quantile;
use crate::source::{GameSource, Op as SourceOp, Visit};

/// How many subexpressions [`PrecisionAudit::cancellations`](super::PrecisionAudit::cancellations) names.
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
pub(super) fn cancellations(
    src: &GameSource,
    points: &[Vec<f64>],
    params: &[f64],
) -> Vec<Cancellation> {
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
