//! The tensor let `h` used as a number, without indices.
stackel::stackel_game! {
    game G {
        leader x: [3];
        follower y;
        let h[i in 0..3] = x[i] ^ 2;
        cost x = h * y;
        cost y = y ^ 2;
    }
}

fn main() {}
