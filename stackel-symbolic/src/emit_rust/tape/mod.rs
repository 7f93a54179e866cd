//! The tape form: the costs as a straight-line program over the kept lets
//! ([`crate::model::Program`]), each let computed once into an array (a
//! network's layers), differentiated in reverse mode by source
//! transformation (`ir.rs`, printed as Rust by `rust.rs`; `activity.rs`
//! finds what depends on the differentiated players). For games with data
//! inputs (minibatches),
//! player parts (layers) or lets used many times, where inlining (the loop
//! and unrolled forms) recomputes a let at every use.
//!
//! The generated inherent methods, generic over the scalar `S: Real`:
//! `__tape_cost(c, x, p)` (cost c: 0 the leader, 1.. the followers) and
//! `__tape_grad(which, c, x, p, g)` (the cost and its gradient, added into
//! `g`, over the players `which` selects: all, the leader, the followers or
//! cost c's own player; the reverse pass skips the lets that do not lead to
//! them, e.g. a generator's layers in the discriminator's own gradient). The `Game` methods call them with:
//! - `S = T` for the costs and the gradients D1f1, D2f1, omega_F;
//! - `S = Tangent<T>` (forward over reverse) for the operators: the tangent
//!   of grad f_c in direction `dir` is (D^2 f_c) dir, so H w, B u, H^T v,
//!   B^T v and (D^2 f1) dir are each one gradient pass per follower on
//!   tangent numbers (H^T v = sum_i (D^2 f_i) [v_i in block i], follower
//!   rows; B^T v the leader rows of the same); for the directions on the
//!   followers (H w, H^T v, B^T v: what a Stackelberg step's conjugate
//!   gradients call) through `__tape_follower_hvp`, which computes the lets
//!   that do not depend on a follower (a generator's layers) in `T` and only
//!   the rest on tangents ([`ir::Split`]);
//! - `S = Tangent<Tangent<T>>` for (D^2 phi) dir, phi = sum_i lambda_i .
//!   D_i f_i: the mixed tangent of grad f_i in directions (lambda_i in
//!   block i) and dir;
//! - tangents on the params for the param blocks.
//!
//! Dense blocks are built column by column from the operators (exact, one
//! operator call per column: the slow path; the runtime takes the
//! matrix-free path for this form). Data inputs are read from
//! `x[N + offset ..]`. No WGSL: the GPU engine reports the form as
//! unsupported.
//!
//! How the programs run fast: each `__tape_*` method exists twice, plain
//! and compiled for AVX2 and FMA (`<name>_avx2`), and picks the second
//! where `stackel_runtime::tiered::avx2()` says the CPU has them (the same
//! bits either way); each program is an inner function whose arrays,
//! of fixed length, are its parameters (so that the optimiser drops the
//! index checks and knows the arrays do not overlap); the let and adjoint
//! arrays come zeroed from a per-thread pool (`stackel_runtime::scratch`).

mod activity;
pub mod ir;
mod print;
mod rust;

pub use print::program_entries;

use super::code::lit;
use super::items;
use super::loops::blocks::dense_methods;
use super::options::Options;
use crate::error::Errors;
use crate::model::{Expr, GameModel};
use activity::Cx;
use ir::TapePrograms;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// One error per follower whose cost does not read its own variable (its
/// best response is undefined).
pub fn check_followers(model: &GameModel) -> Result<(), Errors> {
    let cx = Cx::new(model, vec![true; 1 + model.followers.len()]);
    let mut errors = Errors::new();
    for (i, f) in model.followers.iter().enumerate() {
        if !cx.reads_player(&model.program.costs[i + 1], i + 1) {
            errors.push(
                f.cost_span,
                format!(
                    "the cost of follower `{0}` does not depend on `{0}`, so D22f2 (the follower \
                     Hessian) is singular and its best response is undefined; a follower's cost \
                     must depend on its own variable",
                    f.name
                ),
            );
        }
    }
    errors.into_result()
}

/// Is f2 = -f1 (or f1 = -f2) as written, with one follower?
pub fn zero_sum(model: &GameModel) -> bool {
    let costs = &model.program.costs;
    model.followers.len() == 1 && {
        let neg = |e: &Expr| Expr::Neg(Box::new(e.clone()));
        costs[1] == neg(&costs[0]) || costs[0] == neg(&costs[1])
    }
}

