//! tanh as instructions for scalar `f32` code: the operations of
//! `stackel_runtime::real::elementary::tanh_f32` in the same order, so
//! compiled code computes the runtime's bits without a call per element (a
//! GAN layer's tanh was a call for each of its 8192 entries). `f64` keeps
//! the call: written out in Cranelift, its longer series (26 constants)
//! ran slower than the call to the LLVM-compiled function (the diamond
//! GAN's cost 1.6x slower), where `f32`'s ran faster (1.2-1.3x).

use super::Cx;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use stackel_runtime::real::elementary::{LN2_HI, LN2_LO, ROUND};

impl Cx<'_> {
    fn f64c(&mut self, c: f64) -> Value {
        self.b.ins().f64const(c)
    }

    /// `k0 + r * k1` in f64 with constants k0, k1 (a product, then a sum:
    /// two roundings, as Rust computes it).
    fn affine(&mut self, r: Value, k0: f64, k1: f64) -> Value {
        let (k0, k1) = (self.f64c(k0), self.f64c(k1));
        let rk = self.b.ins().fmul(r, k1);
        self.b.ins().fadd(k0, rk)
    }

    /// 2^k from `shifted` = k + ROUND (k in its low bits): k + 1023 in the
    /// exponent field.
    fn exp2_of_shifted(&mut self, shifted: Value) -> Value {
        let flags = MemFlagsData::new();
        let bits = self.b.ins().bitcast(types::I64, flags, shifted);
        let biased = self.b.ins().iadd_imm_s(bits, 1023);
        let e = self.b.ins().ishl_imm_u(biased, 52);
        self.b.ins().bitcast(types::F64, flags, e)
    }

    /// (r, a): the reduced argument of e^y, y = -2 min(a, 20), and
    /// `shifted` (k + ROUND).
    fn reduce(&mut self, a: Value) -> (Value, Value) {
        let twenty = self.f64c(20.0);
        let gt = self.b.ins().fcmp(FloatCC::GreaterThan, a, twenty);
        let capped = self.b.ins().select(gt, twenty, a);
        let m2 = self.f64c(-2.0);
        let y = self.b.ins().fmul(m2, capped);
        let log2e = self.f64c(std::f64::consts::LOG2_E);
        let round = self.f64c(ROUND);
        let yl = self.b.ins().fmul(y, log2e);
        let shifted = self.b.ins().fadd(yl, round);
        let k = self.b.ins().fsub(shifted, round);
        let hi = self.f64c(LN2_HI);
        let lo = self.f64c(LN2_LO);
        let khi = self.b.ins().fmul(k, hi);
        let t = self.b.ins().fsub(y, khi);
        let klo = self.b.ins().fmul(k, lo);
        let r = self.b.ins().fsub(t, klo);
        (r, shifted)
    }

    /// tanh(x) for a scalar `f32`, computed in `f64` and rounded once, as
    /// the runtime does.
    pub(super) fn tanh_f32_inline(&mut self, x: Value) -> Value {
        let wide = self.b.ins().fpromote(types::F64, x);
        let a = self.b.ins().fabs(wide);
        let a2 = self.b.ins().fmul(a, a);
        let v = self.tanh_f32_body(a, a2);
        let v = self.b.ins().fdemote(types::F32, v);
        self.b.ins().fcopysign(v, x)
    }

    fn tanh_f32_body(&mut self, a: Value, a2: Value) -> Value {
        // a * (1 + a2 (-1/3 + a2 (2/15 + a2 (-17/315 + a2 (62/2835)))))
        let mut p = self.affine(a2, -17.0 / 315.0, 62.0 / 2835.0);
        for c in [2.0 / 15.0, -1.0 / 3.0, 1.0] {
            let cc = self.f64c(c);
            let t = self.b.ins().fmul(a2, p);
            p = self.b.ins().fadd(cc, t);
        }
        let small = self.b.ins().fmul(a, p);
        let (r, shifted) = self.reduce(a);
        let r2 = self.b.ins().fmul(r, r);
        let r4 = self.b.ins().fmul(r2, r2);
        let one = self.f64c(1.0);
        let p01 = self.b.ins().fadd(one, r);
        let p23 = self.affine(r, 1.0 / 2.0, 1.0 / 6.0);
        let p45 = self.affine(r, 1.0 / 24.0, 1.0 / 120.0);
        let p67 = self.affine(r, 1.0 / 720.0, 1.0 / 5040.0);
        let p89 = self.affine(r, 1.0 / 40_320.0, 1.0 / 362_880.0);
        let t = self.b.ins().fmul(r2, p23);
        let lo = self.b.ins().fadd(p01, t);
        let t = self.b.ins().fmul(r2, p67);
        let mid = self.b.ins().fadd(p45, t);
        let t = self.b.ins().fmul(r4, p89);
        let hi = self.b.ins().fadd(mid, t);
        let t = self.b.ins().fmul(r4, hi);
        let er = self.b.ins().fadd(lo, t);
        let scale = self.exp2_of_shifted(shifted);
        let t = self.b.ins().fmul(er, scale);
        let num = self.b.ins().fsub(one, t);
        let den = self.b.ins().fadd(one, t);
        let large = self.b.ins().fdiv(num, den);
        let cut = self.f64c(0.0625);
        let lt = self.b.ins().fcmp(FloatCC::LessThan, a, cut);
        self.b.ins().select(lt, small, large)
    }
}
