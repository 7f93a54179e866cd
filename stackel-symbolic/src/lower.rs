//! From the checked model to straight-line code: unrolls the costs into the
//! DAG, differentiates every block the [`Game`](../../stackel_runtime/trait.Game.html)
//! trait needs, enforces the size budget, and lowers any set of output arrays
//! to one CSE'd [`Program`] (each shared node computed once, in topological
//! order, dead temporaries removed).

use crate::dag::{Dag, Id, Node};
use crate::diff::{gradient, Gradient, Overflow};
use crate::error::Errors;
use crate::ir::{GamePrograms, Instr, Op, Operand, OutputArray, Program};
use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index, SumVar};
use std::collections::HashMap;

/// Default maximum number of expression nodes in one emitted block.
pub const DEFAULT_BUDGET: usize = 200_000;

/// One derivative block: `rows x cols` entries, row-major (`cols` is 1 for
/// vectors; `shape` is what the runtime documents: `[]`, `[n]` or `[r, c]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// e.g. `"D1f1"`, `"D22f2"`, `"D12phi"`, `"D1pf1"`.
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub entries: Vec<Id>,
}

/// Every cost and derivative block of a game, as nodes of one DAG.
#[derive(Clone, Debug)]
pub struct GameDerivatives {
    pub dag: Dag,
    pub d1: usize,
    pub d2: usize,
    pub np: usize,
    /// The leader's cost f1.
    pub f1: Id,
    /// Each follower's cost.
    pub f2: Vec<Id>,
    /// Blocks in the order of [`BLOCK_NAMES`].
    pub blocks: Vec<Block>,
    /// f2 = -f1 proven symbolically (one follower).
    pub zero_sum: bool,
}

/// The blocks [`derive`] computes, in order.
pub const BLOCK_NAMES: [&str; 17] = [
    "D1f1", "D2f1", "D2f2", "D11f1", "D12f1", "D22f1", "D22f2", "D21f2", "D11phi", "D12phi",
    "D21phi", "D22phi", "D1pf1", "D2pf1", "D2pf2", "D1pphi", "D2pphi",
];

impl GameDerivatives {
    /// The block named `name` (one of [`BLOCK_NAMES`]).
    pub fn block(&self, name: &str) -> &Block {
        self.blocks
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no block {name}"))
    }
}

/// Unrolls model expressions into a DAG.
struct Unroller<'m> {
    model: &'m GameModel,
    offsets: Vec<usize>,
    param_offsets: Vec<usize>,
    env: HashMap<SumVar, i64>,
    /// Stop unrolling sums once the DAG has this many nodes.
    limit: usize,
    overflow: bool,
}

impl<'m> Unroller<'m> {
    fn new(model: &'m GameModel) -> Self {
        let players = 1 + model.followers.len();
        let offsets = (0..players).map(|p| model.player_offset(p)).collect();
        let mut param_offsets = Vec::new();
        let mut o = 0;
        for p in &model.params {
            param_offsets.push(o);
            o += p.shape.len();
        }
        Unroller {
            model,
            offsets,
            param_offsets,
            env: HashMap::new(),
            limit: usize::MAX,
            overflow: false,
        }
    }

    fn index_value(&self, i: &Index) -> i64 {
        i.offset + i.var.map_or(0, |v| self.env[&v])
    }

    fn indices(&self, index: &[Index]) -> Vec<usize> {
        index.iter().map(|i| self.index_value(i) as usize).collect()
    }

