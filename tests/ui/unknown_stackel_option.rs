use stackel::prelude::*;

stackel_game! {
    #[stackel(krate = stackel_runtime)]
    pub game Bad {
        leader x;
        follower y;
        cost x = x^2 + x * y;
        cost y = y^2 - x * y;
    }
}

fn main() {}
