//! The parsed (unchecked) game: statements and expressions as written, with
//! the spans of their tokens. Names are not resolved and shapes not checked
//! here; [`crate::check`] turns this into a [`crate::model::GameModel`].

use proc_macro2::{Ident, Span, TokenStream};

/// A whole `stackel_game! { ... }` invocation.
#[derive(Clone, Debug)]
pub struct GameAst {
    /// Outer attributes and doc comments, as tokens.
    pub attrs: TokenStream,
    /// Visibility tokens (`pub`, `pub(crate)`, or empty).
    pub vis: TokenStream,
    /// The game's (struct's) name.
    pub name: Ident,
    /// The statements of the body, in source order.
    pub items: Vec<Item>,
    /// Statements skipped after a syntax error (already reported); empty
    /// in an AST that [`crate::parse::parse_game`] returns.
    pub skipped: Vec<Skipped>,
}

/// A statement skipped after a syntax error. The checker of a partial AST
/// does not report what the skipped statement may have provided: uses of
/// the names it declared, a missing player, a missing cost.
#[derive(Clone, Debug)]
pub struct Skipped {
    /// Names after a declaration keyword (`leader x`, `let f`, ...) or after
    /// an unknown statement keyword (a misspelt `folower y`).
    pub names: Vec<Ident>,
}

/// Role of a player declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
}

impl Role {
    /// The DSL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
        }
    }
}

/// One statement of the game body.
#[derive(Clone, Debug)]
pub enum Item {
    /// `const NAME = int-expr;`
    Const { name: Ident, value: Expr },
    /// `param NAME (: [dims])? (= default)?;`
    Param {
        name: Ident,
        dims: Option<Dims>,
        default: Option<ParamDefault>,
    },
    /// `leader NAME (: angle? [dims]?)?;` or `follower ...`.
    Player {
        role: Role,
        /// Span of the `leader` / `follower` keyword.
        keyword: Span,
        name: Ident,
        /// `Some(span of the keyword)` when declared `angle`.
        angle: Option<Span>,
        dims: Option<Dims>,
    },
    /// `let NAME = expr;`
    Let { name: Ident, value: Expr },
    /// `cost NAME = expr;` (`keyword` is the span of `cost`).
    Cost {
        keyword: Span,
        name: Ident,
        value: Expr,
    },
    /// `budget = int-expr;`
    Budget { keyword: Span, value: Expr },
}

/// A bracketed dimension list `[n]` or `[n, m]` (any count is parsed; the
/// checker allows one or two).
#[derive(Clone, Debug)]
pub struct Dims {
    /// Span of the brackets.
    pub span: Span,
    pub dims: Vec<Expr>,
}

/// A param default: a scalar constant expression or a (nested) array literal.
#[derive(Clone, Debug)]
pub enum ParamDefault {
    Scalar(Expr),
    Array(ArrayLit),
}

/// `[e, e, ...]` or `[[..], [..]]`.
#[derive(Clone, Debug)]
pub struct ArrayLit {
    /// Span of the brackets.
    pub span: Span,
    pub elems: Vec<ArrayElem>,
}

/// One element of an array literal.
#[derive(Clone, Debug)]
pub enum ArrayElem {
    Expr(Expr),
    Array(ArrayLit),
}

/// Binary operators of the DSL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `^`, power.
    Pow,
}

impl BinOp {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
}

/// An expression with the span of its tokens (the first token's span where
/// spans cannot be joined).
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Height of the expression tree (1 for a leaf; parentheses add
    /// nothing); the parser bounds it so that no later pass recurses deeply.
    pub height: u32,
}

/// A numeric literal as written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number {
    pub value: f64,
    /// `Some` for an integer literal that fits an `i64`.
    pub int: Option<i64>,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// An integer or float literal.
    Num(Number),
    /// A bare name: a player, param, const, let, sum index or `pi`.
    Name(Ident),
    /// `name[i, ...]`.
    Index {
        name: Ident,
        /// Span of the brackets.
        bracket: Span,
        indices: Vec<Expr>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// `lhs op rhs`; `op` is the operator token's span.
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `name(args)`.
    Call {
        name: Ident,
        /// Span of the parentheses.
        paren: Span,
        args: Vec<Expr>,
    },
    /// `sum(i in a..b, j in c..d) body`.
    Sum {
        /// Span of the `sum` keyword.
        keyword: Span,
        binders: Vec<SumBinder>,
        body: Box<Expr>,
    },
}

/// `i in lo..hi` (hi exclusive) or `i in lo..=hi` (inclusive).
#[derive(Clone, Debug)]
pub struct SumBinder {
    pub var: Ident,
    pub lo: Expr,
    pub hi: Expr,
    pub inclusive: bool,
}
