//! The Rust items that depend on the model alone: the game struct (one
//! public `f64` field or array per param) and its `Default`, `Game::info`,
//! and `params` / `set_params`.

use super::code::lit;
use super::options::{user_derives, Options};
use crate::model::{GameModel, Shape};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

/// Where each flat param lives on `self` (`self.a`, `self.v[1]`, `self.m[0][2]`).
pub(super) fn param_places(model: &GameModel) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for p in &model.params {
        let name = Ident::new(&p.name, p.span);
        for i in 0..p.shape.len() {
            out.push(match p.shape {
                Shape::Scalar => quote!(self.#name),
                Shape::Vector(_) => {
                    let i = lit(i);
                    quote!(self.#name[#i])
                }
                Shape::Matrix(_, m) => {
                    let (r, c) = (lit(i / m), lit(i % m));
                    quote!(self.#name[#r][#c])
                }
            });
        }
    }
    out
}

/// The game struct with the user's attributes, our derives (those the user
/// did not ask for) and its `Default` when every param has a default.
pub(super) fn struct_items(model: &GameModel, options: &Options) -> TokenStream {
    let name = Ident::new(&model.name, model.name_span);
    let vis = &model.vis;
    let attrs = &options.attrs;
    let fields = model.params.iter().map(|p| {
        let f = Ident::new(&p.name, p.span);
        let ty = match p.shape {
            Shape::Scalar => quote!(f64),
            Shape::Vector(n) => {
                let n = lit(n);
                quote!([f64; #n])
            }
            Shape::Matrix(n, m) => {
                let (n, m) = (lit(n), lit(m));
                quote!([[f64; #m]; #n])
            }
        };
        let doc = match &p.default {
            Some(v) if v.len() == 1 => format!(" The param `{}` (default {}).", p.name, v[0]),
            Some(v) => format!(" The param `{}` (default {:?}, row-major).", p.name, v),
            None => format!(" The param `{}` (no default).", p.name),
        };
        quote!(#[doc = #doc] pub #f: #ty)
    });
    let struct_body = if model.params.is_empty() {
        quote!(;)
    } else {
        quote!({ #(#fields),* })
    };
    let have = user_derives(attrs);
    let derives: Vec<Ident> = ["Clone", "Copy", "Debug", "PartialEq"]
        .iter()
        .filter(|d| !have.iter().any(|h| h == *d))
        .map(|d| Ident::new(d, Span::call_site()))
        .collect();
    let derive_attr = if derives.is_empty() {
        quote!()
    } else {
        quote!(#[derive(#(#derives),*)])
    };
    let default_impl = default_impl(model, &name);
    quote! {
        #attrs
        #derive_attr
        #vis struct #name #struct_body

        #default_impl
    }
}

/// `impl Default` from the params' defaults (nothing if one has none).
fn default_impl(model: &GameModel, name: &Ident) -> TokenStream {
    if !model.params.iter().all(|p| p.default.is_some()) {
        return quote!();
    }
    let inits = model.params.iter().map(|p| {
        let f = Ident::new(&p.name, p.span);
        let v = p.default.clone().unwrap_or_default();
        let num = |x: f64| {
            let l = Literal::f64_suffixed(x.abs());
            if x < 0.0 || (x == 0.0 && x.is_sign_negative()) {
                quote!(-#l)
            } else {
                quote!(#l)
            }
        };
        let value = match p.shape {
            Shape::Scalar => num(v[0]),
            Shape::Vector(_) => {
                let xs = v.iter().map(|x| num(*x));
                quote!([#(#xs),*])
            }
            Shape::Matrix(_, m) => {
                let rows = v.chunks(m).map(|r| {
                    let xs = r.iter().map(|x| num(*x));
                    quote!([#(#xs),*])
                });
                quote!([#(#rows),*])
            }
        };
        quote!(#f: #value)
    });
    // a game without params is a unit struct (`Quadratic` is a value)
    let value = if model.params.is_empty() {
        quote!()
    } else {
        quote!({ #(#inits),* })
    };
    quote! {
        #[allow(clippy::all)]
        impl ::core::default::Default for #name {
            fn default() -> Self {
                #name #value
            }
        }
    }
}

/// `&[n, m]` as tokens.
fn shape_tokens(s: &[usize]) -> TokenStream {
    let s = s.iter().map(|k| lit(*k));
    quote!(&[#(#s),*])
}

/// `Game::info`: names, shapes and offsets of the players and params, and
/// the code form (`loops`: the indexed loop form, else unrolled).
pub(super) fn info_method(model: &GameModel, zero_sum: bool, loops: bool) -> TokenStream {
    let form = if loops {
        quote!(__stackel::Form::Loops)
    } else {
        quote!(__stackel::Form::Unrolled)
    };
    info_method_form(model, zero_sum, form)
}

/// `Game::info` with the code form `form` (tokens of a `Form` value), the
/// players' parts and the data inputs.
pub(super) fn info_method_form(
    model: &GameModel,
    zero_sum: bool,
    form: TokenStream,
) -> TokenStream {
    let player_info = |p: usize| {
        let pl = model.player(p);
        let n = &pl.name;
        let shape = shape_tokens(&pl.shape.dims());
        let offset = lit(model.player_offset(p));
        let dim = lit(pl.shape.len());
        let angle = pl.angle;
        let level = proc_macro2::Literal::u32_unsuffixed(pl.level);
        let parts = pl.parts.iter().map(|pt| {
            let (pn, ps) = (&pt.name, shape_tokens(&pt.shape.dims()));
            let (po, pl) = (lit(pt.offset), lit(pt.shape.len()));
            quote!(__stackel::PartInfo { name: #pn, shape: #ps, offset: #po, len: #pl })
        });
        quote!(__stackel::PlayerInfo { name: #n, shape: #shape, offset: #offset, dim: #dim, angle: #angle, level: #level, parts: &[#(#parts),*] })
    };
    let data_infos = model.data.iter().map(|d| {
        let (dn, ds) = (&d.name, shape_tokens(&d.shape.dims()));
        let (o, l) = (lit(d.offset), lit(d.shape.len()));
        quote!(__stackel::DataInfo { name: #dn, shape: #ds, offset: #o, len: #l })
    });
    let leader_info = player_info(0);
    let follower_infos = (1..=model.followers.len()).map(player_info);
    let mut offset = 0;
    let param_infos: Vec<TokenStream> = model
        .params
        .iter()
        .map(|p| {
            let n = &p.name;
            let shape = shape_tokens(&p.shape.dims());
            let (o, len) = (lit(offset), lit(p.shape.len()));
            offset += p.shape.len();
            quote!(__stackel::ParamInfo { name: #n, shape: #shape, offset: #o, len: #len })
        })
        .collect();
    let game_name = &model.name;
    quote! {
        fn info(&self) -> &'static __stackel::GameInfo {
            static INFO: __stackel::GameInfo = __stackel::GameInfo {
                name: #game_name,
                leader: #leader_info,
                followers: &[#(#follower_infos),*],
                params: &[#(#param_infos),*],
                zero_sum: #zero_sum,
                form: #form,
                data: &[#(#data_infos),*],
            };
            &INFO
        }
    }
}

/// `Game::params` and `Game::set_params`: the flat params in and out of
/// their fields, one loop per array param (code size does not grow with the
/// params' sizes).
pub(super) fn params_methods(model: &GameModel) -> TokenStream {
    let np_l = lit(model.param_len());
    let mut get = Vec::new();
    let mut set = Vec::new();
    let mut offset = 0;
    for p in &model.params {
        let name = Ident::new(&p.name, p.span);
        let o = lit(offset);
        match p.shape {
            Shape::Scalar => {
                get.push(quote!(out[#o] = self.#name;));
                set.push(quote!(self.#name = p[#o];));
            }
            Shape::Vector(n) => {
                let n = lit(n);
                get.push(quote!(out[#o..#o + #n].copy_from_slice(&self.#name);));
                set.push(quote!(self.#name.copy_from_slice(&p[#o..#o + #n]);));
            }
            Shape::Matrix(r, c) => {
                let (r, c) = (lit(r), lit(c));
                get.push(quote! {
                    for i in 0..#r {
                        out[#o + i * #c..#o + (i + 1) * #c].copy_from_slice(&self.#name[i]);
                    }
                });
                set.push(quote! {
                    for i in 0..#r {
                        self.#name[i].copy_from_slice(&p[#o + i * #c..#o + (i + 1) * #c]);
                    }
                });
            }
        }
        offset += p.shape.len();
    }
    quote! {
        fn params(&self, out: &mut [f64]) {
            let out = &mut out[..#np_l];
            #(#get)*
        }

        fn set_params(&mut self, p: &[f64]) {
            let p = &p[..#np_l];
            #(#set)*
        }
    }
}

/// The game's items: `struct_items`, the dimensions as inherent consts
/// (`Name::D1`, `D2`, `NP`, `N`, `ND`), and, in an anonymous const that
/// names the runtime crate `__stackel`, `impl Game` with `d1()`, `d2()`,
/// `np()`, `nd()` = `dims` (d1, d2, np, nd) and the methods `body`.
pub(super) fn game_impl(
    model: &GameModel,
    options: &Options,
    dims: [usize; 4],
    body: TokenStream,
) -> TokenStream {
    let krate = &options.krate;
    let name = Ident::new(&model.name, model.name_span);
    let struct_items = struct_items(model, options);
    let [d1_l, d2_l, np_l, nd_l] = dims.map(super::code::lit);
    let n_l = super::code::lit(dims[0] + dims[1]);
    let source = super::source::source_method(model);
    quote! {
        #struct_items

        #[allow(dead_code)]
        impl #name {
            /// Leader dimension d1.
            pub const D1: usize = #d1_l;
            /// Stacked follower dimension d2.
            pub const D2: usize = #d2_l;
            /// Number of flat param entries.
            pub const NP: usize = #np_l;
            /// Full state dimension d1 + d2.
            pub const N: usize = #n_l;
            /// Number of data entries read after the state.
            pub const ND: usize = #nd_l;
        }

        const _: () = {
        use #krate as __stackel;

        #[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
        impl __stackel::Game for #name {
            #[inline(always)]
            fn d1(&self) -> usize {
                #d1_l
            }
            #[inline(always)]
            fn d2(&self) -> usize {
                #d2_l
            }
            #[inline(always)]
            fn np(&self) -> usize {
                #np_l
            }
            #[inline(always)]
            fn n(&self) -> usize {
                #n_l
            }
            #[inline(always)]
            fn nd(&self) -> usize {
                #nd_l
            }

            #body
            #source
        }
        };
    }
}
