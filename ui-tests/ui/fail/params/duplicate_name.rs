struct S;

#[rpc_core::rpc]
impl S {
    fn add(&self, a: i32, #[rpc(name = "a")] b: i32) -> i32 {
        a + b
    }
}

fn main() {}
