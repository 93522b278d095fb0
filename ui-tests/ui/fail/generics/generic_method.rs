struct S;

#[rpc_core::rpc]
impl S {
    fn echo<T: serde::Serialize>(&self, value: T) -> T {
        value
    }
}

fn main() {}
