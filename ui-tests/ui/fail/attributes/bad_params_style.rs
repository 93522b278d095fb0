struct S;

#[rpc_core::rpc(params = "keyword")]
impl S {
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
