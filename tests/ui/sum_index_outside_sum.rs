//! The sum body stops at `+`, so the second `i` is outside its sum.
stackel::stackel_game! {
    game G {
        leader x: [2];
        follower y: [2];
        cost x = sum(i in 0..2) x[i] * y[i] + x[i];
        cost y = y[0] ^ 2 + y[1] ^ 2;
    }
}

fn main() {}