    fn expr(&mut self, dag: &mut Dag, e: &Expr) -> Id {
        match e {
            Expr::Num(v) => dag.constant(*v),
            Expr::Var { player, index } => {
                let shape = self.model.player(*player).shape;
                let k = self.offsets[*player] + shape.flat(&self.indices(index));
                dag.state(k)
            }
            Expr::Param { param, index } => {
                let shape = self.model.params[*param].shape;
                let k = self.param_offsets[*param] + shape.flat(&self.indices(index));
                dag.param(k)
            }
            Expr::SumIndex(i) => dag.constant(self.index_value(i) as f64),
            Expr::Neg(a) => {
                let a = self.expr(dag, a);
                dag.neg(a)
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(dag, a);
                let b = self.expr(dag, b);
                match op {
                    BinOp::Add => dag.add(a, b),
                    BinOp::Sub => dag.sub(a, b),
                    BinOp::Mul => dag.mul(a, b),
                    BinOp::Div => dag.div(a, b),
                    BinOp::Pow => dag.pow(a, b),
                }
            }
            Expr::Unary(f, a) => {
                let a = self.expr(dag, a);
                dag.unary(*f, a)
            }
            Expr::Call2(f, a, b) => {
                let a = self.expr(dag, a);
                let b = self.expr(dag, b);
                match f {
                    BinaryFn::Min => dag.min(a, b),
                    BinaryFn::Max => dag.max(a, b),
                }
            }
            Expr::Sum { var, lo, hi, body } => {
                let mut terms = Vec::with_capacity((hi - lo).max(0) as usize);
                for k in *lo..*hi {
                    if dag.len() > self.limit {
                        self.overflow = true;
                        break;
                    }
                    self.env.insert(*var, k);
                    terms.push(self.expr(dag, body));
                }
                self.env.remove(var);
                dag.sum(terms)
            }
        }
    }
}

/// Unrolls an expression of `model` (sums expanded) into `dag`.
pub fn unroll(model: &GameModel, dag: &mut Dag, e: &Expr) -> Id {
    Unroller::new(model).expr(dag, e)
}

