//! The formula emitter: readable math text of a game's costs and derivative
//! blocks (`Game::formulas`), such as `2*q1 + q2 - a + c1`, terms in the
//! players' variables first, then params, constants last. It reads the
//! derivative DAG of the lowered bundle ([`Lowered::derivatives`]).

use crate::dag::{Dag, Id, Node};
use crate::lower::Lowered;
use crate::model::GameModel;

/// Longest formula text kept per entry; longer ones end in `...`.
pub const FORMULA_CAP: usize = 4000;

/// Display names of the flat state and param entries.
pub struct Names {
    /// One name per flat state entry, leader first: `q1`, `v[0,1]`.
    pub state: Vec<String>,
    /// One name per flat param entry: `a`, `sigma[1,2]`.
    pub param: Vec<String>,
}

impl Names {
    /// The names of `model`'s state and param entries, in flat (row-major) order.
    pub fn of(model: &GameModel) -> Self {
        let mut state = Vec::new();
        for p in 0..=model.followers.len() {
            let pl = model.player(p);
            state.extend((0..pl.shape.len()).map(|i| pl.shape.entry_label(&pl.name, i)));
        }
        let param = model
            .params
            .iter()
            .flat_map(|p| (0..p.shape.len()).map(|i| p.shape.entry_label(&p.name, i)))
            .collect();
        Names { state, param }
    }
}

/// Binding strength of a node's text: 0 sum, 1 product or negation,
/// 2 power, 3 atom.
fn precedence(dag: &Dag, id: Id) -> u8 {
    match dag.node(id) {
        Node::Const(b) if f64::from_bits(*b) < 0.0 => 1,
        Node::Add(_) => 0,
        Node::Mul(_) => 1,
        Node::Powi(_, n) if *n < 0 => 1,
        Node::Powi(..) | Node::Powf(..) => 2,
        _ => 3,
    }
}

/// Readable math text of a node (`2*q1 + q2 - a + c1`), at most about
/// [`FORMULA_CAP`] characters.
pub fn formula(dag: &Dag, id: Id, names: &Names) -> String {
    let mut out = String::new();
    write_node(dag, id, names, &mut out);
    out
}

fn write_wrapped(dag: &Dag, id: Id, names: &Names, min: u8, out: &mut String) {
    if precedence(dag, id) < min {
        out.push('(');
        write_node(dag, id, names, out);
        out.push(')');
    } else {
        write_node(dag, id, names, out);
    }
}

fn write_product(dag: &Dag, factors: &[Id], names: &Names, out: &mut String) {
    let mut num = Vec::new();
    let mut den = Vec::new();
    for f in factors {
        match dag.node(*f) {
            Node::Powi(b, n) if *n < 0 => den.push((*b, -n)),
            _ => num.push(*f),
        }
    }
    if num.is_empty() {
        out.push('1');
    }
    for (i, f) in num.iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        write_wrapped(dag, *f, names, 2, out);
    }
    if den.is_empty() {
        return;
    }
    out.push('/');
    let single = den.len() == 1;
    if !single {
        out.push('(');
    }
    for (i, (b, n)) in den.iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        if *n == 1 {
            write_wrapped(dag, *b, names, if single { 3 } else { 2 }, out);
        } else {
            write_wrapped(dag, *b, names, 3, out);
            out.push_str(&format!("^{n}"));
        }
    }
    if !single {
        out.push(')');
    }
}

/// A term `k * rest` written with its sign handled by the caller.
fn write_scaled(dag: &Dag, k: f64, rest: &[Id], names: &Names, out: &mut String) {
    if rest.is_empty() {
        out.push_str(&format!("{k}"));
        return;
    }
    if k != 1.0 {
        out.push_str(&format!("{k}*"));
    }
    write_product(dag, rest, names, out);
}

/// (coefficient, remaining factors) of a sum term.
fn coefficient(dag: &Dag, id: Id) -> (f64, Vec<Id>) {
    match dag.node(id) {
        Node::Mul(xs) => match dag.as_const(xs[0]) {
            Some(k) => (k, xs[1..].to_vec()),
            None => (1.0, xs.to_vec()),
        },
        Node::Const(b) => (f64::from_bits(*b), vec![]),
        _ => (1.0, vec![id]),
    }
}

/// Sort key of a sum term for reading: (0, first state entry) for terms
/// with a state entry among their direct factors, (1, first param) for
/// params, (2, 0) for anything else, (3, 0) for the constant.
fn term_order(dag: &Dag, t: Id) -> (u8, u32) {
    let (_, factors) = coefficient(dag, t);
    if factors.is_empty() {
        return (3, 0);
    }
    let leaf = |f: &Id| match dag.node(*f) {
        Node::Powi(b, _) => *b,
        _ => *f,
    };
    let first = |want_state: bool| {
        factors
            .iter()
            .filter_map(|f| match (dag.node(leaf(f)), want_state) {
                (Node::State(k), true) | (Node::Param(k), false) => Some(*k),
                _ => None,
            })
            .min()
    };
    match (first(true), first(false)) {
        (Some(k), _) => (0, k),
        (None, Some(k)) => (1, k),
        _ => (2, 0),
    }
}

