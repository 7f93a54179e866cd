//! `formulas()` of the tape form: the program itself, one entry per kept
//! let and per cost, in the DSL's notation (`h1[b,j] = tanh(...)`); the
//! derivatives are computed by reverse mode from it, not printed.

use super::super::code::lit;
use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index};
use proc_macro2::TokenStream;
use quote::quote;

/// The DSL text of `e` (sum variables as `i<n>`).
fn text(model: &GameModel, e: &Expr) -> String {
    let idx = |ix: &[Index]| -> String {
        let parts: Vec<String> = ix
            .iter()
            .map(|i| match (i.var, i.offset) {
                (None, o) => o.to_string(),
                (Some(v), 0) => format!("i{}", v.0),
                (Some(v), o) if o > 0 => format!("i{} + {o}", v.0),
                (Some(v), o) => format!("i{} - {}", v.0, -o),
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("[{}]", parts.join(", "))
        }
    };
    let t = |e: &Expr| text(model, e);
    match e {
        Expr::Num(v) => format!("{v}"),
        Expr::Var { player, index } => format!("{}{}", model.player(*player).name, idx(index)),
        Expr::Part {
            player,
            part,
            index,
        } => format!("{}{}", model.player(*player).parts[*part].name, idx(index)),
        Expr::Data { data, index } => format!("{}{}", model.data[*data].name, idx(index)),
        Expr::Param { param, index } => format!("{}{}", model.params[*param].name, idx(index)),
        Expr::Let { id, index } => format!("{}{}", model.program.lets[*id].name, idx(index)),
        Expr::SumIndex(i) => idx(std::slice::from_ref(i))
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        Expr::Neg(a) => format!("-({})", t(a)),
        Expr::Binary(op, a, b) => {
            let o = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::Pow => "^",
            };
            format!("({} {o} {})", t(a), t(b))
        }
        Expr::Unary(f, a) => format!("{}({})", f.name(), t(a)),
        Expr::Call2(f, a, b) => format!("{}({}, {})", f.name(), t(a), t(b)),
        Expr::Sum { var, lo, hi, body } => format!("sum(i{} in {lo}..{hi}) {}", var.0, t(body)),
        Expr::Fold {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            let name = match op {
                BinaryFn::Min => "min",
                BinaryFn::Max => "max",
            };
            format!("{name}(i{} in {lo}..{hi}) {}", var.0, t(body))
        }
    }
}

/// The entries of `formulas()`'s block "program": one per kept let
/// (`let h1[i0 in 0..256, i1 in 0..32] = ...`) and per cost.
pub fn program_entries(model: &GameModel) -> Vec<String> {
    let mut entries = Vec::new();
    for l in &model.program.lets {
        let head = if l.indices.is_empty() {
            l.name.clone()
        } else {
            let ix: Vec<String> = l
                .indices
                .iter()
                .map(|(v, lo, hi)| format!("i{} in {lo}..{hi}", v.0))
                .collect();
            format!("{}[{}]", l.name, ix.join(", "))
        };
        entries.push(format!("let {head} = {}", text(model, &l.body)));
    }
    for (p, c) in model.program.costs.iter().enumerate() {
        entries.push(format!(
            "cost {} = {}",
            model.player(p).name,
            text(model, c)
        ));
    }
    entries
}

/// `formulas()`: block "program", one entry per kept let and per cost.
pub(super) fn formulas_method(model: &GameModel) -> TokenStream {
    let entries = program_entries(model);
    let len = lit(entries.len());
    quote! {
        fn formulas(&self) -> ::std::vec::Vec<__stackel::BlockFormula> {
            static ENTRIES: &[&str] = &[#(#entries),*];
            ::std::vec![__stackel::BlockFormula {
                block: "program",
                shape: ::std::vec![#len],
                entries: ENTRIES.iter().map(|e| ::std::string::ToString::to_string(e)).collect(),
            }]
        }
    }
}
