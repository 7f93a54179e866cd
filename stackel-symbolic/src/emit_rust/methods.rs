//! The `Game` methods that run lowered programs: the costs, omega, the fused
//! `stackelberg_parts` / `second_order_parts`, one method per derivative
//! block; and the two that return data made by the other emitters
//! (`formulas`, `wgsl`).

use super::code::{body, lit, scalar_body};
use super::inline::{inline_attr, inline_tokens, small_program};
use crate::formula::BlockFormulas;
use crate::ir::Program;
use crate::lower::Lowered;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

/// The block methods of the `Game` trait, in the order they are emitted:
/// (method, block). A block of phi = lambda^T omega_F takes `lambda` too.
const BLOCK_METHODS: [(&str, &str); 17] = [
    ("d1f1", "D1f1"),
    ("d2f1", "D2f1"),
    ("d2f2", "D2f2"),
    ("d11f1", "D11f1"),
    ("d12f1", "D12f1"),
    ("d22f1", "D22f1"),
    ("d22f2", "D22f2"),
    ("d21f2", "D21f2"),
    ("d1p_f1", "D1pf1"),
    ("d2p_f1", "D2pf1"),
    ("d2p_f2", "D2pf2"),
    ("d11phi", "D11phi"),
    ("d12phi", "D12phi"),
    ("d21phi", "D21phi"),
    ("d22phi", "D22phi"),
    ("d1p_phi", "D1pphi"),
    ("d2p_phi", "D2pphi"),
];

/// What every method body needs: where the params live, and the lengths
/// `x` and `lambda` are cut to (n = d1 + d2, d2).
pub(super) struct MethodCx<'a> {
    /// Where each flat param lives on `self`.
    pub places: &'a [TokenStream],
    /// n = d1 + d2.
    pub n: Literal,
    /// d2.
    pub d2: Literal,
}

impl MethodCx<'_> {
    /// The body of a method writing every output of `program` into
    /// `targets` (one per output).
    fn body(&self, program: &Program, targets: &[TokenStream]) -> TokenStream {
        body(program, self.places, targets, None)
    }

    /// `out.name` for every output of a fused program (the fields of
    /// `StackelbergParts` / `SecondOrderParts` are named as its outputs).
    fn fields_of(program: &Program) -> Vec<TokenStream> {
        program
            .outputs
            .iter()
            .map(|o| {
                let f = Ident::new(&o.name, Span::call_site());
                quote!(out.#f)
            })
            .collect()
    }
}

/// `leader_cost` and `follower_cost`.
pub(super) fn cost_methods(cx: &MethodCx, l: &Lowered) -> TokenStream {
    let n_l = &cx.n;
    let leader_inline = inline_attr(&l.leader_cost);
    let leader_cost = scalar_body(&l.leader_cost, cx.places);
    let follower_inline = inline_tokens(l.follower_costs.iter().all(small_program));
    let follower_arms = l.follower_costs.iter().enumerate().map(|(i, p)| {
        let i = lit(i);
        let b = scalar_body(p, cx.places);
        quote!(#i => #b,)
    });
    quote! {
        #leader_inline
        fn leader_cost<T: __stackel::Real>(&self, x: &[T]) -> T {
            let x = &x[..#n_l];
            #leader_cost
        }

        /// f_{2^i}; NaN for an index past the last follower.
        #follower_inline
        fn follower_cost<T: __stackel::Real>(&self, i: usize, x: &[T]) -> T {
            let x = &x[..#n_l];
            match i {
                #(#follower_arms)*
                _ => T::of(::core::f64::NAN),
            }
        }
    }
}

/// `omega`, `stackelberg_parts` and `second_order_parts`.
pub(super) fn field_methods(cx: &MethodCx, l: &Lowered) -> TokenStream {
    let (n_l, d2_l) = (&cx.n, &cx.d2);
    let omega_program = &l.field.omega;
    let omega_inline = inline_attr(omega_program);
    let omega = cx.body(omega_program, &[quote!(out)]);
    let parts_program = &l.field.stackelberg_parts;
    let parts_inline = inline_attr(parts_program);
    let parts = cx.body(parts_program, &MethodCx::fields_of(parts_program));
    let second_program = &l.second_order_parts;
    let second_inline = inline_attr(second_program);
    let second = cx.body(second_program, &MethodCx::fields_of(second_program));
    quote! {
        #omega_inline
        fn omega<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
            let x = &x[..#n_l];
            #omega
        }

        #parts_inline
        fn stackelberg_parts<T: __stackel::Real>(&self, x: &[T], out: __stackel::StackelbergParts<'_, T>) {
            let x = &x[..#n_l];
            #parts
        }

        #second_inline
        fn second_order_parts<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: __stackel::SecondOrderParts<'_, T>) {
            let x = &x[..#n_l];
            let lambda = &lambda[..#d2_l];
            #second
        }
    }
}

/// One method per derivative block ([`BLOCK_METHODS`]).
pub(super) fn block_methods(cx: &MethodCx, l: &Lowered) -> TokenStream {
    let (n_l, d2_l) = (&cx.n, &cx.d2);
    let methods = BLOCK_METHODS.iter().map(|(method, block)| {
        let f = Ident::new(method, Span::call_site());
        let program = l.block(block);
        let inline = inline_attr(program);
        let b = cx.body(program, &[quote!(out)]);
        if block.contains("phi") {
            quote! {
                #inline
                fn #f<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    let lambda = &lambda[..#d2_l];
                    #b
                }
            }
        } else {
            quote! {
                #inline
                fn #f<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #b
                }
            }
        }
    });
    quote!(#(#methods)*)
}

/// `formulas` (the formula printer's text) and `wgsl` (the WGSL module).
pub(super) fn data_methods(formulas: &[BlockFormulas], wgsl: &str) -> TokenStream {
    let formulas = formulas.iter().map(|f| {
        let (block, entries) = (&f.block, &f.entries);
        let shape = f.shape.iter().map(|k| lit(*k));
        quote! {
            {
                static ENTRIES: &[&str] = &[#(#entries),*];
                __stackel::BlockFormula {
                    block: #block,
                    shape: ::std::vec![#(#shape),*],
                    entries: ENTRIES.iter().map(|e| ::std::string::ToString::to_string(e)).collect(),
                }
            }
        }
    });
    quote! {
        fn formulas(&self) -> ::std::vec::Vec<__stackel::BlockFormula> {
            ::std::vec![#(#formulas),*]
        }

        fn wgsl(&self) -> ::core::option::Option<&'static str> {
            ::core::option::Option::Some(#wgsl)
        }
    }
}