/// The whole tape-form game: struct, `Default`, helpers and `impl Game`;
/// or the errors of followers whose cost does not read their variable.
pub fn emit(model: &GameModel, options: &Options) -> Result<TokenStream, Errors> {
    check_followers(model)?;
    let d1 = model.leader_dim();
    let d2 = model.follower_dim();
    let n = d1 + d2;
    let np = model.param_len();
    let nd = model.data_len();
    let nf = model.followers.len();
    let (d1_l, d2_l, n_l, np_l, nd_l, nf_l) = (lit(d1), lit(d2), lit(n), lit(np), lit(nd), lit(nf));
    let zero_sum = zero_sum(model);
    let programs = TapePrograms::new(model);
    let lens = rust::Lens::of(programs.dims);
    let name = Ident::new(&model.name, model.name_span);
    let cost_arms = |attr: &TokenStream| -> Vec<TokenStream> {
        programs
            .costs
            .iter()
            .enumerate()
            .map(|(c, prog)| {
                let prog = rust::program(prog, lens, attr);
                let c = lit(c);
                quote!(#c => { #prog cost })
            })
            .collect()
    };
    // Gradient programs by the players they differentiate: all (0), the
    // leader (1), the followers (2), cost c's own player (3).
    let grad_fns: Vec<TokenStream> = programs
        .grads
        .iter()
        .enumerate()
        .map(|(which, progs)| {
            let f = quote::format_ident!(
                "__tape_grad_{}",
                ["all", "leader", "followers", "own"][which]
            );
            tiered(
                &f,
                &[
                    ("c", quote!(usize)),
                    ("x", quote!(&'a [S])),
                    ("p", quote!(&'a [S])),
                    ("g", quote!(&'a mut [S])),
                ],
                quote!(S),
                |attr| {
                    let arms = progs.iter().enumerate().filter_map(|(c, prog)| {
                        let prog = rust::program(prog.as_ref()?, lens, attr);
                        let c = lit(c);
                        Some(quote!(#c => { #prog cost }))
                    });
                    quote! {
                        let (x, g) = (&x[..#n_l + #nd_l], &mut g[..#n_l]);
                        match c {
                            #(#arms)*
                            _ => S::of(::core::f64::NAN),
                        }
                    }
                },
            )
        })
        .collect();
    let omega_fn = tiered(
        &quote::format_ident!("__tape_omega"),
        &[
            ("x", quote!(&'a [S])),
            ("p", quote!(&'a [S])),
            ("g", quote!(&'a mut [S])),
        ],
        quote!(()),
        |attr| {
            let omega_prog = rust::program(&programs.omega, lens, attr);
            quote! {
                let (x, g) = (&x[..#n_l + #nd_l], &mut g[..#n_l]);
                #omega_prog
            }
        },
    );
    let cost_fn = tiered(
        &quote::format_ident!("__tape_cost"),
        &[
            ("c", quote!(usize)),
            ("x", quote!(&'a [S])),
            ("p", quote!(&'a [S])),
        ],
        quote!(S),
        |attr| {
            let arms = cost_arms(attr);
            quote! {
                let x = &x[..#n_l + #nd_l];
                match c {
                    #(#arms)*
                    _ => S::of(::core::f64::NAN),
                }
            }
        },
    );
    let follower_hvp = follower_hvp(&programs, n, nd);
    // Follower blocks: (offset in x, length).
    let blocks: Vec<(usize, usize)> = (1..=nf)
        .map(|p| (model.player_offset(p), model.player(p).shape.len()))
        .collect();
    let block_lits: Vec<TokenStream> = blocks
        .iter()
        .map(|(o, l)| {
            let (o, l) = (lit(*o), lit(*l));
            quote!((#o, #l))
        })
        .collect();
    let info = items::info_method_form(model, zero_sum, quote!(__stackel::Form::Tape));
    let params = items::params_methods(model);
    let formulas = print::formulas_method(model);
    let krate = &options.krate;

    let dense_methods = dense_methods(d1, d2);

    let helpers = quote! {
        const _: () = {
        use #krate as __stackel;
        #[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
        impl #name {
            /// The follower blocks: (offset in x, length).
            const __TAPE_BLOCKS: [(usize, usize); #nf_l] = [#(#block_lits),*];

            /// The flat params as `S`.
            fn __tape_params<S: __stackel::Real>(&self) -> ::std::vec::Vec<S> {
                let mut p = [0.0f64; #np_l];
                <Self as __stackel::Game>::params(self, &mut p);
                p.iter().map(|&v| S::of(v)).collect()
            }

            /// Cost `c` (0 the leader, 1.. the followers) at `x` (N player
            /// entries, then the data), params `p`.
            #cost_fn

            #(#grad_fns)*

            #follower_hvp

            /// omega = (D1f1, D2f2) added into `g` (N entries): one forward
            /// pass, then each player's gradient of its own cost.
            #omega_fn

            /// Cost `c` and, added into `g` (N entries), its gradient
            /// (reverse mode) over the players `which` selects: 0 all, 1 the
            /// leader, 2 the followers, 3 cost c's own player (other entries
            /// of `g` are left as they are).
            fn __tape_grad<S: __stackel::Real>(&self, which: u8, c: usize, x: &[S], p: &[S], g: &mut [S]) -> S {
                match which {
                    0 => self.__tape_grad_all(c, x, p, g),
                    1 => self.__tape_grad_leader(c, x, p, g),
                    2 => self.__tape_grad_followers(c, x, p, g),
                    _ => self.__tape_grad_own(c, x, p, g),
                }
            }

            /// The gradient of cost `c` over the players `which` selects into `g`.
            fn __tape_gradient<T: __stackel::Real>(&self, which: u8, c: usize, x: &[T], g: &mut [T]) {
                let p = self.__tape_params::<T>();
                g[..#n_l].iter_mut().for_each(|v| *v = T::zero());
                self.__tape_grad(which, c, x, &p, g);
            }

            /// (D^2 f_c) (dir, pdir): the tangent of grad f_c in direction
            /// `dir` on the player entries (N) and `pdir` on the params.
            /// (Rows of the players `which` selects, as in `__tape_grad`.)
            fn __tape_hvp<T: __stackel::Real>(&self, which: u8, c: usize, x: &[T], dir: &[T], pdir: &[f64], out: &mut [T]) {
                let xt: ::std::vec::Vec<__stackel::Tangent<T>> = x[..#n_l + #nd_l]
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| __stackel::Tangent::new(v, if k < #n_l { dir[k] } else { T::zero() }))
                    .collect();
                let p: ::std::vec::Vec<__stackel::Tangent<T>> = self
                    .__tape_params::<T>()
                    .into_iter()
                    .enumerate()
                    .map(|(k, v)| __stackel::Tangent::new(v, T::of(pdir.get(k).copied().unwrap_or(0.0))))
                    .collect();
                let mut g = ::std::vec![<__stackel::Tangent<T> as __stackel::Real>::zero(); #n_l];
                self.__tape_grad(which, c, &xt, &p, &mut g);
                for k in 0..#n_l {
                    out[k] = g[k].d;
                }
            }

            /// The mixed second tangent of grad f_c in directions `dir1`
            /// (player entries) and (`dir2`, `pdir2`) (player entries, params).
            fn __tape_hvp2<T: __stackel::Real>(&self, c: usize, x: &[T], dir1: &[T], dir2: &[T], pdir2: &[f64], out: &mut [T]) {
                use __stackel::Tangent as Tg;
                let z = T::zero();
                let xt: ::std::vec::Vec<Tg<Tg<T>>> = x[..#n_l + #nd_l]
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| {
                        let (a, b) = if k < #n_l { (dir1[k], dir2[k]) } else { (z, z) };
                        Tg::new(Tg::new(v, a), Tg::new(b, z))
                    })
                    .collect();
                let p: ::std::vec::Vec<Tg<Tg<T>>> = self
                    .__tape_params::<T>()
                    .into_iter()
                    .enumerate()
                    .map(|(k, v)| Tg::new(Tg::new(v, z), Tg::new(T::of(pdir2.get(k).copied().unwrap_or(0.0)), z)))
                    .collect();
                let mut g = ::std::vec![<Tg<Tg<T>> as __stackel::Real>::zero(); #n_l];
                self.__tape_grad(0, c, &xt, &p, &mut g);
                for k in 0..#n_l {
                    out[k] = g[k].d.d;
                }
            }

            /// Follower i's block of `v` (d2 entries) placed in a zero
            /// direction over the N player entries.
            fn __tape_place<T: __stackel::Real>(i: usize, v: &[T]) -> ::std::vec::Vec<T> {
                let mut dir = ::std::vec![T::zero(); #n_l];
                let (o, l) = Self::__TAPE_BLOCKS[i];
                dir[o..o + l].copy_from_slice(&v[o - #d1_l..o - #d1_l + l]);
                dir
            }

            /// A param block: rows `rows` of (d/dp_k of the gradient of
            /// cost c, or of D phi with `lambda`) for each param k.
            fn __tape_param_block<T: __stackel::Real>(&self, x: &[T], lambda: ::core::option::Option<&[T]>, rows: (usize, usize), out: &mut [T]) {
                let w = rows.1 - rows.0;
                let zero = ::std::vec![T::zero(); #n_l];
                let mut h = ::std::vec![T::zero(); #n_l];
                let mut acc = ::std::vec![T::zero(); #n_l];
                let mut pdir = [0.0f64; #np_l];
                for k in 0..#np_l {
                    pdir[k] = 1.0;
                    acc.iter_mut().for_each(|v| *v = T::zero());
                    match lambda {
                        ::core::option::Option::None => {
                            // d/dp_k of grad f1.
                            self.__tape_hvp(0, 0, x, &zero, &pdir, &mut acc);
                        }
                        ::core::option::Option::Some(lambda) => {
                            for i in 0..#nf_l {
                                let dir = Self::__tape_place(i, lambda);
                                self.__tape_hvp2(i + 1, x, &dir, &zero, &pdir, &mut h);
                                for j in 0..#n_l {
                                    acc[j] += h[j];
                                }
                            }
                        }
                    }
                    for r in 0..w {
                        out[r * #np_l + k] = acc[rows.0 + r];
                    }
                    pdir[k] = 0.0;
                }
            }
        }
        };
    };
    let costs_data = crate::cost::compiled_costs_method(model, super::Form::Tape, None);
    let d2f1_call = if programs.leader_follower_gradient.is_some() {
        quote!(self.__tape_d2f1(x, &mut g);)
    } else {
        quote!(self.__tape_gradient(2, 0, x, &mut g);)
    };
    let body = quote! {
        #info
        #params

        fn leader_cost<T: __stackel::Real>(&self, x: &[T]) -> T {
            let p = self.__tape_params::<T>();
            self.__tape_cost(0, x, &p)
        }

        /// f_{2^i}; NaN for an index past the last follower.
        fn follower_cost<T: __stackel::Real>(&self, i: usize, x: &[T]) -> T {
            if i >= #nf_l {
                return T::of(::core::f64::NAN);
            }
            let p = self.__tape_params::<T>();
            self.__tape_cost(i + 1, x, &p)
        }

        fn d1f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            let mut g = ::std::vec![T::zero(); #n_l];
            self.__tape_gradient(1, 0, x, &mut g);
            out[..#d1_l].copy_from_slice(&g[..#d1_l]);
        }

        fn d2f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            let mut g = ::std::vec![T::zero(); #n_l];
            #d2f1_call
            out[..#d2_l].copy_from_slice(&g[#d1_l..#n_l]);
        }

        fn d2f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            let mut g = ::std::vec![T::zero(); #n_l];
            for (i, &(o, l)) in Self::__TAPE_BLOCKS.iter().enumerate() {
                self.__tape_gradient(3, i + 1, x, &mut g);
                out[o - #d1_l..o - #d1_l + l].copy_from_slice(&g[o..o + l]);
            }
        }

        fn omega<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            let p = self.__tape_params::<T>();
            let mut g = ::std::vec![T::zero(); #n_l];
            self.__tape_omega(x, &p, &mut g);
            out[..#n_l].copy_from_slice(&g);
        }

        fn d22f2_mul<T: __stackel::Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
            let mut dir = ::std::vec![T::zero(); #n_l];
            dir[#d1_l..].copy_from_slice(&w[..#d2_l]);
            let mut h = ::std::vec![T::zero(); #n_l];
            for (i, &(o, l)) in Self::__TAPE_BLOCKS.iter().enumerate() {
                self.__tape_follower_hvp(3, i + 1, x, &dir, &mut h);
                out[o - #d1_l..o - #d1_l + l].copy_from_slice(&h[o..o + l]);
            }
        }

        fn d21f2_mul<T: __stackel::Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
            let mut dir = ::std::vec![T::zero(); #n_l];
            dir[..#d1_l].copy_from_slice(&u[..#d1_l]);
            let mut h = ::std::vec![T::zero(); #n_l];
            for (i, &(o, l)) in Self::__TAPE_BLOCKS.iter().enumerate() {
                self.__tape_hvp(3, i + 1, x, &dir, &[], &mut h);
                out[o - #d1_l..o - #d1_l + l].copy_from_slice(&h[o..o + l]);
            }
        }

        fn d22f2_tmul<T: __stackel::Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
            let mut h = ::std::vec![T::zero(); #n_l];
            out[..#d2_l].iter_mut().for_each(|o| *o = T::zero());
            for i in 0..#nf_l {
                let dir = Self::__tape_place(i, v);
                self.__tape_follower_hvp(2, i + 1, x, &dir, &mut h);
                for j in 0..#d2_l {
                    out[j] += h[#d1_l + j];
                }
            }
        }

        fn d21f2_tmul<T: __stackel::Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
            let mut h = ::std::vec![T::zero(); #n_l];
            out[..#d1_l].iter_mut().for_each(|o| *o = T::zero());
            for i in 0..#nf_l {
                let dir = Self::__tape_place(i, v);
                self.__tape_follower_hvp(1, i + 1, x, &dir, &mut h);
                for j in 0..#d1_l {
                    out[j] += h[j];
                }
            }
        }

        fn f1_hvp<T: __stackel::Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
            self.__tape_hvp(0, 0, x, dir, &[], out);
        }

        fn phi_hvp<T: __stackel::Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
            let mut h = ::std::vec![T::zero(); #n_l];
            out[..#n_l].iter_mut().for_each(|o| *o = T::zero());
            for i in 0..#nf_l {
                let d1 = Self::__tape_place(i, lambda);
                self.__tape_hvp2(i + 1, x, &d1, dir, &[], &mut h);
                for j in 0..#n_l {
                    out[j] += h[j];
                }
            }
        }

        #dense_methods

        fn d1p_f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            self.__tape_param_block(x, ::core::option::Option::None, (0, #d1_l), out);
        }
        fn d2p_f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            self.__tape_param_block(x, ::core::option::Option::None, (#d1_l, #n_l), out);
        }
        fn d2p_f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            let zero = ::std::vec![T::zero(); #n_l];
            let mut h = ::std::vec![T::zero(); #n_l];
            let mut pdir = [0.0f64; #np_l];
            for k in 0..#np_l {
                pdir[k] = 1.0;
                for (i, &(o, l)) in Self::__TAPE_BLOCKS.iter().enumerate() {
                    self.__tape_hvp(3, i + 1, x, &zero, &pdir, &mut h);
                    for r in o..o + l {
                        out[(r - #d1_l) * #np_l + k] = h[r];
                    }
                }
                pdir[k] = 0.0;
            }
        }
        fn d1p_phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
            self.__tape_param_block(x, ::core::option::Option::Some(lambda), (0, #d1_l), out);
        }
        fn d2p_phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
            self.__tape_param_block(x, ::core::option::Option::Some(lambda), (#d1_l, #n_l), out);
        }

        #formulas
        #costs_data
    };
    let game = items::game_impl(model, options, [d1, d2, np, nd], body);
    Ok(quote!(#game #helpers))
}

/// `__tape_follower_hvp(which, c, x, dir, out)`: `__tape_hvp` for a
/// direction on the followers only, through the split programs
/// ([`ir::Split`]: the direction-free lets in `T`, once per point and
/// thread, `stackel_runtime::point_cache`; the rest on tangents), and the
/// helpers it calls; `__tape_hvp` where a cost has no split.
fn follower_hvp(programs: &TapePrograms, n: usize, nd: usize) -> TokenStream {
    let lens = rust::Lens::of(programs.dims);
    let (n_l, nx_l) = (lit(n), lit(n + nd));
    let mut helpers = Vec::new();
    let mut arms = Vec::new();
    for (c, split) in programs.follower_tangents.iter().enumerate() {
        let Some(split) = split else { continue };
        let primal = quote::format_ident!("__tape_primal_{c}");
        let names: Vec<Ident> = split
            .primal
            .lets
            .iter()
            .map(|&(k, _)| quote::format_ident!("t{k}"))
            .collect();
        let types = names.iter().map(|_| quote!(::std::vec::Vec<S>));
        helpers.push(tiered(
            &primal,
            &[("x", quote!(&'a [S])), ("p", quote!(&'a [S]))],
            quote!((#(#types,)*)),
            |attr| {
                let body = rust::primal_lets(&split.primal, lens, attr);
                quote! {
                    let x = &x[..#nx_l];
                    #body
                }
            },
        ));
        let with_fixed = quote::format_ident!("__tape_with_fixed_{c}");
        let c_l = lit(c);
        let plain_types = names.iter().map(|_| quote!(::std::vec::Vec<T>));
        let lifted_types = names
            .iter()
            .map(|_| quote!(::std::vec::Vec<__stackel::Tangent<T>>));
        helpers.push(quote! {
            /// `then` of cost c's direction-free lets at (x, p), plain and
            /// as tangents with a zero tangent part, computed once per
            /// point and thread (`point_cache`).
            fn #with_fixed<T: __stackel::Real, R>(
                &self,
                x: &[T],
                p: &[T],
                then: impl FnOnce(&((#(#plain_types,)*), (#(#lifted_types,)*))) -> R,
            ) -> R {
                let lift = |v: &::std::vec::Vec<T>| -> ::std::vec::Vec<__stackel::Tangent<T>> {
                    v.iter().map(|&v| __stackel::Tangent::new(v, T::zero())).collect()
                };
                __stackel::point_cache::with(
                    (::core::any::TypeId::of::<Self>(), 0, #c_l),
                    &x[..#nx_l],
                    p,
                    || {
                        let (#(#names,)*) = self.#primal::<T>(x, p);
                        let lifted = (#(lift(&#names),)*);
                        ((#(#names,)*), lifted)
                    },
                    then,
                )
            }
        });
        if let Some((from, grad)) = &programs.leader_follower_gradient {
            if *from == c {
                let f = quote::format_ident!("__tape_leader_follower_gradient");
                let (helper, reads) = given_lets_gradient(&f, grad, lens, n, nd);
                helpers.push(helper);
                helpers.push(quote! {
                    /// D2f1 added into `g` (N entries), from the
                    /// direction-free lets the operators share.
                    fn __tape_d2f1<T: __stackel::Real>(&self, x: &[T], g: &mut [T]) {
                        let p = self.__tape_params::<T>();
                        self.#with_fixed(x, &p, |((#(#names,)*), _)| {
                            self.#f::<T>(x, &p, #(#reads,)* g)
                        });
                    }
                });
            }
        }
        for (w, tangent) in split.tangent.iter().enumerate() {
            let which = lit(w + 1);
            let f = quote::format_ident!("__tape_split_{}_{c}", w + 1);
            let (helper, reads) = given_lets_gradient(&f, tangent, lens, n, nd);
            helpers.push(helper);
            arms.push(quote! {
                (#which, #c_l) => {
                    let p = self.__tape_params::<T>();
                    let xt: ::std::vec::Vec<Tg<T>> = x[..#nx_l]
                        .iter()
                        .enumerate()
                        .map(|(k, &v)| Tg::new(v, if k < #n_l { dir[k] } else { T::zero() }))
                        .collect();
                    let pt = lift(p.clone());
                    let mut g = ::std::vec![<Tg<T> as __stackel::Real>::zero(); #n_l];
                    self.#with_fixed(x, &p, |(_, (#(#names,)*))| {
                        self.#f::<Tg<T>>(&xt, &pt, #(#reads,)* &mut g)
                    });
                    for k in 0..#n_l {
                        out[k] = g[k].d;
                    }
                }
            });
        }
    }
    quote! {
        #(#helpers)*

        /// `__tape_hvp(which, c, x, dir, [], out)` for a direction on the
        /// followers only: the lets that do not depend on a follower in
        /// `T` (computed once per point: `point_cache`), the rest on
        /// tangents.
        fn __tape_follower_hvp<T: __stackel::Real>(&self, which: u8, c: usize, x: &[T], dir: &[T], out: &mut [T]) {
            use __stackel::Tangent as Tg;
            let lift = |v: ::std::vec::Vec<T>| -> ::std::vec::Vec<Tg<T>> {
                v.into_iter().map(|v| Tg::new(v, T::zero())).collect()
            };
            match (which, c) {
                #(#arms)*
                _ => self.__tape_hvp(which, c, x, dir, &[], out),
            }
        }
    }
}

/// `fn f<S: Real>(&self, x, p, <inputs>, g) -> S` running gradient program
/// `prog` with its input lets given, and the names of those inputs (in
/// the parameters' order).
fn given_lets_gradient(
    f: &Ident,
    prog: &ir::TapeProgram,
    lens: rust::Lens,
    n: usize,
    nd: usize,
) -> (TokenStream, Vec<Ident>) {
    let (n_l, nx_l) = (lit(n), lit(n + nd));
    let inputs = rust::input_names(prog);
    let reads: Vec<Ident> = inputs.iter().map(|t| quote::format_ident!("{t}")).collect();
    let mut params: Vec<(&str, TokenStream)> = vec![("x", quote!(&'a [S])), ("p", quote!(&'a [S]))];
    params.extend(inputs.iter().map(|t| (t.as_str(), quote!(&'a [S]))));
    params.push(("g", quote!(&'a mut [S])));
    let helper = tiered(f, &params, quote!(S), |attr| {
        let prog = rust::program(prog, lens, attr);
        quote! {
            let (x, g) = (&x[..#nx_l], &mut g[..#n_l]);
            #prog
            cost
        }
    });
    (helper, reads)
}

/// `fn name<S: Real>(&self, params) -> ret { body }`, run on the CPU's
/// best SIMD tier (`stackel_runtime::tiered`): the body twice, as
/// `name_plain` and, compiled for AVX2 and FMA, `name_avx2` (`body(attr)`
/// gives it with `attr` for the functions it declares: items inside a
/// function do not take its features). `params`' types name the lifetime
/// `'a`.
fn tiered(
    name: &Ident,
    params: &[(&str, TokenStream)],
    ret: TokenStream,
    body: impl Fn(&TokenStream) -> TokenStream,
) -> TokenStream {
    let plain = quote::format_ident!("{name}_plain");
    let avx2 = quote::format_ident!("{name}_avx2");
    let names: Vec<Ident> = params
        .iter()
        .map(|(n, _)| quote::format_ident!("{n}"))
        .collect();
    let types: Vec<&TokenStream> = params.iter().map(|(_, t)| t).collect();
    let feature = quote!(#[target_feature(enable = "avx2,fma")]);
    let (plain_body, avx2_body) = (body(&quote!()), body(&feature));
    quote! {
        fn #plain<'a, S: __stackel::Real>(&'a self, #(#names: #types),*) -> #ret {
            #plain_body
        }

        #[cfg(target_arch = "x86_64")]
        #feature
        fn #avx2<'a, S: __stackel::Real>(&'a self, #(#names: #types),*) -> #ret {
            #avx2_body
        }

        fn #name<'a, S: __stackel::Real>(&'a self, #(#names: #types),*) -> #ret {
            #[cfg(target_arch = "x86_64")]
            if __stackel::tiered::avx2() {
                // SAFETY: avx2() checked that this CPU has AVX2 and FMA.
                return unsafe { self.#avx2(#(#names),*) };
            }
            self.#plain(#(#names),*)
        }
    }
}
