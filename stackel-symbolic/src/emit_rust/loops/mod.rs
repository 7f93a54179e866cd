//! The loop form: an `impl Game` whose methods are Rust `for` loops with
//! constant bounds over the indexed compiler's expressions
//! ([`crate::indexed`]), so code size grows with the number of DSL
//! statements, not with the dimensions.
//!
//! - A sum is an accumulator loop; an indicator or delta in a product is a
//!   branch around it; outputs are written by one loop nest per player
//!   block, innermost over the contiguous (last) index. Factors a sum does
//!   not use were already moved out of it by the indexed compiler; other
//!   costly subexpressions (sums, calls) a loop does not depend on are
//!   computed once before it (loop-invariant hoisting, not below a guard),
//!   and a node used twice in one loop body or output entry (the product
//!   and chain rules share them) is computed once into a local.
//! - The operators (`d22f2_mul`, `d22f2_tmul`, `d21f2_mul`, `d21f2_tmul`,
//!   `f1_hvp`, `phi_hvp`) are generated directly (directional derivatives,
//!   no d x d object).
//! - The dense blocks are built column by column from the operators: exact,
//!   but one operator call per column and a column buffer allocated per
//!   call. This is the slow path of the loop form; the matrix-free runtime
//!   does not need it.
//! - The param blocks apply the param-direction derivative to each unit
//!   param direction in turn.
//! - `formulas()` prints the index-level formulas; `wgsl()` returns the
//!   loop-form WGSL module of [`crate::emit_wgsl_loops`] (same IR).

use super::code::{constant, lit};
use super::items;
use super::options::Options;
use crate::error::Errors;
use crate::indexed::expr::{Aff, Ex, Ix, Leaf, Node, E};
use crate::indexed::{IndexedGame, Part};
use crate::model::{GameModel, Shape};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use std::collections::HashMap;
use std::rc::Rc;

pub(super) mod blocks;
pub use blocks::check_followers;
mod gen;
mod order;

use blocks::{dense_methods, formulas_method};
use gen::var;

/// Emits expressions of one game as Rust.
struct Gen<'a> {
    game: &'a IndexedGame,
    model: &'a GameModel,
    /// Per index variable: its loop counter runs over `value - shift`
    /// (shift = the sum's lower bound when that is negative, else 0).
    shift: HashMap<Ix, i64>,
    /// `Dir(p)` reads `dir[offset(p) - dir_base + flat]`.
    dir_base: usize,
    /// Subexpressions computed before the loop they do not depend on, by
    /// node: the local holding their value (in scope while their loop is
    /// emitted).
    hoisted: HashMap<*const Ex, Ident>,
    /// Number of hoisted locals so far (their names).
    next_hoisted: u32,
}

