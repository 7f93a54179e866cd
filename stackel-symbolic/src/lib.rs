//! The `stackel_game!` compiler as a plain library.
//!
//! Data flows one way: DSL tokens -> [`ast`] (with spans, [`parse`]) ->
//! checked [`model::GameModel`] ([`check`]) -> hash-consed expression DAG
//! ([`dag`]) -> derivative DAGs ([`diff`]) -> simplified ([`simplify`]) ->
//! one bundle of CSE'd [`ir`] programs, [`lower::Lowered`] ([`lower`]) ->
//! three independent emitters reading the bundle: formulas ([`formula`]),
//! WGSL ([`emit_wgsl`]) and Rust ([`emit_rust`]). No emitter calls another or
//! calls back into [`lower`]; [`back_end`] runs them and hands the formulas
//! and the WGSL text to the Rust emitter as data. The proc-macro crate is a
//! thin shell around [`expand`].
//!
//! Large games take the loop form instead ([`choose_form`]): the checked
//! model goes to the [`indexed`] compiler (sums and indices kept symbolic,
//! gradients and operators derived at the index level) and
//! [`emit_rust::loops`] emits `for` loops from it; nothing is unrolled.
//!
//! The checker also keeps the costs as written, with their spans
//! ([`source`]): every form emits them for `Game::source`, which run-time
//! diagnostics trace NaNs and infinities back to.

#![warn(missing_docs)]
pub mod ast;
pub mod check;
pub mod cost;
pub mod dag;
pub mod diff;
pub mod emit_rust;
pub mod emit_wgsl;
pub mod emit_wgsl_loops;
pub mod error;
pub mod formula;
pub mod indexed;
pub mod ir;
pub mod lower;
pub mod model;
pub mod parse;
pub mod simplify;
pub mod source;
pub mod text;

pub use error::Errors;
use proc_macro2::TokenStream;

/// Parses and checks a game: DSL tokens -> checked model.
pub fn front_end(tokens: TokenStream) -> Result<model::GameModel, Errors> {
    let ast = parse::parse_game(tokens)?;
    check::check_game(&ast)
}

/// The back end: checked model -> generated Rust. Parses the
/// `#[stackel(..)]` options, lowers once, then runs each emitter on the
/// bundle.
pub fn back_end(model: &model::GameModel) -> Result<TokenStream, Errors> {
    let options = emit_rust::Options::of(&model.attrs)?;
    let form = choose_form(model, &options);
    check_form(model, form)?;
    match form {
        emit_rust::Form::Tape => return emit_rust::tape::emit(model, &options),
        emit_rust::Form::Loops => return emit_rust::loops::emit(model, &options),
        emit_rust::Form::Unrolled => {}
    }
    let lowered = lower::lower_game(model)?;
    let formulas = formula::block_formulas(model, &lowered);
    let wgsl = emit_wgsl::emit(&lowered);
    Ok(emit_rust::emit(model, &options, &lowered, &formulas, &wgsl))
}

/// The errors of a game that its code form cannot generate: a staggered
/// hierarchy outside the unrolled form, data inputs outside the tape form,
/// players made of parts in the loop form.
pub fn check_form(model: &model::GameModel, form: emit_rust::Form) -> Result<(), Errors> {
    if let Some(deep) = model.followers.iter().find(|f| f.level > 1) {
        if form != emit_rust::Form::Unrolled || !model.data.is_empty() {
            return Err(Errors::at(
                deep.span,
                format!(
                    "`{}` puts the game in a staggered hierarchy (`after`), whose blocks are generated in the unrolled form only: remove the forced `form` (and any `data` input)",
                    deep.name
                ),
            ));
        }
    }
    if form == emit_rust::Form::Tape {
        return Ok(());
    }
    if let Some(d) = model.data.first() {
        return Err(Errors::at(
            d.span,
            format!("data input `{}` needs the tape form: remove the forced `form` (a game with data takes `#[stackel(form = \"tape\")]` by default)", d.name),
        ));
    }
    let parts = std::iter::once(&model.leader)
        .chain(&model.followers)
        .find(|p| !p.parts.is_empty());
    match (form, parts) {
        (emit_rust::Form::Loops, Some(p)) => Err(Errors::at(
            p.span,
            format!("player `{}` is made of parts, which the loop form does not support: use `#[stackel(form = \"tape\")]` (the default for such games) or `form = \"unrolled\"`", p.name),
        )),
        _ => Ok(()),
    }
}

/// Above this many expression nodes in the costs once their sums are
/// unrolled ([`unrolled_size`]), a game without a forced form and without a
/// `budget` gets the loop form. The covariance game crosses it between
/// m = 14 (about 17k) and m = 15 (about 21k); the paper's m = 9 (about 5k)
/// stays unrolled.
pub const LOOP_FORM_THRESHOLD: u64 = 20_000;

/// The number of expression nodes of `e` once every sum is unrolled (each
/// sum counts its body once per term), computed without unrolling.
pub fn unrolled_size(e: &model::Expr) -> u64 {
    use model::Expr;
    match e {
        Expr::Num(_)
        | Expr::Var { .. }
        | Expr::Param { .. }
        | Expr::Part { .. }
        | Expr::Data { .. }
        | Expr::Let { .. }
        | Expr::SumIndex(_) => 1,
        Expr::Neg(a) | Expr::Unary(_, a) => 1 + unrolled_size(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => 1 + unrolled_size(a) + unrolled_size(b),
        Expr::Sum { lo, hi, body, .. } | Expr::Fold { lo, hi, body, .. } => {
            1 + ((hi - lo).max(0) as u64).saturating_mul(unrolled_size(body))
        }
    }
}

/// The code form of `model`: the one `#[stackel(form = ..)]` forces, else
/// the unrolled form for a staggered hierarchy without data (the only form
/// that generates its blocks), else the tape form for a game with data
/// inputs or player parts (networks), else the loop form when the costs unroll to more than [`LOOP_FORM_THRESHOLD`]
/// nodes and the game sets no `budget` (a budget asks for the unrolled
/// form's size check), else the unrolled form.
pub fn choose_form(model: &model::GameModel, options: &emit_rust::Options) -> emit_rust::Form {
    if let Some(f) = options.form {
        return f;
    }
    if model.is_staggered() && model.data.is_empty() {
        return emit_rust::Form::Unrolled;
    }
    let has_parts = std::iter::once(&model.leader)
        .chain(&model.followers)
        .any(|p| !p.parts.is_empty());
    if !model.data.is_empty() || has_parts {
        return emit_rust::Form::Tape;
    }
    let costs = std::iter::once(&model.leader).chain(&model.followers);
    let size = costs.fold(0u64, |s, p| s.saturating_add(unrolled_size(&p.cost)));
    if model.budget.is_none() && size > LOOP_FORM_THRESHOLD {
        emit_rust::Form::Loops
    } else {
        emit_rust::Form::Unrolled
    }
}

/// The whole compiler: DSL tokens -> generated Rust, or all the errors found.
pub fn compile(tokens: TokenStream) -> Result<TokenStream, Errors> {
    back_end(&front_end(tokens)?)
}

/// What `stackel_game!` expands to: the generated code, or one
/// `compile_error!` per error at its span.
pub fn expand(tokens: TokenStream) -> TokenStream {
    match compile(tokens) {
        Ok(code) => code,
        Err(errors) => errors.to_compile_errors(),
    }
}
