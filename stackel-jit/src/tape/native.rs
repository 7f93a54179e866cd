//! Tape programs compiled to native code ([`crate::translate::tape`]) in
//! one precision, each at the depths its methods use: plain numbers for
//! the costs and gradients, tangents for the operators (forward over
//! reverse), tangents of tangents for phi's products. Every index of a
//! program is proven in range first ([`check_bounds`]); a program that
//! cannot be proven is left to the interpreter.

use crate::translate::tape::{cost_plane, plane, table_len};
use crate::{new_module, translate, Code, EntryPoint, JitError, Precision};
use cranelift_codegen::ir::AbiParam;
use cranelift_module::{Linkage, Module};
use stackel_symbolic::emit_rust::tape::ir::{Addr, Array, Stmt, TapeProgram, Val};
use std::collections::HashMap;

/// The lengths of a game's arrays: x (N + ND), p (NP), the gradient (N) and
/// each kept let's.
pub(crate) struct Lens {
    pub(crate) x: usize,
    pub(crate) p: usize,
    pub(crate) grad: usize,
    pub(crate) lets: Vec<usize>,
}

/// Why `prog` may index out of range, if it may: every load and store's
/// position over the ranges of the counters in scope.
pub(crate) fn check_bounds(prog: &TapeProgram, lens: &Lens) -> Result<(), String> {
    let mut c = Check {
        lens,
        lets: prog
            .lets
            .iter()
            .chain(&prog.inputs)
            .map(|&(k, _)| k)
            .collect(),
        inputs: prog.inputs.iter().map(|&(k, _)| k).collect(),
        adjoints: Vec::new(),
        ranges: HashMap::new(),
    };
    c.stmts(&prog.forward)?;
    c.val(&prog.cost)?;
    for pass in &prog.passes {
        c.adjoints = pass.adjoints.iter().map(|&(k, _)| k).collect();
        c.stmts(&pass.body)?;
    }
    Ok(())
}

struct Check<'a> {
    lens: &'a Lens,
    /// The lets it computes or is given.
    lets: Vec<usize>,
    /// The lets it is given (never written: their planes are the caller's).
    inputs: Vec<usize>,
    adjoints: Vec<usize>,
    /// Counter -> (lowest, highest) value in scope.
    ranges: HashMap<u32, (i64, i64)>,
}

impl Check<'_> {
    fn within<R>(
        &mut self,
        var: u32,
        lo: i64,
        hi: i64,
        f: impl FnOnce(&mut Self) -> Result<R, String>,
    ) -> Result<R, String> {
        if lo >= hi {
            return Err(format!("empty range {lo}..{hi}"));
        }
        let outer = self.ranges.insert(var, (lo, hi - 1));
        let r = f(self);
        match outer {
            Some(o) => self.ranges.insert(var, o),
            None => self.ranges.remove(&var),
        };
        r
    }

    fn addr(&self, array: Array, a: &Addr) -> Result<(), String> {
        let (mut lo, mut hi) = (a.offset, a.offset);
        for &(c, k) in &a.terms {
            let &(l, h) = self
                .ranges
                .get(&c)
                .ok_or_else(|| format!("counter {c} read outside its loop"))?;
            let (p, q) = (l * k, h * k);
            lo += p.min(q);
            hi += p.max(q);
        }
        let len = match array {
            Array::X => self.lens.x,
            Array::P => self.lens.p,
            Array::Grad => self.lens.grad,
            Array::Let(k) if self.lets.contains(&k) => self.lens.lets[k],
            Array::Adjoint(k) if self.adjoints.contains(&k) => self.lens.lets[k],
            other => return Err(format!("{other:?} is not allocated")),
        };
        if lo < 0 || hi >= len as i64 {
            return Err(format!("{array:?}[{lo}..={hi}] of {len} entries"));
        }
        Ok(())
    }

    fn val(&mut self, v: &Val) -> Result<(), String> {
        match v {
            Val::Const(_) | Val::Local(_) => Ok(()),
            Val::Load(array, a) => self.addr(*array, a),
            Val::Counter(c, _) => match self.ranges.contains_key(c) {
                true => Ok(()),
                false => Err(format!("counter {c} read outside its loop")),
            },
            Val::Sum {
                var, lo, hi, body, ..
            }
            | Val::Fold {
                var, lo, hi, body, ..
            } => {
                if lo == hi && matches!(v, Val::Sum { .. }) {
                    return Ok(());
                }
                self.within(*var, *lo, *hi, |c| c.val(body))
            }
            _ => v.operands().into_iter().try_for_each(|a| self.val(a)),
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Result<(), String> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &Stmt) -> Result<(), String> {
        match s {
            Stmt::Loop { var, lo, hi, body } => {
                if lo == hi {
                    return Ok(());
                }
                self.within(*var, *lo, *hi, |c| c.stmts(body))
            }
            Stmt::Store(array, a, v) | Stmt::AddTo(array, a, v) => {
                if matches!(array, Array::Let(k) if self.inputs.contains(k)) {
                    return Err(format!("a store into input {array:?}"));
                }
                self.val(v)?;
                self.addr(*array, a)
            }
            Stmt::Let(_, v) => self.val(v),
            Stmt::Pick { then, other, .. } => {
                self.stmts(then)?;
                self.stmts(other)
            }
            Stmt::ArgBest {
                var,
                lo,
                hi,
                body,
                then,
                ..
            } => self.within(*var, *lo, *hi, |c| {
                c.val(body)?;
                c.stmts(then)
            }),
        }
    }
}