/// The whole loop-form game: struct, `Default`, and the `Game` impl; the
/// errors of followers without curvature.
pub fn emit(model: &GameModel, options: &Options) -> Result<TokenStream, Errors> {
    let g = IndexedGame::new(model);
    check_followers(model, &g)?;
    let (d1, d2, np) = (g.d1, g.d2, g.np);
    let n = d1 + d2;
    let (d1_l, d2_l, np_l, n_l) = (lit(d1), lit(d2), lit(np), lit(n));
    let mut gen = Gen {
        game: &g,
        model,
        shift: HashMap::new(),
        dir_base: 0,
        hoisted: HashMap::new(),
        next_hoisted: 0,
    };
    let zero_sum = g.zero_sum();
    let info = items::info_method(model, zero_sum, true);
    let params = items::params_methods(model);
    let state = |p: &Part| g.player_offset(p.player);
    let follower = |p: &Part| g.player_offset(p.player) - d1;
    let f1 = gen.expr_shared(&g.f1);
    let follower_arms: Vec<TokenStream> =
        g.f2.iter()
            .enumerate()
            .map(|(i, f)| {
                let (i, b) = (lit(i), gen.expr_shared(f));
                quote!(#i => #b,)
            })
            .collect();
    let d1f1 = gen.write(&g.d1f1, &state, None);
    let d2f1 = gen.write(&g.d2f1, &follower, None);
    let d2f2 = gen.write(&g.d2f2, &follower, None);
    let omega_f = gen.write(&g.d2f2, &state, None);
    let d1phi = gen.write(&g.d1phi, &state, None);
    let d2phi = gen.write(&g.d2phi, &follower, None);
    let b_mul = gen.write(&g.b_mul, &follower, None);
    let f1_hvp = gen.write(&g.f1_hvp, &state, None);
    let phi_hvp = gen.write(&g.phi_hvp, &state, None);
    gen.dir_base = d1;
    let h_mul = gen.write(&g.h_mul, &follower, None);
    let k = quote!(k);
    let d1p_f1 = gen.write(&g.d1p_f1, &state, Some(&k));
    let d2p_f1 = gen.write(&g.d2p_f1, &follower, Some(&k));
    let d2p_f2 = gen.write(&g.d2p_f2, &follower, Some(&k));
    let d1p_phi = gen.write(&g.d1p_phi, &state, Some(&k));
    let d2p_phi = gen.write(&g.d2p_phi, &follower, Some(&k));
    let param_block = |rows: usize, body: &TokenStream| {
        let len = lit(rows * np);
        quote! {
            let out = &mut out[..#len];
            let mut pdir = [0.0f64; #np_l];
            for k in 0..#np_l {
                pdir[k] = 1.0;
                #body
                pdir[k] = 0.0;
            }
        }
    };
    let (d1p_f1, d2p_f1, d2p_f2, d1p_phi, d2p_phi) = (
        param_block(d1, &d1p_f1),
        param_block(d2, &d2p_f1),
        param_block(d2, &d2p_f2),
        param_block(d1, &d1p_phi),
        param_block(d2, &d2p_phi),
    );
    let dense_methods = dense_methods(d1, d2);
    let formulas = formulas_method(model, &g);
    let wgsl = crate::emit_wgsl_loops::emit_indexed(model, &g);
    let costs_data = crate::cost::compiled_costs_method(model, super::Form::Loops, None);
    Ok(items::game_impl(
        model,
        options,
        [d1, d2, np, 0],
        quote! {
                #info
                #params
                #costs_data

                fn leader_cost<T: __stackel::Real>(&self, x: &[T]) -> T {
                    let x = &x[..#n_l];
                    #f1
                }

                /// f_{2^i}; NaN for an index past the last follower.
                fn follower_cost<T: __stackel::Real>(&self, i: usize, x: &[T]) -> T {
                    let x = &x[..#n_l];
                    match i {
                        #(#follower_arms)*
                        _ => T::of(::core::f64::NAN),
                    }
                }

                fn d1f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#d1_l]);
                    #d1f1
                }

                fn d2f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#d2_l]);
                    #d2f1
                }

                fn d2f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#d2_l]);
                    #d2f2
                }

                fn omega<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#n_l]);
                    #d1f1
                    #omega_f
                }

                fn d22f2_mul<T: __stackel::Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
                    let (x, dir, out) = (&x[..#n_l], &w[..#d2_l], &mut out[..#d2_l]);
                    #h_mul
                }

                fn d22f2_tmul<T: __stackel::Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
                    let (x, lambda, out) = (&x[..#n_l], &v[..#d2_l], &mut out[..#d2_l]);
                    #d2phi
                }

                fn d21f2_mul<T: __stackel::Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
                    let (x, dir, out) = (&x[..#n_l], &u[..#d1_l], &mut out[..#d2_l]);
                    #b_mul
                }

                fn d21f2_tmul<T: __stackel::Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
                    let (x, lambda, out) = (&x[..#n_l], &v[..#d2_l], &mut out[..#d1_l]);
                    #d1phi
                }

                fn f1_hvp<T: __stackel::Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
                    let (x, dir, out) = (&x[..#n_l], &dir[..#n_l], &mut out[..#n_l]);
                    #f1_hvp
                }

                fn phi_hvp<T: __stackel::Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
                    let (x, lambda, dir, out) = (&x[..#n_l], &lambda[..#d2_l], &dir[..#n_l], &mut out[..#n_l]);
                    #phi_hvp
                }

                #dense_methods

                fn d1p_f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #d1p_f1
                }
                fn d2p_f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #d2p_f1
                }
                fn d2p_f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #d2p_f2
                }
                fn d1p_phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
                    let (x, lambda) = (&x[..#n_l], &lambda[..#d2_l]);
                    #d1p_phi
                }
                fn d2p_phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
                    let (x, lambda) = (&x[..#n_l], &lambda[..#d2_l]);
                    #d2p_phi
                }

                #formulas

                /// The loop-form WGSL module (`emit_wgsl_loops`).
                fn wgsl(&self) -> ::core::option::Option<&'static str> {
                    ::core::option::Option::Some(#wgsl)
                }
        },
    ))
}
