struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(alias = ["sum"])]
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }

    fn sum(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
