//! Loop order of output terms c * sum(k) F(k) G(k, b): accumulate with the
//! contiguous output index b innermost.

use super::*;
use crate::indexed::schedule::split_accumulating;

impl Gen<'_> {
    /// An output block whose entry has terms `c * sum(k) F(k) G(k, b)` with
    /// `b` the last (contiguous) output index, in the accumulating order
    /// (innermost loop over `b`: contiguous loads and stores, as a matrix
    /// product's i-k-j order); `None` when no term has that form.
    pub(super) fn write_accumulating(&mut self, part: &Part, offset: usize) -> Option<TokenStream> {
        let b = *part.outs.last()?;
        let (plain, acc) = split_accumulating(&part.expr, b)?;
        let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
        let r = self.flat(offset, self.game.shapes[part.player], &idx);
        let (u, d) = (var(b), lit(*part.dims.last().expect("an output index")));
        let first = self.expr(&crate::indexed::expr::add(plain));
        let mut body = vec![quote!(for #u in 0..#d { out[#r] = #first; })];
        for a in acc {
            let shift = a.lo.min(0);
            self.shift.insert(a.var, shift);
            let f = self.expr(&crate::indexed::expr::mul(a.outside));
            let g = self.expr(&crate::indexed::expr::mul(a.inside));
            let (k, l, h) = (
                var(a.var),
                lit((a.lo - shift) as usize),
                lit((a.hi - shift) as usize),
            );
            body.push(quote! {
                for #k in #l..#h {
                    let f: T = #f;
                    for #u in 0..#d { out[#r] += f * #g; }
                }
            });
        }
        let mut code = quote!(#(#body)*);
        for (o, d) in part.outs.iter().zip(&part.dims).rev().skip(1) {
            let (o, d) = (var(*o), lit(*d));
            code = quote!(for #o in 0..#d { #code });
        }
        Some(code)
    }
}
