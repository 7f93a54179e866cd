//! DAG nodes to one CSE'd [`Program`]: each shared node computed once, in
//! topological order; n-ary sums and products expanded into binary
//! operations with value numbering (so the partial products they share are
//! computed once too); negative coefficients turned into subtractions; dead
//! temporaries removed and the rest numbered densely.

use crate::dag::{Dag, Id, Node};
use crate::ir::{Instr, Op, Operand, OutputArray, Program};
use std::collections::HashMap;

/// An output array to lower: name, shape, entries.
pub struct Output<'a> {
    /// The output's name in the program (e.g. `"d22f2"`).
    pub name: &'a str,
    /// `[]`, `[n]` or `[r, c]` (row-major).
    pub shape: Vec<usize>,
    /// The DAG node of each entry.
    pub entries: &'a [Id],
}

/// Builds straight-line code for the DAG nodes of a program.
struct Lowering<'d> {
    dag: &'d Dag,
    instrs: Vec<Instr>,
    value: HashMap<Id, Operand>,
    /// For a product with a negative coefficient, its magnitude (so sums
    /// can subtract it instead of adding a negation).
    magnitude: HashMap<Id, Operand>,
    /// Value numbering of emitted operations.
    numbered: HashMap<String, Operand>,
}

impl Lowering<'_> {
    /// Appends `op`, or reuses an earlier instruction computing the same
    /// (up to the order of commutative operands): the products and sums
    /// that n-ary nodes expand into are shared this way.
    fn emit(&mut self, op: Op) -> Operand {
        let key = match op {
            Op::Add(a, b) | Op::Mul(a, b) => {
                let (a, b) = (format!("{a:?}"), format!("{b:?}"));
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let tag = if matches!(op, Op::Add(..)) {
                    "Add"
                } else {
                    "Mul"
                };
                format!("{tag}({lo}, {hi})")
            }
            _ => format!("{op:?}"),
        };
        if let Some(o) = self.numbered.get(&key) {
            return *o;
        }
        let dst = self.instrs.len() as u32;
        self.instrs.push(Instr { dst, op });
        self.numbered.insert(key, Operand::Tmp(dst));
        Operand::Tmp(dst)
    }

    /// Product of operands, left to right (`None` for an empty product).
    fn chain(&mut self, xs: &[Operand]) -> Option<Operand> {
        let mut it = xs.iter().copied();
        let first = it.next()?;
        Some(it.fold(first, |acc, x| self.emit(Op::Mul(acc, x))))
    }

    fn node(&mut self, id: Id) {
        let v = |s: &Self, c: &Id| s.value[c];
        let out = match self.dag.node(id) {
            Node::Const(b) => Operand::Const(f64::from_bits(*b)),
            Node::State(k) => Operand::State(*k),
            Node::Param(k) => Operand::Param(*k),
            Node::Lambda(k) => Operand::Lambda(*k),
            Node::Add(xs) => {
                let mut constant = 0.0;
                let mut plus = Vec::new();
                let mut minus = Vec::new();
                for x in xs.iter() {
                    if let Some(c) = self.dag.as_const(*x) {
                        constant += c;
                    } else if let Some(m) = self.magnitude.get(x) {
                        minus.push(*m);
                    } else {
                        plus.push(v(self, x));
                    }
                }
                let mut acc = match plus.first() {
                    Some(first) => *first,
                    None => {
                        let m = minus.remove(0);
                        self.emit(Op::Neg(m))
                    }
                };
                for x in plus.into_iter().skip(1) {
                    acc = self.emit(Op::Add(acc, x));
                }
                for m in minus {
                    acc = self.emit(Op::Sub(acc, m));
                }
                if constant > 0.0 {
                    acc = self.emit(Op::Add(acc, Operand::Const(constant)));
                } else if constant < 0.0 {
                    acc = self.emit(Op::Sub(acc, Operand::Const(-constant)));
                }
                acc
            }
            Node::Mul(xs) => {
                let mut k = 1.0;
                let mut num = Vec::new();
                let mut den = Vec::new();
                for x in xs.iter() {
                    match self.dag.node(*x) {
                        Node::Const(b) => k = f64::from_bits(*b),
                        Node::Powi(base, e) if *e < 0 => {
                            let b = v(self, base);
                            den.push(if *e == -1 {
                                b
                            } else {
                                self.emit(Op::Powi(b, -e))
                            });
                        }
                        _ => num.push(v(self, x)),
                    }
                }
                let magnitude = k.abs();
                let mut factors = Vec::new();
                if magnitude != 1.0 {
                    factors.push(Operand::Const(magnitude));
                }
                factors.extend(num);
                let mut value = self.chain(&factors);
                if let Some(d) = self.chain(&den) {
                    let numerator = value.unwrap_or(Operand::Const(1.0));
                    value = Some(self.emit(Op::Div(numerator, d)));
                }
                let value = value.unwrap_or(Operand::Const(magnitude));
                if k < 0.0 {
                    self.magnitude.insert(id, value);
                    self.emit(Op::Neg(value))
                } else {
                    value
                }
            }
            Node::Powi(a, e) => {
                let a = v(self, a);
                if *e < 0 {
                    let p = if *e == -1 {
                        a
                    } else {
                        self.emit(Op::Powi(a, -e))
                    };
                    self.emit(Op::Div(Operand::Const(1.0), p))
                } else {
                    self.emit(Op::Powi(a, *e))
                }
            }
            Node::Powf(a, b) => {
                let (a, b) = (v(self, a), v(self, b));
                self.emit(Op::Powf(a, b))
            }
            Node::Unary(f, a) => {
                let a = v(self, a);
                self.emit(Op::Unary(*f, a))
            }
            Node::Sign(a) => {
                let a = v(self, a);
                self.emit(Op::Sign(a))
            }
            Node::Heaviside(a) => {
                let a = v(self, a);
                self.emit(Op::Heaviside(a))
            }
            Node::Min(a, b) => {
                let (a, b) = (v(self, a), v(self, b));
                self.emit(Op::Min(a, b))
            }
            Node::Max(a, b) => {
                let (a, b) = (v(self, a), v(self, b));
                self.emit(Op::Max(a, b))
            }
            Node::Le(a, b) => {
                let (a, b) = (v(self, a), v(self, b));
                self.emit(Op::Le(a, b))
            }
        };
        self.value.insert(id, out);
    }
}

