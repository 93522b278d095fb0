struct S;

#[rpc_core::rpc]
impl S {
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }

    #[rpc(name = "add")]
    fn plus(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
