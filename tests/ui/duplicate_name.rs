//! The same name declared twice.
stackel::stackel_game! {
    game G {
        param a = 1.0;
        leader x;
        follower y;
        let a = x * y;
        cost x = x * y;
        cost y = y ^ 2 - a;
    }
}

fn main() {}
