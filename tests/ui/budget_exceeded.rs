//! A derivative block over the game's node budget (reported by the back end).
stackel::stackel_game! {
    game G {
        const N = 6;
        budget = 55;
        leader x: [N];
        follower y: [N];
        cost x = sum(i in 0..N) exp(x[i] * y[i]) * sin(x[i]);
        cost y = sum(i in 0..N) (y[i] - x[i]) ^ 2;
    }
}

fn main() {}
