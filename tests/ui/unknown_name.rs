//! An unknown name; the message suggests the nearest declared one.
stackel::stackel_game! {
    game Duopoly {
        param a = 100.0;
        leader q1;
        follower q2;
        cost q1 = -(a - q1 - q2) * q1;
        cost q2 = -(a - q1 - q3) * q2;
    }
}

fn main() {}
