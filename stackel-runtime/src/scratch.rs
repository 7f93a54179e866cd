//! Per-thread reuse of the tape form's let and adjoint arrays. A tape
//! program allocates its arrays zeroed at every call (a GAN's hidden layers:
//! 8192 entries each, tangent numbers of them 64-128 KB); freed and
//! allocated again, such blocks go back to the system and come back as
//! fresh pages, and the page faults cost 5-15% of a Hessian-vector product.
//! [`zeroed`] hands out a buffer this thread used before, zeroed again, and
//! [`Scratch`] gives it back when dropped.

use crate::Real;
use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

/// Most buffers kept per number type and thread.
const KEEP: usize = 64;

thread_local! {
    static POOL: RefCell<HashMap<TypeId, Box<dyn Any>>> = RefCell::new(HashMap::new());
}

/// A zeroed array of `S` from this thread's pool, returned to it on drop.
#[derive(Debug)]
pub struct Scratch<S: Real> {
    buf: Vec<S>,
}

/// `len` zeros of `S`: a buffer of this thread's pool (the smallest kept
/// one that fits, else a new one), filled with `S::zero()`.
pub fn zeroed<S: Real>(len: usize) -> Scratch<S> {
    let reused = POOL
        .try_with(|pool| {
            let mut pool = pool.borrow_mut();
            let list = pool
                .get_mut(&TypeId::of::<S>())?
                .downcast_mut::<Vec<Vec<S>>>()?;
            // the smallest that fits, so that a short array does not take
            // the buffer of a long one
            let (at, _) = list
                .iter()
                .enumerate()
                .filter(|(_, b)| b.capacity() >= len)
                .min_by_key(|(_, b)| b.capacity())?;
            Some(list.swap_remove(at))
        })
        .ok()
        .flatten();
    let mut buf = reused.unwrap_or_default();
    buf.clear();
    buf.resize(len, S::zero());
    Scratch { buf }
}

impl<S: Real> Scratch<S> {
    /// The array as a `Vec`, kept by the caller (not returned to the pool).
    pub fn into_vec(mut self) -> Vec<S> {
        std::mem::take(&mut self.buf)
    }
}

impl<S: Real> Deref for Scratch<S> {
    type Target = [S];
    fn deref(&self) -> &[S] {
        &self.buf
    }
}

impl<S: Real> DerefMut for Scratch<S> {
    fn deref_mut(&mut self) -> &mut [S] {
        &mut self.buf
    }
}

impl<S: Real> Drop for Scratch<S> {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.capacity() == 0 {
            return;
        }
        // a thread being torn down drops the buffer instead
        let _ = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            let list = pool
                .entry(TypeId::of::<S>())
                .or_insert_with(|| Box::new(Vec::<Vec<S>>::new()));
            if let Some(list) = list.downcast_mut::<Vec<Vec<S>>>() {
                if list.len() < KEEP {
                    list.push(buf);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tangent;

    #[test]
    fn a_reused_buffer_comes_back_zeroed_at_its_new_length() {
        let mut a = zeroed::<f64>(100);
        a.iter_mut().for_each(|v| *v = 7.0);
        let ptr = a.as_ptr();
        drop(a);
        let b = zeroed::<f64>(60);
        assert_eq!(b.as_ptr(), ptr, "the buffer is reused");
        assert_eq!(b.len(), 60);
        assert!(b.iter().all(|&v| v == 0.0));
        let c = zeroed::<f64>(100);
        assert_ne!(c.as_ptr(), ptr, "a buffer in use is not handed out twice");
        assert!(c.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn number_types_keep_separate_pools() {
        let mut a = zeroed::<f32>(10);
        a[3] = 1.0;
        drop(a);
        let t = zeroed::<Tangent<f32>>(10);
        assert!(t.iter().all(|v| v.v == 0.0 && v.d == 0.0));
        let v = zeroed::<f32>(10).into_vec();
        assert_eq!(v, vec![0.0; 10]);
    }
}
