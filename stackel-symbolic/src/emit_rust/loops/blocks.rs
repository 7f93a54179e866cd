//! The parts of the loop-form `impl Game` that are not loops over one
//! expression: `formulas()`, dense blocks from operator columns, and the
//! follower checks.

use super::*;

/// `formulas()`: one entry per player block of every indexed vector and
/// operator ([`IndexedGame::vectors`]), e.g. `D1f1(v)[a,b] = ...`.
pub(super) fn formulas_method(model: &GameModel, g: &IndexedGame) -> TokenStream {
    let blocks = crate::formula::indexed_block_formulas(model, g)
        .into_iter()
        .map(|b| {
            let (name, entries) = (&b.block, &b.entries);
            let len = lit(b.shape[0]);
            quote! {
                {
                    static ENTRIES: &[&str] = &[#(#entries),*];
                    __stackel::BlockFormula {
                        block: #name,
                        shape: ::std::vec![#len],
                        entries: ENTRIES.iter().map(|e| ::std::string::ToString::to_string(e)).collect(),
                    }
                }
            }
        });
    quote! {
        fn formulas(&self) -> ::std::vec::Vec<__stackel::BlockFormula> {
            ::std::vec![#(#blocks),*]
        }
    }
}

/// A dense block from an operator, column by column: `op` (a method of
/// `self` taking `x`, maybe `lambda`, the unit direction `e` and a column
/// buffer `col` of length `col_len`) for directions `cols` (within a
/// direction of length `dir_len`), rows `rows` of the column into an
/// output of `width` columns.
pub(in crate::emit_rust) fn dense(
    call: TokenStream,
    dir_len: usize,
    col_len: usize,
    cols: (usize, usize),
    rows: (usize, usize),
) -> TokenStream {
    let (dir_len, col_len) = (lit(dir_len), lit(col_len));
    let width = cols.1 - cols.0;
    let (c0, c1, r0, r1) = (lit(cols.0), lit(cols.1), lit(rows.0), lit(rows.1));
    let w = lit(width);
    quote! {
        let mut e = ::std::vec![T::zero(); #dir_len];
        let mut col = ::std::vec![T::zero(); #col_len];
        for j in #c0..#c1 {
            e[j] = T::one();
            #call;
            e[j] = T::zero();
            for r in #r0..#r1 {
                out[(r - #r0) * #w + (j - #c0)] = col[r];
            }
        }
    }
}

/// The dense blocks of a game that has operators, each built column by
/// column from one (`d11f1`, `d12f1`, `d22f1` from `f1_hvp`; `d22f2` from
/// `d22f2_mul`; `d21f2` from `d21f2_mul`; the phi blocks from `phi_hvp`):
/// exact, one operator call per column (the slow path of the loop and tape
/// forms; the matrix-free runtime does not need them).
pub(in crate::emit_rust) fn dense_methods(d1: usize, d2: usize) -> TokenStream {
    let n = d1 + d2;
    let hvp = quote!(self.f1_hvp(x, &e, &mut col));
    let phi = quote!(self.phi_hvp(x, lambda, &e, &mut col));
    let d11f1 = dense(hvp.clone(), n, n, (0, d1), (0, d1));
    let d12f1 = dense(hvp.clone(), n, n, (d1, n), (0, d1));
    let d22f1 = dense(hvp, n, n, (d1, n), (d1, n));
    let d11phi = dense(phi.clone(), n, n, (0, d1), (0, d1));
    let d12phi = dense(phi.clone(), n, n, (d1, n), (0, d1));
    let d21phi = dense(phi.clone(), n, n, (0, d1), (d1, n));
    let d22phi = dense(phi, n, n, (d1, n), (d1, n));
    let h = quote!(self.d22f2_mul(x, &e, &mut col));
    let d22f2 = dense(h, d2, d2, (0, d2), (0, d2));
    let b = quote!(self.d21f2_mul(x, &e, &mut col));
    let d21f2 = dense(b, d1, d2, (0, d1), (0, d2));
    quote! {
        /// Column by column from `f1_hvp` (the slow path).
        fn d11f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d11f1 }
        /// Column by column from `f1_hvp`.
        fn d12f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d12f1 }
        /// Column by column from `f1_hvp`.
        fn d22f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d22f1 }
        /// Column by column from `d22f2_mul`.
        fn d22f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d22f2 }
        /// Column by column from `d21f2_mul`.
        fn d21f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d21f2 }
        /// Column by column from `phi_hvp`.
        fn d11phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d11phi }
        /// Column by column from `phi_hvp`.
        fn d12phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d12phi }
        /// Column by column from `phi_hvp`.
        fn d21phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d21phi }
        /// Column by column from `phi_hvp`.
        fn d22phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d22phi }
    }
}

/// One error per follower whose own gradient is identically zero, or
/// whose block of H = D22f2 is (the unrolled form also finds single
/// structurally zero rows).
pub fn check_followers(model: &GameModel, g: &IndexedGame) -> Result<(), Errors> {
    let mut errors = Errors::new();
    for (i, follower) in model.followers.iter().enumerate() {
        let name = &follower.name;
        if g.d2f2[i].expr.is_zero() {
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` does not depend on `{name}`, so D22f2 (the \
                     follower Hessian) is singular and its best response is undefined; a \
                     follower's cost must depend on its own variable"
                ),
            );
        } else if g.h_mul[i].expr.is_zero() {
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` is at most linear in `{name}` (its block of \
                     D22f2 is structurally zero), so D22f2 (the follower Hessian) is singular \
                     and the implicit map is undefined; the follower's cost must be curved in \
                     each of its own entries"
                ),
            );
        }
    }
    errors.into_result()
}
