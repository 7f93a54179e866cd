use stackel::prelude::*;

stackel_game! {
    game Angles {
        leader th: angle { a: [2] };
        follower b;
        cost th = a[0]^2 + b;
        cost b = (b - a[1])^2;
    }
}

fn main() {}
