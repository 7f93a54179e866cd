//! Elementary functions the generated code calls in its inner loops,
//! written out so they inline: libm's `tanhf` took 88% of an f32 tanh
//! network's forward pass (the paper's diamond GAN, under perf).
//!
//! `tanh` in `f32` is evaluated in `f64` and rounded once: the `f64` value
//! is within 3e-9 (relative) of tanh(x), a tenth of an `f32` ulp, so the
//! result is one of the two `f32` values next to tanh(x) (faithful
//! rounding, as libm's `tanhf` promises); the tests check it against the
//! `f64` libm over a dense sweep. `f64` keeps libm's `tanh`.

/// 2^52 + 2^51: adding and subtracting it rounds an `f64` of magnitude
/// below 2^51 to the nearest integer (without `round`, a libm call on
/// baseline x86-64).
const ROUND: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that k ln2_hi is exact for |k| < 2^11 (fdlibm's split,
/// 6.93147180369123816490e-1, by its bits).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 - ln2_hi (1.90821492927058770002e-10).
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// tanh(x) in `f32`, faithfully rounded, without a libm call and without
/// branches (both forms are computed, one selected):
/// - |x| < 1/16: the odd Taylor series x - x^3/3 + 2x^5/15 - 17x^7/315 +
///   62x^9/2835 (remainder below 1e-14 relative);
/// - else tanh |x| = (1 - t) / (1 + t), t = e^(-2|x|) = 2^k e^r (|x|
///   capped at 20, where tanh is 1 in `f64`), e^r by its Taylor series to
///   r^9 in Estrin's scheme (|r| <= ln 2 / 2: remainder below 3e-10
///   relative; 1 - t >= 0.11 keeps it below 3e-9 in the result);
///
/// then the sign of x. NaN gives NaN; tanh(-0) = -0; tanh(+-inf) = +-1.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let a = (x as f64).abs();
    let a2 = a * a;
    let small = a
        * (1.0
            + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0 + a2 * (62.0 / 2835.0)))));
    // NaN > 20 is false: NaN goes on to give NaN
    let y = -2.0 * if a > 20.0 { 20.0 } else { a };
    let shifted = y * std::f64::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = (y - k * LN2_HI) - k * LN2_LO;
    let (r2, r4) = (r * r, r * r * (r * r));
    let p01 = 1.0 + r;
    let p23 = 1.0 / 2.0 + r * (1.0 / 6.0);
    let p45 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let p67 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    let p89 = 1.0 / 40_320.0 + r * (1.0 / 362_880.0);
    let er = (p01 + r2 * p23) + r4 * ((p45 + r2 * p67) + r4 * p89);
    // k in [-58, 0] sits in the low bits of `shifted` (two's complement):
    // 2^k is k + 1023 in the exponent field, built with integer operations
    // only (no float-to-integer conversion, so a loop of tanh vectorises)
    let t = er * f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    let large = (1.0 - t) / (1.0 + t);
    let v = if a < 0.0625 { small } else { large };
    (v as f32).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two `f32` values around `v` (equal when `v` is one).
    fn neighbours(v: f64) -> (f32, f32) {
        let f = v as f32;
        if f as f64 == v {
            (f, f)
        } else if (f as f64) < v {
            (f, f.next_up())
        } else {
            (f.next_down(), f)
        }
    }

    /// Every input a sweep reaches: tiny, the Taylor/exp seam at 1/16, the
    /// saturation near 9 and the cap at 20, and f32's neighbours of each.
    fn sweep() -> Vec<f32> {
        let mut xs = vec![0.0f32, 1e-30, 1e-8, 0.0625, 20.0, 9.01, 1e30];
        let mut u = 1e-6f32;
        while u < 30.0 {
            xs.push(u);
            u *= 1.0 + 1.0 / 4096.0;
        }
        let more: Vec<f32> = xs
            .iter()
            .flat_map(|&v| [v.next_down(), v.next_up()])
            .collect();
        xs.extend(more);
        let neg: Vec<f32> = xs.iter().map(|v| -v).collect();
        xs.extend(neg);
        xs
    }

    #[test]
    fn tanh_f32_is_faithful_against_f64_libm() {
        for x in sweep() {
            let exact = (x as f64).tanh();
            let (lo, hi) = neighbours(exact);
            let got = tanh_f32(x);
            assert!(
                got == lo || got == hi,
                "tanh({x:e}) = {got:e}, expected {lo:e} or {hi:e} (f64 {exact:e})"
            );
        }
    }

    #[test]
    fn tanh_f32_special_values() {
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(0.0).to_bits(), 0);
        assert_eq!(tanh_f32(f32::MAX), 1.0);
    }
}
