//! The tangent programs of a [`TapeGame`]: (D^2 f_c) times a direction
//! (forward over reverse), its split form for directions on the followers
//! (the direction-free lets in `T`, once per point) and the mixed second
//! tangent for phi; native code for f64 and f32, the interpreter otherwise.

use super::{run, TapeGame, Which};
use stackel_runtime::{point_cache, Real, Tangent};

impl TapeGame {
    /// `__tape_hvp`: (D^2 f_c) (dir, pdir), the tangent of grad f_c in
    /// direction `dir` on the player entries and `pdir` on the params.
    pub(super) fn hvp<T: Real>(
        &self,
        which: Which,
        c: usize,
        x: &[T],
        dir: &[T],
        pdir: &[f64],
        out: &mut [T],
    ) {
        let (_, _, n, nd) = self.dims();
        let cd = &*self.compiled;
        if let (Some(k), Some(prog)) = (
            cd.numbers.grads[1][which as usize][c],
            &cd.programs.grads[which as usize][c],
        ) {
            // planes: (x, dir) on the state (no tangent on the data), (p,
            // pdir) on the params; the tangent plane of g is the product
            macro_rules! native {
                ($as:ident, $as_mut:ident, $code:expr, $p:expr, $f:ty) => {
                    if let (Some(xs), Some(ds)) = (T::$as(&x[..n + nd]), T::$as(&dir[..n])) {
                        let mut dx = ds.to_vec();
                        dx.resize(n + nd, 0.0);
                        let pd: Vec<$f> = (0..$p.len())
                            .map(|k| pdir.get(k).copied().unwrap_or(0.0) as $f)
                            .collect();
                        let (mut gv, mut gd) = (vec![0.0; n], vec![0.0; n]);
                        $code.run(
                            k,
                            prog,
                            &cd.lens,
                            &[xs, &dx],
                            &[$p, &pd],
                            &mut [&mut gv, &mut gd],
                        );
                        let out = T::$as_mut(&mut out[..n]).expect("out has x's number type");
                        out.copy_from_slice(&gd);
                        return;
                    }
                };
            }
            native!(as_f64s, as_f64s_mut, cd.f64, &self.params.f64[..], f64);
            native!(as_f32s, as_f32s_mut, cd.f32, &self.params.f32[..], f32);
        }
        let xt: Vec<Tangent<T>> = x[..n + nd]
            .iter()
            .enumerate()
            .map(|(k, &v)| Tangent::new(v, if k < n { dir[k] } else { T::zero() }))
            .collect();
        let p: Vec<Tangent<T>> = self
            .params_as::<T>()
            .into_iter()
            .enumerate()
            .map(|(k, v)| Tangent::new(v, T::of(pdir.get(k).copied().unwrap_or(0.0))))
            .collect();
        let mut g = vec![<Tangent<T> as Real>::zero(); n];
        self.grad(which, c, &xt, &p, &mut g);
        for k in 0..n {
            out[k] = g[k].d;
        }
    }

    /// `__tape_follower_hvp`: [`TapeGame::hvp`] for a direction on the
    /// followers only, through the split programs (the direction-free lets
    /// in `T`, the rest on tangents); `hvp` where cost `c` has no split.
    pub(super) fn follower_hvp<T: Real>(
        &self,
        which: Which,
        c: usize,
        x: &[T],
        dir: &[T],
        out: &mut [T],
    ) {
        let cd = &*self.compiled;
        let w = which as usize - 1;
        let Some(split) = &cd.programs.follower_tangents[c] else {
            return self.hvp(which, c, x, dir, &[], out);
        };
        let tangent = &split.tangent[w];
        let (_, _, n, nd) = self.dims();
        // the direction-free lets: once per point and thread
        let key = (std::any::TypeId::of::<TapeGame>(), cd.id, c);
        if let (Some(kp), Some(ks)) = (cd.numbers.primal[c], cd.numbers.splits[w][c]) {
            // planes: the primal program's lets, each with a zero tangent
            // plane; (x, dir) on the state, (p, 0) on the params
            macro_rules! native {
                ($as:ident, $as_mut:ident, $code:expr, $p:expr) => {
                    if let (Some(xs), Some(ds)) = (T::$as(&x[..n + nd]), T::$as(&dir[..n])) {
                        let primal = || {
                            let (_, lets) = $code.run_io(
                                kp,
                                &split.primal,
                                &cd.lens,
                                &[xs],
                                &[$p],
                                &mut [],
                                &[],
                            );
                            let zeros: Vec<_> =
                                lets.iter().map(|(_, v)| vec![0.0; v[0].len()]).collect();
                            (lets, zeros)
                        };
                        let mut dx = ds.to_vec();
                        dx.resize(n + nd, 0.0);
                        let zp = vec![0.0; $p.len()];
                        let (mut gv, mut gd) = (vec![0.0; n], vec![0.0; n]);
                        point_cache::with(key, xs, $p, primal, |(lets, zeros)| {
                            let given: Vec<_> = lets
                                .iter()
                                .zip(zeros)
                                .map(|((k, v), z)| (*k, vec![&v[0][..], &z[..]]))
                                .collect();
                            $code.run_io(
                                ks,
                                tangent,
                                &cd.lens,
                                &[xs, &dx],
                                &[$p, &zp],
                                &mut [&mut gv, &mut gd],
                                &given,
                            );
                        });
                        let out = T::$as_mut(&mut out[..n]).expect("out has x's number type");
                        out.copy_from_slice(&gd);
                        return;
                    }
                };
            }
            native!(as_f64s, as_f64s_mut, cd.f64, &self.params.f64[..]);
            native!(as_f32s, as_f32s_mut, cd.f32, &self.params.f32[..]);
        }
        let lets = cd.lens.lets.len();
        let p = self.params_as::<T>();
        let lift = |v: &[T]| -> Vec<Tangent<T>> {
            v.iter().map(|&v| Tangent::new(v, T::zero())).collect()
        };
        let primal = || {
            let (_, fixed) =
                run::run_with(&split.primal, lets, &x[..n + nd], &p, &mut [], Vec::new());
            // every direction-free let: the key is shared by the three
            // tangent programs, which read different ones
            split
                .primal
                .lets
                .iter()
                .map(|&(k, _)| (k, lift(&fixed[k])))
                .collect::<Vec<_>>()
        };
        let xt: Vec<Tangent<T>> = x[..n + nd]
            .iter()
            .enumerate()
            .map(|(k, &v)| Tangent::new(v, if k < n { dir[k] } else { T::zero() }))
            .collect();
        let mut g = vec![<Tangent<T> as Real>::zero(); n];
        point_cache::with(key, &x[..n + nd], &p, primal, |fixed| {
            let given = fixed
                .iter()
                .filter(|(k, _)| tangent.inputs.iter().any(|i| i.0 == *k))
                .cloned()
                .collect();
            run::run_with(tangent, lets, &xt, &lift(&p), &mut g, given)
        });
        for k in 0..n {
            out[k] = g[k].d;
        }
    }

