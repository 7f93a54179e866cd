//! Readable text of indexed expressions, for `Game::formulas` of loop-form
//! games: `D1f1[a,b] = -(sum(j in 0..3) w[a,j]*v[j,b] + ...)`. Output
//! indices are `a, b, c, ..`; bound indices `i, j, k, ..` in order of
//! appearance; direction entries read `d<name>`, multipliers
//! `lambda_<name>`, param directions `dp_<name>`.

use super::expr::{Aff, Ix, Leaf, Node, E};
use crate::model::GameModel;
use std::collections::HashMap;

/// Names of index variables and leaves while printing one formula.
pub struct Printer<'m> {
    model: &'m GameModel,
    names: HashMap<Ix, String>,
    next_bound: usize,
}

const BOUND: [&str; 8] = ["i", "j", "k", "l", "m", "n", "r", "s"];

impl<'m> Printer<'m> {
    /// A printer whose output indices `outs` are named `a, b, ..`.
    pub fn new(model: &'m GameModel, outs: &[Ix]) -> Self {
        let names = outs
            .iter()
            .enumerate()
            .map(|(k, o)| (*o, ((b'a' + k as u8) as char).to_string()))
            .collect();
        Printer {
            model,
            names,
            next_bound: 0,
        }
    }

    fn bind(&mut self, v: Ix) -> String {
        let k = self.next_bound;
        self.next_bound += 1;
        let name = BOUND
            .get(k)
            .map_or_else(|| format!("i{k}"), |s| s.to_string());
        self.names.insert(v, name.clone());
        name
    }

    fn aff(&self, a: &Aff) -> String {
        let v = a.var.map(|v| {
            self.names
                .get(&v)
                .cloned()
                .unwrap_or_else(|| format!("i{}", v.0))
        });
        match (v, a.offset) {
            (None, c) => c.to_string(),
            (Some(v), 0) => v,
            (Some(v), c) if c > 0 => format!("{v} + {c}"),
            (Some(v), c) => format!("{v} - {}", -c),
        }
    }

    fn leaf(&self, leaf: Leaf) -> String {
        let player = |p: usize| self.model.player(p).name.clone();
        let param = |q: usize| self.model.params[q].name.clone();
        match leaf {
            Leaf::State(p) => player(p),
            Leaf::Dir(p) => format!("d{}", player(p)),
            Leaf::Lambda(p) => format!("lambda_{}", player(p)),
            Leaf::Param(q) => param(q),
            Leaf::ParamDir(q) => format!("dp_{}", param(q)),
        }
    }

    /// Binding strength: 0 sum, 1 product, 2 power, 3 atom.
    fn precedence(e: &E) -> u8 {
        match &e.node {
            Node::Num(v) if *v < 0.0 => 1,
            Node::Add(_) => 0,
            Node::Mul(_) | Node::Div(..) => 1,
            Node::Pow(..) => 2,
            _ => 3,
        }
    }

    fn wrapped(&mut self, e: &E, min: u8) -> String {
        let s = self.text(e);
        if Self::precedence(e) < min {
            format!("({s})")
        } else {
            s
        }
    }

    /// The text of `e`.
    pub fn text(&mut self, e: &E) -> String {
        match &e.node {
            Node::Num(v) => format!("{v}"),
            Node::Entry { leaf, index } => {
                let name = self.leaf(*leaf);
                if index.is_empty() {
                    name
                } else {
                    let idx: Vec<String> = index.iter().map(|a| self.aff(a)).collect();
                    format!("{name}[{}]", idx.join(","))
                }
            }
            Node::Index(a) => format!("({})", self.aff(a)),
            Node::Add(xs) => {
                let mut s = String::new();
                for (k, x) in xs.iter().enumerate() {
                    let t = self.wrapped(x, 1);
                    match t.strip_prefix('-') {
                        Some(rest) if k > 0 => {
                            s.push_str(" - ");
                            s.push_str(rest);
                        }
                        _ if k > 0 => {
                            s.push_str(" + ");
                            s.push_str(&t);
                        }
                        _ => s.push_str(&t),
                    }
                }
                s
            }
            Node::Mul(xs) => {
                let mut parts = Vec::new();
                let mut sign = "";
                for (k, x) in xs.iter().enumerate() {
                    match x.as_num() {
                        Some(-1.0) if k == 0 => sign = "-",
                        _ => parts.push(self.wrapped(x, 2)),
                    }
                }
                format!("{sign}{}", parts.join("*"))
            }
            Node::Div(a, b) => format!("{}/{}", self.wrapped(a, 1), self.wrapped(b, 2)),
            Node::Pow(a, b) => format!("{}^{}", self.wrapped(a, 3), self.wrapped(b, 3)),
            Node::Unary(f, a) => format!("{}({})", f.name(), self.text(a)),
            Node::Sign(a) => format!("sign({})", self.text(a)),
            Node::Heaviside(a) => format!("heaviside({})", self.text(a)),
            Node::Le(a, b) => format!("[{} <= {}]", self.text(a), self.text(b)),
            Node::Min(a, b) => format!("min({}, {})", self.text(a), self.text(b)),
            Node::Max(a, b) => format!("max({}, {})", self.text(a), self.text(b)),
            Node::Sum { var, lo, hi, body } => {
                let v = self.bind(*var);
                format!("sum({v} in {lo}..{hi}) {}", self.wrapped(body, 1))
            }
            Node::Range { aff, lo, hi } => format!("[{lo} <= {} < {hi}]", self.aff(aff)),
            Node::Delta(a, b) => format!("delta({}, {})", self.aff(a), self.aff(b)),
        }
    }
}