/// `1234567` -> `"1_234_567"`.
fn grouped(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// The size budget of `model`.
pub fn budget(model: &GameModel) -> usize {
    model.budget.unwrap_or(DEFAULT_BUDGET)
}

/// Builds every cost and derivative block of `model`, checking the size
/// budget and that the follower Hessian is not structurally singular.
pub fn derive(model: &GameModel) -> Result<GameDerivatives, Errors> {
    let (d1, d2, np) = (model.leader_dim(), model.follower_dim(), model.param_len());
    let n = d1 + d2;
    let budget = budget(model);
    // The DAG holds all blocks plus intermediate adjoints: allow it a
    // multiple of the per-block budget before stopping.
    let limit = budget.saturating_mul(8).saturating_add(100_000);
    let mut dag = Dag::new();
    let mut unroller = Unroller::new(model);
    unroller.limit = limit;
    let f1 = unroller.expr(&mut dag, &model.leader.cost);
    let f2: Vec<Id> = model
        .followers
        .iter()
        .map(|f| unroller.expr(&mut dag, &f.cost))
        .collect();
    if unroller.overflow {
        return Err(Errors::at(
            model.name_span,
            format!(
                "the costs of game {} need more than {} expression nodes once their sums are \
                 unrolled, over the budget of {} per block; reduce the dimension or raise it \
                 with `budget = N;`",
                model.name,
                grouped(dag.len()),
                grouped(budget)
            ),
        ));
    }
    let overflow = |what: &str, o: Overflow| {
        Errors::at(
            model.name_span,
            format!(
                "the derivatives of game {} need more than {} expression nodes (stopped while \
                 building {what}), over the budget of {} per block; reduce the dimension or \
                 raise it with `budget = N;`",
                model.name,
                grouped(o.nodes),
                grouped(budget)
            ),
        )
    };
    let grad = |dag: &mut Dag, f: Id, what: &str| -> Result<Gradient, Errors> {
        gradient(dag, f, n, np, limit).map_err(|o| overflow(what, o))
    };
    let g1 = grad(&mut dag, f1, "D1f1")?;
    let mut omega_f = Vec::with_capacity(d2);
    let mut own_gradients_zero = Vec::new();
    for (i, f) in f2.iter().enumerate() {
        let g = grad(&mut dag, *f, "D2f2")?;
        let off = model.player_offset(i + 1);
        let own = &g.state[off..off + model.followers[i].shape.len()];
        own_gradients_zero.push(own.iter().all(|e| dag.is_zero(*e)));
        omega_f.extend_from_slice(own);
    }
    let d1f1 = g1.state[..d1].to_vec();
    let d2f1 = g1.state[d1..].to_vec();

    // Second order: one sweep per gradient entry gives a row w.r.t. all
    // states and params.
    let rows = |dag: &mut Dag, entries: &[Id], what: &str| -> Result<Vec<Gradient>, Errors> {
        entries.iter().map(|e| grad(dag, *e, what)).collect()
    };
    let h1 = rows(&mut dag, &d1f1, "D11f1")?;
    let h21 = rows(&mut dag, &d2f1, "D22f1")?;
    let hf = rows(&mut dag, &omega_f, "D22f2")?;
    let lambda_terms: Vec<Id> = omega_f
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let l = dag.lambda(k);
            dag.mul(l, *w)
        })
        .collect();
    let phi = dag.sum(lambda_terms);
    let gphi = grad(&mut dag, phi, "D1phi")?;
    let hphi1 = rows(&mut dag, &gphi.state[..d1], "D11phi")?;
    let hphi2 = rows(&mut dag, &gphi.state[d1..], "D22phi")?;

    let cat = |rows: &[Gradient], pick: &dyn Fn(&Gradient) -> Vec<Id>| -> Vec<Id> {
        rows.iter().flat_map(pick).collect()
    };
    let x1 = |g: &Gradient| g.state[..d1].to_vec();
    let x2 = |g: &Gradient| g.state[d1..].to_vec();
    let p = |g: &Gradient| g.param.clone();
    let block = |name, shape: Vec<usize>, entries| Block {
        name,
        shape,
        entries,
    };
    let blocks = vec![
        block("D1f1", vec![d1], d1f1.clone()),
        block("D2f1", vec![d2], d2f1.clone()),
        block("D2f2", vec![d2], omega_f.clone()),
        block("D11f1", vec![d1, d1], cat(&h1, &x1)),
        block("D12f1", vec![d1, d2], cat(&h1, &x2)),
        block("D22f1", vec![d2, d2], cat(&h21, &x2)),
        block("D22f2", vec![d2, d2], cat(&hf, &x2)),
        block("D21f2", vec![d2, d1], cat(&hf, &x1)),
        block("D11phi", vec![d1, d1], cat(&hphi1, &x1)),
        block("D12phi", vec![d1, d2], cat(&hphi1, &x2)),
        block("D21phi", vec![d2, d1], cat(&hphi2, &x1)),
        block("D22phi", vec![d2, d2], cat(&hphi2, &x2)),
        block("D1pf1", vec![d1, np], cat(&h1, &p)),
        block("D2pf1", vec![d2, np], cat(&h21, &p)),
        block("D2pf2", vec![d2, np], cat(&hf, &p)),
        block("D1pphi", vec![d1, np], cat(&hphi1, &p)),
        block("D2pphi", vec![d2, np], cat(&hphi2, &p)),
    ];

    let mut errors = Errors::new();
    for b in &blocks {
        let size = dag.op_count(&b.entries);
        if size > budget {
            errors.push(
                model.name_span,
                format!(
                    "the block {} of game {} needs {} expression nodes, over the budget of {}; \
                     reduce the dimension or raise it with `budget = N;`",
                    b.name,
                    model.name,
                    grouped(size),
                    grouped(budget)
                ),
            );
        }
    }
    // A structurally zero row of H = D22f2 makes it singular.
    let h = &blocks[6].entries;
    let mut row = 0;
    for (i, follower) in model.followers.iter().enumerate() {
        let di = follower.shape.len();
        let name = &follower.name;
        if own_gradients_zero[i] {
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` does not depend on `{name}`, so D22f2 (the \
                     follower Hessian) is singular and its best response is undefined; a \
                     follower's cost must depend on its own variable"
                ),
            );
        } else if let Some(r) =
            (row..row + di).find(|r| h[r * d2..(r + 1) * d2].iter().all(|e| dag.is_zero(*e)))
        {
            let coord = match follower.shape.dims().as_slice() {
                [] => name.clone(),
                [_] => format!("{name}[{}]", r - row),
                [_, m] => format!("{name}[{},{}]", (r - row) / m, (r - row) % m),
                _ => name.clone(),
            };
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` is at most linear in `{coord}` (its row of \
                     D22f2 is structurally zero), so D22f2 (the follower Hessian) is singular \
                     and the implicit map is undefined; the follower's cost must be curved in \
                     each of its own entries (e.g. add a regulariser like `0.5*{coord}^2`)"
                ),
            );
        }
        row += di;
    }
    errors.into_result()?;

    let zero_sum = f2.len() == 1 && {
        let s = dag.add(f1, f2[0]);
        dag.is_zero(s)
    };
    Ok(GameDerivatives {
        dag,
        d1,
        d2,
        np,
        f1,
        f2,
        blocks,
        zero_sum,
    })
}

