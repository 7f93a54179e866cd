//! Checking a parsed game and resolving it into the [`GameModel`].
//!
//! Resolves every name (player, param, const, let, sum index, `pi`),
//! evaluates consts, dimensions, sum bounds and param defaults, inlines lets
//! (with fresh sum-index ids at every use), turns indices into
//! `Index { var, offset }` and checks them against the shapes, and checks the
//! game's structure (one leader, one or more followers, one cost each). Every
//! error found is collected; none stops the check of the rest.

use crate::ast::{self, ArrayElem, ExprKind, GameAst, Item, ParamDefault, Role};
use crate::model::{
    BinOp, BinaryFn, Const, Expr, GameModel, Index, Param, Player, Shape, SumVar, UnaryFn,
};
use crate::Errors;
use proc_macro2::{Ident, Span};
use std::collections::{HashMap, HashSet};

/// Checks a parsed game: all of its errors, or the resolved model.
///
/// A partial AST (with [`ast::Skipped`] statements, whose syntax errors the
/// parser reports) never gives a model; its error list holds only what the
/// skipped statements cannot explain, and may be empty.
pub fn check_game(ast: &GameAst) -> Result<GameModel, Errors> {
    let mut cx = Checker::new(ast);
    cx.declare_all();
    cx.eval_consts();
    let budget = cx.eval_budget();
    cx.eval_shapes();
    let params = cx.eval_params();
    cx.resolve_lets();
    let costs = cx.resolve_costs();
    let players = cx.players(costs);
    cx.errors.into_result()?;
    if !ast.skipped.is_empty() {
        return Err(Errors::new());
    }
    let Some((leader, followers)) = players else {
        return Err(Errors::at(
            ast.name.span(),
            format!("game `{}` is incomplete: it needs one leader, one or more followers, and a cost for each", ast.name),
        ));
    };
    Ok(GameModel {
        name: ast.name.to_string(),
        name_span: ast.name.span(),
        vis: ast.vis.clone(),
        attrs: ast.attrs.clone(),
        consts: cx.consts,
        params,
        leader,
        followers,
        budget,
    })
}

/// The one-argument functions, for error messages.
fn unary_list() -> String {
    UnaryFn::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn unary_fn(name: &str) -> Option<UnaryFn> {
    UnaryFn::ALL.into_iter().find(|f| f.name() == name)
}

fn binary_fn(name: &str) -> Option<BinaryFn> {
    [BinaryFn::Min, BinaryFn::Max]
        .into_iter()
        .find(|f| f.name() == name)
}

/// What a game-level name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Global {
    /// Position among the consts.
    Const(usize),
    /// Position among the params.
    Param(usize),
    /// Player number (0 leader, 1.. followers).
    Player(usize),
    /// Position among the lets.
    Let(usize),
    /// A declaration already reported as wrong: uses of it are not reported again.
    Poisoned,
}

/// A declared name.
#[derive(Clone, Copy, Debug)]
struct Decl {
    global: Global,
    /// What it is, for messages ("a param", "the leader", ...).
    what: &'static str,
}

/// A sum index in scope.
#[derive(Clone, Debug)]
struct Bound {
    name: String,
    var: SumVar,
    /// `Some((lo, hi))`, hi exclusive, unless its range was itself wrong.
    range: Option<(i64, i64)>,
}

/// Which lets an expression may use (a let only those declared before it).
#[derive(Clone, Copy)]
struct Limits {
    /// Lets with a position below this are usable.
    lets: usize,
}

/// A player declaration: name, `angle` keyword, dimensions.
type PlayerItem<'a> = (&'a Ident, Option<Span>, Option<&'a ast::Dims>);

/// The checker's state: declarations, evaluated consts and shapes, resolved
/// lets, and the errors found so far.
struct Checker<'a> {
    ast: &'a GameAst,
    errors: Errors,
    names: HashMap<String, Decl>,
    /// Names declared more than once (already reported).
    duplicated: HashSet<String>,
    /// Const names and statements, in order.
    const_items: Vec<(&'a Ident, &'a ast::Expr)>,
    /// Evaluated consts (`None` where evaluation failed), by position.
    const_values: Vec<Option<i64>>,
    /// The consts that evaluated, for the model.
    consts: Vec<Const>,
    /// Param declarations, by position: name, dimensions, default.
    param_items: Vec<(&'a Ident, Option<&'a ast::Dims>, Option<&'a ParamDefault>)>,
    /// By player number (slot 0 the leader; `None` if it is missing).
    player_items: Vec<Option<PlayerItem<'a>>>,
    /// Let declarations, by position.
    let_items: Vec<(&'a Ident, &'a ast::Expr)>,
    /// Evaluated shapes (`None` where wrong) of the params, by position.
    param_shapes: Vec<Option<Shape>>,
    /// Evaluated shapes of the players, by number (`None` where wrong or absent).
    player_shapes: Vec<Option<Shape>>,
    /// Resolved lets (`None` where wrong), by position; copied at each use.
    lets: Vec<Option<Expr>>,
    /// Node counts of the resolved lets, by position.
    let_sizes: Vec<usize>,
    /// Bounds on the tree heights of the resolved lets, by position.
    let_heights: Vec<u32>,
    /// Tree height of the statement being resolved, before inlining.
    statement_height: u32,
    /// Highest let inlined into the statement being resolved.
    inlined_height: u32,
    /// Nodes inlined from lets into the statement being resolved (`None`
    /// once over [`MAX_INLINED`], which is reported once per statement).
    inlined: Option<usize>,
    /// Every name bound by some sum in the game (for "used outside its sum").
    sum_names: HashSet<String>,
    /// The next fresh sum-index id.
    next_sum_var: u32,
}

/// Rust's keywords (strict and reserved): the generated code uses a game's
/// names as identifiers.
const RUST_KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// The error for a name that cannot be a Rust identifier, if it is one.
pub(crate) fn rust_keyword(name: &str) -> Option<String> {
    if let Some(raw) = name.strip_prefix("r#") {
        return Some(format!(
            "raw identifier `{name}`: write a plain name instead of the Rust keyword `{raw}`"
        ));
    }
    RUST_KEYWORDS.contains(&name).then(|| {
        format!("`{name}` is a Rust keyword, and the generated code uses the game's names as Rust identifiers; choose another name")
    })
}

