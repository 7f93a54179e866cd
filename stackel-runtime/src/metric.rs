//! The state space's geometry, in one place: angle coordinates live on the
//! circle [-pi, pi), every other coordinate on the line. The engines wrap
//! angles with [`wrap_angle`] after every step (the GPU kernels emit the
//! same formula); records, basins and the equilibrium finder measure
//! distances with [`l2_state_distance`] or [`max_state_distance`], whose
//! angle entries differ by their wrapped difference.

use crate::real::Float;

/// x - 2 pi floor((x + pi) / 2 pi), in [-pi, pi).
#[inline(always)]
pub fn wrap_angle<T: Float>(x: T) -> T {
    let tau = T::of(std::f64::consts::TAU);
    let pi = T::of(std::f64::consts::PI);
    let w = x - tau * ((x + pi) / tau).floor();
    // rounding can land exactly on pi
    if w >= pi {
        w - tau
    } else {
        w
    }
}

/// The difference a_i - b_i, wrapped to [-pi, pi) when `angle` is set.
#[inline(always)]
fn coordinate_difference<T: Float>(a: T, b: T, angle: bool) -> T {
    let d = a - b;
    if angle {
        wrap_angle(d)
    } else {
        d
    }
}

/// |a - b|_2 = sqrt(sum_i d_i^2), d_i = a_i - b_i (wrapped to [-pi, pi) for
/// angle coordinates): the distance of the study records (target distance,
/// lock-in, basins).
pub fn l2_state_distance<T: Float>(a: &[T], b: &[T], angle: &[bool]) -> T {
    let mut s = T::zero();
    for ((&x, &y), &is_angle) in a.iter().zip(b).zip(angle) {
        let d = coordinate_difference(x, y, is_angle);
        s += d * d;
    }
    s.sqrt()
}

/// |a - b|_inf = max_i |d_i|, d_i = a_i - b_i (wrapped to [-pi, pi) for
/// angle coordinates): the distance of the equilibrium finder (deduplication
/// of critical points). NaN differences are skipped, as by `f64::max`.
pub fn max_state_distance<T: Float>(a: &[T], b: &[T], angle: &[bool]) -> T {
    a.iter()
        .zip(b)
        .zip(angle)
        .map(|((&x, &y), &is_angle)| coordinate_difference(x, y, is_angle).abs())
        .fold(T::zero(), |m, d| if d > m { d } else { m })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn angles_wrap_into_half_open_interval() {
        for v in [PI, -PI, 3.0 * PI + 0.1, -7.5, 0.25, 1e3] {
            let w = wrap_angle(v);
            assert!((-PI..PI).contains(&w), "{v} -> {w}");
            let k = ((v - w) / (2.0 * PI)).round();
            assert!((v - w - 2.0 * PI * k).abs() < 1e-9);
        }
        assert!((-std::f32::consts::PI..std::f32::consts::PI).contains(&wrap_angle(7.0f32)));
    }

    #[test]
    fn distances_wrap_angles_and_agree_with_their_norms() {
        let (a, b) = ([PI - 0.1, 3.0, -1.0], [-PI + 0.2, 1.0, 1.5]);
        // on the circle the first coordinates are 0.3 apart, not 2 pi - 0.3
        let d = [0.3, 2.0, -2.5];
        let angle = [true, false, false];
        let l2 = (d.iter().map(|v| v * v).sum::<f64>()).sqrt();
        assert!((l2_state_distance(&a, &b, &angle) - l2).abs() < 1e-12);
        assert!((max_state_distance(&a, &b, &angle) - 2.5).abs() < 1e-12);
        // without the angle flag the first difference is 2 pi - 0.3
        assert!((max_state_distance(&a, &b, &[false; 3]) - (2.0 * PI - 0.3)).abs() < 1e-12);
        // symmetric
        assert_eq!(
            l2_state_distance(&a, &b, &angle),
            l2_state_distance(&b, &a, &angle)
        );
    }
}