/// The machine-code signature: the table of plane addresses.
type Entry = unsafe extern "C" fn(*const *mut u8);

/// Tape programs compiled in one precision.
pub(crate) struct NativeTape {
    #[allow(dead_code)]
    code: Code,
    entries: Vec<EntryPoint>,
    precision: Precision,
    lets: usize,
}

impl NativeTape {
    /// Compiles `progs` (program k at depth `progs[k].1` is then called as
    /// number k); `None` for a program whose indices cannot be proven in
    /// range.
    pub(crate) fn compile(
        progs: &[(&TapeProgram, u32)],
        lens: &Lens,
        precision: Precision,
    ) -> Result<(Self, Vec<Option<usize>>), JitError> {
        let (mut module, imports, ty) = new_module(precision)?;
        let ptr = module.target_config().pointer_type();
        let mut ctx = module.make_context();
        let mut fctx = cranelift_frontend::FunctionBuilderContext::new();
        let mut ids = Vec::new();
        let mut numbers = Vec::new();
        for (k, &(prog, depth)) in progs.iter().enumerate() {
            if check_bounds(prog, lens).is_err() {
                numbers.push(None);
                continue;
            }
            ctx.func.signature.params = vec![AbiParam::new(ptr)];
            let id = module
                .declare_function(&format!("tape{k}"), Linkage::Local, &ctx.func.signature)
                .map_err(|e| JitError::Codegen(e.to_string()))?;
            translate::tape::tape(
                &mut module,
                &mut ctx.func,
                &mut fctx,
                &imports,
                prog,
                lens.lets.len(),
                depth,
                ty,
            );
            module
                .define_function(id, &mut ctx)
                .map_err(|e| JitError::Codegen(format!("{e:?}")))?;
            module.clear_context(&mut ctx);
            numbers.push(Some(ids.len()));
            ids.push(id);
        }
        let (code, entries) = Code::finish(module, &ids)?;
        Ok((
            NativeTape {
                code,
                entries,
                precision,
                lets: lens.lets.len(),
            },
            numbers,
        ))
    }

    /// Runs compiled program `k` (`prog`, at `comps` components a number):
    /// `x` and `p` one plane per component, the gradient's planes added
    /// into (each N entries; none for a cost program); returns the cost's
    /// components.
    ///
    /// # Panics
    /// When a plane is shorter than the program reads or writes.
    pub(crate) fn run<F: Copy + Default>(
        &self,
        k: usize,
        prog: &TapeProgram,
        lens: &Lens,
        x: &[&[F]],
        p: &[&[F]],
        g: &mut [&mut [F]],
    ) -> Vec<F> {
        self.run_io(k, prog, lens, x, p, g, &[]).0
    }