/// Most expression nodes inlined from lets into one statement.
const MAX_INLINED: usize = 1 << 20;

/// Highest resolved expression tree, lets inlined (bounds the recursion of
/// the back end).
const MAX_RESOLVED_HEIGHT: u32 = 1024;

/// Names that cannot be declared (besides the function names).
const RESERVED: [&str; 2] = ["pi", "sum"];

/// Most entries in one player variable or param.
const MAX_ENTRIES: usize = 1 << 20;

/// Most terms in one sum, counting the terms of the enclosing sums too
/// (`sum(i in 0..n) sum(j in 0..m)` has n * m); the back end unrolls sums.
const MAX_SUM_TERMS: i64 = 1 << 20;

impl<'a> Checker<'a> {
    fn new(ast: &'a GameAst) -> Self {
        let mut sum_names = HashSet::new();
        for item in &ast.items {
            match item {
                Item::Const { value, .. }
                | Item::Let { value, .. }
                | Item::Cost { value, .. }
                | Item::Budget { value, .. } => collect_sum_names(value, &mut sum_names),
                _ => {}
            }
        }
        Checker {
            ast,
            errors: Errors::new(),
            names: HashMap::new(),
            duplicated: HashSet::new(),
            const_items: Vec::new(),
            const_values: Vec::new(),
            consts: Vec::new(),
            param_items: Vec::new(),
            player_items: Vec::new(),
            let_items: Vec::new(),
            param_shapes: Vec::new(),
            player_shapes: Vec::new(),
            lets: Vec::new(),
            let_sizes: Vec::new(),
            let_heights: Vec::new(),
            statement_height: 0,
            inlined_height: 0,
            inlined: Some(0),
            sum_names,
            next_sum_var: 0,
        }
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.errors.push(span, msg);
    }

    /// Registers a declared name; reports duplicates and reserved names.
    /// Returns false (and registers nothing) when the name is unusable.
    fn declare(&mut self, name: &Ident, global: Global, what: &'static str) -> bool {
        let text = name.to_string();
        let invalid = if let Some(msg) = rust_keyword(&text) {
            Some(msg)
        } else if RESERVED.contains(&text.as_str())
            || unary_fn(&text).is_some()
            || binary_fn(&text).is_some()
        {
            Some(format!(
                "`{text}` is a built-in name of the DSL; choose another name"
            ))
        } else {
            None
        };
        if let Some(msg) = invalid {
            self.error(name.span(), msg);
            // Uses of the name are not reported again.
            self.names.entry(text).or_insert(Decl {
                global: Global::Poisoned,
                what: "an invalid name",
            });
            return false;
        }
        if let Some(prev) = self.names.get(&text) {
            let msg = format!(
                "`{text}` is declared twice: it is already {}; every name in a game must be different",
                prev.what
            );
            self.error(name.span(), msg);
            self.duplicated.insert(text);
            return false;
        }
        self.names.insert(text, Decl { global, what });
        true
    }

    /// Pass 1: every declaration, leader first among the players.
    fn declare_all(&mut self) {
        let ast = self.ast;
        // Slot 0 is the leader's, filled when (and if) it is declared.
        self.player_items.push(None);
        for item in &ast.items {
            match item {
                Item::Const { name, value } => {
                    let at = self.const_items.len();
                    if self.declare(name, Global::Const(at), "a const") {
                        self.const_items.push((name, value));
                    }
                }
                Item::Param {
                    name,
                    dims,
                    default,
                } => {
                    let at = self.param_items.len();
                    if self.declare(name, Global::Param(at), "a param") {
                        self.param_items
                            .push((name, dims.as_ref(), default.as_ref()));
                    }
                }
                Item::Player {
                    role: Role::Leader,
                    keyword,
                    name,
                    angle,
                    dims,
                } => {
                    if let Some((first, _, _)) = self.player_items[0] {
                        self.error(
                            *keyword,
                            format!(
                                "a game has exactly one leader, and `{first}` is already the leader; declare `{name}` as a `follower` (followers play simultaneously among themselves)"
                            ),
                        );
                        self.names.entry(name.to_string()).or_insert(Decl {
                            global: Global::Poisoned,
                            what: "a second leader",
                        });
                    } else if self.declare(name, Global::Player(0), "the leader") {
                        self.player_items[0] = Some((name, *angle, dims.as_ref()));
                    }
                }
                Item::Player {
                    role: Role::Follower,
                    name,
                    angle,
                    dims,
                    ..
                } => {
                    let number = self.player_items.len();
                    if self.declare(name, Global::Player(number), "a follower") {
                        self.player_items.push(Some((name, *angle, dims.as_ref())));
                    }
                }
                Item::Let { name, value } => {
                    let at = self.let_items.len();
                    if self.declare(name, Global::Let(at), "a let") {
                        self.let_items.push((name, value));
                    }
                }
                Item::Cost { .. } | Item::Budget { .. } => {}
            }
        }
        for skipped in &ast.skipped {
            for name in &skipped.names {
                self.names.entry(name.to_string()).or_insert(Decl {
                    global: Global::Poisoned,
                    what: "a name in a statement with a syntax error",
                });
            }
        }
        if !ast.skipped.is_empty() {
            // A skipped statement may have declared the missing players.
            return;
        }
        let declared = |role| {
            ast.items
                .iter()
                .any(|i| matches!(i, Item::Player { role: r, .. } if *r == role))
        };
        if !declared(Role::Leader) {
            self.error(
                ast.name.span(),
                format!(
                    "game `{}` has no leader; declare exactly one `leader x;`",
                    ast.name
                ),
            );
        }
        if !declared(Role::Follower) {
            self.error(
                ast.name.span(),
                format!(
                    "game `{}` has no follower; declare one or more `follower y;`",
                    ast.name
                ),
            );
        }
    }

    /// Consts in order; each may use earlier consts only.
    fn eval_consts(&mut self) {
        for at in 0..self.const_items.len() {
            let (name, value) = self.const_items[at];
            let result = self.eval_int(value, at, &[], "a const's value");
            let result = match result {
                Ok(v) => Some(v),
                Err((span, msg)) => {
                    self.error(span, msg);
                    None
                }
            };
            if let Some(v) = result {
                self.consts.push(Const {
                    name: name.to_string(),
                    value: v,
                });
            } else if let Some(d) = self.names.get_mut(&name.to_string()) {
                d.global = Global::Poisoned;
            }
            self.const_values.push(result);
        }
    }

