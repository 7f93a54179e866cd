//! The data samplers reproduce their distributions (chi-square and
//! 5-standard-error bounds with fixed seeds) and their streams are keyed by
//! (seed, trajectory, step, input).

use stackel_runtime::data::{sample_batch, DataStream, Sampler};

fn circle(m: usize, r: f64) -> Vec<Vec<f64>> {
    (0..m)
        .map(|c| {
            let a = 2.0 * std::f64::consts::PI * c as f64 / m as f64;
            vec![r * a.cos(), r * a.sin()]
        })
        .collect()
}

#[test]
fn mixture_components_are_uniform_and_gaussian() {
    let (m, var, rows) = (8, 0.01, 40_000);
    let means = circle(m, 2.0);
    let s = Sampler::gaussian_mixture(means.clone(), var);
    let mut out = vec![0.0; 2 * rows];
    sample_batch(&s, 11, 3, 7, 0, &mut out);
    // components are 0.76 apart, sd 0.1: the nearest mean identifies the row's component
    let mut members: Vec<Vec<[f64; 2]>> = vec![Vec::new(); m];
    for r in out.chunks(2) {
        let c = (0..m)
            .min_by(|&a, &b| {
                let da = (r[0] - means[a][0]).powi(2) + (r[1] - means[a][1]).powi(2);
                let db = (r[0] - means[b][0]).powi(2) + (r[1] - means[b][1]).powi(2);
                da.total_cmp(&db)
            })
            .unwrap();
        members[c].push([r[0], r[1]]);
    }
    let expected = rows as f64 / m as f64;
    let chi2: f64 = members
        .iter()
        .map(|v| (v.len() as f64 - expected).powi(2) / expected)
        .sum();
    // chi-square with 7 degrees of freedom: P(chi2 > 24.32) = 0.001
    assert!(chi2 < 24.32, "chi2 = {chi2}");
    for (c, v) in members.iter().enumerate() {
        let n = v.len() as f64;
        for k in 0..2 {
            let mean = v.iter().map(|p| p[k]).sum::<f64>() / n;
            let s2 = v.iter().map(|p| (p[k] - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se_mean = (var / n).sqrt();
            assert!(
                (mean - means[c][k]).abs() < 5.0 * se_mean,
                "component {c} coordinate {k}: mean {mean}"
            );
            let se_var = var * (2.0 / (n - 1.0)).sqrt();
            assert!(
                (s2 - var).abs() < 5.0 * se_var,
                "component {c} coordinate {k}: variance {s2}"
            );
        }
    }
}

#[test]
fn standard_normal_moments() {
    let n = 200_000;
    let mut z = vec![0.0; n];
    sample_batch(&Sampler::standard_normal(), 5, 0, 0, 1, &mut z);
    let nf = n as f64;
    let moment = |p: i32| z.iter().map(|v| v.powi(p)).sum::<f64>() / nf;
    // E z^p and Var z^p of N(0, 1): (0, 1), (1, 2), (0, 15), (3, 96)
    for (p, e, v) in [(1, 0.0, 1.0), (2, 1.0, 2.0), (3, 0.0, 15.0), (4, 3.0, 96.0)] {
        let m = moment(p);
        assert!((m - e).abs() < 5.0 * (v / nf).sqrt(), "E z^{p} = {m}");
    }
}

#[test]
fn uniforms_lie_in_the_unit_interval_with_uniform_moments() {
    let mut s = DataStream::new(1, 2, 3, 4);
    let n = 100_000;
    let u: Vec<f64> = (0..n).map(|_| s.uniform()).collect();
    assert!(u.iter().all(|v| *v > 0.0 && *v <= 1.0));
    let nf = n as f64;
    let mean = u.iter().sum::<f64>() / nf;
    let var = u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    assert!((mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / nf).sqrt());
    // Var (u - 1/2)^2 = 1/80 - 1/144
    assert!((var - 1.0 / 12.0).abs() < 5.0 * ((1.0 / 80.0 - 1.0 / 144.0) / nf).sqrt());
}

#[test]
fn streams_are_keyed_by_seed_trajectory_step_and_input() {
    let s = Sampler::from_fn(|st: &mut DataStream, out: &mut [f64]| {
        for (i, o) in out.iter_mut().enumerate() {
            *o = if i % 2 == 0 {
                st.uniform()
            } else {
                st.normal()
            };
        }
    });
    let draw = |seed, t, k, i| {
        let mut out = vec![0.0; 6];
        sample_batch(&s, seed, t, k, i, &mut out);
        out
    };
    let base = draw(9, 4, 2, 1);
    assert_eq!(base, draw(9, 4, 2, 1));
    for other in [
        draw(10, 4, 2, 1),
        draw(9, 5, 2, 1),
        draw(9, 4, 3, 1),
        draw(9, 4, 2, 0),
        draw(9, 4 + (1 << 32), 2, 1),
    ] {
        assert!(
            base.iter().zip(&other).all(|(a, b)| a != b),
            "{base:?} vs {other:?}"
        );
    }
}