    /// [`NativeTape::run`] with the program's input lets supplied
    /// (`given`: (let id, one plane per component) for at least every let
    /// of [`TapeProgram::inputs`]; others are ignored); returns the cost's components
    /// and the let arrays the program computed ((let id, planes), in
    /// `prog.lets`' order).
    ///
    /// # Panics
    /// When a plane is shorter than the program reads or writes, or
    /// `given` misses an input of the program.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    pub(crate) fn run_io<F: Copy + Default>(
        &self,
        k: usize,
        prog: &TapeProgram,
        lens: &Lens,
        x: &[&[F]],
        p: &[&[F]],
        g: &mut [&mut [F]],
        given: &[(usize, Vec<&[F]>)],
    ) -> (Vec<F>, Vec<(usize, Vec<Vec<F>>)>) {
        let comps = x.len();
        assert_eq!(
            std::mem::size_of::<F>(),
            match self.precision {
                Precision::F32 => 4,
                Precision::F64 => 8,
            }
        );
        assert!(p.len() == comps && x.iter().all(|v| v.len() >= lens.x));
        assert!(p.iter().all(|v| v.len() >= lens.p));
        let grad = !prog.passes.is_empty();
        assert!(!grad || (g.len() == comps && g.iter().all(|v| v.len() >= lens.grad)));
        let mut lets: Vec<Vec<F>> = Vec::new();
        let mut table = vec![std::ptr::null_mut::<u8>(); table_len(self.lets, comps)];
        let mut cost = vec![F::default(); comps];
        let cost_at = cost.as_mut_ptr();
        for c in 0..comps {
            table[plane(Array::X, self.lets, comps, c)] = x[c].as_ptr() as *mut u8;
            table[plane(Array::P, self.lets, comps, c)] = p[c].as_ptr() as *mut u8;
            if grad {
                table[plane(Array::Grad, self.lets, comps, c)] = g[c].as_mut_ptr() as *mut u8;
            }
            // SAFETY: c < comps = cost.len()
            table[cost_plane(comps, c)] = unsafe { cost_at.add(c) } as *mut u8;
        }
        // each let's adjoint planes once, at the let's length, zero (the
        // code zeroes again those a later pass reuses)
        let mut adjoints: Vec<(usize, usize)> = prog
            .passes
            .iter()
            .flat_map(|p| p.adjoints.iter().copied())
            .collect();
        adjoints.sort_unstable();
        adjoints.dedup();
        for (arrays, adjoint) in [(&prog.lets, false), (&adjoints, true)] {
            for &(k, len) in arrays {
                for c in 0..comps {
                    let mut v = vec![F::default(); len];
                    let a = if adjoint {
                        Array::Adjoint(k)
                    } else {
                        Array::Let(k)
                    };
                    table[plane(a, self.lets, comps, c)] = v.as_mut_ptr() as *mut u8;
                    lets.push(v);
                }
            }
        }
        for &(k, len) in &prog.inputs {
            let (_, planes) = given
                .iter()
                .find(|(id, _)| *id == k)
                .expect("every input of the program is given");
            assert!(planes.len() == comps && planes.iter().all(|v| v.len() >= len));
            for (c, v) in planes.iter().enumerate() {
                // read only: the program never writes an input
                table[plane(Array::Let(k), self.lets, comps, c)] = v.as_ptr() as *mut u8;
            }
        }
        // SAFETY: program k was compiled in F's precision at `comps`
        // components with every index proven within `lens`, every plane
        // it reads or writes is at least that long (asserted above, or
        // allocated here at the let's length), it stores into no input
        // (the IR computes an input in no forward pass) and the planes it
        // writes do not overlap what it reads.
        unsafe {
            let f: Entry = std::mem::transmute(self.entries[k].0);
            f(table.as_ptr());
        }
        // the let planes first, `comps` per let in `prog.lets`' order
        let mut planes = lets.into_iter();
        let computed = prog
            .lets
            .iter()
            .map(|&(k, _)| (k, planes.by_ref().take(comps).collect()))
            .collect();
        (cost, computed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(forward: Vec<Stmt>) -> TapeProgram {
        TapeProgram {
            lets: vec![(0, 4)],
            inputs: Vec::new(),
            forward,
            cost: Val::Const(0.0),
            passes: Vec::new(),
            locals: 0,
            counters: 2,
        }
    }

    fn at(offset: i64, terms: Vec<(u32, i64)>) -> Addr {
        Addr { offset, terms }
    }

    /// Loads and stores over the counters' ranges: in range is proven, one
    /// past the end, below zero, an unallocated array and a counter
    /// outside its loop are not.
    #[test]
    fn bounds_are_proven_or_refused() {
        let lens = Lens {
            x: 6,
            p: 0,
            grad: 3,
            lets: vec![4, 2],
        };
        let store = |a: Addr| {
            prog(vec![Stmt::Loop {
                var: 0,
                lo: 0,
                hi: 4,
                body: vec![Stmt::Store(
                    Array::Let(0),
                    at(0, vec![(0, 1)]),
                    Val::Load(Array::X, a),
                )],
            }])
        };
        // x[i + 2] for i in 0..4: 2..=5 of 6
        assert!(check_bounds(&store(at(2, vec![(0, 1)])), &lens).is_ok());
        // x[i + 3]: 3..=6
        let e = check_bounds(&store(at(3, vec![(0, 1)])), &lens).unwrap_err();
        assert!(e.contains("X[3..=6] of 6"), "{e}");
        // x[5 - i]... and x[1 - i]: -2..=1
        assert!(check_bounds(&store(at(5, vec![(0, -1)])), &lens).is_ok());
        assert!(check_bounds(&store(at(1, vec![(0, -1)])), &lens).is_err());
        // a counter read outside its loop
        assert!(check_bounds(&store(at(0, vec![(1, 1)])), &lens).is_err());
        // let 1 is not allocated by this program
        let p = prog(vec![Stmt::Store(
            Array::Let(1),
            at(0, vec![]),
            Val::Const(1.0),
        )]);
        assert!(check_bounds(&p, &lens)
            .unwrap_err()
            .contains("not allocated"));
    }
}
