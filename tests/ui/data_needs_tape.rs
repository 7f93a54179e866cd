use stackel::prelude::*;

stackel_game! {
    #[stackel(form = "loops")]
    game Regression {
        data x: [4];
        leader a;
        follower b;
        cost a = sum(i in 0..4) (a * x[i] - b)^2;
        cost b = (b - a)^2;
    }
}

fn main() {}