    fn eval_budget(&mut self) -> Option<usize> {
        let mut budget = None;
        let ast = self.ast;
        for item in &ast.items {
            if let Item::Budget { keyword, value } = item {
                if budget.is_some() {
                    self.error(*keyword, "`budget` is set twice; set it once");
                    continue;
                }
                let consts = self.const_values.len();
                match self.eval_int(value, consts, &[], "the budget") {
                    Ok(v) if v > 0 => budget = usize::try_from(v).ok(),
                    Ok(v) => self.error(
                        value.span,
                        format!("the budget must be a positive number of nodes, found {v}"),
                    ),
                    Err((span, msg)) => self.error(span, msg),
                }
            }
        }
        budget
    }

    /// Shape from optional dims; reports and returns `None` when wrong.
    fn shape(&mut self, dims: Option<&ast::Dims>, owner: &str) -> Option<Shape> {
        let Some(dims) = dims else {
            return Some(Shape::Scalar);
        };
        if dims.dims.len() > 2 {
            self.error(
                dims.span,
                format!(
                    "`{owner}` has {} dimensions; a variable or param is a scalar, a vector `[n]` or a matrix `[n, m]`",
                    dims.dims.len()
                ),
            );
            return None;
        }
        let consts = self.const_values.len();
        let mut out = Vec::new();
        for d in &dims.dims {
            match self.eval_int(d, consts, &[], "a dimension") {
                Ok(n) if n > 0 => out.push(usize::try_from(n).unwrap_or(usize::MAX)),
                Ok(n) => {
                    self.error(
                        d.span,
                        format!("dimensions must be positive integers, found {n}"),
                    );
                    return None;
                }
                Err((span, msg)) => {
                    self.error(span, msg);
                    return None;
                }
            }
        }
        let entries = out.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
        if entries.is_none_or(|e| e > MAX_ENTRIES) {
            self.error(
                dims.span,
                format!(
                    "`{owner}` is too large: a variable or param has at most {MAX_ENTRIES} entries"
                ),
            );
            return None;
        }
        Some(match out[..] {
            [n] => Shape::Vector(n),
            [n, m] => Shape::Matrix(n, m),
            _ => Shape::Scalar,
        })
    }

    /// Shapes of the params (by position) and of the players (by number).
    fn eval_shapes(&mut self) {
        for at in 0..self.param_items.len() {
            let (name, dims, _) = self.param_items[at];
            let shape = self.shape(dims, &name.to_string());
            self.param_shapes.push(shape);
        }
        for at in 0..self.player_items.len() {
            let shape = match self.player_items[at] {
                Some((name, _, dims)) => self.shape(dims, &name.to_string()),
                None => None,
            };
            self.player_shapes.push(shape);
        }
    }

    fn eval_params(&mut self) -> Vec<Param> {
        let mut params = Vec::new();
        for at in 0..self.param_items.len() {
            let (name, _, default) = self.param_items[at];
            let Some(shape) = self.param_shapes[at] else {
                continue;
            };
            let default = default.and_then(|d| self.param_default(name, shape, d));
            params.push(Param {
                name: name.to_string(),
                span: name.span(),
                shape,
                default,
            });
        }
        params
    }

