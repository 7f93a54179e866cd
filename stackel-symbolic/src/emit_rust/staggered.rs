//! The staggered-hierarchy methods of a game with `follower z after y;`
//! (appendix F.1): `staggered_gradient` (D f_p), `staggered_hessian`
//! (D^2 f_p) and `staggered_phi_hessian` (D^2 of lambda^T D_p f_p), one
//! straight-line arm per player, from [`StaggeredPrograms`]. A player
//! number past the last returns `NotGenerated`.

use super::code::{body, lit};
use crate::ir::Program;
use crate::lower::StaggeredPrograms;
use crate::model::GameModel;
use proc_macro2::TokenStream;
use quote::quote;

/// The three methods, or nothing for a game without levels below 1.
pub(super) fn staggered_methods(
    model: &GameModel,
    places: &[TokenStream],
    programs: Option<&StaggeredPrograms>,
) -> TokenStream {
    let Some(s) = programs else {
        return TokenStream::new();
    };
    let n = lit(model.leader_dim() + model.follower_dim());
    let arms = |progs: &[Program], first: usize, lambda: bool| {
        let arms = progs.iter().enumerate().map(|(k, prog)| {
            let p = first + k;
            let b = body(prog, places, &[quote!(out)], None);
            let pl = lit(p);
            if lambda {
                let dp = lit(model.player(p).shape.len());
                quote!(#pl => { let lambda = &lambda[..#dp]; #b })
            } else {
                quote!(#pl => { #b })
            }
        });
        quote! {
            match p {
                #(#arms)*
                _ => return ::core::result::Result::Err(__stackel::hierarchy::NotGenerated),
            }
            ::core::result::Result::Ok(())
        }
    };
    let grad = arms(&s.gradients, 0, false);
    let hess = arms(&s.hessians, 0, false);
    let phi = arms(&s.phi_hessians, 1, true);
    quote! {
        fn staggered_gradient<T: __stackel::Real>(&self, p: usize, x: &[T], out: &mut [T]) -> ::core::result::Result<(), __stackel::hierarchy::NotGenerated> {
            let x = &x[..#n];
            #grad
        }

        fn staggered_hessian<T: __stackel::Real>(&self, p: usize, x: &[T], out: &mut [T]) -> ::core::result::Result<(), __stackel::hierarchy::NotGenerated> {
            let x = &x[..#n];
            #hess
        }

        fn staggered_phi_hessian<T: __stackel::Real>(&self, p: usize, x: &[T], lambda: &[T], out: &mut [T]) -> ::core::result::Result<(), __stackel::hierarchy::NotGenerated> {
            let x = &x[..#n];
            #phi
        }
    }
}
