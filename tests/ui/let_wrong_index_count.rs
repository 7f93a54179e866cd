//! `h` has two indices and is used with one.
stackel::stackel_game! {
    game G {
        leader x: [3];
        follower y;
        let h[i in 0..3, j in 0..2] = x[i] * j;
        cost x = sum(i in 0..3) h[i] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