    /// The row-major default values of a param, checked against its shape.
    fn param_default(
        &mut self,
        name: &Ident,
        shape: Shape,
        default: &ParamDefault,
    ) -> Option<Vec<f64>> {
        let mut values = Vec::new();
        match (shape, default) {
            (Shape::Scalar, ParamDefault::Scalar(e)) => values.push(self.eval_default(e)?),
            (Shape::Scalar, ParamDefault::Array(a)) => {
                self.error(
                    a.span,
                    format!("param `{name}` is a scalar, so its default is a number, not an array; declare `param {name}: [n] = [..];` for a vector"),
                );
                return None;
            }
            (_, ParamDefault::Scalar(e)) => {
                self.error(
                    e.span,
                    format!(
                        "param `{name}` has shape {}, so its default is an array literal {}",
                        shape_words(shape),
                        array_example(shape)
                    ),
                );
                return None;
            }
            (Shape::Vector(n), ParamDefault::Array(a)) => {
                values = self.default_row(name, a, n, shape)?;
            }
            (Shape::Matrix(n, m), ParamDefault::Array(a)) => {
                if a.elems.len() != n {
                    self.error(
                        a.span,
                        format!(
                            "param `{name}` is {}: its default needs {n} rows, found {}",
                            shape_words(shape),
                            a.elems.len()
                        ),
                    );
                    return None;
                }
                let mut ok = true;
                for row in &a.elems {
                    match row {
                        ArrayElem::Array(r) => match self.default_row(name, r, m, shape) {
                            Some(v) => values.extend(v),
                            None => ok = false,
                        },
                        ArrayElem::Expr(e) => {
                            self.error(
                                e.span,
                                format!(
                                    "param `{name}` is {}: each row of its default is an array `[..]` of {m} numbers",
                                    shape_words(shape)
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                if !ok {
                    return None;
                }
            }
        }
        Some(values)
    }

    /// One flat row of `len` numbers.
    fn default_row(
        &mut self,
        name: &Ident,
        a: &ast::ArrayLit,
        len: usize,
        shape: Shape,
    ) -> Option<Vec<f64>> {
        if a.elems.len() != len {
            self.error(
                a.span,
                format!(
                    "param `{name}` is {}: expected {len} numbers here, found {}",
                    shape_words(shape),
                    a.elems.len()
                ),
            );
            return None;
        }
        let mut out = Vec::new();
        for e in &a.elems {
            match e {
                ArrayElem::Expr(e) => out.push(self.eval_default(e)?),
                ArrayElem::Array(inner) => {
                    self.error(
                        inner.span,
                        format!(
                            "expected a number, found a nested array; param `{name}` is {}",
                            shape_words(shape)
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn eval_default(&mut self, e: &ast::Expr) -> Option<f64> {
        match self.eval_real(e) {
            Ok(v) if v.is_finite() => Some(v),
            Ok(v) => {
                self.error(
                    e.span,
                    format!("this default evaluates to {v}; defaults must be finite numbers"),
                );
                None
            }
            Err((span, msg)) => {
                self.error(span, msg);
                None
            }
        }
    }

    /// A constant real expression (param defaults): numbers, `pi`, consts,
    /// operators and functions.
    fn eval_real(&self, e: &ast::Expr) -> Result<f64, (Span, String)> {
        const ALLOWED: &str =
            "a param default is a constant: numbers, `pi`, consts, operators and functions";
        Ok(match &e.kind {
            ExprKind::Num(n) => n.value,
            ExprKind::Name(id) if id == "pi" => std::f64::consts::PI,
            ExprKind::Name(id) => match self.names.get(&id.to_string()) {
                Some(Decl {
                    global: Global::Const(k),
                    ..
                }) => match self.const_values.get(*k).copied().flatten() {
                    Some(v) => v as f64,
                    None => {
                        return Err((
                            id.span(),
                            format!("const `{id}` has no value (see its error)"),
                        ))
                    }
                },
                Some(d) => return Err((id.span(), format!("`{id}` is {}; {ALLOWED}", d.what))),
                None => return Err(self.unknown_name(id, &[])),
            },
            ExprKind::Neg(inner) => -self.eval_real(inner)?,
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (a, b) = (self.eval_real(lhs)?, self.eval_real(rhs)?);
                match op {
                    ast::BinOp::Add => a + b,
                    ast::BinOp::Sub => a - b,
                    ast::BinOp::Mul => a * b,
                    ast::BinOp::Div => a / b,
                    ast::BinOp::Pow => a.powf(b),
                }
            }
            ExprKind::Call { name, paren, args } => {
                let f = self.function(name, *paren, args.len())?;
                let values = args
                    .iter()
                    .map(|a| self.eval_real(a))
                    .collect::<Result<Vec<_>, _>>()?;
                match f {
                    Func::Unary(f) => eval_unary(f, values[0]),
                    Func::Binary(BinaryFn::Min) => {
                        if values[1] < values[0] {
                            values[1]
                        } else {
                            values[0]
                        }
                    }
                    Func::Binary(BinaryFn::Max) => {
                        if values[1] > values[0] {
                            values[1]
                        } else {
                            values[0]
                        }
                    }
                }
            }
            ExprKind::Index { name, .. } => {
                return Err((
                    name.span(),
                    format!("`{name}[..]` is not a constant; {ALLOWED}"),
                ))
            }
            ExprKind::Sum { keyword, .. } => {
                return Err((*keyword, format!("a sum is not allowed here; {ALLOWED}")))
            }
        })
    }

    /// Looks up a function and checks its arity.
    fn function(&self, name: &Ident, paren: Span, args: usize) -> Result<Func, (Span, String)> {
        let text = name.to_string();
        let (f, arity) = if let Some(f) = unary_fn(&text) {
            (Func::Unary(f), 1)
        } else if let Some(f) = binary_fn(&text) {
            (Func::Binary(f), 2)
        } else {
            let mut msg = match self.names.get(&text) {
                Some(d) => format!("`{text}` is {}, not a function; ", d.what),
                None => format!("unknown function `{text}`; "),
            };
            msg.push_str(&format!(
                "the functions are {} (one argument) and min, max (two arguments)",
                unary_list()
            ));
            let all: Vec<&str> = UnaryFn::ALL
                .iter()
                .map(|f| f.name())
                .chain(["min", "max"])
                .collect();
            if let Some(s) = suggest(&text, all.iter().copied()) {
                msg.push_str(&format!("; did you mean {s}?"));
            }
            return Err((name.span(), msg));
        };
        if args != arity {
            let plural = if arity == 1 { "argument" } else { "arguments" };
            return Err((
                paren,
                format!("`{text}` takes {arity} {plural}, found {args}"),
            ));
        }
        Ok(f)
    }

    /// A compile-time integer: numbers, consts (below `consts`), `+ - * / ^`.
    /// `bound` are the sum indices in scope (named in errors only).
    fn eval_int(
        &self,
        e: &ast::Expr,
        consts: usize,
        bound: &[Bound],
        what: &str,
    ) -> Result<i64, (Span, String)> {
        let allowed = format!(
            "{what} must be an integer built from integer literals, consts and `+ - * / ^`"
        );
        let overflow = || (e.span, format!("integer overflow while evaluating {what}"));
        match &e.kind {
            ExprKind::Num(n) => n.int.ok_or_else(|| {
                (
                    e.span,
                    if n.value.fract() == 0.0 && n.value.abs() < 1e18 {
                        format!(
                            "{what} must be an integer; write `{}` without the decimal point",
                            n.value as i64
                        )
                    } else {
                        format!("{what} must be an integer, found `{}`", n.value)
                    },
                )
            }),
            ExprKind::Name(id) => {
                let text = id.to_string();
                if bound.iter().any(|b| b.name == text) {
                    return Err((
                        id.span(),
                        format!("`{id}` is a sum index, but {what} must be a constant integer (sum ranges cannot depend on other sum indices)"),
                    ));
                }
                match self.names.get(&text) {
                    Some(Decl {
                        global: Global::Const(k),
                        ..
                    }) => {
                        if *k >= consts {
                            Err((id.span(), format!("const `{id}` is declared later; a const may only use consts declared before it")))
                        } else {
                            self.const_values[*k].ok_or_else(|| {
                                (
                                    id.span(),
                                    format!("const `{id}` has no value (see its error)"),
                                )
                            })
                        }
                    }
                    Some(d) => Err((id.span(), format!("`{id}` is {}; {allowed}", d.what))),
                    None if text == "pi" => {
                        Err((id.span(), format!("`pi` is not an integer; {allowed}")))
                    }
                    None => Err(self.unknown_name(id, bound)),
                }
            }
            ExprKind::Neg(inner) => self
                .eval_int(inner, consts, bound, what)?
                .checked_neg()
                .ok_or_else(overflow),
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                let a = self.eval_int(lhs, consts, bound, what)?;
                let b = self.eval_int(rhs, consts, bound, what)?;
                match op {
                    ast::BinOp::Add => a.checked_add(b).ok_or_else(overflow),
                    ast::BinOp::Sub => a.checked_sub(b).ok_or_else(overflow),
                    ast::BinOp::Mul => a.checked_mul(b).ok_or_else(overflow),
                    ast::BinOp::Div => {
                        if b == 0 {
                            Err((*op_span, format!("division by zero in {what}")))
                        } else if a % b != 0 {
                            Err((
                                *op_span,
                                format!("{a} / {b} is not an integer; {what} must divide exactly"),
                            ))
                        } else {
                            a.checked_div(b).ok_or_else(overflow)
                        }
                    }
                    ast::BinOp::Pow => {
                        let exp = u32::try_from(b).map_err(|_| {
                            (rhs.span, format!("the exponent in {what} must be a non-negative integer, found {b}"))
                        })?;
                        a.checked_pow(exp).ok_or_else(overflow)
                    }
                }
            }
            ExprKind::Call { name, .. } | ExprKind::Index { name, .. } => Err((
                name.span(),
                format!("`{name}` is not allowed here; {allowed}"),
            )),
            ExprKind::Sum { keyword, .. } => {
                Err((*keyword, format!("a sum is not allowed here; {allowed}")))
            }
        }
    }

    /// "unknown name" with a suggestion, or "sum index used outside its sum".
    fn unknown_name(&self, id: &Ident, bound: &[Bound]) -> (Span, String) {
        let text = id.to_string();
        if self.sum_names.contains(&text) {
            return (
                id.span(),
                format!(
                    "`{text}` is a sum index used outside its sum; it is only in scope in the body of its `sum({text} in ..)`, which ends at the first `+` or `-` outside brackets: write `sum({text} in ..) (a + b)` to sum a whole expression"
                ),
            );
        }
        let candidates = self
            .names
            .keys()
            .map(String::as_str)
            .chain(bound.iter().map(|b| b.name.as_str()))
            .chain(["pi"]);
        let mut msg = format!("unknown name `{text}`");
        if let Some(s) = suggest(&text, candidates) {
            msg.push_str(&format!("; did you mean {s}?"));
        } else {
            msg.push_str("; names are declared with `leader`, `follower`, `param`, `const` or `let`, or bound by `sum(name in ..)`");
        }
        (id.span(), msg)
    }

    /// Lets in order; each may use earlier lets only.
    fn resolve_lets(&mut self) {
        for at in 0..self.let_items.len() {
            let (_, value) = self.let_items[at];
            self.start_statement(value);
            let e = self.resolve(value, &mut Vec::new(), Limits { lets: at });
            self.let_sizes.push(e.as_ref().map_or(0, expr_size));
            self.let_heights
                .push(value.height.saturating_add(self.inlined_height));
            self.lets.push(e);
        }
    }

    /// Resets the per-statement bounds on inlined lets.
    fn start_statement(&mut self, value: &ast::Expr) {
        self.inlined = Some(0);
        self.statement_height = value.height;
        self.inlined_height = 0;
    }

    /// One resolved cost per player number (`None` where missing or wrong).
    fn resolve_costs(&mut self) -> Vec<Option<(Expr, Span)>> {
        let players = self.player_items.len();
        let mut costs: Vec<Option<(Expr, Span)>> = vec![None; players];
        let mut seen: Vec<bool> = vec![false; players];
        let all_lets = Limits {
            lets: self.let_items.len(),
        };
        let ast = self.ast;
        for item in &ast.items {
            let Item::Cost {
                keyword,
                name,
                value,
            } = item
            else {
                continue;
            };
            self.start_statement(value);
            let resolved = self.resolve(value, &mut Vec::new(), all_lets);
            match self.names.get(&name.to_string()).copied() {
                Some(Decl {
                    global: Global::Player(p),
                    ..
                }) => {
                    if seen[p] {
                        self.error(
                            name.span(),
                            format!("`{name}` has two costs; each player has exactly one `cost {name} = ..;`"),
                        );
                        continue;
                    }
                    seen[p] = true;
                    if let Some(e) = resolved {
                        costs[p] = Some((e, join(*keyword, value.span)));
                    }
                }
                Some(Decl {
                    global: Global::Poisoned,
                    ..
                }) => {}
                Some(_) if self.duplicated.contains(&name.to_string()) => {}
                Some(d) => self.error(
                    name.span(),
                    format!("`{name}` is {}, not a player; a cost is declared for the leader and for each follower", d.what),
                ),
                None => {
                    let (span, msg) = self.unknown_name(name, &[]);
                    self.error(span, format!("{msg} (a cost names a player: `cost x = ..;`)"));
                }
            }
        }
        if !ast.skipped.is_empty() {
            // A skipped statement may have been the missing cost.
            return costs;
        }
        for (p, has_cost) in seen.into_iter().enumerate() {
            let Some((name, _, _)) = self.player_items[p] else {
                continue;
            };
            if !has_cost {
                let role = if p == 0 { "the leader" } else { "follower" };
                self.error(
                    name.span(),
                    format!("{role} `{name}` has no cost; add `cost {name} = ..;`"),
                );
            }
        }
        costs
    }

    /// The leader and followers, when all are complete.
    fn players(&self, costs: Vec<Option<(Expr, Span)>>) -> Option<(Player, Vec<Player>)> {
        let mut players = Vec::new();
        for (at, cost) in costs.into_iter().enumerate() {
            let (name, angle, _) = self.player_items[at]?;
            let shape = self.player_shapes[at]?;
            let (cost, cost_span) = cost?;
            players.push(Player {
                name: name.to_string(),
                span: name.span(),
                shape,
                angle: angle.is_some(),
                cost,
                cost_span,
            });
        }
        let mut players = players.into_iter();
        let leader = players.next()?;
        let followers: Vec<Player> = players.collect();
        if followers.is_empty() {
            return None;
        }
        Some((leader, followers))
    }

    fn fresh_var(&mut self) -> SumVar {
        let v = SumVar(self.next_sum_var);
        self.next_sum_var += 1;
        v
    }

    /// Evaluated shape of a declared player or param (`None` if it was wrong).
    fn shape_of(&self, g: Global) -> Option<Shape> {
        match g {
            Global::Param(k) => self.param_shapes[k],
            Global::Player(p) => self.player_shapes[p],
            _ => None,
        }
    }

    /// Resolves an expression; reports its errors and returns `None` if any.
    fn resolve(&mut self, e: &ast::Expr, bound: &mut Vec<Bound>, limits: Limits) -> Option<Expr> {
        match &e.kind {
            ExprKind::Num(n) => Some(Expr::Num(n.value)),
            ExprKind::Name(id) => self.resolve_name(id, bound, limits),
            ExprKind::Index {
                name,
                bracket,
                indices,
            } => self.resolve_index(name, *bracket, indices, bound),
            ExprKind::Neg(inner) => Some(Expr::Neg(Box::new(self.resolve(inner, bound, limits)?))),
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let a = self.resolve(lhs, bound, limits);
                let b = self.resolve(rhs, bound, limits);
                let op = match op {
                    ast::BinOp::Add => BinOp::Add,
                    ast::BinOp::Sub => BinOp::Sub,
                    ast::BinOp::Mul => BinOp::Mul,
                    ast::BinOp::Div => BinOp::Div,
                    ast::BinOp::Pow => BinOp::Pow,
                };
                Some(Expr::Binary(op, Box::new(a?), Box::new(b?)))
            }
            ExprKind::Call { name, paren, args } => {
                let f = self.function(name, *paren, args.len());
                let resolved: Vec<Option<Expr>> = args
                    .iter()
                    .map(|a| self.resolve(a, bound, limits))
                    .collect();
                let f = match f {
                    Ok(f) => f,
                    Err((span, msg)) => {
                        self.error(span, msg);
                        return None;
                    }
                };
                let mut resolved = resolved
                    .into_iter()
                    .collect::<Option<Vec<Expr>>>()?
                    .into_iter();
                match f {
                    Func::Unary(f) => Some(Expr::Unary(f, Box::new(resolved.next()?))),
                    Func::Binary(f) => {
                        let a = resolved.next()?;
                        let b = resolved.next()?;
                        Some(Expr::Call2(f, Box::new(a), Box::new(b)))
                    }
                }
            }
            ExprKind::Sum { binders, body, .. } => self.resolve_sum(binders, body, bound, limits),
        }
    }

    fn resolve_name(&mut self, id: &Ident, bound: &[Bound], limits: Limits) -> Option<Expr> {
        let text = id.to_string();
        if let Some(b) = bound.iter().rev().find(|b| b.name == text) {
            return Some(Expr::SumIndex(Index {
                var: Some(b.var),
                offset: 0,
            }));
        }
        if text == "pi" {
            return Some(Expr::Num(std::f64::consts::PI));
        }
        let Some(decl) = self.names.get(&text).copied() else {
            let (span, msg) = self.unknown_name(id, bound);
            self.error(span, msg);
            return None;
        };
        match decl.global {
            Global::Poisoned => None,
            Global::Const(k) => self.const_values[k].map(|v| Expr::Num(v as f64)),
            Global::Let(k) => {
                if k >= limits.lets {
                    let msg = if k == limits.lets {
                        format!(
                            "let `{id}` uses itself; a let may only use lets declared before it"
                        )
                    } else {
                        format!("let `{id}` is declared later; a let may only use lets declared before it")
                    };
                    self.error(id.span(), msg);
                    return None;
                }
                // Inlined copies are not shared: bound their total size,
                // and the height of the resulting tree.
                let total = self.inlined?.saturating_add(self.let_sizes[k]);
                let height = self.statement_height.saturating_add(self.let_heights[k]);
                let over = if total > MAX_INLINED {
                    Some(format!("larger than {MAX_INLINED} nodes"))
                } else if height > MAX_RESOLVED_HEIGHT {
                    Some(format!("more than {MAX_RESOLVED_HEIGHT} operations high"))
                } else {
                    None
                };
                if let Some(over) = over {
                    self.inlined = None;
                    self.error(
                        id.span(),
                        format!("inlining `{id}` here makes this statement's expression {over} (lets are copied at every use); use a let fewer times or write a smaller expression"),
                    );
                    return None;
                }
                self.inlined_height = self.inlined_height.max(self.let_heights[k]);
                self.inlined = Some(total);
                let e = self.lets[k].clone()?;
                let mut map = HashMap::new();
                Some(self.refresh(&e, &mut map))
            }
            g @ (Global::Param(_) | Global::Player(_)) => {
                let shape = self.shape_of(g)?;
                if shape != Shape::Scalar {
                    let example = if matches!(shape, Shape::Matrix(..)) {
                        format!("`{id}[i, j]`")
                    } else {
                        format!("`{id}[i]`")
                    };
                    self.error(
                        id.span(),
                        format!(
                            "`{id}` is {}, {}, not a number; use one entry such as {example} (inside a `sum` to add them up)",
                            decl.what,
                            shape_words(shape)
                        ),
                    );
                    return None;
                }
                entry(g, vec![])
            }
        }
    }

    fn resolve_index(
        &mut self,
        name: &Ident,
        bracket: Span,
        indices: &[ast::Expr],
        bound: &[Bound],
    ) -> Option<Expr> {
        let text = name.to_string();
        let target = if bound.iter().any(|b| b.name == text) {
            Err(format!(
                "`{text}` is a sum index (a number); it cannot be indexed"
            ))
        } else if text == "pi" {
            Err("`pi` is a number; it cannot be indexed".to_string())
        } else {
            match self.names.get(&text).copied() {
                None => {
                    let (span, msg) = self.unknown_name(name, bound);
                    self.error(span, msg);
                    return None;
                }
                Some(d) => match d.global {
                    Global::Poisoned => return None,
                    Global::Const(_) => Err(format!(
                        "`{text}` is a const (a number); it cannot be indexed"
                    )),
                    Global::Let(_) => Err(format!(
                        "`{text}` is a let (a scalar); it cannot be indexed"
                    )),
                    g @ (Global::Param(_) | Global::Player(_)) => Ok((g, d.what)),
                },
            }
        };
        let (global, what) = match target {
            Ok(t) => t,
            Err(msg) => {
                self.error(name.span(), msg);
                return None;
            }
        };
        let shape = self.shape_of(global)?;
        let dims = shape.dims();
        if dims.is_empty() {
            self.error(
                bracket,
                format!("`{text}` is {what}, a scalar; it cannot be indexed: write `{text}`"),
            );
            return None;
        }
        if dims.len() != indices.len() {
            let example = if dims.len() == 2 {
                format!("`{text}[i, j]`")
            } else {
                format!("`{text}[i]`")
            };
            self.error(
                bracket,
                format!(
                    "`{text}` is {what}, {}, so it takes {} ({example}), found {}",
                    shape_words(shape),
                    if dims.len() == 1 {
                        "1 index".to_string()
                    } else {
                        format!("{} indices", dims.len())
                    },
                    indices.len()
                ),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (ix, &dim) in indices.iter().zip(&dims) {
            match self.affine(ix, bound) {
                Err((span, msg)) => {
                    self.error(span, msg);
                    ok = false;
                }
                Ok((b, offset)) => {
                    let range = match b {
                        None => Some((offset, offset)),
                        Some(b) => b.range.and_then(|(lo, hi)| {
                            (lo < hi).then(|| {
                                (lo.saturating_add(offset), (hi - 1).saturating_add(offset))
                            })
                        }),
                    };
                    if let Some((first, last)) = range {
                        if first < 0 || last >= dim as i64 {
                            let values = if first == last {
                                format!("is {first}")
                            } else {
                                format!("runs over {first}..={last}")
                            };
                            self.error(
                                ix.span,
                                format!(
                                    "index out of range: this index {values}, but `{text}` has {dim} entries along this dimension (indices 0..={})",
                                    dim - 1
                                ),
                            );
                            ok = false;
                        }
                    }
                    out.push(Index {
                        var: b.map(|b| b.var),
                        offset,
                    });
                }
            }
        }
        if !ok {
            return None;
        }
        entry(global, out)
    }

    /// An index as `sum index + constant` (or a constant).
    fn affine<'b>(
        &self,
        e: &ast::Expr,
        bound: &'b [Bound],
    ) -> Result<(Option<&'b Bound>, i64), (Span, String)> {
        const FORM: &str = "an index is a constant integer, or a sum index plus or minus a constant: `x[2]`, `x[M - 1]`, `x[i]`, `x[i + 1]`";
        let consts = self.const_values.len();
        let overflow = || (e.span, "integer overflow in an index".to_string());
        match &e.kind {
            ExprKind::Name(id) => {
                if let Some(b) = bound.iter().rev().find(|b| *id == b.name) {
                    return Ok((Some(b), 0));
                }
                Ok((None, self.eval_int(e, consts, bound, "an index")?))
            }
            ExprKind::Binary { op, lhs, rhs, .. }
                if matches!(op, ast::BinOp::Add | ast::BinOp::Sub) =>
            {
                let (va, a) = self.affine(lhs, bound)?;
                let (vb, b) = self.affine(rhs, bound)?;
                match (op, va, vb) {
                    (_, Some(_), Some(_)) => Err((
                        e.span,
                        format!("an index may use only one sum index; {FORM}"),
                    )),
                    (ast::BinOp::Sub, _, Some(_)) => Err((
                        rhs.span,
                        format!("a sum index cannot be subtracted in an index; {FORM}"),
                    )),
                    (ast::BinOp::Add, v, w) => {
                        Ok((v.or(w), a.checked_add(b).ok_or_else(overflow)?))
                    }
                    (_, v, _) => Ok((v, a.checked_sub(b).ok_or_else(overflow)?)),
                }
            }
            _ => {
                if mentions_bound(e, bound) {
                    return Err((
                        e.span,
                        format!("this index is not a sum index plus a constant; {FORM}"),
                    ));
                }
                Ok((None, self.eval_int(e, consts, bound, "an index")?))
            }
        }
    }

    fn resolve_sum(
        &mut self,
        binders: &[ast::SumBinder],
        body: &ast::Expr,
        bound: &mut Vec<Bound>,
        limits: Limits,
    ) -> Option<Expr> {
        let depth = bound.len();
        let mut vars = Vec::new();
        let mut ok = true;
        for b in binders {
            let name = b.var.to_string();
            if bound.iter().any(|o| o.name == name) {
                self.error(
                    b.var.span(),
                    format!(
                        "sum index `{name}` is already bound by an enclosing sum; use another name"
                    ),
                );
                ok = false;
            } else if let Some(d) = self.names.get(&name) {
                let msg = format!(
                    "sum index `{name}` has the same name as {}; use another name",
                    d.what
                );
                self.error(b.var.span(), msg);
                ok = false;
            } else if let Some(msg) = rust_keyword(&name) {
                self.error(b.var.span(), msg);
                ok = false;
            } else if RESERVED.contains(&name.as_str())
                || unary_fn(&name).is_some()
                || binary_fn(&name).is_some()
            {
                self.error(
                    b.var.span(),
                    format!(
                        "`{name}` is a built-in name of the DSL; choose another sum index name"
                    ),
                );
                ok = false;
            }
            let consts = self.const_values.len();
            let lo = self.eval_int(&b.lo, consts, bound, "a sum bound");
            let hi = self.eval_int(&b.hi, consts, bound, "a sum bound");
            let range = match (lo, hi) {
                (Ok(lo), Ok(hi)) => {
                    let hi = if b.inclusive {
                        hi.checked_add(1)
                    } else {
                        Some(hi)
                    };
                    match hi {
                        Some(hi) if lo <= hi => {
                            let outer = bound
                                .iter()
                                .filter_map(|o| o.range)
                                .try_fold(1i64, |acc, (lo, hi)| acc.checked_mul(hi - lo));
                            let terms = hi
                                .checked_sub(lo)
                                .zip(outer)
                                .and_then(|(n, outer)| n.checked_mul(outer));
                            if terms.is_some_and(|t| t <= MAX_SUM_TERMS) {
                                Some((lo, hi))
                            } else {
                                self.error(
                                    b.hi.span,
                                    format!("the range of `{name}` is too long: a sum, with the sums around it, has at most {MAX_SUM_TERMS} terms"),
                                );
                                None
                            }
                        }
                        Some(hi) => {
                            self.error(
                                b.lo.span,
                                format!("the range of `{name}` is backwards: it starts at {lo} and ends (exclusive) at {hi}; write `lo..hi` with lo <= hi"),
                            );
                            None
                        }
                        None => {
                            self.error(b.hi.span, "integer overflow in a sum bound");
                            None
                        }
                    }
                }
                (lo, hi) => {
                    for r in [lo, hi] {
                        if let Err((span, msg)) = r {
                            self.error(span, msg);
                        }
                    }
                    None
                }
            };
            ok &= range.is_some();
            let var = self.fresh_var();
            vars.push((var, range));
            bound.push(Bound { name, var, range });
        }
        let body = self.resolve(body, bound, limits);
        bound.truncate(depth);
        let mut e = body?;
        if !ok {
            return None;
        }
        for (var, range) in vars.into_iter().rev() {
            let (lo, hi) = range?;
            e = Expr::Sum {
                var,
                lo,
                hi,
                body: Box::new(e),
            };
        }
        Some(e)
    }

    /// A copy of a resolved let with fresh sum-index ids.
    fn refresh(&mut self, e: &Expr, map: &mut HashMap<SumVar, SumVar>) -> Expr {
        let ix = |map: &HashMap<SumVar, SumVar>, i: &Index| Index {
            var: i.var.map(|v| map.get(&v).copied().unwrap_or(v)),
            offset: i.offset,
        };
        match e {
            Expr::Num(_) => e.clone(),
            Expr::Var { player, index } => Expr::Var {
                player: *player,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            Expr::Param { param, index } => Expr::Param {
                param: *param,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            Expr::SumIndex(i) => Expr::SumIndex(ix(map, i)),
            Expr::Neg(a) => Expr::Neg(Box::new(self.refresh(a, map))),
            Expr::Binary(op, a, b) => Expr::Binary(
                *op,
                Box::new(self.refresh(a, map)),
                Box::new(self.refresh(b, map)),
            ),
            Expr::Unary(f, a) => Expr::Unary(*f, Box::new(self.refresh(a, map))),
            Expr::Call2(f, a, b) => Expr::Call2(
                *f,
                Box::new(self.refresh(a, map)),
                Box::new(self.refresh(b, map)),
            ),
            Expr::Sum { var, lo, hi, body } => {
                let fresh = self.fresh_var();
                map.insert(*var, fresh);
                Expr::Sum {
                    var: fresh,
                    lo: *lo,
                    hi: *hi,
                    body: Box::new(self.refresh(body, map)),
                }
            }
        }
    }
}

/// A resolved function.
#[derive(Clone, Copy)]
enum Func {
    Unary(UnaryFn),
    Binary(BinaryFn),
}

/// The value of a one-argument function (for constant param defaults).
fn eval_unary(f: UnaryFn, x: f64) -> f64 {
    match f {
        UnaryFn::Exp => x.exp(),
        UnaryFn::Ln => x.ln(),
        UnaryFn::Sqrt => x.sqrt(),
        UnaryFn::Sin => x.sin(),
        UnaryFn::Cos => x.cos(),
        UnaryFn::Tan => x.tan(),
        UnaryFn::Tanh => x.tanh(),
        UnaryFn::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryFn::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        UnaryFn::Abs => x.abs(),
        UnaryFn::Relu => x.max(0.0),
    }
}

/// "a vector" / "a matrix" / "a scalar".
fn shape_words(shape: Shape) -> String {
    match shape {
        Shape::Scalar => "a scalar".into(),
        Shape::Vector(n) => format!("a vector of {n} entries"),
        Shape::Matrix(n, m) => format!("a {n}x{m} matrix"),
    }
}

fn array_example(shape: Shape) -> &'static str {
    match shape {
        Shape::Matrix(..) => "`[[..], [..]]`",
        _ => "`[..]`",
    }
}

fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

/// An entry of a param or player variable (`None` for any other name).
fn entry(g: Global, index: Vec<Index>) -> Option<Expr> {
    match g {
        Global::Param(param) => Some(Expr::Param { param, index }),
        Global::Player(player) => Some(Expr::Var { player, index }),
        _ => None,
    }
}

/// Number of nodes in a resolved expression.
fn expr_size(e: &Expr) -> usize {
    1 + match e {
        Expr::Num(_) | Expr::Var { .. } | Expr::Param { .. } | Expr::SumIndex(_) => 0,
        Expr::Neg(a) | Expr::Unary(_, a) | Expr::Sum { body: a, .. } => expr_size(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => expr_size(a) + expr_size(b),
    }
}

/// Does `e` use any of the sum indices in scope?
fn mentions_bound(e: &ast::Expr, bound: &[Bound]) -> bool {
    match &e.kind {
        ExprKind::Num(_) => false,
        ExprKind::Name(id) => bound.iter().any(|b| *id == b.name),
        ExprKind::Index { indices, .. } => indices.iter().any(|i| mentions_bound(i, bound)),
        ExprKind::Neg(a) => mentions_bound(a, bound),
        ExprKind::Binary { lhs, rhs, .. } => {
            mentions_bound(lhs, bound) || mentions_bound(rhs, bound)
        }
        ExprKind::Call { args, .. } => args.iter().any(|a| mentions_bound(a, bound)),
        ExprKind::Sum { body, .. } => mentions_bound(body, bound),
    }
}

/// Every name bound by a sum anywhere in `e`.
fn collect_sum_names(e: &ast::Expr, out: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Num(_) | ExprKind::Name(_) => {}
        ExprKind::Index { indices, .. } => indices.iter().for_each(|i| collect_sum_names(i, out)),
        ExprKind::Neg(a) => collect_sum_names(a, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_sum_names(lhs, out);
            collect_sum_names(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_sum_names(a, out)),
        ExprKind::Sum { binders, body, .. } => {
            for b in binders {
                out.insert(b.var.to_string());
            }
            collect_sum_names(body, out);
        }
    }
}

/// The closest candidates within a small edit distance, as "`a`",
/// "`a` or `b`" or "`a`, `b` or `c`" (at most three, in alphabetical
/// order), if any.
pub(crate) fn suggest<'s>(name: &str, candidates: impl Iterator<Item = &'s str>) -> Option<String> {
    let len = name.chars().count();
    if len < 2 {
        // Every one-letter name is near every other one.
        return None;
    }
    let limit = (len / 3).max(1);
    let mut near: Vec<(usize, &str)> = candidates
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    let best = near.iter().map(|(d, _)| *d).min()?;
    near.retain(|(d, _)| *d == best);
    near.sort();
    near.dedup();
    let names: Vec<String> = near.iter().take(3).map(|(_, c)| format!("`{c}`")).collect();
    Some(match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    })
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
