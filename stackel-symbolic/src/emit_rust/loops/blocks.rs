//! The parts of the loop-form `impl Game` that are not loops over one
//! expression: `formulas()`, dense blocks from operator columns, and the
//! follower checks.

use super::*;

/// `formulas()`: one entry per player block of every indexed vector and
/// operator ([`IndexedGame::vectors`]), e.g. `D1f1(v)[a,b] = ...`.
pub(super) fn formulas_method(model: &GameModel, g: &IndexedGame) -> TokenStream {
    let blocks = g.vectors().into_iter().map(|(name, parts)| {
        let len: usize = parts.iter().map(|p| p.dims.iter().product::<usize>()).sum();
        let entries: Vec<String> = parts
            .iter()
            .map(|p| {
                let mut pr = Printer::new(model, &p.outs);
                let who = &model.player(p.player).name;
                let outs: Vec<String> = (0..p.outs.len())
                    .map(|k| ((b'a' + k as u8) as char).to_string())
                    .collect();
                let lhs = if outs.is_empty() {
                    format!("{name}({who})")
                } else {
                    format!("{name}({who})[{}]", outs.join(","))
                };
                format!("{lhs} = {}", pr.text(&p.expr))
            })
            .collect();
        let len = lit(len);
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

/// One error per follower whose own gradient is identically zero, or
/// whose block of H = D22f2 is (the unrolled form also finds single
/// structurally zero rows).
pub(super) fn check_followers(model: &GameModel, g: &IndexedGame) -> Result<(), Errors> {
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
