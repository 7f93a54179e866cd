//! The panels of paper figures 5 and 6, from arrays: generated samples over
//! the real density's contours, both players' losses along the run, and the
//! six smallest and six largest real parts of the eigenvalues of J, S,
//! D11f1 and D22f2.

use super::coverage::Mixture;
use crate::plot::{Panel, Series};

/// Contour segments of `f` at `level` on an n x n grid over
/// [lo, hi]^2 (marching squares, crossings by linear interpolation; a
/// saddle cell gives two segments).
pub fn contour_segments(
    f: impl Fn([f64; 2]) -> f64,
    lo: f64,
    hi: f64,
    n: usize,
    level: f64,
) -> Vec<[(f64, f64); 2]> {
    let h = (hi - lo) / n as f64;
    let at = |i: usize| lo + i as f64 * h;
    let v: Vec<Vec<f64>> = (0..=n)
        .map(|i| (0..=n).map(|j| f([at(i), at(j)]) - level).collect())
        .collect();
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..n {
            // corners counter-clockwise: (i, j), (i+1, j), (i+1, j+1), (i, j+1)
            let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let mut cross = Vec::with_capacity(4);
            for e in 0..4 {
                let (a, b) = (c[e], c[(e + 1) % 4]);
                let (va, vb) = (v[a.0][a.1], v[b.0][b.1]);
                if (va < 0.0) != (vb < 0.0) {
                    let t = va / (va - vb);
                    cross.push((
                        at(a.0) + t * (at(b.0) - at(a.0)),
                        at(a.1) + t * (at(b.1) - at(a.1)),
                    ));
                }
            }
            match cross.len() {
                2 => out.push([cross[0], cross[1]]),
                4 => {
                    out.push([cross[0], cross[1]]);
                    out.push([cross[2], cross[3]]);
                }
                _ => {}
            }
        }
    }
    out
}

/// Half-width of the square the sample panels show.
pub const VIEW: f64 = 3.0;

/// Generated points (dots) over contours of the real density at 10%, 40%
/// and 80% of its peak, with the component means marked.
pub fn samples_panel(title: String, mix: &Mixture, points: &[[f64; 2]]) -> Panel {
    let mut p = Panel::new(title, "x1", "x2")
        .x_range(-VIEW, VIEW)
        .y_range(-VIEW, VIEW);
    let peak = mix
        .means
        .iter()
        .map(|m| mix.density(*m))
        .fold(0.0, f64::max);
    for (k, frac) in [0.1, 0.4, 0.8].into_iter().enumerate() {
        for (s, seg) in contour_segments(|x| mix.density(x), -VIEW, VIEW, 90, frac * peak)
            .into_iter()
            .enumerate()
        {
            let pts = seg.to_vec();
            p.series.push(if s == 0 && k == 0 {
                Series::line("real density (10/40/80% of peak)", pts, 6)
            } else {
                Series::unlabelled_line(pts, 6)
            });
        }
    }
    let shown: Vec<(f64, f64)> = points
        .iter()
        .filter(|q| q[0].abs() <= VIEW && q[1].abs() <= VIEW)
        .map(|q| (q[0], q[1]))
        .collect();
    p.series.push(Series::dots(
        format!("{} generated", points.len()),
        shown,
        0,
    ));
    p.series.push(Series::markers(
        "means",
        mix.means.iter().map(|m| (m[0], m[1])).collect(),
        1,
    ));
    p
}

/// Both players' losses along a run: `(iteration, generator, discriminator)`.
pub fn losses_panel(title: String, losses: &[(u64, f64, f64)]) -> Panel {
    let pick = |f: fn(&(u64, f64, f64)) -> f64| losses.iter().map(|r| (r.0 as f64, f(r))).collect();
    Panel::new(title, "iteration k", "loss (fixed evaluation batch)")
        .with(Series::line("generator f1", pick(|r| r.1), 0))
        .with(Series::line("discriminator f2", pick(|r| r.2), 1))
}

/// One operator's extreme real parts: `smallest` (ascending) at positions
/// 1..=6 and `largest` (ascending) at 7..=12, with the zero line dashed.
pub fn spectrum_panel(title: String, smallest: &[f64], largest: &[f64]) -> Panel {
    let n = smallest.len() + largest.len();
    let pts = |v: &[f64], off: usize| {
        v.iter()
            .enumerate()
            .map(|(i, &e)| ((off + i + 1) as f64, e))
            .collect::<Vec<_>>()
    };
    Panel::new(title, "index (6 smallest, 6 largest)", "Re(eigenvalue)")
        .with(Series::dashed(
            None,
            vec![(0.5, 0.0), (n as f64 + 0.5, 0.0)],
            6,
        ))
        .with(Series::filled("smallest", pts(smallest, 0), 1))
        .with(Series::filled("largest", pts(largest, smallest.len()), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contours_of_a_cone_lie_on_circles() {
        // |x| = 1 on [-2, 2]^2: every crossing is within the grid's
        // interpolation error of the unit circle, and the segments go round.
        let segs = contour_segments(|p| p[0].hypot(p[1]), -2.0, 2.0, 80, 1.0);
        assert!(segs.len() > 60, "{}", segs.len());
        let mut length = 0.0;
        for [a, b] in &segs {
            for q in [a, b] {
                assert!((q.0.hypot(q.1) - 1.0).abs() < 2e-3, "{q:?}");
            }
            length += (a.0 - b.0).hypot(a.1 - b.1);
        }
        assert!(
            (length - 2.0 * std::f64::consts::PI).abs() < 0.01,
            "{length}"
        );
        // a level above the maximum has no contour
        assert!(contour_segments(|p| p[0].hypot(p[1]), -2.0, 2.0, 20, 9.0).is_empty());
    }
}