fn write_node(dag: &Dag, id: Id, names: &Names, out: &mut String) {
    if out.len() > FORMULA_CAP {
        if !out.ends_with("...") {
            out.push_str("...");
        }
        return;
    }
    let call = |f: &str, args: &[Id], out: &mut String| {
        out.push_str(f);
        out.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_node(dag, *a, names, out);
        }
        out.push(')');
    };
    match dag.node(id) {
        Node::Const(b) => out.push_str(&format!("{}", f64::from_bits(*b))),
        Node::State(k) => out.push_str(&names.state[*k as usize]),
        Node::Param(k) => out.push_str(&names.param[*k as usize]),
        Node::Lambda(k) => out.push_str(&format!("lambda[{k}]")),
        Node::Add(xs) => {
            // Reading order: terms in players' variables first (by their
            // first entry), then terms in params only, constants last.
            let mut terms: Vec<Id> = xs.to_vec();
            terms.sort_by_key(|t| term_order(dag, *t));
            for (i, t) in terms.iter().enumerate() {
                let (k, rest) = coefficient(dag, *t);
                match (i, k < 0.0) {
                    (0, true) => out.push('-'),
                    (0, false) => {}
                    (_, true) => out.push_str(" - "),
                    (_, false) => out.push_str(" + "),
                }
                if rest.len() == 1 && k.abs() == 1.0 && matches!(dag.node(rest[0]), Node::Add(_)) {
                    write_wrapped(dag, rest[0], names, 1, out);
                } else {
                    write_scaled(dag, k.abs(), &rest, names, out);
                }
            }
        }
        Node::Mul(xs) => {
            let (k, rest) = coefficient(dag, id);
            let _ = xs;
            if k < 0.0 {
                out.push('-');
            }
            write_scaled(dag, k.abs(), &rest, names, out);
        }
        Node::Powi(a, n) => {
            if *n < 0 {
                write_product(dag, &[id], names, out);
            } else {
                write_wrapped(dag, *a, names, 3, out);
                out.push_str(&format!("^{n}"));
            }
        }
        Node::Powf(a, b) => {
            write_wrapped(dag, *a, names, 3, out);
            out.push('^');
            write_wrapped(dag, *b, names, 3, out);
        }
        Node::Unary(f, a) => call(f.name(), &[*a], out),
        Node::Sign(a) => call("sign", &[*a], out),
        Node::Heaviside(a) => call("heaviside", &[*a], out),
        Node::Min(a, b) => call("min", &[*a, *b], out),
        Node::Max(a, b) => call("max", &[*a, *b], out),
        Node::Le(a, b) => {
            out.push('[');
            write_node(dag, *a, names, out);
            out.push_str(" <= ");
            write_node(dag, *b, names, out);
            out.push(']');
        }
    }
}

/// The formulas of one block (or of the costs): what `Game::formulas`
/// returns as a `BlockFormula`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockFormulas {
    /// `"f1"`, `"f2"` or a block name such as `"D22f2"`.
    pub block: String,
    /// The block's shape (`[]` for a cost).
    pub shape: Vec<usize>,
    /// `"name[i,j] = formula"` for every entry that is not structurally zero.
    pub entries: Vec<String>,
}

/// The formulas of the costs and of every derivative block of `lowered`.
pub fn block_formulas(model: &GameModel, lowered: &Lowered) -> Vec<BlockFormulas> {
    let d = &lowered.derivatives;
    let names = Names::of(model);
    let mut out = vec![BlockFormulas {
        block: "f1".to_string(),
        shape: vec![],
        entries: vec![format!("f1 = {}", formula(&d.dag, d.f1, &names))],
    }];
    let f2: Vec<String> =
        d.f2.iter()
            .enumerate()
            .map(|(i, f)| {
                let label = if d.f2.len() == 1 {
                    "f2".to_string()
                } else {
                    format!("f2[{}]", model.followers[i].name)
                };
                format!("{label} = {}", formula(&d.dag, *f, &names))
            })
            .collect();
    let f2_shape = if d.f2.len() == 1 {
        vec![]
    } else {
        vec![d.f2.len()]
    };
    out.push(BlockFormulas {
        block: "f2".to_string(),
        shape: f2_shape,
        entries: f2,
    });
    for b in &d.blocks {
        let cols = if b.shape.len() == 2 { b.shape[1] } else { 1 };
        let entries = b
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !d.dag.is_zero(**e))
            .map(|(i, e)| {
                let label = if b.shape.len() == 2 {
                    format!("{}[{},{}]", b.name, i / cols, i % cols)
                } else {
                    format!("{}[{i}]", b.name)
                };
                format!("{label} = {}", formula(&d.dag, *e, &names))
            })
            .collect();
        out.push(BlockFormulas {
            block: b.name.to_string(),
            shape: b.shape.clone(),
            entries,
        });
    }
    out
}

/// The index-level formulas of a loop-form game: one entry per player
/// block of every indexed vector and operator
/// ([`crate::indexed::IndexedGame::vectors`]), e.g. `D1f1(v)[a,b] = ...`,
/// each block's shape its flat length.
pub fn indexed_block_formulas(
    model: &GameModel,
    g: &crate::indexed::IndexedGame,
) -> Vec<BlockFormulas> {
    g.vectors()
        .into_iter()
        .map(|(name, parts)| {
            let len: usize = parts.iter().map(|p| p.dims.iter().product::<usize>()).sum();
            let entries = parts
                .iter()
                .map(|p| {
                    let mut pr = crate::indexed::print::Printer::new(model, &p.outs);
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
            BlockFormulas {
                block: name.to_string(),
                shape: vec![len],
                entries,
            }
        })
        .collect()
}
