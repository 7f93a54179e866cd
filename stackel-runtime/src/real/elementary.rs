//! Elementary functions the generated code calls in its inner loops,
//! written out so they inline: libm's `tanhf` took 88% of an f32 tanh
//! network's forward pass (the paper's diamond GAN, under perf).
//!
//! `tanh` in `f32` is evaluated in `f64` and rounded once: the `f64` value
//! is within 3e-9 (relative) of tanh(x), a tenth of an `f32` ulp, so the
//! result is one of the two `f32` values next to tanh(x) (faithful
//! rounding, as libm's `tanhf` promises); the tests check it against the
//! `f64` libm over a dense sweep. `tanh` in `f64` (libm's `tanh` and
//! `expm1` were half of the f64 GAN's gradient under perf) stays within 3
//! ulp of libm's (1 ulp for 99.8% of inputs) over the same kind of sweep.
//!
//! `stackel-jit` emits `tanh_f32`'s operations in the same order for its
//! native code (with these constants), so run-time games compute the same
//! bits.

/// 2^52 + 2^51: adding and subtracting it rounds an `f64` of magnitude
/// below 2^51 to the nearest integer (without `round`, a libm call on
/// baseline x86-64).
pub const ROUND: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that k ln2_hi is exact for |k| < 2^11 (fdlibm's split,
/// 6.93147180369123816490e-1, by its bits).
pub const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 - ln2_hi (1.90821492927058770002e-10).
pub const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

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

/// The odd Taylor coefficients of tanh from x^3 to x^27 (2^2n (2^2n - 1)
/// B_2n / (2n)!, rounded to `f64`).
const TANH_SERIES: [f64; 13] = [
    -0.333_333_333_333_333_3,
    0.133_333_333_333_333_33,
    -0.053_968_253_968_253_97,
    0.021_869_488_536_155_203,
    -0.008_863_235_529_902_197,
    0.003_592_128_036_572_481,
    -0.001_455_834_387_051_318_3,
    0.000_590_027_440_945_586,
    -0.000_239_129_114_243_552_48,
    9.691_537_956_929_451e-5,
    -3.927_832_388_331_683e-5,
    1.591_890_506_932_896_4e-5,
    -6.451_689_215_655_431e-6,
];

/// tanh(x) in `f64`, within 3 ulp of libm's `tanh` and within 1 ulp of it
/// for 99.8% of inputs (the tests sweep it),
/// without a libm call and without branches (both forms computed, one
/// selected):
/// - |x| < 0.27: the odd Taylor series to x^27, added to x last
///   (x + x^3 P(x^2): remainder below 1e-19 relative);
/// - else tanh |x| = -u / (2 + u), u = e^(-2|x|) - 1 = 2^k (1 + m) - 1 with
///   m = e^r - 1 = r + r^2 Q(r), Q the Taylor series of (e^r - 1 - r) / r^2
///   to r^12 (|r| <= ln 2 / 2: remainder below 2e-18 relative; |x| capped
///   at 20, where tanh is 1 in `f64`);
///
/// then the sign of x. NaN gives NaN; tanh(-0) = -0; tanh(+-inf) = +-1.
#[inline(always)]
pub(crate) fn tanh_f64(x: f64) -> f64 {
    let a = x.abs();
    let a2 = a * a;
    // tanh x / x - 1 = a^2 P(a^2), P by Horner from the highest term
    let mut p = TANH_SERIES[12];
    for c in TANH_SERIES[..12].iter().rev() {
        p = *c + a2 * p;
    }
    let small = a + a * (a2 * p);
    // NaN > 20 is false: NaN goes on to give NaN
    let y = -2.0 * if a > 20.0 { 20.0 } else { a };
    let shifted = y * std::f64::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = (y - k * LN2_HI) - k * LN2_LO;
    let (r2, r4) = (r * r, r * r * (r * r));
    // Q(r) = sum r^j / (j + 2)!, j = 0..12, in Estrin's scheme
    let q01 = 1.0 / 2.0 + r * (1.0 / 6.0);
    let q23 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let q45 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    let q67 = 1.0 / 40_320.0 + r * (1.0 / 362_880.0);
    let q89 = 1.0 / 3_628_800.0 + r * (1.0 / 39_916_800.0);
    let q1011 = 1.0 / 479_001_600.0 + r * (1.0 / 6_227_020_800.0);
    let q12 = 1.0 / 87_178_291_200.0;
    let r8 = r4 * r4;
    let q = (q01 + r2 * q23) + r4 * (q45 + r2 * q67) + r8 * ((q89 + r2 * q1011) + r4 * q12);
    let m = r + r2 * q;
    // 2^k, k in [-58, 0], from the low bits of `shifted` (as in tanh_f32)
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    // -u / (2 + u) with u = 2^k (1 + m) - 1: 1 - 2^k and 1 + 2^k are exact,
    // so numerator and denominator are each rounded once
    let sm = scale * m;
    let large = ((1.0 - scale) - sm) / ((1.0 + scale) + sm);
    let v = if a < 0.27 { small } else { large };
    v.copysign(x)
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

    /// Distance in ulps between two finite `f64` of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    /// Within 3 ulp of libm's tanh everywhere on the sweep and within 1 ulp
    /// on 99% of it (glibc documents its own tanh as within 2 ulp of the
    /// exact value, so part of the difference is libm's).
    #[test]
    fn tanh_f64_is_within_3_ulp_of_libm() {
        let mut xs = vec![
            0.0f64, 1e-300, 1e-20, 1e-9, 0.0625, 0.173, 0.27, 0.5493, 19.06, 20.0,
        ];
        xs.push(25.0);
        let mut u = 1e-7f64;
        while u < 30.0 {
            xs.push(u);
            u *= 1.0 + 1.0 / 16_384.0;
        }
        let more: Vec<f64> = xs
            .iter()
            .flat_map(|&v| [v.next_down(), v.next_up()])
            .collect();
        xs.extend(more);
        let mut hist = [0usize; 4];
        for x in xs.into_iter().flat_map(|v| [v, -v]) {
            let (got, libm) = (tanh_f64(x), x.tanh());
            let d = ulps(got, libm);
            assert!(d <= 3, "tanh({x:e}) = {got:e}, libm {libm:e}: {d} ulp");
            hist[d as usize] += 1;
        }
        let all: usize = hist.iter().sum();
        assert!(
            (hist[0] + hist[1]) as f64 >= 0.99 * all as f64,
            "ulp histogram {hist:?}"
        );
    }

    #[test]
    fn tanh_f64_special_values() {
        assert!(tanh_f64(f64::NAN).is_nan());
        assert_eq!(tanh_f64(f64::INFINITY), 1.0);
        assert_eq!(tanh_f64(f64::NEG_INFINITY), -1.0);
        assert_eq!(tanh_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tanh_f64(0.0).to_bits(), 0);
        assert_eq!(tanh_f64(f64::MAX), 1.0);
        assert_eq!(tanh_f64(f64::MIN_POSITIVE), f64::MIN_POSITIVE);
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