    /// `__tape_hvp2`: the mixed second tangent of grad f_c in directions
    /// `dir1` (player entries) and (`dir2`, `pdir2`).
    pub(super) fn hvp2<T: Real>(
        &self,
        c: usize,
        x: &[T],
        dir1: &[T],
        dir2: &[T],
        pdir2: &[f64],
        out: &mut [T],
    ) {
        type Tg<T> = Tangent<T>;
        let (_, _, n, nd) = self.dims();
        let cd = &*self.compiled;
        if let (Some(k), Some(prog)) = (cd.numbers.grads[2][0][c], &cd.programs.grads[0][c]) {
            // planes ((x, dir1), (dir2, 0)) on the state, ((p, 0), (pdir2,
            // 0)) on the params; g's last plane is the mixed product
            macro_rules! native {
                ($as:ident, $as_mut:ident, $code:expr, $p:expr, $f:ty) => {
                    if let (Some(xs), Some(d1), Some(d2)) =
                        (T::$as(&x[..n + nd]), T::$as(&dir1[..n]), T::$as(&dir2[..n]))
                    {
                        let ext = |d: &[$f]| {
                            let mut v = d.to_vec();
                            v.resize(n + nd, 0.0);
                            v
                        };
                        let (d1, d2, zx) = (ext(d1), ext(d2), vec![0.0; n + nd]);
                        let pd: Vec<$f> = (0..$p.len())
                            .map(|k| pdir2.get(k).copied().unwrap_or(0.0) as $f)
                            .collect();
                        let zp = vec![0.0; $p.len()];
                        let mut g: Vec<Vec<$f>> = (0..4).map(|_| vec![0.0; n]).collect();
                        let [g0, g1, g2, g3] = &mut g[..] else { unreachable!() };
                        $code.run(
                            k,
                            prog,
                            &cd.lens,
                            &[xs, &d1, &d2, &zx],
                            &[$p, &zp, &pd, &zp],
                            &mut [g0, g1, g2, g3],
                        );
                        let out = T::$as_mut(&mut out[..n]).expect("out has x's number type");
                        out.copy_from_slice(&g[3]);
                        return;
                    }
                };
            }
            native!(as_f64s, as_f64s_mut, cd.f64, &self.params.f64[..], f64);
            native!(as_f32s, as_f32s_mut, cd.f32, &self.params.f32[..], f32);
        }
        let z = T::zero();
        let xt: Vec<Tg<Tg<T>>> = x[..n + nd]
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let (a, b) = if k < n { (dir1[k], dir2[k]) } else { (z, z) };
                Tg::new(Tg::new(v, a), Tg::new(b, z))
            })
            .collect();
        let p: Vec<Tg<Tg<T>>> = self
            .params_as::<T>()
            .into_iter()
            .enumerate()
            .map(|(k, v)| {
                Tg::new(
                    Tg::new(v, z),
                    Tg::new(T::of(pdir2.get(k).copied().unwrap_or(0.0)), z),
                )
            })
            .collect();
        let mut g = vec![<Tg<Tg<T>> as Real>::zero(); n];
        self.grad(Which::All, c, &xt, &p, &mut g);
        for k in 0..n {
            out[k] = g[k].d.d;
        }
    }
}
