//! `h[k + 1]` leaves the range `j in 0..3` that `h` is declared for.
stackel::stackel_game! {
    game G {
        leader x: [3];
        follower y;
        let h[j in 0..3] = x[j] ^ 2;
        cost x = sum(k in 0..3) h[k + 1] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