fn renumber(o: Operand, map: &[u32]) -> Operand {
    match o {
        Operand::Tmp(t) => Operand::Tmp(map[t as usize]),
        other => other,
    }
}

/// Lowers output arrays of `dag` to one program: every reachable node once,
/// in topological order; temporaries no output needs are dropped and the
/// rest numbered densely.
pub fn lower(dag: &Dag, outputs: &[Output<'_>]) -> Program {
    let roots: Vec<Id> = outputs
        .iter()
        .flat_map(|o| o.entries.iter().copied())
        .collect();
    let mut l = Lowering {
        dag,
        instrs: Vec::new(),
        value: HashMap::new(),
        magnitude: HashMap::new(),
        numbered: HashMap::new(),
    };
    let nodes = dag.reachable(&roots);
    let uses_lambda = nodes
        .iter()
        .any(|id| matches!(dag.node(*id), Node::Lambda(_)));
    for id in nodes {
        l.node(id);
    }
    let outs: Vec<OutputArray> = outputs
        .iter()
        .map(|o| OutputArray {
            name: o.name.to_string(),
            shape: o.shape.clone(),
            entries: o.entries.iter().map(|e| l.value[e]).collect(),
        })
        .collect();
    // Dead-code elimination, then dense renumbering.
    let mut live = vec![false; l.instrs.len()];
    for o in &outs {
        for e in &o.entries {
            if let Operand::Tmp(t) = e {
                live[*t as usize] = true;
            }
        }
    }
    for i in (0..l.instrs.len()).rev() {
        if live[i] {
            for o in l.instrs[i].op.operands() {
                if let Operand::Tmp(t) = o {
                    live[t as usize] = true;
                }
            }
        }
    }
    let mut map = vec![u32::MAX; l.instrs.len()];
    let mut instrs = Vec::new();
    for (i, ins) in l.instrs.iter().enumerate() {
        if live[i] {
            let dst = instrs.len() as u32;
            map[i] = dst;
            instrs.push(Instr {
                dst,
                op: ins.op.map_operands(|o| renumber(o, &map)),
            });
        }
    }
    let outputs = outs
        .into_iter()
        .map(|o| OutputArray {
            entries: o.entries.into_iter().map(|e| renumber(e, &map)).collect(),
            ..o
        })
        .collect();
    Program::straight_line(uses_lambda, instrs, outputs)
}
