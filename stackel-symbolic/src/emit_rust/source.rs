//! `Game::source`: the game's [`SourceProgram`] as static data of
//! `__stackel::source` types, the same in every code form.

use crate::model::{BinOp, BinaryFn, GameModel, UnaryFn};
use crate::source::{Op, SourceProgram, Store};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// An `f64` literal (finite: literals, `pi`, counts, slopes).
fn f64_lit(v: f64) -> TokenStream {
    let l = Literal::f64_suffixed(v.abs());
    if v.is_sign_negative() {
        quote!(-#l)
    } else {
        quote!(#l)
    }
}

fn u32s(v: &[u32]) -> TokenStream {
    let v = v.iter().map(|k| Literal::u32_unsuffixed(*k));
    quote!(&[#(#v),*])
}

fn op_tokens(op: &Op) -> TokenStream {
    let s = quote!(__stackel::source);
    match op {
        Op::Num(v) => {
            let v = f64_lit(*v);
            quote!(#s::Op::Num(#v))
        }
        Op::Load { store, base, terms } => {
            let store = match store {
                Store::State => quote!(#s::Store::State),
                Store::Param => quote!(#s::Store::Param),
                Store::Let(l) => {
                    let l = Literal::u32_unsuffixed(*l);
                    quote!(#s::Store::Let(#l))
                }
            };
            let base = Literal::i64_suffixed(*base);
            let terms = terms.iter().map(|(slot, stride)| {
                let slot = Literal::u32_unsuffixed(*slot);
                let stride = Literal::i64_suffixed(*stride);
                quote!((#slot, #stride))
            });
            quote!(#s::Op::Load { store: #store, base: #base, terms: &[#(#terms),*] })
        }
        Op::Index { slot, offset } => {
            let slot = Literal::u32_unsuffixed(*slot);
            let offset = Literal::i64_suffixed(*offset);
            quote!(#s::Op::Index { slot: #slot, offset: #offset })
        }
        Op::Neg => quote!(#s::Op::Neg),
        Op::Bin(b) => match b {
            BinOp::Add => quote!(#s::Op::Add),
            BinOp::Sub => quote!(#s::Op::Sub),
            BinOp::Mul => quote!(#s::Op::Mul),
            BinOp::Div => quote!(#s::Op::Div),
            BinOp::Pow => quote!(#s::Op::Pow),
        },
        Op::Unary(f) => {
            let f = match f {
                UnaryFn::Exp => quote!(Exp),
                UnaryFn::Ln => quote!(Ln),
                UnaryFn::Sqrt => quote!(Sqrt),
                UnaryFn::Sin => quote!(Sin),
                UnaryFn::Cos => quote!(Cos),
                UnaryFn::Tan => quote!(Tan),
                UnaryFn::Tanh => quote!(Tanh),
                UnaryFn::Sigmoid => quote!(Sigmoid),
                UnaryFn::Softplus => quote!(Softplus),
                UnaryFn::Abs => quote!(Abs),
                UnaryFn::Relu => quote!(Relu),
            };
            quote!(#s::Op::Unary(#s::Function::#f))
        }
        Op::Call2(BinaryFn::Min) => quote!(#s::Op::Min),
        Op::Call2(BinaryFn::Max) => quote!(#s::Op::Max),
        Op::Sum { slot, lo, hi } => {
            let (slot, lo, hi) = (
                Literal::u32_unsuffixed(*slot),
                Literal::i64_suffixed(*lo),
                Literal::i64_suffixed(*hi),
            );
            quote!(#s::Op::Sum { slot: #slot, lo: #lo, hi: #hi })
        }
        Op::Fold { op, slot, lo, hi } => {
            let max = *op == BinaryFn::Max;
            let (slot, lo, hi) = (
                Literal::u32_unsuffixed(*slot),
                Literal::i64_suffixed(*lo),
                Literal::i64_suffixed(*hi),
            );
            quote!(#s::Op::Fold { max: #max, slot: #slot, lo: #lo, hi: #hi })
        }
    }
}

/// The `source` method of the `Game` impl: `Some` of a static
/// `GameSource` holding `model.source`.
pub(super) fn source_method(model: &GameModel) -> TokenStream {
    let p: &SourceProgram = &model.source;
    let nodes = p.nodes.iter().map(|n| {
        let op = op_tokens(&n.op);
        let children = u32s(&n.children);
        let loops = u32s(&n.loops);
        let (line, column, text) = (
            Literal::u32_unsuffixed(n.line),
            Literal::u32_unsuffixed(n.column),
            &n.text,
        );
        quote! {
            __stackel::source::SourceNode {
                op: #op,
                children: #children,
                span: __stackel::source::SourceSpan { line: #line, column: #column, text: #text },
                loops: #loops,
            }
        }
    });
    let count = Literal::usize_unsuffixed(p.nodes.len());
    let loops = p.loops.iter().map(|(name, lo, hi)| {
        let (lo, hi) = (Literal::i64_suffixed(*lo), Literal::i64_suffixed(*hi));
        quote!(__stackel::source::LoopVar { name: #name, lo: #lo, hi: #hi })
    });
    let lets = p.lets.iter().map(|(name, indices, root)| {
        let indices = u32s(indices);
        let root = Literal::u32_unsuffixed(*root);
        quote!(__stackel::source::LetSource { name: #name, indices: #indices, root: #root })
    });
    let costs = u32s(&p.costs);
    let file = &p.file;
    let (state_len, param_len) = (
        Literal::usize_unsuffixed(p.state_len),
        Literal::usize_unsuffixed(p.param_len),
    );
    quote! {
        fn source(&self) -> ::core::option::Option<&'static __stackel::source::GameSource> {
            static NODES: [__stackel::source::SourceNode; #count] = [#(#nodes),*];
            static SOURCE: __stackel::source::GameSource = __stackel::source::GameSource {
                file: #file,
                nodes: &NODES,
                loops: &[#(#loops),*],
                lets: &[#(#lets),*],
                costs: #costs,
                state_len: #state_len,
                param_len: #param_len,
            };
            ::core::option::Option::Some(&SOURCE)
        }
    }
}
