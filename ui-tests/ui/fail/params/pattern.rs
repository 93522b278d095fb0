struct S;

#[rpc_core::rpc]
impl S {
    fn add(&self, (a, b): (i32, i32)) -> i32 {
        a + b
    }
}

fn main() {}