/// An output array to lower: name, shape, entries.
pub struct Output<'a> {
    pub name: &'a str,
    pub shape: Vec<usize>,
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
    Program {
        uses_lambda,
        instrs,
        outputs,
    }
}

/// Runs a program in `f64` (an interpreter for tests): the values of its
/// output arrays.
pub fn run(program: &Program, x: &[f64], p: &[f64], lambda: &[f64]) -> Vec<Vec<f64>> {
    let mut t = vec![0.0; program.temp_count()];
    let get = |t: &[f64], o: Operand| match o {
        Operand::Tmp(k) => t[k as usize],
        Operand::Const(c) => c,
        Operand::State(k) => x[k as usize],
        Operand::Param(k) => p[k as usize],
        Operand::Lambda(k) => lambda[k as usize],
    };
    for ins in &program.instrs {
        let g = |o| get(&t, o);
        let v = match ins.op {
            Op::Add(a, b) => g(a) + g(b),
            Op::Sub(a, b) => g(a) - g(b),
            Op::Mul(a, b) => g(a) * g(b),
            Op::Div(a, b) => g(a) / g(b),
            Op::Neg(a) => -g(a),
            Op::Powi(a, n) => g(a).powi(n),
            Op::Powf(a, b) => g(a).powf(g(b)),
            Op::Unary(f, a) => crate::dag::apply_unary(f, g(a)),
            Op::Sign(a) => crate::dag::sign(g(a)),
            Op::Heaviside(a) => crate::dag::heaviside(g(a)),
            Op::Min(a, b) => {
                if g(a) <= g(b) {
                    g(a)
                } else {
                    g(b)
                }
            }
            Op::Max(a, b) => {
                if g(a) >= g(b) {
                    g(a)
                } else {
                    g(b)
                }
            }
            Op::Le(a, b) => f64::from(u8::from(g(a) <= g(b))),
        };
        t[ins.dst as usize] = v;
    }
    program
        .outputs
        .iter()
        .map(|o| o.entries.iter().map(|e| get(&t, *e)).collect())
        .collect()
}

impl GameDerivatives {
    /// One program computing the named blocks (fused: shared nodes once),
    /// each output named by its block in lower case.
    pub fn program(&self, names: &[&str]) -> Program {
        let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        let outputs: Vec<Output<'_>> = names
            .iter()
            .zip(&lowered)
            .map(|(n, low)| {
                let b = self.block(n);
                Output {
                    name: low,
                    shape: b.shape.clone(),
                    entries: &b.entries,
                }
            })
            .collect();
        lower(&self.dag, &outputs)
    }

    /// omega = (D1 f1, D2 f2) as one output "omega".
    pub fn omega_program(&self) -> Program {
        let entries: Vec<Id> = self
            .block("D1f1")
            .entries
            .iter()
            .chain(&self.block("D2f2").entries)
            .copied()
            .collect();
        lower(
            &self.dag,
            &[Output {
                name: "omega",
                shape: vec![self.d1 + self.d2],
                entries: &entries,
            }],
        )
    }

    /// The fused Stackelberg inputs: d1f1, d2f1, d2f2, d22f2, d21f2.
    pub fn stackelberg_parts_program(&self) -> Program {
        self.program(&["D1f1", "D2f1", "D2f2", "D22f2", "D21f2"])
    }

    /// The cost `f` (f1 or one follower's) as one scalar output "cost".
    pub fn cost_program(&self, f: Id) -> Program {
        lower(
            &self.dag,
            &[Output {
                name: "cost",
                shape: vec![],
                entries: &[f],
            }],
        )
    }
}

/// The programs the emitters share (see [`GamePrograms`]).
pub fn game_programs(model: &GameModel) -> Result<GamePrograms, Errors> {
    let d = derive(model)?;
    Ok(programs_of(model, &d))
}

/// [`GamePrograms`] from already derived blocks.
pub fn programs_of(model: &GameModel, d: &GameDerivatives) -> GamePrograms {
    let mut angle_mask = Vec::new();
    for p in 0..=model.followers.len() {
        let pl = model.player(p);
        angle_mask.extend(std::iter::repeat_n(pl.angle, pl.shape.len()));
    }
    GamePrograms {
        d1: d.d1,
        d2: d.d2,
        np: d.np,
        angle_mask,
        omega: d.omega_program(),
        stackelberg_parts: d.stackelberg_parts_program(),
    }
}
