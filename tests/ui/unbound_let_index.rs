//! `i` in the body of the tensor let `h` is bound neither by the let nor by a sum.
stackel::stackel_game! {
    game G {
        leader w: [3, 2];
        follower y;
        let h[j in 0..3] = w[j, i] * y;
        cost w = sum(j in 0..3) h[j];
        cost y = y ^ 2;
    }
}

fn main() {}
