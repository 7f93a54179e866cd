//! Programs: the output of simplification + CSE ([`lower`](crate::lower)),
//! and the input of the code emitters (Rust, WGSL).
//!
//! A [`Program`] reads the flat state `x`, the flat params `p` and (for phi
//! blocks) the multiplier `lambda`; it runs the statements of its `body` in
//! order, then writes `outputs[k][e]` into entry `e` (row-major) of output
//! array `k`. An entry that is structurally zero is `Operand::Const(0.0)` and
//! costs nothing.
//!
//! Today every statement is an assignment of one fresh temporary
//! ([`Stmt::Assign`]): sums and indices are unrolled into scalar code. Loop
//! statements over indices (for games too large to unroll) are meant to be
//! further [`Stmt`] variants; the emitters match on [`Stmt`] exhaustively, so
//! a new variant is a compile error in each until it is handled.

use crate::model::UnaryFn;

/// A value an instruction reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    /// Temporary number `t` (assigned by an earlier instruction).
    Tmp(u32),
    /// A numeric constant (already folded).
    Const(f64),
    /// Flat state entry `x[i]`.
    State(u32),
    /// Flat param entry `p[i]`.
    Param(u32),
    /// Multiplier entry `lambda[i]` (phi blocks only).
    Lambda(u32),
}

/// One operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// a + b
    Add(Operand, Operand),
    /// a - b
    Sub(Operand, Operand),
    /// a * b
    Mul(Operand, Operand),
    /// a / b
    Div(Operand, Operand),
    /// -a
    Neg(Operand),
    /// a ^ n for an integer n (n may be negative).
    Powi(Operand, i32),
    /// a ^ b for a real exponent.
    Powf(Operand, Operand),
    /// f(a)
    Unary(UnaryFn, Operand),
    /// -1, 0 or 1 (a.e. derivative of abs).
    Sign(Operand),
    /// 1 if a > 0 else 0 (a.e. derivative of relu).
    Heaviside(Operand),
    /// a if a <= b else b.
    Min(Operand, Operand),
    /// a if a >= b else b.
    Max(Operand, Operand),
    /// 1 if a <= b else 0 (a.e. derivative of min w.r.t. its first argument).
    Le(Operand, Operand),
}

impl Op {
    /// The operands, in order (one or two).
    pub fn operands(&self) -> Vec<Operand> {
        match *self {
            Op::Add(a, b)
            | Op::Sub(a, b)
            | Op::Mul(a, b)
            | Op::Div(a, b)
            | Op::Powf(a, b)
            | Op::Min(a, b)
            | Op::Max(a, b)
            | Op::Le(a, b) => vec![a, b],
            Op::Neg(a) | Op::Powi(a, _) | Op::Unary(_, a) | Op::Sign(a) | Op::Heaviside(a) => {
                vec![a]
            }
        }
    }

    /// The same operation with every operand passed through `f`.
    pub fn map_operands(&self, f: impl Fn(Operand) -> Operand) -> Op {
        match *self {
            Op::Add(a, b) => Op::Add(f(a), f(b)),
            Op::Sub(a, b) => Op::Sub(f(a), f(b)),
            Op::Mul(a, b) => Op::Mul(f(a), f(b)),
            Op::Div(a, b) => Op::Div(f(a), f(b)),
            Op::Neg(a) => Op::Neg(f(a)),
            Op::Powi(a, n) => Op::Powi(f(a), n),
            Op::Powf(a, b) => Op::Powf(f(a), f(b)),
            Op::Unary(u, a) => Op::Unary(u, f(a)),
            Op::Sign(a) => Op::Sign(f(a)),
            Op::Heaviside(a) => Op::Heaviside(f(a)),
            Op::Min(a, b) => Op::Min(f(a), f(b)),
            Op::Max(a, b) => Op::Max(f(a), f(b)),
            Op::Le(a, b) => Op::Le(f(a), f(b)),
        }
    }
}

/// `t{dst} = op`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instr {
    /// The temporary written.
    pub dst: u32,
    /// What is computed.
    pub op: Op,
}

/// One statement of a program.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stmt {
    /// `t{dst} = op`: straight-line code, one fresh temporary.
    Assign(Instr),
}

impl Stmt {
    /// The operands the statement reads, in order.
    pub fn operands(&self) -> Vec<Operand> {
        match self {
            Stmt::Assign(i) => i.op.operands(),
        }
    }
}

/// A named output array of a program.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputArray {
    /// e.g. "d1f1", "d22f2", "out".
    pub name: String,
    /// `[]` scalar, `[n]` vector, `[r, c]` matrix (row-major).
    pub shape: Vec<usize>,
    /// One operand per entry, row-major.
    pub entries: Vec<Operand>,
}

/// Code computing one or more output arrays with shared subexpressions
/// computed once.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Whether the program reads `lambda` (phi blocks).
    pub uses_lambda: bool,
    /// The statements, in order.
    pub body: Vec<Stmt>,
    /// The arrays the program writes.
    pub outputs: Vec<OutputArray>,
}

impl Program {
    /// A straight-line program: one [`Stmt::Assign`] per instruction.
    pub fn straight_line(uses_lambda: bool, instrs: Vec<Instr>, outputs: Vec<OutputArray>) -> Self {
        Program {
            uses_lambda,
            body: instrs.into_iter().map(Stmt::Assign).collect(),
            outputs,
        }
    }

    /// Number of temporaries (max dst + 1).
    pub fn temp_count(&self) -> usize {
        self.body
            .iter()
            .map(|s| match s {
                Stmt::Assign(i) => i.dst as usize + 1,
            })
            .max()
            .unwrap_or(0)
    }

    /// Size of the program: statements plus output entries (what the Rust
    /// emitter's inline policy weighs).
    pub fn size(&self) -> usize {
        let entries: usize = self.outputs.iter().map(|o| o.entries.len()).sum();
        self.body.len() + entries
    }
}

/// The programs of the Stackelberg field, which both targets run: the whole
/// input of the WGSL emitter, and the part of [`lower::Lowered`](crate::lower::Lowered)
/// the Rust emitter shares with it.
#[derive(Clone, Debug, PartialEq)]
pub struct GamePrograms {
    /// Leader dimension d1, stacked follower dimension d2, flat param count.
    pub d1: usize,
    /// Stacked follower dimension d2.
    pub d2: usize,
    /// Number of flat params.
    pub np: usize,
    /// Per flat-state entry: is it an angle (wrapped to [-pi, pi))?
    pub angle_mask: Vec<bool>,
    /// omega = (D1 f1, D2 f2): one output "omega" of len d1 + d2.
    pub omega: Program,
    /// Outputs "d1f1" (d1), "d2f1" (d2), "d2f2" (d2), "d22f2" (d2 x d2),
    /// "d21f2" (d2 x d1), in that order, fused.
    pub stackelberg_parts: Program,
}
