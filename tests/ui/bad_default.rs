//! A vector param whose default has the wrong length.
stackel::stackel_game! {
    game G {
        param alpha: [2] = [1.0, 1.3, 2.0];
        leader x;
        follower y;
        cost x = alpha[0] * x * y;
        cost y = alpha[1] * y ^ 2;
    }
}

fn main() {}
