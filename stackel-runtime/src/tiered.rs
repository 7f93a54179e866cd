//! Generated code compiled for the CPU's vector instructions, chosen at run
//! time: the tape form's programs (a network's layers) are emitted twice,
//! plain and as a `#[target_feature(enable = "avx2,fma")]` function, and
//! call the second where [`avx2`] says the CPU can run it.
//!
//! Both copies compute the same bits: the compiler never contracts a
//! multiply and an add, and an explicit `mul_add` is correctly rounded on
//! every tier (an instruction with FMA, software without). Only the speed
//! differs.

use crate::rng::{simd_tier, Simd};

/// Does this CPU have AVX2 and FMA ([`crate::rng::simd_tier`])?
#[inline]
pub fn avx2() -> bool {
    matches!(simd_tier(), Simd::Avx2 | Simd::Avx512)
}
