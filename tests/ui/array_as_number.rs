//! A vector used where a number is needed.
stackel::stackel_game! {
    game G {
        leader x: [3];
        follower y;
        cost x = x * y;
        cost y = y ^ 2;
    }
}

fn main() {}
